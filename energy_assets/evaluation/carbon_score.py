"""Score day-ahead carbon-intensity forecasts for one region and market day (pure).

Forecasters: the LightGBM quantile model (`lightgbm`, what the schedules read), the
seasonal-profile baseline (`profile`: quantiles of the same local hour over D-15..D-2) and the
seasonal naive (`seasonal_naive_7d`: the same local hour 7 days before). Same hours for all;
the metrics are `energy_assets/evaluation/scoring.py`'s, in gCO2eq/kWh.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from energy_assets.evaluation.scoring import (
    Target,
    join_quantile_forecasts,
    score_day,
    score_schema,
)

MIN_ACTUAL_COVERAGE = 0.9
NAIVE = "seasonal_naive_7d"
CARBON = Target(
    name="carbon",
    unit="gco2_per_kwh",
    squared_unit="gco2_per_kwh_squared",
    models=("lightgbm", "profile"),
    others=(NAIVE,),
    naive=NAIVE,
    references=(("naive", NAIVE), ("profile", "profile")),
)
FORECASTERS = CARBON.forecasters
SCHEMA = score_schema(CARBON)


def score_carbon_forecasts(
    region: str,
    market_date: dt.date,
    lightgbm: pl.DataFrame,
    profile: pl.DataFrame,
    actuals: pl.DataFrame,
    features: pl.DataFrame,
    min_coverage: float = MIN_ACTUAL_COVERAGE,
) -> pl.DataFrame:
    """One row per forecaster; `actuals` are `harmonized/carbon_intensity` rows of the day and
    `features` the day's `features/carbon_features` (for the seasonal naive)."""
    joined = actuals.filter(
        pl.col("carbon_gco2_per_kwh").is_not_null() & (pl.col("coverage") >= min_coverage)
    ).select("interval_start_utc", pl.col("carbon_gco2_per_kwh").alias("actual"))
    joined = (
        join_quantile_forecasts(
            joined, {"lightgbm": lightgbm, "profile": profile}, "carbon_{}_gco2_per_kwh"
        )
        .join(
            features.select(
                "interval_start_utc", pl.col("carbon_lag_7d_gco2_per_kwh").alias(NAIVE)
            ),
            on="interval_start_utc",
        )
        .drop_nulls()
        .filter(pl.col("actual") > 0)
    )
    return score_day(CARBON, region, market_date, joined)
