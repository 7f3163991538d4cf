"""The day-ahead weather forecast as features, shared by the load and carbon features.

For each hour of D: the forecast of the hour (`WEATHER_FEATURES`: temperature, dew point, 10 m
wind, shortwave radiation, precipitation; `harmonized/weather_hourly`), null where the region
has no weather feed that day, and its change from the forecast for the same hour of D-1
(`WEATHER_CHANGES`: a hotter, windier or sunnier day than yesterday). The issue time of the
GFS history files is not recorded (their rows labelled D-1 are the forecast for D,
`sources/gfs_regional.py`): a forecast of D is taken as known at our issue time, D-1 12:00
local (a GFS run of D-1 reaches past the end of D), an assumption the README states; the live
feed (Open-Meteo) is fetched at 14:00 UTC on D-1, before every US issue time.

Pure functions: no Dagster, no I/O.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

__all__ = ["WEATHER_CHANGES", "WEATHER_COLUMNS", "WEATHER_FEATURES", "with_weather"]

UTC_DTYPE = pl.Datetime("us", "UTC")

# harmonized/weather_hourly column -> feature column
WEATHER_FEATURES: dict[str, str] = {
    "temperature_c": "weather_temperature_c",
    "dewpoint_c": "weather_dewpoint_c",
    "wind_speed_m_per_s": "weather_wind_speed_m_per_s",
    "shortwave_radiation_w_per_m2": "weather_shortwave_radiation_w_per_m2",
    "precipitation_mm_per_h": "weather_precipitation_mm_per_h",
}

# harmonized/weather_hourly column -> feature column of its change from the same hour of D-1
WEATHER_CHANGES: dict[str, str] = {
    "temperature_c": "weather_temperature_change_1d_c",
    "dewpoint_c": "weather_dewpoint_change_1d_c",
    "wind_speed_m_per_s": "weather_wind_speed_change_1d_m_per_s",
    "shortwave_radiation_w_per_m2": "weather_shortwave_radiation_change_1d_w_per_m2",
    "precipitation_mm_per_h": "weather_precipitation_change_1d_mm_per_h",
}

WEATHER_COLUMNS: list[str] = [*WEATHER_FEATURES.values(), *WEATHER_CHANGES.values()]


def with_weather(rows: pl.DataFrame, weather: pl.DataFrame | None) -> pl.DataFrame:
    """`rows` (one per `interval_start_utc`) with the weather forecast of each hour
    (`WEATHER_FEATURES`) and its change from the forecast for the same hour 24 h before
    (`WEATHER_CHANGES`): `weather` is `harmonized/weather_hourly` rows of D and D-1 (None: every
    weather column null); an hour without a forecast (absent, or no feed: null values) is null."""
    if weather is None or weather.is_empty():
        return rows.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in WEATHER_COLUMNS)
    forecast = weather.select(
        pl.col("interval_start_utc").cast(UTC_DTYPE),
        *[pl.col(src).cast(pl.Float64).alias(dst) for src, dst in WEATHER_FEATURES.items()],
    ).unique("interval_start_utc", keep="first")
    day_before = forecast.select(
        (pl.col("interval_start_utc") + timedelta(days=1)).alias("interval_start_utc"),
        *[pl.col(c).alias(f"_before_{c}") for c in WEATHER_FEATURES.values()],
    )
    return (
        rows.join(forecast, on="interval_start_utc", how="left")
        .join(day_before, on="interval_start_utc", how="left")
        .with_columns(
            (pl.col(WEATHER_FEATURES[src]) - pl.col(f"_before_{WEATHER_FEATURES[src]}")).alias(dst)
            for src, dst in WEATHER_CHANGES.items()
        )
        .drop([f"_before_{c}" for c in WEATHER_FEATURES.values()])
    )
