"""A seasonal-profile carbon-intensity forecaster: empirical quantiles by local hour of day.

For market day D, P10/P50/P90 of each local hour are the 10th/50th/90th percentiles of the
intensities observed at that local hour over a trailing window of complete days (by default
D-15..D-2, all published before the forecast is issued at D-1 12:00 local). It is the baseline
that trained carbon models must beat; DST days map by local hour (the repeated fall-back hour
uses the same profile value twice, the missing spring-forward hour is simply absent).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from energy_assets.timeutil import hourly_intervals_utc

MODEL_VERSION = "carbon_profile_quantiles_v1"
QUANTILES = (0.1, 0.5, 0.9)


def forecast_carbon_profile(
    history: pl.DataFrame, market_day: dt.date, tz: str, issued_at: dt.datetime, min_days: int = 3
) -> pl.DataFrame:
    """`history`: harmonized carbon_intensity rows (`interval_start_utc`, `carbon_gco2_per_kwh`).

    Only rows whose hour ended by `issued_at` are used. Returns one row per hour of D:
    `interval_start_utc`, `carbon_p10/p50/p90_gco2_per_kwh`, `history_days`.
    """
    usable = history.filter(
        pl.col("carbon_gco2_per_kwh").is_not_null()
        & (pl.col("interval_start_utc") + pl.duration(hours=1) <= issued_at)
    ).with_columns(hour_local=pl.col("interval_start_utc").dt.convert_time_zone(tz).dt.hour())
    days = usable["market_date"].n_unique() if "market_date" in usable.columns else 0
    if days < min_days:
        raise ValueError(
            f"carbon profile for {market_day} needs at least {min_days} days of carbon intensity"
            f" published before {issued_at.isoformat()}, found {days}"
        )
    profile = usable.group_by("hour_local").agg(
        *[
            pl.col("carbon_gco2_per_kwh")
            .quantile(q, interpolation="linear")
            .alias(f"carbon_p{int(q * 100)}_gco2_per_kwh")
            for q in QUANTILES
        ]
    )
    hours = pl.DataFrame(
        {"interval_start_utc": hourly_intervals_utc(market_day, tz)},
        schema={"interval_start_utc": pl.Datetime("us", "UTC")},
    ).with_columns(hour_local=pl.col("interval_start_utc").dt.convert_time_zone(tz).dt.hour())
    return (
        hours.join(profile, on="hour_local", how="left")
        .drop("hour_local")
        .with_columns(history_days=pl.lit(days, dtype=pl.Int32))
        .sort("interval_start_utc")
    )
