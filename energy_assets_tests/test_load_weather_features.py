"""The load features' day-ahead weather columns, per region, on the real GFS history files:
each hour of D carries the forecast of that hour and its change from D-1's, horizon-safe at
the load forecast's issue time (D-1 12:00 local); a region no weather feed serves has them null."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from energy_assets.features.load import FEATURE_COLUMNS, build_load_features, forecast_issue_time
from energy_assets.features.weather import WEATHER_CHANGES, WEATHER_COLUMNS, WEATHER_FEATURES
from energy_assets.harmonize.weather import weather_hourly
from energy_assets.regions import region, regions_with
from energy_assets.sources import gfs_regional
from energy_assets.timeutil import market_day_bounds_utc

DAY = dt.date(2019, 3, 11)  # the day after the spring clock change: a 23-hour D-1 in the US


def _weather(datasets, code: str, days: list[dt.date]) -> pl.DataFrame:
    reg = region(code)
    raw = gfs_regional.parse_history(
        (datasets / "carbon_eia930" / f"{reg.eia_ba_code}_weather_forecast.csv").read_bytes()
    )
    frames = []
    for day in days:
        start, end = market_day_bounds_utc(day, reg.timezone)
        in_day = pl.col("interval_start_utc").is_between(start, end, closed="left")
        frames.append(weather_hourly(code, day, reg.timezone, raw.filter(in_day), "gfs_regional"))
    return pl.concat(frames)


def _calendar_rows(code: str, weather: pl.DataFrame | None) -> pl.DataFrame:
    """DAY's load features with no grid or operator history: the calendar and the weather."""
    reg = region(code)
    issued_at = forecast_issue_time(DAY, reg.timezone)
    return build_load_features(
        DAY,
        code,
        reg.timezone,
        reg.holiday_country,
        reg.holiday_subdivision,
        None,
        None,
        issued_at,
        weather=weather,
    )


@pytest.mark.parametrize("code", regions_with("weather"))
def test_load_features_carry_the_days_weather_forecast(datasets, code):
    reg = region(code)
    weather = _weather(datasets, code, [DAY - dt.timedelta(days=1), DAY])
    issued_at = forecast_issue_time(DAY, reg.timezone)
    rows = _calendar_rows(code, weather)
    assert rows.height == 24
    assert rows.columns[-len(WEATHER_COLUMNS) :] == WEATHER_COLUMNS
    assert set(WEATHER_COLUMNS) <= set(FEATURE_COLUMNS)  # the models learn from them
    assert (rows["available_at_utc"] <= rows["issued_at_utc"]).all()
    assert (rows["issued_at_utc"] == issued_at).all()
    stamp = pl.col("interval_start_utc").cast(pl.Datetime("us", "UTC"))
    forecast = weather.select(stamp, *WEATHER_FEATURES)
    joined = rows.join(forecast, on="interval_start_utc", how="left")
    before = forecast.select(stamp + dt.timedelta(days=1), *WEATHER_FEATURES)
    joined = joined.join(before, on="interval_start_utc", how="left", suffix="_d1")
    for source, column in WEATHER_FEATURES.items():
        # each hour of D gets the forecast of that very hour, never of another one
        assert joined[column].equals(joined[source].cast(pl.Float64), null_equal=True), column
    assert rows["weather_temperature_c"].null_count() == 0
    for source, column in WEATHER_CHANGES.items():
        expected = joined[source] - joined[f"{source}_d1"]
        assert joined[column].equals(expected.alias(column), null_equal=True), column
    # 24 h before D's first hour lies in D-2 after a 23-hour D-1 (not read): null there only
    assert rows["weather_temperature_change_1d_c"].null_count() <= 1


@pytest.mark.parametrize(
    "code", [c for c in regions_with("grid") if c not in regions_with("weather")]
)
def test_a_region_without_a_weather_feed_has_the_columns_null(code):
    rows = _calendar_rows(code, None)
    assert rows.height in (23, 24, 25)
    assert all(rows[c].null_count() == rows.height for c in WEATHER_COLUMNS)


def test_ingest_only_stores_the_load_features_with_the_weather(recordings, datasets, tmp_path):
    """`energy-assets run --ingest-only` through the graph's load slice (`load_ingest_job`, as
    `benchmark regions` runs it): raw -> harmonized -> features for PJM, no day-ahead run; the
    second day's load features carry the GFS forecast of each hour, no check warns that the
    weather is missing."""
    import dagster as dg

    from energy_assets.runner import materialize_regions
    from energy_assets.warehouse import Warehouse

    first, last = dt.date(2019, 5, 1), dt.date(2019, 5, 2)
    instance = dg.DagsterInstance.ephemeral()
    outcome = materialize_regions(
        {"PJM": (first, last)},
        instance,
        tmp_path,
        recordings,
        load_only=True,
        ingest_only=True,
    )
    assert not outcome.partitions_failed
    assert outcome.partitions_ok["load_ingest_job"] == 2
    # the one warning: the range's history before the window (D-8.., D-1 of 05-01), not the
    # weather of the window's own days
    assert outcome.checks["warned"] == 1 and outcome.checks["failed"] == 0
    (warning,) = [
        r.event_log_entry.dagster_event.event_specific_data
        for r in instance.get_event_records(
            dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        )
        if not r.event_log_entry.dagster_event.event_specific_data.passed
    ]
    missing = warning.metadata["missing_days"].data
    assert warning.check_name == "history" and missing["weather"] == ["2019-04-30"]
    assert not outcome.partitions_ok["day_ahead_job"] and not outcome.partitions_ok["report_job"]
    rows = Warehouse(tmp_path / "warehouse").query(
        "select * from features.load_features where market_date = '2019-05-02'"
    )
    assert rows.height == 24
    assert rows["weather_temperature_c"].null_count() == 0
    assert rows["weather_temperature_change_1d_c"].null_count() == 0


def test_the_load_slice_ingests_what_the_load_features_read():
    """`load_ingest_job` (and the raw feeds `benchmark regions` runs before it) builds every
    harmonized table `features/load_features` reads, the weather included: a table it left
    out would leave the features' columns null and their `history` check warning."""
    import dagster as dg

    from energy_assets.benchmarks.regions import LOAD_FEEDS
    from energy_assets.definitions import defs
    from energy_assets.harmonize.sources import WEATHER_FEED

    job = defs.resolve_job_def("load_ingest_job")
    selected = set(job.asset_layer.selected_asset_keys)
    features = dg.AssetKey(["features", "load_features"])
    upstream = defs.resolve_asset_graph().get(features).parent_keys
    assert features in selected
    assert {k for k in upstream if k.path[0] == "harmonized"} <= selected
    assert dg.AssetKey(["harmonized", "weather_hourly"]) in upstream
    assert WEATHER_FEED in LOAD_FEEDS
