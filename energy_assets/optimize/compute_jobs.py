"""Carbon-aware placement of compute jobs across regions and hours (pure: numpy, polars, OR-Tools).

Problem
-------
`H` hourly steps (`hour_starts_utc`, typically the 48-hour day-ahead horizon), hours indexed
`0..H-1`. Each region has a P50 carbon-intensity forecast (gCO2/kWh), an optional price (USD/kWh)
and the data-centre capacity (kW) per hour. Each job has a total energy (kWh), a whole number of
run hours `duration_hours`, a window `[earliest_start_hour, deadline_hour)` (deadline exclusive),
the regions it may run in and its home region. A job draws constant power
`energy_kwh / duration_hours` kW in every hour it runs.

- A non-interruptible job runs `duration_hours` consecutive hours in one region.
- An interruptible job runs any `duration_hours` hours of its window (not necessarily
  consecutive), all in ONE region: no migration mid-job (state would have to be moved between
  data centres). It may pause and resume; checkpoint/restart overheads are not modelled.
- Per region and hour, the summed power of the jobs running there must not exceed `capacity_kw`.
- Optional `carbon_cap_kg` bounds the total CO2 of the whole set.
- Objective `"carbon"`: least total CO2. Objective `"cost"`: least total cost (every region a job
  may use must then have prices), usually together with `carbon_cap_kg`.

Formulation (0/1 program; CP-SAT, or HiGHS through MathOpt)
-----------------------------------------------------------
- Non-interruptible job j: one boolean `x[j,r,s]` per allowed region r and start s with
  `earliest <= s <= deadline - duration`, pruned up front where the job's power does not fit the
  region's capacity in some hour of `[s, s+duration)`.
- Interruptible job j: one boolean `y[j,r]` per allowed region, one boolean `z[j,r,t]` per hour t
  of the window where the job's power fits the capacity (regions with fewer than `duration`
  such hours are pruned); `sum_t z[j,r,t] == duration * y[j,r]`.
- One skip boolean `s[j]` per job: `exactly_one(x[j,.,.] or y[j,.] or s[j])`. A skip costs more
  than every job's worst option together, so the optimum schedules as many jobs as possible
  first, then minimises the objective (the lexicographic "partial" answer in one solve).
- Capacity, per region-hour: `sum power_j * (x covering t + z[j,r,t]) <= capacity[r,t]`; rows
  that cannot be exceeded even if every candidate runs there are left out.
- Carbon cap: `sum co2 * (x, z) <= cap`. Objective: CO2 (or cost) of the options (x) and hours (z).

Integer scaling (CP-SAT needs integer coefficients):
- power and capacity in watts: power rounded UP, capacity rounded DOWN, so an integer-feasible
  schedule never overloads a data centre in real (float) terms;
- CO2 in units of 0.1 g (`CO2_UNITS_PER_KG = 10_000`): objective coefficients rounded to nearest,
  coefficients of the carbon-cap row rounded UP and the cap rounded DOWN (the cap is never
  exceeded in float terms; at worst it is 0.05 g per option too strict);
- cost in units of 0.001 US cent (`COST_UNITS_PER_USD = 100_000`), rounded to nearest.
Reported totals are recomputed in floating point from the schedule, not from the scaled objective.
The HiGHS models get the same integer rows (capacity scaled to kW) and float objectives.

Methods (`JobProblem.method`)
-----------------------------
- `"cp-sat"`: the whole model in CP-SAT, hinted with an LP-rounding start; the gap is CP-SAT's
  own. Proves optimality quickly up to ~100 jobs; at 1,000 jobs on 2 cores its presolve alone
  takes ~30 s and the gap stays at tens of percent after 60 s (measured).
- `"highs-mip"`: the whole model as a MIP in HiGHS (no hint: MathOpt's HiGHS takes none). Good
  bounds, but at 1,000 jobs its root cut loop used the whole 60 s (measured gap 37%).
- `"lp-lns"`: (1) LP relaxation in HiGHS (dual simplex; ~5-10 s at 1,000 jobs x 9 regions x 48 h)
  gives the lower bound; (2) LP rounding (jobs the LP is surest about first, each to its
  largest-LP-value option that fits) gives the start; (3) large neighbourhood search: CP-SAT
  re-solves ~15-100 jobs at a time with the others fixed (their load taken off the capacity, their
  CO2 off the cap), neighbourhoods around unscheduled/high-regret jobs' best windows, busy
  region-hours, LP disagreements and at random, accepting strict improvements. The reported gap
  is against the LP bound, so it is honest but pessimistic (it includes the LP's integrality gap).
- `"auto"` (default): `"cp-sat"` up to `AUTO_EXACT_MAX_JOBS` jobs and `AUTO_EXACT_MAX_VARS`
  booleans, else `"lp-lns"`.

Infeasibility
-------------
Detected up front, raised as `JobsInfeasible` naming the job and constraint: unknown region,
window outside the horizon or shorter than the duration, no allowed region/time where the job's
power fits the capacity, missing prices for the cost objective, carbon cap below the least CO2 the
jobs could emit each in its best window ignoring capacity. When the set as a whole cannot be
placed (capacity or cap), `allow_partial=False` raises `JobsInfeasible` naming each job left out
and the binding constraint when the solve proves the number of unscheduled jobs minimal, and
`NoScheduleFound` when jobs are left out at the time limit without such a proof;
`allow_partial=True` returns the partial schedule (most jobs first, then the objective) with
`summary["unscheduled"]` listing every job left out, the constraint and why, and
`summary["unscheduled_proven_minimal"]`. Nothing is dropped silently.

Baselines
---------
`run_now_baseline`: every job starts at its earliest start in its home region and runs
consecutively. `best_window_per_job`: every job independently takes its best (region, start) (the
best hours in one region if interruptible) for the problem's objective, ignoring capacity and the
cap: what a per-job carbon-aware SDK returns. Its total is a lower bound of the optimum; both report
how much capacity they violate.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

POWER_UNITS_PER_KW = 1_000  # watts
CO2_UNITS_PER_KG = 10_000  # 0.1 g
COST_UNITS_PER_USD = 100_000  # 0.001 US cent
_EPS = 1e-9

Objective = Literal["carbon", "cost"]


class JobsInfeasible(ValueError):
    """The jobs cannot all be placed. `problems` lists (job_id or None, constraint, detail)."""

    def __init__(self, problems: Sequence[tuple[str | None, str, str]]):
        self.problems = list(problems)
        lines = [
            f"job {job!r}: {constraint}: {detail}" if job is not None else f"{constraint}: {detail}"
            for job, constraint, detail in self.problems
        ]
        shown = lines[:20]
        if len(lines) > 20:
            shown.append(f"... and {len(lines) - 20} more")
        super().__init__("; ".join(shown))


class NoScheduleFound(RuntimeError):
    """Jobs were left out at the time limit and infeasibility is not proven (raise the limit, or
    pass `allow_partial=True` to get the partial schedule with the jobs listed)."""


@dataclass(frozen=True)
class ComputeJob:
    """A batch job. Power while running is `energy_kwh / duration_hours` kW.

    `deadline_hour` is exclusive: the job must finish by the start of that hour.
    `interruptible`: may run any `duration_hours` hours of its window, all in one region.
    `home_region` (where it runs today) must be one of `allowed_regions`.
    """

    job_id: str
    energy_kwh: float
    duration_hours: int
    earliest_start_hour: int
    deadline_hour: int
    allowed_regions: tuple[str, ...]
    home_region: str
    interruptible: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed_regions", tuple(self.allowed_regions))
        if not (isinstance(self.energy_kwh, int | float) and self.energy_kwh > 0):
            raise ValueError(f"job {self.job_id!r}: energy_kwh must be > 0, got {self.energy_kwh}")
        if int(self.duration_hours) != self.duration_hours or self.duration_hours < 1:
            raise ValueError(
                f"job {self.job_id!r}: duration_hours must be a whole number >= 1, "
                f"got {self.duration_hours}"
            )
        if not self.allowed_regions:
            raise ValueError(f"job {self.job_id!r}: allowed_regions is empty")
        if self.home_region not in self.allowed_regions:
            raise ValueError(
                f"job {self.job_id!r}: home_region {self.home_region!r} is not in "
                f"allowed_regions {list(self.allowed_regions)}"
            )

    @property
    def power_kw(self) -> float:
        return self.energy_kwh / self.duration_hours


@dataclass(frozen=True)
class RegionSignal:
    """Hourly signals of one region; every array has one value per hour of the horizon."""

    region: str
    carbon_gco2_per_kwh: np.ndarray
    price_usd_per_kwh: np.ndarray | None
    capacity_kw: np.ndarray


@dataclass(frozen=True)
class JobProblem:
    """`hour_starts_utc`: consecutive hours (UTC; naive datetimes are read as UTC).
    `time_limit_s`: wall-clock budget of the whole solve (LP, heuristics and search).
    `num_workers`: CP-SAT threads. `allow_partial`: return the most jobs that fit instead of
    raising. `use_hint`: hint CP-SAT with the LP-rounding start. `log_search`: solver logs."""

    hour_starts_utc: Sequence[datetime] | pl.Series
    jobs: Sequence[ComputeJob]
    regions: Sequence[RegionSignal]
    objective: Objective = "carbon"
    carbon_cap_kg: float | None = None
    time_limit_s: float = 60.0
    num_workers: int = field(default_factory=lambda: min(8, os.cpu_count() or 1))
    # Stop when (objective - bound) / objective <= relative_gap_limit.
    relative_gap_limit: float = 1e-4
    allow_partial: bool = False
    # "auto": "cp-sat" for small problems, else "lp-lns". See the module docstring.
    method: Literal["auto", "cp-sat", "highs-mip", "lp-lns"] = "auto"
    use_hint: bool = True
    log_search: bool = False


@dataclass(frozen=True)
class JobSchedule:
    """`placements`: one row per scheduled job. `hourly`: one row per job-hour. `load`: per
    region-hour load against capacity. `summary`: status, objective, bound, gap, times, model
    size, totals, unscheduled jobs (with reasons) and the baseline comparisons."""

    placements: pl.DataFrame
    hourly: pl.DataFrame
    load: pl.DataFrame
    summary: dict[str, Any]


# --------------------------------------------------------------------------------------------
# Preparation: validation and candidate options
# --------------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    problem: JobProblem
    hours: pl.Series  # Datetime(us, UTC)
    region_names: list[str]
    carbon: np.ndarray  # (R, H) g/kWh
    price: np.ndarray  # (R, H) USD/kWh, NaN where missing
    has_price: np.ndarray  # (R,) bool
    capacity: np.ndarray  # (R, H) kW
    capacity_units: np.ndarray  # (R, H) int64 W, floored
    job_ids: list[str]
    power: np.ndarray  # (J,) kW
    power_units: np.ndarray  # (J,) int64 W, ceiled
    duration: np.ndarray  # (J,) int
    earliest: np.ndarray
    deadline: np.ndarray
    interruptible: np.ndarray  # (J,) bool
    home: np.ndarray  # (J,) region index
    allowed: list[np.ndarray]  # per job, region indices
    # non-interruptible options, grouped by job (job order)
    opt_job: np.ndarray
    opt_region: np.ndarray
    opt_start: np.ndarray
    opt_ptr: np.ndarray  # (J+1,)
    opt_co2: np.ndarray  # kg
    opt_cost: np.ndarray  # USD (NaN without price)
    # interruptible (job, region) choices, grouped by job; run hours grouped by choice
    ch_job: np.ndarray
    ch_region: np.ndarray
    ch_ptr: np.ndarray  # (J+1,)
    run_choice: np.ndarray
    run_hour: np.ndarray
    run_ptr: np.ndarray  # (n_choices+1,)
    run_co2: np.ndarray
    run_cost: np.ndarray
    no_fit: dict[int, str]  # job index -> why no option fits capacity (only with allow_partial)

    @property
    def n_jobs(self) -> int:
        return len(self.job_ids)

    @property
    def H(self) -> int:
        return self.carbon.shape[1]

    def n_options(self, j: int) -> int:
        if self.interruptible[j]:
            return int(self.ch_ptr[j + 1] - self.ch_ptr[j])
        return int(self.opt_ptr[j + 1] - self.opt_ptr[j])


def _hours_series(hour_starts: Sequence[datetime] | pl.Series) -> pl.Series:
    s = hour_starts if isinstance(hour_starts, pl.Series) else pl.Series(list(hour_starts))
    if len(s) == 0:
        raise ValueError("hour_starts_utc is empty")
    if not isinstance(s.dtype, pl.Datetime):
        raise ValueError(f"hour_starts_utc must hold datetimes, got {s.dtype}")
    if s.dtype.time_zone is None:
        s = s.dt.replace_time_zone("UTC")
    s = s.dt.convert_time_zone("UTC").dt.cast_time_unit("us").rename("hour_start_utc")
    if s.null_count():
        raise ValueError("hour_starts_utc has nulls")
    if len(s) > 1:
        steps = s.diff().drop_nulls().unique().to_list()
        if steps != [timedelta(hours=1)]:
            raise ValueError(f"hour_starts_utc must be consecutive hours, got steps {steps}")
    return s


def _region_array(values: Any, name: str, region: str, H: int) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.shape != (H,):
        raise ValueError(f"region {region!r}: {name} has shape {a.shape}, expected ({H},)")
    if not np.all(np.isfinite(a)):
        bad = int(np.flatnonzero(~np.isfinite(a))[0])
        raise ValueError(f"region {region!r}: {name} is not finite at hour {bad}")
    if np.any(a < 0):
        bad = int(np.flatnonzero(a < 0)[0])
        raise ValueError(f"region {region!r}: {name} is negative at hour {bad}")
    return a


def _prepare(problem: JobProblem) -> _Prepared:
    if problem.objective not in ("carbon", "cost"):
        raise ValueError(f"objective must be 'carbon' or 'cost', got {problem.objective!r}")
    hours = _hours_series(problem.hour_starts_utc)
    H = len(hours)
    names = [r.region for r in problem.regions]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate region names in {names}")
    R = len(names)
    carbon = np.zeros((R, H))
    price = np.full((R, H), np.nan)
    has_price = np.zeros(R, dtype=bool)
    capacity = np.zeros((R, H))
    for i, r in enumerate(problem.regions):
        carbon[i] = _region_array(r.carbon_gco2_per_kwh, "carbon_gco2_per_kwh", r.region, H)
        capacity[i] = _region_array(r.capacity_kw, "capacity_kw", r.region, H)
        if r.price_usd_per_kwh is not None:
            price[i] = _region_array(r.price_usd_per_kwh, "price_usd_per_kwh", r.region, H)
            has_price[i] = True
    capacity_units = np.floor(capacity * POWER_UNITS_PER_KW + _EPS).astype(np.int64)
    index = {n: i for i, n in enumerate(names)}

    jobs = list(problem.jobs)
    ids = [j.job_id for j in jobs]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))
        raise ValueError(f"duplicate job_id {dup!r}")

    problems: list[tuple[str | None, str, str]] = []
    for job in jobs:
        unknown = [r for r in job.allowed_regions if r not in index]
        if unknown:
            problems.append(
                (job.job_id, "allowed region unknown", f"{unknown} not among regions {names}")
            )
        if job.earliest_start_hour < 0 or job.deadline_hour > H:
            problems.append(
                (
                    job.job_id,
                    "window outside horizon",
                    f"window [{job.earliest_start_hour}, {job.deadline_hour}) is not within "
                    f"hours [0, {H})",
                )
            )
        if job.deadline_hour - job.earliest_start_hour < job.duration_hours:
            problems.append(
                (
                    job.job_id,
                    "window shorter than duration",
                    f"window [{job.earliest_start_hour}, {job.deadline_hour}) has "
                    f"{job.deadline_hour - job.earliest_start_hour} h, job needs "
                    f"{job.duration_hours} h",
                )
            )
        if problem.objective == "cost" and not unknown:
            missing = [r for r in job.allowed_regions if not has_price[index[r]]]
            if missing:
                problems.append(
                    (job.job_id, "price missing", f"objective 'cost' needs prices for {missing}")
                )
    if problems:
        raise JobsInfeasible(problems)

    J = len(jobs)
    power = np.array([j.power_kw for j in jobs], dtype=float)
    power_units = np.ceil(power * POWER_UNITS_PER_KW - _EPS).astype(np.int64)
    duration = np.array([j.duration_hours for j in jobs], dtype=np.int64)
    earliest = np.array([j.earliest_start_hour for j in jobs], dtype=np.int64)
    deadline = np.array([j.deadline_hour for j in jobs], dtype=np.int64)
    interruptible = np.array([j.interruptible for j in jobs], dtype=bool)
    home = np.array([index[j.home_region] for j in jobs], dtype=np.int64)
    allowed = [
        np.array(sorted({index[r] for r in j.allowed_regions}), dtype=np.int64) for j in jobs
    ]

    carbon_cum = np.concatenate([np.zeros((R, 1)), np.cumsum(carbon, axis=1)], axis=1)
    price_cum = np.concatenate([np.zeros((R, 1)), np.cumsum(np.nan_to_num(price), axis=1)], axis=1)
    min_cap: dict[int, np.ndarray] = {}

    opt_parts: list[tuple[int, np.ndarray, np.ndarray]] = []
    opt_ptr = np.zeros(J + 1, dtype=np.int64)
    ch_parts: list[tuple[int, int]] = []
    ch_ptr = np.zeros(J + 1, dtype=np.int64)
    run_parts: list[np.ndarray] = []
    no_fit: dict[int, str] = {}
    n_opt = 0
    for j in range(J):
        d, es, dl, pu = int(duration[j]), int(earliest[j]), int(deadline[j]), power_units[j]
        regs = allowed[j]
        if not interruptible[j]:
            if d not in min_cap:
                min_cap[d] = sliding_window_view(capacity_units, d, axis=1).min(axis=2)
            starts = np.arange(es, dl - d + 1)
            fit = min_cap[d][np.ix_(regs, starts)] >= pu
            ri, si = np.nonzero(fit)
            if len(ri):
                opt_parts.append((j, regs[ri], starts[si]))
            n_opt += len(ri)
        else:
            for r in regs:
                hrs = np.arange(es, dl)
                hrs = hrs[capacity_units[r, hrs] >= pu]
                if len(hrs) >= d:
                    ch_parts.append((j, int(r)))
                    run_parts.append(hrs)
        opt_ptr[j + 1] = n_opt
        ch_ptr[j + 1] = len(ch_parts)
        if opt_ptr[j + 1] == opt_ptr[j] and ch_ptr[j + 1] == ch_ptr[j]:
            best = max(
                (float(capacity[r, es:dl].max()), names[r]) for r in regs
            )  # largest capacity anywhere in the window
            no_fit[j] = (
                f"no allowed region has {power[j]:.1f} kW free for "
                f"{'any' if interruptible[j] else 'consecutive'} {d} h in window [{es}, {dl}) "
                f"(largest capacity in the window: {best[0]:.1f} kW in {best[1]})"
            )
    if no_fit and not problem.allow_partial:
        raise JobsInfeasible(
            [(ids[j], "capacity (job does not fit anywhere)", why) for j, why in no_fit.items()]
        )

    if opt_parts:
        opt_job = np.concatenate([np.full(len(r), j, dtype=np.int64) for j, r, _ in opt_parts])
        opt_region = np.concatenate([r for _, r, _ in opt_parts]).astype(np.int64)
        opt_start = np.concatenate([s for _, _, s in opt_parts]).astype(np.int64)
    else:
        opt_job = opt_region = opt_start = np.zeros(0, dtype=np.int64)
    d_opt = duration[opt_job]
    opt_co2 = (
        power[opt_job]
        * (carbon_cum[opt_region, opt_start + d_opt] - carbon_cum[opt_region, opt_start])
        / 1000.0
    )
    opt_cost = power[opt_job] * (
        price_cum[opt_region, opt_start + d_opt] - price_cum[opt_region, opt_start]
    )
    opt_cost = np.where(has_price[opt_region], opt_cost, np.nan)

    ch_job = np.array([c[0] for c in ch_parts], dtype=np.int64)
    ch_region = np.array([c[1] for c in ch_parts], dtype=np.int64)
    run_ptr = np.zeros(len(ch_parts) + 1, dtype=np.int64)
    if run_parts:
        run_ptr[1:] = np.cumsum([len(h) for h in run_parts])
        run_hour = np.concatenate(run_parts).astype(np.int64)
        run_choice = np.repeat(np.arange(len(ch_parts)), np.diff(run_ptr))
    else:
        run_hour = run_choice = np.zeros(0, dtype=np.int64)
    run_region = ch_region[run_choice] if len(run_choice) else run_choice
    run_job = ch_job[run_choice] if len(run_choice) else run_choice
    run_co2 = power[run_job] * carbon[run_region, run_hour] / 1000.0
    run_cost = power[run_job] * price[run_region, run_hour]

    return _Prepared(
        problem=problem,
        hours=hours,
        region_names=names,
        carbon=carbon,
        price=price,
        has_price=has_price,
        capacity=capacity,
        capacity_units=capacity_units,
        job_ids=ids,
        power=power,
        power_units=power_units,
        duration=duration,
        earliest=earliest,
        deadline=deadline,
        interruptible=interruptible,
        home=home,
        allowed=allowed,
        opt_job=opt_job,
        opt_region=opt_region,
        opt_start=opt_start,
        opt_ptr=opt_ptr,
        opt_co2=opt_co2,
        opt_cost=opt_cost,
        ch_job=ch_job,
        ch_region=ch_region,
        ch_ptr=ch_ptr,
        run_choice=run_choice,
        run_hour=run_hour,
        run_ptr=run_ptr,
        run_co2=run_co2,
        run_cost=run_cost,
        no_fit=no_fit,
    )


# --------------------------------------------------------------------------------------------
# Assignments (job -> region, hours), evaluation and baselines
# --------------------------------------------------------------------------------------------

# One entry per job: (region index, sorted hour indices) or None when unscheduled.
_Assignment = list[tuple[int, np.ndarray] | None]


def _evaluate(prep: _Prepared, assign: _Assignment) -> dict[str, Any]:
    """Totals and capacity / cap violations of an assignment, in float terms."""
    R, H = prep.carbon.shape
    load = np.zeros((R, H))
    co2 = cost = energy = 0.0
    cost_known = True
    for j, a in enumerate(assign):
        if a is None:
            continue
        r, hrs = a
        p = prep.power[j]
        np.add.at(load[r], hrs, p)
        co2 += p * float(prep.carbon[r, hrs].sum()) / 1000.0
        energy += p * len(hrs)
        if prep.has_price[r]:
            cost += p * float(prep.price[r, hrs].sum())
        else:
            cost_known = False
    over = load - prep.capacity
    bad = over > 1e-6
    jobs_hit = sum(1 for a in assign if a is not None and bool(np.any(bad[a[0], a[1]])))
    cap = prep.problem.carbon_cap_kg
    return {
        "n_jobs": prep.n_jobs,
        "n_scheduled": sum(a is not None for a in assign),
        "total_energy_kwh": float(energy),
        "total_co2_kg": float(co2),
        "total_cost_usd": float(cost) if cost_known else None,
        "carbon_cap_kg": cap,
        "carbon_cap_exceeded_kg": (max(0.0, float(co2) - cap) if cap is not None else None),
        "capacity_violations": {
            "overloaded_region_hours": int(bad.sum()),
            "max_overload_kw": float(over[bad].max()) if bad.any() else 0.0,
            "excess_energy_kwh": float(over[bad].sum()),
            "jobs_in_overloaded_hours": jobs_hit,
        },
        "_load": load,
    }


def _public(ev: dict[str, Any], name: str) -> dict[str, Any]:
    out = {"name": name}
    out.update({k: v for k, v in ev.items() if not k.startswith("_")})
    return out


def _run_now_assignment(prep: _Prepared) -> _Assignment:
    return [
        (int(prep.home[j]), np.arange(prep.earliest[j], prep.earliest[j] + prep.duration[j]))
        for j in range(prep.n_jobs)
    ]


def _best_window_assignment(prep: _Prepared, objective: Objective | None = None) -> _Assignment:
    """Per job, its best region and hours for the objective, ignoring capacity and the cap."""
    objective = objective or prep.problem.objective
    weight = prep.carbon / 1000.0 if objective == "carbon" else prep.price
    cum = np.concatenate([np.zeros((weight.shape[0], 1)), np.cumsum(weight, axis=1)], axis=1)
    out: _Assignment = []
    for j in range(prep.n_jobs):
        d, es, dl = int(prep.duration[j]), int(prep.earliest[j]), int(prep.deadline[j])
        regs = prep.allowed[j]
        if prep.interruptible[j]:
            w = weight[regs, es:dl]
            order = np.argsort(w, axis=1, kind="stable")[:, :d]
            totals = np.take_along_axis(w, order, axis=1).sum(axis=1)
            k = int(np.argmin(totals))
            out.append((int(regs[k]), np.sort(order[k]) + es))
        else:
            starts = np.arange(es, dl - d + 1)
            totals = cum[np.ix_(regs, starts + d)] - cum[np.ix_(regs, starts)]
            k, s = np.unravel_index(int(np.argmin(totals)), totals.shape)
            out.append((int(regs[k]), np.arange(starts[s], starts[s] + d)))
    return out


def run_now_baseline(problem: JobProblem) -> dict[str, Any]:
    """Every job starts at its earliest start in its home region (consecutive hours)."""
    prep = _prepare(problem)
    return _public(_evaluate(prep, _run_now_assignment(prep)), "run_now")


def best_window_per_job(problem: JobProblem) -> dict[str, Any]:
    """Every job independently takes its best (region, start) for the objective, ignoring
    capacity and the carbon cap; reports the capacity this violates. Lower bound of the optimum."""
    prep = _prepare(problem)
    return _public(_evaluate(prep, _best_window_assignment(prep)), "best_window_per_job")


# --------------------------------------------------------------------------------------------
# Greedy (capacity-aware): hint and reasons
# --------------------------------------------------------------------------------------------


def _obj_arrays(prep: _Prepared, by: Objective | None = None) -> tuple[np.ndarray, np.ndarray]:
    if (by or prep.problem.objective) == "carbon":
        return prep.opt_co2, prep.run_co2
    return prep.opt_cost, prep.run_cost


def _cheapest_fit(
    prep: _Prepared,
    j: int,
    remaining: np.ndarray,
    budget: float | None,
    lp: np.ndarray | None = None,
    by: Objective | None = None,
) -> tuple[float, float, int, np.ndarray] | None:
    """Best option of job j that fits `remaining` capacity (W) and the CO2 `budget` (kg):
    (objective, co2, region, hours), or None. With `lp` (LP values in model variable order),
    options with a larger LP value come first, then the better objective."""
    obj_opt, obj_run = _obj_arrays(prep, by)
    n_opt = len(prep.opt_job)
    run0 = n_opt + len(prep.ch_job)
    pu = prep.power_units[j]
    d = int(prep.duration[j])
    if not prep.interruptible[j]:
        lo, hi = prep.opt_ptr[j], prep.opt_ptr[j + 1]
        if lo == hi:
            return None
        regs, starts = prep.opt_region[lo:hi], prep.opt_start[lo:hi]
        hrs = starts[:, None] + np.arange(d)[None, :]
        ok = remaining[regs[:, None], hrs].min(axis=1) >= pu
        co2 = prep.opt_co2[lo:hi]
        if budget is not None:
            ok &= co2 <= budget + _EPS
        cand = np.flatnonzero(ok)
        if not len(cand):
            return None
        pref = np.round(lp[lo:hi][cand], 6) if lp is not None else np.zeros(len(cand))
        k = int(cand[np.lexsort((obj_opt[lo:hi][cand], -pref))[0]])
        return float(obj_opt[lo + k]), float(co2[k]), int(regs[k]), hrs[k]
    best = None
    best_key: tuple[float, float] | None = None
    for c in range(prep.ch_ptr[j], prep.ch_ptr[j + 1]):
        r = int(prep.ch_region[c])
        lo, hi = prep.run_ptr[c], prep.run_ptr[c + 1]
        hrs = prep.run_hour[lo:hi]
        ok = remaining[r, hrs] >= pu
        if ok.sum() < d:
            continue
        idx = np.flatnonzero(ok)
        zpref = np.round(lp[run0 + lo : run0 + hi][idx], 6) if lp is not None else 0 * idx
        take = idx[np.lexsort((obj_run[lo:hi][idx], -zpref))[:d]]
        obj = float(obj_run[lo:hi][take].sum())
        co2 = float(prep.run_co2[lo:hi][take].sum())
        if budget is not None and co2 > budget + _EPS:
            # the d least-carbon hours may still fit the budget
            take = idx[np.argsort(prep.run_co2[lo:hi][idx], kind="stable")[:d]]
            co2 = float(prep.run_co2[lo:hi][take].sum())
            if co2 > budget + _EPS:
                continue
            obj = float(obj_run[lo:hi][take].sum())
        key = (-round(float(lp[n_opt + c]), 6) if lp is not None else 0.0, obj)
        if best_key is None or key < best_key:
            best_key = key
            best = (obj, co2, r, np.sort(hrs[take]))
    return best


def _min_co2(prep: _Prepared, j: int) -> float:
    if not prep.interruptible[j]:
        lo, hi = prep.opt_ptr[j], prep.opt_ptr[j + 1]
        return float(prep.opt_co2[lo:hi].min()) if hi > lo else math.inf
    best = math.inf
    for c in range(prep.ch_ptr[j], prep.ch_ptr[j + 1]):
        lo, hi = prep.run_ptr[c], prep.run_ptr[c + 1]
        d = int(prep.duration[j])
        best = min(best, float(np.sort(prep.run_co2[lo:hi])[:d].sum()))
    return best


def _greedy(
    prep: _Prepared, lp: np.ndarray | None = None, by: Objective | None = None
) -> _Assignment:
    """Capacity-aware greedy. Without `lp`: most constrained jobs first (fewest options, then
    most energy), each taking its best option that fits the remaining capacity and carbon budget
    (keeping enough budget for the least CO2 of the jobs still to place). With `lp` (an LP
    relaxation solution): LP rounding, the jobs the LP is surest about first, each taking the
    fitting option with the largest LP value."""
    J = prep.n_jobs
    remaining = prep.capacity_units.copy()
    cap = prep.problem.carbon_cap_kg
    min_co2 = np.array([_min_co2(prep, j) for j in range(J)])
    if lp is None:
        order = sorted(
            range(J), key=lambda j: (prep.n_options(j), -prep.power[j] * prep.duration[j])
        )
    else:
        n_opt = len(prep.opt_job)
        sure = np.zeros(J)
        if n_opt:
            np.maximum.at(sure, prep.opt_job, lp[:n_opt])
        if len(prep.ch_job):
            np.maximum.at(sure, prep.ch_job, lp[n_opt : n_opt + len(prep.ch_job)])
        order = sorted(range(J), key=lambda j: (-round(sure[j], 6), prep.n_options(j)))
    reserve = float(np.sum(min_co2[np.isfinite(min_co2)]))
    used = 0.0
    assign: _Assignment = [None] * J
    for j in order:
        if np.isfinite(min_co2[j]):
            reserve -= min_co2[j]
        budget = None if cap is None else cap - used - max(reserve, 0.0)
        pick = _cheapest_fit(prep, j, remaining, budget, lp, by)
        if pick is None and budget is not None:
            pick = _cheapest_fit(prep, j, remaining, cap - used, lp, by)
        if pick is None:
            continue
        _, co2, r, hrs = pick
        remaining[r, hrs] -= prep.power_units[j]
        used += co2
        assign[j] = (r, hrs)
    return assign


# --------------------------------------------------------------------------------------------
# Model: solver-neutral sparse rows over a subset of jobs, then CP-SAT or MathOpt backends
# --------------------------------------------------------------------------------------------
#
# Global variable layout: [options x (n_opt) | region choices y (n_ch) | run hours z (n_run) |
# skip s (one per job)]. A model covers a subset of the jobs (all of them for the exact solve,
# a neighbourhood in LNS), the others being fixed: their load is taken off the capacity and
# their CO2 off the cap. A skipped job costs `big` (more than every selected job's worst option
# together), so minimising the objective first minimises the number of skipped jobs.


def _layout(prep: _Prepared) -> tuple[int, int, int, int]:
    n_opt, n_ch, n_run = len(prep.opt_job), len(prep.ch_job), len(prep.run_hour)
    return n_opt, n_opt + n_ch, n_opt + n_ch + n_run, n_opt + n_ch + n_run + prep.n_jobs


@dataclass
class _Model:
    gvar: np.ndarray  # local variable -> global variable
    rows: list[tuple[bool, np.ndarray, np.ndarray, int, int]]  # (exactly_one?, vars, k, lo, hi)
    obj: np.ndarray  # local objective, kg CO2 or USD; `big` on skip variables
    skip: np.ndarray  # local indices of skip variables
    big: float
    counts: dict[str, int]

    @property
    def n_vars(self) -> int:
        return len(self.gvar)


def _job_worst(prep: _Prepared) -> np.ndarray:
    """Per job, an upper bound of its objective over its options (for the skip penalty)."""
    obj_opt, obj_run = _obj_arrays(prep)
    worst = np.zeros(prep.n_jobs)
    if len(obj_opt):
        np.maximum.at(worst, prep.opt_job, np.nan_to_num(obj_opt))
    if len(obj_run):
        run_job = prep.ch_job[prep.run_choice]
        per = np.zeros(prep.n_jobs)
        np.maximum.at(per, run_job, np.nan_to_num(obj_run))
        worst = np.maximum(worst, per * prep.duration)
    return np.abs(worst)


def _build(
    prep: _Prepared,
    jobs: np.ndarray,
    *,
    skips: bool,
    capacity_units: np.ndarray | None = None,
    co2_budget_kg: float | None = None,
) -> _Model:
    H = prep.H
    g_ch0, g_run0, g_skip0, G = _layout(prep)
    sel = np.zeros(prep.n_jobs, dtype=bool)
    sel[jobs] = True
    so = np.flatnonzero(sel[prep.opt_job]) if g_ch0 else np.zeros(0, np.int64)
    sc = np.flatnonzero(sel[prep.ch_job]) if g_run0 > g_ch0 else np.zeros(0, np.int64)
    run_job = prep.ch_job[prep.run_choice] if g_skip0 > g_run0 else np.zeros(0, np.int64)
    sr = np.flatnonzero(sel[run_job]) if len(run_job) else np.zeros(0, np.int64)
    sj = np.flatnonzero(sel)
    gvar = np.concatenate(
        [so, g_ch0 + sc, g_run0 + sr, (g_skip0 + sj) if skips else np.zeros(0, np.int64)]
    ).astype(np.int64)
    g2l = np.full(G, -1, dtype=np.int64)
    g2l[gvar] = np.arange(len(gvar))
    rows: list[tuple[bool, np.ndarray, np.ndarray, int, int]] = []

    for j in sj.tolist():
        lits = np.concatenate(
            [
                g2l[prep.opt_ptr[j] : prep.opt_ptr[j + 1]],
                g2l[g_ch0 + prep.ch_ptr[j] : g_ch0 + prep.ch_ptr[j + 1]],
                g2l[[g_skip0 + j]] if skips else np.zeros(0, np.int64),
            ]
        )
        if not len(lits):  # pragma: no cover - callers only select jobs with options
            raise AssertionError(f"job {prep.job_ids[j]!r} without options reached the model")
        rows.append((True, lits, np.ones(len(lits), dtype=np.int64), 1, 1))

    for c in sc.tolist():  # interruptible: sum_t z[c, t] - d * y[c] == 0
        lo, hi = int(prep.run_ptr[c]), int(prep.run_ptr[c + 1])
        v = np.concatenate([g2l[g_run0 + lo : g_run0 + hi], g2l[[g_ch0 + c]]])
        k = np.ones(len(v), dtype=np.int64)
        k[-1] = -int(prep.duration[prep.ch_job[c]])
        rows.append((False, v, k, 0, 0))

    # capacity rows: power in W rounded up, capacity in W rounded down
    cap_units = prep.capacity_units if capacity_units is None else capacity_units
    d_opt = prep.duration[prep.opt_job[so]]
    rep = np.repeat(so, d_opt)
    offs = np.arange(len(rep)) - np.repeat(np.cumsum(d_opt) - d_opt, d_opt)
    row_id = np.concatenate(
        [
            prep.opt_region[rep] * H + prep.opt_start[rep] + offs,
            prep.ch_region[prep.run_choice[sr]] * H + prep.run_hour[sr],
        ]
    ).astype(np.int64)
    var = np.concatenate([g2l[rep], g2l[g_run0 + sr]]).astype(np.int64)
    coef = np.concatenate(
        [prep.power_units[prep.opt_job[rep]], prep.power_units[run_job[sr]]]
    ).astype(np.int64)
    order = np.argsort(row_id, kind="stable")
    row_id, var, coef = row_id[order], var[order], coef[order]
    cap_flat = cap_units.reshape(-1)
    n_rows = n_terms = 0
    if len(row_id):
        cuts = np.flatnonzero(np.diff(row_id)) + 1
        starts = np.concatenate([[0], cuts])
        ends = np.concatenate([cuts, [len(row_id)]])
        sums = np.add.reduceat(coef, starts)
        for a, b, total in zip(starts.tolist(), ends.tolist(), sums.tolist(), strict=True):
            limit = int(cap_flat[row_id[a]])
            if total <= limit:
                continue  # cannot bind even if every candidate runs here
            rows.append((False, var[a:b], coef[a:b], 0, max(limit, 0)))
            n_rows += 1
            n_terms += b - a

    # carbon cap: CO2 coefficients rounded up, cap rounded down
    cap = prep.problem.carbon_cap_kg if co2_budget_kg is None else co2_budget_kg
    if cap is not None:
        co2 = np.concatenate([prep.opt_co2[so], prep.run_co2[sr]]) * CO2_UNITS_PER_KG
        rows.append(
            (
                False,
                np.concatenate([g2l[so], g2l[g_run0 + sr]]),
                np.ceil(co2 - 1e-6).astype(np.int64),
                0,
                max(0, int(math.floor(cap * CO2_UNITS_PER_KG + 1e-6))),
            )
        )

    obj_opt, obj_run = _obj_arrays(prep)
    big = 1.0 + float(_job_worst(prep)[sj].sum())
    obj = np.concatenate(
        [obj_opt[so], np.zeros(len(sc)), obj_run[sr], np.full(len(sj) if skips else 0, big)]
    )
    skip = np.arange(len(so) + len(sc) + len(sr), len(gvar)) if skips else np.zeros(0, np.int64)
    counts = {
        "jobs": len(sj),
        "option_vars": len(so),
        "region_choice_vars": len(sc),
        "run_hour_vars": len(sr),
        "skip_vars": len(skip),
        "bool_vars": len(gvar),
        "constraints": len(rows),
        "capacity_rows": n_rows,
        "capacity_terms": n_terms,
    }
    return _Model(gvar, rows, obj, skip, big, counts)


def _global_values(prep: _Prepared, assign: _Assignment) -> np.ndarray:
    """Assignment -> 0/1 vector in the global layout (skip = 1 for unscheduled jobs)."""
    g_ch0, g_run0, g_skip0, G = _layout(prep)
    values = np.zeros(G, dtype=np.int64)
    for j, a in enumerate(assign):
        if a is None:
            values[g_skip0 + j] = 1
            continue
        r, hrs = a
        if not prep.interruptible[j]:
            lo, hi = prep.opt_ptr[j], prep.opt_ptr[j + 1]
            k = np.flatnonzero((prep.opt_region[lo:hi] == r) & (prep.opt_start[lo:hi] == hrs[0]))
            values[lo + k[:1]] = 1
        else:
            for c in range(prep.ch_ptr[j], prep.ch_ptr[j + 1]):
                if prep.ch_region[c] == r:
                    values[g_ch0 + c] = 1
                    lo, hi = prep.run_ptr[c], prep.run_ptr[c + 1]
                    on = np.isin(prep.run_hour[lo:hi], hrs)
                    values[g_run0 + lo + np.flatnonzero(on)] = 1
    return values


def _decode(prep: _Prepared, m: _Model, local: np.ndarray, base: _Assignment) -> _Assignment:
    """The model's jobs take their solved placement; the other jobs keep theirs from `base`."""
    g_ch0, g_run0, g_skip0, G = _layout(prep)
    values = np.zeros(G, dtype=np.int64)
    values[m.gvar] = local
    assign = list(base)
    jobs = set()
    for g in m.gvar.tolist():
        if g < g_ch0:
            jobs.add(int(prep.opt_job[g]))
        elif g < g_run0:
            jobs.add(int(prep.ch_job[g - g_ch0]))
        elif g >= g_skip0:
            jobs.add(g - g_skip0)
    for j in jobs:
        assign[j] = None
    for k in np.flatnonzero(values[:g_ch0]).tolist():
        j = int(prep.opt_job[k])
        s = int(prep.opt_start[k])
        assign[j] = (int(prep.opt_region[k]), np.arange(s, s + prep.duration[j]))
    for c in np.flatnonzero(values[g_ch0:g_run0]).tolist():
        lo, hi = prep.run_ptr[c], prep.run_ptr[c + 1]
        on = values[g_run0 + lo : g_run0 + hi].astype(bool)
        assign[int(prep.ch_job[c])] = (int(prep.ch_region[c]), prep.run_hour[lo:hi][on])
    return assign


def _check_rows(m: _Model, values: np.ndarray) -> None:
    """Every row holds exactly (integer data): guards against a backend returning junk."""
    for one, v, k, lo, hi in m.rows:
        s = int(np.dot(values[v], k))
        if not lo <= s <= hi:  # pragma: no cover - solver bug guard
            kind = "exactly-one" if one else "linear"
            raise AssertionError(f"{kind} row violated: {s} not in [{lo}, {hi}]")


@dataclass
class _Run:
    status: str  # OPTIMAL (within the gap limit) / FEASIBLE / INFEASIBLE / UNKNOWN
    values: np.ndarray | None  # local 0/1
    n_skipped: int | None
    objective: float | None  # without the skip penalty; kg CO2 or USD
    bound: float | None  # for schedules skipping n_skipped jobs; None if that count is unproven
    skips_proven_minimal: bool
    wall_s: float
    build_s: float = 0.0  # building the solver's own model (proto) from the rows


def _finish_run(
    m: _Model, status: str, values: np.ndarray | None, bound: float | None, wall: float
) -> _Run:
    if values is None:
        return _Run(status, None, None, None, None, False, wall)
    _check_rows(m, values)
    n_skip = int(values[m.skip].sum()) if len(m.skip) else 0
    objective = float(np.dot(m.obj, values)) - m.big * n_skip
    proven = n_skip == 0 or (bound is not None and bound >= m.big * n_skip - 1e-6)
    obj_bound = None
    if bound is not None and proven:
        obj_bound = min(objective, bound - m.big * n_skip)
    return _Run(status, values, n_skip, objective, obj_bound, proven, wall)


def _solve_cpsat(
    m: _Model,
    prep: _Prepared,
    scale: float,
    hint: np.ndarray | None,
    time_limit: float,
    *,
    log: bool = False,
    presolve: bool = True,  # False: light presolve (no probing)
) -> _Run:
    from ortools.sat.python import cp_model

    tb = time.perf_counter()
    model = cp_model.CpModel()
    proto = model.proto
    for _ in range(m.n_vars):
        proto.variables.add().domain.extend([0, 1])
    for one, v, k, lo, hi in m.rows:
        c = proto.constraints.add()
        if one:
            c.exactly_one.literals.extend(v.tolist())
        else:
            c.linear.vars.extend(v.tolist())
            c.linear.coeffs.extend(k.tolist())
            c.linear.domain.extend([lo, hi])
    units = np.rint(m.obj * scale).astype(np.int64)
    big_units = int(units[m.skip].max()) if len(m.skip) else 0
    nz = np.flatnonzero(units)
    proto.objective.vars.extend(nz.tolist())
    proto.objective.coeffs.extend(units[nz].tolist())
    if hint is not None:
        proto.solution_hint.vars.extend(range(m.n_vars))
        proto.solution_hint.values.extend(hint.tolist())
    build_s = time.perf_counter() - tb
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(0.05, time_limit)
    p.num_workers = max(1, int(prep.problem.num_workers))
    p.relative_gap_limit = float(prep.problem.relative_gap_limit)
    p.random_seed = 0
    p.log_search_progress = log
    if not presolve:
        # LNS sub-problems need answers in ~1 s: CP-SAT's presolve took >1 s on 50-job
        # sub-problems with a carbon-cap row, mostly probing, so they go without probing.
        p.cp_model_probing_level = 0
    status = solver.solve(model)
    name = solver.status_name(status)
    if name == "MODEL_INVALID":  # pragma: no cover
        raise AssertionError(f"CP-SAT model invalid: {model.validate()}")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        run = _finish_run(m, name, None, None, solver.wall_time)
        run.build_s = build_s
        return run
    values = np.asarray(solver.response_proto.solution, dtype=np.int64)[: m.n_vars]
    bound_units = solver.best_objective_bound
    # bound in objective units; the skip penalty in units is big_units, not big * scale exactly
    n_skip = int(values[m.skip].sum()) if len(m.skip) else 0
    bound = None
    if n_skip == 0 or bound_units >= big_units * n_skip - 0.5:
        bound = (bound_units - big_units * n_skip) / scale + m.big * n_skip
    run = _finish_run(m, name, values, bound, solver.wall_time)
    run.build_s = build_s
    return run


def _mathopt_model(m: _Model, *, integer: bool):
    """The rows as a MathOpt model, built through its proto (fast for 10^5 variables).
    Capacity and cap rows are scaled (W -> kW, 0.1 g -> kg) for the LP's numerics."""
    from ortools.math_opt import model_pb2
    from ortools.math_opt.python import mathopt

    proto = model_pb2.ModelProto()
    proto.variables.ids.extend(range(m.n_vars))
    proto.variables.lower_bounds.extend([0.0] * m.n_vars)
    proto.variables.upper_bounds.extend([1.0] * m.n_vars)
    proto.variables.integers.extend([integer] * m.n_vars)
    nz = np.flatnonzero(m.obj)
    proto.objective.linear_coefficients.ids.extend(nz.tolist())
    proto.objective.linear_coefficients.values.extend(m.obj[nz].tolist())
    n_rows = len(m.rows)
    factor = np.array(
        [1.0 if one or hi <= 1 else 1.0 / POWER_UNITS_PER_KW for one, _, _, _, hi in m.rows]
    )
    lower = np.array([r[3] for r in m.rows], dtype=float) * factor
    upper = np.array([r[4] for r in m.rows], dtype=float) * factor
    proto.linear_constraints.ids.extend(range(n_rows))
    proto.linear_constraints.lower_bounds.extend(lower.tolist())
    proto.linear_constraints.upper_bounds.extend(upper.tolist())
    lengths = np.array([len(r[1]) for r in m.rows], dtype=np.int64)
    cols = np.concatenate([r[1] for r in m.rows]) if n_rows else np.zeros(0, np.int64)
    vals = np.concatenate([r[2] for r in m.rows]) if n_rows else np.zeros(0, np.int64)
    row_ids = np.repeat(np.arange(n_rows), lengths)
    vals = vals * factor[row_ids]
    order = np.lexsort((cols, row_ids))  # row-major, columns sorted within a row
    mat = proto.linear_constraint_matrix
    mat.row_ids.extend(row_ids[order].tolist())
    mat.column_ids.extend(cols[order].tolist())
    mat.coefficients.extend(vals[order].tolist())
    return mathopt.Model.from_model_proto(proto)


def _mathopt_solve(m: _Model, prep: _Prepared, time_limit: float, *, integer: bool, log: bool):
    from ortools.math_opt.python import mathopt

    model = _mathopt_model(m, integer=integer)
    params = mathopt.SolveParameters(
        time_limit=timedelta(seconds=max(0.05, time_limit)),
        relative_gap_tolerance=float(prep.problem.relative_gap_limit),
        enable_output=log,
        random_seed=0,
    )
    return mathopt, mathopt.solve(model, mathopt.SolverType.HIGHS, params=params)


def _solve_highs_mip(m: _Model, prep: _Prepared, time_limit: float, *, log: bool) -> _Run:
    """The same model as a MIP in HiGHS (MathOpt); MathOpt passes HiGHS no hint."""
    mathopt, result = _mathopt_solve(m, prep, time_limit, integer=True, log=log)
    wall = result.solve_stats.solve_time.total_seconds()
    reason = result.termination.reason
    bound = result.termination.objective_bounds.dual_bound
    if result.has_primal_feasible_solution():
        sol = result.solutions[0].primal_solution
        values = np.zeros(m.n_vars, dtype=np.int64)
        for var, x in sol.variable_values.items():
            if x > 0.5:
                values[var.id] = 1
        status = "OPTIMAL" if reason == mathopt.TerminationReason.OPTIMAL else "FEASIBLE"
        return _finish_run(m, status, values, float(bound) if math.isfinite(bound) else None, wall)
    status = "INFEASIBLE" if reason == mathopt.TerminationReason.INFEASIBLE else "UNKNOWN"
    return _finish_run(m, status, None, None, wall)


@dataclass
class _LP:
    status: str
    bound: float | None  # valid lower bound of the objective with every job in the LP placed
    values: np.ndarray | None  # global layout
    wall_s: float
    fractional_jobs: int | None


def _solve_lp(
    prep: _Prepared,
    jobs: np.ndarray,
    time_limit: float,
    *,
    log: bool,
    capacity_units: np.ndarray | None = None,
    co2_budget_kg: float | None = None,
    skips: bool = False,
) -> _LP:
    """LP relaxation (HiGHS dual simplex) with every job in `jobs` placed (or, with `skips`,
    skipped at a prohibitive cost: always feasible; the bound is then not reported)."""
    if not len(jobs):
        return _LP("SKIPPED", None, None, 0.0, None)
    m = _build(prep, jobs, skips=skips, capacity_units=capacity_units, co2_budget_kg=co2_budget_kg)
    mathopt, result = _mathopt_solve(m, prep, time_limit, integer=False, log=log)
    wall = result.solve_stats.solve_time.total_seconds()
    reason = result.termination.reason
    bound = result.termination.objective_bounds.dual_bound
    bound = float(bound) if math.isfinite(bound) else None
    if reason == mathopt.TerminationReason.INFEASIBLE:
        return _LP("INFEASIBLE", None, None, wall, None)
    if reason != mathopt.TerminationReason.OPTIMAL or not result.has_primal_feasible_solution():
        return _LP(reason.name, bound, None, wall, None)
    local = np.zeros(m.n_vars)
    for var, x in result.solutions[0].primal_solution.variable_values.items():
        local[var.id] = x
    values = np.zeros(_layout(prep)[3])
    values[m.gvar] = local
    g_ch0, g_run0, _, _ = _layout(prep)
    sure = np.zeros(prep.n_jobs)
    np.maximum.at(sure, prep.opt_job, values[:g_ch0])
    np.maximum.at(sure, prep.ch_job, values[g_ch0:g_run0])
    fractional = int(np.sum(sure[jobs] < 1 - 1e-6))
    return _LP("OPTIMAL", None if skips else bound, values, wall, fractional)


# --------------------------------------------------------------------------------------------
# Large neighbourhood search (CP-SAT on sub-problems, the rest of the schedule fixed)
# --------------------------------------------------------------------------------------------


def _objective_of(prep: _Prepared, assign: _Assignment) -> tuple[int, float]:
    """(unscheduled jobs, objective) of an assignment."""
    key = "total_co2_kg" if prep.problem.objective == "carbon" else "total_cost_usd"
    ev = _evaluate(prep, assign)
    return prep.n_jobs - ev["n_scheduled"], float(ev[key] or 0.0)


def _neighbourhood(
    prep: _Prepared,
    assign: _Assignment,
    kind: str,
    k: int,
    rng: np.random.Generator,
    candidates: np.ndarray,
    ctx: dict[str, Any],
) -> np.ndarray:
    """About k jobs to re-optimise; unscheduled candidates are always in.

    - "regret": an unscheduled job, or a job far from its own best window (current minus
      best-window objective, sampled by that regret), seeds a region and window around its best
      option; free the jobs running there (up to half) and the highest-regret jobs that could
      run there.
    - "hot": the same around a busy region-hour (sampled by utilisation^4), others at random.
    - "lp": jobs placed differently from the LP relaxation, topped up at random.
    - "random": jobs at random.
    """
    placed_mask = np.array([assign[j] is not None for j in range(prep.n_jobs)])
    cand_mask = np.zeros(prep.n_jobs, dtype=bool)
    cand_mask[candidates] = True
    skipped = np.flatnonzero(cand_mask & ~placed_mask)
    placed = np.flatnonzero(cand_mask & placed_mask)
    k_rest = max(k - len(skipped), 0)
    regret = ctx["regret"]
    if kind in ("regret", "hot") and len(placed):
        H = prep.H
        if kind == "regret" and (len(skipped) or regret[placed].sum() > 0):
            if len(skipped) and (rng.random() < 0.7 or regret[placed].sum() <= 0):
                seed = int(rng.choice(skipped))  # make room around an unscheduled job
            else:
                w = regret[placed] ** 2
                seed = int(rng.choice(placed, p=w / w.sum()))
            r, hrs = ctx["best"][seed]
            t = int(hrs[len(hrs) // 2])
        else:
            util = (ctx["load"] / np.maximum(prep.capacity_units, 1)).reshape(-1)
            w = util**4 + 1e-12
            r, t = divmod(int(rng.choice(len(w), p=w / w.sum())), H)
        width = int(rng.integers(2, 10))
        t0, t1 = max(0, t - width), min(H, t + width + 1)
        d_opt = prep.duration[prep.opt_job]
        touch = (prep.opt_region == r) & (prep.opt_start < t1) & (prep.opt_start + d_opt > t0)
        pool = np.zeros(prep.n_jobs, dtype=bool)
        pool[prep.opt_job[touch]] = True
        touch_run = (ctx["run_region"] == r) & (prep.run_hour >= t0) & (prep.run_hour < t1)
        pool[prep.ch_job[prep.run_choice[touch_run]]] = True
        inside = np.array(
            [
                j
                for j in placed.tolist()
                if assign[j][0] == r and bool(np.any((assign[j][1] >= t0) & (assign[j][1] < t1)))
            ],
            dtype=np.int64,
        )
        pool[inside] = False
        pool &= placed_mask & cand_mask
        outside = np.flatnonzero(pool)
        if len(inside) > k_rest // 2:
            inside = rng.choice(inside, size=k_rest // 2, replace=False)
        n_more = max(k_rest - len(inside), 0)
        if len(outside) > n_more:
            if kind == "regret":
                noisy = regret[outside] * rng.uniform(0.5, 1.5, size=len(outside))
                outside = outside[np.argsort(-noisy)[:n_more]]
            else:
                outside = rng.choice(outside, size=n_more, replace=False)
        chosen = np.concatenate([inside, outside])
    elif kind == "lp" and ctx["lp"] is not None and len(placed):
        g_skip0 = _layout(prep)[2]
        diff = np.abs(ctx["values"][:g_skip0] - ctx["lp"][:g_skip0]) > 1e-6
        off = np.intersect1d(np.unique(ctx["var_job"][diff]), placed)
        if len(off) > k_rest:
            off = rng.choice(off, size=k_rest, replace=False)
        rest = np.setdiff1d(placed, off)
        extra = rng.choice(rest, size=min(max(k_rest - len(off), 0), len(rest)), replace=False)
        chosen = np.concatenate([off, extra])
    else:
        chosen = rng.choice(placed, size=min(k_rest, len(placed)), replace=False)
    return np.unique(np.concatenate([skipped, chosen.astype(np.int64)]))


def _job_objective(prep: _Prepared, j: int, a: tuple[int, np.ndarray] | None) -> float:
    if a is None:
        return 0.0
    w = (
        prep.carbon[a[0], a[1]] / 1000.0
        if prep.problem.objective == "carbon"
        else (prep.price[a[0], a[1]])
    )
    return float(prep.power[j] * np.nansum(w))


def _lns(
    prep: _Prepared,
    start: _Assignment,
    candidates: np.ndarray,
    deadline: float,
    lp: _LP,
    scale: float,
) -> tuple[_Assignment, dict[str, Any]]:
    """Large neighbourhood search: re-solve about k jobs at a time with CP-SAT (the rest fixed),
    accept strict improvements of (unscheduled jobs, objective); k grows when sub-problems are
    solved to optimality and shrinks when they time out without improving."""
    rng = np.random.default_rng(0)
    assign = list(start)
    J = prep.n_jobs
    cap = prep.problem.carbon_cap_kg
    best = _best_window_assignment(prep)
    best_obj = np.array([_job_objective(prep, j, best[j]) for j in range(J)])
    job_obj = np.array([_job_objective(prep, j, assign[j]) for j in range(J)])
    job_co2 = np.array(
        [
            prep.power[j] * float(prep.carbon[a[0], a[1]].sum()) / 1000.0 if a is not None else 0.0
            for j, a in enumerate(assign)
        ]
    )
    load = np.zeros_like(prep.capacity_units)
    for j, a in enumerate(assign):
        if a is not None:
            load[a[0], a[1]] += prep.power_units[j]
    ctx: dict[str, Any] = {
        "best": best,
        "load": load,
        "lp": lp.values,
        "values": _global_values(prep, assign),
        "var_job": np.concatenate([prep.opt_job, prep.ch_job, prep.ch_job[prep.run_choice]]),
        "run_region": prep.ch_region[prep.run_choice],
    }
    key = _objective_of(prep, assign)
    kinds = ["regret", "hot", "regret", "lp"] if lp.values is not None else ["regret", "hot"]
    kinds = [*kinds, "random"]
    k = min(len(candidates), _LNS_K0)
    stats: dict[str, Any] = {"iterations": 0, "improvements": 0, "start": key, "sizes": []}
    per_kind = {kd: {"iterations": 0, "improvements": 0, "gain": 0.0} for kd in kinds}
    trace = []
    target_gap = float(prep.problem.relative_gap_limit)
    while True:
        left = deadline - time.perf_counter()
        if left < 0.2 or not len(candidates):
            break
        if key[0] == 0 and lp.bound is not None and _gap(key[1], lp.bound) <= target_gap:
            stats["stopped"] = "gap limit vs LP bound"
            break
        kind = kinds[stats["iterations"] % len(kinds)]
        ctx["regret"] = np.maximum(job_obj - best_obj, 0.0)
        free = _neighbourhood(prep, assign, kind, k, rng, candidates, ctx)
        free_load = np.zeros_like(load)
        for j in free.tolist():
            if assign[j] is not None:
                free_load[assign[j][0], assign[j][1]] += prep.power_units[j]
        fixed_co2 = float(job_co2.sum() - job_co2[free].sum())
        m = _build(
            prep,
            free,
            skips=True,
            capacity_units=prep.capacity_units - (load - free_load),
            co2_budget_kg=None if cap is None else cap - fixed_co2,
        )
        hint = ctx["values"][m.gvar]
        sub_limit = min(left, max(_SUB_MIN_S, _SUB_SHARE * left))
        run = _solve_cpsat(m, prep, scale, hint, sub_limit, presolve=False)
        stats["iterations"] += 1
        stats["sizes"].append(len(free))
        per_kind[kind]["iterations"] += 1
        gain = 0.0
        improved = False
        if run.values is not None:
            old = (int(hint[m.skip].sum()), float(np.dot(m.obj, hint)))
            new = (int(run.values[m.skip].sum()), float(np.dot(m.obj, run.values)))
            if new < old and (new[0] < old[0] or old[1] - new[1] > 1e-9 * max(1.0, abs(old[1]))):
                improved = True
                assign = _decode(prep, m, run.values, assign)
                ctx["values"][m.gvar] = run.values
                load -= free_load
                for j in free.tolist():
                    a = assign[j]
                    job_obj[j] = _job_objective(prep, j, a)
                    job_co2[j] = (
                        prep.power[j] * float(prep.carbon[a[0], a[1]].sum()) / 1000.0
                        if a is not None
                        else 0.0
                    )
                    if a is not None:
                        load[a[0], a[1]] += prep.power_units[j]
                prev = key
                key = (sum(assign[j] is None for j in range(J)), float(job_obj.sum()))
                gain = prev[1] - key[1]
                stats["improvements"] += 1
                per_kind[kind]["improvements"] += 1
                per_kind[kind]["gain"] += gain
        trace.append((kind, len(free), run.status, round(run.wall_s, 2), round(gain, 2)))
        solved = run.status == "OPTIMAL"
        if solved and len(free) == len(candidates) and run.bound is not None:
            # the neighbourhood was the whole problem: solved exactly
            stats["exact_bound"] = run.bound
            stats["stopped"] = "whole problem solved exactly"
            break
        if solved:
            k = int(min(len(candidates), k * 1.15 + 1))
        elif not improved:
            k = int(max(15, k * 0.85))
    key = _objective_of(prep, assign)
    stats["final"] = key
    stats["final_size"] = k
    stats["per_kind"] = per_kind
    stats["trace"] = trace[-200:]  # (kind, jobs, CP-SAT status, seconds, objective gain)
    stats["sizes"] = {
        "min": min(stats["sizes"], default=0),
        "max": max(stats["sizes"], default=0),
        "mean": float(np.mean(stats["sizes"])) if stats["sizes"] else 0.0,
    }
    return assign, stats


# --------------------------------------------------------------------------------------------
# Solve
# --------------------------------------------------------------------------------------------


AUTO_EXACT_MAX_JOBS = 100
_LNS_K0 = 60  # first neighbourhood size (jobs)
_SUB_MIN_S = 1.0  # time limit of one LNS sub-problem: max(_SUB_MIN_S, _SUB_SHARE x time left)
_SUB_SHARE = 0.05
AUTO_EXACT_MAX_VARS = 12_000


def _unscheduled_reasons(prep: _Prepared, assign: _Assignment, proven: bool) -> list[dict]:
    """Why each unscheduled job is out, judged against what the partial schedule leaves free."""
    remaining = prep.capacity_units.copy()
    used = 0.0
    for j, a in enumerate(assign):
        if a is not None:
            remaining[a[0], a[1]] -= prep.power_units[j]
            used += prep.power[j] * float(prep.carbon[a[0], a[1]].sum()) / 1000.0
    cap = prep.problem.carbon_cap_kg
    proof = (
        "the number of unscheduled jobs is proven minimal"
        if proven
        else "not proven minimal: the search stopped at the time limit"
    )
    out = []
    for j, a in enumerate(assign):
        if a is not None:
            continue
        if j in prep.no_fit:
            constraint, why = "capacity", prep.no_fit[j]
        elif _cheapest_fit(prep, j, remaining, None) is None:
            constraint = "capacity"
            why = (
                "every allowed (region, hours) option overlaps a region-hour that the scheduled "
                f"jobs fill ({proof})"
            )
        elif cap is not None and _cheapest_fit(prep, j, remaining, cap - used) is None:
            constraint = "carbon cap"
            why = (
                f"its least-CO2 option that fits the free capacity needs more than the "
                f"{max(cap - used, 0.0):.3f} kg left under the {cap:.3f} kg cap "
                f"(the scheduled jobs emit {used:.3f} kg; {proof})"
            )
        else:
            constraint = "time limit"
            why = "it fits what is left, but the search stopped before placing it"
        out.append({"job_id": prep.job_ids[j], "constraint": constraint, "reason": why})
    return out


def _gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None:
        return None
    diff = obj - bound
    return 0.0 if diff <= 1e-9 * max(1.0, abs(obj)) else diff / max(abs(obj), 1e-12)


def solve_jobs(problem: JobProblem) -> JobSchedule:
    """Place the jobs (see the module docstring for the model and methods).

    Raises `JobsInfeasible` when the set cannot be placed (and `allow_partial` is False),
    `NoScheduleFound` when jobs are left out at the time limit without proof that they must be.
    """
    t0 = time.perf_counter()
    deadline = t0 + float(problem.time_limit_s)
    prep = _prepare(problem)
    J = prep.n_jobs
    run_now = _evaluate(prep, _run_now_assignment(prep))
    best_window = _evaluate(prep, _best_window_assignment(prep))
    cap = problem.carbon_cap_kg
    cap_hopeless = False
    if cap is not None:
        least = _evaluate(prep, _best_window_assignment(prep, "carbon"))["total_co2_kg"]
        if least > cap + 1e-9:
            cap_hopeless = True
            if not problem.allow_partial:
                raise JobsInfeasible(
                    [
                        (
                            None,
                            "carbon cap",
                            f"the jobs emit at least {least:.3f} kg CO2 even each in its least-"
                            f"carbon window ignoring capacity, above the cap of {cap:.3f} kg",
                        )
                    ]
                )
    candidates = np.array([j for j in range(J) if j not in prep.no_fit], dtype=np.int64)
    scale = float(CO2_UNITS_PER_KG if problem.objective == "carbon" else COST_UNITS_PER_USD)
    log = bool(problem.log_search)

    tb = time.perf_counter()
    full = _build(prep, candidates, skips=True)
    build_s = time.perf_counter() - tb
    method = problem.method
    if method == "auto":
        small = (
            len(candidates) <= AUTO_EXACT_MAX_JOBS
            and full.counts["bool_vars"] <= AUTO_EXACT_MAX_VARS
        )
        method = "cp-sat" if small else "lp-lns"

    lp = _LP("SKIPPED", None, None, 0.0, None)
    if method == "lp-lns" or (method == "cp-sat" and problem.use_hint):
        share = 0.5 if method == "lp-lns" else 0.2
        lp = _solve_lp(prep, candidates, share * (deadline - time.perf_counter()), log=log)
    tg = time.perf_counter()
    start = _greedy(prep, lp.values)
    start_how = "LP rounding" if lp.values is not None else "greedy"
    if cap is not None and problem.objective == "cost" and _objective_of(prep, start)[0]:
        # the cap ran out: a least-carbon greedy leaves the most budget for every job
        alt = _greedy(prep, None, by="carbon")
        if _objective_of(prep, alt)[0] < _objective_of(prep, start)[0]:
            start, start_how = alt, "least-carbon greedy (the cost start ran out of cap)"
    greedy_s = time.perf_counter() - tg

    info: dict[str, Any] = {
        "method": method,
        "lp": {
            "status": lp.status,
            "bound": lp.bound,
            "solve_time_s": lp.wall_s,
            "fractional_jobs": lp.fractional_jobs,
        },
        "start": {
            "how": start_how,
            "unscheduled_jobs": _objective_of(prep, start)[0],
            "objective_value": _objective_of(prep, start)[1],
            "time_s": greedy_s,
        },
    }
    proven_skips = False
    bound: float | None = None
    bound_source = None
    if method in ("cp-sat", "highs-mip"):
        left = deadline - time.perf_counter()
        if method == "cp-sat":
            hint = _global_values(prep, start)[full.gvar] if problem.use_hint else None
            run = _solve_cpsat(full, prep, scale, hint, left, log=log)
        else:
            run = _solve_highs_mip(full, prep, left, log=log)
        info["solver"] = {
            "status": run.status,
            "solve_time_s": run.wall_s,
            "model_build_time_s": run.build_s,
        }
        build_s += run.build_s
        solver_status = run.status
        if run.values is None:  # nothing found in time: keep the start schedule
            assign = start
            solver_status = f"{run.status} (kept the LP-rounding/greedy start)"
        else:
            assign = _decode(prep, full, run.values, [None] * J)
            proven_skips = run.skips_proven_minimal
            bound = run.bound
            bound_source = method
        solve_s = run.wall_s
    elif method == "lp-lns":
        ts = time.perf_counter()
        assign, stats = _lns(prep, start, candidates, deadline, lp, scale)
        solve_s = time.perf_counter() - ts
        info["lns"] = stats
        n_left = sum(assign[j] is None for j in candidates.tolist())
        proven_skips = n_left == 0
        if n_left == 0 and stats.get("exact_bound") is not None:
            bound = stats["exact_bound"]
            bound_source = "cp-sat (neighbourhood = whole problem)"
        elif n_left == 0 and lp.bound is not None:
            bound = lp.bound
            bound_source = "LP relaxation (HiGHS)"
        solver_status = "FEASIBLE"
    else:
        raise ValueError(f"unknown method {problem.method!r}")

    n_skip, objective_value = _objective_of(prep, assign)
    gap = _gap(objective_value, bound) if n_skip == len(prep.no_fit) else None
    unscheduled: list[dict] = []
    if n_skip:
        proven = proven_skips or cap_hopeless
        unscheduled = _unscheduled_reasons(prep, assign, proven)
        if not problem.allow_partial:
            problems = [(u["job_id"], u["constraint"], u["reason"]) for u in unscheduled]
            if proven or lp.status == "INFEASIBLE":
                raise JobsInfeasible(problems)
            raise NoScheduleFound(
                f"{len(unscheduled)} job(s) could not be placed within {problem.time_limit_s} s "
                "and infeasibility is not proven (raise time_limit_s or set allow_partial=True): "
                + "; ".join(f"{u['job_id']}: {u['reason']}" for u in unscheduled[:10])
            )
        status = "partial"
    elif gap is not None and gap == 0.0:
        status = "optimal"
    elif gap is not None and gap <= problem.relative_gap_limit + 1e-12:
        status = "optimal_within_gap_limit"
    else:
        status = "feasible"

    ev = _evaluate(prep, assign)
    summary = _summary(prep, assign, ev, full, run_now, best_window, start)
    summary.update(
        {
            "status": status,
            "solver_status": solver_status,
            "method": method,
            "objective_value": objective_value,
            "best_bound": bound,
            "bound_source": bound_source,
            "gap": gap,
            "unscheduled_proven_minimal": proven_skips if n_skip else None,
            "unscheduled": unscheduled,
            "build_time_s": build_s,
            "solve_time_s": solve_s,
            "details": info,
            "total_time_s": time.perf_counter() - t0,
        }
    )
    return JobSchedule(*_frames(prep, assign, ev["_load"]), summary=summary)


def _summary(
    prep: _Prepared,
    assign: _Assignment,
    ev: dict[str, Any],
    full: _Model,
    run_now: dict[str, Any],
    best_window: dict[str, Any],
    start: _Assignment,
) -> dict[str, Any]:
    objective = prep.problem.objective
    key = "total_co2_kg" if objective == "carbon" else "total_cost_usd"
    summary: dict[str, Any] = {
        "objective": objective,
        "objective_unit": "kg CO2" if objective == "carbon" else "USD",
        "relative_gap_limit": prep.problem.relative_gap_limit,
        "time_limit_s": prep.problem.time_limit_s,
        "num_workers": prep.problem.num_workers,
        "model": {
            "regions": len(prep.region_names),
            "hours": prep.H,
            **full.counts,
            "scales": {
                "power_units_per_kw": POWER_UNITS_PER_KW,
                "co2_units_per_kg": CO2_UNITS_PER_KG,
                "cost_units_per_usd": COST_UNITS_PER_USD,
            },
        },
        "n_jobs": prep.n_jobs,
        "n_scheduled": ev["n_scheduled"],
        "all_scheduled": ev["n_scheduled"] == prep.n_jobs,
        "total_energy_kwh": ev["total_energy_kwh"],
        "total_co2_kg": ev["total_co2_kg"],
        "total_cost_usd": ev["total_cost_usd"],
        "carbon_cap_kg": prep.problem.carbon_cap_kg,
        "capacity_violations": ev["capacity_violations"],
        "jobs_moved_region": sum(
            1 for j, a in enumerate(assign) if a is not None and a[0] != prep.home[j]
        ),
        "run_now": _public(run_now, "run_now"),
        "best_window_per_job": _public(best_window, "best_window_per_job"),
        "start_heuristic": _public(_evaluate(prep, start), "lp_rounding_or_greedy"),
    }
    ours = ev[key]
    for name, base in (("run_now", run_now), ("best_window_per_job", best_window)):
        theirs = base[key]
        if ours is not None and theirs is not None:
            summary[f"saving_vs_{name}"] = theirs - ours
            summary[f"saving_vs_{name}_pct"] = (
                100.0 * (theirs - ours) / theirs if abs(theirs) > 1e-12 else 0.0
            )
    return summary


def _frames(
    prep: _Prepared, assign: _Assignment, load: np.ndarray
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    hours = prep.hours
    one_h = timedelta(hours=1)
    names = prep.region_names
    rows, hourly = [], []
    for j, a in enumerate(assign):
        if a is None:
            continue
        r, hrs = a
        p = float(prep.power[j])
        co2_h = p * prep.carbon[r, hrs] / 1000.0
        cost_h = p * prep.price[r, hrs] if prep.has_price[r] else None
        rows.append(
            {
                "job_id": prep.job_ids[j],
                "region": names[r],
                "home_region": names[prep.home[j]],
                "interruptible": bool(prep.interruptible[j]),
                "start_utc": hours[int(hrs[0])],
                "end_utc": hours[int(hrs[-1])] + one_h,
                "hours": [int(h) for h in hrs],
                "delay_hours": int(hrs[0] - prep.earliest[j]),
                "power_kw": p,
                "energy_kwh": p * len(hrs),
                "co2_kg": float(co2_h.sum()),
                "cost_usd": float(cost_h.sum()) if cost_h is not None else None,
            }
        )
        for i, h in enumerate(hrs):
            hourly.append(
                (
                    prep.job_ids[j],
                    names[r],
                    int(h),
                    p,
                    float(co2_h[i]),
                    float(cost_h[i]) if cost_h is not None else None,
                )
            )
    placements = pl.DataFrame(
        rows,
        schema={
            "job_id": pl.String,
            "region": pl.String,
            "home_region": pl.String,
            "interruptible": pl.Boolean,
            "start_utc": pl.Datetime("us", "UTC"),
            "end_utc": pl.Datetime("us", "UTC"),
            "hours": pl.List(pl.Int32),
            "delay_hours": pl.Int32,
            "power_kw": pl.Float64,
            "energy_kwh": pl.Float64,
            "co2_kg": pl.Float64,
            "cost_usd": pl.Float64,
        },
    )
    hour_frame = pl.DataFrame({"hour": np.arange(prep.H, dtype=np.int32), "hour_start_utc": hours})
    hourly_df = (
        pl.DataFrame(
            hourly,
            schema={
                "job_id": pl.String,
                "region": pl.String,
                "hour": pl.Int32,
                "power_kw": pl.Float64,
                "co2_kg": pl.Float64,
                "cost_usd": pl.Float64,
            },
            orient="row",
        )
        .join(hour_frame, on="hour", how="left")
        .with_columns(pl.col("power_kw").alias("energy_kwh"))
        .select(
            "job_id",
            "region",
            "hour",
            "hour_start_utc",
            "power_kw",
            "energy_kwh",
            "co2_kg",
            "cost_usd",
        )
    )
    R, H = prep.carbon.shape
    load_df = pl.DataFrame(
        {
            "region": np.repeat(np.array(names, dtype=object), H).tolist(),
            "hour": np.tile(np.arange(H, dtype=np.int32), R),
            "hour_start_utc": pl.concat([hours] * R) if R else hours.clear(),
            "load_kw": load.reshape(-1),
            "capacity_kw": prep.capacity.reshape(-1),
            "carbon_gco2_per_kwh": prep.carbon.reshape(-1),
        }
    ).with_columns((pl.col("load_kw") / pl.col("capacity_kw")).fill_nan(None).alias("utilization"))
    return placements, hourly_df, load_df


# --------------------------------------------------------------------------------------------
# Synthetic problems (deterministic) for tests and benchmarks
# --------------------------------------------------------------------------------------------

# name, UTC offset (h), base gCO2/kWh, solar dip, evening peak, wind noise, price USD/kWh
_ARCHETYPES: list[tuple[str, int, float, float, float, float, float]] = [
    ("us-west", -8, 300.0, 190.0, 70.0, 25.0, 0.11),
    ("us-east", -5, 400.0, 50.0, 60.0, 30.0, 0.09),
    ("eu-central", 1, 380.0, 160.0, 60.0, 90.0, 0.16),
    ("eu-north", 1, 30.0, 5.0, 10.0, 8.0, 0.05),
    ("us-central", -6, 480.0, 40.0, 40.0, 110.0, 0.06),
    ("eu-west", 1, 70.0, 15.0, 30.0, 15.0, 0.12),
    ("uk", 0, 210.0, 50.0, 50.0, 70.0, 0.18),
    ("asia-east", 9, 470.0, 90.0, 50.0, 25.0, 0.14),
    ("australia-se", 10, 560.0, 260.0, 80.0, 60.0, 0.10),
    ("india", 5, 650.0, 110.0, 40.0, 30.0, 0.07),
    ("canada-east", -5, 35.0, 5.0, 15.0, 10.0, 0.06),
    ("us-south", -6, 390.0, 130.0, 60.0, 90.0, 0.07),
]


def _continent(name: str) -> str:
    return "eu" if name.startswith(("eu", "uk")) else name.split("-")[0]


def synthetic_job_problem(
    n_jobs: int,
    n_regions: int = 9,
    hours: int = 48,
    seed: int = 0,
    *,
    objective: Objective = "carbon",
    carbon_cap_kg: float | None = None,
    capacity_headroom: float = 2.0,
    interruptible_share: float = 0.3,
    start_utc: datetime = datetime(2025, 6, 1, tzinfo=UTC),
    time_limit_s: float = 60.0,
    **problem_kwargs: Any,
) -> JobProblem:
    """Deterministic synthetic instance.

    Regions follow archetypes (solar-heavy duck curves, wind-driven, hydro/nuclear-flat,
    coal-heavy) shifted to their local time, with day-to-day cloudiness and AR(1) wind noise; prices
    are only loosely tied to carbon. Jobs: power lognormal (median 80 kW), durations 1-8 h, windows
    of 0-36 h slack mostly starting on the first day, 20% pinned to their home region, 40% to
    their continent, the rest anywhere; `interruptible_share` interruptible. Data-centre capacity
    is `capacity_headroom` x the mean load per region (varied by region, with a maintenance dip in
    some), and at least 1.5x the largest job.
    """
    rng = np.random.default_rng(seed)
    arche = [_ARCHETYPES[i % len(_ARCHETYPES)] for i in range(n_regions)]
    names = [
        a[0] if i < len(_ARCHETYPES) else f"{a[0]}-{i // len(_ARCHETYPES) + 1}"
        for i, a in enumerate(arche)
    ]
    t = np.arange(hours)
    hour0 = start_utc.hour
    carbon = np.zeros((n_regions, hours))
    price = np.zeros((n_regions, hours))
    for i, (_, offset, base, dip, peak, wind, p0) in enumerate(arche):
        local = (t + hour0 + offset) % 24
        day = (t + hour0 + offset) // 24
        solar = np.clip(np.sin(np.pi * (local - 6) / 12), 0, None) ** 1.5
        cloud = rng.uniform(0.5, 1.0, size=int(day.max() - day.min()) + 1)[day - day.min()]
        evening = np.exp(-((local - 19) ** 2) / 8.0)
        morning = np.exp(-((local - 8) ** 2) / 6.0)
        noise = np.zeros(hours)
        eps = rng.normal(0, 1, size=hours)
        for k in range(hours):
            noise[k] = (0.85 * noise[k - 1] if k else 0.0) + eps[k] * math.sqrt(1 - 0.85**2)
        c = base - dip * solar * cloud + peak * evening + wind * noise
        carbon[i] = np.clip(c, 8.0, None)
        pr = p0 * (1 + 0.45 * evening + 0.2 * morning - 0.25 * solar * cloud * (dip / 200))
        price[i] = np.clip(pr + 0.01 * rng.normal(0, 1, size=hours), 0.01, None)

    # jobs
    power = np.clip(rng.lognormal(math.log(80.0), 0.8, size=n_jobs), 5.0, 1500.0)
    duration = rng.choice(
        np.arange(1, 9), size=n_jobs, p=[0.2, 0.18, 0.15, 0.12, 0.1, 0.1, 0.08, 0.07]
    )
    duration = np.minimum(duration, hours)
    slack = rng.choice(
        [0, 2, 4, 8, 12, 24, 36], size=n_jobs, p=[0.1, 0.15, 0.2, 0.2, 0.15, 0.1, 0.1]
    )
    home = rng.integers(0, n_regions, size=n_jobs)
    scope = rng.choice(["home", "continent", "any"], size=n_jobs, p=[0.2, 0.4, 0.4])
    interruptible = rng.random(n_jobs) < interruptible_share
    first_day = min(24, hours)
    jobs = []
    for k in range(n_jobs):
        d = int(duration[k])
        es = int(rng.integers(0, max(1, min(first_day, hours - d) + 1)))
        dl = min(hours, es + d + int(slack[k]))
        if scope[k] == "home":
            allowed = (names[home[k]],)
        elif scope[k] == "continent":
            allowed = tuple(n for n in names if _continent(n) == _continent(names[home[k]]))
        else:
            allowed = tuple(names)
        jobs.append(
            ComputeJob(
                job_id=f"job-{k:04d}",
                energy_kwh=round(float(power[k] * d), 3),
                duration_hours=d,
                earliest_start_hour=es,
                deadline_hour=dl,
                allowed_regions=allowed,
                home_region=names[home[k]],
                interruptible=bool(interruptible[k]),
            )
        )
    mean_load = float(np.sum(power * duration)) / hours / max(n_regions, 1)
    floor_kw = 1.5 * float(power.max()) if n_jobs else 100.0
    regions = []
    for i in range(n_regions):
        cap = max(capacity_headroom * mean_load * rng.uniform(0.6, 1.4), floor_kw)
        cap_h = np.full(hours, round(cap, 1))
        if rng.random() < 0.3:  # maintenance: half capacity for 4 hours
            m0 = int(rng.integers(0, max(1, hours - 4)))
            cap_h[m0 : m0 + 4] = max(0.5 * cap, 1.1 * floor_kw / 1.5)
        regions.append(
            RegionSignal(
                region=names[i],
                carbon_gco2_per_kwh=np.round(carbon[i], 2),
                price_usd_per_kwh=np.round(price[i], 5),
                capacity_kw=cap_h,
            )
        )
    hour_starts = [start_utc + timedelta(hours=h) for h in range(hours)]
    return JobProblem(
        hour_starts_utc=hour_starts,
        jobs=jobs,
        regions=regions,
        objective=objective,
        carbon_cap_kg=carbon_cap_kg,
        time_limit_s=time_limit_s,
        **problem_kwargs,
    )
