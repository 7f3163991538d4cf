"""Score one market day of day-ahead forecasts against the actuals, for any target (pure).

A `Target` names the forecasters, the unit of the target and the references the forecasters are
tested against. Every forecaster is scored on the same hours: MAE, RMSE (in the target's unit),
MAPE, sMAPE (%), rMAE against the seasonal naive, and for the forecasters with quantiles the
pinball loss of P10/P50/P90 and the P10-P90 coverage. The sums behind every mean are kept so
days roll up exactly (`energy_assets/evaluation/report.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

QUANTILE_LEVELS = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


@dataclass(frozen=True)
class Target:
    """What is scored: `unit` suffixes the columns (`mae_mw`, `mae_gco2_per_kwh`), `naive` is the
    seasonal naive forecaster (the rMAE denominator), `models` are the forecasters with
    quantiles, `references` the (label, forecaster) pairs of the Diebold-Mariano tests."""

    name: str
    unit: str
    squared_unit: str
    models: tuple[str, ...]
    others: tuple[str, ...]
    naive: str
    references: tuple[tuple[str, str], ...]

    @property
    def forecasters(self) -> tuple[str, ...]:
        return (*self.models, *self.others)


def score_schema(target: Target) -> dict[str, pl.DataType]:
    u, u2 = target.unit, target.squared_unit
    return {
        "region": pl.Utf8,
        "market_date": pl.Date,
        "forecaster": pl.Utf8,
        "hours": pl.Int64,
        f"mae_{u}": pl.Float64,
        f"rmse_{u}": pl.Float64,
        "mape_pct": pl.Float64,
        "smape_pct": pl.Float64,
        "rmae": pl.Float64,
        f"abs_error_sum_{u}": pl.Float64,
        f"squared_error_sum_{u2}": pl.Float64,
        "abs_pct_error_sum": pl.Float64,
        "sym_pct_error_sum": pl.Float64,
        f"pinball_p10_sum_{u}": pl.Float64,
        f"pinball_p50_sum_{u}": pl.Float64,
        f"pinball_p90_sum_{u}": pl.Float64,
        "hours_in_p10_p90": pl.Int64,
        "p10_p90_coverage": pl.Float64,
    }


def _pinball_sum(actual: np.ndarray, forecast: np.ndarray, q: float) -> float:
    diff = actual - forecast
    return float(np.sum(np.maximum(q * diff, (q - 1.0) * diff)))


def score_day(
    target: Target, region: str, market_date: dt.date, joined: pl.DataFrame
) -> pl.DataFrame:
    """One row per forecaster of `target`. `joined`: one row per scored hour with `actual`,
    `<model>_p10/_p50/_p90` for each of `target.models` and one column per other forecaster
    (nulls already dropped, so every forecaster has the same hours)."""
    u, u2 = target.unit, target.squared_unit
    schema = score_schema(target)
    actual = joined["actual"].to_numpy() if joined.height else np.empty(0)
    hours = len(actual)
    naive_abs_sum = float(np.abs(actual - joined[target.naive].to_numpy()).sum()) if hours else 0.0
    point = {name: f"{name}_p50" for name in target.models} | {o: o for o in target.others}
    rows = []
    for name, column in point.items():
        row = dict.fromkeys(schema) | {
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
            pct_sum = float((np.abs(err) / np.abs(actual) * 100).sum())
            denom = np.abs(actual) + np.abs(predicted)
            sym_sum = float(
                np.divide(2 * np.abs(err), denom, out=np.zeros(hours), where=denom != 0).sum() * 100
            )
            row |= {
                f"mae_{u}": abs_sum / hours,
                f"rmse_{u}": float(np.sqrt(sq_sum / hours)),
                "mape_pct": pct_sum / hours,
                "smape_pct": sym_sum / hours,
                "rmae": abs_sum / naive_abs_sum if naive_abs_sum > 0 else None,
                f"abs_error_sum_{u}": abs_sum,
                f"squared_error_sum_{u2}": sq_sum,
                "abs_pct_error_sum": pct_sum,
                "sym_pct_error_sum": sym_sum,
            }
            if name in target.models:
                p10, p90 = joined[f"{name}_p10"].to_numpy(), joined[f"{name}_p90"].to_numpy()
                inside = int(((actual >= p10) & (actual <= p90)).sum())
                row |= {
                    f"pinball_{p}_sum_{u}": _pinball_sum(
                        actual, joined[f"{name}_{p}"].to_numpy(), q
                    )
                    for p, q in QUANTILE_LEVELS.items()
                } | {"hours_in_p10_p90": inside, "p10_p90_coverage": inside / hours}
        rows.append(row)
    return pl.DataFrame(rows, schema=schema)


def join_quantile_forecasts(
    joined: pl.DataFrame, forecasts: Mapping[str, pl.DataFrame], column: str
) -> pl.DataFrame:
    """Join each model's P10/P50/P90 (`column.format(p)`, e.g. `demand_{}_mw`) as
    `<model>_p10/_p50/_p90` on `interval_start_utc`."""
    for name, frame in forecasts.items():
        joined = joined.join(
            frame.select(
                "interval_start_utc",
                *[pl.col(column.format(p)).alias(f"{name}_{p}") for p in QUANTILE_LEVELS],
            ),
            on="interval_start_utc",
        )
    return joined
