"""Schedules that do not search: evaluation, the two baselines and the greedy / LP-rounding start.

An assignment is one entry per job: (region index, sorted hour indices) or None (unscheduled).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from energy_assets.optimize.compute_jobs.problem import (
    _EPS,
    JobProblem,
    Objective,
    _prepare,
    _Prepared,
)

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


def _gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None:
        return None
    diff = obj - bound
    return 0.0 if diff <= 1e-9 * max(1.0, abs(obj)) else diff / max(abs(obj), 1e-12)
