"""The 0/1 model as solver-neutral sparse rows over a subset of the jobs (the others fixed).

Global variable layout: [options x (n_opt) | region choices y (n_ch) | run hours z (n_run) |
skip s (one per job)]. A model covers a subset of the jobs (all of them for the exact solve,
a neighbourhood in the search), the others being fixed: their load is taken off the capacity and
their CO2 off the cap. A skipped job costs `big` (more than every selected job's worst option
together), so minimising the objective first minimises the number of skipped jobs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from energy_assets.optimize.compute_jobs.baselines import (
    _Assignment,
    _obj_arrays,
)
from energy_assets.optimize.compute_jobs.problem import (
    CO2_UNITS_PER_KG,
    _Prepared,
)

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
    # (z, y) local pairs: run hour z of region choice y, z <= y. Redundant for 0/1 values
    # (sum_t z = d y), so CP-SAT does without them (the 100-job solve 0.21 -> 0.26 s with them);
    # the LP and MIP get them as rows (`backends._lp_arrays`): without them the LP runs a
    # fractionally chosen region's job at full power in its cheapest hours (1,000 jobs: LP
    # bound 90,341 -> 91,763 kg, which HiGHS' root cuts reach only after ~50 s; the LP takes
    # 2 -> 8 s; adding only the violated rows and re-solving warm took longer, 11 s)
    links: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))

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

    links = np.column_stack([g2l[g_run0 + sr], g2l[g_ch0 + prep.run_choice[sr]]]).astype(np.int64)

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
        "run_link_rows_lp": len(links),
    }
    return _Model(gvar, rows, obj, skip, big, counts, links)


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
