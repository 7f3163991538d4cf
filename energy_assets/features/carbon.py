"""Horizon-safe day-ahead carbon-intensity features: one row per hour of a region's market day D.

Built on the day's calendar rows (`features.load.build_load_features`: calendar, holidays,
demand at D-2 where published), horizon-safe at the issue time D-1 12:00 local, plus what was
known of the carbon intensity and the wind and solar output at that instant. The operator's load
forecast is not an input: a region's fuel mix is published for days whose demand forecast is not
(EIA-930's carbon history runs to 2021-06, its demand history to 2019-06), and the carbon slice
must not depend on the load slice.

- `carbon_lag_1d_gco2_per_kwh`: the same local hour on D-1, only for the hours of D-1 that had
  ended by the issue time (local hours 0-11); null for the rest;
- `carbon_lag_2d_gco2_per_kwh`, `carbon_lag_7d_gco2_per_kwh`: the same local hour on D-2, D-7
  (D-7 is the weekly-naive forecast the models are scored against);
- `carbon_mean_7d_same_hour_gco2_per_kwh`: mean of the same local hour over D-8..D-2;
- `carbon_mean_1d_known_gco2_per_kwh`: mean of D-1's hours that had ended by the issue time (the
  latest level: hydro conditions, imports, outages);
- `carbon_daily_mean_2d_gco2_per_kwh`: mean of D-2 (null unless 80 % of its hours are there);
- `carbon_last_known_gco2_per_kwh`: the latest hour known at the issue time (the hour that ended
  at it, or up to 24 h before when the feed lags; null if none): the level the first hours of D
  start from;
- `solar_wind_lag_2d_mw`: solar plus wind output at the same local hour on D-2;
- `<fuel>_share_lag_1d_fraction`, `<fuel>_share_last_known_fraction` for coal, natural gas,
  nuclear, hydro, solar and wind: the fuel's share of in-region generation at the same local
  hour on D-1 (where known at issue) and at the latest known hour (which plants were running);
- the same six intensity features of the DIRECT intensity (`carbon_direct_*`: combustion only,
  in-region generation, the quantity of the published day-ahead benchmarks);
- for a region whose carbon slice learns the operator's own published intensity
  (`Region.carbon_target`, GB: the Carbon Intensity API's), the same seven intensity features of
  it in columns of their own (`published_*`, `PUBLISHED_COLUMNS`), never mixed into ours: the
  published actual of an hour counts as known at the end of the hour, as ours does (the API
  publishes it within the half-hour after). The API's stored `forecast` is never a feature: it
  is the API's latest forecast before the half-hour, issued after our issue time;
- `<fuel>_lag_1d_mw`, `<fuel>_lag_2d_mw`, `<fuel>_mean_1d_known_mw`, `<fuel>_last_known_mw`
  for every fuel of `GENERATION_COLUMNS` (`FUEL_MW_COLUMNS`): the fuel's output at the same local
  hour of D-1 (where known at issue) and of D-2, its mean over D-1's hours known at issue, and
  at the latest hour known; null where the grid or the fuel is absent. They are not among
  `FEATURE_COLUMNS`: the fuel-mix member of the UTC-day direct model learns each fuel's output
  from them (`models/fuel_mix_lgbm.py`), the intensity models do not;
- the day-ahead weather forecast for the hour and its change from the forecast for the same
  hour of D-1 (`weather_*`, `features/weather.py`, where its issue-time assumption is stated),
  null where the region has no weather feed that day.

The rules of `energy_assets/features/load.py` apply: readings count as available at the end of
their hour, history for D or later is never used, the repeated fall-back hour is averaged, hours
with less than `min_coverage` of their 5-minute readings are missing, and every row's
`available_at_utc` is the latest availability of its inputs (a `ValueError` if any is later
than the issue time).

Pure functions: no Dagster, no I/O.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import polars as pl

from energy_assets.features.load import (
    UTC_DTYPE,
    join_same_hour_lags,
    market_day_hours,
    per_local_hour,
    same_hour_mean,
    stamp_availability,
    usable_history,
)
from energy_assets.features.weather import WEATHER_CHANGES, WEATHER_FEATURES, with_weather

__all__ = [
    "CARBON_COLUMNS",
    "FEATURE_COLUMNS",
    "FUEL_MW_COLUMNS",
    "IDENTIFIER_COLUMNS",
    "build_carbon_features",
    "fuel_mw_columns",
]

IDENTIFIER_COLUMNS: list[str] = [
    "region",
    "market_date",
    "interval_start_utc",
    "issued_at_utc",
    "available_at_utc",
]

# Taken as they are from the day's load feature rows.
FROM_LOAD_FEATURES: list[str] = [
    "hour_local",
    "weekday",
    "month",
    "hour_sin",
    "hour_cos",
    "doy_sin",
    "doy_cos",
    "is_weekend",
    "is_holiday",
    "lag_2d_mw",
]

# (feature prefix, harmonized/carbon_intensity column)
INTENSITIES: tuple[tuple[str, str], ...] = (
    ("carbon", "carbon_gco2_per_kwh"),
    ("carbon_direct", "carbon_direct_gco2_per_kwh"),
)
# the operator's own published intensity (GB: the Carbon Intensity API's `actual`, its method),
# in columns of its own, only in the rows of a region whose carbon slice learns it
# (`Region.carbon_target`); never the API's stored `forecast`, a short-lead forecast issued
# after our issue time
PUBLISHED_INTENSITY: tuple[str, str] = ("published", "published_gco2_per_kwh")
# the coverage column of each intensity column (ours: `coverage`, of the fuel mix)
_COVERAGE_OF = {"published_gco2_per_kwh": "published_coverage"}


def _intensity_columns(prefix: str) -> list[str]:
    return [
        f"{prefix}_lag_1d_gco2_per_kwh",
        f"{prefix}_lag_2d_gco2_per_kwh",
        f"{prefix}_lag_7d_gco2_per_kwh",
        f"{prefix}_mean_7d_same_hour_gco2_per_kwh",
        f"{prefix}_mean_1d_known_gco2_per_kwh",
        f"{prefix}_daily_mean_2d_gco2_per_kwh",
        f"{prefix}_last_known_gco2_per_kwh",
    ]


# Fuels whose share of in-region generation is a feature, and what that generation sums.
SHARE_FUELS: tuple[str, ...] = ("coal", "natural_gas", "nuclear", "hydro", "solar", "wind")
GENERATION_COLUMNS: tuple[str, ...] = (
    "solar_mw",
    "wind_mw",
    "hydro_mw",
    "nuclear_mw",
    "natural_gas_mw",
    "coal_mw",
    "oil_mw",
    "geothermal_mw",
    "biomass_mw",
    "other_mw",
)
SHARE_COLUMNS: list[str] = [
    name
    for fuel in SHARE_FUELS
    for name in (f"{fuel}_share_lag_1d_fraction", f"{fuel}_share_last_known_fraction")
]
# Each fuel's own output features (`_fuel_mw_features`): `<fuel>_<what>_mw`.
FUEL_MW_FEATURES: tuple[str, ...] = ("lag_1d", "lag_2d", "mean_1d_known", "last_known")


def fuel_mw_columns(generation_column: str) -> list[str]:
    """The output features of one `GENERATION_COLUMNS` fuel (`coal_mw` -> `coal_lag_1d_mw`, ...)."""
    fuel = generation_column.removesuffix("_mw")
    return [f"{fuel}_{what}_mw" for what in FUEL_MW_FEATURES]


FUEL_MW_COLUMNS: list[str] = [name for c in GENERATION_COLUMNS for name in fuel_mw_columns(c)]
# A last known value older than this at the issue time is not "the latest level" any more.
_LAST_KNOWN_MAX_AGE = timedelta(hours=24)


CARBON_COLUMNS: list[str] = [
    *_intensity_columns("carbon"),
    "solar_wind_lag_2d_mw",
    *_intensity_columns("carbon_direct"),
    *SHARE_COLUMNS,
    *WEATHER_FEATURES.values(),
    *WEATHER_CHANGES.values(),
]

FEATURE_COLUMNS: list[str] = [*FROM_LOAD_FEATURES, *CARBON_COLUMNS]
PUBLISHED_COLUMNS: list[str] = _intensity_columns(PUBLISHED_INTENSITY[0])


def intensities_for(carbon_target: str) -> tuple[tuple[str, str], ...]:
    """The intensities whose features a region's rows carry: ours (lifecycle and direct), and
    the published one where the region's carbon slice learns it (`Region.carbon_target`)."""
    if carbon_target == PUBLISHED_INTENSITY[1]:
        return (*INTENSITIES, PUBLISHED_INTENSITY)
    return INTENSITIES


def feature_columns_for(carbon_target: str) -> list[str]:
    """The columns a carbon model of `carbon_target` learns from: `FEATURE_COLUMNS`, and the
    published intensity's own features where that is the target."""
    if carbon_target == PUBLISHED_INTENSITY[1]:
        return [*FEATURE_COLUMNS, *PUBLISHED_COLUMNS]
    return FEATURE_COLUMNS


_MEAN_WINDOW_DAYS = range(2, 9)  # D-2 .. D-8
_DAILY_MIN_FRACTION = 0.8


def build_carbon_features(
    load_features: pl.DataFrame,
    carbon_history: pl.DataFrame | None,
    grid_history: pl.DataFrame | None,
    tz: str,
    weather: pl.DataFrame | None = None,
    *,
    min_coverage: float = 0.5,
    intensities: tuple[tuple[str, str], ...] = INTENSITIES,
) -> pl.DataFrame:
    """Feature rows for every hour of the market day of `load_features` (one day of one region).

    `load_features`: the day's calendar and load rows (`features.load.build_load_features`);
    `carbon_history`: `harmonized/carbon_intensity` rows (D-8..D-1 covers every feature);
    `grid_history`: `harmonized/grid_hourly` rows (D-2 and D-1 are used); `weather`:
    `harmonized/weather_hourly` rows of D and D-1 (None: weather features null). History rows
    for D or later, or whose hour ends after the issue time, are ignored. `intensities`: the
    (prefix, column) pairs whose intensity features are built (`intensities_for`); the
    published one's columns (`PUBLISHED_COLUMNS`) follow `FEATURE_COLUMNS` when asked for.
    """
    if load_features.is_empty():
        raise ValueError("no load feature rows for the market day")
    days = load_features["market_date"].unique()
    regions = load_features["region"].unique()
    if len(days) != 1 or len(regions) != 1:
        raise ValueError(
            f"load features must be one region-day, got regions {regions.to_list()}"
            f" and days {days.to_list()}"
        )
    market_day: date = days[0]
    region: str = regions[0]
    issued_at: datetime = load_features["issued_at_utc"][0]

    rows = load_features.select(
        "region",
        "market_date",
        "interval_start_utc",
        "issued_at_utc",
        *FROM_LOAD_FEATURES,
        pl.col("available_at_utc").alias("_avail_load"),
    )
    avail_cols = ["_avail_load"]
    for prefix, column in intensities:
        history = carbon_history
        if history is not None and column not in history.columns:
            history = None
        rows, avail = _intensity_features(
            rows, history, column, prefix, market_day, region, tz, issued_at, min_coverage
        )
        avail_cols += avail

    grid = grid_history
    if grid is not None and grid.height and {"solar_mw", "wind_mw"} <= set(grid.columns):
        grid = grid.with_columns(
            solar_wind_mw=pl.col("solar_mw").clip(lower_bound=0.0)
            + pl.col("wind_mw").clip(lower_bound=0.0)
        )
    else:
        grid = None
    solar_wind = per_local_hour(
        usable_history(
            grid,
            market_day,
            region,
            tz,
            issued_at,
            min_coverage,
            value_column="solar_wind_mw",
            coverage_column="fuel_mix_coverage",
        )
    )
    rows, solar_wind_avail = join_same_hour_lags(
        rows, solar_wind, market_day, {"solar_wind_lag_2d_mw": 2}
    )
    avail_cols += solar_wind_avail
    rows, share_avail = _share_features(
        rows, grid_history, market_day, region, tz, issued_at, min_coverage
    )
    avail_cols += share_avail
    rows, fuel_avail = _fuel_mw_features(
        rows, grid_history, market_day, region, tz, issued_at, min_coverage
    )
    avail_cols += fuel_avail
    rows = with_weather(rows, weather)

    rows = stamp_availability(rows, avail_cols, f"carbon feature rows for {region} {market_day}")
    published = PUBLISHED_COLUMNS if PUBLISHED_INTENSITY in intensities else []
    return rows.sort("interval_start_utc").select(
        *IDENTIFIER_COLUMNS, *FEATURE_COLUMNS, *FUEL_MW_COLUMNS, *published
    )


def _intensity_features(
    rows: pl.DataFrame,
    history: pl.DataFrame | None,
    column: str,
    prefix: str,
    market_day: date,
    region: str,
    tz: str,
    issued_at: datetime,
    min_coverage: float,
) -> tuple[pl.DataFrame, list[str]]:
    """The six `<prefix>_*` intensity features of `column` (see the module docstring) and the
    names of their availability columns."""
    carbon = per_local_hour(
        usable_history(
            history,
            market_day,
            region,
            tz,
            issued_at,
            min_coverage,
            value_column=column,
            coverage_column=_COVERAGE_OF.get(column, "coverage"),
        )
    )
    lag_days = {
        f"{prefix}_lag_1d_gco2_per_kwh": 1,
        f"{prefix}_lag_2d_gco2_per_kwh": 2,
        f"{prefix}_lag_7d_gco2_per_kwh": 7,
    }
    rows, avail_cols = join_same_hour_lags(rows, carbon, market_day, lag_days)

    window = [market_day - timedelta(days=d) for d in _MEAN_WINDOW_DAYS]
    name = f"{prefix}_mean_7d_same_hour_gco2_per_kwh"
    rows = rows.join(same_hour_mean(carbon, window, name), on="hour_local", how="left")
    avail_cols.append(f"_avail_{name}")

    known = carbon.filter(pl.col("local_date") == market_day - timedelta(days=1))
    d2 = carbon.filter(pl.col("local_date") == market_day - timedelta(days=2))
    d2_expected = len(market_day_hours(market_day - timedelta(days=2), tz))
    d2_complete = d2.height > 0 and d2.height >= math.ceil(_DAILY_MIN_FRACTION * d2_expected)
    rows = rows.with_columns(
        pl.lit(known["value"].mean() if known.height else None, dtype=pl.Float64).alias(
            f"{prefix}_mean_1d_known_gco2_per_kwh"
        ),
        pl.lit(known["avail"].max() if known.height else None, dtype=UTC_DTYPE).alias(
            f"_avail_{prefix}_known"
        ),
        pl.lit(d2["value"].mean() if d2_complete else None, dtype=pl.Float64).alias(
            f"{prefix}_daily_mean_2d_gco2_per_kwh"
        ),
        pl.lit(d2["avail"].max() if d2_complete else None, dtype=UTC_DTYPE).alias(
            f"_avail_{prefix}_d2"
        ),
    )
    avail_cols += [f"_avail_{prefix}_known", f"_avail_{prefix}_d2"]
    rows = _with_last_known(rows, carbon, f"{prefix}_last_known_gco2_per_kwh", issued_at)
    avail_cols.append(f"_avail_{prefix}_last_known_gco2_per_kwh")
    return rows, avail_cols


def _with_last_known(
    rows: pl.DataFrame, per_hour: pl.DataFrame, name: str, issued_at: datetime
) -> pl.DataFrame:
    """`name`: the value of the latest hour of `per_hour` (`per_local_hour` rows, all known at
    the issue time), null if none is younger than `_LAST_KNOWN_MAX_AGE`; `_avail_<name>`."""
    recent = per_hour.filter(pl.col("avail") >= issued_at - _LAST_KNOWN_MAX_AGE)
    latest = recent.sort("avail").tail(1)
    return rows.with_columns(
        pl.lit(latest["value"][0] if latest.height else None, dtype=pl.Float64).alias(name),
        pl.lit(latest["avail"][0] if latest.height else None, dtype=UTC_DTYPE).alias(
            f"_avail_{name}"
        ),
    )


def _share_features(
    rows: pl.DataFrame,
    grid_history: pl.DataFrame | None,
    market_day: date,
    region: str,
    tz: str,
    issued_at: datetime,
    min_coverage: float,
) -> tuple[pl.DataFrame, list[str]]:
    """`SHARE_COLUMNS`: each `SHARE_FUELS` fuel's share of in-region generation (the
    `GENERATION_COLUMNS` that the grid has, negatives as 0) at the same hour of D-1 and at the
    latest known hour; null where the grid or the fuel is absent."""
    grid = None
    if grid_history is not None and grid_history.height:
        present = [c for c in GENERATION_COLUMNS if c in grid_history.columns]
        if present:
            total = pl.sum_horizontal(
                pl.col(c).cast(pl.Float64).clip(lower_bound=0.0) for c in present
            )
            grid = grid_history.with_columns(
                (
                    pl.col(f"{fuel}_mw").cast(pl.Float64).clip(lower_bound=0.0) / total
                    if f"{fuel}_mw" in grid_history.columns
                    else pl.lit(None, dtype=pl.Float64)
                ).alias(f"_share_{fuel}")
                for fuel in SHARE_FUELS
            ).with_columns(
                pl.when(total > 0).then(pl.col(f"_share_{fuel}")).alias(f"_share_{fuel}")
                for fuel in SHARE_FUELS
            )
    avail_cols: list[str] = []
    for fuel in SHARE_FUELS:
        share = per_local_hour(
            usable_history(
                grid,
                market_day,
                region,
                tz,
                issued_at,
                min_coverage,
                value_column=f"_share_{fuel}",
                coverage_column="fuel_mix_coverage",
            )
        )
        rows, lag_avail = join_same_hour_lags(
            rows, share, market_day, {f"{fuel}_share_lag_1d_fraction": 1}
        )
        last = f"{fuel}_share_last_known_fraction"
        rows = _with_last_known(rows, share, last, issued_at)
        avail_cols += [*lag_avail, f"_avail_{last}"]
    return rows, avail_cols


def _fuel_mw_features(
    rows: pl.DataFrame,
    grid_history: pl.DataFrame | None,
    market_day: date,
    region: str,
    tz: str,
    issued_at: datetime,
    min_coverage: float,
) -> tuple[pl.DataFrame, list[str]]:
    """`FUEL_MW_COLUMNS` (negatives as 0): every fuel at once, by the rules of
    `usable_history` (hours ended by the issue time, market days before D, `fuel_mix_coverage`
    at least `min_coverage`); null where the grid or the fuel is absent."""
    present = (
        [c for c in GENERATION_COLUMNS if c in grid_history.columns]
        if grid_history is not None and grid_history.height
        else []
    )
    names = {"lag_1d": 1, "lag_2d": 2}
    avail = [f"_avail_fuel_{what}" for what in FUEL_MW_FEATURES]
    if not present or "fuel_mix_coverage" not in grid_history.columns:
        return rows.with_columns(
            *(pl.lit(None, dtype=pl.Float64).alias(c) for c in FUEL_MW_COLUMNS),
            *(pl.lit(None, dtype=UTC_DTYPE).alias(a) for a in avail),
        ), avail
    h = grid_history
    if "region" in h.columns:
        h = h.filter(pl.col("region") == region)
    if "market_date" in h.columns:
        h = h.filter(pl.col("market_date") < market_day)
    ts = pl.col("interval_start_utc").cast(UTC_DTYPE)
    local = ts.dt.convert_time_zone(tz)
    per_hour = (
        h.filter(pl.col("fuel_mix_coverage").fill_null(0.0) >= min_coverage)
        .select(
            local.dt.date().alias("local_date"),
            local.dt.hour().cast(pl.Int8).alias("hour_local"),
            (ts + pl.duration(hours=1)).alias("avail"),
            *(pl.col(c).cast(pl.Float64).clip(lower_bound=0.0) for c in present),
        )
        .filter((pl.col("avail") <= issued_at) & (pl.col("local_date") < market_day))
        .group_by("local_date", "hour_local")
        .agg(pl.col("avail").max(), *(pl.col(c).mean() for c in present))
        .sort("local_date", "hour_local")
    )

    def renamed(what: str) -> list[pl.Expr]:
        return [pl.col(c).alias(f"{c.removesuffix('_mw')}_{what}_mw") for c in present]

    for what, days in names.items():
        day = per_hour.filter(pl.col("local_date") == market_day - timedelta(days=days))
        rows = rows.join(
            day.select("hour_local", *renamed(what), pl.col("avail").alias(f"_avail_fuel_{what}")),
            on="hour_local",
            how="left",
        )
    known = per_hour.filter(pl.col("local_date") == market_day - timedelta(days=1))
    recent = per_hour.filter(pl.col("avail") >= issued_at - _LAST_KNOWN_MAX_AGE)
    latest = recent.sort("avail").tail(1)
    rows = rows.with_columns(
        *(
            pl.lit(known[c].mean() if known.height else None, dtype=pl.Float64).alias(
                f"{c.removesuffix('_mw')}_mean_1d_known_mw"
            )
            for c in present
        ),
        pl.lit(known["avail"].max() if known.height else None, dtype=UTC_DTYPE).alias(
            "_avail_fuel_mean_1d_known"
        ),
        *(
            pl.lit(latest[c][0] if latest.height else None, dtype=pl.Float64).alias(
                f"{c.removesuffix('_mw')}_last_known_mw"
            )
            for c in present
        ),
        pl.lit(latest["avail"][0] if latest.height else None, dtype=UTC_DTYPE).alias(
            "_avail_fuel_last_known"
        ),
    )
    absent = [c for c in FUEL_MW_COLUMNS if c not in rows.columns]
    return rows.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in absent), avail
