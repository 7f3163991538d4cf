"""`solve_jobs`: preparation, start, method (CP-SAT, HiGHS MIP, LP or column generation + rounding
or dive + search), the bound and gap, unscheduled jobs with reasons, the result frames and summary.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import polars as pl

from energy_assets.optimize.compute_jobs.backends import (
    _LP,
    _solve_cpsat,
    _solve_highs_mip,
    _solve_lp,
)
from energy_assets.optimize.compute_jobs.baselines import (
    _Assignment,
    _best_window_assignment,
    _cheapest_fit,
    _evaluate,
    _gap,
    _greedy,
    _public,
    _run_now_assignment,
)
from energy_assets.optimize.compute_jobs.columns import ColumnGeneration, global_lp_values
from energy_assets.optimize.compute_jobs.model import (
    _build,
    _decode,
    _global_values,
    _Model,
)
from energy_assets.optimize.compute_jobs.neighbourhood import (
    _lns,
    _objective_of,
)
from energy_assets.optimize.compute_jobs.problem import (
    CO2_UNITS_PER_KG,
    COST_UNITS_PER_USD,
    POWER_UNITS_PER_KW,
    JobProblem,
    JobSchedule,
    JobsInfeasible,
    NoScheduleFound,
    _prepare,
    _Prepared,
)
from energy_assets.optimize.compute_jobs.rounding import dive

AUTO_EXACT_MAX_JOBS = 100
AUTO_EXACT_MAX_VARS = 12_000
COLUMNS_LP_SHARE = 0.4  # of the time limit, at most, for column generation
COLUMNS_DIVE_SHARE = 0.75  # of the time then left, at most, for the dive
COLUMNS_REDIVE_SHARES = (0.1, 0.05)  # energy shares of further dives while jobs are left out


def _column_lp(prep, jobs: np.ndarray, deadline: float) -> tuple[ColumnGeneration | None, _LP]:
    """Column generation over the candidate jobs: the bound (Lagrangian, valid even when the
    time share runs out) and the LP values in the model's layout (for rounding and the search)."""
    if not len(jobs):
        return None, _LP("SKIPPED", None, None, 0.0, None)
    t0 = time.perf_counter()
    columns = ColumnGeneration(prep, jobs, seeds=[_greedy(prep)])
    status = columns.solve(deadline)
    wall = time.perf_counter() - t0
    if columns.lp_value is None:
        return columns, _LP(status, None, None, wall, None)
    x, skip = columns.values()
    values = global_lp_values(prep, columns.pool, x)
    if status == "OPTIMAL" and skip.sum() > 1e-6:
        return columns, _LP("INFEASIBLE", None, values, wall, None)
    sure = np.zeros(prep.n_jobs)
    np.maximum.at(sure, np.asarray(columns.pool.job, dtype=np.int64), x)
    fractional = int(np.sum(sure[jobs] < 1 - 1e-6))
    return columns, _LP(status, columns.bound, values, wall, fractional)


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


def _bound_alongside(full, prep, deadline: float):
    """HiGHS' MIP on the whole model in a second thread until `deadline`, for its bound (its
    root cuts lift the LP bound) and any schedule it finds; highspy releases the GIL."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1)
    future = pool.submit(
        _solve_highs_mip, full, prep, max(0.05, deadline - time.perf_counter() - 0.05), log=False
    )
    pool.shutdown(wait=False)
    return future


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
        method = "cp-sat" if small else "columns"

    lp = _LP("SKIPPED", None, None, 0.0, None)
    columns: ColumnGeneration | None = None
    if method == "columns":
        columns, lp = _column_lp(
            prep,
            candidates,
            time.perf_counter() + COLUMNS_LP_SHARE * (deadline - time.perf_counter()),
        )
    elif method == "lp-lns" or (method == "cp-sat" and problem.use_hint):
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
    dive_stats = None
    if (
        method == "columns"
        and columns is not None
        and columns.lp_value is not None
        and lp.status != "INFEASIBLE"
    ):
        dive_deadline = time.perf_counter() + COLUMNS_DIVE_SHARE * (deadline - time.perf_counter())
        dived, dive_stats = columns.dive(dive_deadline)
        for share in COLUMNS_REDIVE_SHARES:
            if not dive_stats["lost"] or time.perf_counter() >= dive_deadline:
                break
            # a job left out costs the search dearly: dive again, in smaller steps
            columns.reset()
            again, again_stats = columns.dive(dive_deadline, energy_share=share)
            if _objective_of(prep, again) < _objective_of(prep, dived):
                dived, dive_stats = again, {**again_stats, "before": dive_stats}
        if _evaluate(prep, dived)["carbon_cap_exceeded_kg"]:
            dived = None  # (the dive's last jobs are placed without the cap in view)
        if dived is not None and _objective_of(prep, dived) < _objective_of(prep, start):
            start, start_how = dived, "column dive"
    if method == "lp-lns":
        dived = dive(
            prep, lp, candidates, time.perf_counter() + 0.25 * (deadline - time.perf_counter())
        )
        if dived is not None and _objective_of(prep, dived) < _objective_of(prep, start):
            start, start_how = dived, "LP diving"
    greedy_s = time.perf_counter() - tg

    info: dict[str, Any] = {
        "method": method,
        "lp": {
            "status": lp.status,
            "bound": lp.bound,
            "solve_time_s": lp.wall_s,
            "fractional_jobs": lp.fractional_jobs,
        },
        **(
            {
                "columns": {
                    "iterations": columns.iterations,
                    "pool": len(columns.pool),
                    "lp_value": columns.lp_value,
                    "trace": columns.trace[-20:],
                    "dive": dive_stats,
                }
            }
            if columns is not None
            else {}
        ),
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
    elif method in ("lp-lns", "columns"):
        ts = time.perf_counter()
        # With two workers or more, the search's CP-SAT gets them all once the LP has its bound
        # (1,000 jobs, 30 s, 2 cores, load ~3.5: 94,806 -> 94,453 kg, mean of 3 and 4 runs);
        # HiGHS' MIP on a second thread lifts that bound by ~5 kg in 30 s (91,763 -> 91,768),
        # so it runs only when the LP ran out of its time share, for a bound at all.
        need_bound = method == "lp-lns" and lp.bound is None and lp.status != "INFEASIBLE"
        side = (
            _bound_alongside(full, prep, deadline)
            if problem.num_workers >= 2 and need_bound
            else None
        )
        search_prep = (
            prep if side is None else replace(prep, problem=replace(problem, num_workers=1))
        )
        assign, stats = _lns(search_prep, start, candidates, deadline, lp, scale)
        cut_run = side.result() if side is not None else None
        # the LP (or column generation), rounding / dive and the search
        solve_s = time.perf_counter() - tb - build_s
        stats["time_s"] = time.perf_counter() - ts
        info["lns"] = stats
        if cut_run is not None:
            info["cut_bound"] = {
                "status": cut_run.status,
                "dual_bound": cut_run.dual_bound,
                "solve_time_s": cut_run.wall_s,
            }
            if cut_run.values is not None:
                found = _decode(prep, full, cut_run.values, [None] * J)
                if _objective_of(prep, found) < _objective_of(prep, assign):
                    assign = found
        n_left = sum(assign[j] is None for j in candidates.tolist())
        proven_skips = n_left == 0
        if n_left == 0 and stats.get("exact_bound") is not None:
            bound = stats["exact_bound"]
            bound_source = "cp-sat (neighbourhood = whole problem)"
        elif n_left == 0:
            # the LP's bound, or (if the LP ran out of its time share, e.g. under load) the MIP's
            # on the second thread: whichever is higher
            if lp.bound is not None:
                bound, bound_source = (
                    lp.bound,
                    (
                        "LP relaxation (HiGHS)"
                        if method == "lp-lns"
                        else "column generation (Lagrangian bound of the column LP)"
                    ),
                )
            if cut_run is not None and (cut_run.dual_bound or -np.inf) > (bound or -np.inf):
                bound = cut_run.dual_bound
                bound_source = "HiGHS MIP root with cuts (second thread)"
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
