"""The ISOs' own feeds in the graph (issue 11): raw assets of the regions that serve them, their
publication times, the harmonized `harmonized/lmp_hourly` and `harmonized/operator_forecasts`
(`defs/iso.py`, `harmonize/iso.py`), materialized offline from the recordings through the real
jobs; missing days fail or warn naming provider, URL and partition."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from energy_assets import automation
from energy_assets.defs import iso as iso_defs
from energy_assets.defs.raw import RAW_ASSETS, raw_key
from energy_assets.harmonize import iso
from energy_assets.regions import regions_served_by
from energy_assets.schemas.iso import LmpHourly, OperatorForecasts
from energy_assets.sources.registry import FEEDS, ISO_PROVIDERS

UTC = dt.UTC


def test_every_iso_feed_is_a_raw_asset_of_the_regions_that_serve_it():
    keys = {a.key for a in RAW_ASSETS}
    for provider, feeds in ISO_PROVIDERS.items():
        assert regions_served_by(provider, "iso"), provider
        assert automation.publication(provider) is not None
        for feed in feeds:
            assert feed in FEEDS
            assert raw_key(provider, feed.name) in keys
    assert regions_served_by("spp") == ["SPP"]
    assert regions_served_by("caiso_oasis") == ["CAISO"]


def test_ercot_as_reports_are_fetched_two_days_after_their_day():
    own = automation.publication("ercot", "as_reports")
    assert own.day_offset == -2 and own.deadline.days_after == 2
    assert automation.publication("ercot", "load_forecast") is automation.PUBLICATION["ercot"]
    assert automation.publication("miso", "wind_solar_forecast").day_offset == 0


def _hours(start: dt.datetime, n: int, step_min: int) -> list[dt.datetime]:
    return [start + dt.timedelta(minutes=step_min * i) for i in range(n)]


def _raw_lmp(market: str, stamps, prices, component="LMP", node="HUB") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "interval_start_utc": pl.Series(stamps, dtype=pl.Datetime("us", "UTC")),
            "node": [node] * len(stamps),
            "market": [market] * len(stamps),
            "lmp_component": [component] * len(stamps),
            "price_usd_per_mwh": prices,
        }
    )


def test_real_time_prices_are_averaged_to_the_hour_never_summed():
    start = dt.datetime(2025, 3, 19, 5, tzinfo=UTC)
    rt = pl.concat(
        [
            _raw_lmp("real_time", _hours(start, 24, 5), [float(i) for i in range(24)]),
            _raw_lmp("real_time", _hours(start, 24, 5), [999.0] * 24, component="MCC"),
        ]
    )
    da = _raw_lmp("day_ahead", _hours(start, 2, 60), [30.0, 40.0])
    out = iso.lmp_hourly(
        "SPP", dt.date(2025, 3, 19), {("spp", "lmp_real_time"): rt, ("spp", "lmp_day_ahead"): da}
    )
    LmpHourly.validate(out)
    real = out.filter(pl.col("market") == "real_time").sort("interval_start_utc")
    assert real["price_usd_per_mwh"].to_list() == [5.5, 17.5]  # means of 0..11 and 12..23
    assert real["intervals"].to_list() == [12, 12]
    ahead = out.filter(pl.col("market") == "day_ahead")
    assert ahead["price_usd_per_mwh"].to_list() == [30.0, 40.0]
    assert set(out["currency"]) == {"USD"}
    assert set(out["source_feed"]) == {"raw/spp_lmp_real_time", "raw/spp_lmp_day_ahead"}


def test_forecast_vintages_keep_their_issue_time_or_name_their_vintage():
    start = dt.datetime(2025, 2, 20, 8, tzinfo=UTC)
    caiso = pl.DataFrame(
        {
            "interval_start_utc": pl.Series(_hours(start, 8, 15), dtype=pl.Datetime("us", "UTC")),
            "tac_area": ["CA ISO-TAC"] * 8,
            "market_run": ["RTM"] * 4 + ["DAM"] * 4,
            "data_item": ["SYS_FCST_15MIN_MW"] * 4 + ["SYS_FCST_DA_MW"] * 4,
            "load_mw": [100.0, 200.0, 300.0, 400.0, 10.0, 10.0, 10.0, 10.0],
        }
    )
    miso = pl.DataFrame(
        {
            "interval_start_utc": pl.Series(_hours(start, 2, 60), dtype=pl.Datetime("us", "UTC")),
            "issued_at_utc": pl.Series([start] * 2, dtype=pl.Datetime("us", "UTC")),
            "fuel": ["wind", "solar"],
            "generation_mw": [5.0, 6.0],
        }
    )
    out = iso.operator_forecasts(
        "CAISO",
        dt.date(2025, 2, 20),
        {("caiso_oasis", "load_forecast"): caiso, ("miso", "wind_solar_forecast"): miso},
    )
    OperatorForecasts.validate(out)
    rtm = out.filter(pl.col("vintage") == "RTM")
    assert rtm["mw"].to_list() == [250.0] and rtm["intervals"].to_list() == [4]
    assert out.filter(pl.col("vintage") == "DAM")["mw"].to_list() == [10.0]
    assert out.filter(pl.col("provider") == "miso")["issued_at_utc"].to_list() == [start] * 2
    assert set(out["forecast_kind"]) == {"load", "wind", "solar"}


# --- offline, through the real jobs -----------------------------------------------------------


@pytest.fixture
def offline(recordings, tmp_path):
    from energy_assets.definitions import build_definitions
    from energy_assets.defs_support.resources import default_resources

    defs = build_definitions(default_resources(tmp_path, recordings, "replay"))
    return defs, dg.DagsterInstance.ephemeral()


def _run(defs, instance, job: str, region: str, day: str):
    from energy_assets.partitions import partition_key
    from energy_assets.recorded_runs import execute_recorded
    from energy_assets.runner import QUIET

    key = partition_key(region, day)
    return execute_recorded(
        defs.resolve_job_def(job), instance, partition_range=(key, key), run_config=QUIET
    )


def test_spp_day_ahead_lmp_day_materializes_offline_raw_then_hourly(offline, tmp_path):
    """SPP's 2025-03-19 day-ahead file (recorded, served by its replay route) through
    `raw_spp_lmp_day_ahead_job`, then `iso_prices_job`: 1,234 settlement locations x 24 hours.
    The real-time file of the day is not recorded: the table is built from the day-ahead prices
    and the completeness check warns, naming the missing feed, its URL and the partition."""
    from energy_assets.warehouse import Warehouse

    defs, instance = offline
    raw = _run(defs, instance, "raw_spp_lmp_day_ahead_job", "SPP", "2025-03-19")
    assert raw.success
    assert all(c.passed for c in raw.get_asset_check_evaluations())
    hourly = _run(defs, instance, "iso_prices_job", "SPP", "2025-03-19")
    assert hourly.success
    checks = {c.check_name: c for c in hourly.get_asset_check_evaluations()}
    assert checks["schema"].passed
    warn = checks["completeness"]
    assert not warn.passed and warn.severity == dg.AssetCheckSeverity.WARN
    missing = " ".join(warn.metadata["feeds_missing"].value)
    assert "raw/spp_lmp_real_time" in missing and "RTBM-LMP-DAILY-SL-20250319.csv" in missing
    assert "2025-03-19|SPP" in warn.description
    rows = Warehouse(tmp_path / "warehouse").query(
        "select market, count(distinct node) as nodes, count(*) as n, min(intervals) as k,"
        " min(currency) as currency from harmonized.lmp_hourly group by 1"
    )
    assert rows.to_dicts() == [
        {"market": "day_ahead", "nodes": 1234, "n": 1234 * 24, "k": 1, "currency": "USD"}
    ]


def test_isone_forecast_vintages_materialize_offline(offline, tmp_path):
    """ISO-NE's recorded system load forecast of 2024-03-10 (spring forward: 23 hours, 6
    vintages) through its raw job and `iso_forecasts_job`: every vintage with its issue time,
    the load and net-load series."""
    from energy_assets.warehouse import Warehouse

    defs, instance = offline
    assert _run(defs, instance, "raw_isone_load_forecast_job", "ISONE", "2024-03-10").success
    result = _run(defs, instance, "iso_forecasts_job", "ISONE", "2024-03-10")
    assert result.success
    rows = Warehouse(tmp_path / "warehouse").query(
        "select measure, count(distinct issued_at_utc) as vintages, count(*) as n,"
        " count(vintage) as named from harmonized.operator_forecasts group by 1 order by 1"
    )
    assert rows.to_dicts() == [
        {"measure": "load", "vintages": 6, "n": 6 * 23, "named": 0},
        {"measure": "net_load", "vintages": 6, "n": 6 * 23, "named": 0},
    ]


def test_a_day_with_no_raw_feed_stored_fails_naming_feeds_urls_and_partition(offline):
    from energy_assets.runner import _failure

    defs, instance = offline
    result = _run(defs, instance, "iso_prices_job", "PJM", "2026-06-09")
    assert not result.success
    message = " ".join(_failure(result)[0])
    assert "2026-06-09|PJM" in message
    assert (
        "raw/pjm_lmp_day_ahead" in message and "https://api.pjm.com/api/v1/da_hrl_lmps" in message
    )
    assert "raw_pjm_lmp_day_ahead_job" in message


def test_iso_tables_have_their_own_partitions_and_jobs():
    assert iso_defs.LMP_REGIONS == ["CAISO", "PJM", "NYISO", "SPP"]
    assert iso_defs.FORECAST_REGIONS == ["CAISO", "ERCOT", "PJM", "NYISO", "ISONE", "MISO", "GB"]
    from energy_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    assert graph.get(iso_defs.LMP_KEY).group_name == "iso"
    # the epftoolbox price table is untouched
    assert graph.get(dg.AssetKey(["harmonized", "prices"])).group_name == "prices"


# --- one publication sensor per ISO provider (defs/publication_sensors.py) --------------------


def _tick(sensor, instance, cursor, monkeypatch, now: dt.datetime):
    from energy_assets.definitions import defs

    monkeypatch.setattr(automation, "_clock", lambda: now)
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    result = sensor.evaluate_tick(context)
    return result, [(r.job_name, r.partition_key) for r in result.run_requests or []]


def test_spp_sensor_requests_each_published_day_once_and_catches_up(monkeypatch):
    from energy_assets.defs.publication_sensors import CATCH_UP_DAYS, publication_sensor

    sensor = publication_sensor("spp", running=False)
    instance = dg.DagsterInstance.ephemeral()
    # the LMP feeds (the tie flows start 2026-03-25, their first day: none requested before)
    jobs = {"raw_spp_lmp_day_ahead_job", "raw_spp_lmp_real_time_job"}
    # 2025-03-20 02:59 Chicago: SPP's 03:00 publication of 03-19 has not passed yet
    before = dt.datetime(2025, 3, 20, 7, 59, tzinfo=UTC)
    result, requested = _tick(sensor, instance, None, monkeypatch, before)
    assert {j for j, _ in requested} == jobs
    assert {str(k) for _, k in requested} == {"2025-03-18|SPP"}
    # 03:00 Chicago (08:00 UTC, CDT): 2025-03-19 is published, requested once per feed
    after = dt.datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
    result, requested = _tick(sensor, instance, result.cursor, monkeypatch, after)
    assert sorted(requested) == sorted(
        (j, dg.MultiPartitionKey({"date": "2025-03-19", "region": "SPP"})) for j in jobs
    )
    # the same tick again: nothing new, nothing twice
    again, requested = _tick(sensor, instance, result.cursor, monkeypatch, after)
    assert requested == [] and again.skip_message.startswith("no new market day")
    # the daemon down for 10 days: the last CATCH_UP_DAYS days, each once, per feed
    later = after + dt.timedelta(days=10)
    result, requested = _tick(sensor, instance, again.cursor, monkeypatch, later)
    days = sorted({k.keys_by_dimension["date"] for _, k in requested})
    assert (
        days
        == [
            (dt.date(2025, 3, 29) - dt.timedelta(days=i)).isoformat() for i in range(CATCH_UP_DAYS)
        ][::-1]
    )
    assert len(requested) == CATCH_UP_DAYS * len(jobs)
    assert all(
        r.run_key == f"{r.job_name.removeprefix('raw_').removesuffix('_job')}:{r.partition_key}"
        for r in result.run_requests
    )


def test_ercot_sensor_fetches_as_reports_two_days_back_and_forecasts_yesterday(monkeypatch):
    from energy_assets.defs.publication_sensors import publication_sensor

    sensor = publication_sensor("ercot", running=False)
    now = dt.datetime(2024, 11, 5, 13, 0, tzinfo=UTC)  # 07:00 Central
    _, requested = _tick(sensor, dg.DagsterInstance.ephemeral(), None, monkeypatch, now)
    by_job = {j: k.keys_by_dimension["date"] for j, k in requested}
    assert by_job["raw_ercot_as_reports_job"] == "2024-11-03"
    assert by_job["raw_ercot_load_forecast_job"] == "2024-11-04"


def test_miso_sensor_fetches_the_same_day(monkeypatch):
    from energy_assets.defs.publication_sensors import publication_sensor

    sensor = publication_sensor("miso", running=False)
    early = dt.datetime(2025, 6, 2, 0, 59, tzinfo=UTC)  # 19:59 EST on 06-01
    _, requested = _tick(sensor, dg.DagsterInstance.ephemeral(), None, monkeypatch, early)
    assert [k.keys_by_dimension["date"] for _, k in requested] == ["2025-05-31"]
    late = dt.datetime(2025, 6, 2, 1, 0, tzinfo=UTC)  # 20:00 EST on 06-01
    _, requested = _tick(sensor, dg.DagsterInstance.ephemeral(), None, monkeypatch, late)
    assert [k.keys_by_dimension["date"] for _, k in requested] == ["2025-06-01"]


def test_a_sensor_request_replays_offline(offline, monkeypatch, tmp_path):
    """What the SPP sensor requests for 2025-03-19 runs offline: the day-ahead job succeeds
    from the recording (the real-time file of that day is not recorded)."""
    from energy_assets.defs.publication_sensors import publication_sensor
    from energy_assets.recorded_runs import execute_recorded
    from energy_assets.runner import QUIET

    defs, instance = offline
    sensor = publication_sensor("spp", running=False)
    now = dt.datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
    result, _ = _tick(sensor, instance, None, monkeypatch, now)
    (request,) = [r for r in result.run_requests if r.job_name == "raw_spp_lmp_day_ahead_job"]
    key = request.partition_key
    run = execute_recorded(
        defs.resolve_job_def(request.job_name),
        instance,
        partition_range=(key, key),
        run_config=QUIET,
    )
    assert run.success


def test_iso_tables_read_their_feeds_same_region_same_day():
    """To Dagster each table depends on its raw feeds' same region and day only (a backfill of
    days X..Y builds exactly X..Y), and each region only on the feeds its providers publish."""
    from energy_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    for key in (iso_defs.LMP_KEY, iso_defs.FORECASTS_KEY):
        child = graph.get(key).partitions_def
        for parent in graph.get(key).parent_keys:
            parent_def = graph.get(parent).partitions_def
            (code,) = parent_def.get_partitions_def_for_dimension("region").get_partition_keys()
            probe = f"2025-06-05|{code}"
            upstream = (
                graph.get_partition_mapping(key, parent)
                .get_upstream_mapped_partitions_result_for_partitions(
                    child.subset_with_partition_keys([probe]), child, parent_def
                )
                .partitions_subset
            )
            assert sorted(upstream.get_partition_keys()) == [probe], (key, parent)
            for other in child.get_partitions_def_for_dimension("region").get_partition_keys():
                if other != code:
                    elsewhere = child.subset_with_partition_keys([f"2025-06-05|{other}"])
                    mapped = graph.get_partition_mapping(key, parent)
                    result = mapped.get_upstream_mapped_partitions_result_for_partitions(
                        elsewhere, child, parent_def
                    )
                    assert not list(result.partitions_subset.get_partition_keys()), (key, parent)


def test_the_spp_portal_url_replays_from_the_recorded_file(recordings):
    from energy_assets.sources import replay, spp

    hit = replay.resolve_replay(recordings, spp.da_lmp_url(dt.date(2025, 3, 19)))
    assert hit is not None and hit.source == "route"
    assert hit.path == recordings / "electricitymaps" / "US_SPP" / "DA-LMP-SL-202503190100.csv"
    assert replay.resolve_replay(recordings, spp.da_lmp_url(dt.date(2025, 3, 20))) is None
