"""Score day-ahead load forecasts for one region and market day, on the same hours for all.

Forecasters: our three models (`ensemble`, `lightgbm`, `mlx`; P50 as the point forecast and
P10/P90 for pinball loss and coverage), the operator's own day-ahead forecast
(`operator_day_ahead`) and the seasonal naive forecast (`seasonal_naive_7d`: the same local
hour 7 days before, the epftoolbox "weekly naive", available at issue time). rMAE divides by the
seasonal naive's MAE on the same hours. The metrics are `energy_assets/evaluation/scoring.py`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

import polars as pl

from energy_assets.evaluation.scoring import (
    Target,
    join_quantile_forecasts,
    score_day,
    score_schema,
)

MIN_ACTUAL_COVERAGE = 0.9
MODELS = ("ensemble", "lightgbm", "mlx")
NAIVE = "seasonal_naive_7d"
OPERATOR = "operator_day_ahead"
LOAD = Target(
    name="load",
    unit="mw",
    squared_unit="mw2",
    models=MODELS,
    others=(OPERATOR, NAIVE),
    naive=NAIVE,
    references=(("naive", NAIVE), ("operator", OPERATOR)),
)
# a region-day without an operator forecast: the same target, the operator left out
WITHOUT_OPERATOR = replace(LOAD, others=(NAIVE,), references=(("naive", NAIVE),))
FORECASTERS = LOAD.forecasters
SCHEMA = score_schema(LOAD)


def score_load_forecasts(
    region: str,
    market_date: dt.date,
    forecasts: Mapping[str, pl.DataFrame],
    actuals: pl.DataFrame,
    operator: pl.DataFrame,
    features: pl.DataFrame,
    min_coverage: float = MIN_ACTUAL_COVERAGE,
) -> pl.DataFrame:
    """One row per forecaster (`forecasts` maps each of MODELS to its `forecasts/*` frame).

    Hours are kept when the actual hour has at least `min_coverage` of its readings and every
    forecaster has a value, so all are compared on exactly the same hours. A region-day with no
    operator forecast at all (`operator` without a value: GB, whose operator publishes none) is
    scored without the operator: its row is left out, not filled, and the other forecasters
    keep their hours.
    """
    if set(forecasts) != set(MODELS):
        raise ValueError(f"forecasts for {sorted(forecasts)}; expected {MODELS}")
    joined = actuals.filter(
        pl.col("demand_mw").is_not_null() & (pl.col("demand_coverage") >= min_coverage)
    ).select("interval_start_utc", pl.col("demand_mw").alias("actual"))
    joined = join_quantile_forecasts(joined, forecasts, "demand_{}_mw")
    target = LOAD
    if operator["forecast_demand_mw"].is_not_null().any():
        joined = joined.join(
            operator.select("interval_start_utc", pl.col("forecast_demand_mw").alias(OPERATOR)),
            on="interval_start_utc",
        )
    else:
        target = WITHOUT_OPERATOR
    joined = (
        joined.join(
            features.select("interval_start_utc", pl.col("lag_7d_mw").alias(NAIVE)),
            on="interval_start_utc",
        )
        .drop_nulls()
        .filter(pl.col("actual") > 0)
    )
    return score_day(target, region, market_date, joined)
