"""Hourly UTC grid table from sub-hourly provider readings, the same for every region.

`harmonized/grid_hourly` columns: `region`, `market_date`, `interval_start_utc` (hour start, UTC),
`demand_mw` and generation by fuel (`*_mw`, hourly mean of the readings = MWh in the hour),
`net_imports_mw`, and the coverage of each hour by readings (`demand_coverage`,
`fuel_mix_coverage`, 0..1). Every hour of the market day is present (23, 24 or 25), also hours
with no reading at all (coverage 0, values null): a gap is visible, never invented.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from energy_assets.timeutil import hourly_intervals_utc

FUEL_COLUMNS = (
    "solar_mw",
    "wind_mw",
    "hydro_mw",
    "nuclear_mw",
    "natural_gas_mw",
    "coal_mw",
    "oil_mw",
    "geothermal_mw",
    "biomass_mw",
    "batteries_mw",
    "other_mw",
)
GRID_COLUMNS = (
    "region",
    "market_date",
    "interval_start_utc",
    "demand_mw",
    *FUEL_COLUMNS,
    "net_imports_mw",
    "demand_coverage",
    "fuel_mix_coverage",
)


def hour_grid(region: str, market_day: dt.date, tz: str) -> pl.DataFrame:
    """One row per hour of the local market day (23/24/25 rows), UTC hour starts."""
    return pl.DataFrame(
        {"interval_start_utc": hourly_intervals_utc(market_day, tz)},
        schema={"interval_start_utc": pl.Datetime("us", "UTC")},
    ).with_columns(region=pl.lit(region), market_date=pl.lit(market_day, dtype=pl.Date))


def hourly_means(
    readings: pl.DataFrame,
    value_columns: list[str],
    readings_per_hour: int,
    coverage_column: str,
    complete: bool = False,
) -> pl.DataFrame:
    """Mean of each value column per UTC hour, and the share of expected readings present.

    A reading counts towards coverage when any of `value_columns` is non-null; with `complete`,
    only when all of them are (a fuel mix missing a fuel is a partial reading: its mix, and the
    carbon intensity from it, would be wrong, not just noisier).
    """
    is_set = [pl.col(c).is_not_null() for c in value_columns]
    present = pl.all_horizontal(is_set) if complete else pl.any_horizontal(is_set)
    return (
        readings.with_columns(hour=pl.col("interval_start_utc").dt.truncate("1h"))
        .group_by("hour")
        .agg(
            *[pl.col(c).mean() for c in value_columns],
            (present.sum() / readings_per_hour).clip(0.0, 1.0).alias(coverage_column),
        )
        .rename({"hour": "interval_start_utc"})
    )


def assemble_grid_hourly(
    region: str,
    market_day: dt.date,
    tz: str,
    demand_hourly: pl.DataFrame,
    fuel_hourly: pl.DataFrame,
) -> pl.DataFrame:
    """Join hourly demand and fuel frames onto the full hour grid, in `GRID_COLUMNS` order."""
    frame = (
        hour_grid(region, market_day, tz)
        .join(demand_hourly, on="interval_start_utc", how="left")
        .join(fuel_hourly, on="interval_start_utc", how="left")
    )
    missing = [c for c in GRID_COLUMNS if c not in frame.columns]
    frame = frame.with_columns(
        [pl.lit(None, dtype=pl.Float64).alias(c) for c in missing if c.endswith("_mw")]
    ).with_columns(
        pl.col("demand_coverage").fill_null(0.0), pl.col("fuel_mix_coverage").fill_null(0.0)
    )
    return frame.select(GRID_COLUMNS).sort("interval_start_utc")
