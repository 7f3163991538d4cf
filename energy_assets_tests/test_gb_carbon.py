"""GB's day-ahead carbon forecast offline, on the real 2023 Carbon Intensity API file: the
published intensity alone builds `harmonized/carbon_intensity` (no NESO demand for 2023, no
fuel mix ever), GB's carbon features and model learn the published intensity in columns of its
own, and the score sets our day-ahead forecast against its seasonal naive and beside the API's
stored short-lead forecast, on the same hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl
import pytest

from energy_assets.features.carbon import PUBLISHED_COLUMNS
from energy_assets.harmonize.sources import published_without_fuel_mix
from energy_assets.regions import PUBLISHED_CARBON_TARGET, region
from energy_assets.runner import materialize_window
from energy_assets.warehouse import Warehouse

GB = region("GB")
FIRST, LAST = dt.date(2023, 1, 1), dt.date(2023, 2, 1)
# MIN_TRAINING_DAYS (28) of features and published actuals, D-2 and earlier, inside the window
FORECAST_DAYS = [dt.date(2023, 1, 31), dt.date(2023, 2, 1)]


def _utc(frame: pl.DataFrame) -> pl.DataFrame:
    """DuckDB reads the UTC columns back as Etc/UTC: the same instants, compared as UTC."""
    return frame.with_columns(
        pl.col(c).dt.convert_time_zone("UTC")
        for c, t in frame.schema.items()
        if isinstance(t, pl.Datetime) and t.time_zone
    )


def test_gb_learns_the_published_intensity_where_it_has_no_fuel_mix():
    assert GB.carbon_target == PUBLISHED_CARBON_TARGET
    assert published_without_fuel_mix(GB, dt.date(2023, 6, 1)) == "uk_carbon_intensity"
    assert published_without_fuel_mix(GB, dt.date(2019, 6, 1)) is None  # nothing published
    for code in ("CAISO", "ERCOT", "PJM", "MISO"):  # fuel mix: ours, as before
        assert region(code).carbon_target == "carbon_gco2_per_kwh"
        assert published_without_fuel_mix(region(code), dt.date(2019, 6, 1)) is None


@pytest.fixture(scope="module")
def gb_2023(recordings, tmp_path_factory):
    data = tmp_path_factory.mktemp("gb_carbon")
    outcome = materialize_window(
        FIRST,
        LAST,
        "GB",
        dg.DagsterInstance.ephemeral(),
        data,
        recordings,
        "replay",
        report=False,
        cross_region=False,
        day_ahead_from=FORECAST_DAYS[0],
        raw_feeds=frozenset({"national"}),  # no NESO demand for 2023
        ingest_job="published_carbon_ingest_job",
        day_ahead_job="published_carbon_day_ahead_job",
    )
    return outcome, Warehouse(data / "warehouse")


def test_the_published_intensity_alone_builds_gb_carbon_days(gb_2023):
    outcome, warehouse = gb_2023
    assert outcome.partitions_failed == []
    days = (LAST - FIRST).days + 1
    assert outcome.partitions_ok == {
        "raw_uk_carbon_intensity_national_job": days,
        "published_carbon_ingest_job": days,
        "published_carbon_day_ahead_job": len(FORECAST_DAYS),
    }
    carbon = _utc(warehouse.query("select * from harmonized.carbon_intensity order by 3"))
    assert carbon.height == 24 * days and set(carbon["region"]) == {"GB"}
    # ours: null, coverage 0 (no fuel mix); the API's: its actual and stored forecast
    assert carbon["carbon_gco2_per_kwh"].is_null().all()
    assert carbon["carbon_direct_gco2_per_kwh"].is_null().all()
    assert (carbon["coverage"] == 0).all()
    assert carbon["published_gco2_per_kwh"].is_between(20, 400).sum() >= 24 * days - 3
    assert carbon["published_forecast_gco2_per_kwh"].is_not_null().all()
    # each hour is the mean of its two half-hours, as published (2023-01-10 00:00 UTC)
    hour = carbon.filter(
        pl.col("interval_start_utc") == dt.datetime(2023, 1, 10, tzinfo=dt.UTC)
    ).row(0, named=True)
    raw = warehouse.query(
        "select actual_gco2_per_kwh as a, forecast_gco2_per_kwh as f"
        " from raw.uk_carbon_intensity_national where interval_start_utc"
        " between '2023-01-10 00:00:00+00' and '2023-01-10 00:30:00+00'"
    )
    assert raw.height == 2 and hour["published_coverage"] == 1.0
    assert hour["published_gco2_per_kwh"] == pytest.approx(raw["a"].mean())
    assert hour["published_forecast_gco2_per_kwh"] == pytest.approx(raw["f"].mean())


def test_gb_carbon_features_are_horizon_safe_and_never_use_the_apis_forecast(gb_2023):
    _, warehouse = gb_2023
    features = _utc(warehouse.query("select * from features.carbon_features order by 3"))
    carbon = _utc(warehouse.query("select * from harmonized.carbon_intensity"))
    assert set(PUBLISHED_COLUMNS) <= set(features.columns)
    assert not [c for c in features.columns if "forecast" in c]  # not the API's stored forecast
    assert (features["available_at_utc"] <= features["issued_at_utc"]).all()
    london = ZoneInfo("Europe/London")
    for row in features.filter(pl.col("market_date").is_in(FORECAST_DAYS)).iter_rows(named=True):
        issued = dt.datetime.combine(row["market_date"] - dt.timedelta(days=1), dt.time(12), london)
        assert row["issued_at_utc"] == issued
        # D-1's same hour only where it had ended by the issue (local hours 0-11)
        assert (row["published_lag_1d_gco2_per_kwh"] is None) == (row["hour_local"] >= 12)
        # the naive is the published actual of the same hour a week before (winter: UTC = local)
        week_before = carbon.filter(
            pl.col("interval_start_utc") == row["interval_start_utc"] - dt.timedelta(days=7)
        )["published_gco2_per_kwh"][0]
        assert row["published_lag_7d_gco2_per_kwh"] == pytest.approx(week_before)
    # ours stays null in GB's rows: the published intensity is never put in our columns
    assert features["carbon_lag_7d_gco2_per_kwh"].is_null().all()


def test_gb_forecast_is_scored_beside_the_naive_and_the_apis_short_lead_forecast(gb_2023):
    _, warehouse = gb_2023
    forecasts = warehouse.query("select * from forecasts.carbon_day_ahead order by 3")
    assert forecasts["market_date"].unique().sort().to_list() == FORECAST_DAYS
    assert (forecasts["issued_at_utc"] < forecasts["interval_start_utc"]).all()
    assert forecasts["carbon_p50_gco2_per_kwh"].is_between(20, 400).all()
    models = warehouse.query("select * from models.carbon_lightgbm")
    assert (models["training_days"] >= 28).all()
    assert (models["train_last_date"] <= models["market_date"] - dt.timedelta(days=2)).all()
    scores = warehouse.query("select * from evaluation.carbon_forecast_score order by 2, 3")
    assert set(scores["forecaster"]) == {
        "lightgbm_published",
        "seasonal_naive_7d_published",
        "api_forecast_short_lead",
    }
    # the same hours for the three: 2023-01-31 01:00 UTC has one of its two half-hours (the
    # other's actual is a 0, a fault), so 23 hours that day
    by_day = (
        scores.group_by("market_date").agg(pl.col("hours").unique(), pl.len()).sort("market_date")
    )
    assert [h.to_list() for h in by_day["hours"]] == [[23], [24]] and (by_day["len"] == 3).all()
    for forecaster in ("api_forecast_short_lead", "lightgbm_published"):
        mae = scores.filter(pl.col("forecaster") == forecaster)["mae_gco2_per_kwh"]
        assert mae.is_between(1, 60 if forecaster.startswith("api") else 250).all()
    ours = scores.filter(pl.col("forecaster") == "lightgbm_published")
    assert ours["p10_p90_coverage"].is_not_null().all()
