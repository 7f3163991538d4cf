"""The fleet's batteries as chunks of small LPs, each kept in its own HiGHS instance.

Pure module (numpy, highspy). `ChunkPool(arrays)` cuts the batteries into chunks of
`CHUNK_BATTERIES` (HiGHS' dual simplex spends ~10 us a pivot on such a chunk against ~100 us on
the whole fleet's LP); `solve(price)` solves every chunk with an optional price on the fleet's
net import per slot (the first call from scratch, later ones from each chunk's last basis by
primal simplex: a price change leaves the basis primal feasible), on `threads` threads
(highspy releases the GIL while HiGHS runs). Each chunk's optimum is also reported as its LP
dual objective, a proven lower bound.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from energy_assets.optimize.fleet_lp import BlockLp, FleetArrays, block_lp
from energy_assets.optimize.highs_lp import (
    LpTimeLimit,
    dual_objective,
    new_highs,
    pass_lp,
    status_name,
)

CHUNK_BATTERIES = 20


@dataclass(frozen=True)
class PoolSolution:
    """All batteries' columns `x` (block_lp layout), the summed chunk objectives and their
    proven lower bound (at the price solved with), and the simplex pivots spent."""

    x: np.ndarray
    objective: float
    bound: float
    iterations: int


class ChunkPool:
    """One HiGHS instance per chunk of batteries, kept between solves (see module docstring)."""

    def __init__(self, arrays: FleetArrays, threads: int = 1):
        self.arrays = arrays
        self.threads = max(1, int(threads))
        B = arrays.n_batteries
        self.chunks = np.array_split(
            np.arange(B, dtype=np.int64), max(1, math.ceil(B / CHUNK_BATTERIES))
        )
        self.lps: list[BlockLp | None] = [None] * len(self.chunks)
        self.highs: list = [None] * len(self.chunks)
        self.price_cols: list[np.ndarray | None] = [None] * len(self.chunks)

    def _one(self, i: int, price: np.ndarray | None, deadline: float):
        chunk = self.chunks[i]
        left = deadline - time.perf_counter()
        if left <= 0:
            raise LpTimeLimit(f"time limit reached before batteries {int(chunk[0])}-")
        h = self.highs[i]
        if h is None:
            lp = block_lp(self.arrays, chunk, price)
            h = new_highs(left, presolve=False)
            pass_lp(h, lp)
            self.lps[i], self.highs[i] = lp, h
        else:
            lp = self.lps[i]
            cost = block_lp_cost(self.arrays, chunk, price)
            changed = np.flatnonzero(cost != lp.cost).astype(np.int32)
            if changed.size:
                h.changeColsCost(changed.size, changed, cost[changed])
            lp = BlockLp(cost, lp.col_lb, lp.col_ub, lp.matrix, lp.row_lb, lp.row_ub)
            self.lps[i] = lp
            h.setOptionValue("time_limit", left)
            h.setOptionValue("simplex_strategy", 4)  # primal: the basis stays primal feasible
        h.run()
        status = status_name(h)
        if status != "optimal":
            raise LpTimeLimit(
                f"HiGHS stopped on batteries {int(chunk[0])}-{int(chunk[-1])}: {status}"
            )
        sol = h.getSolution()
        info = h.getInfo()
        bound = dual_objective(lp, np.asarray(sol.row_dual))
        return (
            np.asarray(sol.col_value),
            info.objective_function_value,
            bound,
            info.simplex_iteration_count,
        )

    def solve(self, price: np.ndarray | None, deadline: float) -> PoolSolution:
        """Every chunk at `price` (USD per kWh of net import per slot, or None)."""
        n = len(self.chunks)
        if self.threads == 1 or n == 1:
            parts = [self._one(i, price, deadline) for i in range(n)]
        else:
            with ThreadPoolExecutor(self.threads) as pool:
                parts = list(pool.map(lambda i: self._one(i, price, deadline), range(n)))
        return PoolSolution(
            x=np.concatenate([p[0] for p in parts]),
            objective=float(sum(p[1] for p in parts)),
            bound=float(sum(p[2] for p in parts)),
            iterations=int(sum(p[3] for p in parts)),
        )

    def bases(self) -> tuple[list, list]:
        """The chunks' last simplex bases, concatenated (columns, rows) in battery order."""
        cols, rows = [], []
        for h in self.highs:
            basis = h.getBasis()
            cols.extend(basis.col_status)
            rows.extend(basis.row_status)
        return cols, rows


def block_lp_cost(
    arrays: FleetArrays, batteries: np.ndarray, price: np.ndarray | None
) -> np.ndarray:
    """The objective of `block_lp(arrays, batteries, price)` without building its matrix."""
    F, T = arrays.n_flows, arrays.n_slots
    usd = arrays.flow_usd_per_kwh[:, batteries]
    if price is not None:
        usd = usd + arrays.flow_sign[:, None, None] * price[None, None, :]
    cost = np.zeros((batteries.size, F + 1, T))
    cost[:, :F] = arrays.dt_h * usd.transpose(1, 0, 2)
    return cost.ravel()
