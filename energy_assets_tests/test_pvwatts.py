"""NREL PVWatts: the typical-year PV profile, the asset that stores it per region, and the VPP
fleet that reads it (`pv_source: pvwatts`).

Evidence: the one PVWatts recording, the calculator's hourly export for Denver CO
(`recordings/pvlib/pvwatts_8760_rackmount.csv`). No PVWatts v8 JSON response is recorded
anywhere in the shared recordings, so the v8 tests use `v8_fixture`: a FIXTURE written by hand
from the provider's documented response format (developer.nrel.gov/docs/solar/pvwatts/v8/:
`errors`, `warnings`, `station_info` with `lat`, `lon`, `tz`, `outputs.ac` of 8760 W with
`timeframe=hourly`), with only the fields the parser reads and a made-up sine-shaped day. It is
not a recording and proves only that the parser reads that documented shape.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs

import dagster as dg
import httpx
import numpy as np
import polars as pl
import pytest
from dagster._core.remote_representation.external_data import (
    RepositorySnap,
    ResourceConfigEnvVarSnap,
)
from dagster._serdes import serialize_value

from energy_assets.definitions import build_definitions
from energy_assets.defs import solar
from energy_assets.defs.dispatch import FleetConfig
from energy_assets.defs.solar import PvSource
from energy_assets.defs_support.resources import HttpResource, default_resources
from energy_assets.evaluation import price_dispatch
from energy_assets.evaluation.dispatch_value import _with_planned_pv, fleet_value
from energy_assets.optimize.day_problems import SLOT_MINUTES, fleet_day_problem, slot_signal
from energy_assets.optimize.fleet import home_schedule_rows, solve_fleet
from energy_assets.optimize.fleet_profiles import (
    day_slot_starts,
    household_path,
    load_household_year,
    pv_from_typical_year,
)
from energy_assets.partitions import partition_key
from energy_assets.regions import region
from energy_assets.schemas.dispatch import VppFleetDispatch
from energy_assets.schemas.solar import PvProfile
from energy_assets.sources import pvwatts, replay
from energy_assets.sources.errors import FetchError, PayloadError
from energy_assets.sources.http_client import HttpClient
from energy_assets.warehouse import TableName, Warehouse

LA = (34.05, -118.24)  # CAISO's site: its first weather point
SECRET = "nrel-s3cret-Key-42"


def export_body(recordings) -> bytes:
    return (recordings / pvwatts.RECORDED_EXPORT).read_bytes()


def v8_fixture(
    lat: float = LA[0], lon: float = LA[1], tz: float = -8.0, peak_w: float = 700.0, **extra
) -> bytes:
    """A hand-written v8 response (see the module docstring): NOT a recording."""
    day = [peak_w * max(0.0, math.sin(math.pi * (h - 6) / 12)) for h in range(24)]
    body = {
        "errors": [],
        "warnings": [],
        "station_info": {"lat": lat, "lon": lon, "tz": tz},
        "outputs": {"ac": day * 365},
        **extra,
    }
    return json.dumps(body).encode()


# --- the recorded calculator export -------------------------------------------------------------


def test_the_recorded_export_is_a_typical_year_matching_its_header(recordings):
    year = pvwatts.read_calculator_export(export_body(recordings), -7)
    frame = year.frame
    assert frame.height == 8760
    assert frame["hour_of_year"].to_list() == list(range(8760))
    assert (year.latitude_deg, year.longitude_deg) == (39.73, -105.18)  # 105.18 W
    assert year.system_capacity_kw == 4.0
    assert year.source == pvwatts.SOURCE_EXPORT
    # annual energy / (4 kW x 8760 h) is the header's capacity factor, 17.2 %, to its rounding
    assert year.capacity_factor_pct == 17.2
    assert round(100 * year.capacity_factor, 1) == 17.2
    # and the rows add up to the export's own Totals row (6,023,671.24 W over the hours)
    total_w = float(export_body(recordings).decode().splitlines()[-1].split(",")[-1])
    assert frame["pv_kw_per_kw"].sum() * 4000 == pytest.approx(total_w, rel=1e-9)
    # per kW DC: the 1.2 DC/AC ratio caps the output at 1/1.2 kW per kW
    assert 0.8 < frame["pv_kw_per_kw"].max() <= 1 / 1.2 + 1e-6
    assert frame.filter(pl.col("month") == 1, pl.col("day_of_month") == 1)[
        "pv_kw_per_kw"
    ].to_list()[8] == pytest.approx(6.222 / 4000)  # Jan 1, hour 8: 6.222 W


def test_the_recorded_hours_are_local_standard_time(recordings):
    """Denver sits on its standard meridian (105 W): on standard time the daylight hours of the
    mean day are centred on noon in winter and in summer alike (on a DST clock the summer ones
    would centre on 13:00). The peak hour itself is weather (summer afternoon storms), not sun."""
    frame = pvwatts.read_calculator_export(export_body(recordings), -7).frame
    for months in ([12, 1, 2], [6, 7, 8]):
        mean_day = (
            frame.filter(pl.col("month").is_in(months))
            .group_by("hour_local_standard")
            .agg(pl.col("pv_kw_per_kw").mean())
        )
        lit = mean_day.filter(pl.col("pv_kw_per_kw") > 0.01 * mean_day["pv_kw_per_kw"].max())
        first, last = lit["hour_local_standard"].min(), lit["hour_local_standard"].max()
        assert (first + last + 1) / 2 == 12, (months, first, last)
    night = frame.filter(pl.col("hour_local_standard").is_in([0, 1, 2, 3, 22, 23]))
    assert night["pv_kw_per_kw"].max() == 0


@pytest.mark.parametrize(
    ("mangle", "match"),
    [
        (lambda b: b"", "empty body"),
        (lambda b: b"<!DOCTYPE html><html><body>Down</body></html>", "HTML"),
        (lambda b: b[: len(b) // 2], "hourly rows, expected 8760"),
        (lambda b: b.replace(b"AC System Output (W)", b"AC (W)"), "AC System Output"),
        (lambda b: b.replace(b"DC System Size (kW):,4", b"DC System Size (kW):,four"), "four"),
    ],
    ids=["empty", "html", "truncated", "no-ac-column", "bad-size"],
)
def test_a_broken_export_is_a_clear_payload_error(recordings, mangle, match):
    with pytest.raises(PayloadError, match=match):
        pvwatts.read_calculator_export(mangle(export_body(recordings)), -7)


def test_the_pvgis_recording_is_not_a_typical_year(recordings):
    """Why PVGIS is not parsed into this profile: the recorded seriescalc answer is a UTC series
    of named years (2013-2014) for a two-axis tracker, cut to 10 hours, not 8760 typical hours."""
    name = "pvgis_hourly_Timeseries_45.000_8.000_SA2_10kWp_CIS_5_2a_2013_2014.json"
    data = json.loads((recordings / "pvlib" / name).read_bytes())
    hourly = data["outputs"]["hourly"]
    assert len(hourly) == 10 and hourly[0]["time"] == "20130101:0010"
    assert "two_axis" in data["inputs"]["mounting_system"]


# --- the v8 JSON (a fixture from the documented format) -----------------------------------------


def test_the_documented_v8_shape_parses_to_kw_per_kw_on_the_station_clock():
    year = pvwatts.parse_v8(v8_fixture(peak_w=700.0), system_capacity_kw=1.0, requested=LA)
    assert year.frame.height == 8760
    assert year.utc_offset_h == -8.0
    assert year.source == pvwatts.SOURCE_V8
    noon = year.frame.filter(pl.col("hour_local_standard") == 12)["pv_kw_per_kw"]
    assert noon.to_list() == [pytest.approx(0.7)] * 365
    # a 4 kW request is divided by 4
    four = pvwatts.parse_v8(v8_fixture(peak_w=2800.0), system_capacity_kw=4.0)
    assert four.frame["pv_kw_per_kw"].max() == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (json.dumps({"errors": ["lat must be between -90 and 90"]}).encode(), "lat must be"),
        (json.dumps({"errors": [], "outputs": {"ac_annual": 1.0}}).encode(), "no outputs.ac"),
        (v8_fixture().replace(b'"ac": [', b'"ac": [1.0, '), "8761 values, expected 8760"),
        (v8_fixture().replace(b'"tz": -8.0', b'"tz": null'), "tz"),
        (v8_fixture(lat=45.0), "more than 1.0 degrees"),
        (b"<html><head><title>503</title></head></html>", "HTML"),
        (b'{"errors": [], "outputs": {"ac": [0.0, ', "not valid JSON"),
    ],
    ids=["errors-list", "no-hourly", "wrong-length", "no-clock", "far-station", "html", "cut"],
)
def test_a_bad_v8_response_is_a_clear_payload_error(body, match):
    with pytest.raises(PayloadError, match=match):
        pvwatts.parse_v8(body, system_capacity_kw=1.0, requested=LA)


def test_the_request_url_has_the_documented_parameters_and_no_key():
    url = pvwatts.api_url(*LA)
    query = parse_qs(url.split("?", 1)[1])
    assert url.startswith("https://developer.nrel.gov/api/pvwatts/v8.json?")
    assert {k: v[0] for k, v in query.items()} == {
        "system_capacity": "1",
        "module_type": "0",
        "losses": "14.08",
        "array_type": "1",
        "tilt": "20",
        "azimuth": "180",
        "lat": "34.05",
        "lon": "-118.24",
        "timeframe": "hourly",
        "dataset": "nsrdb",
    }
    assert "api_key" not in url


# --- the key: sent, never kept --------------------------------------------------------------


def _client(handler, mode="live", recordings_dir=None) -> HttpClient:
    return HttpClient(
        mode=mode,
        recordings_dir=recordings_dir,
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
        max_retries=0,
    )


def test_the_key_is_sent_and_never_kept(tmp_path, caplog):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.extend(parse_qs(request.url.query.decode()).get("api_key", []))
        return httpx.Response(200, content=v8_fixture())

    caplog.set_level(logging.DEBUG)
    with _client(handler, mode="record", recordings_dir=tmp_path) as client:
        payload = pvwatts.fetch_typical_year(client, *LA, SECRET)
    assert seen == [SECRET]
    assert SECRET not in payload.url and "api_key" not in payload.url
    assert payload.url == pvwatts.api_url(*LA)
    recorded = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert recorded and not any(SECRET.encode() in b for b in recorded)
    assert SECRET not in caplog.text


def test_an_error_answer_names_the_provider_and_the_url_without_the_key(caplog):
    def handler(request: httpx.Request) -> httpx.Response:  # the API echoing what it was sent
        return httpx.Response(422, json={"errors": [f"bad request {request.url}"]})

    with _client(handler) as client, pytest.raises(FetchError) as raised:
        pvwatts.fetch_typical_year(client, *LA, SECRET)
    message = str(raised.value)
    assert message.startswith("pvwatts:") and "HTTP 422" in message
    assert pvwatts.api_url(*LA) in message
    assert SECRET not in message and SECRET not in caplog.text


def test_live_without_a_key_names_the_variable(monkeypatch):
    monkeypatch.delenv(pvwatts.API_KEY_ENV, raising=False)
    with pytest.raises(pvwatts.MissingApiKeyError, match="NREL_API_KEY"):
        pvwatts.api_key_from_env()
    with (
        _client(lambda r: httpx.Response(200)) as client,
        pytest.raises(pvwatts.MissingApiKeyError, match="NREL_API_KEY"),
    ):
        pvwatts.fetch_typical_year(client, *LA, None)


# --- the day's slots from a typical year -------------------------------------------------------


def _profile(recordings) -> pvwatts.TypicalYear:
    return pvwatts.read_calculator_export(export_body(recordings), -7)


def test_a_summer_day_keeps_the_sun_where_it_is_and_its_energy(recordings):
    """On the profile's own clock (UTC-7, standard time) a summer day in Denver (MDT, UTC-6):
    the day's energy is the typical day's, and the peak stands an hour later on the wall clock
    than on standard time."""
    year = _profile(recordings)
    values = year.frame["pv_kw_per_kw"].to_numpy()
    slots = day_slot_starts(dt.date(2021, 6, 15), "America/Denver", SLOT_MINUTES)
    pv = pv_from_typical_year(values, -7.0, slots, SLOT_MINUTES)
    assert len(pv) == 96
    june15 = year.frame.filter(pl.col("month") == 6, pl.col("day_of_month") == 15)
    assert pv.sum() * 0.25 == pytest.approx(june15["pv_kw_per_kw"].sum())  # nights are 0
    peak_wall = slots[int(np.argmax(pv))].astimezone(dt.timezone(dt.timedelta(hours=-6)))
    peak_lst = int(june15.sort("pv_kw_per_kw")["hour_local_standard"][-1])
    assert peak_wall.hour == peak_lst + 1


@pytest.mark.parametrize(
    ("day", "slots"), [(dt.date(2021, 3, 14), 92), (dt.date(2021, 11, 7), 100)]
)
def test_dst_days_get_their_23_or_25_hours_of_the_typical_day(recordings, day, slots):
    year = _profile(recordings)
    starts = day_slot_starts(day, "America/Denver", SLOT_MINUTES)
    pv = pv_from_typical_year(year.frame["pv_kw_per_kw"].to_numpy(), -7.0, starts)
    assert len(pv) == slots
    same_day = year.frame.filter(pl.col("month") == day.month, pl.col("day_of_month") == day.day)
    assert pv.sum() * 0.25 == pytest.approx(same_day["pv_kw_per_kw"].sum())


def test_a_leap_day_reads_feb_28(recordings):
    values = _profile(recordings).frame["pv_kw_per_kw"].to_numpy()
    leap = pv_from_typical_year(values, -7.0, day_slot_starts(dt.date(2020, 2, 29), "Etc/GMT+7"))
    feb28 = pv_from_typical_year(values, -7.0, day_slot_starts(dt.date(2021, 2, 28), "Etc/GMT+7"))
    np.testing.assert_array_equal(leap, feb28)


# --- the asset --------------------------------------------------------------------------------


def _materialize_profile(resources, code="CAISO", raise_on_error=True):
    return dg.materialize(
        [solar.pv_profile],
        partition_key=code,
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=raise_on_error,
    )


def _stored_profile(data, code="CAISO") -> pl.DataFrame:
    frame, missing = Warehouse(data / "warehouse").read(
        TableName("harmonized", "pv_profile"), [{"key": code}]
    )
    assert not missing
    return frame


def test_offline_every_region_gets_the_recorded_denver_profile_labelled_a_proxy(
    recordings, tmp_path
):
    data = tmp_path / "data"
    result = _materialize_profile(default_resources(data, recordings, "replay"))
    assert result.success
    frame = _stored_profile(data)
    PvProfile.validate(frame)
    assert frame.height == 8760
    row = frame.row(0, named=True)
    assert row["location_proxy"] is True
    assert (row["site_latitude_deg"], row["site_longitude_deg"]) == LA
    assert (row["profile_latitude_deg"], row["profile_longitude_deg"]) == (39.73, -105.18)
    assert row["source_url"] == f"recordings:{pvwatts.RECORDED_EXPORT}"
    assert row["profile_source"] == pvwatts.SOURCE_EXPORT
    # Denver's standard clock moved by the longitude difference: noon stays noon in LA
    assert row["utc_offset_h"] == pytest.approx(-7 + (LA[1] + 105.18) / 15)
    blob = next((data / "raw_archive" / "pvwatts").rglob(f"{row['payload_sha256']}.body"))
    assert blob.read_bytes() == export_body(recordings)
    materialization = result.asset_materializations_for_node("harmonized__pv_profile")[0]
    assert materialization.metadata["location_proxy"].value is True
    assert materialization.metadata["capacity_factor_pct"].value == pytest.approx(17.19, abs=0.01)


def test_offline_a_recorded_v8_response_for_the_site_is_used(tmp_path):
    recordings = tmp_path / "recordings"
    replay.write_recording(
        recordings,
        pvwatts.api_url(*LA),
        v8_fixture(),
        status=200,
        content_type="application/json",
        fetched_at="2026-11-29T00:00:00+00:00",
    )
    data = tmp_path / "data"
    assert _materialize_profile(default_resources(data, recordings, "replay")).success
    row = _stored_profile(data).row(0, named=True)
    assert row["location_proxy"] is False
    assert row["profile_source"] == pvwatts.SOURCE_V8
    assert row["utc_offset_h"] == -8.0
    assert row["source_url"] == pvwatts.api_url(*LA)


def test_a_bad_recorded_response_fails_naming_provider_url_and_location(tmp_path):
    recordings = tmp_path / "recordings"
    replay.write_recording(
        recordings,
        pvwatts.api_url(*LA),
        json.dumps({"errors": ["azimuth must be < 360"], "outputs": {}}).encode(),
        status=200,
        content_type="application/json",
        fetched_at="2026-11-29T00:00:00+00:00",
    )
    data = tmp_path / "data"
    result = _materialize_profile(
        default_resources(data, recordings, "replay"), raise_on_error=False
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith("pvwatts payload for partition CAISO (site 34.05, -118.24)")
    assert "azimuth must be < 360" in message and pvwatts.api_url(*LA) in message
    assert not (data / "warehouse" / "harmonized" / "pv_profile").exists()


class _MockedHttp(HttpResource):
    """The `http` resource with a mock transport standing in for PVWatts."""

    @contextmanager
    def client(self) -> Iterator[HttpClient]:
        def handler(request: httpx.Request) -> httpx.Response:
            assert parse_qs(request.url.query.decode())["api_key"] == [SECRET]
            return httpx.Response(200, content=v8_fixture())

        with _client(handler) as client:
            yield client


def test_a_live_run_uses_the_resource_key_and_stores_it_nowhere(monkeypatch, tmp_path):
    monkeypatch.setenv(pvwatts.API_KEY_ENV, SECRET)
    data = tmp_path / "data"
    resources = default_resources(data, transport="live")
    assert resources["http"].nrel_api_key == dg.EnvVar(pvwatts.API_KEY_ENV)
    resources["http"] = _MockedHttp(transport="live", nrel_api_key=dg.EnvVar("NREL_API_KEY"))
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [solar.pv_profile], partition_key="CAISO", resources=resources, instance=instance
    )
    assert result.success
    assert _stored_profile(data)["location_proxy"].to_list() == [False] * 8760
    assert SECRET not in serialize_value(instance.all_logs(result.dagster_run.run_id))
    for path in (data / "raw_archive").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET.encode() not in (next((data / "warehouse").rglob("data.parquet")).read_bytes())


def test_the_profile_is_partitioned_by_region_and_left_out_of_the_grid_jobs(tmp_path):
    defs = build_definitions(default_resources(tmp_path))
    graph = defs.resolve_asset_graph()
    node = graph.get(solar.PV_PROFILE)
    assert node.group_name == "solar"
    assert (
        node.partitions_def.get_partition_keys() == [code for code in solar.PV_REGIONS]
        and "CAISO" in solar.PV_REGIONS
        and "GB" in solar.PV_REGIONS
    )
    assert node.automation_condition is None
    assert solar.PV_PROFILE in set(
        defs.resolve_job_def("pv_profile_job").asset_layer.executable_asset_keys
    )
    assert solar.PV_PROFILE not in set(
        defs.resolve_job_def("ingest_job").asset_layer.executable_asset_keys
    )
    # the fleet reads it from the warehouse when asked: no declared dependency
    assert (
        solar.PV_PROFILE
        not in graph.get(dg.AssetKey(["dispatch", "vpp_fleet_dispatch"])).parent_keys
    )


# --- the fleet ---------------------------------------------------------------------------------

DAY = dt.date(2020, 7, 1)
FLEET = dg.AssetKey(["dispatch", "vpp_fleet_dispatch"])


def _carbon_day(code: str, day: dt.date) -> pl.DataFrame:
    hours = day_slot_starts(day, region(code).timezone, 60)
    intensity = [250 + 100 * math.cos(2 * math.pi * (h - 14) / 24) for h in range(len(hours))]
    return pl.DataFrame(
        {
            "region": code,
            "market_date": day,
            "interval_start_utc": hours,
            "carbon_p10_gco2_per_kwh": [v - 30 for v in intensity],
            "carbon_p50_gco2_per_kwh": intensity,
            "carbon_p90_gco2_per_kwh": [v + 30 for v in intensity],
        },
        schema_overrides={"interval_start_utc": pl.Datetime("us", "UTC")},
    )


def _run_fleet(defs, instance, config: dict, raise_on_error=True) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        list(defs.assets),
        selection=[FLEET],
        partition_key=str(partition_key("CAISO", DAY)),
        resources=defs.resources,
        instance=instance,
        run_config={"ops": {"dispatch__vpp_fleet_dispatch": {"config": config}}},
        raise_on_error=raise_on_error,
    )


def _fleet_rows(defs, instance, config: dict) -> tuple[pl.DataFrame, dict]:
    result = _run_fleet(defs, instance, config)
    metadata = result.asset_materializations_for_node("dispatch__vpp_fleet_dispatch")[0].metadata
    frame, _ = Warehouse(defs.resources["warehouse"].root).read(
        TableName("dispatch", "vpp_fleet_dispatch"), [{"region": "CAISO", "date": DAY.isoformat()}]
    )
    return frame, {k: v.value for k, v in metadata.items()}


def test_the_fleet_on_pvwatts_is_a_valid_schedule_with_other_pv(recordings, datasets, tmp_path):
    data = tmp_path / "data"
    resources = default_resources(data, recordings, "replay")
    defs = build_definitions(resources)
    Warehouse(data / "warehouse").write(
        TableName("forecasts", "carbon_day_ahead"),
        {"region": "CAISO", "date": DAY.isoformat()},
        _carbon_day("CAISO", DAY),
    )
    instance = dg.DagsterInstance.ephemeral()
    small = {"n_homes": 12}
    # asked for before the profile is stored: a failure saying what to build
    result = _run_fleet(defs, instance, {**small, "pv_source": "pvwatts"}, raise_on_error=False)
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert (
        "pv_profile_job, partition CAISO" in failure.step_failure_data.user_failure_data.description
    )
    assert _materialize_profile(resources).success
    household, household_meta = _fleet_rows(defs, instance, small)
    pvwatts_rows, pvwatts_meta = _fleet_rows(defs, instance, {**small, "pv_source": "pvwatts"})
    for frame in (household, pvwatts_rows):
        VppFleetDispatch.validate(frame)
        assert frame.height == 12 * 96
    assert household_meta["pv_source"] == "household"
    assert pvwatts_meta["pv_source"] == "pvwatts"
    assert pvwatts_meta["pv_profile_location_proxy"] is True
    # the same homes (load, who has PV) with another PV shape
    assert household["load_kw"].to_list() == pvwatts_rows["load_kw"].to_list()
    has_pv = lambda f: f.group_by("home_id").agg(pl.col("pv_kw").max() > 0).sort("home_id")  # noqa: E731
    assert has_pv(household).equals(has_pv(pvwatts_rows))
    assert household["pv_kw"].to_list() != pvwatts_rows["pv_kw"].to_list()
    # the profile x kWp: every PV home's PV is proportional to the one profile
    stored = _stored_profile(data)
    slots = day_slot_starts(DAY, "America/Los_Angeles", SLOT_MINUTES)
    shape = pv_from_typical_year(
        stored.sort("hour_of_year")["pv_kw_per_kw"].to_numpy(), stored["utc_offset_h"][0], slots
    )
    for _, home in pvwatts_rows.group_by("home_id"):
        pv = home.sort("interval_start_utc")["pv_kw"].to_numpy()
        if pv.max() > 0:
            kwp = pv.max() / shape.max()
            assert 3 <= kwp <= 9
            np.testing.assert_allclose(pv, shape * kwp, rtol=1e-9, atol=1e-12)
    # and LA's daylight is centred on its solar noon (about 12:57 PDT on July 1), not Denver's:
    # the proxy's clock was moved by the longitude difference (Denver's centre is 12:00 MST)
    lit = [t for t, v in zip(slots, shape, strict=True) if v > 0]
    centre = lit[0] + (lit[-1] + dt.timedelta(minutes=SLOT_MINUTES) - lit[0]) / 2
    pdt = centre.astimezone(dt.timezone(dt.timedelta(hours=-7)))
    assert 12.4 <= pdt.hour + pdt.minute / 60 <= 13.4


def test_perfect_foresight_replans_the_fleet_with_the_plans_own_pv(recordings, datasets):
    """evaluation/dispatch_value rebuilds the fleet from the seed (the household's PV) and then
    takes each home's PV from the plan's rows: a plan on PVWatts PV, made on what turned out to
    be the actual intensities, has a perfect foresight equal to itself (regret 0)."""
    household = load_household_year(household_path(datasets))
    tz = "America/Los_Angeles"
    carbon = _carbon_day("CAISO", DAY)
    slots, signal = slot_signal(
        carbon["interval_start_utc"].to_list(), carbon["carbon_p50_gco2_per_kwh"].to_list()
    )
    shape = pv_from_typical_year(_profile(recordings).frame["pv_kw_per_kw"].to_numpy(), -8.0, slots)
    args = (DAY, slots, signal, tz, household, 6, 0, "cost", None, None)
    planned = fleet_day_problem(*args, pv_kw_per_kw=shape)
    schedule = solve_fleet(planned)
    signals = pl.DataFrame(
        {
            "interval_start_utc": slots,
            "carbon_forecast_gco2_per_kwh": signal,
            "price_usd_per_kwh": planned.price_usd_per_kwh,
        },
        schema_overrides={"interval_start_utc": pl.Datetime("us", "UTC")},
    )
    rows = home_schedule_rows(
        schedule.per_home,
        signals,
        region="CAISO",
        market_date=DAY,
        columns=[
            "carbon_forecast_gco2_per_kwh",
            "price_usd_per_kwh",
            pl.lit("cost").alias("objective"),
            pl.lit(0, dtype=pl.Int64).alias("fleet_seed"),
        ],
        feeder_import_limit_kw=None,
        feeder_export_limit_kw=None,
    )
    rebuilt = _with_planned_pv(fleet_day_problem(*args), rows)  # from the seed: household PV
    for home, want in zip(rebuilt.homes, planned.homes, strict=True):
        np.testing.assert_array_equal(home.pv_kw, want.pv_kw)
        np.testing.assert_array_equal(home.load_kw, want.load_kw)
    actual = carbon.select(
        "interval_start_utc", pl.col("carbon_p50_gco2_per_kwh").alias("carbon_gco2_per_kwh")
    )
    value = fleet_value("CAISO", DAY, tz, rows, actual, household)
    assert value["regret_cost_usd"] == pytest.approx(0.0, abs=1e-3)
    assert value["perfect_foresight_cost_usd"] == pytest.approx(
        value["realized_cost_usd"], abs=1e-3
    )
    assert FleetConfig().pv_source is PvSource.household


def test_the_price_fleet_takes_the_profile_and_its_valuation_keeps_it(recordings, datasets):
    """dispatch/vpp_fleet_price_dispatch with pv_source pvwatts: the same homes with the
    profile's PV; evaluation/price_dispatch_value rebuilds the fleet from the seed (household
    PV) and takes the stored schedule's PV, so its plans value the homes that were planned."""
    tz, day = "America/New_York", dt.date(2017, 7, 1)
    household = load_household_year(household_path(datasets))
    slots = day_slot_starts(day, tz, SLOT_MINUTES)
    values = _profile(recordings).frame["pv_kw_per_kw"].to_numpy()
    shape = pv_from_typical_year(values, -7.0 + (-75.17 + 105.18) / 15, slots)
    planned = price_dispatch.fleet_day(day, tz, household, 8, 0, pv_kw_per_kw=shape)
    default = price_dispatch.fleet_day(day, tz, household, 8, 0)
    assert [h.load_kw.sum() for h in planned.homes] == [h.load_kw.sum() for h in default.homes]
    assert any(
        not np.array_equal(a.pv_kw, b.pv_kw)
        for a, b in zip(planned.homes, default.homes, strict=True)
    )
    hourly = [40 + 25 * math.sin(2 * math.pi * (h - 10) / 24) for h in range(24)]
    schedule = price_dispatch.plan_fleet(planned, hourly)
    rebuilt = price_dispatch.with_planned_pv(default, schedule.per_home)
    for home, want in zip(rebuilt.homes, planned.homes, strict=True):
        np.testing.assert_array_equal(home.pv_kw, want.pv_kw)
    # re-planned on the same prices (perfect foresight when they were the actual ones), the
    # rebuilt fleet costs what the plan costs
    arrays = price_dispatch.schedule_arrays(schedule.per_home, rebuilt)
    plan = price_dispatch.settle(rebuilt, **arrays, hourly_per_mwh=hourly)
    again = price_dispatch.plan_fleet(rebuilt, hourly)
    replanned = price_dispatch.schedule_arrays(again.per_home, rebuilt)
    cost = price_dispatch.settle(rebuilt, **replanned, hourly_per_mwh=hourly).cost
    assert cost == pytest.approx(plan.cost, abs=1e-3)


def test_the_price_fleet_asset_reads_the_profile_when_asked(recordings, datasets, tmp_path):
    data = tmp_path / "data"
    resources = default_resources(data, recordings, "replay")
    defs = build_definitions(resources)
    day, key = dt.date(2017, 7, 1), dg.AssetKey(["dispatch", "vpp_fleet_price_dispatch"])
    Warehouse(data / "warehouse").write(  # the day's price forecast, as forecasts/price_day_ahead
        TableName("forecasts", "price_day_ahead"),
        {"region": "PJM", "date": day.isoformat()},
        pl.DataFrame(
            {
                "region": "PJM",
                "market_date": day,
                "hour": list(range(24)),
                "price_p50_usd_per_mwh": [40 + 25 * math.sin(math.pi * h / 12) for h in range(24)],
                "model_version": "test",
            }
        ),
    )
    assert _materialize_profile(resources, "PJM").success

    def run(config: dict) -> tuple[pl.DataFrame, dict]:
        result = dg.materialize(
            list(defs.assets),
            selection=[key],
            partition_key=str(partition_key("PJM", day)),
            resources=defs.resources,
            instance=dg.DagsterInstance.ephemeral(),
            run_config={"ops": {"dispatch__vpp_fleet_price_dispatch": {"config": config}}},
        )
        metadata = result.asset_materializations_for_node("dispatch__vpp_fleet_price_dispatch")
        frame, _ = Warehouse(data / "warehouse").read(
            TableName(*key.path), [{"region": "PJM", "date": day.isoformat()}]
        )
        return frame, {k: v.value for k, v in metadata[0].metadata.items()}

    household, household_meta = run({"n_homes": 8})
    pvwatts_rows, pvwatts_meta = run({"n_homes": 8, "pv_source": "pvwatts"})
    assert household_meta["pv_source"] == "household"
    assert pvwatts_meta["pv_source"] == "pvwatts"
    assert pvwatts_meta["pv_profile_location_proxy"] is True
    assert household["load_kw"].to_list() == pvwatts_rows["load_kw"].to_list()
    assert household["pv_kw"].to_list() != pvwatts_rows["pv_kw"].to_list()


def test_the_nrel_key_is_shown_as_its_variable_never_its_value(monkeypatch, tmp_path):
    monkeypatch.setenv(pvwatts.API_KEY_ENV, SECRET)
    defs = build_definitions(default_resources(tmp_path, transport="live"))
    snap = RepositorySnap.from_def(defs.get_repository_def())
    http = next(r for r in snap.resources if r.name == "http")
    assert http.configured_values["nrel_api_key"] == ResourceConfigEnvVarSnap(name="NREL_API_KEY")
    assert SECRET not in serialize_value(snap)
    monkeypatch.delenv(pvwatts.API_KEY_ENV)
    assert default_resources(tmp_path)["http"].nrel_api_key is None
