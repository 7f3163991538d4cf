"""The fleet LP as numpy arrays, one block of columns and rows per battery (no solver calls).

Pure module (numpy, scipy.sparse). `FleetArrays` holds the batteries' parameters as (B, T)
arrays; `block_lp(arrays, batteries)` returns the LP of any subset of batteries (a chunk for the
decomposition, or all of them) with its SOC rows; `feeder_rows` adds the fleet's feeder limit
rows over the same columns. The model is the one in `fleet.py`'s docstring.

Column layout, battery by battery: its flow blocks of T columns each (charge, discharge; or
charge from PV, charge from grid, discharge to own load, discharge to export with `split`),
then its T SOC columns. Rows: the battery's T SOC balance rows, in slot order. So the LP of
all batteries is block diagonal, and a battery's block is the same in every LP it is part of:
solutions and simplex bases of chunks concatenate into one for the whole fleet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

TIE_BREAK_SEED = 20240229


@dataclass(frozen=True)
class FleetArrays:
    """Per battery (rows) and slot (columns) parameters and objective rates of one fleet LP.

    `flow_usd_per_kwh`: (F, B, T) objective per kWh of each flow block (market value, plus
    degradation and tie-break), `flow_ub_kw`: (F, B, T) its upper bound, `flow_sign`: +1 for a
    charge flow, -1 for a discharge flow, `flow_soc_kwh_per_kw`: (F, B, T) its SOC gain per kW
    (dt * eta_c, or -dt / eta_d). `tie_break_usd_per_kwh`: (B, T), added to every flow.
    """

    dt_h: float
    flow_usd_per_kwh: np.ndarray
    flow_ub_kw: np.ndarray
    flow_sign: np.ndarray
    flow_soc_kwh_per_kw: np.ndarray
    soc_lb_kwh: np.ndarray
    soc_ub_kwh: np.ndarray
    initial_soc_kwh: np.ndarray
    tie_break_usd_per_kwh: np.ndarray

    @property
    def n_flows(self) -> int:
        return self.flow_usd_per_kwh.shape[0]

    @property
    def n_batteries(self) -> int:
        return self.soc_lb_kwh.shape[0]

    @property
    def n_slots(self) -> int:
        return self.soc_lb_kwh.shape[1]

    @property
    def cols_per_battery(self) -> int:
        return (self.n_flows + 1) * self.n_slots


def fleet_arrays(
    batteries: list,
    fixed_kw: np.ndarray,
    dt_h: float,
    rate_usd_per_kwh: np.ndarray,
    export_rate_usd_per_kwh: np.ndarray,
    split: bool,
    tie_break_usd_per_kwh: float,
) -> FleetArrays:
    """The LP data of `batteries` (fleet.Battery) with their homes' fixed net load (B, T).

    `split`: cut each flow by what it displaces (as `fleet._build`, see its docstring): charge
    from own PV surplus costs the export rate,
    from the grid the import rate; discharge into own load saves the import rate, beyond it
    earns the export rate.
    """
    B, T = fixed_kw.shape

    def per_batt(name: str) -> np.ndarray:
        values = np.array([getattr(b, name) for b in batteries], dtype=np.float64)
        return np.broadcast_to(values[:, None], (B, T))

    pc = per_batt("max_charge_kw")
    pd_ = per_batt("max_discharge_kw")
    eta_c = per_batt("charge_efficiency")
    eta_d = per_batt("discharge_efficiency")
    deg = per_batt("degradation_cost_usd_per_kwh")
    smin = np.array(per_batt("soc_min_kwh"))
    smax = np.array(per_batt("soc_max"))
    target = np.array([b.end_soc_target_kwh for b in batteries], dtype=np.float64)
    smin[:, -1] = np.maximum(smin[:, -1], target)
    # Deterministic tie-break: spreads otherwise equal choices (identical batteries, flat price
    # blocks) so the solution is unique and simplex avoids degenerate pivots.
    eps = (
        np.random.default_rng(TIE_BREAK_SEED).uniform(0.0, tie_break_usd_per_kwh, (B, T))
        if tie_break_usd_per_kwh > 0
        else np.zeros((B, T))
    )
    rate = np.broadcast_to(rate_usd_per_kwh[None, :], (B, T))
    export_rate = np.broadcast_to(export_rate_usd_per_kwh[None, :], (B, T))
    if split:
        ub_pv = np.minimum(pc, np.clip(-fixed_kw, 0, None))
        ub_self = np.minimum(pd_, np.clip(fixed_kw, 0, None))
        usd = [export_rate, rate, -rate, -export_rate]
        ub = [ub_pv, pc - ub_pv, ub_self, pd_ - ub_self]
        sign = np.array([1.0, 1.0, -1.0, -1.0])
    else:
        usd = [rate, -rate]
        ub = [pc, pd_]
        sign = np.array([1.0, -1.0])
    soc_gain = [dt_h * eta_c if s > 0 else -dt_h / eta_d for s in sign]
    return FleetArrays(
        dt_h=dt_h,
        flow_usd_per_kwh=np.stack([u + deg + eps for u in usd]),
        flow_ub_kw=np.stack(ub),
        flow_sign=sign,
        flow_soc_kwh_per_kw=np.stack(soc_gain),
        soc_lb_kwh=smin,
        soc_ub_kwh=smax,
        initial_soc_kwh=np.array([b.initial_soc_kwh for b in batteries], dtype=np.float64),
        tie_break_usd_per_kwh=eps,
    )


@dataclass(frozen=True)
class BlockLp:
    """min cost @ x s.t. row_lb <= A x <= row_ub, col_lb <= x <= col_ub (A in CSC)."""

    cost: np.ndarray
    col_lb: np.ndarray
    col_ub: np.ndarray
    matrix: sparse.csc_matrix
    row_lb: np.ndarray
    row_ub: np.ndarray


def block_lp(
    arrays: FleetArrays, batteries: np.ndarray, feeder_usd_per_kwh: np.ndarray | None = None
) -> BlockLp:
    """The SOC-balance LP of the batteries with indices `batteries` (in that order).

    `feeder_usd_per_kwh` (T,): a coordinating price on the fleet's net import, added to the
    charge flows' cost and taken off the discharge flows' (the Lagrangian of feeder rows).
    """
    F, T = arrays.n_flows, arrays.n_slots
    k = batteries.size
    dt = arrays.dt_h
    usd = arrays.flow_usd_per_kwh[:, batteries]  # (F, k, T)
    if feeder_usd_per_kwh is not None:
        usd = usd + arrays.flow_sign[:, None, None] * feeder_usd_per_kwh[None, None, :]
    n_cols = k * (F + 1) * T
    # cost / bounds laid out (k, F+1, T): flows then SOC
    cost = np.zeros((k, F + 1, T))
    cost[:, :F] = dt * usd.transpose(1, 0, 2)
    col_lb = np.zeros((k, F + 1, T))
    col_ub = np.empty((k, F + 1, T))
    col_ub[:, :F] = arrays.flow_ub_kw[:, batteries].transpose(1, 0, 2)
    col_lb[:, F] = arrays.soc_lb_kwh[batteries]
    col_ub[:, F] = arrays.soc_ub_kwh[batteries]
    # CSC: a flow column has one entry (its SOC row); SOC column t has +1 in row t, -1 in t+1.
    row = np.arange(k * T, dtype=np.int64).reshape(k, 1, T)
    flow_rows = np.broadcast_to(row, (k, F, T))
    flow_vals = -arrays.flow_soc_kwh_per_kw[:, batteries].transpose(1, 0, 2)
    soc_rows = np.stack([row[:, 0], row[:, 0] + 1], axis=-1)  # (k, T, 2)
    soc_vals = np.broadcast_to(np.array([1.0, -1.0]), (k, T, 2)).copy()
    soc_counts = np.full((k, T), 2, dtype=np.int64)
    soc_counts[:, -1] = 1  # last SOC has no next row
    keep = np.ones((k, T, 2), dtype=bool)
    keep[:, -1, 1] = False
    indices = np.concatenate(
        [flow_rows.reshape(k, F * T), soc_rows[keep].reshape(k, 2 * T - 1)], axis=1
    ).ravel()
    data = np.concatenate(
        [flow_vals.reshape(k, F * T), soc_vals[keep].reshape(k, 2 * T - 1)], axis=1
    ).ravel()
    counts = np.concatenate([np.ones((k, F * T), dtype=np.int64), soc_counts], axis=1).ravel()
    indptr = np.concatenate([[0], np.cumsum(counts)])
    matrix = sparse.csc_matrix((data, indices, indptr), shape=(k * T, n_cols))
    rhs = np.zeros((k, T))
    rhs[:, 0] = arrays.initial_soc_kwh[batteries]
    return BlockLp(
        cost=cost.ravel(),
        col_lb=col_lb.ravel(),
        col_ub=col_ub.ravel(),
        matrix=matrix,
        row_lb=rhs.ravel(),
        row_ub=rhs.ravel(),
    )


def feeder_rows(
    arrays: FleetArrays, slots: np.ndarray, row_lb: np.ndarray, row_ub: np.ndarray
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Rows `row_lb <= sum_b (charge - discharge)[slot] <= row_ub` for each of `slots`, over the
    columns of `block_lp(arrays, all batteries)`."""
    F, B, T = arrays.n_flows, arrays.n_batteries, arrays.n_slots
    m = slots.size
    base = (np.arange(B, dtype=np.int64) * arrays.cols_per_battery)[:, None, None]
    cols = base + (np.arange(F, dtype=np.int64) * T)[None, :, None] + slots[None, None, :]
    vals = np.broadcast_to(arrays.flow_sign[None, :, None], (B, F, m))
    rows = np.broadcast_to(np.arange(m, dtype=np.int64)[None, None, :], (B, F, m))
    matrix = sparse.csr_matrix(
        (vals.ravel(), (rows.ravel(), cols.ravel())), shape=(m, B * arrays.cols_per_battery)
    )
    return matrix, row_lb, row_ub


def unpack(arrays: FleetArrays, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column values of the all-battery LP -> (charge, discharge, soc), each (B, T); charge and
    discharge summed over their flow blocks (gross: may overlap)."""
    F, B, T = arrays.n_flows, arrays.n_batteries, arrays.n_slots
    v = x.reshape(B, F + 1, T)
    flows = v[:, :F]
    charge = flows[:, arrays.flow_sign > 0].sum(axis=1)
    discharge = flows[:, arrays.flow_sign < 0].sum(axis=1)
    return charge, discharge, v[:, F].copy()


def tie_break_usd(arrays: FleetArrays, x: np.ndarray) -> float:
    """The tie-break's share of the objective at column values `x`."""
    F, B, T = arrays.n_flows, arrays.n_batteries, arrays.n_slots
    flows = x.reshape(B, F + 1, T)[:, :F]
    return float(arrays.dt_h * (flows * arrays.tie_break_usd_per_kwh[:, None, :]).sum())
