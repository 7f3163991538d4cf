"""`benchmark load-settings`: feature sets and ensemble windows on stored tables."""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import polars as pl
import pytest

from energy_assets.benchmarks import load_settings
from energy_assets.features.load import FEATURE_COLUMNS
from energy_assets.models.load_mlx import DEFAULT_CONFIG
from energy_assets.models.quantile_lgbm import LOAD_NUM_BOOST_ROUND, LOAD_PARAMS

FIRST = dt.date(2017, 1, 1)
DAYS = 70
START = dt.datetime(2017, 1, 1, 8, tzinfo=dt.UTC)


def _hours() -> tuple[np.ndarray, list[dt.date], list[dt.datetime]]:
    hours = np.arange(DAYS * 24)
    days = [FIRST + dt.timedelta(days=int(h // 24)) for h in hours]
    stamps = [START + dt.timedelta(hours=int(h)) for h in hours]
    return hours, days, stamps


def _grid(demand: np.ndarray) -> pl.DataFrame:
    _, days, stamps = _hours()
    return pl.DataFrame(
        {
            "region": "BPA",
            "market_date": days,
            "interval_start_utc": stamps,
            "demand_mw": demand,
            "demand_coverage": 1.0,
        }
    )


def _features(rng: np.random.Generator, operator: np.ndarray, columns: list[str]) -> pl.DataFrame:
    """Random feature `columns` for every hour, with the calendar keys and `operator`'s forecast."""
    hours, days, stamps = _hours()
    return pl.DataFrame({c: rng.normal(0, 1, hours.size) for c in columns}).with_columns(
        region=pl.lit("BPA"),
        market_date=pl.Series(days),
        interval_start_utc=pl.Series(stamps),
        hour_local=pl.Series(hours % 24, dtype=pl.Float64),
        operator_forecast_mw=pl.Series(operator),
    )


def _noisy(seed: int) -> tuple[list[dt.date], np.ndarray, np.ndarray, pl.DataFrame]:
    """A daily cycle with noise, an operator forecast 3 % off it, random feature columns."""
    rng = np.random.default_rng(seed)
    hours, days, _ = _hours()
    demand = 6000 + 800 * np.sin(2 * np.pi * (hours % 24) / 24) + rng.normal(0, 100, hours.size)
    operator = demand * rng.normal(1.0, 0.03, hours.size)
    return days, demand, operator, _features(rng, operator, FEATURE_COLUMNS)


def _adopted_lightgbm(features: pl.DataFrame, demand: np.ndarray, scored: list[dt.date]) -> float:
    """The feature comparison's P50 MAPE of LightGBM with the adopted features."""
    return load_settings.compare_features(
        features,
        _grid(demand),
        scored,
        models=("lightgbm",),
        feature_sets={"with_weather (adopted)": FEATURE_COLUMNS},
    )["lightgbm_with_weather (adopted)"]


def test_feature_sets_and_the_operator_on_the_same_hours():
    days, demand, operator, features = _noisy(5)
    scored = [FIRST + dt.timedelta(days=d) for d in range(60, 70, 3)]
    scores = load_settings.compare_features(features, _grid(demand), scored, models=("lightgbm",))
    assert list(scores) == [
        *(f"lightgbm_{name}" for name in load_settings.FEATURE_SETS),
        load_settings.OPERATOR,
    ]
    hours_scored = np.isin(np.array(days), scored)
    expected = 100 * np.mean(np.abs(operator - demand)[hours_scored] / demand[hours_scored])
    assert scores[load_settings.OPERATOR] == pytest.approx(expected)
    assert all(0 < v < 10 for v in scores.values())
    with pytest.raises(ValueError, match="28 training days"):
        load_settings.compare_features(features, _grid(demand), [FIRST], models=("lightgbm",))


def test_refit_cadence_against_a_drifting_ratio():
    """Demand drifts away from the operator's forecast by 0.4 % a day: a model refit every day
    is the feature comparison's adopted set exactly, and the staler its fit day, the worse."""
    rng = np.random.default_rng(7)
    hours, days, stamps = _hours()
    demand = 6000 + 800 * np.sin(2 * np.pi * (hours % 24) / 24)
    operator = demand / (1 + 0.004 * (hours // 24))
    features = _features(rng, operator, FEATURE_COLUMNS)
    scored = [FIRST + dt.timedelta(days=d) for d in range(56, 70, 2)]
    scores = load_settings.compare_refit(
        features, _grid(demand), scored, refit_every=(1, 7, 14), models=("lightgbm",)
    )
    assert list(scores) == ["lightgbm_every_1", "lightgbm_every_7", "lightgbm_every_14"]
    adopted = _adopted_lightgbm(features, demand, scored)
    assert scores["lightgbm_every_1"] == pytest.approx(adopted)
    assert scores["lightgbm_every_1"] < scores["lightgbm_every_7"] < scores["lightgbm_every_14"]
    with pytest.raises(ValueError, match="28 training days"):
        load_settings.compare_refit(
            features, _grid(demand), [FIRST], refit_every=(1,), models=("lightgbm",)
        )


def test_training_windows_on_the_same_hours_with_mlx_on_d56():
    """Each LightGBM window is scored on the same hours as MLX on D-56..D-2: the 56-day window
    is the feature comparison's adopted set exactly, and each mean with MLX is no worse than
    the mean of the two models' MAPE (the absolute error is convex)."""
    _, demand, _, features = _noisy(11)
    scored = [FIRST + dt.timedelta(days=d) for d in range(60, 70, 3)]
    scores = load_settings.compare_training_days(features, _grid(demand), scored, windows=(28, 56))
    assert list(scores) == [
        "lightgbm_28_days",
        "lightgbm_56_days",
        "mlx_56_days",
        "mean_28_days",
        "mean_56_days",
    ]
    assert scores["lightgbm_56_days"] == pytest.approx(_adopted_lightgbm(features, demand, scored))
    assert scores["lightgbm_28_days"] != scores["lightgbm_56_days"]
    for n in (28, 56):
        pair = (scores[f"lightgbm_{n}_days"] + scores["mlx_56_days"]) / 2
        assert scores[f"mean_{n}_days"] <= pair + 1e-9
    with pytest.raises(ValueError, match="28 training days"):
        load_settings.compare_training_days(features, _grid(demand), [FIRST], windows=(56,))


def test_lightgbm_variants_refit_on_the_graphs_grid_and_match_the_windows_comparison():
    """A variant trained every day with `LOAD_PARAMS` is the window comparison's, to the digit;
    one refit every 7 days forecasts each day with its fit day's model (`defs.models.fit_day`),
    so on days that share a fit day it is that model's forecast; other parameters differ."""
    from energy_assets.defs.models import fit_day
    from energy_assets.partitions import RegionDay

    _, demand, _, features = _noisy(13)
    scored = [FIRST + dt.timedelta(days=d) for d in range(58, 70, 2)]
    variants = {
        "daily": load_settings.LightgbmVariant(56, LOAD_PARAMS),
        "weekly": load_settings.LightgbmVariant(56, LOAD_PARAMS, refit_every=7),
        "seven_leaves": load_settings.LightgbmVariant(56, {"max_bin": 63, "learning_rate": 0.1}),
    }
    scores = load_settings.compare_lightgbm_variants(features, _grid(demand), scored, variants)
    assert list(scores) == [
        "lightgbm_daily",
        "lightgbm_weekly",
        "lightgbm_seven_leaves",
        "mlx_56_days",
        "mean_daily",
        "mean_weekly",
        "mean_seven_leaves",
    ]
    windows = load_settings.compare_training_days(features, _grid(demand), scored, windows=(56,))
    assert scores["lightgbm_daily"] == windows["lightgbm_56_days"]
    assert scores["mlx_56_days"] == windows["mlx_56_days"]
    assert len({scores["lightgbm_daily"], scores["lightgbm_weekly"]}) == 2
    assert scores["lightgbm_seven_leaves"] != scores["lightgbm_daily"]
    # the weekly variant on one day that is its own fit day is the daily variant's
    fit = next(d for d in scored if fit_day(RegionDay("-", d), 7).market_date == d)
    one_day = load_settings.compare_lightgbm_variants(
        features, _grid(demand), [fit], {k: variants[k] for k in ("daily", "weekly")}
    )
    assert one_day["lightgbm_daily"] == one_day["lightgbm_weekly"]


def test_fit_cost_settings_on_the_same_hours_as_the_feature_comparison():
    """LightGBM as the graph trains it (`LOAD_PARAMS`, `LOAD_NUM_BOOST_ROUND`) is the feature
    comparison's adopted set, fit for fit; every setting is scored on the same hours and costs
    some CPU."""
    _, demand, _, features = _noisy(11)
    scored = [FIRST + dt.timedelta(days=d) for d in range(60, 70, 3)]
    settings = {k: v for k, v in load_settings.FIT_COST_SETTINGS.items() if v[0] == "lightgbm"}
    mape, cpu = load_settings.compare_fit_cost(features, _grid(demand), scored, settings)
    assert (
        list(mape)
        == list(cpu)
        == [
            "lightgbm_max_bin_255",
            "lightgbm_max_bin_127",
            "lightgbm_max_bin_63",
            "lightgbm_max_bin_63_100_rounds",
            "lightgbm_max_bin_63_100_rounds_15_leaves_bagging",
        ]
    )
    adopted = _adopted_lightgbm(features, demand, scored)
    graph = ("lightgbm", {**LOAD_PARAMS, "num_boost_round": LOAD_NUM_BOOST_ROUND})
    chosen = next(k for k, v in load_settings.FIT_COST_SETTINGS.items() if v == graph)
    assert mape[chosen] == pytest.approx(adopted)
    assert mape["lightgbm_max_bin_255"] != pytest.approx(mape[chosen])
    assert all(0 < v < 10 for v in mape.values()) and all(s > 0 for s in cpu.values())
    with pytest.raises(ValueError, match="28 training days"):
        load_settings.compare_fit_cost(features, _grid(demand), [FIRST], settings)
    # the settings the graph trains with are among those compared
    compared = list(load_settings.FIT_COST_SETTINGS.values())
    assert graph in compared
    assert ("mlx", {"epochs": DEFAULT_CONFIG.epochs}) in compared


def test_the_cheapest_setting_within_the_tolerance_of_each_model():
    totals = {
        "lightgbm_a": 17.40,
        "lightgbm_b": 17.44,
        "lightgbm_c": 17.60,
        "mlx_a": 16.8,
        "mlx_b": 16.9,
    }
    cpu = {"lightgbm_a": 0.5, "lightgbm_b": 0.4, "lightgbm_c": 0.1, "mlx_a": 0.3, "mlx_b": 0.2}
    # 17.44 is within 0.3 % of 17.40, 17.60 is not; 16.9 is 0.6 % above 16.8
    assert load_settings.cheapest_within(totals, cpu) == "lightgbm_b,mlx_a"
    assert load_settings.cheapest_within(totals, cpu, tolerance=0.02) == "lightgbm_c,mlx_b"


def test_ensemble_windows_follow_the_better_member():
    """LightGBM is exact for the first 40 days, then MLX is: a short validation window moves to
    MLX within days, a long one stays with LightGBM (10 % off) over the scored days, equal
    weights are 5 % off throughout."""
    hours, days, stamps = _hours()
    demand = 5000 + 500 * np.sin(2 * np.pi * (hours % 24) / 24)
    switch = np.array([d >= FIRST + dt.timedelta(days=40) for d in days])
    lightgbm = np.where(switch, demand * 1.1, demand)
    mlx = np.where(switch, demand, demand * 0.9)

    def member(p50: np.ndarray) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "interval_start_utc": stamps,
                "demand_p10_mw": p50 * 0.95,
                "demand_p50_mw": p50,
                "demand_p90_mw": p50 * 1.05,
            }
        )

    scored = [FIRST + dt.timedelta(days=d) for d in range(44, 60)]
    scores = load_settings.compare_windows(
        member(lightgbm), member(mlx), _grid(demand), scored, windows=(14, 56)
    )
    assert list(scores) == ["14_days", "56_days", load_settings.EQUAL]
    assert scores[load_settings.EQUAL] == pytest.approx(5.0)
    assert scores["56_days"] == pytest.approx(10.0)
    assert scores["14_days"] < scores[load_settings.EQUAL]


def test_ensemble_windows_with_the_operator_forecast_weighted_in():
    """Both members are 4 % high, the operator's forecast is exact but for one day it does not
    have: with it weighted in, the ensemble is exact wherever it has a forecast."""
    hours, days, stamps = _hours()
    demand = 5000 + 500 * np.sin(2 * np.pi * (hours % 24) / 24)
    missing_day = FIRST + dt.timedelta(days=50)
    operator = pl.DataFrame({"interval_start_utc": stamps, "operator_forecast_mw": demand})
    operator = operator.with_columns(
        operator_forecast_mw=pl.when(pl.Series(days) == missing_day)
        .then(None)
        .otherwise(pl.col("operator_forecast_mw"))
    )
    member = pl.DataFrame(
        {
            "interval_start_utc": stamps,
            "demand_p10_mw": demand * 0.99,
            "demand_p50_mw": demand * 1.04,
            "demand_p90_mw": demand * 1.09,
        }
    )
    scored = [FIRST + dt.timedelta(days=d) for d in range(44, 60)]
    scores = load_settings.compare_windows(
        member, member, _grid(demand), scored, windows=(14,), operator=operator
    )
    assert list(scores) == [
        "14_days",
        load_settings.EQUAL,
        f"14_days{load_settings.WITH_OPERATOR}",
        load_settings.OPERATOR,
    ]
    assert scores["14_days"] == pytest.approx(4.0)
    # exact on 15 of the 16 days, the members' 4 % on the day without the operator's forecast
    assert scores[f"14_days{load_settings.WITH_OPERATOR}"] == pytest.approx(4.0 / 16)
    assert scores[load_settings.OPERATOR] == pytest.approx(4.0 / 16)


def test_run_names_a_missing_warehouse(tmp_path):
    parser = argparse.ArgumentParser()
    load_settings.configure_parser(parser)
    with pytest.raises(SystemExit, match="no warehouse in"):
        load_settings.run(parser.parse_args(["--work", str(tmp_path)]))
