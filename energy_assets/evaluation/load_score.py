"""Score day-ahead load forecasts for one region and market day, on the same hours for all.

Forecasters: our three models (`ensemble`, `lightgbm`, `mlx`; P50 as the point forecast and
P10/P90 for pinball loss and coverage), the operator's own day-ahead forecast
(`operator_day_ahead`) and the seasonal naive forecast (`seasonal_naive_7d`: the same local
hour 7 days before, the epftoolbox "weekly naive", available at issue time). rMAE divides by the
seasonal naive's MAE on the same hours. The sums behind every mean are kept so that days roll
up exactly (`energy_assets/evaluation/load_report.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import polars as pl

MIN_ACTUAL_COVERAGE = 0.9
MODELS = ("ensemble", "lightgbm", "mlx")
NAIVE = "seasonal_naive_7d"
OPERATOR = "operator_day_ahead"
FORECASTERS = (*MODELS, OPERATOR, NAIVE)

SCHEMA = {
    "region": pl.Utf8,
    "market_date": pl.Date,
    "forecaster": pl.Utf8,
    "hours": pl.Int64,
    "mae_mw": pl.Float64,
    "rmse_mw": pl.Float64,
    "mape_pct": pl.Float64,
    "smape_pct": pl.Float64,
    "rmae": pl.Float64,
    "abs_error_sum_mw": pl.Float64,
    "squared_error_sum_mw2": pl.Float64,
    "abs_pct_error_sum": pl.Float64,
    "sym_pct_error_sum": pl.Float64,
    "pinball_p10_sum_mw": pl.Float64,
    "pinball_p50_sum_mw": pl.Float64,
    "pinball_p90_sum_mw": pl.Float64,
    "hours_in_p10_p90": pl.Int64,
    "p10_p90_coverage": pl.Float64,
}


def _pinball_sum(actual: np.ndarray, forecast: np.ndarray, q: float) -> float:
    diff = actual - forecast
    return float(np.sum(np.maximum(q * diff, (q - 1.0) * diff)))


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
    forecaster has a value, so all are compared on exactly the same hours.
    """
    unknown = set(forecasts) - set(MODELS)
    if unknown:
        raise ValueError(f"unknown forecasters {sorted(unknown)}; expected {MODELS}")
    joined = actuals.filter(
        pl.col("demand_mw").is_not_null() & (pl.col("demand_coverage") >= min_coverage)
    ).select("interval_start_utc", "demand_mw")
    for name, frame in forecasts.items():
        joined = joined.join(
            frame.select(
                "interval_start_utc",
                *[pl.col(f"demand_{p}_mw").alias(f"{name}_{p}") for p in ("p10", "p50", "p90")],
            ),
            on="interval_start_utc",
        )
    joined = (
        joined.join(
            operator.select("interval_start_utc", pl.col("forecast_demand_mw").alias(OPERATOR)),
            on="interval_start_utc",
        )
        .join(
            features.select("interval_start_utc", pl.col("lag_7d_mw").alias(NAIVE)),
            on="interval_start_utc",
        )
        .drop_nulls()
        .filter(pl.col("demand_mw") > 0)
    )
    actual = joined["demand_mw"].to_numpy()
    hours = len(actual)
    naive_abs_sum = float(np.abs(actual - joined[NAIVE].to_numpy()).sum()) if hours else 0.0
    point = {name: f"{name}_p50" for name in forecasts} | {OPERATOR: OPERATOR, NAIVE: NAIVE}
    rows = []
    for name, column in point.items():
        row = dict.fromkeys(SCHEMA) | {
            "region": region,
            "market_date": market_date,
            "forecaster": name,
            "hours": hours,
        }
        if hours:
            predicted = joined[column].to_numpy()
            err = actual - predicted
            abs_sum = float(np.abs(err).sum())
            sq_sum = float((err**2).sum())
            pct_sum = float((np.abs(err) / actual * 100).sum())
            denom = np.abs(actual) + np.abs(predicted)
            sym_sum = float(
                np.divide(2 * np.abs(err), denom, out=np.zeros(hours), where=denom != 0).sum() * 100
            )
            row |= {
                "mae_mw": abs_sum / hours,
                "rmse_mw": float(np.sqrt(sq_sum / hours)),
                "mape_pct": pct_sum / hours,
                "smape_pct": sym_sum / hours,
                "rmae": abs_sum / naive_abs_sum if naive_abs_sum > 0 else None,
                "abs_error_sum_mw": abs_sum,
                "squared_error_sum_mw2": sq_sum,
                "abs_pct_error_sum": pct_sum,
                "sym_pct_error_sum": sym_sum,
            }
            if name in forecasts:
                p10, p90 = joined[f"{name}_p10"].to_numpy(), joined[f"{name}_p90"].to_numpy()
                inside = int(((actual >= p10) & (actual <= p90)).sum())
                row |= {
                    "pinball_p10_sum_mw": _pinball_sum(actual, p10, 0.1),
                    "pinball_p50_sum_mw": _pinball_sum(actual, predicted, 0.5),
                    "pinball_p90_sum_mw": _pinball_sum(actual, p90, 0.9),
                    "hours_in_p10_p90": inside,
                    "p10_p90_coverage": inside / hours,
                }
        rows.append(row)
    return pl.DataFrame(rows, schema=SCHEMA)
