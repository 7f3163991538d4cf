"""Backends for a `model._Model`: CP-SAT, HiGHS (MIP and LP relaxation).

Each returns the model's 0/1 values (or LP values) with status, bound and wall time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

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
