"""Backends for a `model._Model`: CP-SAT, HiGHS (MIP and LP relaxation).

Each returns the model's 0/1 values (or LP values) with status, bound and wall time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import sparse

from energy_assets.optimize.compute_jobs.model import (
    _build,
    _check_rows,
    _layout,
    _Model,
)
from energy_assets.optimize.compute_jobs.problem import (
    POWER_UNITS_PER_KW,
    _Prepared,
)
from energy_assets.optimize.fleet_lp import BlockLp


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
    dual_bound: float | None = None  # the solver's bound on the model with skip penalties


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


def _solve_highs_mip(m: _Model, prep: _Prepared, time_limit: float, *, log: bool) -> _Run:
    """The same model as a MIP in HiGHS (highspy: the same HiGHS as the LP relaxation; one
    thread, the problem's relative gap limit)."""
    import highspy

    from energy_assets.optimize.highs_lp import new_highs, pass_lp

    lp = _lp_arrays(m)
    h = new_highs(max(0.05, time_limit))
    h.setOptionValue("output_flag", bool(log))
    h.setOptionValue("mip_rel_gap", float(prep.problem.relative_gap_limit))
    h.setOptionValue("random_seed", 0)
    pass_lp(h, lp)
    everything = np.arange(m.n_vars, dtype=np.int32)
    h.changeColsIntegrality(m.n_vars, everything, np.full(m.n_vars, highspy.HighsVarType.kInteger))
    t0 = time.perf_counter()
    h.run()
    wall = time.perf_counter() - t0
    status = h.getModelStatus()
    info = h.getInfo()
    bound = float(info.mip_dual_bound)
    dual = bound if math.isfinite(bound) else None
    if info.primal_solution_status == 2:  # feasible
        values = (np.asarray(h.getSolution().col_value) > 0.5).astype(np.int64)
        name = "OPTIMAL" if status == highspy.HighsModelStatus.kOptimal else "FEASIBLE"
        return replace(_finish_run(m, name, values, dual, wall), dual_bound=dual)
    name = "INFEASIBLE" if status == highspy.HighsModelStatus.kInfeasible else "UNKNOWN"
    return replace(_finish_run(m, name, None, None, wall), dual_bound=dual)


@dataclass
class _LP:
    status: str
    bound: float | None  # valid lower bound of the objective with every job in the LP placed
    values: np.ndarray | None  # global layout
    wall_s: float
    fractional_jobs: int | None
    model: _Model | None = None  # the model solved (with skips), for the dive
    highs: Any = None  # its HiGHS instance, at the LP optimum (re-solved warm by the dive)


def _lp_arrays(m: _Model) -> BlockLp:
    """The rows, then the z <= y links (`_Model.links`), as a column-wise LP; capacity and cap
    rows scaled (W -> kW, 0.1 g -> kg)."""
    n_rows = len(m.rows)
    n_links = len(m.links)
    factor = np.array(
        [1.0 if one or hi <= 1 else 1.0 / POWER_UNITS_PER_KW for one, _, _, _, hi in m.rows]
    )
    lengths = np.array([len(r[1]) for r in m.rows], dtype=np.int64)
    cols = np.concatenate([r[1] for r in m.rows]) if n_rows else np.zeros(0, np.int64)
    vals = np.concatenate([r[2] for r in m.rows]) if n_rows else np.zeros(0, np.int64)
    row_ids = np.repeat(np.arange(n_rows), lengths)
    link_rows = np.repeat(np.arange(n_rows, n_rows + n_links), 2)
    matrix = sparse.csc_matrix(
        (
            np.concatenate([vals * factor[row_ids], np.tile([1.0, -1.0], n_links)]),
            (np.concatenate([row_ids, link_rows]), np.concatenate([cols, m.links.reshape(-1)])),
        ),
        shape=(n_rows + n_links, m.n_vars),
    )
    return BlockLp(
        cost=m.obj.astype(float),
        col_lb=np.zeros(m.n_vars),
        col_ub=np.ones(m.n_vars),
        matrix=matrix,
        row_lb=np.concatenate(
            [np.array([r[3] for r in m.rows], dtype=float) * factor, np.full(n_links, -1.0)]
        ),
        row_ub=np.concatenate(
            [np.array([r[4] for r in m.rows], dtype=float) * factor, np.zeros(n_links)]
        ),
    )


def _solve_lp(prep: _Prepared, jobs: np.ndarray, time_limit: float, *, log: bool) -> _LP:
    """LP relaxation (HiGHS dual simplex through highspy) of the model with skips.

    A skip costs more than every job's worst option together, so the LP skips nothing unless
    the jobs cannot all be placed even fractionally ("INFEASIBLE": no bound). Otherwise its
    optimum is the LP with every job placed, and the bound is its dual objective (a proven lower
    bound computed from the row duals, `highs_lp.dual_objective`)."""
    from energy_assets.optimize.highs_lp import dual_objective, new_highs, pass_lp, status_name

    if not len(jobs):
        return _LP("SKIPPED", None, None, 0.0, None)
    m = _build(prep, jobs, skips=True)
    lp = _lp_arrays(m)
    h = new_highs(max(0.05, time_limit))
    h.setOptionValue("output_flag", bool(log))
    pass_lp(h, lp)
    t0 = time.perf_counter()
    h.run()
    wall = time.perf_counter() - t0
    status = status_name(h)
    if status != "optimal":
        return _LP(status.upper(), None, None, wall, None, m, h)
    sol = h.getSolution()
    local = np.clip(np.asarray(sol.col_value), 0.0, 1.0)
    values = np.zeros(_layout(prep)[3])
    values[m.gvar] = local
    g_ch0, g_run0, g_skip0, _ = _layout(prep)
    if values[g_skip0:].sum() > 1e-6:
        return _LP("INFEASIBLE", None, values, wall, None, m, h)
    bound = dual_objective(lp, np.asarray(sol.row_dual))
    sure = np.zeros(prep.n_jobs)
    np.maximum.at(sure, prep.opt_job, values[:g_ch0])
    np.maximum.at(sure, prep.ch_job, values[g_ch0:g_run0])
    fractional = int(np.sum(sure[jobs] < 1 - 1e-6))
    return _LP("OPTIMAL", bound if math.isfinite(bound) else None, values, wall, fractional, m, h)
