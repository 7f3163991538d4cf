"""The GB Carbon Intensity half-hourly publication sensor (`defs/publication_sensors.py`,
`half_hourly_sensor`): a fixed clock, the cursor carried tick to tick, and what it requests
replayed offline through the real job."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from energy_assets import automation
from energy_assets.defs.jobs import raw_schedules
from energy_assets.defs.publication_sensors import (
    CATCH_UP_DAYS,
    half_hour_slot,
    half_hourly_sensor,
    publication_sensors,
)
from energy_assets.sources.registry import PROVIDERS

UTC = dt.UTC
PROVIDER = "uk_carbon_intensity"
JOBS = {f"raw_{PROVIDER}_{f.name}_job" for f in PROVIDERS[PROVIDER]}


def _tick(sensor, cursor, monkeypatch, now: dt.datetime):
    from energy_assets.definitions import defs

    monkeypatch.setattr(automation, "_clock", lambda: now)
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(), cursor=cursor, definitions=defs
    )
    result = sensor.evaluate_tick(context)
    requests = result.run_requests or []
    return result, sorted((r.job_name, str(r.partition_key), r.run_key) for r in requests)


def _days(requested) -> list[str]:
    return sorted({key.split("|")[0] for _, key, _ in requested})


def test_half_hour_slots_are_utc():
    assert half_hour_slot(dt.datetime(2024, 7, 10, 12, 29, 59, tzinfo=UTC)) == dt.datetime(
        2024, 7, 10, 12, tzinfo=UTC
    )
    assert half_hour_slot(dt.datetime(2024, 7, 10, 12, 30, tzinfo=UTC)) == dt.datetime(
        2024, 7, 10, 12, 30, tzinfo=UTC
    )


def test_the_day_so_far_at_most_once_per_half_hour_and_each_finished_day_once(monkeypatch):
    sensor = half_hourly_sensor(PROVIDER, running=False)
    # 2024-07-10 12:10 UTC (13:10 BST): yesterday is finished, today is open
    first = dt.datetime(2024, 7, 10, 12, 10, tzinfo=UTC)
    result, requested = _tick(sensor, None, monkeypatch, first)
    assert {j for j, _, _ in requested} == JOBS
    assert _days(requested) == ["2024-07-09", "2024-07-10"]
    keys = {k for _, _, k in requested}
    assert f"{PROVIDER}_national:2024-07-09|GB" in keys  # the finished day, whole
    assert f"{PROVIDER}_national:2024-07-10|GB@2024-07-10T1200Z" in keys  # the day so far
    assert len(requested) == 2 * len(JOBS)

    # the same half-hour again, 15 minutes on: nothing (not twice within a half-hour)
    again, requested = _tick(sensor, result.cursor, monkeypatch, first + dt.timedelta(minutes=15))
    assert requested == [] and "already requested" in again.skip_message

    # the next half-hour: today once more, under a new run key; yesterday not again
    later, requested = _tick(sensor, again.cursor, monkeypatch, first + dt.timedelta(minutes=20))
    assert _days(requested) == ["2024-07-10"] and len(requested) == len(JOBS)
    assert {k.rsplit("@", 1)[1] for _, _, k in requested} == {"2024-07-10T1230Z"}

    # replaying a tick with an old cursor cannot repeat a run key: keys name the half-hour
    assert not ({k for _, _, k in requested} & keys)


def test_around_local_midnight_the_last_half_hour_is_fetched_before_the_day_is_final(
    monkeypatch,
):
    sensor = half_hourly_sensor(PROVIDER, running=False)
    # 23:10 UTC on 07-10 = 00:10 BST on 07-11: 07-10's last half-hour just ended, so 07-10 is
    # still open (with 07-11); the finished day is 07-09
    just_after = dt.datetime(2024, 7, 10, 23, 10, tzinfo=UTC)
    result, requested = _tick(sensor, None, monkeypatch, just_after)
    finished = {k.split("|")[0] for _, k, r in requested if "@" not in r}
    open_days = {k.split("|")[0] for _, k, r in requested if "@" in r}
    assert finished == {"2024-07-09"} and open_days == {"2024-07-10", "2024-07-11"}
    # 00:30 BST: 07-10 is finished, requested whole once; 07-11 open
    half_past = dt.datetime(2024, 7, 10, 23, 30, tzinfo=UTC)
    _, requested = _tick(sensor, result.cursor, monkeypatch, half_past)
    finished = {k.split("|")[0] for _, k, r in requested if "@" not in r}
    open_days = {k.split("|")[0] for _, k, r in requested if "@" in r}
    assert finished == {"2024-07-10"} and open_days == {"2024-07-11"}


def test_catches_up_finished_days_after_downtime(monkeypatch):
    sensor = half_hourly_sensor(PROVIDER, running=False)
    start = dt.datetime(2024, 7, 10, 12, 10, tzinfo=UTC)
    result, _ = _tick(sensor, None, monkeypatch, start)
    _, requested = _tick(sensor, result.cursor, monkeypatch, start + dt.timedelta(days=10))
    finished = sorted({k.split("|")[0] for _, k, r in requested if "@" not in r})
    assert (
        finished
        == [
            (dt.date(2024, 7, 19) - dt.timedelta(days=i)).isoformat() for i in range(CATCH_UP_DAYS)
        ][::-1]
    )


def test_it_replaces_the_daily_schedules_and_runs_with_automation():
    assert not [s for s in raw_schedules(running=True) if PROVIDER in s.name]
    sensors = {s.name: s for s in publication_sensors(running=True)}
    sensor = sensors[f"{PROVIDER}_publication_sensor"]
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds <= 30 * 60


def test_a_requested_day_replays_offline(recordings, datasets, monkeypatch, tmp_path):
    """What the sensor requests for the day so far runs offline: the national feed's 2023 file
    (the replay transport) serves 2023-03-14."""
    from energy_assets.definitions import build_definitions
    from energy_assets.defs_support.resources import default_resources
    from energy_assets.recorded_runs import execute_recorded
    from energy_assets.runner import QUIET

    monkeypatch.setenv("ENERGY_ASSETS_DATASETS", str(datasets))
    defs = build_definitions(default_resources(tmp_path, recordings, "replay"))
    instance = dg.DagsterInstance.ephemeral()
    sensor = half_hourly_sensor(PROVIDER, running=False)
    monkeypatch.setattr(automation, "_clock", lambda: dt.datetime(2023, 3, 14, 12, 5, tzinfo=UTC))
    context = dg.build_sensor_context(instance=instance, definitions=defs)
    result = sensor.evaluate_tick(context)
    (request,) = [
        r
        for r in result.run_requests
        if r.job_name == f"raw_{PROVIDER}_national_job" and "@" in r.run_key
    ]
    assert str(request.partition_key) == "2023-03-14|GB"
    key = request.partition_key
    run = execute_recorded(
        defs.resolve_job_def(request.job_name),
        instance,
        partition_range=(key, key),
        run_config=QUIET,
    )
    assert run.success
