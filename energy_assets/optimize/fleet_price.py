"""Feeder limits on a large fleet by a coordinating price (Dantzig-Wolfe column generation).

Pure module (numpy, scipy.sparse, highspy). For fleets too large for `fleet_highs`' one coupled
LP (its dual simplex pivots cost ~5 ms each at 8,000 batteries), the feeder rows are priced:

- master LP: each battery's schedule is a convex combination of the schedules it has proposed
  (one convexity row per battery), and the combination keeps to the feeder rows of the slots
  broken so far (with a penalty slack each, so the master is always feasible); it is kept in
  one HiGHS instance and re-solved from its last basis as columns and rows are added;
- pricing: the master's duals on the feeder rows are a price on the fleet's net import at those
  slots; every chunk of batteries is re-solved with it (`ChunkPool`: primal simplex from the
  chunk's last basis), and each battery whose schedule changed proposes it as a new column;
- the Lagrangian bound `sum of the chunks' priced optima + duals x limits` (each chunk's optimum
  taken as its LP dual objective, so it is a proven lower bound) closes the gap from below, the
  master's objective (a feasible schedule once the slacks are 0) from above.

It stops when the gap is below `gap_tolerance`, or at the deadline with the incumbent and its
gap ("time_limit"). Slots the incumbent breaks are added to the master as they appear.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse

from energy_assets.optimize.fleet_chunks import ChunkPool, PoolSolution, block_lp_cost
from energy_assets.optimize.highs_lp import LpResult, LpTimeLimit, new_highs, status_name

PENALTY_FACTOR = 10.0  # slack cost: this many times the dearest flow's USD per kW-slot
SMOOTHING = 0.8  # Wentges: price at 0.8 x the best-bound duals + 0.2 x the master's
MAX_ROUNDS = 100
FEEDER_TOL_KW = 1e-6


def _use(pool: ChunkPool, x: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """(n, len(slots)) net charge in kW at `slots` of n battery schedules x (n, columns)."""
    a = pool.arrays
    flows = x.reshape(x.shape[0], a.n_flows + 1, a.n_slots)[:, : a.n_flows][:, :, slots]
    return np.einsum("nfs,f->ns", flows, a.flow_sign)


def _csc(matrix: sparse.spmatrix):
    m = sparse.csc_matrix(matrix)
    return m.indptr.astype(np.int32), m.indices.astype(np.int32), m.data


def solve_by_price(
    pool: ChunkPool,
    relaxed: PoolSolution,
    lo: np.ndarray,
    hi: np.ndarray,
    broken: np.ndarray,
    deadline: float,
    gap_tolerance: float,
    offset_usd: float,
    relaxed_s: float,
) -> LpResult:
    """Column generation from the relaxed (no feeder rows) solution of `pool`; `lo`/`hi`: bounds
    on the batteries' net charge per slot; `broken`: the slots the relaxed solution breaks.
    `offset_usd`: the objective's constant, only to measure the relative gap."""
    t1 = time.perf_counter()
    a = pool.arrays
    B, ncol = a.n_batteries, a.cols_per_battery
    full_cost = np.concatenate([block_lp_cost(a, chunk, None) for chunk in pool.chunks]).reshape(
        B, ncol
    )
    current = relaxed.x.reshape(B, ncol).copy()  # each battery's latest proposal
    col_b = [np.arange(B, dtype=np.int64)]
    col_x = [current.copy()]
    slots = broken.copy()
    iterations = relaxed.iterations
    bound = relaxed.bound

    penalty = PENALTY_FACTOR * float(np.abs(full_cost).max())
    # master: rows = B convexity rows (= 1), then one per slot; cols = 2 slacks per slot, then
    # schedules.
    m = slots.size
    h = new_highs(max(deadline - time.perf_counter(), 0.01), presolve=False)
    h.addRows(B, np.ones(B), np.ones(B), 0, np.zeros(B + 1, np.int32), np.zeros(0, np.int32), [])
    h.addRows(m, lo[slots], hi[slots], 0, np.zeros(m + 1, np.int32), np.zeros(0, np.int32), [])
    n_cols = 0
    slack_cols: list[np.ndarray] = []
    sched_cols: list[np.ndarray] = []

    def add_slacks(rows: np.ndarray) -> None:
        nonlocal n_cols
        k = rows.size
        block = sparse.csc_matrix(
            (
                np.concatenate([np.ones(k), -np.ones(k)]),
                (np.concatenate([rows, rows]), np.arange(2 * k)),
            ),
            shape=(B + slots.size, 2 * k),
        )
        starts, index, value = _csc(block)
        h.addCols(
            2 * k,
            np.full(2 * k, penalty),
            np.zeros(2 * k),
            np.full(2 * k, np.inf),
            block.nnz,
            starts,
            index,
            value,
        )
        slack_cols.append(n_cols + np.arange(2 * k))
        n_cols += 2 * k

    def add_schedules(batteries: np.ndarray, x: np.ndarray) -> None:
        nonlocal n_cols
        n = batteries.size
        use = _use(pool, x, slots)  # (n, m)
        rows = np.concatenate(
            [batteries[:, None], B + np.arange(slots.size)[None, :].repeat(n, 0)], 1
        )
        vals = np.concatenate([np.ones((n, 1)), use], axis=1)
        block = sparse.csc_matrix(
            (vals.ravel(), (rows.ravel(), np.repeat(np.arange(n), slots.size + 1))),
            shape=(B + slots.size, n),
        )
        starts, index, value = _csc(block)
        h.addCols(
            n,
            (x * full_cost[batteries]).sum(axis=1),
            np.zeros(n),
            np.full(n, np.inf),
            block.nnz,
            starts,
            index,
            value,
        )
        sched_cols.append(n_cols + np.arange(n))
        n_cols += n

    add_slacks(B + np.arange(m))
    add_schedules(col_b[0], col_x[0])

    best: tuple[float, np.ndarray] | None = None
    center = np.zeros(slots.size)  # the duals of the best bound so far (the relaxation's: 0)
    alpha = SMOOTHING
    rounds = 0
    status = "time_limit"
    while rounds < MAX_ROUNDS and time.perf_counter() < deadline:
        rounds += 1
        h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
        h.run()
        iterations += h.getInfo().simplex_iteration_count
        if status_name(h) != "optimal":
            break
        sol = h.getSolution()
        w = np.asarray(sol.col_value)
        y = np.asarray(sol.row_dual)[B:]
        slack = float(w[np.concatenate(slack_cols)].sum())
        all_b = np.concatenate(col_b)
        all_x = np.concatenate(col_x)
        weights = sparse.csr_matrix(
            (w[np.concatenate(sched_cols)], (all_b, np.arange(all_b.size))),
            shape=(B, all_b.size),
        )
        x = np.asarray(weights @ all_x)
        net = _use(pool, x, np.arange(a.n_slots)).sum(axis=0)
        more = np.setdiff1d(
            np.flatnonzero((net < lo - FEEDER_TOL_KW) | (net > hi + FEEDER_TOL_KW)), slots
        )
        if slack <= FEEDER_TOL_KW and more.size == 0:
            primal = float((x * full_cost).sum())
            if best is None or primal < best[0]:
                best = (primal, x.ravel())
        # pricing: the smoothed feeder duals (USD per kW-slot) as a price per kWh of net import
        center = np.concatenate([center, np.zeros(slots.size - center.size)])
        # while the slacks are in use the duals are their penalty, not a price: a small step
        step = alpha if slack <= FEEDER_TOL_KW else max(alpha, 0.99)
        y_price = step * center + (1 - step) * y
        price = np.zeros(a.n_slots)
        price[slots] = -y_price / a.dt_h
        try:
            priced = pool.solve(price, deadline)
        except LpTimeLimit:
            break
        iterations += priced.iterations
        lagrange = priced.bound + float((y_price[y_price > 0] * lo[slots][y_price > 0]).sum())
        lagrange += float((y_price[y_price < 0] * hi[slots][y_price < 0]).sum())
        if lagrange > bound:
            bound, center = lagrange, y_price
        if best is not None:
            gap = (best[0] - bound) / max(1.0, abs(best[0] + offset_usd))
            if gap <= gap_tolerance:
                status = "optimal"
                break
        proposals = priced.x.reshape(B, ncol)
        changed = np.flatnonzero(np.abs(proposals - current).max(axis=1) > 1e-9)
        if more.size:
            h.addRows(
                more.size,
                lo[more],
                hi[more],
                0,
                np.zeros(more.size + 1, np.int32),
                np.zeros(0, np.int32),
                [],
            )
            # the existing columns' entries in the new rows
            start = B + slots.size
            slots = np.concatenate([slots, more])
            _fill_rows(h, pool, np.concatenate(col_x), np.concatenate(sched_cols), more, start)
            add_slacks(start + np.arange(more.size))
        if changed.size == 0 and more.size == 0:
            if alpha > 0:
                alpha = 0.0  # mis-pricing: price at the master's own duals next
                continue
            if slack > FEEDER_TOL_KW:
                penalty *= 10  # the slacks are cheaper than keeping to the limits: dearer
                idx = np.concatenate(slack_cols).astype(np.int32)
                h.changeColsCost(idx.size, idx, np.full(idx.size, penalty))
                continue
            if best is not None:
                status = "optimal"  # no column prices out: the master's optimum is the LP's
            break
        alpha = SMOOTHING
        if changed.size:
            current[changed] = proposals[changed]
            col_b.append(changed)
            col_x.append(proposals[changed].copy())
            add_schedules(changed, col_x[-1])
    if best is None:
        raise LpTimeLimit("the coordinating price found no schedule within the feeder limits")
    return LpResult(
        best[1],
        status,
        best[0],
        bound,
        iterations,
        slots.size,
        rounds,
        relaxed_s,
        time.perf_counter() - t1,
    )


def _fill_rows(
    h, pool: ChunkPool, x: np.ndarray, cols: np.ndarray, new_slots: np.ndarray, first_row: int
) -> None:
    """Set the coefficients of the schedules x (master columns `cols`) on new slot rows."""
    use = _use(pool, x, new_slots)  # (n, k)
    which, k = np.nonzero(use)
    for i, r in zip(which, k, strict=True):
        h.changeCoeff(int(first_row + r), int(cols[i]), float(use[i, r]))
