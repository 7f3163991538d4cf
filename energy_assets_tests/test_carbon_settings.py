"""`benchmark carbon-settings`: the candidate carbon model settings fitted on stored features."""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import polars as pl
import pytest

from energy_assets.benchmarks import carbon_settings
from energy_assets.features import carbon as carbon_features

FIRST = dt.date(2020, 1, 1)
DAYS = 40
TARGET = "carbon_direct_gco2_per_kwh"


def _synthetic() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Feature rows (every column the models read) and intensities whose level drifts from day
    to day: the same hour of D-1 and the latest hour carry it."""
    rng = np.random.default_rng(3)
    hours = np.arange(DAYS * 24)
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    level = 300 + np.cumsum(rng.normal(0, 15, DAYS)).repeat(24)
    shape = 60 * np.sin(2 * np.pi * (hours % 24) / 24)
    intensity = level + shape + rng.normal(0, 5, hours.size)
    lag = np.r_[np.full(24, np.nan), intensity[:-24]]
    columns = carbon_features.feature_columns_for(TARGET)
    features = pl.DataFrame({c: rng.normal(0, 1, hours.size) for c in columns}).with_columns(
        region=pl.lit("PJM"),
        market_date=pl.Series([FIRST + dt.timedelta(days=int(h // 24)) for h in hours]),
        interval_start_utc=pl.Series([start + dt.timedelta(hours=int(h)) for h in hours]),
        hour_local=pl.Series(hours % 24, dtype=pl.Float64),
        carbon_direct_lag_1d_gco2_per_kwh=pl.Series(lag),
        carbon_direct_last_known_gco2_per_kwh=pl.Series(np.r_[np.nan, lag[:-1]]),
    )
    actuals = features.select("region", "interval_start_utc").with_columns(
        carbon_direct_gco2_per_kwh=pl.Series(intensity), coverage=pl.lit(1.0)
    )
    return features, actuals


def test_compare_scores_every_candidate_on_the_window_only():
    features, actuals = _synthetic()
    start, end = FIRST + dt.timedelta(days=30), FIRST + dt.timedelta(days=39)
    candidates = tuple(c for c in carbon_settings.CANDIDATES if c.fuel_mix_weight == 0)
    scores = carbon_settings.compare(
        features,
        actuals,
        TARGET,
        start,
        end,
        training_days=28,
        refit_every=5,
        young_history_days=0,
        candidates=candidates,
    )
    names = [c.name for c in candidates]
    assert list(scores) == [*names, carbon_settings.PAIR_NAME]
    assert all(0 < v < 100 for v in scores.values())
    # a drifting level: scaling by the recent level beats learning the raw intensity
    assert scores["larger_trees_ratio_mean"] < scores["larger_trees_raw"]
    assert scores["ratio_mean_200_rounds"] < scores["larger_trees_raw"]
    assert scores["each_baseline_100_rounds (adopted)"] < scores["larger_trees_raw"]
    adopted = [c for c in carbon_settings.CANDIDATES if c.name.endswith(carbon_settings.ADOPTED)]
    from energy_assets.models import carbon_lgbm

    assert [(c.params, c.rounds, c.rule) for c in adopted] == [
        (
            carbon_lgbm.CARBON_PARAMS,
            carbon_lgbm.CARBON_NUM_BOOST_ROUND,
            carbon_lgbm.CARBON_BASELINE_RULE,
        )
    ]

    # the window's last day changes the score; a window before any training rows fails
    shorter = carbon_settings.compare(
        features,
        actuals,
        TARGET,
        start,
        end - dt.timedelta(days=1),
        training_days=28,
        refit_every=5,
        young_history_days=0,
        candidates=candidates,
    )
    assert shorter != scores
    with pytest.raises(ValueError, match="no training rows"):
        carbon_settings.compare(features, actuals, TARGET, FIRST, FIRST + dt.timedelta(days=3))
    with pytest.raises(ValueError, match="in 2021"):
        carbon_settings.compare(features, actuals, TARGET, dt.date(2021, 1, 1), dt.date(2021, 2, 1))


def test_fits_are_daily_while_the_fit_days_window_is_young():
    """A fit every 5 days; the fit day FIRST+30 holds 29 stored days (FIRST..FIRST+28), under
    30: each of its block's days is fitted on its own window; FIRST+35 holds 34, one fit."""
    dates = pl.Series([FIRST + dt.timedelta(days=k) for k in range(DAYS)])
    day = [FIRST + dt.timedelta(days=k) for k in range(DAYS)]
    young = carbon_settings._fits(dates, day[30], day[39], 730, 5, 30)
    assert young == [(d, d, d) for d in day[30:35]] + [(day[35], day[35], day[39])]
    assert carbon_settings._fits(dates, day[30], day[39], 730, 5, 0) == [
        (day[30], day[30], day[34]),
        (day[35], day[35], day[39]),
    ]
    # every 2 days while young: the young block in 2-day fits, the last one a day
    assert carbon_settings._fits(dates, day[30], day[39], 730, 5, 30, 2) == [
        (day[30], day[30], day[31]),
        (day[32], day[32], day[33]),
        (day[34], day[34], day[34]),
        (day[35], day[35], day[39]),
    ]
    # the young days' fits change the forecasts, hence the score
    features, actuals = _synthetic()
    adopted = tuple(
        c for c in carbon_settings.CANDIDATES if c.name.endswith(carbon_settings.ADOPTED)
    )
    scores = [
        carbon_settings.compare(
            features,
            actuals,
            TARGET,
            day[30],
            day[39],
            refit_every=5,
            young_history_days=n,
            candidates=adopted,
        )
        for n in (0, 30)
    ]
    assert scores[0] != scores[1]


def test_run_names_a_missing_warehouse(tmp_path):
    parser = argparse.ArgumentParser()
    carbon_settings.configure_parser(parser)
    args = parser.parse_args(["--work", str(tmp_path)])
    with pytest.raises(SystemExit, match="no warehouse in"):
        carbon_settings.run(args)


def test_run_names_an_unknown_candidate(tmp_path, monkeypatch):
    parser = argparse.ArgumentParser()
    carbon_settings.configure_parser(parser)
    args = parser.parse_args(["--work", str(tmp_path), "--candidate", "nope"])
    monkeypatch.setattr(carbon_settings, "open_warehouse", lambda *a: None)
    with pytest.raises(SystemExit, match="no candidate starts with"):
        carbon_settings.run(args)


def _with_fuels() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The synthetic rows with a grid of gas and wind whose direct intensity is the target, and
    each fuel's output features (D-1's same hour; the rest null)."""
    features, actuals = _synthetic()
    rng = np.random.default_rng(5)
    n = features.height
    wind = np.clip(3000 + 2000 * np.sin(np.arange(n) / 17) + rng.normal(0, 200, n), 0, None)
    gas = 6000 - 0.5 * wind + rng.normal(0, 100, n)
    grid = features.select("region", "market_date", "interval_start_utc").with_columns(
        wind_mw=pl.Series(wind), natural_gas_mw=pl.Series(gas), fuel_mix_coverage=pl.lit(1.0)
    )
    lagged = {"wind_lag_1d_mw": wind, "natural_gas_lag_1d_mw": gas}
    features = (
        features.with_columns(
            *(pl.lit(None, dtype=pl.Float64).alias(c) for c in carbon_features.FUEL_MW_COLUMNS)
        )
        .with_columns(
            pl.Series(name, np.r_[np.full(24, np.nan), v[:-24]]) for name, v in lagged.items()
        )
        .with_columns(weather_wind_speed_m_per_s=pl.Series(wind / 300 + rng.normal(0, 0.3, n)))
    )
    actuals = actuals.with_columns(carbon_direct_gco2_per_kwh=pl.Series(370 * gas / (gas + wind)))
    return features, actuals, grid


def test_the_fuel_mix_candidate_trains_its_member_once_the_window_is_old_enough():
    features, actuals, grid = _with_fuels()
    day = [FIRST + dt.timedelta(days=k) for k in range(DAYS)]
    pair = next(c for c in carbon_settings.CANDIDATES if c.name.endswith(carbon_settings.ADOPTED))
    fuel_mix = next(c for c in carbon_settings.CANDIDATES if c.fuel_mix_weight > 0)
    assert (fuel_mix.params, fuel_mix.rounds, fuel_mix.rule) == (
        pair.params,
        pair.rounds,
        pair.rule,
    )

    def scores(young: int, with_grid=grid) -> dict[str, float]:
        return carbon_settings.compare(
            features,
            actuals,
            TARGET,
            day[30],
            day[39],
            training_days=28,
            refit_every=5,
            young_history_days=young,
            candidates=(pair, fuel_mix),
            grid=with_grid,
        )

    old, young = scores(0), scores(10_000)
    # a young window has no member: the pair's forecasts, to the bit
    assert young[fuel_mix.name] == young[pair.name]
    assert old[fuel_mix.name] != old[pair.name] and 0 < old[fuel_mix.name] < 100
    with pytest.raises(ValueError, match="needs harmonized/grid_hourly"):
        scores(0, None)
