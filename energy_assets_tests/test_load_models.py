"""The MLX quantile load model and the LightGBM/MLX ensemble (pure modules, synthetic data)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from energy_assets.models import load_ensemble
from energy_assets.models.load_mlx import (
    load_load_mlx,
    predict_load_mlx,
    save_load_mlx,
    train_load_mlx,
)

FEATURES = ["hour_local", "weekday", "lag_7d_mw", "operator_forecast_mw"]
FIRST_DAY = dt.date(2024, 3, 1)
DAYS = 42


def synthetic(seed: int = 3) -> tuple[pl.DataFrame, pl.Series]:
    """Hourly load with a daily shape; the operator's forecast is the load +- 2 % noise, so the
    ratio target is informative and the truth sits inside a narrow band around it."""
    rng = np.random.default_rng(seed)
    n = DAYS * 24
    hour = np.arange(n) % 24
    day = np.arange(n) // 24
    load = 25_000 + 4_000 * np.sin(2 * np.pi * (hour - 8) / 24) + rng.normal(0, 300, n)
    operator = load * (1 + rng.normal(0, 0.02, n))
    lag = np.r_[np.full(7 * 24, np.nan), load[: n - 7 * 24]]
    frame = pl.DataFrame(
        {
            "market_date": [FIRST_DAY + dt.timedelta(days=int(d)) for d in day],
            "hour_local": hour,
            "weekday": (day + FIRST_DAY.weekday()) % 7,
            "lag_7d_mw": lag,
            "operator_forecast_mw": operator,
        }
    ).with_columns(pl.col("lag_7d_mw").fill_nan(None))
    return frame, pl.Series("demand_mw", load)


@pytest.fixture(scope="module")
def trained():
    frame, target = synthetic()
    train = frame["market_date"] < FIRST_DAY + dt.timedelta(days=DAYS - 7)
    model = train_load_mlx(frame.filter(train), target.filter(train), FEATURES)
    return model, frame.filter(~train), target.filter(~train)


def test_mlx_quantiles_are_ordered_and_cover_the_truth(trained):
    model, test, truth = trained
    q = predict_load_mlx(model, test)
    assert q.columns == ["p10", "p50", "p90"] and q.height == test.height
    assert (q["p10"] <= q["p50"]).all() and (q["p50"] <= q["p90"]).all()
    actual = truth.to_numpy()
    coverage = np.mean((actual >= q["p10"].to_numpy()) & (actual <= q["p90"].to_numpy()))
    assert 0.5 < coverage < 0.98
    mape = np.mean(np.abs(q["p50"].to_numpy() - actual) / actual)
    operator_mape = np.mean(np.abs(test["operator_forecast_mw"].to_numpy() - actual) / actual)
    assert mape < 1.5 * operator_mape  # learned the ratio to the operator's forecast, roughly 1


def test_mlx_missing_inputs_are_filled_not_fatal(trained):
    model, test, _ = trained
    holes = test.with_columns(lag_7d_mw=pl.lit(None, dtype=pl.Float64))
    q = predict_load_mlx(model, holes)
    assert q.select(pl.all().is_finite().all()).row(0) == (True, True, True)
    with pytest.raises(ValueError, match="lack columns"):
        predict_load_mlx(model, test.drop("lag_7d_mw"))


def test_mlx_artifact_roundtrip_and_sha256(trained, tmp_path):
    model, test, _ = trained
    path = tmp_path / "m" / "2024-04-05.npz"
    digest = save_load_mlx(model, path)
    again = load_load_mlx(path, digest)
    assert again.feature_columns == FEATURES
    assert predict_load_mlx(again, test).equals(predict_load_mlx(model, test))
    with pytest.raises(ValueError, match="sha256 mismatch"):
        load_load_mlx(path, "0" * 64)
    assert not list(path.parent.glob("*.tmp"))  # written atomically, nothing left behind


def test_mlx_learns_only_from_columns_known_in_half_its_rows():
    """A feed that begins inside the training window (the weather of a region's first weeks
    with it): a column known in under half the rows is left out of the fit, so its values at
    the forecast cannot reach the network unscaled; one known in more is scaled by its known
    values, not by its mean-filled column."""
    frame, target = synthetic()
    rng = np.random.default_rng(11)
    day = np.arange(frame.height) // 24
    late = np.where(day >= 25, 500 + 200 * rng.random(frame.height), np.nan)  # 10 of 35 days
    most = np.where(day >= 10, 20 + 5 * rng.normal(size=frame.height), np.nan)  # 25 of 35
    frame = frame.with_columns(
        weather_shortwave_radiation_w_per_m2=pl.Series(late).fill_nan(None),
        weather_temperature_c=pl.Series(most).fill_nan(None),
    )
    columns = [*FEATURES, "weather_shortwave_radiation_w_per_m2", "weather_temperature_c"]
    train = frame["market_date"] < FIRST_DAY + dt.timedelta(days=DAYS - 7)
    model = train_load_mlx(frame.filter(train), target.filter(train), columns)
    assert model.feature_columns == [*FEATURES, "weather_temperature_c"]
    known = frame.filter(train)["weather_temperature_c"].drop_nulls().to_numpy()
    scaler = model.forecaster
    assert scaler.x_mean[-1] == pytest.approx(known.mean())
    assert scaler.x_std[-1] == pytest.approx(known.std())  # not the filled column's smaller one
    test = frame.filter(~train)
    brighter = test.with_columns(pl.col("weather_shortwave_radiation_w_per_m2") * 100)
    assert predict_load_mlx(model, brighter).equals(predict_load_mlx(model, test))
    actual = target.filter(~train).to_numpy()
    p50 = predict_load_mlx(model, test)["p50"].to_numpy()
    operator = test["operator_forecast_mw"].to_numpy()
    assert np.mean(np.abs(p50 - actual) / actual) < 1.5 * np.mean(
        np.abs(operator - actual) / actual
    )


def test_mlx_needs_a_target():
    frame, target = synthetic()
    with pytest.raises(ValueError, match="no rows"):
        train_load_mlx(frame, pl.Series("demand_mw", [None] * frame.height, pl.Float64), FEATURES)


def _member(days: int, bias: float, spread: float, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    start = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    hours = [start + dt.timedelta(hours=h) for h in range(days * 24)]
    actual = 20_000 + rng.normal(0, 500, len(hours))
    p50 = actual + bias + rng.normal(0, 200, len(hours))
    frame = pl.DataFrame(
        {
            "interval_start_utc": hours,
            "demand_p10_mw": p50 - spread,
            "demand_p50_mw": p50,
            "demand_p90_mw": p50 + spread,
        }
    )
    actuals = pl.DataFrame(
        {
            "market_date": [h.date() for h in hours],
            "interval_start_utc": hours,
            "demand_mw": actual,
            "demand_coverage": np.ones(len(hours)),
        }
    )
    return frame, actuals


def test_ensemble_weights_favour_the_better_member():
    good, actuals = _member(10, bias=0.0, spread=300.0, seed=1)
    bad, _ = _member(10, bias=2_000.0, spread=300.0, seed=2)
    validation = load_ensemble.validation_frame(good, bad, actuals)
    assert validation["market_date"].n_unique() == 10
    weights = load_ensemble.learn_weights(validation)
    assert weights["quantile"].to_list() == [0.1, 0.5, 0.9]
    assert (weights["weight_lightgbm"] >= 0.9).all()  # "lightgbm" is the unbiased one here
    assert (weights["weight_lightgbm"] + weights["weight_mlx"] == 1.0).all()
    assert (weights["pinball_ensemble_mw"] <= weights["pinball_lightgbm_mw"] + 1e-9).all()
    assert weights["method"][0].startswith("pinball-loss grid search on 10")


def test_ensemble_equal_weights_without_enough_validation_days():
    good, actuals = _member(2, bias=0.0, spread=300.0, seed=1)
    bad, _ = _member(2, bias=2_000.0, spread=300.0, seed=2)
    weights = load_ensemble.learn_weights(load_ensemble.validation_frame(good, bad, actuals))
    assert (weights["weight_lightgbm"] == 0.5).all()
    assert weights["method"][0] == "equal weights: 2 validation days < 3"
    empty = load_ensemble.learn_weights(
        load_ensemble.validation_frame(pl.DataFrame(), bad, actuals)
    )
    assert (empty["validation_days"] == 0).all() and (empty["weight_lightgbm"] == 0.5).all()


def test_ensemble_combine_and_version():
    a, _ = _member(1, bias=0.0, spread=300.0, seed=1)
    b, _ = _member(1, bias=1_000.0, spread=100.0, seed=2)
    weights = pl.DataFrame(
        {
            "quantile": [0.1, 0.5, 0.9],
            "weight_lightgbm": [0.25, 0.5, 1.0],
            "band_scale": [0.9, 1.0, 1.1],
        }
    )
    out = load_ensemble.combine(a, b, weights)
    assert out["demand_p50_mw"].to_list() == pytest.approx(
        (0.5 * a["demand_p50_mw"] + 0.5 * b["demand_p50_mw"]).to_list()
    )
    assert out["demand_p90_mw"].to_list() == pytest.approx((1.1 * a["demand_p90_mw"]).to_list())
    assert (out["demand_p10_mw"] <= out["demand_p50_mw"]).all()
    assert (out["demand_p50_mw"] <= out["demand_p90_mw"]).all()
    v1 = load_ensemble.ensemble_version(weights, "aaa", "bbb")
    assert len(v1) == 12 and v1 != load_ensemble.ensemble_version(weights, "aaa", "ccc")
    with pytest.raises(ValueError, match="different hours"):
        load_ensemble.combine(a, b.head(10), weights)


def test_ensemble_band_is_widened_to_the_nominal_coverage_on_validation_days():
    # both members' bands are +-100 MW around a P50 that is off by N(0, 200) MW: too narrow
    a, actuals = _member(14, bias=0.0, spread=100.0, seed=1)
    b, _ = _member(14, bias=0.0, spread=100.0, seed=1)
    validation = load_ensemble.validation_frame(a, b, actuals)
    weights = load_ensemble.learn_weights(validation)
    scale = dict(zip(weights["quantile"], weights["band_scale"], strict=True))
    assert scale[0.1] < 1.0 and scale[0.5] == 1.0 and scale[0.9] > 1.0
    out = load_ensemble.combine(a, b, weights)
    actual = actuals["demand_mw"].to_numpy()
    inside = (actual >= out["demand_p10_mw"].to_numpy()) & (
        actual <= out["demand_p90_mw"].to_numpy()
    )
    assert inside.mean() == pytest.approx(0.8, abs=0.02)
    calibrated = weights.filter(pl.col("quantile") != 0.5)
    assert (calibrated["pinball_calibrated_mw"] < calibrated["pinball_ensemble_mw"]).all()


def test_ensemble_band_is_never_narrowed():
    a, actuals = _member(14, bias=0.0, spread=3_000.0, seed=1)
    weights = load_ensemble.learn_weights(load_ensemble.validation_frame(a, a, actuals))
    assert (weights["band_scale"] == 1.0).all()


def _operator(actuals: pl.DataFrame, noise: float, seed: int) -> pl.DataFrame:
    """The operator's forecast of each hour: the actual +- `noise` MW, in the feature rows'
    columns."""
    rng = np.random.default_rng(seed)
    return actuals.select(
        "interval_start_utc",
        operator_forecast_mw=pl.col("demand_mw") + rng.normal(0, noise, actuals.height),
    )


def test_validation_frame_carries_the_operator_forecast_and_its_weight_is_learnt():
    # the members are 600 MW too high; the operator is unbiased with as much noise as they have
    a, actuals = _member(14, bias=600.0, spread=300.0, seed=1)
    # stored feature rows may name the zone Etc/UTC: the same instants
    operator = _operator(actuals, noise=200.0, seed=5).with_columns(
        pl.col("interval_start_utc").dt.convert_time_zone("Etc/UTC")
    )
    validation = load_ensemble.validation_frame(a, a, actuals, operator.slice(24))
    assert validation[load_ensemble.OPERATOR_COLUMN].null_count() == 24  # the first day's
    assert (
        load_ensemble.OPERATOR_COLUMN not in load_ensemble.validation_frame(a, a, actuals).columns
    )
    actual = validation["demand_mw"].to_numpy()
    p50 = validation["lightgbm_p50"].to_numpy()
    op = validation[load_ensemble.OPERATOR_COLUMN].fill_null(np.nan).to_numpy()
    assert 0.5 <= load_ensemble.learn_operator_weight(actual, p50, op) <= 1.0
    # beside an ensemble 100 MW off, an operator 3,000 MW off gets no weight; nor does one
    # with too few hours
    bad = _operator(actuals, noise=3_000.0, seed=5)
    off = load_ensemble.validation_frame(a, a, actuals, bad)[load_ensemble.OPERATOR_COLUMN]
    assert load_ensemble.learn_operator_weight(actual, actual + 100, off.to_numpy()) == 0.0
    few = np.full(op.size, np.nan)
    few[: load_ensemble.MIN_VALIDATION_HOURS_OPERATOR - 1] = actual[
        : load_ensemble.MIN_VALIDATION_HOURS_OPERATOR - 1
    ]
    assert load_ensemble.learn_operator_weight(actual, p50, few) == 0.0


def test_learn_operator_weight_ties_take_the_smallest_weight():
    actual = np.full(100, 100.0)
    # the operator equals the ensemble: every weight is as good
    assert load_ensemble.learn_operator_weight(actual, actual + 5, actual + 5) == 0.0
    nan = np.full(100, np.nan)
    assert load_ensemble.learn_operator_weight(actual, actual + 5, nan) == 0.0
    assert load_ensemble.learn_operator_weight(actual, actual + 5, actual) == 1.0
