"""Hourly day-ahead weather forecasts of a region in the harmonized schema.

The raw feed (`raw/gfs_regional_weather_forecast`) is already hourly, UTC interval starts,
averaged over the region; harmonizing gives every hour of the local market day a row (23/24/25),
converts kelvin to degrees Celsius, and keeps the share of the hour's quantities present
(`coverage`: 1 when temperature, dew point and wind are there, 0 for an hour missing from the
feed). Radiation and precipitation may be null on their own (the GFS files' copied 09 UTC step,
nulled at parse): the features leave those hours null rather than fill them.

Pure functions: no Dagster, no I/O.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from energy_assets.timeutil import hourly_intervals_utc

_KELVIN = 273.15

COLUMNS: tuple[str, ...] = (
    "region",
    "market_date",
    "interval_start_utc",
    "temperature_c",
    "dewpoint_c",
    "wind_speed_m_per_s",
    "shortwave_radiation_w_per_m2",
    "precipitation_mm_per_h",
    "coverage",
    "provider",
)


def weather_hourly(
    region: str, day: dt.date, tz: str, raw: pl.DataFrame | None, provider: str
) -> pl.DataFrame:
    """One row per hour of `region`'s market day `day` from the raw forecast rows (None or empty:
    every hour with coverage 0)."""
    hours = pl.DataFrame(
        {"interval_start_utc": hourly_intervals_utc(day, tz)},
        schema={"interval_start_utc": pl.Datetime("us", "UTC")},
    )
    if raw is None or raw.is_empty():
        raw = pl.DataFrame(
            schema={
                "interval_start_utc": pl.Datetime("us", "UTC"),
                "temperature_k": pl.Float64,
                "dewpoint_k": pl.Float64,
                "wind_speed_m_per_s": pl.Float64,
                "shortwave_radiation_w_per_m2": pl.Float64,
                "precipitation_kg_per_m2_per_h": pl.Float64,
            }
        )
    present = ["temperature_k", "dewpoint_k", "wind_speed_m_per_s"]
    return (
        hours.join(raw, on="interval_start_utc", how="left")
        .with_columns(
            region=pl.lit(region),
            market_date=pl.lit(day, dtype=pl.Date),
            temperature_c=pl.col("temperature_k") - _KELVIN,
            dewpoint_c=pl.col("dewpoint_k") - _KELVIN,
            # kg/m2 of water per hour is mm per hour
            precipitation_mm_per_h=pl.col("precipitation_kg_per_m2_per_h"),
            coverage=pl.mean_horizontal(
                [pl.col(c).is_not_null().cast(pl.Float64) for c in present]
            ),
            provider=pl.lit(provider),
        )
        .select(COLUMNS)
        .sort("interval_start_utc")
    )
