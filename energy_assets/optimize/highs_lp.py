"""HiGHS (highspy) on an LP given as numpy arrays: options, model passing, status, dual bound.

Pure module (numpy, highspy). Shared by the fleet's chunked solve (`fleet_highs`) and its
coordinating-price decomposition (`fleet_price`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from energy_assets.optimize.fleet_lp import BlockLp


@dataclass(frozen=True)
class LpResult:
    """Column values of the all-battery LP, objective and dual bound without the constant
    offset, `status` "optimal" or "time_limit" (then x is feasible but may not be optimal)."""

    x: np.ndarray
    status: str
    objective: float
    dual_bound: float
    simplex_iterations: int
    feeder_rows: int
    rounds: int
    relaxed_s: float
    coupled_s: float


class LpTimeLimit(RuntimeError):
    """HiGHS stopped at the time limit without a feasible schedule."""


def new_highs(time_limit_s: float, *, presolve: bool = True):
    """A quiet single-thread HiGHS instance for dual simplex; `presolve=False` for the many
    small fleet chunks (presolve costs more than it saves on them)."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("simplex_strategy", 1)  # dual simplex
    h.setOptionValue("threads", 1)
    h.setOptionValue("presolve", "on" if presolve else "off")
    h.setOptionValue("time_limit", max(float(time_limit_s), 0.01))
    return h


def pass_lp(h, lp: BlockLp) -> None:
    import highspy

    m = lp.matrix
    model = highspy.HighsLp()
    model.num_col_ = m.shape[1]
    model.num_row_ = m.shape[0]
    model.col_cost_ = lp.cost
    model.col_lower_ = lp.col_lb
    model.col_upper_ = lp.col_ub
    model.row_lower_ = lp.row_lb
    model.row_upper_ = lp.row_ub
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.num_col_ = m.shape[1]
    model.a_matrix_.num_row_ = m.shape[0]
    model.a_matrix_.start_ = m.indptr
    model.a_matrix_.index_ = m.indices
    model.a_matrix_.value_ = m.data
    h.passModel(model)


def status_name(h) -> str:
    import highspy

    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if status == highspy.HighsModelStatus.kTimeLimit:
        return "time_limit"
    if status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return "infeasible"
    return h.modelStatusToString(status)


def dual_objective(lp: BlockLp, row_dual: np.ndarray) -> float:
    """A proven lower bound on the LP's optimum (minimisation) from HiGHS' row duals.

    The duals are first given their feasible signs (positive only on a row with a finite lower
    bound, negative only with a finite upper bound); then, whatever their accuracy, the
    Lagrangian `y' row bounds + sum_j min(z_j lb_j, z_j ub_j)` with `z = c - A' y` is a lower
    bound of the LP (exact arithmetic aside), and equals the optimum at exact optimal duals.
    A column with an infinite bound and a reduced cost pointing at it gives -inf.
    """
    y = np.asarray(row_dual, dtype=np.float64).copy()
    y[(y > 0) & ~np.isfinite(lp.row_lb)] = 0.0
    y[(y < 0) & ~np.isfinite(lp.row_ub)] = 0.0
    z = lp.cost - lp.matrix.T @ y
    with np.errstate(invalid="ignore"):
        rows = np.where(y > 0, y * lp.row_lb, np.where(y < 0, y * lp.row_ub, 0.0))
        cols = np.where(z > 0, z * lp.col_lb, np.where(z < 0, z * lp.col_ub, 0.0))
    total = float(rows.sum() + cols.sum())
    return total if math.isfinite(total) else -math.inf


@dataclass(frozen=True)
class ProtoResult:
    """`solve_proto`'s answer: status "optimal" / "time_limit" / "infeasible" / other (HiGHS'
    model status), column values (None without a feasible solution), objective and bound."""

    status: str
    x: np.ndarray | None
    objective: float
    bound: float


def solve_proto(proto, time_limit_s: float, *, ipm: bool = False) -> ProtoResult:
    """A MathOpt `ModelProto` (ids 0..n-1 in order) solved by HiGHS through highspy: a MIP when
    it has integer variables, else dual simplex (or interior point without crossover, `ipm`).

    The one-piece fleet models use this instead of MathOpt's own HiGHS: two HiGHS libraries in
    one process (ortools' and highspy's) crashed pytest workers."""
    import highspy
    from scipy import sparse

    n = len(proto.variables.ids)
    m = len(proto.linear_constraints.ids)
    cost = np.zeros(n)
    cost[np.asarray(proto.objective.linear_coefficients.ids, dtype=np.int64)] = np.asarray(
        proto.objective.linear_coefficients.values
    )
    mat = proto.linear_constraint_matrix
    matrix = sparse.csc_matrix(
        (
            np.asarray(mat.coefficients),
            (np.asarray(mat.row_ids, dtype=np.int64), np.asarray(mat.column_ids, dtype=np.int64)),
        ),
        shape=(m, n),
    )
    lp = BlockLp(
        cost=cost,
        col_lb=np.asarray(proto.variables.lower_bounds, dtype=np.float64),
        col_ub=np.asarray(proto.variables.upper_bounds, dtype=np.float64),
        matrix=matrix,
        row_lb=np.asarray(proto.linear_constraints.lower_bounds, dtype=np.float64),
        row_ub=np.asarray(proto.linear_constraints.upper_bounds, dtype=np.float64),
    )
    integers = np.asarray(proto.variables.integers, dtype=bool)
    h = new_highs(time_limit_s)
    if ipm and not integers.any():
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
        h.setOptionValue("ipm_optimality_tolerance", 1e-6)
    pass_lp(h, lp)
    if integers.any():
        idx = np.flatnonzero(integers).astype(np.int32)
        h.changeColsIntegrality(idx.size, idx, np.full(idx.size, highspy.HighsVarType.kInteger))
    h.run()
    info = h.getInfo()
    status = status_name(h)
    offset = float(proto.objective.offset)
    x = np.asarray(h.getSolution().col_value) if info.primal_solution_status == 2 else None
    objective = offset + float(info.objective_function_value) if x is not None else math.nan
    if integers.any():
        bound = offset + float(info.mip_dual_bound)
    else:
        bound = objective if status == "optimal" else -math.inf
    return ProtoResult(status, x, objective, bound)
