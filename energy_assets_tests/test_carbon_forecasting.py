"""Carbon-intensity forecasting on real CAISO recordings: horizon-safe features, the LightGBM
quantile model against the seasonal profile, and the scores and roll-up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from energy_assets.evaluation.carbon_score import CARBON, score_carbon_forecasts
from energy_assets.evaluation.report import rollup
from energy_assets.features.carbon import FEATURE_COLUMNS, build_carbon_features
from energy_assets.features.load import build_load_features, forecast_issue_time
from energy_assets.harmonize import caiso as harmonize
from energy_assets.harmonize.carbon import carbon_intensity_from_mix
from energy_assets.models.carbon_profile import forecast_carbon_profile
from energy_assets.models.quantile_lgbm import predict_quantiles, train_quantile_forecaster
from energy_assets.models.training_rows import training_rows
from energy_assets.schemas.evaluation import CarbonForecastReport, CarbonForecastScore
from energy_assets.schemas.features import CarbonFeatures
from energy_assets.sources import caiso_outlook

TZ = "America/Los_Angeles"
REGION = "CAISO"
FIRST = dt.date(2019, 5, 20)
TEST_DAYS = [dt.date(2019, 7, 16), dt.date(2019, 7, 17), dt.date(2019, 7, 18)]


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


@pytest.fixture(scope="module")
def caiso(recordings: Path) -> dict[str, pl.DataFrame]:
    """Grid, carbon and operator forecasts of 2019-05-20..07-18 from the real recordings."""
    grid, operator = [], []
    for day in _days(FIRST, TEST_DAYS[-1]):
        folder = recordings / "caiso_outlook" / day.strftime("%Y%m%d")
        demand = caiso_outlook.parse_demand((folder / "demand.csv").read_bytes(), day)
        fuel = caiso_outlook.parse_fuel_mix((folder / "fuelsource.csv").read_bytes(), day)
        grid.append(harmonize.grid_hourly(REGION, day, TZ, demand, fuel))
        operator.append(harmonize.operator_load_forecast(REGION, day, TZ, demand))
    grid_frame = pl.concat(grid, how="vertical_relaxed")
    return {
        "grid": grid_frame,
        "carbon": carbon_intensity_from_mix(grid_frame),
        "operator": pl.concat(operator, how="vertical_relaxed"),
    }


def features_for(day: dt.date, data: dict[str, pl.DataFrame]) -> pl.DataFrame:
    issued_at = forecast_issue_time(day, TZ)
    load = build_load_features(
        day,
        REGION,
        TZ,
        "US",
        "CA",
        data["grid"],
        data["operator"].filter(pl.col("market_date") == day),
        issued_at,
    )
    return build_carbon_features(load, data["carbon"], data["grid"], TZ)


def test_features_use_nothing_published_after_the_issue_time(caiso):
    day = TEST_DAYS[0]
    issued_at = forecast_issue_time(day, TZ)
    features = features_for(day, caiso)
    CarbonFeatures.validate(features)
    assert (features["available_at_utc"] <= features["issued_at_utc"]).all()
    # Poison everything published after the issue time (D-1 afternoon, D itself): the features
    # must not change.
    late = pl.col("interval_start_utc") + pl.duration(hours=1) > issued_at
    poisoned = {
        "grid": caiso["grid"].with_columns(
            [pl.when(late).then(9e5).otherwise(pl.col(c)).alias(c) for c in ("solar_mw", "wind_mw")]
        ),
        "carbon": caiso["carbon"].with_columns(
            carbon_gco2_per_kwh=pl.when(late).then(1_400.0).otherwise("carbon_gco2_per_kwh")
        ),
        "operator": caiso["operator"],
    }
    assert features.equals(features_for(day, poisoned))
    # D-1's same hour is known only for the hours that had ended by noon
    known = features.filter(pl.col("carbon_lag_1d_gco2_per_kwh").is_not_null())
    assert known["hour_local"].to_list() == list(range(12))


def test_lags_are_the_real_intensities(caiso):
    day = TEST_DAYS[1]
    features = features_for(day, caiso)
    local = caiso["carbon"].with_columns(
        hour_local=pl.col("interval_start_utc").dt.convert_time_zone(TZ).dt.hour()
    )
    for back, column in ((2, "carbon_lag_2d_gco2_per_kwh"), (7, "carbon_lag_7d_gco2_per_kwh")):
        source = local.filter(pl.col("market_date") == day - dt.timedelta(days=back)).sort(
            "hour_local"
        )
        assert features.sort("hour_local")[column].to_list() == pytest.approx(
            source["carbon_gco2_per_kwh"].to_list()
        )
    d2 = local.filter(pl.col("market_date") == day - dt.timedelta(days=2))
    assert features["carbon_daily_mean_2d_gco2_per_kwh"][0] == pytest.approx(
        d2["carbon_gco2_per_kwh"].mean()
    )
    assert features["solar_wind_lag_2d_mw"].max() > 5_000  # a July noon in California


def test_lightgbm_beats_the_seasonal_profile_on_real_days(caiso):
    """Rolling origin as in the graph: for each test day D, train on D-56..D-2 and forecast D."""
    features = pl.concat(
        [features_for(d, caiso) for d in _days(FIRST + dt.timedelta(8), TEST_DAYS[-1])]
    )
    model_abs, profile_abs, inside, hours = 0.0, 0.0, 0, 0
    for day in TEST_DAYS:
        window = features.filter(
            pl.col("market_date").is_between(day - dt.timedelta(56), day - dt.timedelta(2))
        )
        x, y = training_rows(
            window, caiso["carbon"], target="carbon_gco2_per_kwh", coverage="coverage"
        )
        model = train_quantile_forecaster(x, y, FEATURE_COLUMNS, target_transform="none")
        today = features.filter(pl.col("market_date") == day)
        q = predict_quantiles(model, today)
        assert (q["p10"] <= q["p50"]).all() and (q["p50"] <= q["p90"]).all()
        profile = forecast_carbon_profile(
            caiso["carbon"].filter(pl.col("market_date") < day - dt.timedelta(1)),
            day,
            TZ,
            forecast_issue_time(day, TZ),
        )
        actual = (
            today.select("interval_start_utc")
            .join(caiso["carbon"], on="interval_start_utc")["carbon_gco2_per_kwh"]
            .to_numpy()
        )
        model_abs += float(np.abs(actual - q["p50"].to_numpy()).sum())
        profile_abs += float(np.abs(actual - profile["carbon_p50_gco2_per_kwh"].to_numpy()).sum())
        inside += int(((actual >= q["p10"].to_numpy()) & (actual <= q["p90"].to_numpy())).sum())
        hours += len(actual)
    assert model_abs / hours < 40  # gCO2eq/kWh on intensities of 150-300
    assert model_abs < profile_abs
    assert inside / hours > 0.5


def _scored_day(day: dt.date, offset: float) -> pl.DataFrame:
    hours = pl.datetime_range(
        dt.datetime(2020, 7, 1, 7, tzinfo=dt.UTC),
        dt.datetime(2020, 7, 2, 6, tzinfo=dt.UTC),
        "1h",
        eager=True,
    )
    actual = pl.Series(np.linspace(150.0, 330.0, 24))

    def forecast(shift: float) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "interval_start_utc": hours,
                "carbon_p10_gco2_per_kwh": actual + shift - 20,
                "carbon_p50_gco2_per_kwh": actual + shift,
                "carbon_p90_gco2_per_kwh": actual + shift + 20,
            }
        )

    actuals = pl.DataFrame(
        {"interval_start_utc": hours, "carbon_gco2_per_kwh": actual, "coverage": [1.0] * 23 + [0.5]}
    )
    features = pl.DataFrame(
        {"interval_start_utc": hours, "carbon_lag_7d_gco2_per_kwh": actual + 40.0}
    )
    return score_carbon_forecasts(
        REGION, day, forecast(offset), forecast(3 * offset), actuals, features
    )


def test_scores_are_exact_and_roll_up():
    days = [dt.date(2020, 7, 1), dt.date(2020, 7, 2)]
    scores = pl.concat([_scored_day(d, 10.0 * (i + 1)) for i, d in enumerate(days)])
    CarbonForecastScore.validate(scores)
    assert scores["forecaster"].to_list()[:3] == list(CARBON.forecasters)
    assert (scores["hours"] == 23).all()  # the half-covered hour is left out for everyone
    first = scores.filter(pl.col("market_date") == days[0])
    by = {r["forecaster"]: r for r in first.iter_rows(named=True)}
    assert by["lightgbm"]["mae_gco2_per_kwh"] == pytest.approx(10.0)
    assert by["profile"]["mae_gco2_per_kwh"] == pytest.approx(30.0)
    assert by["lightgbm"]["rmae"] == pytest.approx(10.0 / 40.0)
    assert by["lightgbm"]["p10_p90_coverage"] == 1.0  # off by 10 inside a +-20 band
    assert by["profile"]["p10_p90_coverage"] == 0.0
    report = rollup(scores, CARBON)
    CarbonForecastReport.validate(report)
    overall = report.filter(pl.col("period_kind") == "all")
    lightgbm = overall.filter(pl.col("forecaster") == "lightgbm").row(0, named=True)
    assert lightgbm["mae_gco2_per_kwh"] == pytest.approx(15.0)  # (10 + 20) / 2 over equal hours
    assert lightgbm["days"] == 2 and lightgbm["hours"] == 46
    assert {"dm_p_value_vs_naive", "dm_p_value_vs_profile"} <= set(report.columns)


def test_carbon_models_scale_by_their_own_intensitys_recent_level():
    """Each carbon target's baseline columns are features of that same intensity, in the
    columns its model reads."""
    from energy_assets.features import carbon as carbon_features
    from energy_assets.models.carbon_lgbm import carbon_baseline_columns
    from energy_assets.regions import OUR_CARBON_TARGET, PUBLISHED_CARBON_TARGET

    expected = {
        OUR_CARBON_TARGET: ("carbon_lag_1d_gco2_per_kwh", "carbon_last_known_gco2_per_kwh"),
        "carbon_direct_gco2_per_kwh": (
            "carbon_direct_lag_1d_gco2_per_kwh",
            "carbon_direct_last_known_gco2_per_kwh",
        ),
        PUBLISHED_CARBON_TARGET: (
            "published_lag_1d_gco2_per_kwh",
            "published_last_known_gco2_per_kwh",
        ),
    }
    for target, columns in expected.items():
        assert carbon_baseline_columns(target) == columns
        assert set(columns) <= set(carbon_features.feature_columns_for(target))
    with pytest.raises(ValueError, match="intensity"):
        carbon_baseline_columns("demand_mw")
