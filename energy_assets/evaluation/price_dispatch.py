"""The decision value of a day-ahead price forecast: a fleet of homes and a household planned on
it, settled at the actual prices, against their baselines and against the plan made with the
actual prices known.

Pure module (numpy, polars; no Dagster). The price assets (`defs/prices.py`:
`dispatch/vpp_fleet_price_dispatch`, `dispatch/household_price_load_shift`,
`evaluation/price_dispatch_value`) and the command
`energy-assets benchmark price-dispatch` (`benchmarks/price_dispatch.py`) both call it, so the
graph's figures and the benchmark's are one computation.

The fleet (`fleet_day`): `optimize/fleet_profiles.make_fleet`'s homes (load, PV, batteries
diversified from one real household year; 100 homes by default) on the market's local day
(15-minute slots: 96, or 92 / 100 on DST days), deterministic per seed.

Prices (`slot_prices`): a market file has 24 values per day, for the local clock hours 0..23,
DST days included (`sources/epftoolbox.py`), so a slot's price is the file's value for the
slot's local clock hour: on a spring-forward day hour 2 is not used, on a fall-back day both
01:xx hours get hour 1's price. Per MWh -> per kWh.

Plan (`plan_fleet`): `optimize/fleet.solve_fleet` with the cost objective at the planned prices,
imports and exports both at the slot's price (the day-ahead price passed through, net metering
per slot: the bill is linear in net import, so the homes' load and PV do not change the
batteries' decisions and the value below is the batteries' alone), degradation as the homes'
batteries say (0.01 per kWh in each direction by default), optional feeder limits.

The household (`household_problem`, `household_value_rows`): the default household's deferrable
appliances (`optimize/household.py`: dishwasher, washer, dryer, EV, pool pump, water heater)
placed with the cost objective at the planned slot prices (exact by dynamic programming); its
cost at the actual prices is the appliances' energy x price, its baseline the run-at-earliest
schedule, its perfect foresight the same household solved on the actual prices.

Settlement (`settle`), at the actual prices: energy cost = sum over homes and slots of
slot hours x actual price x net import (negative: export earns), plus the batteries' degradation
(per kWh of charge and of discharge). Baseline = every battery idle (net import = load - PV, no
degradation). The value of a plan = baseline cost - its cost; the perfect-foresight plan is the
same fleet solved on the actual prices, so no plan's value exceeds it (up to the fleet LP's
1e-5 per kWh tie-break and its tolerances), and the baseline's value is 0. Costs are in the
market's currency (USD for PJM): column names carry it (`cost_usd`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from energy_assets.optimize.fleet import FleetProblem, FleetSchedule, Home, solve_fleet
from energy_assets.optimize.fleet_profiles import day_slot_starts, make_fleet
from energy_assets.optimize.household import (
    HouseholdProblem,
    HouseholdSchedule,
    default_household_appliances,
    solve_household,
)

SLOT_MINUTES = 15
HOURS = 24
DEGRADATION_PER_KWH = 0.01  # the fleet's default, per kWh each direction (market currency)
BASELINE = "baseline"
PERFECT_FORESIGHT = "perfect_foresight"
# A day's perfect-foresight value below this (currency units) has no meaningful share.
MIN_PERFECT_VALUE = 0.01


@dataclass(frozen=True)
class FleetDay:
    """The fleet of one market day: its UTC slot starts, homes and how it was made."""

    market_date: dt.date
    tz: str
    slots: list[dt.datetime]
    homes: list[Home]
    seed: int
    degradation_per_kwh: float
    feeder_import_limit_kw: float | None = None
    feeder_export_limit_kw: float | None = None

    @property
    def slot_hours(self) -> float:
        return SLOT_MINUTES / 60


@dataclass(frozen=True)
class Settlement:
    """A schedule settled at some prices (market currency)."""

    energy_cost: float
    degradation_cost: float
    throughput_kwh: float

    @property
    def cost(self) -> float:
        return self.energy_cost + self.degradation_cost


def fleet_day(
    market_date: dt.date,
    tz: str,
    household: pl.DataFrame,
    n_homes: int = 100,
    seed: int = 0,
    degradation_per_kwh: float = DEGRADATION_PER_KWH,
    feeder_import_limit_kw: float | None = None,
    feeder_export_limit_kw: float | None = None,
    pv_kw_per_kw: np.ndarray | None = None,
) -> FleetDay:
    """`n_homes` homes (`make_fleet`, deterministic per `seed`) on the local day in `tz`; their PV
    the household's, or `pv_kw_per_kw` (per slot of the day) x each home's kWp when given."""
    return FleetDay(
        market_date=market_date,
        tz=tz,
        slots=day_slot_starts(market_date, tz, SLOT_MINUTES),
        homes=make_fleet(
            market_date,
            n_homes,
            tz,
            household,
            seed,
            SLOT_MINUTES,
            degradation_cost_usd_per_kwh=degradation_per_kwh,
            pv_kw_per_kw=pv_kw_per_kw,
        ),
        seed=seed,
        degradation_per_kwh=degradation_per_kwh,
        feeder_import_limit_kw=feeder_import_limit_kw,
        feeder_export_limit_kw=feeder_export_limit_kw,
    )


def slot_hour_index(slots: Sequence[dt.datetime], tz: str) -> np.ndarray:
    """The local clock hour (0..23) of each slot: the row of the market file's day it takes."""
    zone = ZoneInfo(tz)
    return np.array([s.astimezone(zone).hour for s in slots], dtype=np.int64)


def slot_prices(
    slots: Sequence[dt.datetime], tz: str, hourly_per_mwh: Sequence[float]
) -> np.ndarray:
    """Per-slot price per kWh from the day's 24 hourly prices per MWh (local clock hours)."""
    hourly = np.asarray(hourly_per_mwh, dtype=np.float64)
    if hourly.shape != (HOURS,):
        raise ValueError(f"expected {HOURS} hourly prices, got {hourly.shape[0]}")
    if not np.all(np.isfinite(hourly)):
        raise ValueError(
            f"hourly prices have a missing value at hour {int(np.argmax(~np.isfinite(hourly)))}"
        )
    return hourly[slot_hour_index(slots, tz)] / 1000.0


def plan_fleet(day: FleetDay, hourly_per_mwh: Sequence[float]) -> FleetSchedule:
    """The fleet's cost-optimal schedule at the given hourly prices (one `solve_fleet`)."""
    price = slot_prices(day.slots, day.tz, hourly_per_mwh)
    problem = FleetProblem(
        slot_starts_utc=day.slots,
        slot_minutes=SLOT_MINUTES,
        homes=day.homes,
        price_usd_per_kwh=price,
        carbon_gco2_per_kwh=np.zeros(len(day.slots)),
        objective="cost",
        feeder_import_limit_kw=day.feeder_import_limit_kw,
        feeder_export_limit_kw=day.feeder_export_limit_kw,
        threads=1,
    )
    return solve_fleet(problem)


def schedule_arrays(per_home: pl.DataFrame, day: FleetDay) -> dict[str, np.ndarray]:
    """(homes, slots) arrays of `net_import_kw`, `charge_kw`, `discharge_kw` from per-home rows
    (`solve_fleet`'s `per_home`, or the stored dispatch table), in the order of `day.homes`."""
    ids = [h.home_id for h in day.homes]
    frame = per_home.with_columns(pl.col("interval_start_utc").dt.convert_time_zone("UTC"))
    want = pl.DataFrame(
        {
            "home_id": np.repeat(ids, len(day.slots)),
            "interval_start_utc": day.slots * len(ids),
        },
        schema={"home_id": pl.String, "interval_start_utc": pl.Datetime("us", "UTC")},
    )
    joined = want.join(
        frame.select("home_id", "interval_start_utc", "net_import_kw", "charge_kw", "discharge_kw"),
        on=["home_id", "interval_start_utc"],
        how="left",
        maintain_order="left",
    )
    if joined["net_import_kw"].null_count():
        bad = joined.filter(pl.col("net_import_kw").is_null()).row(0, named=True)
        raise ValueError(
            f"the schedule has no row for home {bad['home_id']} at {bad['interval_start_utc']}"
            f" (the fleet of {day.market_date}, seed {day.seed}, has {len(ids)} homes x"
            f" {len(day.slots)} slots)"
        )
    shape = (len(ids), len(day.slots))
    return {
        c: joined[c].to_numpy().astype(np.float64).reshape(shape)
        for c in ("net_import_kw", "charge_kw", "discharge_kw")
    }


def settle(
    day: FleetDay,
    net_import_kw: np.ndarray,
    charge_kw: np.ndarray,
    discharge_kw: np.ndarray,
    hourly_per_mwh: Sequence[float],
) -> Settlement:
    """A schedule's cost at the given hourly prices: energy (net import x price, exports
    credited at the same price) plus the batteries' degradation."""
    price = slot_prices(day.slots, day.tz, hourly_per_mwh)
    dt_h = day.slot_hours
    energy = float(dt_h * (net_import_kw * price[None, :]).sum())
    rate = np.array(
        [h.battery.degradation_cost_usd_per_kwh if h.battery else 0.0 for h in day.homes]
    )
    throughput = dt_h * (charge_kw + discharge_kw)
    return Settlement(
        energy_cost=energy,
        degradation_cost=float((throughput.sum(axis=1) * rate).sum()),
        throughput_kwh=float(throughput.sum()),
    )


def baseline_arrays(day: FleetDay) -> dict[str, np.ndarray]:
    """Every battery idle: net import = load - PV."""
    net = np.stack([h.load_kw - h.pv_kw for h in day.homes])
    zero = np.zeros_like(net)
    return {"net_import_kw": net, "charge_kw": zero, "discharge_kw": zero.copy()}


def check_fleet(day: FleetDay, per_home: pl.DataFrame) -> None:
    """The stored schedule's homes are `day`'s (same ids and loads): else the fleet was made
    from other data or another seed and its re-solve would value something else."""
    stored = per_home.group_by("home_id").agg(pl.col("load_kw").sum())
    rebuilt = {h.home_id: float(h.load_kw.sum()) for h in day.homes}
    if stored.height != len(rebuilt):
        raise ValueError(
            f"the schedule has {stored.height} homes, the fleet rebuilt from seed {day.seed}"
            f" has {len(rebuilt)}"
        )
    for home_id, load in stored.iter_rows():
        if abs(rebuilt.get(home_id, float("nan")) - load) > 1e-6 * max(1.0, abs(load)):
            raise ValueError(
                f"home {home_id!r} does not match the fleet rebuilt from seed {day.seed}:"
                " the plan was made with other fleet data"
            )


def with_planned_pv(day: FleetDay, per_home: pl.DataFrame) -> FleetDay:
    """`day` (rebuilt from the seed: the household's PV) with each home's PV as the stored
    schedule has it (the household's, or a PVWatts profile: `pv_source`), so that the baseline,
    perfect foresight and the other plans value the homes the schedule planned."""
    frame = per_home.with_columns(pl.col("interval_start_utc").dt.convert_time_zone("UTC"))
    homes = []
    for home in day.homes:
        rows = frame.filter(pl.col("home_id") == home.home_id).sort("interval_start_utc")
        if rows["interval_start_utc"].to_list() != list(day.slots):
            raise ValueError(
                f"the schedule has no PV for every slot of home {home.home_id} on {day.market_date}"
            )
        homes.append(replace(home, pv_kw=rows["pv_kw"].to_numpy().astype(np.float64)))
    return replace(day, homes=homes)


def value_rows(
    day: FleetDay,
    actual_per_mwh: Sequence[float],
    plans: Mapping[str, tuple[Sequence[float], dict[str, np.ndarray] | None]],
) -> list[dict]:
    """Each plan settled at the actual prices, beside the baseline and perfect foresight.

    `plans`: name -> (the hourly prices it was planned on, its (homes, slots) arrays, or None to
    plan it here with `plan_fleet`). Rows (market currency): `baseline`, each plan, then
    `perfect_foresight` (the same fleet planned on `actual_per_mwh`): cost at the actual prices
    (energy + degradation), the cost it planned for, value = baseline cost - cost, the share of
    perfect foresight's value it captured (None when that is below `MIN_PERFECT_VALUE`), its
    battery throughput and the MAE of the prices it planned on."""
    actual = np.asarray(actual_per_mwh, dtype=np.float64)
    base = settle(day, **baseline_arrays(day), hourly_per_mwh=actual)
    entries: list[tuple[str, np.ndarray | None, dict[str, np.ndarray]]] = [
        (BASELINE, None, baseline_arrays(day))
    ]
    for name, (planned_on, arrays) in plans.items():
        prices = np.asarray(planned_on, dtype=np.float64)
        if arrays is None:
            arrays = schedule_arrays(plan_fleet(day, prices).per_home, day)
        entries.append((name, prices, arrays))
    perfect = schedule_arrays(plan_fleet(day, actual).per_home, day)
    entries.append((PERFECT_FORESIGHT, actual, perfect))
    perfect_value = base.cost - settle(day, **perfect, hourly_per_mwh=actual).cost
    rows = []
    for name, planned_on, arrays in entries:
        realized = settle(day, **arrays, hourly_per_mwh=actual)
        planned = None if planned_on is None else settle(day, **arrays, hourly_per_mwh=planned_on)
        value = base.cost - realized.cost
        rows.append(
            {
                "plan": name,
                "baseline_cost": base.cost,
                "planned_cost": None if planned is None else planned.cost,
                "energy_cost": realized.energy_cost,
                "degradation_cost": realized.degradation_cost,
                "cost": realized.cost,
                "value": value,
                "perfect_foresight_value": perfect_value,
                "share_of_perfect_foresight": (
                    value / perfect_value if perfect_value >= MIN_PERFECT_VALUE else None
                ),
                "battery_throughput_kwh": realized.throughput_kwh,
                "price_mae_per_mwh": (
                    None if planned_on is None else float(np.abs(planned_on - actual).mean())
                ),
            }
        )
    return rows


def currency_columns(rows: list[dict], currency: str) -> list[dict]:
    """The rows with the currency in the money columns' names (`cost` -> `cost_usd`)."""
    cur = currency.lower()
    money = {
        "baseline_cost",
        "planned_cost",
        "energy_cost",
        "degradation_cost",
        "cost",
        "value",
        "perfect_foresight_value",
    }
    out = []
    for row in rows:
        renamed = {}
        for k, v in row.items():
            if k in money:
                renamed[f"{k}_{cur}"] = v
            elif k == "price_mae_per_mwh":
                renamed[f"price_mae_{cur}_per_mwh"] = v
            else:
                renamed[k] = v
        out.append(renamed)
    return out


# --- the household ----------------------------------------------------------------------------


def household_problem(
    market_date: dt.date, tz: str, hourly_per_mwh: Sequence[float]
) -> HouseholdProblem:
    """The default household's appliances on the market's local day, cost objective at the
    given hourly prices."""
    slots = day_slot_starts(market_date, tz, SLOT_MINUTES)
    return HouseholdProblem(
        slot_starts_utc=slots,
        slot_minutes=SLOT_MINUTES,
        appliances=default_household_appliances(slots, tz=tz, slot_minutes=SLOT_MINUTES),
        price_usd_per_kwh=slot_prices(slots, tz, hourly_per_mwh).tolist(),
        objective="cost",
        tz=tz,
    )


def plan_household(
    market_date: dt.date, tz: str, hourly_per_mwh: Sequence[float]
) -> HouseholdSchedule:
    """The household's cost-optimal schedule at the given hourly prices (`solve_household`)."""
    return solve_household(household_problem(market_date, tz, hourly_per_mwh))


def household_cost(
    frame: pl.DataFrame, market_date: dt.date, tz: str, hourly_per_mwh: Sequence[float]
) -> float:
    """The appliances' energy (`energy_kwh` per appliance and slot) at the given prices."""
    slots = day_slot_starts(market_date, tz, SLOT_MINUTES)
    price = pl.DataFrame(
        {"interval_start_utc": slots, "price": slot_prices(slots, tz, hourly_per_mwh)},
        schema={"interval_start_utc": pl.Datetime("us", "UTC"), "price": pl.Float64},
    )
    joined = frame.with_columns(pl.col("interval_start_utc").dt.convert_time_zone("UTC")).join(
        price, on="interval_start_utc", how="left"
    )
    if joined["price"].null_count():
        bad = joined.filter(pl.col("price").is_null())["interval_start_utc"][0]
        raise ValueError(f"the household schedule has a slot {bad} outside {market_date}")
    return float((joined["energy_kwh"] * joined["price"]).sum())


def household_value_rows(
    market_date: dt.date,
    tz: str,
    actual_per_mwh: Sequence[float],
    plans: Mapping[str, tuple[Sequence[float], pl.DataFrame | None]],
    baseline: pl.DataFrame | None = None,
) -> list[dict]:
    """As `value_rows`, for the household: `plans` name -> (prices planned on, the schedule's
    rows (appliance, interval_start_utc, energy_kwh), or None to plan it here); `baseline`: the
    run-at-earliest rows (None: the perfect-foresight solve's). No degradation; throughput None."""
    actual = np.asarray(actual_per_mwh, dtype=np.float64)
    perfect = plan_household(market_date, tz, actual)
    base_frame = perfect.baseline_frame if baseline is None else baseline
    base = household_cost(base_frame, market_date, tz, actual)
    entries: list[tuple[str, np.ndarray | None, pl.DataFrame]] = [(BASELINE, None, base_frame)]
    for name, (planned_on, frame) in plans.items():
        prices = np.asarray(planned_on, dtype=np.float64)
        if frame is None:
            frame = plan_household(market_date, tz, prices).frame
        entries.append((name, prices, frame))
    entries.append((PERFECT_FORESIGHT, actual, perfect.frame))
    perfect_value = base - household_cost(perfect.frame, market_date, tz, actual)
    rows = []
    for name, planned_on, frame in entries:
        cost = household_cost(frame, market_date, tz, actual)
        value = base - cost
        rows.append(
            {
                "plan": name,
                "baseline_cost": base,
                "planned_cost": (
                    None
                    if planned_on is None
                    else household_cost(frame, market_date, tz, planned_on)
                ),
                "energy_cost": cost,
                "degradation_cost": 0.0,
                "cost": cost,
                "value": value,
                "perfect_foresight_value": perfect_value,
                "share_of_perfect_foresight": (
                    value / perfect_value if perfect_value >= MIN_PERFECT_VALUE else None
                ),
                "battery_throughput_kwh": None,
                "price_mae_per_mwh": (
                    None if planned_on is None else float(np.abs(planned_on - actual).mean())
                ),
            }
        )
    return rows
