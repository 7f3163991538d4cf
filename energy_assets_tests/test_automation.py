"""The daily schedule and the day-ahead sensor request the right partitions."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from energy_assets.definitions import build_definitions
from energy_assets.defs.harmonized import GRID_PARTITIONS
from energy_assets.defs.jobs import RAW_SCHEDULES, daily_ingest_schedule, day_ahead_sensor
from energy_assets.defs.resources import default_resources
from energy_assets.partitions import partition_key


def test_daily_schedule_ingests_yesterday_for_every_region(tmp_path):
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 22, 6, 30, tzinfo=dt.UTC),
        repository_def=build_definitions(default_resources(tmp_path)).get_repository_def(),
    )
    requests = list(daily_ingest_schedule.evaluate_tick(context).run_requests or [])
    regions = ["CAISO", "ERCOT", "PJM", "NYISO", "ISONE", "MISO", "SPP", "BPA"]
    assert [r.partition_key for r in requests] == [f"2026-11-21|{r}" for r in regions]
    assert requests[0].run_key == "ingest:2026-11-21|CAISO"


def test_each_raw_feed_schedule_fetches_yesterday_for_the_regions_it_serves(tmp_path):
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC),
        repository_def=build_definitions(default_resources(tmp_path)).get_repository_def(),
    )
    by_name = {s.name: s for s in RAW_SCHEDULES}
    caiso = by_name["raw_caiso_outlook_demand_schedule"].evaluate_tick(context).run_requests
    assert [r.partition_key for r in caiso] == ["2026-11-21|CAISO"]
    eia = by_name["raw_eia930_region_data_schedule"].evaluate_tick(context).run_requests
    assert len(eia) == 8 and eia[1].partition_key == "2026-11-21|ERCOT"


def _features_event(instance: dg.DagsterInstance, day: str, *names: str) -> None:
    for name in names or ("load_features", "carbon_features"):

        @dg.asset(key=["features", name], partitions_def=GRID_PARTITIONS)
        def stand_in() -> None:  # records a materialization event only
            return None

        dg.materialize([stand_in], partition_key=partition_key("CAISO", day), instance=instance)


def _sensor_context(instance, defs, cursor=None):
    return dg.build_multi_asset_sensor_context(
        monitored_assets=[
            dg.AssetKey(["features", "load_features"]),
            dg.AssetKey(["features", "carbon_features"]),
        ],
        instance=instance,
        repository_def=defs.get_repository_def(),
        cursor=cursor,
    )


def test_sensor_requests_day_ahead_for_the_features_day_and_skips_early_days(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(default_resources(tmp_path))
    _features_event(instance, "2015-07-10")  # before the first day-ahead day
    result = day_ahead_sensor.evaluate_tick(_sensor_context(instance, defs))
    assert not result.run_requests
    assert "2015-07-10|CAISO" in str(result.skip_message)

    # one feature table of the day so far: wait for the other
    _features_event(instance, "2020-08-14", "carbon_features")
    result = day_ahead_sensor.evaluate_tick(_sensor_context(instance, defs, result.cursor))
    assert not result.run_requests

    _features_event(instance, "2020-08-14", "load_features")
    result = day_ahead_sensor.evaluate_tick(_sensor_context(instance, defs, result.cursor))
    assert [r.partition_key for r in result.run_requests] == ["2020-08-14|CAISO"]
    assert result.run_requests[0].run_key == "day_ahead:2020-08-14|CAISO"
