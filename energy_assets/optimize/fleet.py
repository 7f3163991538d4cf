"""Virtual-power-plant dispatch: a fleet of homes with PV and batteries, as one linear program.

Pure module (numpy, polars, OR-Tools MathOpt; no Dagster). `solve_fleet(FleetProblem)` returns a
`FleetSchedule`: `per_home` (long frame, home x slot), `fleet` (per-slot totals) and `summary`.

Model (battery home `b`, slot `t`, slot length `dt` hours; P50 signals only):

    charge c[b,t] in [0, max_charge_kw]        discharge d[b,t] in [0, max_discharge_kw]
    soc s[b,t] (end of slot) in [soc_min, soc_max], s[b,T-1] >= end_soc_target
    s[b,t] = s[b,t-1] + dt * (charge_efficiency * c - d / discharge_efficiency),  s[b,-1] = initial
    net_import[h,t] = load - pv + c - d         (negative = export; homes without battery are fixed)
    feeder:  -feeder_export_limit_kw[t] <= sum_h net_import[h,t] <= feeder_import_limit_kw[t]

There is no PV curtailment and no load flexibility: only the batteries move. `charge_kw` and
`discharge_kw` are at the battery's AC terminals (what the meter sees). Slots are
`slot_starts_utc` (any tz-aware datetimes, converted to UTC; 92/96/100 per local day at 15 min).

Objective (minimised, in USD):

- `"cost"`: the bill `dt * (import_price * import - export_price * export)`, per home (each home's
  own meter), plus degradation. The export price defaults to the import price (a real-time
  tariff both ways, i.e. net metering per slot); the bill is then linear in net import. A
  separate export price must not exceed the import price (else ValueError: the LP would import
  to export); battery flows are then split by what they displace, exactly and without extra rows
  (see `_build`): charging from the home's own PV surplus costs the export price, from the grid
  the import price; discharging into the home's own load saves the import price, beyond it earns
  the export price. Energy from one home's battery to a neighbour goes through both meters.
- `"carbon"`: emissions `dt * carbon_gco2_per_kwh * net_import` valued at
  `carbon_price_usd_per_kg` (default 0.19 USD/kg = 190 USD/t) plus degradation, so both
  objectives are in USD and degradation weighs the same. Exports are credited at the slot's grid
  intensity by default (avoided emissions); `carbon_credit_exports=False` counts imports only.
- Degradation: `degradation_cost_usd_per_kwh * dt * (c + d)`, on throughput in **both**
  directions (a full cycle of E kWh costs about 2 * E * cost; halve a per-cycle figure).
- Tie-break: each battery-slot's charge and discharge also cost a fixed pseudo-random
  `U(0, tie_break_usd_per_kwh)` (default 1e-5 USD/kWh, seed fixed). Identical batteries and flat
  price blocks otherwise leave many equally good schedules; the tie-break makes the optimum unique
  and reproducible and speeds HiGHS' simplex up ~2-3x at 1,000 homes. It is included in
  `objective`/`best_bound` and reported as `tie_break_usd` (about 0.002 % of the bill); costs and
  CO2 in the summary are computed from the schedule without it. Set 0 to switch it off.

Simultaneous charge and discharge: doing both at once burns `(1 - eta_c * eta_d)` of the energy.
It never pays at a positive price, and with degradation on both directions it stays unprofitable
while a negative price satisfies `|price| < cost * (1 + eta_c*eta_d) / (1 - eta_c*eta_d)` (about
19x the per-direction degradation cost at 95 %/95 %, e.g. -0.19 USD/kWh for 0.01 USD/kWh). Beyond
that, or when a feeder export limit can only be met by burning energy, the LP may overlap them. A
real inverter cannot, so the returned schedule is always netted (SOC path unchanged, see
`_net_overlaps`); the summary reports the LP's overlap (`simultaneous_charge_discharge_kwh`,
normally 0) and any feeder-limit violation the netting causes (`feeder_limit_violation_kw`), and a
warning is logged. `forbid_simultaneous=True` prevents it exactly with one binary per
battery-slot (a MIP solved by HiGHS: fine for tens of homes, slow for 1,000).

Baseline (summary): the same fleet with every battery idle (c = d = 0), i.e. what the homes would
pay / emit without dispatch. It ignores feeder limits and the end-of-day SOC target (with a target
above the initial SOC, part of the "saving" is negative: it buys the extra stored energy).

Infeasibility: `FleetInfeasible` (a ValueError) names the home and constraint for what can be seen
before solving (profile length/NaN, soc_min > soc_max, end target above soc_max or beyond what
max_charge_kw can reach, a feeder limit broken even with every battery at full power), and after
a solver "infeasible" names the feeder limit and the first slot where the fixed net load breaks it.

Solving (default `solver="highs"`, `lp_method="simplex"`): the homes are coupled only through
the feeder limits, so the LP is solved by its structure (`fleet_lp`: the model as numpy arrays,
one block per battery; `fleet_chunks`: chunks of 20 batteries, each in its own HiGHS instance,
on `threads` threads; `fleet_highs`: the relaxation without feeder rows, then lazy feeder rows
on the whole LP from the chunks' bases up to `fleet_highs.COUPLED_MAX_BATTERIES` batteries;
`fleet_price`: beyond that, a coordinating price on the feeder rows by column generation, to
`gap_tolerance`). The reported `best_bound` is a Lagrangian bound computed from the duals (not
the solver's word), `gap` = (objective - bound) / max(1, |objective|). Without a binding feeder
limit (the graph's default) the relaxation is the answer. A time limit returns the incumbent
with status "time_limit" and its gap, or raises `FleetSolveError` when there is none.
GLOP / PDLP (`solver=`), HiGHS interior point (`lp_method="ipm"`) and the MIP
(`forbid_simultaneous`) build the same model in one piece as a MathOpt `ModelProto` (`_build`).
Size: 3 variables per battery-slot (5 with a separate export price), one row per battery-slot,
plus one feeder row per constrained slot (lazily: only slots a solution breaks). 1,000 homes
(766 batteries) x 96 slots from real data with a binding export limit: ~1.5-2 s (was ~10 s as
one LP); see the README's dispatch benchmark for measured figures.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import numpy as np
import polars as pl

from energy_assets.optimize.fleet_highs import LpTimeLimit, solve_fleet_lp
from energy_assets.optimize.fleet_lp import fleet_arrays, tie_break_usd, unpack
from energy_assets.optimize.highs_lp import solve_proto

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ortools.math_opt import model_pb2
    from ortools.math_opt.python import mathopt

log = logging.getLogger(__name__)

Objective = Literal["cost", "carbon"]
SolverName = Literal["highs", "glop", "pdlp"]
LpMethod = Literal["simplex", "ipm"]

# Solver name -> `mathopt.SolverType` member (looked up at solve time: ortools loads lazily).
_SOLVERS = {"highs": "HIGHS", "glop": "GLOP", "pdlp": "PDLP"}
_TOL = 1e-6


class FleetInfeasible(ValueError):
    """The fleet cannot meet its constraints.

    The message names the home and constraint, or the feeder limit and the first slot.
    """


class FleetSolveError(RuntimeError):
    """The solver stopped without a usable solution (time limit without solution, numerics)."""


@dataclass(frozen=True)
class Battery:
    """A home battery. Energies in kWh, powers in kW (AC side), efficiencies in (0, 1]."""

    capacity_kwh: float
    max_charge_kw: float
    max_discharge_kw: float
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_min_kwh: float = 0.0
    soc_max_kwh: float | None = None  # None: capacity_kwh
    initial_soc_kwh: float = 0.0
    end_soc_target_kwh: float = 0.0  # end of horizon SOC >= this
    degradation_cost_usd_per_kwh: float = 0.0  # per kWh of charge AND of discharge throughput

    @property
    def soc_max(self) -> float:
        return self.capacity_kwh if self.soc_max_kwh is None else self.soc_max_kwh

    def problems(self, horizon_h: float) -> list[str]:
        """What makes this battery unusable over a horizon of `horizon_h` hours (empty if fine)."""
        out: list[str] = []
        values = {
            "capacity_kwh": self.capacity_kwh,
            "max_charge_kw": self.max_charge_kw,
            "max_discharge_kw": self.max_discharge_kw,
            "soc_min_kwh": self.soc_min_kwh,
            "soc_max_kwh": self.soc_max,
            "initial_soc_kwh": self.initial_soc_kwh,
            "end_soc_target_kwh": self.end_soc_target_kwh,
            "degradation_cost_usd_per_kwh": self.degradation_cost_usd_per_kwh,
        }
        for name, value in values.items():
            if not math.isfinite(value) or value < 0:
                out.append(f"{name}={value} must be finite and >= 0")
        for name in ("charge_efficiency", "discharge_efficiency"):
            value = getattr(self, name)
            if not (0 < value <= 1):
                out.append(f"{name}={value} must be in (0, 1]")
        if out:
            return out
        if self.soc_min_kwh > self.soc_max:
            out.append(f"soc_min_kwh={self.soc_min_kwh} > soc_max_kwh={self.soc_max}")
        if self.soc_max > self.capacity_kwh + _TOL:
            out.append(f"soc_max_kwh={self.soc_max} > capacity_kwh={self.capacity_kwh}")
        if not (self.soc_min_kwh - _TOL <= self.initial_soc_kwh <= self.soc_max + _TOL):
            out.append(
                f"initial_soc_kwh={self.initial_soc_kwh} outside "
                f"[soc_min_kwh={self.soc_min_kwh}, soc_max_kwh={self.soc_max}]"
            )
        if self.end_soc_target_kwh > self.soc_max + _TOL:
            out.append(f"end_soc_target_kwh={self.end_soc_target_kwh} > soc_max_kwh={self.soc_max}")
        reachable = self.initial_soc_kwh + self.max_charge_kw * self.charge_efficiency * horizon_h
        if self.end_soc_target_kwh > reachable + _TOL:
            out.append(
                f"end_soc_target_kwh={self.end_soc_target_kwh} unreachable: at most "
                f"{reachable:.3f} kWh (initial {self.initial_soc_kwh} + max_charge_kw "
                f"{self.max_charge_kw} x charge_efficiency {self.charge_efficiency} x "
                f"{horizon_h:g} h)"
            )
        return out


@dataclass(frozen=True)
class Home:
    """One home: load and PV in kW per slot (PV >= 0), optional battery."""

    home_id: str
    load_kw: np.ndarray
    pv_kw: np.ndarray
    battery: Battery | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "load_kw", np.asarray(self.load_kw, dtype=np.float64))
        object.__setattr__(self, "pv_kw", np.asarray(self.pv_kw, dtype=np.float64))


@dataclass(frozen=True)
class FleetProblem:
    """Inputs of one fleet dispatch. Per-slot arrays have one value per `slot_starts_utc`.

    `feeder_*_limit_kw`: scalar or per-slot array (kW, >= 0), on the sum of the homes' net import;
    None = unlimited. `export_price_usd_per_kwh`: None = the import price.
    `carbon_price_usd_per_kg` values CO2 for the "carbon" objective. `solver`: "highs" (default),
    "glop" or "pdlp" (first-order, approximate). `lp_method` (HiGHS only): "simplex" (dual
    simplex, a vertex solution; default) or "ipm" (interior point without crossover, tolerance
    1e-6: an interior solution, ties spread across homes, tiny charge/discharge overlaps possible).
    `tie_break_usd_per_kwh`: see the module docstring; 0 disables.
    """

    slot_starts_utc: list[datetime]
    slot_minutes: int
    homes: list[Home]
    price_usd_per_kwh: np.ndarray
    carbon_gco2_per_kwh: np.ndarray
    export_price_usd_per_kwh: np.ndarray | None = None
    objective: Objective = "cost"
    feeder_import_limit_kw: float | np.ndarray | None = None
    feeder_export_limit_kw: float | np.ndarray | None = None
    time_limit_s: float = 60
    carbon_price_usd_per_kg: float = 0.19
    carbon_credit_exports: bool = True
    forbid_simultaneous: bool = False
    solver: SolverName = "highs"
    lp_method: LpMethod = "simplex"
    tie_break_usd_per_kwh: float = 1e-5
    gap_tolerance: float = 1e-4
    threads: int = 1


@dataclass(frozen=True)
class FleetSchedule:
    """Solution: `per_home` (long: home x slot), `fleet` (per slot totals) and `summary`."""

    per_home: pl.DataFrame
    fleet: pl.DataFrame
    summary: dict = field(default_factory=dict)


def home_schedule_rows(
    per_home: pl.DataFrame,
    signals: pl.DataFrame,
    *,
    region: str,
    market_date,
    columns: Sequence[str | pl.Expr],
    feeder_import_limit_kw: float | None,
    feeder_export_limit_kw: float | None,
) -> pl.DataFrame:
    """A `FleetSchedule.per_home` as the fleet dispatch tables store it: region, market date,
    the home's slot (UTC) with its flows and `baseline_net_import_kw` (load - PV, every battery
    idle), then `columns` (the signals planned on, joined from `signals` by
    `interval_start_utc`, and the run's settings), then the feeder limits."""
    return (
        per_home.with_columns(pl.col("interval_start_utc").dt.convert_time_zone("UTC"))
        .with_columns(baseline_net_import_kw=pl.col("load_kw") - pl.col("pv_kw"))
        .join(signals, on="interval_start_utc", how="left")
        .select(
            pl.lit(region).alias("region"),
            pl.lit(market_date, dtype=pl.Date).alias("market_date"),
            "home_id",
            "interval_start_utc",
            "load_kw",
            "pv_kw",
            "charge_kw",
            "discharge_kw",
            "soc_kwh",
            "net_import_kw",
            "baseline_net_import_kw",
            *columns,
            pl.lit(feeder_import_limit_kw, dtype=pl.Float64).alias("feeder_import_limit_kw"),
            pl.lit(feeder_export_limit_kw, dtype=pl.Float64).alias("feeder_export_limit_kw"),
        )
    )


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def _slot_array(name: str, value, n: int, *, allow_none: bool = False) -> np.ndarray | None:
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{name} is required")
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name} has {arr.shape[0] if arr.ndim else 1} values, expected {n} slots")
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} has non-finite values (first at slot {_first(~np.isfinite(arr))})"
        )
    return arr


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_slots(problem: FleetProblem) -> list[datetime]:
    """The slot starts as UTC datetimes, checked: tz-aware, evenly `slot_minutes` apart."""
    if not problem.slot_starts_utc:
        raise ValueError("slot_starts_utc is empty")
    if problem.slot_minutes <= 0:
        raise ValueError(f"slot_minutes={problem.slot_minutes} must be > 0")
    for i, ts in enumerate(problem.slot_starts_utc):
        if ts.tzinfo is None or ts.utcoffset() is None:
            raise ValueError(f"slot_starts_utc[{i}]={ts} is not timezone-aware")
    # In UTC: differences of datetimes sharing a zone are wall-clock differences in Python.
    starts = [ts.astimezone(UTC) for ts in problem.slot_starts_utc]
    step = timedelta(minutes=problem.slot_minutes)
    for i in range(1, len(starts)):
        if starts[i] - starts[i - 1] != step:
            raise ValueError(
                f"slot_starts_utc[{i}]={starts[i]} is not {problem.slot_minutes} min after "
                f"slot {i - 1} ({starts[i - 1]})"
            )
    return starts


def _check_homes(problem: FleetProblem, n_slots: int) -> None:
    if not problem.homes:
        raise ValueError("the fleet has no homes")
    horizon_h = n_slots * problem.slot_minutes / 60
    seen: set[str] = set()
    for home in problem.homes:
        if home.home_id in seen:
            raise ValueError(f"duplicate home_id {home.home_id!r}")
        seen.add(home.home_id)
        for name in ("load_kw", "pv_kw"):
            arr = getattr(home, name)
            if arr.shape != (n_slots,):
                raise FleetInfeasible(
                    f"home {home.home_id!r}: {name} has {arr.size} values, expected {n_slots} "
                    f"slots (one per slot_starts_utc)"
                )
            if not np.all(np.isfinite(arr)):
                raise FleetInfeasible(
                    f"home {home.home_id!r}: {name} is missing/non-finite at slot "
                    f"{_first(~np.isfinite(arr))}"
                )
        if np.any(home.pv_kw < 0):
            raise FleetInfeasible(
                f"home {home.home_id!r}: pv_kw is negative at slot {_first(home.pv_kw < 0)}"
            )
        if home.battery is not None:
            issues = home.battery.problems(horizon_h)
            if issues:
                raise FleetInfeasible(f"home {home.home_id!r}: battery " + "; ".join(issues))


def _feeder_message(
    starts: list[datetime],
    fixed_total: np.ndarray,
    imp_limit: np.ndarray | None,
    exp_limit: np.ndarray | None,
    max_discharge: float,
    max_charge: float,
) -> str | None:
    """Name the first slot where the fixed net load (load - PV) breaks a feeder limit, after the
    batteries at full power (`max_*`: fleet sums; 0 gives the plain fixed-load check)."""
    if imp_limit is not None:
        bad = fixed_total - max_discharge > imp_limit + _TOL
        if bad.any():
            t = _first(bad)
            return (
                f"feeder import limit {imp_limit[t]:g} kW is exceeded at slot {t} ({starts[t]}): "
                f"fixed net load (load - PV) is {fixed_total[t]:.3f} kW"
                + (
                    f", more than the batteries' {max_discharge:.3f} kW of discharge can offset"
                    if max_discharge > 0
                    else ""
                )
            )
    if exp_limit is not None:
        bad = -fixed_total - max_charge > exp_limit + _TOL
        if bad.any():
            t = _first(bad)
            return (
                f"feeder export limit {exp_limit[t]:g} kW is exceeded at slot {t} ({starts[t]}): "
                f"fixed net export (PV - load) is {-fixed_total[t]:.3f} kW"
                + (
                    f", more than the batteries' {max_charge:.3f} kW of charge can absorb"
                    if max_charge > 0
                    else ""
                )
                + " (this model has no PV curtailment)"
            )
    return None


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


@dataclass
class _Built:
    proto: model_pb2.ModelProto
    n_vars: int
    n_rows: int
    charge: list[np.ndarray]  # (B, T) variable ids of the charge flows (summed)
    discharge: list[np.ndarray]
    s: np.ndarray
    tie_break: list[tuple[np.ndarray, np.ndarray]]  # (ids, USD per kW-slot)


def _build(
    problem: FleetProblem,
    n_slots: int,
    fixed: np.ndarray,
    batt_idx: np.ndarray,
    rate: np.ndarray,
    export_rate: np.ndarray,
    split: bool,
    imp_limit: np.ndarray | None,
    exp_limit: np.ndarray | None,
) -> _Built:
    """The LP (or MIP) as a MathOpt ModelProto, from numpy index arrays.

    `rate` / `export_rate`: objective USD per kWh imported / exported (export_rate <= rate).
    Without `split` they are equal and each battery-slot has charge `c`, discharge `d`, SOC `s`.
    With `split` the flows are cut by what they displace, so the bill stays linear without
    import/export variables or extra rows (exact for export_rate <= rate):

        charge    = c_pv (<= min(Pc, PV surplus), costs the forgone export: export_rate)
                  + c_grid (<= Pc - that bound, costs the import: rate)
        discharge = d_self (<= min(Pd, net load), saves an import: rate)
                  + d_exp (<= Pd - that bound, earns an export: export_rate)

    The bounds of each pair add up to the power limit, and the LP always fills the cheaper /
    more valuable part first, where the bill is exact; any other split costs at least as much.
    """
    from ortools.math_opt import model_pb2

    T = n_slots
    B = batt_idx.size
    dt = problem.slot_minutes / 60
    batts = [problem.homes[i].battery for i in batt_idx]

    def per_batt(values: list[float]) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)[:, None] * np.ones((1, T))

    pc = per_batt([b.max_charge_kw for b in batts])
    pd_ = per_batt([b.max_discharge_kw for b in batts])
    eta_c = per_batt([b.charge_efficiency for b in batts])
    eta_d = per_batt([b.discharge_efficiency for b in batts])
    deg = per_batt([b.degradation_cost_usd_per_kwh for b in batts])
    smin = per_batt([b.soc_min_kwh for b in batts])
    smax = per_batt([b.soc_max for b in batts])
    init = np.array([b.initial_soc_kwh for b in batts])
    target = np.array([b.end_soc_target_kwh for b in batts])
    fixed_b = fixed[batt_idx]
    # Deterministic tie-break: spreads otherwise equal choices (identical batteries, flat price
    # blocks) so the solution is unique and simplex avoids degenerate pivots.
    eps = (
        np.random.default_rng(20240229).uniform(0.0, problem.tie_break_usd_per_kwh, (B, T))
        if problem.tie_break_usd_per_kwh > 0
        else np.zeros((B, T))
    )

    nxt = 0

    def block() -> np.ndarray:
        nonlocal nxt
        ids = np.arange(nxt, nxt + B * T, dtype=np.int64).reshape(B, T)
        nxt += B * T
        return ids

    # (ids, upper bound, USD per kWh) for each flow; degradation and tie-break added below.
    if split:
        surplus = np.clip(-fixed_b, 0, None)
        net_load = np.clip(fixed_b, 0, None)
        ub_pv = np.minimum(pc, surplus)
        ub_self = np.minimum(pd_, net_load)
        charges = [(block(), ub_pv, export_rate[None, :]), (block(), pc - ub_pv, rate[None, :])]
        discharges = [
            (block(), ub_self, -rate[None, :]),
            (block(), pd_ - ub_self, -export_rate[None, :]),
        ]
    else:
        charges = [(block(), pc, rate[None, :])]
        discharges = [(block(), pd_, -rate[None, :])]
    s = block()
    u = block() if problem.forbid_simultaneous else None
    n_vars = nxt

    lb = np.zeros(n_vars)
    ub = np.full(n_vars, np.inf)
    obj = np.zeros(n_vars)
    tie_break = []
    for ids, bound, usd in charges + discharges:
        ub[ids.ravel()] = bound.ravel()
        obj[ids.ravel()] = (dt * (usd + deg + eps)).ravel()
        tie_break.append((ids, dt * eps))
    s_lb = smin.copy()
    s_lb[:, -1] = np.maximum(s_lb[:, -1], target)
    lb[s.ravel()] = s_lb.ravel()
    ub[s.ravel()] = smax.ravel()
    integers = np.zeros(n_vars, dtype=bool)
    if u is not None:
        ub[u.ravel()] = 1.0
        integers[u.ravel()] = True
    # Constant part: every home's bill (or emissions) with idle batteries.
    offset = float(
        dt * (np.clip(fixed, 0, None) @ rate - np.clip(-fixed, 0, None) @ export_rate).sum()
    )

    rows_r: list[np.ndarray] = []
    rows_c: list[np.ndarray] = []
    rows_v: list[np.ndarray] = []
    row_lb: list[np.ndarray] = []
    row_ub: list[np.ndarray] = []
    n_rows = 0

    def add(r: np.ndarray, col: np.ndarray, v) -> None:
        rows_r.append(r.ravel())
        rows_c.append(col.ravel())
        rows_v.append(np.broadcast_to(v, r.shape).ravel())

    # SOC dynamics: s_t - s_{t-1} - dt*eta_c*charge_t + dt/eta_d*discharge_t = 0 (t=0: initial).
    r = np.arange(B * T, dtype=np.int64).reshape(B, T)
    add(r, s, 1.0)
    add(r[:, 1:], s[:, :-1], -1.0)
    for ids, _, _ in charges:
        add(r, ids, -dt * eta_c)
    for ids, _, _ in discharges:
        add(r, ids, dt / eta_d)
    rhs = np.zeros((B, T))
    rhs[:, 0] = init
    row_lb.append(rhs.ravel())
    row_ub.append(rhs.ravel())
    n_rows += B * T

    if imp_limit is not None or exp_limit is not None:
        # -exp_limit - F <= sum_b (charge - discharge) <= imp_limit - F, only in slots where the
        # batteries at full power could break a limit (other rows never bind and slow the solver).
        total = fixed.sum(axis=0)
        f_lb = np.full(T, -np.inf) if exp_limit is None else -exp_limit - total
        f_ub = np.full(T, np.inf) if imp_limit is None else imp_limit - total
        keep = np.flatnonzero((f_ub < pc.sum(axis=0)) | (f_lb > -pd_.sum(axis=0)))
        if keep.size:
            r = n_rows + np.broadcast_to(np.arange(keep.size, dtype=np.int64), (B, keep.size))
            for ids, _, _ in charges:
                add(r, ids[:, keep], 1.0)
            for ids, _, _ in discharges:
                add(r, ids[:, keep], -1.0)
            row_lb.append(f_lb[keep])
            row_ub.append(f_ub[keep])
            n_rows += keep.size

    if u is not None:
        # charge <= Pc * u ; discharge <= Pd * (1 - u)
        r = n_rows + np.arange(B * T, dtype=np.int64).reshape(B, T)
        for ids, _, _ in charges:
            add(r, ids, 1.0)
        add(r, u, -pc)
        row_lb.append(np.full(B * T, -np.inf))
        row_ub.append(np.zeros(B * T))
        n_rows += B * T
        r = n_rows + np.arange(B * T, dtype=np.int64).reshape(B, T)
        for ids, _, _ in discharges:
            add(r, ids, 1.0)
        add(r, u, pd_)
        row_lb.append(np.full(B * T, -np.inf))
        row_ub.append(pd_.ravel())
        n_rows += B * T

    mr = np.concatenate(rows_r)
    mc = np.concatenate(rows_c)
    mv = np.concatenate(rows_v)
    order = np.lexsort((mc, mr))  # MathOpt wants row-major, sorted, no duplicates

    proto = model_pb2.ModelProto(name="vpp_fleet")
    proto.variables.ids.extend(np.arange(n_vars, dtype=np.int64))
    proto.variables.lower_bounds.extend(lb)
    proto.variables.upper_bounds.extend(ub)
    proto.variables.integers.extend(integers)
    proto.objective.maximize = False
    proto.objective.offset = offset
    nz = np.flatnonzero(obj)
    proto.objective.linear_coefficients.ids.extend(nz)
    proto.objective.linear_coefficients.values.extend(obj[nz])
    proto.linear_constraints.ids.extend(np.arange(n_rows, dtype=np.int64))
    proto.linear_constraints.lower_bounds.extend(np.concatenate(row_lb))
    proto.linear_constraints.upper_bounds.extend(np.concatenate(row_ub))
    proto.linear_constraint_matrix.row_ids.extend(mr[order])
    proto.linear_constraint_matrix.column_ids.extend(mc[order])
    proto.linear_constraint_matrix.coefficients.extend(mv[order])
    return _Built(
        proto=proto,
        n_vars=n_vars,
        n_rows=n_rows,
        charge=[ids for ids, _, _ in charges],
        discharge=[ids for ids, _, _ in discharges],
        s=s,
        tie_break=tie_break,
    )


def _net_overlaps(
    c: np.ndarray, d: np.ndarray, batts: list[Battery]
) -> tuple[np.ndarray, np.ndarray]:
    """Remove simultaneous charge and discharge without changing the SOC path.

    Taking x off the charge and eta_c*eta_d*x off the discharge keeps
    eta_c*c - d/eta_d unchanged; x = min(c, d/(eta_c*eta_d)) zeroes one of them. Net import drops
    by x*(1 - eta_c*eta_d) (the energy the overlap would have burnt).
    """
    eta = np.array([b.charge_efficiency * b.discharge_efficiency for b in batts])[:, None]
    x = np.minimum(c, d / eta)
    return np.clip(c - x, 0, None), np.clip(d - eta * x, 0, None)


def _params(time_limit_s: float) -> mathopt.SolveParameters:
    """MathOpt parameters for GLOP / PDLP (HiGHS goes through highspy, `solve_proto`)."""
    from ortools.math_opt.python import mathopt

    return mathopt.SolveParameters(time_limit=timedelta(seconds=time_limit_s))


def _bill(net: np.ndarray, dt: float, rate: np.ndarray, export_rate: np.ndarray) -> float:
    """Sum over homes and slots of dt * (rate * import - export_rate * export)."""
    return float(dt * (np.clip(net, 0, None) @ rate - np.clip(-net, 0, None) @ export_rate).sum())


def _solve_highs_one_piece(built, problem, method, starts, fixed_total, imp_limit, exp_limit):
    """The one-piece model (the MIP, or interior point) in HiGHS through highspy:
    (x, objective, bound, status)."""
    result = solve_proto(built.proto, problem.time_limit_s, ipm=method == "ipm")
    if result.status == "infeasible":
        raise _infeasible(starts, fixed_total, imp_limit, exp_limit)
    if result.x is None:
        raise FleetSolveError(f"highs stopped without a solution: {result.status}")
    return result.x, result.objective, result.bound, result.status


def _decomposed(problem: FleetProblem) -> bool:
    """The default LP (HiGHS dual simplex) goes through `fleet_highs` (chunks + lazy feeder
    rows); GLOP / PDLP / interior point / the MIP keep the one-piece MathOpt model."""
    return (
        problem.solver == "highs"
        and problem.lp_method == "simplex"
        and not problem.forbid_simultaneous
    )


def _infeasible(
    starts: list[datetime],
    fixed_total: np.ndarray,
    imp_limit: np.ndarray | None,
    exp_limit: np.ndarray | None,
) -> FleetInfeasible:
    """The error for a solver's "infeasible": the limits and the first breach without batteries."""
    hint = _feeder_message(starts, fixed_total, imp_limit, exp_limit, 0.0, 0.0)
    limits = []
    if imp_limit is not None:
        limits.append(f"feeder import limit (min {imp_limit.min():g} kW)")
    if exp_limit is not None:
        limits.append(f"feeder export limit (min {exp_limit.min():g} kW)")
    return FleetInfeasible(
        "solver reports the fleet infeasible"
        + (
            ": the batteries hold too little energy to keep to the " + " and the ".join(limits)
            if limits
            else ""
        )
        + (f"; first breach without batteries: {hint}" if hint else "")
    )


def solve_fleet(problem: FleetProblem) -> FleetSchedule:
    """Dispatch the fleet's batteries for the objective; see the module docstring for the model."""
    from ortools.math_opt.python import mathopt

    t0 = time.perf_counter()
    starts = _check_slots(problem)
    T = len(starts)
    _check_homes(problem, T)
    if problem.objective not in ("cost", "carbon"):
        raise ValueError(f"objective must be 'cost' or 'carbon', got {problem.objective!r}")
    if problem.solver not in _SOLVERS:
        raise ValueError(f"solver must be one of {sorted(_SOLVERS)}, got {problem.solver!r}")
    dt = problem.slot_minutes / 60

    price = _slot_array("price_usd_per_kwh", problem.price_usd_per_kwh, T)
    carbon = _slot_array("carbon_gco2_per_kwh", problem.carbon_gco2_per_kwh, T)
    export_given = problem.export_price_usd_per_kwh is not None
    export_price = (
        _slot_array("export_price_usd_per_kwh", problem.export_price_usd_per_kwh, T)
        if export_given
        else price
    )
    imp_limit = _slot_array(
        "feeder_import_limit_kw", problem.feeder_import_limit_kw, T, allow_none=True
    )
    exp_limit = _slot_array(
        "feeder_export_limit_kw", problem.feeder_export_limit_kw, T, allow_none=True
    )
    for name, lim in (("feeder_import_limit_kw", imp_limit), ("feeder_export_limit_kw", exp_limit)):
        if lim is not None and np.any(lim < 0):
            raise ValueError(f"{name} is negative at slot {_first(lim < 0)}")

    homes = problem.homes
    H = len(homes)
    load = np.stack([h.load_kw for h in homes])
    pv = np.stack([h.pv_kw for h in homes])
    fixed = load - pv
    fixed_total = fixed.sum(axis=0)
    batt_idx = np.array([i for i, h in enumerate(homes) if h.battery is not None], dtype=np.int64)
    B = batt_idx.size
    batts = [homes[i].battery for i in batt_idx]
    msg = _feeder_message(
        starts,
        fixed_total,
        imp_limit,
        exp_limit,
        sum(b.max_discharge_kw for b in batts),
        sum(b.max_charge_kw for b in batts),
    )
    if msg:
        raise FleetInfeasible(msg)

    # Objective rates in USD per kWh: the bill, or monetised CO2.
    carbon_rate = carbon / 1000.0 * problem.carbon_price_usd_per_kg
    if problem.objective == "cost":
        obj_rate, obj_export_rate = price, export_price
        split = bool(np.any(export_price != price))
    else:
        obj_rate = carbon_rate
        obj_export_rate = carbon_rate if problem.carbon_credit_exports else np.zeros(T)
        split = not problem.carbon_credit_exports
    if np.any(obj_export_rate > obj_rate + 1e-12):
        t = _first(obj_export_rate > obj_rate + 1e-12)
        what = (
            f"export price {export_price[t]} > import price {price[t]}"
            if problem.objective == "cost"
            else f"negative carbon intensity {carbon[t]} with carbon_credit_exports=False"
        )
        raise ValueError(
            f"{what} at slot {t} ({starts[t]}): not supported (exports would be worth more "
            f"than imports cost, so the LP would import to export)"
        )
    if B == 0:
        split = False

    num_vars = num_rows = 0
    method_used = None
    overlap = tie_break = 0.0
    status = "optimal"
    objective = best_bound = gap = None
    solve_time = 0.0
    decomposition: dict = {}
    charge = np.zeros((H, T))
    discharge = np.zeros((H, T))
    soc = np.full((H, T), np.nan)
    build_time = time.perf_counter() - t0

    if B > 0 and _decomposed(problem):
        arrays = fleet_arrays(
            batts,
            fixed[batt_idx],
            dt,
            obj_rate,
            obj_export_rate,
            split,
            problem.tie_break_usd_per_kwh,
        )
        num_vars = B * arrays.cols_per_battery
        num_rows = B * T
        build_time = time.perf_counter() - t0
        t1 = time.perf_counter()
        try:
            lp = solve_fleet_lp(
                arrays,
                fixed_total,
                imp_limit,
                exp_limit,
                problem.time_limit_s,
                problem.gap_tolerance,
                _bill(fixed, dt, obj_rate, obj_export_rate),
                problem.threads,
            )
        except LpTimeLimit as error:
            raise FleetSolveError(f"highs stopped without a solution: {error}") from error
        solve_time = time.perf_counter() - t1
        if lp.status == "infeasible":
            raise _infeasible(starts, fixed_total, imp_limit, exp_limit)
        num_rows += lp.feeder_rows
        status = lp.status
        method_used = "simplex"
        raw_c, raw_d, soc_b = unpack(arrays, lp.x)
        tie_break = tie_break_usd(arrays, lp.x)
        overlap = float(dt * np.minimum(raw_c, raw_d).sum())
        charge[batt_idx], discharge[batt_idx] = _net_overlaps(raw_c, raw_d, batts)
        soc[batt_idx] = soc_b
        offset = _bill(fixed, dt, obj_rate, obj_export_rate)
        objective = offset + lp.objective
        best_bound = offset + lp.dual_bound if math.isfinite(lp.dual_bound) else None
        if best_bound is not None:
            gap = max(0.0, objective - best_bound) / max(1.0, abs(objective))
        decomposition = {
            "simplex_iterations": lp.simplex_iterations,
            "feeder_rows_added": lp.feeder_rows,
            "coupling_rounds": lp.rounds,
            "threads": problem.threads,
            "relaxed_solve_s": lp.relaxed_s,
            "coupled_solve_s": lp.coupled_s,
        }
    elif B > 0:
        built = _build(
            problem, T, fixed, batt_idx, obj_rate, obj_export_rate, split, imp_limit, exp_limit
        )
        model = mathopt.Model.from_model_proto(built.proto)
        num_vars, num_rows = built.n_vars, built.n_rows
        build_time = time.perf_counter() - t0
        solver = mathopt.SolverType[_SOLVERS[problem.solver]]
        if problem.forbid_simultaneous:
            solver = mathopt.SolverType.HIGHS  # GLOP/PDLP are LP-only
        method = problem.lp_method
        if method not in ("simplex", "ipm"):
            raise ValueError(f"lp_method must be 'simplex' or 'ipm', got {method!r}")
        t1 = time.perf_counter()
        if solver == mathopt.SolverType.HIGHS:
            x, objective, bound, status = _solve_highs_one_piece(
                built, problem, method, starts, fixed_total, imp_limit, exp_limit
            )
        else:
            params = _params(problem.time_limit_s)
            result = mathopt.solve(model, solver, params=params)
            reason = result.termination.reason
            if reason in (
                mathopt.TerminationReason.INFEASIBLE,
                mathopt.TerminationReason.INFEASIBLE_OR_UNBOUNDED,
            ):
                raise _infeasible(starts, fixed_total, imp_limit, exp_limit)
            if not result.has_primal_feasible_solution():
                raise FleetSolveError(
                    f"{problem.solver} stopped without a solution: {reason.name} "
                    f"({result.termination.detail})"
                )
            status = reason.name.lower()
            values = result.variable_values()
            x = np.zeros(num_vars)
            x[np.fromiter((v.id for v in values), np.int64, len(values))] = np.fromiter(
                values.values(), np.float64, len(values)
            )
            objective = float(result.objective_value())
            bound = result.termination.objective_bounds.dual_bound
        solve_time = time.perf_counter() - t1
        method_used = "mip" if problem.forbid_simultaneous else method
        raw_c = sum(x[ids] for ids in built.charge)
        raw_d = sum(x[ids] for ids in built.discharge)
        tie_break = float(sum((x[ids] * usd).sum() for ids, usd in built.tie_break))
        overlap = float(dt * np.minimum(raw_c, raw_d).sum())
        charge[batt_idx], discharge[batt_idx] = _net_overlaps(raw_c, raw_d, batts)
        soc[batt_idx] = x[built.s]
        best_bound = float(bound) if math.isfinite(bound) else None
        if best_bound is not None:
            gap = abs(objective - best_bound) / max(1.0, abs(objective))
    else:
        # Nothing to optimise: the objective is the fixed bill/emissions.
        objective = _bill(fixed, dt, obj_rate, obj_export_rate)
        best_bound, gap = objective, 0.0

    net = fixed + charge - discharge
    co2_export_rate = carbon if problem.carbon_credit_exports else np.zeros(T)
    deg = np.array([h.battery.degradation_cost_usd_per_kwh if h.battery else 0.0 for h in homes])
    degradation = float(dt * (deg[:, None] * (charge + discharge)).sum())
    fleet_net = net.sum(axis=0)
    violation = 0.0
    if imp_limit is not None:
        violation = max(violation, float((fleet_net - imp_limit).max()))
    if exp_limit is not None:
        violation = max(violation, float((-fleet_net - exp_limit).max()))
    baseline_cost = _bill(fixed, dt, price, export_price)
    baseline_co2 = _bill(fixed, dt, carbon, co2_export_rate) / 1000.0
    opt_cost = _bill(net, dt, price, export_price)
    opt_co2 = _bill(net, dt, carbon, co2_export_rate) / 1000.0
    if overlap > 0.01 or violation > 1e-3:
        log.warning(
            "the LP overlapped charge and discharge for %.4f kWh (negative prices beyond the "
            "degradation cost, or an export limit met by burning energy); the schedule was "
            "netted, leaving a feeder limit violation of %.4f kW; use forbid_simultaneous=True",
            overlap,
            max(violation, 0.0),
        )

    summary = {
        "status": status,
        "solver": "highs" if problem.forbid_simultaneous else problem.solver,
        "lp_method": method_used,
        "objective_name": problem.objective,
        "objective": objective,
        "best_bound": best_bound,
        "gap": gap,
        "solve_time_s": solve_time,
        "build_time_s": build_time,
        "num_variables": num_vars,
        "num_constraints": num_rows,
        "num_homes": H,
        "num_batteries": B,
        "num_slots": T,
        "slot_minutes": problem.slot_minutes,
        "baseline_cost_usd": baseline_cost,
        "baseline_co2_kg": baseline_co2,
        "optimized_cost_usd": opt_cost,
        "optimized_co2_kg": opt_co2,
        "degradation_cost_usd": degradation,
        "cost_saving_usd": baseline_cost - opt_cost,
        "co2_saving_kg": baseline_co2 - opt_co2,
        "battery_charge_kwh": float(dt * charge.sum()),
        "battery_discharge_kwh": float(dt * discharge.sum()),
        "tie_break_usd": tie_break,
        "simultaneous_charge_discharge_kwh": overlap,
        "feeder_limit_violation_kw": max(violation, 0.0),
        "export_price_is_import_price": not export_given,
        "carbon_credit_exports": problem.carbon_credit_exports,
        **decomposition,
    }
    per_home, fleet = _frames(
        problem,
        starts,
        load,
        pv,
        charge,
        discharge,
        soc,
        net,
        fixed,
        price,
        export_price,
        carbon,
        imp_limit,
        exp_limit,
    )
    return FleetSchedule(per_home=per_home, fleet=fleet, summary=summary)


def _frames(
    problem: FleetProblem,
    starts: list[datetime],
    load: np.ndarray,
    pv: np.ndarray,
    charge: np.ndarray,
    discharge: np.ndarray,
    soc: np.ndarray,
    net: np.ndarray,
    fixed: np.ndarray,
    price: np.ndarray,
    export_price: np.ndarray,
    carbon: np.ndarray,
    imp_limit: np.ndarray | None,
    exp_limit: np.ndarray | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    H, T = load.shape
    ts = pl.Series("interval_start_utc", starts, dtype=pl.Datetime("us", "UTC"))
    ids = np.array([h.home_id for h in problem.homes], dtype=object)
    soc_flat = soc.ravel()
    per_home = pl.DataFrame(
        [
            pl.Series("home_id", np.repeat(ids, T), dtype=pl.String),
            pl.Series("interval_start_utc", np.tile(ts.to_physical().to_numpy(), H)).cast(
                pl.Datetime("us", "UTC")
            ),
            pl.Series("load_kw", load.ravel()),
            pl.Series("pv_kw", pv.ravel()),
            pl.Series("charge_kw", charge.ravel()),
            pl.Series("discharge_kw", discharge.ravel()),
            pl.Series("soc_kwh", soc_flat, nan_to_null=True),
            pl.Series("net_import_kw", net.ravel()),
        ]
    )
    has_batt = np.array([h.battery is not None for h in problem.homes])
    nan = np.full(T, np.nan)
    fleet = pl.DataFrame(
        [
            ts,
            pl.Series("load_kw", load.sum(axis=0)),
            pl.Series("pv_kw", pv.sum(axis=0)),
            pl.Series("charge_kw", charge.sum(axis=0)),
            pl.Series("discharge_kw", discharge.sum(axis=0)),
            pl.Series("soc_kwh", soc[has_batt].sum(axis=0) if has_batt.any() else np.zeros(T)),
            pl.Series("net_import_kw", net.sum(axis=0)),
            pl.Series("baseline_net_import_kw", fixed.sum(axis=0)),
            pl.Series("price_usd_per_kwh", price),
            pl.Series("export_price_usd_per_kwh", export_price),
            pl.Series("carbon_gco2_per_kwh", carbon),
            pl.Series(
                "feeder_import_limit_kw", nan if imp_limit is None else imp_limit, nan_to_null=True
            ),
            pl.Series(
                "feeder_export_limit_kw", nan if exp_limit is None else exp_limit, nan_to_null=True
            ),
        ]
    )
    return per_home, fleet
