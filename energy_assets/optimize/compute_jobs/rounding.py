"""LP rounding by diving: fix the jobs the LP is surest about, re-solve the LP warm, repeat.

Each round fixes every job whose LP values are all integral, plus the `DIVE_SHARE` of the
fractional jobs with the largest LP value on one option, each to its best option that still
fits the capacity the fixed jobs leave (`baselines._cheapest_fit`, LP value first). Before the
re-solve, every option (or run hour) of the other jobs that no longer fits that capacity is
bounded to 0, so the LP sees what the fixings cost. When the re-solved LP has to leave a job out,
the round is undone and redone with that job fixed first and half as many fractional jobs. The
model keeps its skip variables, so every re-solve is feasible; HiGHS re-solves from the last
basis (bound changes only). The result is the start of the neighbourhood search.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from energy_assets.optimize.compute_jobs.backends import _LP
from energy_assets.optimize.compute_jobs.baselines import _Assignment, _cheapest_fit
from energy_assets.optimize.compute_jobs.model import _global_values, _layout
from energy_assets.optimize.compute_jobs.problem import _Prepared

DIVE_SHARE = 0.05
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


def _fit_mask(prep: _Prepared, gvar: np.ndarray):
    """A function of the remaining capacity (W) giving, per model variable, whether it can still
    be 1: an option (or run hour) needs its job's power free in each of its hours, given the
    jobs fixed so far. Region choices and skips stay free (a choice with too few free run hours
    is held down by its row)."""
    g_ch0, g_run0, g_skip0, _ = _layout(prep)
    opt = np.flatnonzero(gvar < g_ch0)
    run = np.flatnonzero((gvar >= g_run0) & (gvar < g_skip0))
    go = gvar[opt]
    o_reg, o_start = prep.opt_region[go], prep.opt_start[go]
    o_d = prep.duration[prep.opt_job[go]]
    o_pu = prep.power_units[prep.opt_job[go]]
    gr = gvar[run] - g_run0
    r_reg = prep.ch_region[prep.run_choice[gr]]
    r_hour = prep.run_hour[gr]
    r_pu = prep.power_units[prep.ch_job[prep.run_choice[gr]]]
    durations = np.unique(o_d).tolist()

    def fits(remaining: np.ndarray) -> np.ndarray:
        ok = np.ones(gvar.size, dtype=bool)
        free = np.empty(opt.size, dtype=np.int64)
        for d in durations:
            sel = o_d == d
            window = sliding_window_view(remaining, int(d), axis=1).min(axis=2)
            free[sel] = window[o_reg[sel], o_start[sel]]
        ok[opt] = free >= o_pu
        ok[run] = remaining[r_reg, r_hour] >= r_pu
        return ok

    return fits


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
    fits = _fit_mask(prep, m.gvar)
    g_skip0 = _layout(prep)[2]
    skip_local = np.flatnonzero(m.gvar >= g_skip0)
    skip_job = m.gvar[skip_local] - g_skip0
    share = DIVE_SHARE
    urgent = np.zeros(J, dtype=bool)  # left out by the last LP: fixed first
    while todo.any() and time.perf_counter() < deadline:
        local = values[m.gvar]
        best = np.zeros(J)
        np.maximum.at(best, job[choice], local[choice])
        fractional = np.zeros(J, dtype=bool)
        np.logical_or.at(fractional, job, np.minimum(local, 1 - local) > _INTEGRAL_TOL)
        pending = np.flatnonzero(todo)
        first = pending[urgent[pending]]
        sure = pending[~fractional[pending] & ~urgent[pending]]
        unsure = pending[fractional[pending] & ~urgent[pending]]
        k = max(1, int(share * unsure.size)) if unsure.size else 0
        picked = unsure[np.argsort(-best[unsure], kind="stable")[:k]]
        saved = (list(assign), remaining.copy(), used_co2, todo.copy())
        progress = False
        for j in np.concatenate([first, sure, picked]).tolist():
            budget = None if cap is None else cap - used_co2
            fit = _cheapest_fit(prep, j, remaining, budget, values)
            if fit is None and progress:
                continue  # crowded out by this round's fixings: the next LP places it again
            todo[j] = False
            progress = True
            if fit is None:
                continue
            _, co2, region, hours = fit
            assign[j] = (region, hours)
            remaining[region, hours] -= prep.power_units[j]
            used_co2 += co2
        urgent[:] = False
        if not todo.any():
            break
        fixed_values = _global_values(prep, assign)[m.gvar].astype(float)
        fixed = ~todo[job]
        lower = np.where(fixed, fixed_values, 0.0)
        upper = np.where(fixed, fixed_values, fits(remaining).astype(float))
        h.changeColsBounds(m.n_vars, everything, lower, upper)
        # HiGHS' time limit counts the instance's run time over all its runs (the LP's too)
        h.setOptionValue("time_limit", h.getRunTime() + max(0.05, deadline - time.perf_counter()))
        h.run()
        if h.getModelStatus().name != "kOptimal":
            break
        new = np.clip(np.asarray(h.getSolution().col_value), 0.0, 1.0)
        left_out = skip_job[(new[skip_local] > _INTEGRAL_TOL) & todo[skip_job]]
        if left_out.size and k > 1:
            # this round's fixings leave no room for some job: undo them, and fix that job
            # first with fewer fractional jobs
            assign, remaining, used_co2, todo = saved
            urgent[left_out] = True
            share /= 2
            continue
        share = min(DIVE_SHARE, share * 1.5)
        values = np.zeros_like(values)
        values[m.gvar] = new
    # any job still pending (time ran out): greedy, LP value first
    for j in np.flatnonzero(todo).tolist():
        fit = _cheapest_fit(prep, j, remaining, None if cap is None else cap - used_co2, values)
        if fit is not None:
            _, co2, region, hours = fit
            assign[j] = (region, hours)
            remaining[region, hours] -= prep.power_units[j]
            used_co2 += co2
    return assign
