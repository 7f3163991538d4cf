"""The daily schedule and the day-ahead sensor request the right partitions."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from energy_assets import automation
from energy_assets.definitions import build_definitions
from energy_assets.defs.harmonized import GRID_PARTITIONS
from energy_assets.defs.jobs import (
    RAW_SCHEDULES,
    daily_ingest_schedule,
    day_ahead_sensor,
    raw_schedules,
)
from energy_assets.defs_support.resources import default_resources
from energy_assets.partitions import partition_key
from energy_assets.sources.registry import ISO_PROVIDERS


def test_daily_schedule_ingests_yesterday_for_every_region(tmp_path):
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 22, 6, 30, tzinfo=dt.UTC),
        repository_def=build_definitions(default_resources(tmp_path)).get_repository_def(),
    )
    requests = list(daily_ingest_schedule.evaluate_tick(context).run_requests or [])
    regions = ["CAISO", "ERCOT", "PJM", "NYISO", "ISONE", "MISO", "SPP", "BPA", "GB"]
    assert [r.partition_key for r in requests] == [f"2026-11-21|{r}" for r in regions]
    assert requests[0].run_key == "ingest:2026-11-21|CAISO"


def test_each_raw_feed_schedule_fetches_yesterday_for_the_regions_it_serves(tmp_path):
    context = dg.build_schedule_context(
        # EIA-930's tick (09:00 Eastern); the 22nd on the Pacific clock too
        scheduled_execution_time=dt.datetime(2026, 11, 22, 14, 0, tzinfo=dt.UTC),
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


# --- ENERGY_ASSETS_AUTOMATION: conditions, freshness checks, the sensor (energy_assets/automation.py)

HARMONIZED = ("grid_hourly", "carbon_intensity", "operator_load_forecast", "weather_hourly")
NOW = dt.datetime(2026, 11, 22, 20, 0, tzinfo=dt.UTC)  # 12:00 in CAISO, D+1 of 2026-11-21


def _stand_ins(layer: str, names, partitions_def) -> list[dg.AssetsDefinition]:
    def make(name):
        @dg.asset(key=[layer, name], partitions_def=partitions_def)
        def stand_in() -> None:  # records a materialization event only
            return None

        return stand_in

    return [make(name) for name in names]


def test_automation_is_off_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv(automation.AUTOMATION_ENV, raising=False)
    repo = build_definitions(default_resources(tmp_path)).get_repository_def()
    graph = repo.asset_graph
    assert all(graph.get(k).automation_condition is None for k in graph.materializable_asset_keys)
    assert not [k for k in graph.asset_check_keys if k.name == automation.CHECK]
    assert {s.default_status for s in repo.schedule_defs} == {dg.DefaultScheduleStatus.STOPPED}
    # the day-ahead sensor, and one publication sensor per ISO provider and per half-hourly
    # provider (the GB Carbon Intensity API), all stopped
    sensed = [*ISO_PROVIDERS, *automation.HALF_HOURLY_PROVIDERS]
    assert sorted(s.name for s in repo.sensor_defs) == sorted(
        ["day_ahead_sensor", *(f"{p}_publication_sensor" for p in sensed)]
    )
    assert {s.default_status for s in repo.sensor_defs} == {dg.DefaultSensorStatus.STOPPED}


def test_the_setting_turns_everything_on(tmp_path, monkeypatch):
    monkeypatch.setenv(automation.AUTOMATION_ENV, "1")
    repo = build_definitions(default_resources(tmp_path)).get_repository_def()
    graph = repo.asset_graph
    assert graph.get(dg.AssetKey(["raw", "eia930_region_data"])).automation_condition is None
    forecast = graph.get(dg.AssetKey(["forecasts", "load_day_ahead"])).automation_condition
    assert forecast.get_label() == "eager, recent days"
    checked = {k.asset_key for k in graph.asset_check_keys if k.name == automation.CHECK}
    # the price assets replay a finished market file (epftoolbox): nothing is ever late
    # nor the PVWatts profile (group `solar`): built when a user asks, never late
    grid = {
        k
        for k in graph.materializable_asset_keys
        if graph.get(k).group_name not in ("prices", "solar")
    }
    assert checked == grid
    by_name = {s.name: s for s in repo.schedule_defs}
    eia = by_name["raw_eia930_region_data_schedule"]
    assert (eia.cron_schedule, eia.execution_timezone) == ("0 9 * * *", "America/New_York")
    assert eia.default_status == dg.DefaultScheduleStatus.RUNNING
    assert by_name["daily_ingest_schedule"].default_status == dg.DefaultScheduleStatus.STOPPED
    sensor = next(s for s in repo.sensor_defs if s.name == "energy_assets_automation")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    for provider in ISO_PROVIDERS:
        iso_sensor = next(s for s in repo.sensor_defs if s.name == f"{provider}_publication_sensor")
        assert iso_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert "raw_pjm_lmp_day_ahead_schedule" not in by_name  # the ISO feeds: sensors instead


def test_raw_schedules_fetch_yesterday_on_the_providers_clock(tmp_path):
    """CAISO's feed runs 00:30 Pacific: 08:30 UTC on 2026-11-22 is still the 22nd in Pacific
    time, so it fetches the 21st."""
    schedule = next(
        s for s in raw_schedules(running=True) if s.name == "raw_caiso_outlook_demand_schedule"
    )
    assert (schedule.cron_schedule, schedule.execution_timezone) == (
        "30 0 * * *",
        "America/Los_Angeles",
    )
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC),
        repository_def=build_definitions(default_resources(tmp_path)).get_repository_def(),
    )
    requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2026-11-21|CAISO"]


def test_a_stored_day_of_inputs_builds_that_day_downstream(tmp_path):
    """Eager over the recent days: the harmonized tables of (CAISO, D) landed, so the features of
    D are requested; once they land, the day-ahead chain of D (models and forecasts, one tick:
    they share partitions). Nothing for other days or regions."""
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(default_resources(tmp_path), automate=True)
    selection = dg.AssetSelection.groups("features", "models", "forecasts")
    day = partition_key("CAISO", "2026-11-21")
    features = [
        dg.AssetKey(["features", "load_features"]),
        dg.AssetKey(["features", "carbon_features"]),
    ]
    day_ahead = [
        dg.AssetKey(["models", "load_lightgbm"]),
        dg.AssetKey(["forecasts", "load_day_ahead"]),
    ]

    def tick(minutes, cursor):
        result = dg.evaluate_automation_conditions(
            defs=defs,
            instance=instance,
            asset_selection=selection,
            evaluation_time=NOW + dt.timedelta(minutes=minutes),
            cursor=cursor,
        )
        requested = {
            k: {str(p) for p in result.get_requested_partitions(k)} for k in features + day_ahead
        }
        return result, {k: v for k, v in requested.items() if v}

    first, requested = tick(0, None)
    assert requested == {}
    for stand_in in _stand_ins("harmonized", HARMONIZED, GRID_PARTITIONS):
        dg.materialize([stand_in], partition_key=day, instance=instance)
    second, requested = tick(1, first.cursor)
    assert requested == {k: {str(day)} for k in features}
    for stand_in in _stand_ins("features", [k.path[-1] for k in features], GRID_PARTITIONS):
        dg.materialize([stand_in], partition_key=day, instance=instance)
    _, requested = tick(2, second.cursor)
    assert requested == {k: {str(day)} for k in day_ahead}


def _latest_check(instance, key) -> dg.AssetCheckEvaluation:
    record = instance.get_latest_asset_check_evaluation_record(
        dg.AssetCheckKey(key, automation.CHECK)
    )
    return record.event.dagster_event.event_specific_data


def _run_freshness(defs, instance, keys):
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(),
        asset_check_selection={dg.AssetCheckKey(k, automation.CHECK) for k in keys},
    )
    return job.execute_in_process(instance=instance)


def test_freshness_fails_for_the_region_whose_day_is_late(tmp_path, monkeypatch):
    """The load forecast of D is due D+1 15:00 on each region's clock. At D+1 17:00 UTC (before
    15:00 in every US zone, DST or not) D-1 is due and nothing is stored; at D+1 23:30 UTC (after
    15:00 everywhere) D is due: ERCOT, CAISO and BPA stored theirs (now, before the deadline),
    PJM did not, and the check fails naming PJM. D is today (a partition that exists)."""
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(default_resources(tmp_path), automate=True)
    key = dg.AssetKey(["forecasts", "load_day_ahead"])
    partitions = defs.get_repository_def().asset_graph.get(key).partitions_def
    (forecast,) = _stand_ins("forecasts", ["load_day_ahead"], partitions)
    day = dt.datetime.now(dt.UTC).date()
    for code in ("ERCOT", "CAISO", "BPA"):
        dg.materialize(
            [forecast], partition_key=partition_key(code, day.isoformat()), instance=instance
        )
    next_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)

    monkeypatch.setattr(automation, "_clock", lambda: next_day + dt.timedelta(hours=17))
    _run_freshness(defs, instance, [key])
    early = _latest_check(instance, key)
    assert early.passed is False
    assert f"ERCOT {day - dt.timedelta(days=1)}" in early.description

    monkeypatch.setattr(automation, "_clock", lambda: next_day + dt.timedelta(hours=23, minutes=30))
    _run_freshness(defs, instance, [key])
    event = _latest_check(instance, key)
    assert event.passed is False and event.severity == dg.AssetCheckSeverity.WARN
    rows = {r.data["region"]: r.data for r in event.metadata["regions"].records}
    assert {rows[c]["status"] for c in ("ERCOT", "CAISO", "BPA")} == {"on time"}
    assert rows["PJM"]["market_day"] == day.isoformat() and rows["PJM"]["status"] == "late"
    assert f"PJM {day}" in event.description and "ERCOT" not in event.description

    for code in rows:
        dg.materialize(
            [forecast], partition_key=partition_key(code, day.isoformat()), instance=instance
        )
    _run_freshness(defs, instance, [key])
    assert _latest_check(instance, key).passed is True


def test_a_report_is_fresh_when_built_in_the_day_before_the_deadline(tmp_path, monkeypatch):
    """Unpartitioned reports: built in the 24 hours before the latest 23:00 UTC."""
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(default_resources(tmp_path), automate=True)
    key = dg.AssetKey(["evaluation", "load_forecast_report"])
    (report,) = _stand_ins("evaluation", ["load_forecast_report"], None)
    dg.materialize([report], instance=instance)
    built = dt.datetime.now(dt.UTC)
    due = dt.datetime.combine(built.date(), dt.time(23), dt.UTC)
    if due < built:
        due += dt.timedelta(days=1)
    monkeypatch.setattr(automation, "_clock", lambda: due + dt.timedelta(hours=1))
    _run_freshness(defs, instance, [key])
    assert _latest_check(instance, key).passed is True
    monkeypatch.setattr(automation, "_clock", lambda: due + dt.timedelta(days=1, minutes=1))
    _run_freshness(defs, instance, [key])
    assert _latest_check(instance, key).passed is False
