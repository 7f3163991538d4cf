"""Dispatch benchmark: our models against the same models in PuLP + CBC, by size.

    energy-assets benchmark dispatch [--sizes 1,10,100,1000] [--kinds household,fleet,jobs]
                                     [--no-pulp] [--time-limit 120] [--seed 0] [--threads 2]
                                     [--fleet-extra-sizes 10000] [--jobs-time-limit 30]
                                     [--out data/benchmarks/dispatch.json]
    python -m energy_assets.benchmarks.dispatch ...   (the same)

For each kind and size N, on the same deterministic instances (a function of `--seed` only; the
i-th household / home is the same whatever N is):

- **household**: N households, each with `default_household_appliances` on one local day of 96
  15-min slots (2025-06-15, America/Los_Angeles) and its own carbon signal
  (`household_carbon_signal`: a CAISO-like duck curve with a per-household time shift, level,
  solar depth, evening peak and AR(1) slot noise), objective `carbon`. All N are solved by
  `solve_households(problems, workers=--threads)` (the code of `solve_household`; no import
  limit: each appliance by its exact dynamic program, equal appliances of many households in
  one pass, households spread over `--threads` forked processes) and each by the MILP of
  `pulp_models.household_pulp` with CBC. Reported: the batch's wall time end to end (workers,
  solves, summaries, frames), each household's time in its worker, the solvers' own times,
  status counts, the total objective, bound and baseline; per household the two objectives must
  agree (relative `HOUSEHOLD_RTOL`, which covers the integer scaling of the signal) whenever
  both are optimal.
- **fleet**: `make_fleet(2024-06-20, N, "Europe/Paris", real household data, seed)` on one feeder,
  a time-of-use import price (`tou_price`), a flat feed-in tariff for exports
  (`FEED_IN_USD_PER_KWH`, so the import/export split is exercised), a diurnal carbon signal
  (reported only), objective `cost`, and for N >= 10 a feeder export limit of
  `EXPORT_LIMIT_SHARE` of the fleet's peak net export (binding: the report checks it). Solved by
  `solve_fleet` (HiGHS by chunks of batteries, lazy feeder rows or a coordinating price, on
  `--threads` threads; status, objective, proven bound and gap) and by `pulp_models.fleet_pulp`
  with CBC (CLP), up to `PULP_MAX_FLEET_HOMES` homes; build and solve times separately;
  objectives must agree within `FLEET_RTOL` plus our proven gap. Also at `--fleet-extra-sizes`.
  Up to `FLEET_REPEAT_MAX_HOMES` homes both sides solve `FLEET_REPEATS` times (median wall).
- **jobs**: `synthetic_job_problem(N, 9, 48, seed)` solved by `solve_jobs` (method "auto",
  `allow_partial=True`, stopping at a proven gap of `JOB_GAP_LIMIT` or `--jobs-time-limit`);
  time, status, bound, gap and the comparison with `run_now_baseline` and `best_window_per_job`
  (no PuLP model).

Each kind's first solve in the process is preceded by one untimed solve (imports). Every other
solve has the `--time-limit` (CBC's `-sec`, elapsed time); a CBC solve that hits it is reported
as "time limit" (with its incumbent) or "time limit (no solution)". Prints a markdown table
(status, objective, bound, gap, build / solve / wall seconds, threads, the PuLP figures and
ratio), the load average, and as its last line `summary_line`'s
`dispatch fleet1000_s=.. fleet1000_gap=.. fleet10000_s=.. jobs1000_s=.. jobs1000_gap=..
household_ms=.. pulp_min_ratio=..`; writes every figure (per household, per size) to `--out`
as JSON. The exit status is 1 when two optimal objectives disagree, else 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

__all__ = [
    "DEFAULT_KINDS",
    "DEFAULT_SIZES",
    "configure_parser",
    "fleet_instance",
    "household_carbon_signal",
    "household_instances",
    "main",
    "markdown_table",
    "run",
    "run_benchmark",
    "run_fleet",
    "run_household",
    "run_jobs",
    "summary_line",
]

DEFAULT_SIZES = (1, 10, 100, 1000)
DEFAULT_KINDS = ("household", "fleet", "jobs")

HOUSEHOLD_DAY = date(2025, 6, 15)
HOUSEHOLD_TZ = "America/Los_Angeles"
HOUSEHOLD_RTOL = 1e-4
"""Household objectives agree within this relative difference: CP-SAT optimizes the signal
rounded to 1e-5 of its daily maximum, so its schedule can be off the float optimum by ~1e-5."""

FLEET_DAY = date(2024, 6, 20)
FLEET_TZ = "Europe/Paris"
FEED_IN_USD_PER_KWH = 0.06
EXPORT_LIMIT_SHARE = 0.5
FLEET_RTOL = 1e-6
"""Fleet LP objectives (HiGHS vs CLP) agree within this relative difference."""

JOB_REGIONS = 9
JOB_HOURS = 48
JOB_GAP_LIMIT = 0.01
"""The jobs stop at a proven relative gap of 1 % (or at `--jobs-time-limit`)."""
PULP_MAX_FLEET_HOMES = 2000
"""PuLP + CBC is not run on larger fleets (building the model alone takes minutes)."""
DEFAULT_FLEET_EXTRA_SIZES = (10_000,)
FLEET_REPEAT_MAX_HOMES = 100
FLEET_REPEATS = 5
"""Fleets up to 100 homes are solved 5 times by each side and the median wall time is reported
(single solves of 3-50 ms are at the mercy of the machine's load)."""
DEFAULT_JOBS_TIME_LIMIT_S = 30.0

_WARM: set[str] = set()


def _warm_up_fleet(seed: int) -> None:
    """One untimed 1-home solve per process, so that imports (highspy, scipy) are not timed."""
    if "fleet" in _WARM:
        return
    from energy_assets.optimize.fleet import solve_fleet

    solve_fleet(fleet_instance(1, seed, 10.0)[0])
    _WARM.add("fleet")


def _warm_up_jobs(seed: int) -> None:
    """One untimed 2-job solve per process (imports: CP-SAT, highspy)."""
    if "jobs" in _WARM:
        return
    from energy_assets.benchmarks.job_instances import synthetic_job_problem
    from energy_assets.optimize.compute_jobs import solve_jobs

    solve_jobs(synthetic_job_problem(2, JOB_REGIONS, JOB_HOURS, seed, num_workers=1))
    _WARM.add("jobs")


def _warm_up_household(problem) -> None:
    """One untimed household solve per process (imports are not timed)."""
    if "household" in _WARM:
        return
    from energy_assets.optimize.household import solve_household

    solve_household(problem)
    _WARM.add("household")


# ---------------------------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------------------------


def _local_hours(slot_starts_utc: Sequence[datetime], tz: str, slot_minutes: int) -> np.ndarray:
    """Local clock time (hours) of each slot's midpoint."""
    zone = ZoneInfo(tz)
    out = []
    for s in slot_starts_utc:
        local = s.astimezone(zone)
        out.append(local.hour + (local.minute + slot_minutes / 2) / 60)
    return np.array(out)


def household_carbon_signal(
    slot_starts_utc: Sequence[datetime], tz: str, rng: np.random.Generator, slot_minutes: int = 15
) -> list[float]:
    """A realistic diurnal grid carbon intensity (gCO2/kWh) per slot, drawn from `rng`.

    A CAISO-like "duck": ~250 g at night, a solar dip of 90-160 g around 13:00, a morning
    shoulder and an evening peak of 60-120 g around 19:30; per household the curve is shifted by
    U(-1, 1) h (a different balancing area / forecast), scaled by exp(N(0, 0.15)), and gets AR(1)
    noise per slot (phi 0.9, stationary sd 12 g), as a 15-min marginal-emissions forecast would.
    """
    h = _local_hours(slot_starts_utc, tz, slot_minutes)
    shift = rng.uniform(-1.0, 1.0)
    level = math.exp(rng.normal(0.0, 0.15))
    solar_depth = rng.uniform(90.0, 160.0)
    evening = rng.uniform(60.0, 120.0)
    x = h - shift
    solar = np.clip(np.sin(np.pi * (x - 6.5) / 13.0), 0.0, None) ** 1.3
    base = (
        250.0
        - solar_depth * solar
        + evening * np.exp(-((x - 19.5) ** 2) / 5.0)
        + 30.0 * np.exp(-((x - 7.5) ** 2) / 3.0)
    )
    phi, sd = 0.9, 12.0
    eps = rng.normal(0.0, sd * math.sqrt(1 - phi**2), size=h.size)
    noise = np.zeros(h.size)
    for t in range(h.size):
        noise[t] = (phi * noise[t - 1] if t else rng.normal(0.0, sd)) + eps[t]
    return [round(float(v), 3) for v in np.clip(base * level + noise, 20.0, None)]


def household_instances(n: int, seed: int, time_limit_s: float, threads: int = 1) -> list:
    """`n` households (the i-th is the same for every n): default appliances, own carbon;
    `threads`: CP-SAT workers, should one need CP-SAT (the benchmark's households, without an
    import limit, never do; it spreads households over processes instead)."""
    from energy_assets.optimize.household import (
        HouseholdProblem,
        default_household_appliances,
        local_day_slots,
    )

    slots = local_day_slots(HOUSEHOLD_DAY, HOUSEHOLD_TZ)
    appliances = default_household_appliances(slots, tz=HOUSEHOLD_TZ)
    children = np.random.SeedSequence([seed, 1]).spawn(n)
    return [
        HouseholdProblem(
            slot_starts_utc=slots,
            slot_minutes=15,
            appliances=appliances,
            carbon_gco2_per_kwh=household_carbon_signal(
                slots, HOUSEHOLD_TZ, np.random.default_rng(child)
            ),
            objective="carbon",
            time_limit_s=time_limit_s,
            num_workers=threads,
            tz=HOUSEHOLD_TZ,
        )
        for child in children
    ]


def tou_price(slot_starts_utc: Sequence[datetime], tz: str, slot_minutes: int = 15) -> np.ndarray:
    """Time-of-use import price (USD/kWh): off-peak 23-07 h 0.15, solar 11-15 h 0.12, peak
    17-21 h 0.34, else 0.22."""
    h = _local_hours(slot_starts_utc, tz, slot_minutes)
    return np.select(
        [(h >= 17) & (h < 21), (h < 7) | (h >= 23), (h >= 11) & (h < 15)],
        [0.34, 0.15, 0.12],
        default=0.22,
    )


def fleet_carbon_signal(
    slot_starts_utc: Sequence[datetime], tz: str, slot_minutes: int = 15
) -> np.ndarray:
    """A French-like grid intensity (gCO2/kWh): low, with midday solar and an evening gas peak."""
    h = _local_hours(slot_starts_utc, tz, slot_minutes)
    solar = np.clip(np.sin(np.pi * (h - 6.5) / 15.0), 0.0, None)
    return (
        55.0
        - 20.0 * solar
        + 45.0 * np.exp(-((h - 19.5) ** 2) / 4.0)
        + 10.0 * np.exp(-((h - 8.0) ** 2) / 3.0)
    )


_HOUSEHOLD_DATA: dict[str, Any] = {}


def _household_year():
    from energy_assets import settings
    from energy_assets.optimize.fleet_profiles import household_path, load_household_year

    path = household_path(settings.datasets_dir())
    key = str(path)
    if key not in _HOUSEHOLD_DATA:
        if not path.exists():
            raise FileNotFoundError(
                f"household data not found at {path} (set ENERGY_ASSETS_DATASETS)"
            )
        _HOUSEHOLD_DATA[key] = load_household_year(path)
    return _HOUSEHOLD_DATA[key]


def fleet_instance(n: int, seed: int, time_limit_s: float):
    """The fleet problem of size `n` (see the module docstring) and its export limit (or None)."""
    from energy_assets.optimize.fleet import FleetProblem
    from energy_assets.optimize.fleet_profiles import day_slot_starts, make_fleet

    homes = make_fleet(FLEET_DAY, n, FLEET_TZ, _household_year(), seed)
    slots = day_slot_starts(FLEET_DAY, FLEET_TZ)
    fixed = np.sum([h.load_kw - h.pv_kw for h in homes], axis=0)
    peak_export = float(max(0.0, -fixed.min()))
    limit = None
    if n >= 10 and peak_export > 0:
        max_charge = sum(h.battery.max_charge_kw for h in homes if h.battery is not None)
        limit = round(max(EXPORT_LIMIT_SHARE * peak_export, peak_export - 0.9 * max_charge), 3)
    problem = FleetProblem(
        slot_starts_utc=slots,
        slot_minutes=15,
        homes=homes,
        price_usd_per_kwh=tou_price(slots, FLEET_TZ),
        carbon_gco2_per_kwh=fleet_carbon_signal(slots, FLEET_TZ),
        export_price_usd_per_kwh=np.full(len(slots), FEED_IN_USD_PER_KWH),
        objective="cost",
        feeder_export_limit_kw=limit,
        time_limit_s=time_limit_s,
    )
    return problem, limit, peak_export


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(a), abs(b))


def _stats(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "total": float(sum(values)),
        "mean": float(statistics.fmean(values)),
        "median": float(statistics.median(values)),
        "max": float(max(values)),
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0:
        return None
    return a / b


def run_household(
    n: int, seed: int, time_limit_s: float, *, pulp: bool = True, threads: int = 1
) -> dict[str, Any]:
    """Solve `n` household instances with `solve_households` on `threads` worker processes
    (and PuLP + CBC one by one); all figures as a dict. `ours.batch_wall_s` is the batch end to
    end (workers, DP passes, frames); per household `ours_wall_s` is its time in its worker."""
    from energy_assets.optimize.household import ScheduleTimeout
    from energy_assets.optimize.household_batch import solve_households

    if pulp:  # PuLP is a dev dependency: only needed for the comparison
        from energy_assets.benchmarks.pulp_models import solve_household_pulp

    t_inst = time.perf_counter()
    problems = household_instances(n, seed, time_limit_s)
    instance_s = time.perf_counter() - t_inst
    _warm_up_household(problems[0])
    t0 = time.perf_counter()
    batch = solve_households(problems, threads, return_exceptions=True)
    batch_wall_s = time.perf_counter() - t0
    items: list[dict[str, Any]] = []
    for i, (problem, schedule) in enumerate(zip(problems, batch.schedules, strict=True)):
        item: dict[str, Any] = {"i": i}
        if isinstance(schedule, ScheduleTimeout):
            item.update(ours_status="time limit (no solution)", ours_objective=None)
        elif isinstance(schedule, Exception):
            raise schedule
        else:
            s = schedule.summary
            item.update(
                ours_status=s["status"].lower(),
                ours_objective=s["objective"],
                ours_bound=s["best_bound"],
                ours_method=s.get("method"),
                ours_gap=s["gap"],
                ours_solve_s=s["solve_time_s"],
                baseline_objective=s["baseline_objective"],
                ours_vars=s["num_variables"],
                ours_constraints=s["num_constraints"],
            )
        item["ours_wall_s"] = batch.seconds[i]
        if pulp:
            r = solve_household_pulp(problem, time_limit_s, threads=threads)
            item.update(
                pulp_status=r.status,
                pulp_objective=r.objective,
                pulp_build_s=r.build_s,
                pulp_solve_s=r.solve_s,
                pulp_cbc_s=r.cbc_s,
                pulp_wall_s=r.build_s + r.solve_s,
                pulp_vars=r.num_variables,
                pulp_constraints=r.num_constraints,
            )
            if r.status != "optimal":
                item["pulp_cbc_result"] = r.extra.get("cbc_result")
            if item["ours_status"] == "optimal" and r.status == "optimal":
                item["rel_diff"] = _rel(item["ours_objective"], r.objective)
                item["agree"] = item["rel_diff"] <= HOUSEHOLD_RTOL
        items.append(item)

    def col(key: str) -> list[float]:
        return [it[key] for it in items if it.get(key) is not None]

    ours_obj = col("ours_objective")
    base_obj = col("baseline_objective")
    bounds = col("ours_bound")
    ours: dict[str, Any] = {
        "solver": "/".join(sorted({str(it.get("ours_method")) for it in items})),
        "bound_total": float(sum(bounds)) if len(bounds) == n else None,
        "threads": batch.workers,
        "workers": batch.workers,
        "batch_wall_s": batch_wall_s,
        "status_counts": dict(Counter(it["ours_status"] for it in items)),
        "wall_s": _stats(col("ours_wall_s")),
        "solver_s": _stats(col("ours_solve_s")),
        "objective_total": float(sum(ours_obj)) if len(ours_obj) == n else None,
        "baseline_objective_total": float(sum(base_obj)) if len(base_obj) == n else None,
        "objective_unit": "gCO2",
        "max_gap": max(col("ours_gap"), default=None),
        "model_size": {
            "variables": items[0].get("ours_vars"),
            "constraints": items[0].get("ours_constraints"),
        },
    }
    if ours["objective_total"] is not None and ours["baseline_objective_total"]:
        ours["saving_pct"] = 100.0 * (
            1 - ours["objective_total"] / ours["baseline_objective_total"]
        )
    out: dict[str, Any] = {
        "kind": "household",
        "n": n,
        "instance_s": instance_s,
        "ours": ours,
        "items": items,
    }
    if pulp:
        pulp_obj = col("pulp_objective")
        compared = [it for it in items if "agree" in it]
        out["pulp"] = {
            "solver": "pulp+cbc",
            "status_counts": dict(Counter(it["pulp_status"] for it in items)),
            "wall_s": _stats(col("pulp_wall_s")),
            "build_s": _stats(col("pulp_build_s")),
            "solve_s": _stats(col("pulp_solve_s")),
            "solver_s": _stats(col("pulp_cbc_s")),
            "objective_total": float(sum(pulp_obj)) if len(pulp_obj) == n else None,
            "time_limit_s": time_limit_s,
            "model_size": {
                "variables": items[0].get("pulp_vars"),
                "constraints": items[0].get("pulp_constraints"),
            },
        }
        out["comparison"] = _comparison(
            compared,
            n,
            HOUSEHOLD_RTOL,
            out["pulp"]["wall_s"],
            {"total": batch_wall_s},  # ours end to end, as the batch ran
            out["pulp"]["solver_s"],
            ours["solver_s"],
            any(it["pulp_status"].startswith("time limit") for it in items),
        )
    return out


def _comparison(
    compared, n, rtol, pulp_wall, ours_wall, pulp_solver, ours_solver, pulp_timed_out
) -> dict:
    """Objective agreement over the pairs both proved optimal, and the time ratios (a lower
    bound of the true ratio when CBC stopped at its time limit)."""
    diffs = [it["rel_diff"] for it in compared]
    bad = [it["i"] for it in compared if not it["agree"]]
    return {
        "both_optimal": len(compared),
        "of": n,
        "rtol": rtol,
        "max_rel_diff": max(diffs, default=None),
        "agree": not bad,
        "disagree_items": bad,
        "ratio_wall": _ratio(pulp_wall and pulp_wall["total"], ours_wall and ours_wall["total"]),
        "ratio_solver": _ratio(
            pulp_solver and pulp_solver["total"], ours_solver and ours_solver["total"]
        ),
        "ratio_is_lower_bound": bool(pulp_timed_out),
    }


def run_fleet(
    n: int, seed: int, time_limit_s: float, *, pulp: bool = True, threads: int = 1
) -> dict[str, Any]:
    """Solve the fleet of `n` homes with `solve_fleet` (HiGHS by chunks, `threads` threads) and
    PuLP + CBC (skipped above `PULP_MAX_FLEET_HOMES` homes)."""
    from energy_assets.optimize.fleet import FleetSolveError, solve_fleet

    pulp = pulp and n <= PULP_MAX_FLEET_HOMES
    if pulp:
        from energy_assets.benchmarks.pulp_models import solve_fleet_pulp

    _warm_up_fleet(seed)
    t_inst = time.perf_counter()
    problem, limit, peak_export = fleet_instance(n, seed, time_limit_s)
    problem = replace(problem, threads=threads)
    instance_s = time.perf_counter() - t_inst
    repeats = FLEET_REPEATS if n <= FLEET_REPEAT_MAX_HOMES else 1
    ours: dict[str, Any] = {"solver": "highs (chunks, lazy feeder rows / coordinating price)"}
    walls: list[float] = []
    try:
        solved = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            schedule = solve_fleet(problem)
            walls.append(time.perf_counter() - t0)
            solved.append((walls[-1], schedule))
        schedule = sorted(solved, key=lambda pair: pair[0])[len(solved) // 2][1]  # median run
        s = schedule.summary
        net = schedule.fleet["net_import_kw"].to_numpy()
        ours.update(
            status=s["status"],
            objective=s["objective"],
            best_bound=s["best_bound"],
            gap=s["gap"],
            threads=threads,
            coupling_rounds=s.get("coupling_rounds"),
            feeder_rows_added=s.get("feeder_rows_added"),
            objective_unit="USD",
            build_s=s["build_time_s"],
            solver_s=s["solve_time_s"],
            num_variables=s["num_variables"],
            num_constraints=s["num_constraints"],
            baseline_cost_usd=s["baseline_cost_usd"],
            optimized_cost_usd=s["optimized_cost_usd"],
            cost_saving_usd=s["cost_saving_usd"],
            degradation_cost_usd=s["degradation_cost_usd"],
            battery_throughput_kwh=s["battery_charge_kwh"] + s["battery_discharge_kwh"],
            max_fleet_export_kw=float(max(0.0, -net.min())),
            export_limit_binding=(bool(-net.min() >= limit - 1e-4) if limit is not None else None),
            feeder_limit_violation_kw=s["feeder_limit_violation_kw"],
        )
    except (ValueError, FleetSolveError) as error:
        ours.update(status=f"error: {error}", objective=None)
        walls.append(time.perf_counter() - t0)
    ours["wall_s"] = statistics.median(walls)
    ours["repeats"] = len(walls)
    out: dict[str, Any] = {
        "kind": "fleet",
        "n": n,
        "instance_s": instance_s,
        "num_batteries": sum(h.battery is not None for h in problem.homes),
        "num_slots": len(problem.slot_starts_utc),
        "peak_export_kw": peak_export,
        "export_limit_kw": limit,
        "ours": ours,
    }
    if pulp:
        runs = [solve_fleet_pulp(problem, time_limit_s, threads=threads) for _ in range(repeats)]
        r = sorted(runs, key=lambda run: run.build_s + run.solve_s)[len(runs) // 2]  # median
        out["pulp"] = {
            "solver": "pulp+cbc",
            "status": r.status,
            "objective": r.objective,
            "build_s": r.build_s,
            "solve_s": r.solve_s,
            "solver_s": r.cbc_s,
            "wall_s": r.build_s + r.solve_s,
            "num_variables": r.num_variables,
            "num_constraints": r.num_constraints,
            "time_limit_s": time_limit_s,
            **r.extra,
        }
        item: dict[str, Any] = {"i": 0}
        if ours.get("status") == "optimal" and r.status == "optimal":
            item["rel_diff"] = _rel(ours["objective"], r.objective)
            # ours is optimal to its proven gap (the coordinating price stops at a tolerance)
            item["agree"] = item["rel_diff"] <= FLEET_RTOL + (ours.get("gap") or 0.0)
        out["comparison"] = _comparison(
            [item] if "agree" in item else [],
            1,
            FLEET_RTOL,
            {"total": out["pulp"]["wall_s"]},
            {"total": ours["wall_s"]},
            {"total": r.cbc_s} if r.cbc_s is not None else None,
            {"total": ours["solver_s"]} if ours.get("solver_s") is not None else None,
            r.status.startswith("time limit"),
        )
    return out


def run_jobs(n: int, seed: int, time_limit_s: float, *, threads: int = 1) -> dict[str, Any]:
    """Solve `synthetic_job_problem(n, 9, 48, seed)` to a proven gap of `JOB_GAP_LIMIT` (or the
    time limit) and compare with the two baselines."""
    from energy_assets.benchmarks.job_instances import synthetic_job_problem
    from energy_assets.optimize.compute_jobs import (
        best_window_per_job,
        run_now_baseline,
        solve_jobs,
    )

    problem = synthetic_job_problem(
        n,
        JOB_REGIONS,
        JOB_HOURS,
        seed,
        time_limit_s=time_limit_s,
        num_workers=threads,
        allow_partial=True,
        relative_gap_limit=JOB_GAP_LIMIT,
    )
    run_now = run_now_baseline(problem)
    best = best_window_per_job(problem)
    _warm_up_jobs(seed)
    t0 = time.perf_counter()
    ours: dict[str, Any] = {"solver": "solve_jobs"}
    try:
        schedule = solve_jobs(problem)
        s = schedule.summary
        ours.update(
            status=s["status"],
            method=s["method"],
            solver_status=s["solver_status"],
            objective=s["objective_value"],
            objective_unit=s["objective_unit"],
            total_co2_kg=s["total_co2_kg"],
            best_bound=s["best_bound"],
            bound_source=s["bound_source"],
            gap=s["gap"],
            n_scheduled=s["n_scheduled"],
            build_s=s["build_time_s"],
            solver_s=s["solve_time_s"],
            total_time_s=s["total_time_s"],
            threads=threads,
            time_limit_s=time_limit_s,
            model=s["model"],
            capacity_violations=s["capacity_violations"],
            saving_vs_run_now_pct=s.get("saving_vs_run_now_pct"),
            saving_vs_best_window_per_job_pct=s.get("saving_vs_best_window_per_job_pct"),
        )
    except (ValueError, RuntimeError) as error:
        ours.update(status=f"error: {error}", objective=None)
    ours["wall_s"] = time.perf_counter() - t0
    return {
        "kind": "jobs",
        "n": n,
        "regions": JOB_REGIONS,
        "hours": JOB_HOURS,
        "ours": ours,
        "run_now": run_now,
        "best_window_per_job": best,
    }


def run_benchmark(
    sizes: Sequence[int],
    kinds: Sequence[str],
    *,
    seed: int = 0,
    time_limit_s: float = 120.0,
    pulp: bool = True,
    threads: int = 1,
    progress=None,
    fleet_extra_sizes: Sequence[int] = (),
    jobs_time_limit_s: float | None = None,
) -> list[dict[str, Any]]:
    """Every (kind, size) result, in the order of `kinds` then `sizes` (the fleet also at
    `fleet_extra_sizes`, without PuLP beyond `PULP_MAX_FLEET_HOMES`). The jobs run with
    `jobs_time_limit_s` (default: `time_limit_s`)."""
    results = []
    for kind in kinds:
        kind_sizes = list(sizes)
        if kind == "fleet":
            kind_sizes += [n for n in fleet_extra_sizes if n not in kind_sizes]
        for n in kind_sizes:
            t0 = time.perf_counter()
            if kind == "household":
                res = run_household(n, seed, time_limit_s, pulp=pulp, threads=threads)
            elif kind == "fleet":
                res = run_fleet(n, seed, time_limit_s, pulp=pulp, threads=threads)
            elif kind == "jobs":
                limit = time_limit_s if jobs_time_limit_s is None else jobs_time_limit_s
                res = run_jobs(n, seed, limit, threads=threads)
            else:
                raise ValueError(f"unknown kind {kind!r} (expected one of {DEFAULT_KINDS})")
            res["wall_s"] = time.perf_counter() - t0
            results.append(res)
            if progress:
                progress(f"{kind} N={n}: {res['wall_s']:.1f} s")
    return results


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def _ratio_text(cmp: dict | None) -> str:
    if not cmp or cmp.get("ratio_wall") is None:
        return "—"
    text = ("≥ " if cmp.get("ratio_is_lower_bound") else "") + f"{cmp['ratio_wall']:.2f}"
    if cmp.get("ratio_solver") is not None:
        text += f" ({cmp['ratio_solver']:.2f})"
    return text


def _agreement(cmp: dict | None) -> str:
    if not cmp:
        return "—"
    if cmp["both_optimal"] == 0:
        return "not compared (no pair optimal)"
    rel = cmp["max_rel_diff"]
    head = "yes" if cmp["agree"] else f"**NO** ({len(cmp['disagree_items'])} differ)"
    part = "" if cmp["both_optimal"] == cmp["of"] else f", {cmp['both_optimal']}/{cmp['of']} pairs"
    return f"{head} (max rel diff {rel:.1e}{part})"


def _fmt_num(x: float | None, digits: int = 6) -> str:
    return "—" if x is None else f"{x:.{digits}g}"


def _fmt_gap(x: float | None) -> str:
    return "—" if x is None else f"{x:.2e}"


def _row(res: dict[str, Any]) -> list[str]:
    kind, n, ours = res["kind"], res["n"], res["ours"]
    pulp = res.get("pulp")
    if kind == "household":
        status = _counts(ours["status_counts"])
        objective, bound = ours.get("objective_total"), ours.get("bound_total")
        gap = ours.get("max_gap")
        solve = ours["solver_s"] and ours["solver_s"]["total"]
        wall = ours.get("batch_wall_s", ours["wall_s"]["total"])
        workers = ours.get("workers", 1)
        build = None if solve is None or workers > 1 else max(0.0, wall - solve)
        notes = (
            f"{ours['solver']}; {n} household{'s' if n > 1 else ''} on {workers} worker "
            f"process{'es' if workers > 1 else ''}, {wall:.3f} s end to end"
            f"{' (solve: DP seconds summed over the workers)' if workers > 1 else ''}; "
            f"per household in its worker {1000 * ours['wall_s']['median']:.2f} ms median, "
            f"{1000 * ours['wall_s']['max']:.1f} ms max"
        )
        if ours.get("saving_pct") is not None:
            notes += f"; CO2 {ours['objective_total'] / 1000:.1f} kg vs baseline {ours['baseline_objective_total'] / 1000:.1f} kg (−{ours['saving_pct']:.1f} %)"
        if pulp:
            pulp_status = _counts(pulp["status_counts"])
            pulp_time = f"{_fmt_s(pulp['wall_s']['total'])} (CBC {_fmt_s(pulp['solver_s'] and pulp['solver_s']['total'])})"
            notes += f"; CBC per household {1000 * pulp['wall_s']['median']:.1f} ms median"
        else:
            pulp_status = pulp_time = "—"
    elif kind == "fleet":
        status = ours["status"]
        objective, bound, gap = ours.get("objective"), ours.get("best_bound"), ours.get("gap")
        build, solve, wall = ours.get("build_s"), ours.get("solver_s"), ours["wall_s"]
        lim = res["export_limit_kw"]
        notes = f"{res['num_batteries']} batteries, {ours.get('num_variables')} vars"
        if lim is not None:
            binding = "binding" if ours.get("export_limit_binding") else "not binding"
            notes += f"; export limit {lim:.1f} kW ({binding}; {ours.get('feeder_rows_added')} feeder rows, {ours.get('coupling_rounds')} rounds)"
        if ours.get("cost_saving_usd") is not None:
            notes += (
                f"; bill {ours['baseline_cost_usd']:.2f} → {ours['optimized_cost_usd']:.2f} USD"
            )
        if pulp:
            pulp_status = pulp["status"]
            pulp_time = f"{_fmt_s(pulp['wall_s'])} (build {_fmt_s(pulp['build_s'])}, CBC {_fmt_s(pulp['solver_s'])})"
        else:
            pulp_status = pulp_time = "—"
            if n > PULP_MAX_FLEET_HOMES:
                notes += f"; PuLP not run above {PULP_MAX_FLEET_HOMES} homes"
    else:
        status = f"{ours['status']} ({ours.get('method', '?')})"
        objective, bound, gap = ours.get("objective"), ours.get("best_bound"), ours.get("gap")
        build, solve, wall = ours.get("build_s"), ours.get("solver_s"), ours["wall_s"]
        notes = f"time limit {ours.get('time_limit_s', 0):g} s, stops at gap {JOB_GAP_LIMIT:g}"
        if ours.get("saving_vs_run_now_pct") is not None:
            above = 0.0 - ours["saving_vs_best_window_per_job_pct"] + 0.0  # no "-0.00"
            notes += (
                f"; CO2 {ours['total_co2_kg']:.1f} kg: −{ours['saving_vs_run_now_pct']:.1f} % vs run-now "
                f"({res['run_now']['total_co2_kg']:.1f} kg), "
                f"{above:+.2f} % vs best-window-per-job "
                f"({res['best_window_per_job']['total_co2_kg']:.1f} kg, a bound ignoring capacity: "
                f"{res['best_window_per_job']['capacity_violations']['overloaded_region_hours']} overloaded region-hours)"
            )
        pulp_status = pulp_time = "—"
    return [
        kind,
        str(n),
        status,
        _fmt_num(objective),
        _fmt_num(bound),
        _fmt_gap(gap),
        _fmt_s(build),
        _fmt_s(solve),
        _fmt_s(wall),
        str(ours.get("threads", "—")),
        pulp_status,
        pulp_time,
        _ratio_text(res.get("comparison")),
        _agreement(res.get("comparison")),
        notes,
    ]


def markdown_table(results: Sequence[dict[str, Any]]) -> str:
    header = [
        "kind",
        "N",
        "ours: status",
        "objective",
        "bound",
        "gap",
        "build (s)",
        "solve (s)",
        "wall (s)",
        "threads",
        "PuLP+CBC: status",
        "PuLP+CBC: time (s)",
        "ratio CBC/ours wall (solver)",
        "objective agreement",
        "notes",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_row(r)) + " |" for r in results]
    return "\n".join(lines)


def _find(results: Sequence[dict[str, Any]], kind: str, n: int) -> dict[str, Any] | None:
    return next((r for r in results if r["kind"] == kind and r["n"] == n), None)


def summary_line(results: Sequence[dict[str, Any]]) -> str:
    """`dispatch fleet1000_s=.. fleet1000_gap=.. fleet10000_s=.. jobs1000_s=.. jobs1000_gap=..
    household_ms=.. pulp_min_ratio=..`: wall seconds, gaps as fractions, one household end to
    end in ms (the N = 1 batch: problem checks, DP, summary and frames; the issue's "under 5 ms
    end to end"), and the smallest CBC/ours wall-time ratio over every kind and size PuLP ran at
    ("na" where a figure was not measured)."""

    def num(value: float | None, fmt: str) -> str:
        return "na" if value is None else format(value, fmt)

    fleet1000 = _find(results, "fleet", 1000)
    fleet10000 = _find(results, "fleet", 10_000)
    jobs1000 = _find(results, "jobs", 1000)
    household = _find(results, "household", 1)
    ratios = [
        r["comparison"]["ratio_wall"]
        for r in results
        if r.get("comparison") and r["comparison"].get("ratio_wall") is not None
    ]
    parts = {
        "fleet1000_s": num(fleet1000 and fleet1000["ours"]["wall_s"], ".3f"),
        "fleet1000_gap": num(fleet1000 and fleet1000["ours"].get("gap"), ".2e"),
        "fleet10000_s": num(fleet10000 and fleet10000["ours"]["wall_s"], ".3f"),
        "jobs1000_s": num(jobs1000 and jobs1000["ours"]["wall_s"], ".3f"),
        "jobs1000_gap": num(jobs1000 and jobs1000["ours"].get("gap"), ".4f"),
        "household_ms": num(household and 1000 * household["ours"]["batch_wall_s"], ".3f"),
        "pulp_min_ratio": num(min(ratios) if ratios else None, ".2f"),
    }
    return "dispatch " + " ".join(f"{k}={v}" for k, v in parts.items())


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for mod in ("ortools", "pulp", "numpy", "polars"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - a version string is best effort
            out[mod] = "?"
    return out


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from error
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"sizes must be positive integers, got {text!r}")
    return values


def _int_list_or_none(text: str) -> list[int]:
    return [] if text.strip().lower() in ("", "none") else _int_list(text)


def _kind_list(text: str) -> list[str]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    bad = [k for k in kinds if k not in DEFAULT_KINDS]
    if not kinds or bad:
        raise argparse.ArgumentTypeError(
            f"unknown kind(s) {bad or text!r}; choose from {','.join(DEFAULT_KINDS)}"
        )
    return kinds


def _default_out() -> Path:
    from energy_assets import settings

    return settings.data_dir() / "benchmarks" / "dispatch.json"


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--sizes",
        type=_int_list,
        default=list(DEFAULT_SIZES),
        help="comma-separated sizes N (households / homes / jobs); default 1,10,100,1000",
    )
    parser.add_argument(
        "--kinds",
        type=_kind_list,
        default=list(DEFAULT_KINDS),
        help="comma-separated: household,fleet,jobs (default all)",
    )
    parser.add_argument("--no-pulp", action="store_true", help="skip the PuLP + CBC comparison")
    parser.add_argument(
        "--time-limit", type=float, default=120.0, help="seconds per solve (default 120)"
    )
    parser.add_argument("--seed", type=int, default=0, help="instance seed (default 0)")
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="threads: fleet chunks solved at once, CP-SAT workers and CBC threads (default 2)",
    )
    parser.add_argument(
        "--fleet-extra-sizes",
        type=_int_list_or_none,
        default=list(DEFAULT_FLEET_EXTRA_SIZES),
        help="more fleet sizes, without PuLP beyond 2000 homes (default 10000; 'none' for none)",
    )
    parser.add_argument(
        "--jobs-time-limit",
        type=float,
        default=DEFAULT_JOBS_TIME_LIMIT_S,
        help="seconds per jobs solve (default 30; it stops earlier at a proven 1 %% gap)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="JSON output (default data/benchmarks/dispatch.json)"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    results = run_benchmark(
        args.sizes,
        args.kinds,
        seed=args.seed,
        time_limit_s=args.time_limit,
        pulp=not args.no_pulp,
        threads=args.threads,
        progress=lambda msg: print(f"[dispatch] {msg}", file=sys.stderr, flush=True),
        fleet_extra_sizes=args.fleet_extra_sizes,
        jobs_time_limit_s=args.jobs_time_limit,
    )
    wall = time.perf_counter() - t0
    table = markdown_table(results)
    disagree = [
        f"{r['kind']} N={r['n']}"
        for r in results
        if r.get("comparison") and not r["comparison"]["agree"]
    ]
    report = {
        "benchmark": "dispatch",
        "started_utc": started.isoformat(),
        "wall_s": wall,
        "args": {
            "sizes": list(args.sizes),
            "kinds": list(args.kinds),
            "pulp": not args.no_pulp,
            "time_limit_s": args.time_limit,
            "seed": args.seed,
            "threads": args.threads,
            "fleet_extra_sizes": list(args.fleet_extra_sizes),
            "jobs_time_limit_s": args.jobs_time_limit,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "loadavg_before": list(load_before),
            "loadavg_after": list(os.getloadavg()),
        },
        "versions": _versions(),
        "instances": {
            "household": {
                "day": HOUSEHOLD_DAY,
                "tz": HOUSEHOLD_TZ,
                "slot_minutes": 15,
                "objective": "carbon",
                "rtol": HOUSEHOLD_RTOL,
            },
            "fleet": {
                "day": FLEET_DAY,
                "tz": FLEET_TZ,
                "objective": "cost",
                "feed_in_usd_per_kwh": FEED_IN_USD_PER_KWH,
                "export_limit_share": EXPORT_LIMIT_SHARE,
                "rtol": FLEET_RTOL,
            },
            "jobs": {"regions": JOB_REGIONS, "hours": JOB_HOURS, "objective": "carbon"},
        },
        "disagreements": disagree,
        "table_markdown": table,
        "results": results,
    }
    out = args.out or _default_out()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_jsonable(report), indent=1) + "\n")
    load_after = os.getloadavg()
    print(table)
    print()
    print(
        f"total wall time {wall:.1f} s; load average before {load_before[0]:.2f} "
        f"{load_before[1]:.2f} {load_before[2]:.2f}, after {load_after[0]:.2f} "
        f"{load_after[1]:.2f} {load_after[2]:.2f} ({os.cpu_count()} CPUs); threads "
        f"{args.threads}; JSON written to {out}"
    )
    if disagree:
        print(f"WARNING: optimal objectives disagree for {', '.join(disagree)}")
    print(summary_line(results))
    return 1 if disagree else 0


def main(argv: list[str] | None = None) -> int:
    parser = configure_parser(
        argparse.ArgumentParser(
            prog="energy-assets benchmark dispatch",
            description="Household / fleet / jobs dispatch: OR-Tools vs PuLP + CBC, by size.",
        )
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
