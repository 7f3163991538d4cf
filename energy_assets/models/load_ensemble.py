"""Ensemble of the LightGBM and MLX load forecasts, weights learned on validation days only.

Pure module. For market day D the validation days are the market days before D whose actuals
are known at D's issue time (D-57..D-2 by default) and for which both models issued their
day-ahead forecast: out-of-sample for both models, none of them D. For each quantile q the
weight w of LightGBM (1 - w for MLX) is the value on a 0, 0.05, ..., 1 grid that minimises the
pinball loss of `w * lightgbm_q + (1 - w) * mlx_q` over the validation hours (ties: the
weight nearest 0.5). With fewer than `MIN_VALIDATION_DAYS` validation days (the first days of
a backfill) the weights are 0.5 and the method says so.

The P10-P90 band is then calibrated on the same validation hours (split-conformal style, on
the ratio of the actual to the weighted quantile, because load errors scale with the level):
P10 is multiplied by the 10th percentile of actual / P10, P90 by the 90th percentile of
actual / P90, so that on the validation hours 10 % fall below P10 and 10 % above P90. The band
is only ever widened (a scale is at most 1 for P10 and at least 1 for P90): both members'
bands cover about 70 % of next-day hours instead of 80 %, and the validation days are closer
to the training data than the next day is: their residuals do not justify narrowing. P50 is
never scaled. `band_scale` records the factor.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import polars as pl

from energy_assets.models.quantile_lgbm import QUANTILES, quantile_column

__all__ = [
    "MIN_VALIDATION_DAYS",
    "VALIDATION_DAYS",
    "combine",
    "ensemble_version",
    "learn_operator_weight",
    "learn_weights",
    "validation_frame",
]

# Chosen on 2016-07..2017-06 (EIA-930, all eight US regions, the graph's own member forecasts;
# before the window `benchmark regions` scores), P50 MAPE summed over the regions (`energy-assets
# benchmark load-settings`, at 362dbf7): 14 days 16.95, 21 days 16.90, 28 days 16.85, 42 days
# 16.83, 56 days 16.82 (equal weights 16.82). Two weeks of hours let one member's lucky
# fortnight swing the weights.
VALIDATION_DAYS = 56
MIN_VALIDATION_DAYS = 3
MIN_ACTUAL_COVERAGE = 0.9
WEIGHT_GRID = np.round(np.linspace(0.0, 1.0, 21), 2)
MEMBERS = ("lightgbm", "mlx")
# the operator's day-ahead forecast for the hour, in `validation_frame` when given: what
# `learn_operator_weight` weighs (a lever `benchmark load-settings` compares; not adopted)
OPERATOR_COLUMN = "operator_mw"
# the fewest validation hours with an operator forecast its weight is learnt on (else 0)
MIN_VALIDATION_HOURS_OPERATOR = 24 * MIN_VALIDATION_DAYS


def _pinball(actual: np.ndarray, forecast: np.ndarray, q: float) -> float:
    diff = actual - forecast
    return float(np.mean(np.maximum(q * diff, (q - 1.0) * diff)))


def validation_frame(
    lightgbm: pl.DataFrame,
    mlx: pl.DataFrame,
    actuals: pl.DataFrame,
    operator: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Hours where both members forecast and the actual hour is complete: `market_date`,
    `demand_mw` and `<member>_p10/p50/p90` (MW); with `operator` (the day-ahead feature rows:
    `interval_start_utc`, `operator_forecast_mw`, the forecast as known at that day's issue)
    also `operator_mw`, null where it had none."""
    columns = [f"demand_{quantile_column(q)}_mw" for q in QUANTILES]
    extra = {OPERATOR_COLUMN: pl.Float64} if operator is not None else {}
    if lightgbm.is_empty() or mlx.is_empty() or actuals.is_empty():
        return pl.DataFrame(
            schema={
                "market_date": pl.Date,
                "demand_mw": pl.Float64,
                **{f"{m}_{quantile_column(q)}": pl.Float64 for m in MEMBERS for q in QUANTILES},
                **extra,
            }
        )

    def member(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.select(
            "interval_start_utc",
            *[
                pl.col(c).alias(f"{name}_{quantile_column(q)}")
                for c, q in zip(columns, QUANTILES, strict=True)
            ],
        )

    truth = actuals.filter(
        pl.col("demand_mw").is_not_null() & (pl.col("demand_coverage") >= MIN_ACTUAL_COVERAGE)
    ).select("market_date", "interval_start_utc", "demand_mw")
    frame = (
        truth.join(member(lightgbm, "lightgbm"), on="interval_start_utc")
        .join(member(mlx, "mlx"), on="interval_start_utc")
        .drop_nulls()
    )
    if operator is not None:
        frame = frame.join(
            _operator_rows(operator, frame["interval_start_utc"].dtype),
            on="interval_start_utc",
            how="left",
        )
    return frame.sort("interval_start_utc").drop("interval_start_utc")


def _operator_rows(operator: pl.DataFrame, dtype: pl.DataType) -> pl.DataFrame:
    """`interval_start_utc` (as `dtype`, the hours it joins: stored frames say `Etc/UTC` or
    `UTC`) and `operator_mw` (positive forecasts only) of `operator`."""
    if operator.is_empty() or "operator_forecast_mw" not in operator.columns:
        return pl.DataFrame(schema={"interval_start_utc": dtype, OPERATOR_COLUMN: pl.Float64})
    return (
        operator.select(
            pl.col("interval_start_utc").cast(dtype),
            pl.col("operator_forecast_mw").cast(pl.Float64).alias(OPERATOR_COLUMN),
        )
        .filter(pl.col(OPERATOR_COLUMN) > 0)
        .unique("interval_start_utc", keep="first")
    )


def learn_operator_weight(
    actual: np.ndarray, ensemble_p50: np.ndarray, operator: np.ndarray
) -> float:
    """The weight v (0, 0.05, ..., 1) of the operator's forecast in the P50
    `(1 - v) * ensemble_p50 + v * operator` that minimises the absolute error over the
    validation hours that have an operator forecast (NaN where none); ties: the smallest v;
    0 with fewer than `MIN_VALIDATION_HOURS_OPERATOR` such hours.

    Forecast combination on top of models that already learn demand relative to the
    operator's forecast: compared by `benchmark load-settings` on 2016-07..2017-06 and not
    adopted (worse in five of eight regions, level in two; in BPA, the one region whose operator we do not
    beat, better than our ensemble but still behind the operator; the figures are in the
    README)."""
    has = ~np.isnan(operator)
    if has.sum() < MIN_VALIDATION_HOURS_OPERATOR:
        return 0.0
    a, e, o = actual[has], ensemble_p50[has], operator[has]
    losses = np.array([np.mean(np.abs(a - ((1 - v) * e + v * o))) for v in WEIGHT_GRID])
    best = losses.min()
    return float(WEIGHT_GRID[np.isclose(losses, best, rtol=0, atol=1e-9)][0])


def _band_scale(actual: np.ndarray, forecast: np.ndarray, q: float) -> float:
    """The factor that puts a share q of the validation actuals below `forecast`, widening
    only; 1 for the median (and wherever the forecast is not positive)."""
    if q == 0.5:
        return 1.0
    positive = forecast > 0
    if not positive.any():
        return 1.0
    scale = float(np.quantile(actual[positive] / forecast[positive], q))
    return min(scale, 1.0) if q < 0.5 else max(scale, 1.0)


def learn_weights(validation: pl.DataFrame) -> pl.DataFrame:
    """One row per quantile: `weight_lightgbm`, `weight_mlx`, `band_scale`, the validation
    days and hours, each member's, the weighted and the calibrated ensemble's pinball loss on
    them (MW), and the method."""
    days = validation["market_date"].n_unique() if validation.height else 0
    actual = validation["demand_mw"].to_numpy() if validation.height else np.empty(0)
    rows = []
    for q in QUANTILES:
        name = quantile_column(q)
        row = {
            "quantile": q,
            "validation_days": days,
            "validation_hours": validation.height,
            "pinball_lightgbm_mw": None,
            "pinball_mlx_mw": None,
            "pinball_ensemble_mw": None,
            "pinball_calibrated_mw": None,
        }
        if days < MIN_VALIDATION_DAYS:
            rows.append(
                row
                | {
                    "weight_lightgbm": 0.5,
                    "band_scale": 1.0,
                    "method": f"equal weights: {days} validation days < {MIN_VALIDATION_DAYS}",
                }
            )
            continue
        lgb = validation[f"lightgbm_{name}"].to_numpy()
        mlx = validation[f"mlx_{name}"].to_numpy()
        losses = np.array([_pinball(actual, w * lgb + (1 - w) * mlx, q) for w in WEIGHT_GRID])
        best = losses.min()
        candidates = WEIGHT_GRID[np.isclose(losses, best, rtol=0, atol=1e-12)]
        weight = float(candidates[np.argmin(np.abs(candidates - 0.5))])
        weighted = weight * lgb + (1 - weight) * mlx
        scale = _band_scale(actual, weighted, q)
        rows.append(
            row
            | {
                "weight_lightgbm": weight,
                "band_scale": scale,
                "pinball_calibrated_mw": _pinball(actual, scale * weighted, q),
                "pinball_lightgbm_mw": _pinball(actual, lgb, q),
                "pinball_mlx_mw": _pinball(actual, mlx, q),
                "pinball_ensemble_mw": float(best),
                "method": f"pinball-loss grid search on {days} validation days",
            }
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "quantile": pl.Float64,
            "validation_days": pl.Int64,
            "validation_hours": pl.Int64,
            "pinball_lightgbm_mw": pl.Float64,
            "pinball_mlx_mw": pl.Float64,
            "pinball_ensemble_mw": pl.Float64,
            "weight_lightgbm": pl.Float64,
            "band_scale": pl.Float64,
            "pinball_calibrated_mw": pl.Float64,
            "method": pl.Utf8,
        },
    )
    return frame.with_columns(weight_mlx=1.0 - pl.col("weight_lightgbm"))


def ensemble_version(weights: pl.DataFrame, lightgbm_version: str, mlx_version: str) -> str:
    """12 hex digits identifying the members' versions and the weights."""
    document = {
        "lightgbm": lightgbm_version,
        "mlx": mlx_version,
        "weights": [
            [q, w] for q, w in zip(weights["quantile"], weights["weight_lightgbm"], strict=True)
        ],
        "band_scales": [
            [q, b] for q, b in zip(weights["quantile"], weights["band_scale"], strict=True)
        ],
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:12]


def combine(lightgbm: pl.DataFrame, mlx: pl.DataFrame, weights: pl.DataFrame) -> pl.DataFrame:
    """`interval_start_utc` and `demand_p10/p50/p90_mw` of the weighted members times each
    quantile's `band_scale`, per hour, with the quantiles sorted (a weighted sum of ordered
    quantiles widened outwards can cross only through rounding; sorting makes it certain)."""
    by_quantile = dict(zip(weights["quantile"], weights["weight_lightgbm"], strict=True))
    scales = dict(zip(weights["quantile"], weights["band_scale"], strict=True))
    columns = [f"demand_{quantile_column(q)}_mw" for q in QUANTILES]
    joined = lightgbm.select("interval_start_utc", *columns).join(
        mlx.select("interval_start_utc", *columns), on="interval_start_utc", suffix="_mlx"
    )
    if joined.height != lightgbm.height or joined.height != mlx.height:
        raise ValueError(
            f"the members forecast different hours: LightGBM {lightgbm.height},"
            f" MLX {mlx.height}, common {joined.height}"
        )
    values = np.column_stack(
        [
            scales[q]
            * (
                by_quantile[q] * joined[c].to_numpy()
                + (1 - by_quantile[q]) * joined[f"{c}_mlx"].to_numpy()
            )
            for c, q in zip(columns, QUANTILES, strict=True)
        ]
    )
    values = np.sort(values, axis=1)
    return pl.DataFrame(
        {"interval_start_utc": joined["interval_start_utc"]}
        | {c: values[:, i] for i, c in enumerate(columns)}
    ).sort("interval_start_utc")
