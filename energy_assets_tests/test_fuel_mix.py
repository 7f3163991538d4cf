"""The fuel-mix member of the UTC-day direct carbon model, on the real EIA-930 history of ERCOT
(wind, gas, coal, nuclear, solar): each fuel's output forecast, the intensity it implies, and
the intensity model moved towards it, through its JSON artifact."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from energy_assets.features.carbon import FEATURE_COLUMNS, build_carbon_features
from energy_assets.features.load import build_load_features
from energy_assets.models.carbon_lgbm import (
    CARBON_BASELINE_RULE,
    CARBON_PARAMS,
    FUEL_MIX_PARAMS,
    carbon_baseline_columns,
)
from energy_assets.models.fuel_mix_lgbm import (
    predict_fuel_mw,
    predict_intensity,
    train_fuel_mix_forecaster,
)
from energy_assets.models.quantile_lgbm import (
    load_model,
    predict_quantiles,
    save_model_atomic,
    train_quantile_forecaster,
)
from energy_assets.models.training_rows import training_rows
from energy_assets.regions import region
from energy_assets_tests.test_carbon_regions import _harmonized

CODE = "ERCOT"
FIRST = dt.date(2020, 9, 1)
TEST_FIRST = dt.date(2020, 11, 16)
LAST = dt.date(2020, 11, 29)
TARGET = "carbon_direct_gco2_per_kwh"


@pytest.fixture(scope="module")
def ercot(datasets):
    """UTC-day feature rows of 2020-09-03..11-29, the grid and the direct intensity."""
    reg = region(CODE)
    days = [FIRST + dt.timedelta(days=k) for k in range((LAST - FIRST).days + 1)]
    grid, carbon, weather = _harmonized(datasets, CODE, days)
    rows = []
    for day in days[2:]:
        issued_at = dt.datetime.combine(day, dt.time(0), dt.UTC)
        calendar = build_load_features(
            day, CODE, "UTC", reg.holiday_country, reg.holiday_subdivision, grid, None, issued_at
        )
        near = pl.col("market_date").is_between(day - dt.timedelta(days=9), day)
        rows.append(
            build_carbon_features(
                calendar, carbon.filter(near), grid.filter(near), "UTC", weather.filter(near)
            )
        )
    return pl.concat(rows), grid, carbon


def _mape(forecast: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(np.abs(forecast - actual) / actual) * 100)


def test_the_fuel_forecasts_imply_an_intensity_better_than_yesterdays(ercot):
    features, grid, carbon = ercot
    train = features.filter(pl.col("market_date") < TEST_FIRST - dt.timedelta(days=1))
    test = features.filter(pl.col("market_date") >= TEST_FIRST)
    member = train_fuel_mix_forecaster(train, grid, FEATURE_COLUMNS, FUEL_MIX_PARAMS, 60)
    assert {"wind_mw", "natural_gas_mw", "coal_mw", "nuclear_mw"} <= set(member.fuels)
    assert "oil_mw" not in member.fuels  # ERCOT reports none: no booster for it
    assert member.factors["coal_mw"] == 760.0 and member.factors["wind_mw"] == 0.0

    level, delta = predict_fuel_mw(member, test)
    assert all((v >= 0).all() for v in (*level.values(), *delta.values()))
    keys = ["region", "interval_start_utc"]
    actual = (
        test.select(keys)
        .join(carbon.select(*keys, TARGET), on=keys)
        .join(grid.select(*keys, "wind_mw"), on=keys)
        .sort("interval_start_utc")
    )
    assert actual.height == test.height == 14 * 24
    truth = actual[TARGET].to_numpy()
    ours = predict_intensity(member, test)
    naive = test["carbon_direct_lag_1d_gco2_per_kwh"].to_numpy()
    # ERCOT's intensity moves with the wind: the fuel forecasts beat D-1's same hour clearly
    assert _mape(ours, truth) < 0.9 * _mape(naive, truth)
    # the wind forecast follows what blew more closely than D-1's same hour did
    wind = actual["wind_mw"].to_numpy()
    forecast = (level["wind_mw"] + delta["wind_mw"]) / 2
    yesterday = test["wind_lag_1d_mw"].to_numpy()
    # (2020-11-16..29: 0.55 against 0.12; the intensity's MAPE 17.3 % against 25.2 %)
    assert np.corrcoef(forecast, wind)[0, 1] > np.corrcoef(yesterday, wind)[0, 1] + 0.2


def test_the_intensity_model_moves_halfway_to_its_fuel_mix_through_the_artifact(ercot, tmp_path):
    features, grid, carbon = ercot
    train = features.filter(pl.col("market_date") < TEST_FIRST - dt.timedelta(days=1))
    test = features.filter(pl.col("market_date") >= TEST_FIRST)
    x, y = training_rows(train, carbon, target=TARGET, coverage="coverage")
    model = train_quantile_forecaster(
        x,
        y,
        FEATURE_COLUMNS,
        params=CARBON_PARAMS,
        num_boost_round=40,
        target_transform="ratio",
        baseline_columns=carbon_baseline_columns(TARGET),
        baseline_rule=CARBON_BASELINE_RULE,
    )
    alone = predict_quantiles(model, test)
    model.partner = train_fuel_mix_forecaster(x, grid, FEATURE_COLUMNS, FUEL_MIX_PARAMS, 40)
    model.partner_weight = 0.5
    path = tmp_path / "model.json"
    sha = save_model_atomic(model, path)
    loaded = load_model(path, sha)
    assert loaded.partner is not None and loaded.partner.fuels == model.partner.fuels
    both = predict_quantiles(loaded, test)
    implied = predict_intensity(loaded.partner, test)
    expected = alone["p50"].to_numpy() + 0.5 * (implied - alone["p50"].to_numpy())
    assert np.allclose(both["p50"].to_numpy(), expected)
    # the band moves with its P50, keeping its width and order
    assert np.allclose(
        (both["p90"] - both["p10"]).to_numpy(), (alone["p90"] - alone["p10"]).to_numpy()
    )
    assert (both["p10"] <= both["p50"]).all() and (both["p50"] <= both["p90"]).all()
    # an hour the fuel mix cannot forecast (no output features, no weather) moves by its own
    # forecast of no output at all only if one is made: a NaN leaves the intensity model's
    blank = test.head(3).with_columns(
        pl.lit(None, dtype=pl.Float64).alias(c) for c in test.columns if c.endswith("_mw")
    )
    assert np.isfinite(predict_quantiles(loaded, blank)["p50"].to_numpy()).all()
    # an artifact without a member reads as before
    model.partner, model.partner_weight = None, 0.0
    plain = tmp_path / "plain.json"
    assert load_model(plain, save_model_atomic(model, plain)).partner is None


def test_no_fuel_output_is_a_clear_error(ercot):
    features, grid, _ = ercot
    empty = grid.with_columns(pl.lit(0.0).alias("fuel_mix_coverage"))
    with pytest.raises(ValueError, match="no fuel output to learn from"):
        train_fuel_mix_forecaster(features, empty, FEATURE_COLUMNS, FUEL_MIX_PARAMS, 10)


def test_the_fuel_mix_switch_reads_0_or_1(monkeypatch):
    from energy_assets import settings

    monkeypatch.delenv("ENERGY_ASSETS_CARBON_FUEL_MIX", raising=False)
    assert settings.carbon_fuel_mix() is False
    monkeypatch.setenv("ENERGY_ASSETS_CARBON_FUEL_MIX", "1")
    assert settings.carbon_fuel_mix() is True
    monkeypatch.setenv("ENERGY_ASSETS_CARBON_FUEL_MIX", "yes")
    with pytest.raises(ValueError, match="must be 0 or 1"):
        settings.carbon_fuel_mix()


def test_the_members_cadence_is_a_multiple_of_the_pairs(monkeypatch):
    """The member's fit days (every `FUEL_MIX_REFIT_EVERY_DAYS`) are fit days of the pair's
    mature grid, so a member is always trained with a pair; the setting reads whole days."""
    from energy_assets import settings
    from energy_assets.models.carbon_lgbm import CARBON_REFIT_EVERY_DAYS, FUEL_MIX_REFIT_EVERY_DAYS

    assert FUEL_MIX_REFIT_EVERY_DAYS % CARBON_REFIT_EVERY_DAYS == 0
    monkeypatch.delenv("ENERGY_ASSETS_CARBON_FUEL_MIX_REFIT_EVERY_DAYS", raising=False)
    assert settings.carbon_fuel_mix_refit_every_days() == FUEL_MIX_REFIT_EVERY_DAYS
    monkeypatch.setenv("ENERGY_ASSETS_CARBON_FUEL_MIX_REFIT_EVERY_DAYS", "28")
    assert settings.carbon_fuel_mix_refit_every_days() == 28
    monkeypatch.setenv("ENERGY_ASSETS_CARBON_FUEL_MIX_REFIT_EVERY_DAYS", "0")
    with pytest.raises(ValueError):
        settings.carbon_fuel_mix_refit_every_days()
