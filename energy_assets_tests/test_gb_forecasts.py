"""NESO's demand forecasts (`sources/neso_forecasts.py`): the day-ahead and 2-14 days ahead
cardinal-point forecasts, every vintage with its (assumed) issue time, into GB's raw assets
and `harmonized/operator_forecasts`.

FIXTURE WRITTEN HERE, NOT RECORDED: no recording of these DataStore responses exists.
`_response` builds the smallest response in the shape the NESO data portal documents (CKAN
`{"success": true, "result": {"fields": [...], "records": [...]}}`, the fields of the
datasets' "Table Information": DAYSAHEAD, TARGETDATE, FORECASTDEMAND, CARDINALPOINT, CP_TYPE,
CP_ST_TIME, CP_END_TIME, F_Point). Values are made up; they test the reading of that shape.
"""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl
import pytest
from test_source_contracts import HTML, ProviderContract, payload

from energy_assets.defs import raw
from energy_assets.defs_support.resources import ArchiveResource, HttpResource
from energy_assets.defs_support.validation import schema_errors
from energy_assets.harmonize import iso
from energy_assets.partitions import RegionDay
from energy_assets.regions import region, regions_served_by
from energy_assets.schemas import iso as iso_schemas
from energy_assets.sources import neso_forecasts as nf
from energy_assets.sources import replay
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.registry import ISO_PROVIDERS, PROVIDERS, feed
from energy_assets.timeutil import market_day_bounds_utc

UTC = dt.UTC
GB = region("GB")
FIELDS = ["_id", "DAYSAHEAD", "TARGETDATE", "FORECASTDEMAND", "CARDINALPOINT", "CP_TYPE"]
FIELDS += ["CP_ST_TIME", "CP_END_TIME", "F_Point"]


def _record(target: str, days: int, point: str, start: int, end: int, mw: int, **extra) -> dict:
    return {
        "_id": 1,
        "DAYSAHEAD": days,
        "TARGETDATE": f"{target}T00:00:00",
        "FORECASTDEMAND": mw,
        "CARDINALPOINT": point,
        "CP_TYPE": point[-1] if point[-1] in "FTP" else "F",
        "CP_ST_TIME": start,
        "CP_END_TIME": end,
        "F_Point": None,
        **extra,
    }


def _response(*records: dict) -> bytes:
    fields = [{"id": f, "type": "text"} for f in FIELDS]
    return json.dumps(
        {"success": True, "result": {"fields": fields, "records": list(records)}}
    ).encode()


SUMMER = "2024-07-10"
DAY_AHEAD = _response(
    _record(SUMMER, 1, "1A", 30, 130, 21_000),
    _record(SUMMER, 1, "DP", 1700, 1800, 30_000),
)
TWO_TO_14 = _response(
    _record(SUMMER, 2, "DP", 1700, 1800, 29_500),
    _record(SUMMER, 14, "DP", 1700, 1800, 28_000),
    _record(SUMMER, 3, "3B", 2330, 30, 22_000),
)


# --- parse ----------------------------------------------------------------------------------


def test_cardinal_points_are_utc_windows_of_the_uk_clock():
    rows = nf.parse_datastore(DAY_AHEAD)
    assert rows.columns == list(nf.COLUMNS)
    first = rows.row(0, named=True)
    # BST: 00:30 local on 2024-07-10 is 23:30 UTC the day before
    assert first["interval_start_utc"] == dt.datetime(2024, 7, 9, 23, 30, tzinfo=UTC)
    assert first["interval_end_utc"] == dt.datetime(2024, 7, 10, 0, 30, tzinfo=UTC)
    assert first["target_date"] == dt.date(2024, 7, 10)
    assert first["forecast_demand_mw"] == 21_000.0
    # winter: the UK clock is UTC
    winter = nf.parse_datastore(_response(_record("2024-01-15", 1, "DP", 1700, 1730, 40_000)))
    assert winter["interval_start_utc"][0] == dt.datetime(2024, 1, 15, 17, tzinfo=UTC)


def test_issue_time_is_the_conservative_assumption_of_every_vintage():
    rows = nf.parse_datastore(TWO_TO_14)
    issued = dict(zip(rows["days_ahead"], rows["issued_at_utc"], strict=True))
    # 17:00 BST (16:00 UTC) on target - days ahead: the end of NESO's publication window
    assert issued[2] == dt.datetime(2024, 7, 8, 16, tzinfo=UTC)
    assert issued[14] == dt.datetime(2024, 6, 26, 16, tzinfo=UTC)
    assert rows.height == 3  # every vintage kept
    # a window ending before it starts ends the next day
    late = rows.filter(pl.col("cardinal_point") == "3B").row(0, named=True)
    assert late["interval_end_utc"] - late["interval_start_utc"] == dt.timedelta(hours=1)


def test_the_forecasting_point_keeps_twice_daily_updates_apart_and_a_repeat_fails():
    a = _record(SUMMER, 2, "DP", 1700, 1800, 29_500, F_Point="AM")
    b = _record(SUMMER, 2, "DP", 1700, 1800, 29_700, F_Point="PM")
    assert nf.parse_datastore(_response(a, b)).height == 2
    with pytest.raises(PayloadError, match="repeats record 1"):
        nf.parse_datastore(_response(a, a))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"  \n", "empty body"),
        (HTML, "HTML page"),
        (DAY_AHEAD[: len(DAY_AHEAD) // 2], "not JSON"),
        (b'{"success": false, "error": {"message": "Not found"}}', "did not succeed"),
        (b'{"success": true, "result": {}}', "no result.records"),
        (_response(), "no records"),
    ],
)
def test_bad_payloads_are_payload_errors(body, message):
    with pytest.raises(PayloadError, match=message) as error:
        nf.parse_datastore(body, "NESO 1 day ahead demand forecast")
    assert "NESO 1 day ahead demand forecast" in str(error.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"FORECASTDEMAND": None}, "FORECASTDEMAND is missing"),
        ({"FORECASTDEMAND": "lots"}, "not a number"),
        ({"CP_ST_TIME": 975}, "not a clock time"),
        ({"TARGETDATE": "10/07/2024"}, "not a date"),
        ({"DAYSAHEAD": 20}, "not a whole 0..14"),
        ({"CARDINALPOINT": " "}, "CARDINALPOINT is empty"),
    ],
)
def test_bad_fields_name_the_record(change, message):
    record = {**_record(SUMMER, 1, "DP", 1700, 1800, 30_000), **change}
    with pytest.raises(PayloadError, match=message):
        nf.parse_datastore(_response(record))


def test_a_missing_field_is_named():
    record = _record(SUMMER, 1, "DP", 1700, 1800, 30_000)
    del record["CP_END_TIME"]
    with pytest.raises(PayloadError, match="record 1 lacks CP_END_TIME"):
        nf.parse_datastore(_response(record))


# --- the feeds in the graph -----------------------------------------------------------------


def test_registered_for_gb_under_iso_with_live_urls():
    assert PROVIDERS["neso_forecasts"] is ISO_PROVIDERS["neso_forecasts"] is nf.FEEDS
    assert regions_served_by("neso_forecasts") == ["GB"]
    assert {f.asset_name for f in nf.FEEDS} == {
        "neso_forecasts_day_ahead_demand_forecast",
        "neso_forecasts_demand_forecast_2_14_day",
    }
    url = feed("neso_forecasts", "day_ahead_demand_forecast").request_key(GB, dt.date(2024, 7, 10))
    assert url.startswith("https://api.neso.energy/api/3/action/datastore_search_sql?sql=")
    assert nf.DAY_AHEAD_RESOURCE in url and "2024-07-10" in url
    from energy_assets.defs import iso as iso_defs

    assert "GB" in iso_defs.FORECAST_REGIONS and "GB" not in iso_defs.LMP_REGIONS


@pytest.mark.parametrize(
    ("name", "body"),
    [("day_ahead_demand_forecast", DAY_AHEAD), ("demand_forecast_2_14_day", TWO_TO_14)],
)
def test_day_rows_pass_the_raw_schema_with_provenance(name, body):
    the_feed = feed("neso_forecasts", name)
    day = dt.date(2024, 7, 10)
    rows = the_feed.day_rows(the_feed.parse([SimpleNamespace(body=body)], day), GB, day)
    fetched = SimpleNamespace(
        url=the_feed.request_key(GB, day), fetched_at=dt.datetime(2024, 7, 10, 18, tzinfo=UTC)
    )
    request = raw._Request(the_feed, [fetched], [SimpleNamespace(sha256="0" * 64)], rows)
    frame = raw._with_provenance(rows, request, RegionDay("GB", day))
    assert frame.height == rows.height > 0
    assert schema_errors(frame, the_feed.schema) is None, schema_errors(frame, the_feed.schema)


@pytest.mark.parametrize("kind", ["empty", "html", "truncated", "no_records"])
def test_bad_payload_names_provider_url_and_partition(tmp_path, kind):
    """Through the raw asset's own request path (replay of the live URL)."""
    the_feed = feed("neso_forecasts", "demand_forecast_2_14_day")
    day = dt.date(2024, 7, 10)
    url = the_feed.request_key(GB, day)
    body = {
        "empty": b"",
        "html": HTML,
        "truncated": TWO_TO_14[: len(TWO_TO_14) // 2],
        "no_records": _response(),
    }[kind]
    rec = tmp_path / "recordings"
    replay.write_recording(
        rec, url, body, status=200, content_type=None, fetched_at="2024-07-10T18:00:00Z"
    )
    http = HttpResource(transport="replay", recordings_dir=str(rec), datasets_dir=str(tmp_path))
    archive = ArchiveResource(root=str(tmp_path / "archive"))
    rd = RegionDay("GB", day)
    with pytest.raises(dg.Failure) as failure:
        raw._request(the_feed, http, archive, rd)
    text = failure.value.description or ""
    assert "neso_forecasts" in text and str(rd) in text and "datastore_search_sql" in text, text


def test_every_vintage_is_a_row_of_operator_forecasts_with_issued_at():
    day = dt.date(2024, 7, 10)
    stored = {
        ("neso_forecasts", "day_ahead_demand_forecast"): nf.parse_datastore(DAY_AHEAD),
        ("neso_forecasts", "demand_forecast_2_14_day"): nf.parse_datastore(TWO_TO_14),
    }
    out = iso.operator_forecasts("GB", day, stored)
    assert out.height == 5
    assert out["issued_at_utc"].null_count() == 0
    assert set(out["vintage"]) == {"D-1", "D-2", "D-3", "D-14"}
    assert set(out["forecast_kind"]) == {"load"} and set(out["area"]) == {"national"}
    peak = out.filter(pl.col("measure") == "cardinal_point DP").sort("issued_at_utc")
    assert peak["mw"].to_list() == [28_000.0, 29_500.0, 30_000.0]
    assert set(peak["interval_start_utc"]) == {dt.datetime(2024, 7, 10, 16, tzinfo=UTC)}
    assert schema_errors(out, iso_schemas.OperatorForecasts) is None


# --- the provider contract (test_source_contracts.ProviderContract) ---------------------------


class TestNesoForecastsContract(ProviderContract):
    """The shared provider contract for `neso_forecasts`, on the written fixtures above (no
    recording exists): UTC rows with units, the clock-change days, and bad payloads through the
    raw asset's request path (replay of the live URL) naming provider, URL and partition. The
    forecasts are cardinal points, not a fixed count of intervals a day: the DST check is that
    each point's local clock time lands inside the 23- or 25-hour local day, in UTC."""

    provider = "neso_forecasts"
    region = "GB"
    spring_forward = dt.date(2024, 3, 31)
    fall_back = dt.date(2024, 10, 27)

    def _body(self, day: dt.date) -> bytes:
        text = day.isoformat()
        return _response(
            _record(text, 1, "1A", 30, 100, 21_000),
            _record(text, 1, "3B", 330, 400, 20_000),
            _record(text, 1, "DP", 1700, 1800, 30_000),
            _record(text, 1, "4C", 2330, 0, 24_000),
        )

    def recorded(self, recordings, datasets, only: dt.date | None = None):
        for the_feed in nf.FEEDS:
            for day in [only] if only else [self.spring_forward, dt.date(2024, 7, 10)]:
                url = the_feed.request_key(GB, day)
                yield the_feed, day, [payload(self._body(day), url)]

    def place(self, recordings, datasets, feed, day, body):
        url = feed.request_key(GB, day)
        replay.write_recording(
            recordings, url, body, status=200, content_type=None, fetched_at="2024-01-01T00:00:00Z"
        )
        return nf.DATASTORE_SQL_URL

    @pytest.mark.parametrize("which", ["spring_forward", "fall_back"])
    def test_dst_days(self, recordings, datasets, which) -> None:
        day = getattr(self, which)
        start, end = market_day_bounds_utc(day, GB.timezone)
        assert end - start == dt.timedelta(hours=23 if which == "spring_forward" else 25)
        for the_feed, _, payloads in self.recorded(recordings, datasets, day):
            rows = the_feed.day_rows(the_feed.parse(payloads, day), GB, day)
            assert rows.height == 4
            assert rows["interval_start_utc"].min() == start + dt.timedelta(minutes=30)
            assert rows["interval_start_utc"].max() < end
            # 23:30-00:00 local is the day's last half-hour: its window ends at the day's end
            assert rows["interval_end_utc"].max() == end
            # 03:30 local: after the spring change BST (02:30 UTC), after autumn's GMT (03:30)
            local = rows.filter(pl.col("cardinal_point") == "3B")["interval_start_utc"][0]
            assert local.astimezone(ZoneInfo(GB.timezone)).hour == 3
