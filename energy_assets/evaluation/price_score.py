"""Scores of day-ahead price forecasts (pure): the epftoolbox point scores and our day scores.

One implementation for `benchmark epf` (`score`, `quantile_scores`, `weekly_naive_mae`) and
the price assets (`evaluation/price_forecast_score` and its report,
`energy_assets/defs/prices.py`: `day_scores`, `report_rows`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import polars as pl

from energy_assets.evaluation.metrics import (
    diebold_mariano,
    interval_coverage,
    mae,
    pinball_loss,
    rmse,
    smape,
)
from energy_assets.features.price import Market


def weekly_naive_mae(market: Market, test_days: np.ndarray) -> tuple[float, str]:
    """Denominator of rMAE: MAE of the weekly naive forecast (price of the same hour of D-7).

    As epftoolbox `rMAE(..., m='W')`: computed on the test period's own prices, over its days 8..n
    (the first week has no naive forecast inside the period). With 7 or fewer test days the naive
    forecast of every test day reads D-7 from before the period.
    """
    actual = market.prices[test_days]
    if len(test_days) > 7:
        return mae(actual[7:], actual[:-7]), "epftoolbox m='W' (test days 8..n, D-7 same hour)"
    return mae(actual, market.prices[test_days - 7]), "D-7 same hour over all test days"


def score(actual: np.ndarray, forecast: np.ndarray, naive_mae: float) -> dict[str, float]:
    a, f = np.asarray(actual).ravel(), np.asarray(forecast).ravel()
    m = mae(a, f)
    return {
        "mae": m,
        "rmse": rmse(a, f),
        "smape": smape(a, f),
        "rmae": m / naive_mae,
        "hours": int(np.sum(~np.isnan(a) & ~np.isnan(f))),
    }


def quantile_scores(
    actual: np.ndarray, quantiles: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> dict[str, float]:
    """P10/P50/P90 over the hours where all are present: the share of actuals below each
    (ideal 0.1/0.5/0.9), the P10-P90 coverage (ideal 0.8) and the mean pinball loss over the
    three quantiles."""
    a = np.asarray(actual, dtype=float).ravel()
    p10, p50, p90 = (np.asarray(x, dtype=float).ravel() for x in quantiles)
    ok = ~(np.isnan(a) | np.isnan(p10) | np.isnan(p50) | np.isnan(p90))
    a, p10, p50, p90 = a[ok], p10[ok], p50[ok], p90[ok]
    return {
        "below_p10": float(np.mean(a < p10)),
        "below_p50": float(np.mean(a < p50)),
        "below_p90": float(np.mean(a < p90)),
        "p10_p90_coverage": interval_coverage(a, p10, p90),
        "pinball": float(
            np.mean([pinball_loss(a, f, q) for f, q in ((p10, 0.1), (p50, 0.5), (p90, 0.9))])
        ),
        "hours": int(ok.sum()),
    }


def day_scores(
    actual: np.ndarray,
    forecasts: Mapping[str, np.ndarray],
    naive: np.ndarray,
    quantiles: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[dict[str, float | int | str | None]]:
    """One day's scores per forecaster on the hours every forecaster and the actual have, with
    sums so days roll up exactly: absolute and squared error, sMAPE terms, the naive's absolute
    error (rMAE), pinball terms and P10-P90 hits where `quantiles` gives (P10, P90)."""
    a = np.asarray(actual, dtype=np.float64)
    stack = [np.asarray(f, dtype=np.float64) for f in forecasts.values()]
    ok = ~np.isnan(a) & ~np.isnan(naive)
    for f in stack:
        ok &= ~np.isnan(f)
    rows = []
    for name, f in forecasts.items():
        f = np.asarray(f, dtype=np.float64)
        err = a[ok] - f[ok]
        denom = (np.abs(a[ok]) + np.abs(f[ok])) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            smape_terms = np.where(denom > 0, np.abs(err) / denom, 0.0)
        row: dict[str, float | int | str | None] = {
            "forecaster": name,
            "hours": int(ok.sum()),
            "abs_error_sum": float(np.abs(err).sum()),
            "squared_error_sum": float((err**2).sum()),
            "smape_sum": float(smape_terms.sum() * 100.0),
            "naive_abs_error_sum": float(np.abs(a[ok] - naive[ok]).sum()),
            "pinball_sum": None,
            "covered_hours": None,
        }
        if quantiles and name in quantiles:
            lo, hi = (np.asarray(x, dtype=np.float64)[ok] for x in quantiles[name])
            pin = [
                pinball_loss(a[ok], q_f, q) * ok.sum()
                for q, q_f in ((0.1, lo), (0.5, f[ok]), (0.9, hi))
            ]
            row["pinball_sum"] = float(np.sum(pin) / 3.0)
            row["covered_hours"] = int(round(interval_coverage(a[ok], lo, hi) * ok.sum()))
        rows.append(row)
    return rows


def _dm(days: pl.DataFrame, forecaster: str, reference: str) -> tuple[float | None, float | None]:
    """One-sided DM of `forecaster` against `reference` on daily MAEs (epftoolbox multivariate)."""
    wide = days.filter(pl.col("forecaster").is_in([forecaster, reference])).pivot(
        on="forecaster", index="market_date", values="day_mae"
    )
    if forecaster not in wide.columns or reference not in wide.columns:
        return None, None
    wide = wide.drop_nulls()
    try:
        stat, p = diebold_mariano(wide[reference].to_numpy(), wide[forecaster].to_numpy())
    except ValueError:
        return None, None
    return (None, None) if math.isnan(stat) else (stat, p)


def report_rows(scores: pl.DataFrame, unit: str) -> pl.DataFrame:
    """Day scores (`day_scores` rows with `region`, `market_date`) rolled up per market and
    forecaster over every stored day: MAE, RMSE, sMAPE, rMAE, mean pinball loss, P10-P90
    coverage, and a one-sided Diebold-Mariano test against the naive and the published
    forecasts (where the market has them)."""
    days = scores.with_columns(day_mae=pl.col("abs_error_sum") / pl.col("hours"))
    out = []
    for (market, forecaster), part in days.group_by(["region", "forecaster"], maintain_order=True):
        hours = int(part["hours"].sum())
        if hours == 0:
            continue
        abs_sum = float(part["abs_error_sum"].sum())
        naive_sum = float(part["naive_abs_error_sum"].sum())
        pin = part["pinball_sum"].drop_nulls()
        cov = part["covered_hours"].drop_nulls()
        market_days = days.filter(pl.col("region") == market)
        dm_naive = _dm(market_days, forecaster, "naive") if forecaster != "naive" else (None, None)
        published = [
            f for f in market_days["forecaster"].unique().to_list() if f.startswith("published_dnn")
        ]
        dm_pub = (
            _dm(market_days, forecaster, published[0])
            if published and forecaster != published[0]
            else (None, None)
        )
        out.append(
            {
                "region": market,
                "forecaster": forecaster,
                "days": part.height,
                "hours": hours,
                f"mae_{unit}": abs_sum / hours,
                f"rmse_{unit}": math.sqrt(float(part["squared_error_sum"].sum()) / hours),
                "smape_pct": float(part["smape_sum"].sum()) / hours,
                "rmae": abs_sum / naive_sum if naive_sum > 0 else None,
                f"pinball_{unit}": float(pin.sum()) / hours if len(pin) == part.height else None,
                "p10_p90_coverage": float(cov.sum()) / hours if len(cov) == part.height else None,
                "dm_vs_naive_stat": dm_naive[0],
                "dm_vs_naive_p": dm_naive[1],
                "dm_vs_published_stat": dm_pub[0],
                "dm_vs_published_p": dm_pub[1],
            }
        )
    floats = [
        f"mae_{unit}",
        f"rmse_{unit}",
        "smape_pct",
        "rmae",
        f"pinball_{unit}",
        "p10_p90_coverage",
        "dm_vs_naive_stat",
        "dm_vs_naive_p",
        "dm_vs_published_stat",
        "dm_vs_published_p",
    ]
    schema = {"region": pl.String, "forecaster": pl.String, "days": pl.Int64, "hours": pl.Int64}
    return pl.DataFrame(out, schema={**schema, **dict.fromkeys(floats, pl.Float64)})
