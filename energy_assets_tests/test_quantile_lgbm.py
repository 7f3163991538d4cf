"""LightGBM quantile forecaster on synthetic but load-like data (no network, one thread)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from energy_assets.evaluation.metrics import interval_coverage, mae
from energy_assets.models.quantile_lgbm import (
    QUANTILES,
    QuantileForecaster,
    load_model,
    predict_quantiles,
    quantile_column,
    save_model_atomic,
    train_quantile_forecaster,
)

FEATURES = [
    "hour_local",
    "weekday",
    "is_weekend",
    "lag_2d_mw",
    "lag_3d_mw",
    "lag_7d_mw",
    "mean_7d_same_hour_mw",
    "daily_mean_2d_mw",
    "daily_max_2d_mw",
]
N_DAYS = 72
TEST_DAYS = 14
FIRST_DAY = date(2024, 3, 1)


def synthetic_load(seed: int = 7) -> pl.DataFrame:
    """Hourly load (MW): daily + weekly shape, a weather-like daily level (AR(1), mean-reverting)
    and autocorrelated hourly noise."""
    rng = np.random.default_rng(seed)
    n = N_DAYS * 24
    t = np.arange(n)
    hour = t % 24
    day = t // 24
    weekday = (day + FIRST_DAY.weekday()) % 7
    daily = 3000 * np.sin(2 * np.pi * (hour - 12) / 24) + 1200 * np.sin(2 * np.pi * hour / 12)
    weekly = np.where(weekday >= 5, -2500.0, 0.0) + 400 * np.sin(2 * np.pi * weekday / 7)
    level = np.zeros(N_DAYS)
    for d in range(1, N_DAYS):
        level[d] = 0.8 * level[d - 1] + rng.normal(0, 600)
    level = 25_000 + level[day]
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = 0.7 * noise[i - 1] + rng.normal(0, 350)
    y = level + daily + weekly + noise

    def shifted(days: int) -> np.ndarray:
        out = np.full(n, np.nan)
        out[days * 24 :] = y[: n - days * 24]
        return out

    by_day = y.reshape(N_DAYS, 24)
    daily_mean = np.repeat(np.r_[np.nan, np.nan, by_day.mean(axis=1)[:-2]], 24)
    daily_max = np.repeat(np.r_[np.nan, np.nan, by_day.max(axis=1)[:-2]], 24)
    window = np.stack([shifted(k) for k in range(2, 9)])
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        mean_7d = np.nanmean(window, axis=0)
    return pl.DataFrame(
        {
            "market_date": [FIRST_DAY + timedelta(days=int(d)) for d in day],
            "hour_local": hour,
            "weekday": weekday,
            "is_weekend": (weekday >= 5).astype(np.int8),
            "lag_2d_mw": shifted(2),
            "lag_3d_mw": shifted(3),
            "lag_7d_mw": shifted(7),
            "mean_7d_same_hour_mw": mean_7d,
            "daily_mean_2d_mw": daily_mean,
            "daily_max_2d_mw": daily_max,
            "y": y,
        }
    ).with_columns(pl.col(c).fill_nan(None) for c in FEATURES[3:])


@pytest.fixture(scope="module")
def data() -> tuple[pl.DataFrame, pl.DataFrame]:
    df = synthetic_load()
    split = FIRST_DAY + timedelta(days=N_DAYS - TEST_DAYS)
    return df.filter(pl.col("market_date") < split), df.filter(pl.col("market_date") >= split)


@pytest.fixture(scope="module")
def model(data) -> QuantileForecaster:
    train, _ = data
    return train_quantile_forecaster(train, train["y"], FEATURES, seed=0)


@pytest.fixture(scope="module")
def predictions(model, data) -> pl.DataFrame:
    return predict_quantiles(model, data[1])


def test_trained_model_metadata(model, data):
    train, _ = data
    assert model.quantiles == QUANTILES
    assert len(model.boosters) == 3
    assert model.params["num_threads"] == 1
    assert model.trained_on["rows"] == train.height
    assert model.trained_on["first_day"] == FIRST_DAY.isoformat()
    assert model.trained_on["last_day"] == train["market_date"].max().isoformat()
    # No operator forecast in these features: the ratio transform falls back to a constant.
    assert model.baseline_columns == ()
    assert model.model_inputs == [*FEATURES, "_baseline_source"]
    assert set(FEATURES) <= set(model.feature_importance)
    assert sum(model.feature_importance.values()) > 0


def test_p50_beats_seasonal_naive(predictions, data):
    _, test = data
    y = test["y"].to_numpy()
    model_mae = mae(y, predictions["p50"].to_numpy())
    naive_mae = mae(y, test["lag_7d_mw"].to_numpy())
    assert model_mae < 0.9 * naive_mae, (model_mae, naive_mae)


def test_interval_calibration_only_widens(model):
    cal = model.trained_on["calibration"]
    assert cal["days"] == 7 and cal["rows"] == 7 * 24
    assert model.offsets[0.1] <= 0.0 <= model.offsets[0.9]
    assert model.offsets[0.5] == 0.0
    assert model.offsets[0.1] < 0.0 or model.offsets[0.9] > 0.0  # over-confident before


def test_ratio_to_operator_forecast_helps(data):
    """With an operator forecast (2 % noise), learning load / operator beats learning MW and
    beats the operator forecast itself."""
    rng = np.random.default_rng(11)
    train, test = (
        d.with_columns(
            (pl.col("y") * (1 + rng.normal(0, 0.02, d.height))).alias("operator_forecast_mw")
        )
        for d in data
    )
    cols = [*FEATURES, "operator_forecast_mw"]
    kwargs = dict(quantiles=(0.5,), calibration_days=0)
    ratio = train_quantile_forecaster(train, train["y"], cols, **kwargs)
    raw = train_quantile_forecaster(train, train["y"], cols, target_transform="none", **kwargs)
    assert ratio.baseline_columns == ("operator_forecast_mw",)
    y = test["y"].to_numpy()
    ratio_mae = mae(y, predict_quantiles(ratio, test)["p50"].to_numpy())
    raw_mae = mae(y, predict_quantiles(raw, test)["p50"].to_numpy())
    operator_mae = mae(y, test["operator_forecast_mw"].to_numpy())
    assert ratio_mae < raw_mae and ratio_mae < operator_mae, (ratio_mae, raw_mae, operator_mae)
    # A row without an operator forecast still gets a finite forecast (fallback baseline).
    p = predict_quantiles(ratio, test.head(3).with_columns(operator_forecast_mw=None))
    assert np.all(np.isfinite(p.to_numpy()))


def test_quantiles_are_ordered(predictions):
    assert predictions.columns == ["p10", "p50", "p90"]
    p = predictions.to_numpy()
    assert np.all(np.isfinite(p))
    assert np.all(p[:, 0] <= p[:, 1]) and np.all(p[:, 1] <= p[:, 2])


def test_p10_p90_coverage_on_held_out(predictions, data):
    y = data[1]["y"].to_numpy()
    cov = interval_coverage(y, predictions["p10"].to_numpy(), predictions["p90"].to_numpy())
    assert 0.6 <= cov <= 0.95, cov


def test_missing_values_and_missing_columns(model, data):
    _, test = data
    # A baseline column the model never saw in training is not used at prediction.
    with_op = test.with_columns(pl.lit(1.0e6).alias("operator_forecast_mw"))
    assert predict_quantiles(model, with_op).equals(predict_quantiles(model, test))
    blank = test.head(5).with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in FEATURES[3:])
    p = predict_quantiles(model, blank)  # no baseline at all: falls back to the training mean
    assert p.height == 5 and np.all(np.isfinite(p.to_numpy()))
    with pytest.raises(ValueError, match="lack columns"):
        predict_quantiles(model, test.drop("lag_7d_mw"))
    assert predict_quantiles(model, test.head(0)).height == 0


def test_save_load_roundtrip_and_sha(model, data, tmp_path):
    _, test = data
    path = tmp_path / "models" / "load_CAISO.json"
    sha = save_model_atomic(model, path)
    assert len(sha) == 64
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    doc = json.loads(path.read_text())  # plain JSON, LightGBM text models inside
    assert doc["boosters"][0].startswith("tree")

    loaded = load_model(path, expected_sha256=sha)
    assert loaded.feature_columns == model.feature_columns
    assert loaded.trained_on == model.trained_on
    assert loaded.feature_importance == model.feature_importance
    before = predict_quantiles(model, test)
    after = predict_quantiles(loaded, test)
    assert np.array_equal(before.to_numpy(), after.to_numpy())

    assert save_model_atomic(loaded, path) == sha  # same model, same bytes
    with pytest.raises(ValueError, match="sha256"):
        load_model(path, expected_sha256="0" * 64)
    path.write_bytes(path.read_bytes().replace(b'"rows"', b'"Rows"'))
    with pytest.raises(ValueError, match="sha256"):
        load_model(path, expected_sha256=sha)


def test_deterministic_and_untransformed_option(data):
    train, test = data
    kwargs = dict(num_boost_round=60, seed=3, quantiles=(0.5,), target_transform="none")
    a = train_quantile_forecaster(train, train["y"].to_numpy(), FEATURES, **kwargs)
    b = train_quantile_forecaster(train, train["y"].to_numpy(), FEATURES, **kwargs)
    pa, pb = predict_quantiles(a, test), predict_quantiles(b, test)
    assert pa.columns == ["p50"]
    assert np.array_equal(pa.to_numpy(), pb.to_numpy())
    assert a.model_inputs == FEATURES


def test_bad_inputs(data):
    train, _ = data
    with pytest.raises(ValueError, match="quantiles"):
        train_quantile_forecaster(train, train["y"], FEATURES, quantiles=(0.5, 1.2))
    with pytest.raises(ValueError, match="target has"):
        train_quantile_forecaster(train, train["y"].head(10), FEATURES)
    with pytest.raises(ValueError, match="finite target"):
        train_quantile_forecaster(train, np.full(train.height, np.nan), FEATURES)


def test_quantile_column_names():
    assert [quantile_column(q) for q in (0.1, 0.5, 0.9, 0.05, 0.975)] == [
        "p10",
        "p50",
        "p90",
        "p5",
        "p97_5",
    ]


def test_mean_baseline_rule():
    """`baseline_rule="mean"`: the mean of the positive baselines of a row, whichever there are;
    the fallback where none; the source input the set of columns averaged."""
    from energy_assets.models.quantile_lgbm import _baseline

    rows = pl.DataFrame(
        {
            "lag_1d": [100.0, None, 300.0, None, -5.0],
            "last_known": [200.0, 50.0, None, None, None],
        }
    )
    base, source = _baseline(rows, ("lag_1d", "last_known"), 80.0, "mean")
    assert base.tolist() == [150.0, 50.0, 300.0, 80.0, 80.0]
    assert source.tolist() == [3.0, 2.0, 1.0, 0.0, 0.0]
    base, source = _baseline(rows, ("lag_1d", "last_known"), 80.0)  # first positive
    assert base.tolist() == [100.0, 50.0, 300.0, 80.0, 80.0]
    assert source.tolist() == [0.0, 1.0, 0.0, 2.0, 2.0]


def test_mean_baseline_model_scales_and_round_trips(data, tmp_path):
    train, test = data
    kwargs = dict(
        num_boost_round=60,
        quantiles=(0.5,),
        baseline_columns=("lag_2d_mw", "lag_7d_mw"),
        calibration_days=0,
    )
    mean = train_quantile_forecaster(train, train["y"], FEATURES, baseline_rule="mean", **kwargs)
    first = train_quantile_forecaster(train, train["y"], FEATURES, **kwargs)
    assert mean.baseline_rule == "mean" and first.baseline_rule == "first"
    p_mean, p_first = predict_quantiles(mean, test), predict_quantiles(first, test)
    assert not np.array_equal(p_mean.to_numpy(), p_first.to_numpy())
    assert mae(test["y"].to_numpy(), p_mean["p50"].to_numpy()) < 1500  # MW, level ~25,000

    path = tmp_path / "mean.json"
    sha = save_model_atomic(mean, path)
    loaded = load_model(path, expected_sha256=sha)
    assert loaded.baseline_rule == "mean"
    assert np.array_equal(predict_quantiles(loaded, test).to_numpy(), p_mean.to_numpy())

    # an artifact written before the rule existed is read with the first-positive rule
    path = tmp_path / "old.json"
    save_model_atomic(first, path)
    doc = json.loads(path.read_text())
    del doc["baseline_rule"]
    path.write_text(json.dumps(doc))
    assert load_model(path).baseline_rule == "first"

    with pytest.raises(ValueError, match="baseline_rule"):
        train_quantile_forecaster(train, train["y"], FEATURES, baseline_rule="median")


def test_each_baseline_rule_averages_one_model_per_baseline(data, tmp_path):
    """`baseline_rule="each"`: one ratio model per baseline column, forecasting the mean of
    their forecasts; it round-trips, and older artifacts (no members) still load."""
    train, test = data
    kwargs = dict(num_boost_round=60, calibration_days=7)
    columns = ("lag_2d_mw", "lag_7d_mw")
    each = train_quantile_forecaster(
        train, train["y"], FEATURES, baseline_columns=columns, baseline_rule="each", **kwargs
    )
    singles = [
        train_quantile_forecaster(train, train["y"], FEATURES, baseline_columns=(c,), **kwargs)
        for c in columns
    ]
    assert each.baseline_rule == "each" and not each.boosters
    assert [m.baseline_columns for m in each.members] == [(c,) for c in columns]
    assert set(each.trained_on["calibration"]) == set(columns)
    expected = np.mean([predict_quantiles(m, test).to_numpy() for m in singles], axis=0)
    forecast = predict_quantiles(each, test)
    assert forecast.columns == ["p10", "p50", "p90"]
    assert np.allclose(forecast.to_numpy(), expected)
    assert (forecast["p10"] <= forecast["p50"]).all() and (forecast["p50"] <= forecast["p90"]).all()
    assert mae(test["y"].to_numpy(), forecast["p50"].to_numpy()) < 1500  # MW, level ~25,000

    path = tmp_path / "each.json"
    sha = save_model_atomic(each, path)
    loaded = load_model(path, expected_sha256=sha)
    assert loaded.baseline_rule == "each" and len(loaded.members) == 2
    assert np.array_equal(predict_quantiles(loaded, test).to_numpy(), forecast.to_numpy())
    # a single model's document has no members key: its bytes are as before the rule existed
    path = tmp_path / "single.json"
    save_model_atomic(singles[0], path)
    assert "members" not in json.loads(path.read_text())
    assert load_model(path).members == []

    with pytest.raises(ValueError, match="ratio"):
        train_quantile_forecaster(
            train, train["y"], FEATURES, target_transform="none", baseline_rule="each"
        )
