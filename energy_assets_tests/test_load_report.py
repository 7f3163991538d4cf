"""Per-day load forecast scores, their roll-up per period and the Diebold-Mariano test."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from energy_assets.evaluation.load_score import FORECASTERS, LOAD, score_load_forecasts
from energy_assets.evaluation.metrics import diebold_mariano, mae, rmse, smape
from energy_assets.evaluation.report import rollup
from energy_assets.schemas.evaluation import LoadForecastReport, LoadForecastScore

DAY_ONE = dt.date(2020, 1, 31)


def _day(day: dt.date, seed: int, incomplete_hour: bool = False):
    rng = np.random.default_rng(seed)
    start = dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC)
    hours = [start + dt.timedelta(hours=h) for h in range(24)]
    actual = 25_000 + 3_000 * np.sin(np.arange(24) / 24 * 2 * np.pi) + rng.normal(0, 200, 24)
    coverage = np.ones(24)
    if incomplete_hour:
        coverage[5] = 0.5
    actuals = pl.DataFrame(
        {"interval_start_utc": hours, "demand_mw": actual, "demand_coverage": coverage}
    )

    def forecast(noise: float, seed_: int) -> pl.DataFrame:
        p50 = actual + np.random.default_rng(seed_).normal(0, noise, 24)
        return pl.DataFrame(
            {
                "interval_start_utc": hours,
                "demand_p10_mw": p50 - 400,
                "demand_p50_mw": p50,
                "demand_p90_mw": p50 + 400,
            }
        )

    forecasts = {
        "ensemble": forecast(250, 1),
        "lightgbm": forecast(300, 2),
        "mlx": forecast(350, 3),
    }
    operator = pl.DataFrame(
        {"interval_start_utc": hours, "forecast_demand_mw": actual + rng.normal(0, 400, 24)}
    )
    features = pl.DataFrame(
        {"interval_start_utc": hours, "lag_7d_mw": actual + rng.normal(0, 2_000, 24)}
    )
    return forecasts, actuals, operator, features


def test_every_forecaster_is_scored_on_the_same_complete_hours():
    forecasts, actuals, operator, features = _day(DAY_ONE, 0, incomplete_hour=True)
    scores = score_load_forecasts("CAISO", DAY_ONE, forecasts, actuals, operator, features)
    LoadForecastScore.validate(scores)
    assert scores["forecaster"].to_list() == list(FORECASTERS)
    assert (scores["hours"] == 23).all()  # the half-covered hour is left out for everyone
    keep = actuals["demand_coverage"] >= 0.9
    actual = actuals.filter(keep)["demand_mw"].to_numpy()
    p50 = forecasts["ensemble"].filter(keep)["demand_p50_mw"].to_numpy()
    ens = scores.row(0, named=True)
    assert ens["mae_mw"] == pytest.approx(mae(actual, p50))
    assert ens["rmse_mw"] == pytest.approx(rmse(actual, p50))
    assert ens["smape_pct"] == pytest.approx(smape(actual, p50))
    naive = scores.filter(pl.col("forecaster") == "seasonal_naive_7d").row(0, named=True)
    assert naive["rmae"] == pytest.approx(1.0)
    assert ens["rmae"] == pytest.approx(ens["mae_mw"] / naive["mae_mw"])
    assert ens["p10_p90_coverage"] == ens["hours_in_p10_p90"] / 23
    assert naive["p10_p90_coverage"] is None  # point forecasts have no band


def test_unknown_forecaster_is_an_error():
    forecasts, actuals, operator, features = _day(DAY_ONE, 0)
    with pytest.raises(ValueError, match="expected"):
        score_load_forecasts(
            "CAISO", DAY_ONE, {"prophet": forecasts["mlx"]}, actuals, operator, features
        )


def test_rollup_is_exact_over_hours_and_periods():
    days = [DAY_ONE + dt.timedelta(days=k) for k in range(6)]  # 2020-01-31 .. 02-05
    parts, truth, ens = [], [], []
    for k, day in enumerate(days):
        forecasts, actuals, operator, features = _day(day, k)
        parts.append(score_load_forecasts("CAISO", day, forecasts, actuals, operator, features))
        truth.append(actuals["demand_mw"].to_numpy())
        ens.append(forecasts["ensemble"]["demand_p50_mw"].to_numpy())
    report = rollup(pl.concat(parts), LOAD)
    LoadForecastReport.validate(report)
    overall = report.filter(
        (pl.col("period_kind") == "all") & (pl.col("forecaster") == "ensemble")
    ).row(0, named=True)
    assert overall["days"] == 6 and overall["hours"] == 144
    assert overall["mae_mw"] == pytest.approx(mae(np.concatenate(truth), np.concatenate(ens)))
    assert overall["rmse_mw"] == pytest.approx(rmse(np.concatenate(truth), np.concatenate(ens)))
    months = report.filter(
        (pl.col("period_kind") == "month") & (pl.col("forecaster") == "ensemble")
    )
    assert dict(zip(months["period"], months["days"], strict=True)) == {"2020-01": 1, "2020-02": 5}
    # far better than a naive off by ~2 GW on every one of the 6 days: significant
    assert overall["dm_p_value_vs_naive"] < 0.01 and overall["dm_stat_vs_naive"] > 0
    # a single-day period cannot be tested
    january = months.filter(pl.col("period") == "2020-01").row(0, named=True)
    assert january["dm_stat_vs_naive"] is None


def test_diebold_mariano_by_hand():
    reference = np.array([3.0, 2.0, 4.0, 3.0])
    model = np.array([1.0, 1.0, 2.0, 2.0])
    d = reference - model  # 2, 1, 2, 1: mean 1.5, variance 0.25
    stat, p = diebold_mariano(reference, model)
    assert d.mean() == 1.5 and stat == pytest.approx(1.5 / np.sqrt(0.25 / 4)) == 6.0
    assert p == pytest.approx(9.8659e-10, rel=1e-4)  # 1 - Phi(6)
    worse, p_worse = diebold_mariano(model, reference)
    assert worse == pytest.approx(-stat) and p_worse > 0.99
    with pytest.raises(ValueError, match="constant"):
        diebold_mariano([1.0, 2.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="at least 2"):
        diebold_mariano([1.0], [0.0])
