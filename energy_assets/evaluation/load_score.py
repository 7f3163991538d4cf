"""Score day-ahead load forecasts on the same hours for every forecaster."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from energy_assets.evaluation.metrics import interval_coverage, pinball_loss

MIN_ACTUAL_COVERAGE = 0.9
FORECASTERS = ("energy_assets_p50", "operator_day_ahead", "seasonal_naive_7d")


def score_load_forecasts(
    region: str,
    market_date: dt.date,
    forecast: pl.DataFrame,
    actuals: pl.DataFrame,
    operator: pl.DataFrame,
    features: pl.DataFrame,
    min_coverage: float = MIN_ACTUAL_COVERAGE,
) -> pl.DataFrame:
    """One row per forecaster: hours scored, MAE (MW), MAPE (%), and the sums behind them.

    Hours are kept when the actual hour has at least `min_coverage` of its readings and every
    forecaster has a value, so the three are compared on exactly the same hours.
    """
    truth = actuals.filter(
        pl.col("demand_mw").is_not_null() & (pl.col("demand_coverage") >= min_coverage)
    ).select("interval_start_utc", "demand_mw")
    joined = (
        truth.join(
            forecast.select(
                "interval_start_utc", "demand_p10_mw", "demand_p50_mw", "demand_p90_mw"
            ),
            on="interval_start_utc",
        )
        .join(
            operator.select(
                "interval_start_utc", pl.col("forecast_demand_mw").alias("operator_mw")
            ),
            on="interval_start_utc",
        )
        .join(
            features.select("interval_start_utc", pl.col("lag_7d_mw").alias("naive_mw")),
            on="interval_start_utc",
        )
        .drop_nulls()
        .filter(pl.col("demand_mw") > 0)
    )
    actual = joined["demand_mw"].to_numpy()
    columns = {
        "energy_assets_p50": "demand_p50_mw",
        "operator_day_ahead": "operator_mw",
        "seasonal_naive_7d": "naive_mw",
    }
    rows = []
    for name, column in columns.items():
        predicted = joined[column].to_numpy()
        abs_err = np.abs(actual - predicted)
        hours = len(actual)
        row = {
            "region": region,
            "market_date": market_date,
            "forecaster": name,
            "hours": hours,
            "mae_mw": float(abs_err.mean()) if hours else None,
            "mape_pct": float((abs_err / actual).mean() * 100) if hours else None,
            "abs_error_sum_mw": float(abs_err.sum()) if hours else None,
            "abs_pct_error_sum": float((abs_err / actual * 100).sum()) if hours else None,
            "pinball_p10_mw": None,
            "pinball_p90_mw": None,
            "p10_p90_coverage": None,
        }
        if name == "energy_assets_p50" and hours:
            row["pinball_p10_mw"] = pinball_loss(actual, joined["demand_p10_mw"].to_numpy(), 0.1)
            row["pinball_p90_mw"] = pinball_loss(actual, joined["demand_p90_mw"].to_numpy(), 0.9)
            row["p10_p90_coverage"] = interval_coverage(
                actual, joined["demand_p10_mw"].to_numpy(), joined["demand_p90_mw"].to_numpy()
            )
        rows.append(row)
    schema = {
        "region": pl.Utf8,
        "market_date": pl.Date,
        "forecaster": pl.Utf8,
        "hours": pl.Int64,
        "mae_mw": pl.Float64,
        "mape_pct": pl.Float64,
        "abs_error_sum_mw": pl.Float64,
        "abs_pct_error_sum": pl.Float64,
        "pinball_p10_mw": pl.Float64,
        "pinball_p90_mw": pl.Float64,
        "p10_p90_coverage": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)
