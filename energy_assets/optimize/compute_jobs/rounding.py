"""LP rounding by diving: fix the jobs the LP is surest about, re-solve the LP warm, repeat.

Each round fixes every job whose LP values are all integral, plus the `DIVE_SHARE` of the
fractional jobs with the largest LP value on one option, each to its best option that still
fits the capacity the fixed jobs leave (`baselines._cheapest_fit`, LP value first; a job with no
fitting option is left out: its skip variable is fixed). The model keeps its skip variables, so
every re-solve is feasible; HiGHS re-solves from the last basis (bound changes only: a few
hundred dual simplex pivots). The result is the start of the neighbourhood search.
"""

from __future__ import annotations

import time

import numpy as np

from energy_assets.optimize.compute_jobs.backends import _LP
from energy_assets.optimize.compute_jobs.baselines import _Assignment, _cheapest_fit
from energy_assets.optimize.compute_jobs.model import _global_values, _layout
from energy_assets.optimize.compute_jobs.problem import _Prepared

DIVE_SHARE = 0.2
_INTEGRAL_TOL = 1e-6


def _variable_jobs(prep: _Prepared, gvar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per model variable: its job, and whether it is a job's option / region choice."""
    g_ch0, g_run0, g_skip0, _ = _layout(prep)
    job = np.empty(gvar.size, dtype=np.int64)
    opt = gvar < g_ch0
    ch = (gvar >= g_ch0) & (gvar < g_run0)
    run = (gvar >= g_run0) & (gvar < g_skip0)
    skip = gvar >= g_skip0
    job[opt] = prep.opt_job[gvar[opt]]
    job[ch] = prep.ch_job[gvar[ch] - g_ch0]
    job[run] = prep.ch_job[prep.run_choice[gvar[run] - g_run0]]
    job[skip] = gvar[skip] - g_skip0
    return job, opt | ch


def dive(prep: _Prepared, lp: _LP, jobs: np.ndarray, deadline: float) -> _Assignment | None:
    """A schedule of `jobs` by LP diving from the relaxation `lp` (None without its LP)."""
    if lp.highs is None or lp.model is None or lp.values is None:
        return None
    h, m = lp.highs, lp.model
    J = prep.n_jobs
    job, choice = _variable_jobs(prep, m.gvar)
    todo = np.zeros(J, dtype=bool)
    todo[jobs] = True
    assign: _Assignment = [None] * J
    remaining = prep.capacity_units.copy()
    cap = prep.problem.carbon_cap_kg
    used_co2 = 0.0
    values = lp.values
    everything = np.arange(m.n_vars, dtype=np.int32)
    h.setOptionValue("simplex_strategy", 1)
    while todo.any() and time.perf_counter() < deadline:
        local = values[m.gvar]
        best = np.zeros(J)
        np.maximum.at(best, job[choice], local[choice])
        fractional = np.zeros(J, dtype=bool)
        np.logical_or.at(fractional, job, np.minimum(local, 1 - local) > _INTEGRAL_TOL)
        pending = np.flatnonzero(todo)
        sure = pending[~fractional[pending]]
        unsure = pending[fractional[pending]]
        k = max(1, int(DIVE_SHARE * unsure.size)) if unsure.size else 0
        picked = unsure[np.argsort(-best[unsure], kind="stable")[:k]]
        for j in np.concatenate([sure, picked]).tolist():
            todo[j] = False
            budget = None if cap is None else cap - used_co2
            fit = _cheapest_fit(prep, j, remaining, budget, values)
            if fit is None:
                continue
            _, co2, region, hours = fit
            assign[j] = (region, hours)
            remaining[region, hours] -= prep.power_units[j]
            used_co2 += co2
        if not todo.any():
            break
        fixed_values = _global_values(prep, assign)[m.gvar].astype(float)
        fixed = ~todo[job]
        lower = np.where(fixed, fixed_values, 0.0)
        upper = np.where(fixed, fixed_values, 1.0)
        h.changeColsBounds(m.n_vars, everything, lower, upper)
        h.setOptionValue("time_limit", max(0.05, deadline - time.perf_counter()))
        h.run()
        if h.getModelStatus().name != "kOptimal":
            break
        values = np.zeros_like(values)
        values[m.gvar] = np.clip(np.asarray(h.getSolution().col_value), 0.0, 1.0)
    # any job still pending (time ran out): greedy, LP value first
    for j in np.flatnonzero(todo).tolist():
        fit = _cheapest_fit(prep, j, remaining, None if cap is None else cap - used_co2, values)
        if fit is not None:
            _, co2, region, hours = fit
            assign[j] = (region, hours)
            remaining[region, hours] -= prep.power_units[j]
            used_co2 += co2
    return assign
