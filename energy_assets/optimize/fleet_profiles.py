"""A fleet of homes (load, PV, battery) for `fleet.solve_fleet`, made from one real household.

Source data: the EMHASS long training set, one French household (Europe/Paris), 30-min means in
W: `sensor.power_load_no_var_loads` (load with the deferrable loads excluded),
`sensor.power_photovoltaics` (PV production) and `sensor.p_pv_forecast` (unused except to spot PV
outages), 2024-02-28 21:00 to 2025-02-27 22:30 UTC.

`load_household_year(path)` returns `timestamp_utc` (Datetime us UTC, a complete 30-min grid),
`load_kw`, `pv_kw` (Float64, null = gap). Cleaning rules, from inspecting the file:

- A missing row, a null load or a load of exactly 0 W (13 rows, logger artefacts: a home never
  draws exactly nothing, and PV reads 0 W on those rows even at noon) is a gap: load and PV null.
- A null PV reading while the load is recorded is 0 kW: the PV sensor stores no row while the
  inverter sleeps (every night is null, dawn/dusk rows too).
- A UTC day whose PV never exceeds 0 while the PV forecast expects more than 200 W is a PV
  outage (2024-12-23): PV null that day.

`make_fleet(day, n_homes, tz, household, seed, slot_minutes=15)` diversifies that one house into
`n_homes` homes for the local day `day` in `tz` (slots from `timeutil.intervals_utc`, so 92/100
slots on DST days). Per home, with its own random stream (`SeedSequence(seed).spawn`, so home i
is the same whatever `n_homes` is):

- Load: a source day drawn from the household's local days (Europe/Paris) within
  `window_days` (default 21) of the same day of year (circular, so the 2024/25 data serve any
  year), skipping days with a gap within 1.5 h of the day and DST-change days; shifted in time by
  U(-1, +1) h; scaled by a log-normal factor exp(N(0, 0.3)) (median 1).
- PV: with probability `pv_share` (0.6) the home has PV of U(3, 9) kWp, scaled from the source
  system taken as `SOURCE_PV_KWP` = 5 kWp (its best half-hour is 4.4 kW). PV follows the sun, so
  it is not time-shifted, and by default all homes share one PV source day (one feeder, one
  weather; `shared_pv_weather=False` draws it per home like the load). Given `pv_kw_per_kw` (a
  profile per kW installed for the day's slots, e.g. `pv_from_typical_year` of a PVWatts typical
  year at the region's location), each home's PV is that profile x its kWp instead: the same
  homes have PV, with the same kWp (the random draws do not change), only the shape differs.
- Battery: with probability `battery_share` (0.8), one of `BATTERY_MODELS`: 5 kWh / 2.5 kW,
  10 kWh / 5 kW, 13.5 kWh / 5 kW (Powerwall-like), 95 % charge and discharge efficiency (about
  90 % round trip), 10 % reserve (`soc_min`), initial SOC U(20, 80) % of capacity, end target =
  initial SOC (the day leaves the battery where it found it), degradation 0.01 USD per kWh in
  each direction.

Profiles follow local wall-clock time: the value for a target slot is read at the same local
time of day (plus the load shift) on the source day, so a French house is replayed on, e.g., a
Californian clock. 30-min means are placed at their interval midpoints and linearly interpolated
at the target slots' midpoints (30 -> 15 min; any `slot_minutes` dividing the day works). The
repeated hour of a fall-back day replays the same wall-clock hour twice; a spring-forward day
skips one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from energy_assets.optimize.fleet import Battery, Home
from energy_assets.timeutil import intervals_utc, market_day_bounds_utc, market_day_hours

HOUSEHOLD_CSV = "emhass/long_train_data_household_load_pv_30min_2024-02-28_2025-02-27.csv"
HOUSEHOLD_TZ = "Europe/Paris"
SOURCE_PV_KWP = 5.0
_STEP = timedelta(minutes=30)
_MARGIN_H = 1.5  # source data needed around the day: the load shift (1 h) + interpolation


@dataclass(frozen=True)
class BatteryModel:
    capacity_kwh: float
    power_kw: float
    weight: float


BATTERY_MODELS: tuple[BatteryModel, ...] = (
    BatteryModel(5.0, 2.5, 0.3),
    BatteryModel(10.0, 5.0, 0.3),
    BatteryModel(13.5, 5.0, 0.4),
)


def household_path(datasets_dir: Path) -> Path:
    return Path(datasets_dir) / HOUSEHOLD_CSV


def load_household_year(path: Path | str) -> pl.DataFrame:
    """Cached by path and modification time (a backfill reads the same file every day)."""
    path = Path(path)
    return _load_household_year(path, path.stat().st_mtime_ns)


@functools.cache
def _load_household_year(path: Path, _mtime_ns: int) -> pl.DataFrame:
    """The household CSV as `timestamp_utc`, `load_kw`, `pv_kw` on a full 30-min grid (gaps null).

    See the module docstring for the cleaning rules.
    """
    raw = pl.read_csv(
        path,
        schema_overrides={
            "sensor.power_load_no_var_loads": pl.Float64,
            "sensor.power_photovoltaics": pl.Float64,
            "sensor.p_pv_forecast": pl.Float64,
        },
    )
    expected = {"timestamp_utc", "sensor.power_load_no_var_loads", "sensor.power_photovoltaics"}
    missing = expected - set(raw.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    df = raw.select(
        pl.col("timestamp_utc")
        .str.to_datetime(time_zone="UTC")
        .dt.cast_time_unit("us")
        .alias("timestamp_utc"),
        (pl.col("sensor.power_load_no_var_loads") / 1000).alias("load_kw"),
        (pl.col("sensor.power_photovoltaics") / 1000).alias("pv_kw"),
        (
            pl.col("sensor.p_pv_forecast") / 1000
            if "sensor.p_pv_forecast" in raw.columns
            else pl.lit(None, pl.Float64)
        ).alias("pv_forecast_kw"),
    ).unique("timestamp_utc", keep="first")
    if df.is_empty():
        raise ValueError(f"{path}: no rows")
    grid = pl.DataFrame(
        {
            "timestamp_utc": pl.datetime_range(
                df["timestamp_utc"].min(),
                df["timestamp_utc"].max(),
                interval="30m",
                time_zone="UTC",
                eager=True,
            ).dt.cast_time_unit("us")
        }
    )
    df = grid.join(df, on="timestamp_utc", how="left").sort("timestamp_utc")
    gap = pl.col("load_kw").is_null() | (pl.col("load_kw") == 0)
    df = df.with_columns(
        pl.when(gap).then(None).otherwise(pl.col("load_kw")).alias("load_kw"),
        pl.when(gap).then(None).otherwise(pl.col("pv_kw").fill_null(0.0).clip(0)).alias("pv_kw"),
    )
    day = pl.col("timestamp_utc").dt.date()
    outage = (pl.col("pv_kw").max().over(day).fill_null(0) <= 0) & (
        pl.col("pv_forecast_kw").max().over(day).fill_null(0) > 0.2
    )
    df = df.with_columns(pl.when(outage).then(None).otherwise(pl.col("pv_kw")).alias("pv_kw"))
    return df.select("timestamp_utc", "load_kw", "pv_kw")


def _doy_distance(a: date, b: date) -> int:
    d = abs(a.timetuple().tm_yday - b.timetuple().tm_yday)
    return min(d, 365 - d)


def _source_days(household: pl.DataFrame, target: date, window_days: int) -> list[date]:
    """Local household days within `window_days` of `target`'s day of year with complete data
    from 1.5 h before local midnight to 1.5 h after the next one (and not a DST-change day)."""
    ts = household["timestamp_utc"]
    t0 = ts[0]
    n = household.height
    ok = (household["load_kw"].is_not_null() & household["pv_kw"].is_not_null()).to_numpy()
    bad_cum = np.concatenate([[0], np.cumsum(~ok)])
    zone = ZoneInfo(HOUSEHOLD_TZ)
    first = t0.astimezone(zone).date()
    last = ts[-1].astimezone(zone).date()
    out = []
    d = first
    while d <= last:
        if _doy_distance(d, target) <= window_days and market_day_hours(d, HOUSEHOLD_TZ) == 24:
            start, _ = market_day_bounds_utc(d, HOUSEHOLD_TZ)
            i0 = int((start - timedelta(hours=_MARGIN_H) - t0) / _STEP)
            i1 = int((start + timedelta(hours=24 + _MARGIN_H) - t0) / _STEP)
            if i0 >= 0 and i1 <= n and bad_cum[i1] == bad_cum[i0]:
                out.append(d)
        d += timedelta(days=1)
    return out


def _sampler(household: pl.DataFrame):
    """f(column, source_day, wall_hours) -> values at those local hours of the source day."""
    t0 = household["timestamp_utc"][0]
    mids_h = (np.arange(household.height) + 0.5) * 0.5  # interval midpoints, hours after t0
    cols = {c: household[c].fill_null(np.nan).to_numpy() for c in ("load_kw", "pv_kw")}

    def sample(column: str, day: date, wall_hours: np.ndarray) -> np.ndarray:
        start, _ = market_day_bounds_utc(day, HOUSEHOLD_TZ)
        offset_h = (start - t0) / timedelta(hours=1)
        values = np.interp(offset_h + wall_hours, mids_h, cols[column])
        if not np.all(np.isfinite(values)):  # _source_days excludes such days
            raise ValueError(f"household source day {day} has a gap in {column}")
        return values

    return sample


def make_fleet(
    day: date,
    n_homes: int,
    tz: str,
    household: pl.DataFrame,
    seed: int,
    slot_minutes: int = 15,
    *,
    window_days: int = 21,
    load_shift_h: float = 1.0,
    load_sigma: float = 0.3,
    pv_share: float = 0.6,
    pv_kwp_range: tuple[float, float] = (3.0, 9.0),
    battery_share: float = 0.8,
    shared_pv_weather: bool = True,
    degradation_cost_usd_per_kwh: float = 0.01,
    pv_kw_per_kw: np.ndarray | None = None,
) -> list[Home]:
    """`n_homes` homes for local day `day` in `tz`, from `load_household_year(...)`; see the
    module docstring. Deterministic per `seed`. `pv_kw_per_kw`: PV per kW installed for each
    slot of the day (None: the household's PV)."""
    if n_homes < 1:
        raise ValueError(f"n_homes must be >= 1, got {n_homes}")
    if (24 * 60) % slot_minutes:
        raise ValueError(f"slot_minutes={slot_minutes} must divide a day")
    starts = intervals_utc(day, tz, timedelta(minutes=slot_minutes))
    if pv_kw_per_kw is not None:
        pv_kw_per_kw = np.asarray(pv_kw_per_kw, dtype=np.float64)
        if pv_kw_per_kw.shape != (len(starts),):
            raise ValueError(
                f"pv_kw_per_kw has {pv_kw_per_kw.size} values for the day's {len(starts)} slots"
            )
        if not np.all(np.isfinite(pv_kw_per_kw)) or np.any(pv_kw_per_kw < 0):
            raise ValueError("pv_kw_per_kw must be finite and non-negative")
    zone = ZoneInfo(tz)
    half = timedelta(minutes=slot_minutes / 2)
    wall_hours = np.array(
        [_wall_hours((s + half).astimezone(zone)) for s in starts], dtype=np.float64
    )
    candidates = _source_days(household, day, window_days)
    if not candidates:
        raise ValueError(
            f"no complete source day within {window_days} days of {day:%m-%d} in the household data"
        )
    sample = _sampler(household)
    shared_rng, *home_rngs = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n_homes + 1)
    )
    shared_pv_day = candidates[int(shared_rng.integers(len(candidates)))]
    weights = np.array([m.weight for m in BATTERY_MODELS])
    weights = weights / weights.sum()

    homes = []
    for i, rng in enumerate(home_rngs):
        load_day = candidates[int(rng.integers(len(candidates)))]
        shift = rng.uniform(-load_shift_h, load_shift_h)
        scale = rng.lognormal(0.0, load_sigma)
        has_pv = rng.random() < pv_share
        kwp = rng.uniform(*pv_kwp_range)
        has_battery = rng.random() < battery_share
        model = BATTERY_MODELS[int(rng.choice(len(BATTERY_MODELS), p=weights))]
        initial_frac = rng.uniform(0.2, 0.8)

        load = sample("load_kw", load_day, wall_hours + shift) * scale
        pv_day = shared_pv_day if shared_pv_weather else load_day
        if not has_pv:
            pv = np.zeros(len(starts))
        elif pv_kw_per_kw is not None:
            pv = pv_kw_per_kw * kwp
        else:
            pv = sample("pv_kw", pv_day, wall_hours) * (kwp / SOURCE_PV_KWP)
        battery = None
        if has_battery:
            initial = round(model.capacity_kwh * initial_frac, 3)
            battery = Battery(
                capacity_kwh=model.capacity_kwh,
                max_charge_kw=model.power_kw,
                max_discharge_kw=model.power_kw,
                charge_efficiency=0.95,
                discharge_efficiency=0.95,
                soc_min_kwh=0.1 * model.capacity_kwh,
                soc_max_kwh=model.capacity_kwh,
                initial_soc_kwh=initial,
                end_soc_target_kwh=initial,
                degradation_cost_usd_per_kwh=degradation_cost_usd_per_kwh,
            )
        homes.append(Home(f"home-{i:04d}", load, pv, battery))
    return homes


def _wall_hours(local: datetime) -> float:
    return local.hour + local.minute / 60 + local.second / 3600


def day_slot_starts(day: date, tz: str, slot_minutes: int = 15) -> list[datetime]:
    """UTC slot starts of local day `day` in `tz` (96 at 15 min; 92/100 on DST days)."""
    return [s.astimezone(UTC) for s in intervals_utc(day, tz, timedelta(minutes=slot_minutes))]


def pv_from_typical_year(
    pv_kw_per_kw: np.ndarray,
    utc_offset_h: float,
    slot_starts_utc: list[datetime],
    slot_minutes: int = 15,
) -> np.ndarray:
    """PV per kW installed for each slot, read from a typical year of 8760 hourly means.

    The typical year's hours are on the clock UTC + `utc_offset_h` (PVWatts: the site's local
    standard time; `sources/pvwatts.py`), hour k = day k // 24 + 1 of a year without Feb 29,
    hour k % 24. A slot takes the value of the hour that holds its midpoint on that clock (so a
    whole-hour offset gives each hour's four slots the hour's mean, and the day's energy is the
    hours'). The calendar date on that clock picks the day of the typical year, whatever the
    year of the slot (Feb 29 reads Feb 28). Going through UTC, a DST day is simply 23 or 25
    hours long: the sun is not moved by the clock change.
    """
    values = np.asarray(pv_kw_per_kw, dtype=np.float64)
    if values.shape != (8760,):
        raise ValueError(f"a typical year has 8760 hours, got {values.size}")
    half = timedelta(minutes=slot_minutes / 2)
    shift = timedelta(hours=utc_offset_h)
    out = np.empty(len(slot_starts_utc))
    for i, start in enumerate(slot_starts_utc):
        clock = (start.astimezone(UTC) + half + shift).replace(tzinfo=None)
        month, dom = clock.month, clock.day
        if (month, dom) == (2, 29):
            dom = 28
        day_index = date(2019, month, dom).timetuple().tm_yday - 1
        out[i] = values[day_index * 24 + clock.hour]
    return out
