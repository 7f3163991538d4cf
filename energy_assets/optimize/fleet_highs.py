"""Solve the fleet LP by its structure: batteries chunk by chunk, then the feeder rows.

Pure module (numpy, scipy.sparse, highspy; no Dagster). The homes are coupled only through the
feeder limits, so `solve_fleet_lp`:

1. solves the batteries without feeder rows (`fleet_chunks.ChunkPool`: chunks of 20, small LPs
   on which HiGHS' dual simplex spends ~10 us a pivot against ~100 us on the whole fleet's LP).
   That LP is a relaxation of the fleet's: its optimum is a lower bound, and when it keeps to
   every feeder limit it is the fleet's optimum (the graph's default: no feeder limit);
2. otherwise, up to `COUPLED_MAX_BATTERIES` batteries, adds the feeder rows of the slots it
   breaks to the whole fleet's LP, starts dual simplex from the chunks' optimal bases (still
   dual feasible: the new rows' slacks are basic) and repeats with any slot the new solution
   breaks (lazy rows; rows never binding are never added): a few hundred to a few thousand
   pivots instead of the ~80,000 of a cold start. A one-chunk fleet adds the rows to the
   chunk's own instance;
3. beyond that, coordinates the chunks by a price on the broken slots (`fleet_price`), to a
   proven relative gap.

The bound is the Lagrangian dual objective of the last LP solved (a relaxation of the fleet's
LP: it has a subset of the feeder rows), computed from HiGHS' row duals
(`highs_lp.dual_objective`), so the gap it proves does not rest on the solver's status alone.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import sparse

from energy_assets.optimize.fleet_chunks import ChunkPool
from energy_assets.optimize.fleet_lp import BlockLp, FleetArrays, block_lp, feeder_rows
from energy_assets.optimize.highs_lp import (
    LpResult,
    LpTimeLimit,
    dual_objective,
    new_highs,
    pass_lp,
    status_name,
)

COUPLED_MAX_BATTERIES = 200
FEEDER_TOL_KW = 1e-6


def _feeder_bounds(
    fixed_total_kw: np.ndarray, imp_limit: np.ndarray | None, exp_limit: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on the batteries' summed net charge per slot: -exp - F <= sum <= imp - F."""
    T = fixed_total_kw.size
    lo = np.full(T, -np.inf) if exp_limit is None else -exp_limit - fixed_total_kw
    hi = np.full(T, np.inf) if imp_limit is None else imp_limit - fixed_total_kw
    return lo, hi


def _net_charge(arrays: FleetArrays, x: np.ndarray) -> np.ndarray:
    F, B, T = arrays.n_flows, arrays.n_batteries, arrays.n_slots
    flows = x.reshape(B, F + 1, T)[:, :F]
    return np.einsum("bft,f->t", flows, arrays.flow_sign)


def _broken(net: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.flatnonzero((net < lo - FEEDER_TOL_KW) | (net > hi + FEEDER_TOL_KW))


def solve_fleet_lp(
    arrays: FleetArrays,
    fixed_total_kw: np.ndarray,
    imp_limit: np.ndarray | None,
    exp_limit: np.ndarray | None,
    time_limit_s: float,
    gap_tolerance: float = 1e-4,
    offset_usd: float = 0.0,
    threads: int = 1,
) -> LpResult:
    """The fleet LP's optimum by chunks and lazy feeder rows (module docstring); beyond
    `COUPLED_MAX_BATTERIES` batteries, by a coordinating price to `gap_tolerance` (relative to the
    objective including `offset_usd`, its constant part). `threads`: chunks solved at once.

    Raises `LpTimeLimit` when the time limit leaves no feasible schedule, and returns
    status "infeasible" (x empty) when the feeder rows cannot be met.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    pool = ChunkPool(arrays, threads)
    relaxed = pool.solve(None, deadline)
    relaxed_s = time.perf_counter() - t0
    lo, hi = _feeder_bounds(fixed_total_kw, imp_limit, exp_limit)
    broken = _broken(_net_charge(arrays, relaxed.x), lo, hi)
    if broken.size == 0:
        return LpResult(
            relaxed.x,
            "optimal",
            relaxed.objective,
            relaxed.bound,
            relaxed.iterations,
            0,
            0,
            relaxed_s,
            0.0,
        )
    if arrays.n_batteries > COUPLED_MAX_BATTERIES:
        from energy_assets.optimize.fleet_price import solve_by_price

        return solve_by_price(
            pool, relaxed, lo, hi, broken, deadline, gap_tolerance, offset_usd, relaxed_s
        )
    return _solve_coupled(pool, relaxed, lo, hi, broken, deadline, relaxed_s)


def _solve_coupled(pool, relaxed, lo, hi, broken, deadline, relaxed_s) -> LpResult:
    """The whole fleet's LP with the broken slots' feeder rows, from the chunks' bases."""
    import highspy

    t1 = time.perf_counter()
    arrays = pool.arrays
    B = arrays.n_batteries
    iterations = relaxed.iterations
    bound = relaxed.bound
    rows, _, _ = feeder_rows(arrays, broken, lo[broken], hi[broken])
    if len(pool.chunks) == 1:
        # one chunk is the whole LP: add the rows to its instance (its basis stays valid)
        h, whole = pool.highs[0], pool.lps[0]
        h.setOptionValue("simplex_strategy", 1)
        h.addRows(
            broken.size,
            lo[broken],
            hi[broken],
            rows.nnz,
            rows.indptr.astype(np.int32),
            rows.indices.astype(np.int32),
            rows.data,
        )
    else:
        whole = block_lp(arrays, np.arange(B, dtype=np.int64))
    lp = BlockLp(
        whole.cost,
        whole.col_lb,
        whole.col_ub,
        sparse.vstack([whole.matrix, rows]).tocsc(),
        np.concatenate([whole.row_lb, lo[broken]]),
        np.concatenate([whole.row_ub, hi[broken]]),
    )
    if len(pool.chunks) > 1:
        h = new_highs(deadline - time.perf_counter(), presolve=False)
        pass_lp(h, lp)
        col_status, row_status = pool.bases()
        basis = highspy.HighsBasis()
        basis.col_status = col_status
        basis.row_status = row_status + [highspy.HighsBasisStatus.kBasic] * broken.size
        basis.valid = True
        h.setBasis(basis)
    added = broken
    rounds = 0
    while True:
        rounds += 1
        h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
        h.run()
        iterations += h.getInfo().simplex_iteration_count
        status = status_name(h)
        sol = h.getSolution()
        if status == "infeasible":
            return LpResult(
                np.empty(0),
                status,
                math.nan,
                math.nan,
                iterations,
                added.size,
                rounds,
                relaxed_s,
                time.perf_counter() - t1,
            )
        x = np.asarray(sol.col_value)
        if status != "optimal":
            if h.getInfo().primal_solution_status != 2:  # 2: feasible
                raise LpTimeLimit(f"HiGHS stopped on the feeder rows without a schedule: {status}")
            break
        more = _broken(_net_charge(arrays, x), lo, hi)
        if more.size == 0:
            break
        new_rows, _, _ = feeder_rows(arrays, more, lo[more], hi[more])
        h.addRows(
            more.size,
            lo[more],
            hi[more],
            new_rows.nnz,
            new_rows.indptr.astype(np.int32),
            new_rows.indices.astype(np.int32),
            new_rows.data,
        )
        added = np.concatenate([added, more])
        lp = BlockLp(
            lp.cost,
            lp.col_lb,
            lp.col_ub,
            sparse.vstack([lp.matrix, new_rows]).tocsc(),
            np.concatenate([lp.row_lb, lo[more]]),
            np.concatenate([lp.row_ub, hi[more]]),
        )
    objective = float(h.getInfo().objective_function_value)
    if status == "optimal":
        bound = dual_objective(lp, np.asarray(sol.row_dual))
    # else keep the relaxation's bound (no feeder rows): still valid
    return LpResult(
        x,
        status,
        objective,
        bound,
        iterations,
        added.size,
        rounds,
        relaxed_s,
        time.perf_counter() - t1,
    )
