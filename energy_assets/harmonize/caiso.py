"""CAISO Today's Outlook (5-minute) into the harmonized hourly tables.

Fuel mapping to the harmonized categories: `Small hydro` + `Large hydro` -> `hydro_mw`;
`Biomass` + `Biogas` -> `biomass_mw`; `Imports` -> `net_imports_mw` (negative = net export);
`Batteries` -> `batteries_mw` (negative = charging); others one to one. CAISO has no oil column.
A 5-minute reading counts towards `fuel_mix_coverage` only when every fuel column has a value: a
day whose file leaves a fuel empty has coverage 0 in those hours, so no carbon intensity is
computed from a partial mix (three recorded days in 2019-2020 do).

The operator's day-ahead load forecast (`Day ahead forecast` column) carries no issue time in
the history files. CAISO publishes it for the day-ahead market, which closes at 10:00 Pacific on
D-1, so `issued_at_utc` is set to D-1 10:00 local: the latest time it can have been issued.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl

from energy_assets.harmonize.grid import assemble_grid_hourly, hourly_means

READINGS_PER_HOUR = 12  # 5-minute data
OPERATOR_FORECAST_ISSUE_HOUR_LOCAL = 10

_SUMS = {
    "hydro_mw": ("small_hydro_mw", "large_hydro_mw"),
    "biomass_mw": ("biomass_mw", "biogas_mw"),
}
_RENAMES = {"imports_mw": "net_imports_mw"}
_DIRECT = (
    "solar_mw",
    "wind_mw",
    "geothermal_mw",
    "coal_mw",
    "nuclear_mw",
    "natural_gas_mw",
    "batteries_mw",
    "other_mw",
)


def _sum_or_null(columns: tuple[str, ...]) -> pl.Expr:
    return (
        pl.when(pl.all_horizontal([pl.col(c).is_null() for c in columns]))
        .then(None)
        .otherwise(pl.sum_horizontal([pl.col(c) for c in columns]))
    )


def fuel_mix_to_harmonized(fuel_5min: pl.DataFrame) -> pl.DataFrame:
    """5-minute CAISO fuel columns -> 5-minute harmonized fuel columns."""
    return fuel_5min.select(
        "interval_start_utc",
        *[pl.col(c) for c in _DIRECT],
        *[_sum_or_null(parts).alias(name) for name, parts in _SUMS.items()],
        *[pl.col(src).alias(dst) for src, dst in _RENAMES.items()],
    )


def grid_hourly(
    region: str, market_day: dt.date, tz: str, demand_5min: pl.DataFrame, fuel_5min: pl.DataFrame
) -> pl.DataFrame:
    demand_hourly = hourly_means(
        demand_5min.select("interval_start_utc", "demand_mw"),
        ["demand_mw"],
        READINGS_PER_HOUR,
        "demand_coverage",
    )
    fuel = fuel_mix_to_harmonized(fuel_5min)
    fuel_columns = [c for c in fuel.columns if c != "interval_start_utc"]
    # a reading counts only with every fuel: the Outlook file of 2019-01-02 has no natural gas
    # all day (03-13 no geothermal, 03-26 no imports), which made a CAISO intensity of ~1 g/kWh
    fuel_hourly = hourly_means(
        fuel, fuel_columns, READINGS_PER_HOUR, "fuel_mix_coverage", complete=True
    )
    return assemble_grid_hourly(region, market_day, tz, demand_hourly, fuel_hourly)


def operator_issue_time(market_day: dt.date, tz: str) -> dt.datetime:
    local = dt.datetime.combine(
        market_day - dt.timedelta(days=1),
        dt.time(OPERATOR_FORECAST_ISSUE_HOUR_LOCAL),
        tzinfo=ZoneInfo(tz),
    )
    return local.astimezone(dt.UTC)


def operator_load_forecast(
    region: str, market_day: dt.date, tz: str, demand_5min: pl.DataFrame
) -> pl.DataFrame:
    """Hourly mean of CAISO's own day-ahead load forecast, with its (latest possible) issue time."""
    hourly = hourly_means(
        demand_5min.select("interval_start_utc", "day_ahead_forecast_mw"),
        ["day_ahead_forecast_mw"],
        READINGS_PER_HOUR,
        "coverage",
    ).filter(pl.col("day_ahead_forecast_mw").is_not_null())
    return (
        hourly.with_columns(
            region=pl.lit(region),
            market_date=pl.lit(market_day, dtype=pl.Date),
            issued_at_utc=pl.lit(
                operator_issue_time(market_day, tz), dtype=pl.Datetime("us", "UTC")
            ),
            provider=pl.lit("caiso"),
        )
        .rename({"day_ahead_forecast_mw": "forecast_demand_mw"})
        .select(
            "region",
            "market_date",
            "interval_start_utc",
            "forecast_demand_mw",
            "issued_at_utc",
            "provider",
        )
        .sort("interval_start_utc")
    )
