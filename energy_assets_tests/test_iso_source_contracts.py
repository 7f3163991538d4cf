"""The provider contract (`test_source_contracts.ProviderContract`) for the ISOs' own feeds
(`registry.ISO_PROVIDERS`, raw assets of the regions `regions.py` says they serve under the feed
key "iso"), run on every recording of each provider.

The ISO feeds are long (one row per interval x series: node, fuel, TAC area, forecast vintage),
so the DST promise is stated per series: a market day's rows fall inside the region's local day,
each series has each interval once, and a series has at most 23 or 25 hours of intervals on the
DST days (exactly that many for the feeds that publish the whole day). Bad payloads go through
the asset's own request path (`defs/raw._request`, replay transport) and must fail naming
provider, URL and partition.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import httpx
import polars as pl
import pytest
from test_source_contracts import HTML, UNIT, ProviderContract, payload

from energy_assets.defs import raw
from energy_assets.partitions import RegionDay
from energy_assets.regions import region, regions_served_by
from energy_assets.sources import caiso_oasis, replay
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed
from energy_assets.sources.http_client import HttpClient
from energy_assets.sources.registry import ISO_PROVIDERS, PROVIDERS
from energy_assets.timeutil import market_day_bounds_utc


def write_replay(recordings: Path, url: str, body: bytes) -> None:
    replay.write_recording(
        recordings, url, body, status=200, content_type=None, fetched_at="2024-01-01T00:00:00Z"
    )


class IsoContract(ProviderContract):
    """`ProviderContract` for the ISOs' long feeds. A subclass says, per feed, the columns that
    name a series (`SERIES`), the intervals per hour (`PER_HOUR`; None where a feed publishes at
    irregular instants) and whether a recorded day is complete (`WHOLE_DAY`)."""

    SERIES: dict[str, tuple[str, ...]]
    PER_HOUR: dict[str, int | None]
    WHOLE_DAY: frozenset[str] = frozenset()
    ISSUE_DAY: frozenset[str] = frozenset()  # forecasts partitioned by their issue day
    RECORDINGS: int  # how many recordings `recorded` yields (all of them, none skipped)

    def feeds(self) -> tuple[Feed, ...]:
        return ISO_PROVIDERS[self.provider]

    def feed(self, name: str) -> Feed:
        return next(f for f in self.feeds() if f.name == name)

    def test_registered(self) -> None:
        assert PROVIDERS[self.provider] is ISO_PROVIDERS[self.provider]
        assert self.region in regions_served_by(self.provider, "iso")
        assert all(f.provider == self.provider for f in self.feeds())
        assert {f.name for f in self.feeds()} == set(self.SERIES) == set(self.PER_HOUR)

    def test_every_recording_parses_to_utc_rows_with_units(self, recordings, datasets) -> None:
        seen = 0
        for feed, day, payloads in self.recorded(recordings, datasets):
            rows = feed.parse(payloads, day)
            assert rows.height > 0, feed.name
            assert rows.schema["interval_start_utc"] == pl.Datetime("us", "UTC"), feed.name
            numeric = [n for n, t in rows.schema.items() if t.is_numeric()]
            unitless = [n for n in numeric if not UNIT.search(n) and n != "payload_index"]
            assert not unitless, f"{feed.asset_name}: numeric columns without a unit: {unitless}"
            keys = [*self.SERIES[feed.name], "interval_start_utc"]
            assert not rows.select(keys).is_duplicated().any(), f"{feed.name}: repeated keys"
            seen += 1
        assert seen == self.RECORDINGS

    def test_day_rows_pass_the_feed_schema_with_provenance(self, recordings, datasets) -> None:
        """What the raw asset would store for each recorded day (its rows of the day, with the
        provenance `defs/raw.py` adds) satisfies the feed's Pandera schema."""
        from types import SimpleNamespace

        from energy_assets.defs_support.validation import schema_errors

        for feed, day, payloads in self.recorded(recordings, datasets):
            rows = feed.day_rows(feed.parse(payloads, day), region(self.region), day)
            stored = [SimpleNamespace(sha256=p.sha256) for p in payloads]
            request = raw._Request(feed, list(payloads), stored, rows)
            frame = raw._with_provenance(rows, request, RegionDay(self.region, day))
            assert frame.height > 0, (feed.name, day)
            assert schema_errors(frame, feed.schema) is None, (
                feed.name,
                day,
                schema_errors(frame, feed.schema),
            )

    def day_checks(self, feed: Feed, day: dt.date, rows: pl.DataFrame) -> None:
        the_region = region(self.region)
        start, end = market_day_bounds_utc(day, the_region.timezone)
        hours = int((end - start).total_seconds() // 3600)
        rows = feed.day_rows(rows, the_region, day)
        assert rows.height > 0, f"{feed.name}: no rows for {day}"
        if feed.name in self.ISSUE_DAY:  # partitioned by the day the forecast was issued
            if "issued_at_utc" in rows.columns:
                issued = rows["issued_at_utc"].dt.convert_time_zone(the_region.timezone)
                assert (issued.dt.date() == day).all()
            else:  # posted for the day: it starts with the day
                assert rows["interval_start_utc"].min() == start
            return
        assert rows["interval_start_utc"].min() >= start
        assert rows["interval_start_utc"].max() < end
        per_series = rows.group_by(list(self.SERIES[feed.name]) or pl.lit(1)).agg(
            n=pl.len(), distinct=pl.col("interval_start_utc").n_unique()
        )
        assert (per_series["n"] == per_series["distinct"]).all(), "an interval twice in a series"
        per_hour = self.PER_HOUR[feed.name]
        if per_hour is not None:
            assert per_series["n"].max() <= hours * per_hour
            if feed.name in self.WHOLE_DAY:
                assert (per_series["n"] == hours * per_hour).all(), per_series

    # the DST days a recording covers; for the others the request for the day is checked
    DST_RECORDED: frozenset[str] = frozenset({"spring_forward", "fall_back"})

    def check_dst_request(self, day: dt.date, hours: int) -> None:
        raise NotImplementedError

    @pytest.mark.parametrize("which", ["spring_forward", "fall_back"])
    def test_dst_days(self, recordings, datasets, which) -> None:
        day = getattr(self, which)
        hours = 23 if which == "spring_forward" else 25
        start, end = market_day_bounds_utc(day, region(self.region).timezone)
        assert end - start == dt.timedelta(hours=hours)
        if which not in self.DST_RECORDED:
            self.check_dst_request(day, hours)
            return
        found = False
        for feed, recorded_day, payloads in self.recorded(recordings, datasets, day):
            if recorded_day == day:
                self.day_checks(feed, day, feed.parse(payloads, day))
                found = True
        assert found, f"no recording of {self.provider} for {day}"

    def urls(self, feed: Feed, day: dt.date) -> list[str]:
        """The URLs the feed's fetch asks for the day (to place a bad body at each)."""
        raise NotImplementedError

    def place(self, recordings, datasets, feed, day, body):
        urls = self.urls(feed, day)
        for url in urls:
            write_replay(recordings, url, body)
        return urls[0]

    def bad_bodies(self, good: bytes) -> dict[str, bytes]:
        return {"empty": b"", "html": HTML, "truncated": good[: len(good) // 2]}


# --- CAISO OASIS ------------------------------------------------------------------------------

OASIS_RECORDINGS = {
    # electricitymaps/US_CA: SingleZip answers (CSV in ZIP)
    (
        "renewable_forecast",
        "electricitymaps/US_CA/20250204_20250211_SLD_REN_FCST_DAM_20250214_04_52_10_v1.zip",
    ),
    (
        "load_forecast",
        "electricitymaps/US_CA/20250219_20250227_SLD_FCST_7DA_20250221_01_09_58_v1.zip",
    ),
    # pyiso/caiso: the older OASISReport XML answers (trimmed upstream to a few rows)
    ("load_forecast", "pyiso/caiso/sld_forecast.xml"),
    ("renewable_forecast", "pyiso/caiso/sld_ren_forecast.xml"),
}
# trimmed upstream without its closing </REPORT_ITEM>: not well formed (see its own test)
OASIS_MALFORMED = "pyiso/caiso/ene_slrs.xml"


def _first_day(body: bytes) -> dt.date:
    rows = caiso_oasis.read_report(body, "test")
    first = rows["start"].sort()[0]
    instant = dt.datetime.fromisoformat(first).astimezone(dt.UTC)
    return instant.astimezone(ZoneInfo("America/Los_Angeles")).date()


class TestCaisoOasis(IsoContract):
    """CAISO OASIS: every recording of it (SingleZip CSV-in-ZIP and OASISReport XML), parsed by
    the feed that owns its report. No recorded OASIS payload covers a DST day (February 2025,
    2013-09, 2014-05), so the DST promise is checked on the request window instead (a DST day
    asks for 23 or 25 hours), with OASIS's own GMT interval stamps doing the rest."""

    provider = "caiso_oasis"
    region = "CAISO"
    spring_forward = dt.date(2025, 3, 9)
    fall_back = dt.date(2024, 11, 3)
    SERIES = {
        "lmp_day_ahead": ("market_run", "node", "lmp_component"),
        "lmp_real_time": ("market_run", "node", "lmp_component"),
        "as_prices": ("market_run", "as_region", "as_type"),
        "load_forecast": ("tac_area", "market_run", "data_item"),
        "renewable_forecast": ("trading_hub", "fuel", "market_run", "data_item"),
        "schedules": ("resource", "market_run", "data_item"),
    }
    PER_HOUR = {
        "lmp_day_ahead": 1,
        "lmp_real_time": 12,
        "as_prices": 1,
        "load_forecast": 12,  # RTM's 5-minute run; the others are hourly or 15-minute
        "renewable_forecast": 12,
        "schedules": 1,
    }
    RECORDINGS = len(OASIS_RECORDINGS)

    def recorded(self, recordings, datasets, only=None) -> Iterator[tuple[Feed, dt.date, list]]:
        for name, rel in sorted(OASIS_RECORDINGS):
            body = (recordings / rel).read_bytes()
            day = _first_day(body)
            if only is not None and day != only:
                continue
            url = caiso_oasis.feed_urls(name, region(self.region), day)[0]
            yield self.feed(name), day, [payload(body, url)]

    def urls(self, feed, day):
        return caiso_oasis.feed_urls(feed.name, region(self.region), day)

    DST_RECORDED = frozenset()

    def check_dst_request(self, day: dt.date, hours: int) -> None:
        start, end = market_day_bounds_utc(day, "America/Los_Angeles")
        assert end - start == dt.timedelta(hours=hours)
        for feed in self.feeds():
            for url in caiso_oasis.feed_urls(feed.name, region(self.region), day):
                assert f"startdatetime={start:%Y%m%dT%H:%M}-0000" in url
                assert f"enddatetime={end:%Y%m%dT%H:%M}-0000" in url

    def test_recorded_days_are_whole(self, recordings) -> None:
        """Each recorded SingleZip day has every hour of every series: 24 DAM hours for 3 hubs x 2
        fuels; 24 7-day-ahead hours for each of 33 TAC areas (PACE joins the file on 02-23)."""
        ren = self.feed("renewable_forecast")
        for feed, day, payloads in self.recorded(recordings, None):
            if not payloads[0].body.startswith(b"PK"):
                continue
            rows = feed.day_rows(feed.parse(payloads, day), region(self.region), day)
            per = rows.group_by(self.SERIES[feed.name]).len()
            assert (per["len"] == 24).all(), per
            if feed is ren:
                assert per.height == 6 and set(rows["fuel"]) == {"solar", "wind"}
            else:
                assert (
                    per.height == 33
                    and "PACE" not in set(rows["tac_area"])
                    and rows["load_mw"].min() >= 0
                )

    def test_malformed_xml_recording_is_refused_and_its_rows_read_once_closed(
        self, recordings
    ) -> None:
        body = (recordings / OASIS_MALFORMED).read_bytes()
        with pytest.raises(PayloadError, match="XML not well formed"):
            caiso_oasis.read_report(body, "ENE_SLRS")
        # the rows themselves are whole: close the report item the trimming dropped
        closed = body.replace(b"<DISCLAIMER_ITEM>", b"</REPORT_ITEM>\n<DISCLAIMER_ITEM>", 1)
        rows = self.feed("schedules").parse([payload(closed, "https://oasis/ENE_SLRS")], None)
        assert rows.height == 6 and set(rows["data_item"]) == {
            "ISO_TOT_EXP_MW",
            "ISO_TOT_GEN_MW",
            "ISO_TOT_IMP_MW",
        }

    def test_xml_error_inside_the_zip_is_a_clear_error(self) -> None:
        error = (
            b'<?xml version="1.0" encoding="UTF-8"?><m:OASISReport'
            b' xmlns:m="http://www.caiso.com/soa/OASISReport_v1.xsd"><m:MessagePayload><m:RTO>'
            b"<m:name>CAISO</m:name><m:ERROR><m:ERR_CODE>1015</m:ERR_CODE><m:ERR_DESC>"
            b"GroupZip DownLoad is in Processing, Please submit request after Sometime"
            b"</m:ERR_DESC></m:ERROR></m:RTO></m:MessagePayload></m:OASISReport>"
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("INVALID_REQUEST.xml", error)
        url = caiso_oasis.feed_urls("lmp_day_ahead", region("CAISO"), dt.date(2024, 7, 1))[0]
        with pytest.raises(PayloadError, match="error 1015: GroupZip") as failure:
            self.feed("lmp_day_ahead").parse([payload(buffer.getvalue(), url)], None)
        assert "PRC_LMP" in str(failure.value) and url in str(failure.value)

    def test_report_of_another_query_is_refused(self, recordings) -> None:
        rel = next(rel for name, rel in OASIS_RECORDINGS if name == "renewable_forecast")
        body = (recordings / rel).read_bytes()
        with pytest.raises(PayloadError, match="lacks"):
            self.feed("load_forecast").parse([payload(body, "https://oasis/SLD_FCST")], None)

    def test_live_urls(self) -> None:
        urls = caiso_oasis.feed_urls("load_forecast", region("CAISO"), dt.date(2025, 2, 19))
        assert [u.split("market_run_id=")[1] for u in urls] == ["7DA", "2DA", "DAM", "RTM"]
        assert urls[0] == (
            "https://oasis.caiso.com/oasisapi/SingleZip?resultformat=6&queryname=SLD_FCST"
            "&version=1&startdatetime=20250219T08:00-0000&enddatetime=20250220T08:00-0000"
            "&market_run_id=7DA"
        )
        (lmp,) = caiso_oasis.feed_urls("lmp_day_ahead", region("CAISO"), dt.date(2025, 2, 19))
        assert "queryname=PRC_LMP&version=12" in lmp and "TH_NP15_GEN-APND" in lmp
        assert "DLAP_SCE-APND" in lmp and "market_run_id=DAM" in lmp

    def test_fetch_waits_five_seconds_between_requests(self, recordings) -> None:
        """The live path: one request per market run, each 5 s after the last (OASIS's limit)."""
        rel = next(
            rel for name, rel in OASIS_RECORDINGS if rel.endswith("7DA_20250221_01_09_58_v1.zip")
        )
        body = (recordings / rel).read_bytes()
        now = [0.0]
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            now[0] += seconds

        seen: list[str] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            return httpx.Response(200, content=body, headers={"content-type": "application/x-zip"})

        client = HttpClient(
            mode="live", transport=httpx.MockTransport(handler), sleep=sleep, clock=lambda: now[0]
        )
        from energy_assets.sources.feeds import FeedSource

        source = FeedSource(client, Path("."))
        feed = self.feed("load_forecast")
        day = dt.date(2025, 2, 19)
        payloads = feed.fetch(source, region("CAISO"), day)
        assert len(payloads) == len(seen) == 4
        assert slept == [caiso_oasis.MIN_INTERVAL_S] * 3
        from energy_assets.sources.http_client import DEFAULT_MIN_INTERVAL_S

        assert DEFAULT_MIN_INTERVAL_S[caiso_oasis.PROVIDER] >= caiso_oasis.MIN_INTERVAL_S
        rows = feed.parse(payloads, day)
        assert rows["payload_index"].unique().sort().to_list() == [0, 1, 2, 3]


def test_every_oasis_recording_is_covered(recordings) -> None:
    """Every OASIS payload under the recordings is parsed by a test here (none left out)."""
    found = {
        p.relative_to(recordings).as_posix()
        for pattern in ("electricitymaps/US_CA/*", "pyiso/caiso/*.xml")
        for p in recordings.glob(pattern)
    }
    assert found == {rel for _, rel in OASIS_RECORDINGS} | {OASIS_MALFORMED}


# --- ISO-NE -----------------------------------------------------------------------------------

ISONE_SERVICES = {
    "genfuelmix": "fuel_mix",
    "hourlysysload": "system_load",
    "hourlyloadforecast": "load_forecast",
    "reliabilityregionloadforecast": "regional_load_forecast",
    "dayaheadhourlydemand": "zonal_load",
    "realtimehourlydemand": "zonal_load",
}


def indexed(recordings: Path, host: str) -> list[tuple[str, Path]]:
    """(URL, body path) of every response recorded for `host` in the gridstatus index."""
    import json

    index = recordings / "gridstatus" / "responses_index.json"
    entries = json.loads(index.read_text())
    return [
        (e["uri"], index.parent / e["file"]) for e in entries if "uri" in e and host in e["uri"]
    ]


class TestIsone(IsoContract):
    """ISO-NE web services: every recorded response of the five services (the gridstatus index),
    each through its feed's parse, as recorded under its own URL."""

    provider = "isone"
    region = "ISONE"
    spring_forward = dt.date(2024, 3, 10)
    fall_back = dt.date(2024, 11, 3)
    SERIES = {
        "fuel_mix": ("fuel",),
        "system_load": ("location",),
        "load_forecast": ("issued_at_utc",),
        "regional_load_forecast": ("reliability_region", "issued_at_utc"),
        "zonal_load": ("zone", "market"),
        "wind_solar_forecast": ("fuel", "issued_at_utc"),
    }
    PER_HOUR = {
        "fuel_mix": None,  # irregular instants
        "system_load": 1,
        "load_forecast": 1,
        "regional_load_forecast": 1,
        "zonal_load": 1,
        "wind_solar_forecast": 1,
    }
    ISSUE_DAY = frozenset({"wind_solar_forecast"})
    # regional vintages created on the day itself cover only the hours still ahead
    WHOLE_DAY = frozenset({"system_load", "load_forecast", "zonal_load"})
    RECORDINGS = 6 + 4 + 6 + 6 + 18 + 1
    EXPRESS = "electricitymaps/US_NEISO"

    def recorded(self, recordings, datasets, only=None):
        for url, path in sorted(indexed(recordings, "webservices.iso-ne.com")):
            parts = url.split("/api/v1.1/")[1].split("/")
            if parts[0] not in ISONE_SERVICES:
                continue  # `locations`: reference data, not a feed
            feed = self.feed(ISONE_SERVICES[parts[0]])
            stamp = next((p for p in parts if p.isdigit() and len(p) == 8), None)
            if stamp:
                day = dt.datetime.strptime(stamp, "%Y%m%d").date()
            else:  # the `current` answers: the day of their one row
                first = feed.parse([payload(path.read_bytes(), url)], None)["interval_start_utc"][0]
                day = first.astimezone(ZoneInfo("America/New_York")).date()
            if only is not None and day != only:
                continue
            yield feed, day, [payload(path.read_bytes(), url)]
        # the seven-day wind and solar reports of 2025-02-25: one request of the feed
        day = dt.date(2025, 2, 25)
        if only is None or only == day:
            from energy_assets.sources import isone

            folder = recordings / self.EXPRESS
            bodies = [
                (folder / f"seven_day_{kind}_power_forecast_20250225.csv").read_bytes()
                for kind in ("wind", "solar")
            ]
            urls = isone.wind_solar_forecast_urls(day)
            yield (
                self.feed("wind_solar_forecast"),
                day,
                [payload(b, u) for b, u in zip(bodies, urls, strict=True)],
            )

    def urls(self, feed, day):
        from energy_assets.sources import isone

        if feed.name == "zonal_load":
            return isone.zonal_load_urls(day)
        if feed.name == "wind_solar_forecast":
            return isone.wind_solar_forecast_urls(day)
        return [feed.request_key(region(self.region), day)]

    def test_dst_day_row_counts(self, recordings) -> None:
        """hourlysysload: 23 / 24 / 25 hours; the fall-back 01:00 twice, one hour apart in UTC."""
        feed = self.feed("system_load")
        counts = {}
        for f, day, payloads in self.recorded(recordings, None):
            if f is feed:
                rows = feed.day_rows(feed.parse(payloads, day), region("ISONE"), day)
                counts[day] = rows.height
                assert rows.height == feed.expected_rows(region("ISONE"), day)
        assert counts == {
            dt.date(2024, 3, 9): 24,
            dt.date(2024, 3, 10): 23,
            dt.date(2024, 11, 2): 24,
            dt.date(2024, 11, 3): 25,
        }
        forecast = self.feed("load_forecast")
        for f, day, payloads in self.recorded(recordings, None, dt.date(2024, 11, 3)):
            if f is forecast:
                rows = forecast.parse(payloads, day)
                vintages = rows.group_by("issued_at_utc").len()
                assert vintages.height == 7 and (vintages["len"] == 25).all()
                assert rows["issued_at_utc"].min() == dt.datetime(
                    2024, 11, 1, 7, 55, 29, tzinfo=dt.UTC
                )

    def test_replays_offline_through_the_feeds_own_fetch(self, recordings) -> None:
        """The single-request feeds fetch their recorded days from the recordings (replay)."""
        from energy_assets.sources.feeds import FeedSource

        with HttpClient(mode="replay", recordings_dir=recordings) as client:
            source = FeedSource(client, Path("."))
            for name in ("fuel_mix", "system_load", "load_forecast", "regional_load_forecast"):
                feed = self.feed(name)
                day = dt.date(2024, 11, 3)
                payloads = feed.fetch(source, region("ISONE"), day)
                rows = feed.day_rows(feed.parse(payloads, day), region("ISONE"), day)
                assert rows.height > 0, name

    def test_401_without_credentials_says_what_to_set(self, monkeypatch) -> None:
        from energy_assets.sources import isone
        from energy_assets.sources.errors import FetchError
        from energy_assets.sources.feeds import FeedSource

        monkeypatch.delenv("ISONE_USERNAME", raising=False)
        monkeypatch.delenv("ISONE_PASSWORD", raising=False)
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(401, text="Unauthorized")

        client = HttpClient(
            mode="live", transport=httpx.MockTransport(handler), sleep=lambda s: None
        )
        feed = self.feed("system_load")
        day = dt.date(2024, 3, 10)
        with pytest.raises(FetchError, match="set ISONE_USERNAME and ISONE_PASSWORD") as failure:
            feed.fetch(FeedSource(client, Path(".")), region("ISONE"), day)
        assert failure.value.status == 401 and failure.value.url == isone.system_load_url(day)
        assert "authorization" not in seen[0].headers
        assert seen[0].headers["accept"] == "application/json"

        keys = {"ISONE_USERNAME": "someone", "ISONE_PASSWORD": "s3cret"}
        with pytest.raises(FetchError, match="refused the account") as failure:
            feed.fetch(FeedSource(client, Path("."), keys=keys), region("ISONE"), day)
        assert seen[1].headers["authorization"].startswith("Basic ")
        assert "s3cret" not in str(failure.value) and "someone" not in str(failure.value)

    def test_seven_day_reports(self, recordings) -> None:
        """Issued 10:02 / 10:08 EST; 168 hours each, from the hour in progress (HE 11 of day 1)
        to HE 10 of day 8; blank hours have no row. A cut report (no trailer) is refused."""
        feed = self.feed("wind_solar_forecast")
        day = dt.date(2025, 2, 25)
        (_, _, payloads) = next(x for x in self.recorded(recordings, None, day))
        rows = feed.parse(payloads, day)
        per = rows.group_by("fuel").agg(
            n=pl.len(),
            first=pl.col("interval_start_utc").min(),
            last=pl.col("interval_start_utc").max(),
            issued=pl.col("issued_at_utc").first(),
        )
        solar = per.filter(pl.col("fuel") == "solar").row(0, named=True)
        assert solar["n"] == 168 and per["n"].to_list() == [168, 168]
        assert solar["first"] == dt.datetime(2025, 2, 25, 15, tzinfo=dt.UTC)
        assert solar["last"] == dt.datetime(2025, 3, 4, 14, tzinfo=dt.UTC)
        assert solar["issued"] == dt.datetime(2025, 2, 25, 15, 2, 35, tzinfo=dt.UTC)
        cut = payloads[0].body[: payloads[0].body.rfind(b'"T"')]
        with pytest.raises(PayloadError, match="no trailer"):
            feed.parse([payload(cut, payloads[0].url)], day)

    def test_chart_answers(self, recordings) -> None:
        """The ISO Express chart answers (POST, not fetched by a feed) parse: 5-minute actual
        load, two forecast vintages, the day-ahead cleared load; external flows by interface."""
        from energy_assets.sources import isone

        folder = recordings / self.EXPRESS
        load = isone.parse_chart_system_load(
            (folder / "day_ahead_load_forecast_20250317.xml").read_bytes()
        )
        counts = dict(load.group_by("series").len().iter_rows())
        assert counts == {"actual": 131, "prior_day_forecast": 48, "forecast": 48, "cleared": 24}
        assert load.filter(pl.col("series") == "actual")["issued_at_utc"].is_null().all()
        assert load.filter(pl.col("series") == "forecast")["issued_at_utc"].is_not_null().all()
        assert load.schema["interval_start_utc"] == pl.Datetime("us", "UTC")
        flows = isone.parse_chart_external_flows(
            (folder / "exchange_CA-QC_US-NE-ISNE.json").read_bytes()
        )
        assert dict(flows.group_by("interface").len().iter_rows()) == {
            ".I.HQ_P1_P2345 5": 211,
            ".I.HQHIGATE120 2": 211,
        }
        for frame in (load, flows):
            numeric = [n for n, t in frame.schema.items() if t.is_numeric()]
            assert all(UNIT.search(n) for n in numeric)

    def test_no_data_answer_is_a_clear_error(self) -> None:
        feed = self.feed("system_load")
        body = b'{"HourlySystemLoads":""}'
        with pytest.raises(PayloadError, match="empty \\(no data"):
            feed.parse([payload(body, "https://webservices.iso-ne.com/x")], None)


# --- PJM --------------------------------------------------------------------------------------

PJM_FILES = {
    # electricitymaps/US_PJM
    "electricitymaps/US_PJM/da_hrl_lmps_2026-06-09.json": "lmp_day_ahead",
    "electricitymaps/US_PJM/rt_unverified_fivemin_lmps_2026-06-10.json": "lmp_real_time",
    "electricitymaps/US_PJM/gen_by_fuel.json": "fuel_mix",
    "electricitymaps/US_PJM/compressed_pjm_load_forecast_2025-03-19.gz": "load_forecast",
    "electricitymaps/US_PJM/pjm_solar_forecast_2025-02-24.json": "renewable_forecast",
}
PJM_SERVICES = {
    "da_marginal_value": "shadow_prices_day_ahead",
    "rt_marginal_value": "shadow_prices_real_time",
    "da_transconstraints": "congestion_events_day_ahead",
    "hourly_solar_power_forecast": "renewable_forecast",
    "hourly_wind_power_forecast": "renewable_forecast",
}


def _self_link(body: bytes) -> str | None:
    import json

    try:
        document = json.loads(body)
    except ValueError:
        return None
    if isinstance(document, dict):
        for link in document.get("links", []):
            if link.get("rel") == "self":
                return link["href"]
    return None


class TestPjm(IsoContract):
    """PJM Data Miner 2: every recorded answer (electricitymaps/US_PJM and the gridstatus PJM
    responses), each through its feed's parse, under the URL that served it (the index's, or the
    answer's own `self` link). The fall-back day 2023-11-05 is recorded (shadow prices,
    congestion events); no spring-forward day is."""

    provider = "pjm"
    region = "PJM"
    spring_forward = dt.date(2024, 3, 10)
    fall_back = dt.date(2023, 11, 5)
    DST_RECORDED = frozenset({"fall_back"})
    SERIES = {
        "lmp_day_ahead": ("node_id", "lmp_component"),
        "lmp_real_time": ("node_id", "lmp_component"),
        "fuel_mix": ("fuel",),
        "load_forecast": ("forecast_area", "issued_at_utc"),
        "renewable_forecast": ("fuel", "issued_at_utc"),
        "shadow_prices_day_ahead": ("monitored_facility", "contingency_facility"),
        "shadow_prices_real_time": ("monitored_facility", "contingency_facility"),
        "congestion_events_day_ahead": (
            "congestion_event",
            "monitored_facility",
            "contingency_facility",
        ),
    }
    PER_HOUR = {
        "lmp_day_ahead": 1,
        "lmp_real_time": 12,
        "fuel_mix": 1,
        "load_forecast": 1,
        "renewable_forecast": 1,
        "shadow_prices_day_ahead": 1,
        "shadow_prices_real_time": 12,
        "congestion_events_day_ahead": 1,
    }
    RECORDINGS = len(PJM_FILES) + 8

    def _all(self, recordings: Path) -> list[tuple[str, str, bytes]]:
        """(feed name, URL, body) of every PJM recording."""
        out = []
        for rel, name in sorted(PJM_FILES.items()):
            body = (recordings / rel).read_bytes()
            out.append((name, _self_link(body) or f"https://api.pjm.com/recorded/{rel}", body))
        for path in sorted((recordings / "gridstatus" / "responses" / "pjm").glob("*.json")):
            body = path.read_bytes()
            url = dict((p.name, u) for u, p in indexed(recordings, "api.pjm.com")).get(path.name)
            url = url or _self_link(body)
            service = url.split("/api/v1/")[1].split("?")[0]
            out.append((PJM_SERVICES[service], url, body))
        return out

    def recorded(self, recordings, datasets, only=None):
        zone = region(self.region).timezone
        for name, url, body in self._all(recordings):
            feed = self.feed(name)
            first = feed.parse([payload(body, url)], None)["interval_start_utc"].min()
            day = first.astimezone(ZoneInfo(zone)).date()
            if only is not None and day != only:
                continue
            yield feed, day, [payload(body, url)]

    def urls(self, feed, day):
        from energy_assets.sources import pjm

        return pjm.REQUESTS[feed.name](day)

    def check_dst_request(self, day: dt.date, hours: int) -> None:
        from energy_assets.sources import pjm

        for feed in self.feeds():
            for url in pjm.REQUESTS[feed.name](day):
                assert "03%2F10%2F2024%2000%3A00to03%2F10%2F2024%2023%3A59" in url, url

    def test_fall_back_day_has_25_hours(self, recordings) -> None:
        feed = self.feed("shadow_prices_day_ahead")
        day = self.fall_back
        found = 0
        for f, _, payloads in self.recorded(recordings, None, day):
            if f is feed:
                rows = feed.day_rows(feed.parse(payloads, day), region("PJM"), day)
                hours = rows["interval_start_utc"].unique()
                assert hours.len() == 25  # some constraint binds in every hour, both 01:00s
                found += 1
        assert found == 1

    def test_paging_and_key(self, monkeypatch) -> None:
        from energy_assets.sources import pjm
        from energy_assets.sources.errors import FetchError
        from energy_assets.sources.feeds import FeedSource

        monkeypatch.delenv("PJM_API_KEY", raising=False)
        row = {"datetime_beginning_utc": "2024-10-01T04:00:00", "fuel_type": "Gas", "mw": 1.0}
        pages = {
            "1": {"items": [row], "totalRows": 2},
            "50001": {"items": [{**row, "fuel_type": "Coal"}], "totalRows": 2},
        }
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            if "Ocp-Apim-Subscription-Key" not in request.headers:
                return httpx.Response(401, text="Access denied due to missing subscription key")
            return httpx.Response(200, json=pages[request.url.params["startRow"]])

        client = HttpClient(
            mode="live", transport=httpx.MockTransport(handler), sleep=lambda s: None
        )
        feed = self.feed("fuel_mix")
        day = dt.date(2024, 10, 1)
        with pytest.raises(FetchError, match="set PJM_API_KEY"):
            feed.fetch(FeedSource(client, Path(".")), region("PJM"), day)
        source = FeedSource(client, Path("."), keys={"PJM_API_KEY": "k3y"})
        payloads = feed.fetch(source, region("PJM"), day)
        assert len(payloads) == 2 and all("k3y" not in p.url for p in payloads)
        assert seen[-1].url.params["startRow"] == "50001"
        assert seen[-1].headers["Ocp-Apim-Subscription-Key"] == "k3y"
        rows = feed.parse(payloads, day)
        assert rows["fuel"].to_list() == ["Gas", "Coal"]
        assert rows["payload_index"].to_list() == [0, 1]
        assert pjm.REQUESTS["fuel_mix"](day)[0].startswith(
            "https://api.pjm.com/api/v1/gen_by_fuel?rowCount=50000&startRow=1&"
        )

    def test_empty_answer_is_a_clear_error(self) -> None:
        body = b'{"items": [], "totalRows": 0}'
        with pytest.raises(PayloadError, match="no rows"):
            self.feed("fuel_mix").parse(
                [payload(body, "https://api.pjm.com/api/v1/gen_by_fuel")], None
            )


def test_every_pjm_recording_is_covered(recordings) -> None:
    found = {
        p.relative_to(recordings).as_posix()
        for pattern in ("electricitymaps/US_PJM/*", "gridstatus/responses/pjm/*")
        for p in recordings.glob(pattern)
    }
    assert len(found) == TestPjm.RECORDINGS
    assert set(PJM_FILES) <= found


def test_every_isone_recording_is_covered(recordings) -> None:
    gridstatus = {u for u, _ in indexed(recordings, "webservices.iso-ne.com")}
    assert len(gridstatus) == TestIsone.RECORDINGS - 1 + 1  # + `locations`, - the CSV pair
    assert len(list((recordings / TestIsone.EXPRESS).iterdir())) == 4  # 2 CSVs, 2 charts


# --- ERCOT ------------------------------------------------------------------------------------

ERCOT_MIS = {
    # feed: (listing, document) under electricitymaps/US_ERCOT
    "load_forecast": ("load_forecast_by_forecast_zone.json", "load_forecast_specific_reportid.zip"),
    "wind_forecast": (
        "wind_power_production_hourly_averaged_actual_and_forecasted_values_rtid.json",
        "wind_specific_reportid.zip",
    ),
    "solar_forecast": (
        "solar_power_production_hourly_averaged_actual_and_forecasted_values_rtid.json",
        "solar_specific_reportid.zip",
    ),
}
ERCOT_DASHBOARDS = {
    "ERCOT.json": "parse_dashboard_fuel_mix",
    "ERCOT_generation.json": "parse_dashboard_fuel_mix",
    "ERCOT_demand.json": "parse_dashboard_demand",
    "ERCOT_storage.json": "parse_dashboard_storage",
}


class TestErcot(IsoContract):
    """ERCOT: both recorded 2-Day AS report days (listing + ZIP, through the feed's own replayed
    fetch: the gridstatus index holds their URLs), including the fall-back day 2024-11-03; the
    three MIS forecast reports (listing + one ZIP each); the four dashboard answers. No
    spring-forward day is recorded."""

    provider = "ercot"
    region = "ERCOT"
    spring_forward = dt.date(2024, 3, 10)
    fall_back = dt.date(2024, 11, 3)
    DST_RECORDED = frozenset({"fall_back"})
    SERIES = {
        "as_reports": ("as_type", "quantity"),
        "load_forecast": ("forecast_zone", "issued_at_utc"),
        "wind_forecast": ("area", "measure", "issued_at_utc"),
        "solar_forecast": ("area", "measure", "issued_at_utc"),
    }
    PER_HOUR = {name: 1 for name in SERIES}
    WHOLE_DAY = frozenset({"as_reports"})
    ISSUE_DAY = frozenset({"load_forecast", "wind_forecast", "solar_forecast"})
    RECORDINGS = 2 + 3

    def recorded(self, recordings, datasets, only=None):
        from energy_assets.sources import ercot

        bodies = {p.name: (u, p) for u, p in indexed(recordings, "api.ercot.com")}
        for day in (dt.date(2024, 10, 16), dt.date(2024, 11, 3)):
            if only is not None and day != only:
                continue
            listing_url = ercot.as_listing_url(day)
            hits = [(u, p) for u, p in bodies.values() if "postDatetimeFrom" in u]
            (url, path) = next(
                (u, p) for u, p in hits if f"{day + dt.timedelta(days=2):%Y-%m-%d}" in u
            )
            docs = ercot.listed_documents(path.read_bytes(), "listing")
            (doc,) = docs
            doc_path = next(p for u, p in bodies.values() if u == doc["url"])
            yield (
                self.feed("as_reports"),
                day,
                [
                    payload(path.read_bytes(), listing_url),
                    payload(doc_path.read_bytes(), doc["url"]),
                ],
            )
        folder = recordings / "electricitymaps" / "US_ERCOT"
        for name, (listing, document) in ERCOT_MIS.items():
            day = dt.date(2025, 3, 13)
            if only is not None and day != only:
                continue
            yield (
                self.feed(name),
                day,
                [
                    payload(
                        (folder / listing).read_bytes(),
                        ercot.mis_listing_url(ercot.REPORT_TYPES[name]),
                    ),
                    payload((folder / document).read_bytes(), f"recorded:US_ERCOT/{document}"),
                ],
            )

    def urls(self, feed, day):
        from energy_assets.sources import ercot

        if feed.name == "as_reports":
            return [ercot.as_listing_url(day)]
        return [ercot.mis_listing_url(ercot.REPORT_TYPES[feed.name])]

    def check_dst_request(self, day: dt.date, hours: int) -> None:
        from energy_assets.sources import ercot

        assert "postDatetimeFrom=2024-03-12T00:00:00" in ercot.as_listing_url(day)

    def test_as_reports_replay_offline_and_fall_back_has_25_hours(self, recordings) -> None:
        from energy_assets.sources.feeds import FeedSource

        feed = self.feed("as_reports")
        with HttpClient(mode="replay", recordings_dir=recordings) as client:
            for day, hours in ((dt.date(2024, 11, 3), 25), (dt.date(2024, 10, 16), 24)):
                payloads = feed.fetch(FeedSource(client, Path(".")), region("ERCOT"), day)
                assert len(payloads) == 2
                rows = feed.day_rows(feed.parse(payloads, day), region("ERCOT"), day)
                per = rows.group_by("as_type", "quantity").len()
                assert (per["len"] == hours).all() and per.height == 17
                start, _ = market_day_bounds_utc(day, "America/Chicago")
                assert rows["interval_start_utc"].min() == start

    def test_empty_archive_is_a_clear_error(self, recordings) -> None:
        import json

        from energy_assets.sources import ercot

        (_, _, payloads) = next(iter(self.recorded(recordings, None)))
        listing = json.loads(payloads[0].body)
        listing["archives"], listing["_meta"]["totalRecords"] = [], 0
        empty = payload(json.dumps(listing).encode(), payloads[0].url)
        with pytest.raises(PayloadError, match="the archive lists no document for the day"):
            self.feed("as_reports").parse([empty], None)
        mis = payload(b'{"ListDocsByRptTypeRes": {}}', ercot.mis_listing_url(12311))
        with pytest.raises(PayloadError, match="lists no document"):
            self.feed("load_forecast").parse([mis], None)

    def test_forecast_vintages(self, recordings) -> None:
        """One vintage each, issued 12:30 / 13:55 CDT; the load forecast covers 8 days by zone,
        DSTFlag N throughout; wind and solar carry actuals (GEN) for the past hours."""
        got = {}
        for feed, day, payloads in self.recorded(recordings, None, dt.date(2025, 3, 13)):
            rows = feed.parse(payloads, day)
            got[feed.name] = rows
            assert rows["issued_at_utc"].n_unique() == 1
        load = got["load_forecast"]
        assert load["issued_at_utc"][0] == dt.datetime(2025, 3, 13, 17, 30, tzinfo=dt.UTC)
        assert set(load["forecast_zone"]) == {"North", "South", "West", "Houston", "SystemTotal"}
        assert load.height == 5 * 192
        assert {"GEN", "STWPF", "WGRPP", "COP_HSL", "HSL"} <= set(got["wind_forecast"]["measure"])
        assert set(got["solar_forecast"]["area"]) == {"SYSTEM_WIDE"}

    def test_dashboards(self, recordings) -> None:
        from energy_assets.sources import ercot

        folder = recordings / "electricitymaps"
        heights = {}
        for name, parser in ERCOT_DASHBOARDS.items():
            rows = getattr(ercot, parser)((folder / name).read_bytes())
            assert rows.schema["interval_start_utc"] == pl.Datetime("us", "UTC")
            numeric = [n for n, t in rows.schema.items() if t.is_numeric()]
            assert numeric and all(UNIT.search(n) for n in numeric)
            heights[name] = rows.height
        assert heights == {
            "ERCOT.json": 3088,
            "ERCOT_generation.json": 2952,
            "ERCOT_demand.json": 72,
            "ERCOT_storage.json": 369,
        }
        with pytest.raises(PayloadError, match="HTML"):
            ercot.parse_dashboard_demand(HTML)


def test_every_ercot_recording_is_covered(recordings) -> None:
    gridstatus = {p.name for p in (recordings / "gridstatus" / "responses" / "ercot_api").iterdir()}
    assert len(gridstatus) == 4  # 2 listings + 2 ZIPs: the as_reports days
    mis = {p.name for p in (recordings / "electricitymaps" / "US_ERCOT").iterdir()}
    assert mis == {f for pair in ERCOT_MIS.values() for f in pair}
    top = {p.name for p in (recordings / "electricitymaps").glob("ERCOT*.json")}
    assert top == set(ERCOT_DASHBOARDS)


# --- NYISO ------------------------------------------------------------------------------------

NYISO_FILES = {
    "pyiso/nyiso/20171122rtfuelmix.csv": ("fuel_mix", dt.date(2017, 11, 22)),
    "pyiso/nyiso/20171122pal.csv": ("actual_load", dt.date(2017, 11, 22)),
    "pyiso/nyiso/20171122isolf.csv": ("load_forecast", dt.date(2017, 11, 22)),
    "pyiso/nyiso/lmp.csv": ("lmp_real_time", dt.date(2016, 2, 18)),
    "electricitymaps/US_NY/20250201rtfuelmix_csv.zip": ("fuel_mix", dt.date(2025, 2, 1)),
    "electricitymaps/US_NY/20250219isolf.csv": ("load_forecast", dt.date(2025, 2, 19)),
}


class TestNyiso(IsoContract):
    """NYISO MIS CSVs: every recorded file (pyiso/nyiso, electricitymaps/US_NY) through its
    feed's parse. None covers a DST day: the request for it is checked (one Eastern day)."""

    provider = "nyiso"
    region = "NYISO"
    spring_forward = dt.date(2024, 3, 10)
    fall_back = dt.date(2024, 11, 3)
    DST_RECORDED = frozenset()
    SERIES = {
        "fuel_mix": ("fuel",),
        "actual_load": ("zone",),
        "load_forecast": ("zone",),
        "lmp_day_ahead": ("node", "lmp_component"),
        "lmp_real_time": ("node", "lmp_component"),
    }
    PER_HOUR = {
        "fuel_mix": 12,
        "actual_load": None,  # posted instants, a few extra a day
        "load_forecast": 1,
        "lmp_day_ahead": 1,
        "lmp_real_time": 12,
    }
    ISSUE_DAY = frozenset({"load_forecast"})
    RECORDINGS = len(NYISO_FILES)

    def recorded(self, recordings, datasets, only=None):
        from energy_assets.sources import nyiso

        for rel, (name, day) in sorted(NYISO_FILES.items()):
            if only is not None and day != only:
                continue
            url = (nyiso.monthly_url if rel.endswith(".zip") else nyiso.daily_url)(name, day)
            yield self.feed(name), day, [payload((recordings / rel).read_bytes(), url)]

    def urls(self, feed, day):
        from energy_assets.sources import nyiso

        return [nyiso.daily_url(feed.name, day)]

    def check_dst_request(self, day: dt.date, hours: int) -> None:
        from energy_assets.sources import nyiso

        for feed in self.feeds():
            assert feed.request_key(region("NYISO"), day).endswith(
                f"/{day:%Y%m%d}" + nyiso.DATASETS[feed.name][1] + ".csv"
            )

    def test_recorded_days(self, recordings) -> None:
        """The 2025 fuel mix: 288 readings a day per fuel, 00:05 .. 24:00 stamps (so each ends
        its interval), 28 daily files in the monthly ZIP; isolf: 6 days x 24 hours x 12 series;
        pal: 11 zones, 290 stamps each."""
        got = {(f.name, day): (f, f.parse(p, day)) for f, day, p in self.recorded(recordings, None)}
        feed, month = got[("fuel_mix", dt.date(2025, 2, 1))]
        assert (
            month["interval_start_utc"]
            .dt.convert_time_zone("America/New_York")
            .dt.date()
            .n_unique()
            == 28
        )
        day = feed.day_rows(month, region("NYISO"), dt.date(2025, 2, 1))
        per = day.group_by("fuel").len()
        assert per.height == 7 and (per["len"] == 288).all()
        start, end = market_day_bounds_utc(dt.date(2025, 2, 1), "America/New_York")
        assert day["interval_start_utc"].min() == start
        assert day["interval_start_utc"].max() == end - dt.timedelta(minutes=5)
        for key in (
            ("load_forecast", dt.date(2017, 11, 22)),
            ("load_forecast", dt.date(2025, 2, 19)),
        ):
            feed, rows = got[key]
            assert rows.height == 6 * 24 * 12 and rows["zone"].n_unique() == 12
            self.day_checks(feed, key[1], rows)
        _, pal = got[("actual_load", dt.date(2017, 11, 22))]
        assert pal["zone"].n_unique() == 11 and pal.height == 3190

    def test_file_without_final_line_break_is_read_and_a_cut_line_refused(self, recordings) -> None:
        body = (recordings / "pyiso/nyiso/20171122rtfuelmix.csv").read_bytes()
        assert not body.endswith(b"\n")
        feed = self.feed("fuel_mix")
        cut = body[: body.rfind(b",")]  # the last line loses its value field
        with pytest.raises(PayloadError, match="fields"):
            feed.parse([payload(cut, "https://mis.nyiso.com/x")], None)


# --- SPP --------------------------------------------------------------------------------------

SPP_FILES = {
    "electricitymaps/US_SPP/DA-LMP-SL-202503190100.csv": ("lmp_day_ahead", dt.date(2025, 3, 19)),
    "electricitymaps/US_SPP/RTBM-LMP-SL-202503310840.csv": ("lmp_real_time", dt.date(2025, 3, 31)),
}
SPP_HTML = "gridstatus/responses/spp/spp_grid-conditions-20230101.html"


class TestSpp(IsoContract):
    """SPP portal files: both LMP recordings and both tie-flow answers (the gridstatus index
    holds their URLs). No DST day is recorded; the grid-conditions page in the recordings is an
    HTML page, refused as one."""

    provider = "spp"
    region = "SPP"
    spring_forward = dt.date(2025, 3, 9)
    fall_back = dt.date(2024, 11, 3)
    DST_RECORDED = frozenset()
    SERIES = {
        "lmp_day_ahead": ("node", "lmp_component"),
        "lmp_real_time": ("node", "lmp_component"),
        "tie_flows_west": ("interface",),
    }
    PER_HOUR = {"lmp_day_ahead": 1, "lmp_real_time": 12, "tie_flows_west": 60}
    RECORDINGS = len(SPP_FILES) + 2

    def recorded(self, recordings, datasets, only=None):
        from energy_assets.sources import spp

        for rel, (name, day) in sorted(SPP_FILES.items()):
            if only is not None and day != only:
                continue
            url = (spp.da_lmp_url if name == "lmp_day_ahead" else spp.rt_lmp_url)(day)
            yield self.feed(name), day, [payload((recordings / rel).read_bytes(), url)]
        for url, path in sorted(indexed(recordings, "portal.spp.org")):
            rows = self.feed("tie_flows_west").parse([payload(path.read_bytes(), url)], None)
            first = rows["interval_start_utc"].min().astimezone(ZoneInfo("America/Chicago"))
            if only is not None and first.date() != only:
                continue
            yield self.feed("tie_flows_west"), first.date(), [payload(path.read_bytes(), url)]

    def urls(self, feed, day):
        return [feed.request_key(region("SPP"), day)]

    def check_dst_request(self, day: dt.date, hours: int) -> None:
        from energy_assets.sources import spp

        assert spp.da_lmp_url(day).endswith(f"DA-LMP-SL-{day:%Y%m%d}0100.csv")

    def test_recorded_lmps(self, recordings) -> None:
        """Day-ahead: 1,234 locations x 24 hours, the first hour starting at local midnight;
        the real-time file is one 5-minute interval."""
        got = {f.name: (f, d, f.parse(p, d)) for f, d, p in self.recorded(recordings, None)}
        feed, day, da = got["lmp_day_ahead"]
        rows = feed.day_rows(da, region("SPP"), day)
        assert rows.height == da.height == 1234 * 24 * 4
        start, _ = market_day_bounds_utc(day, "America/Chicago")
        assert rows["interval_start_utc"].min() == start
        self.day_checks(feed, day, da)
        _, _, rt = got["lmp_real_time"]
        assert rt["interval_start_utc"].unique().to_list() == [
            dt.datetime(2025, 3, 31, 13, 35, tzinfo=dt.UTC)
        ]

    def test_tie_flow_month_replays_offline(self, recordings) -> None:
        from energy_assets.sources.feeds import FeedSource

        feed = self.feed("tie_flows_west")
        day = dt.date(2026, 3, 26)
        with HttpClient(mode="replay", recordings_dir=recordings) as client:
            payloads = feed.fetch(FeedSource(client, Path(".")), region("SPP"), day)
        rows = feed.day_rows(feed.parse(payloads, day), region("SPP"), day)
        per = rows.group_by("interface").len()
        # 1,435 of the day's 1,440 minutes: the file lacks 5 of them, kept missing (not filled)
        assert per.height == 9 and (per["len"] == 1435).all()

    def test_recorded_html_page_is_refused(self, recordings) -> None:
        body = (recordings / SPP_HTML).read_bytes()
        for feed in self.feeds():
            with pytest.raises(PayloadError, match="HTML page titled 'Current Grid Conditions"):
                feed.parse([payload(body, "https://www.spp.org/grid-conditions")], None)


# --- MISO -------------------------------------------------------------------------------------

MISO_FILES = {
    "wind": "electricitymaps/US_MISO/DataBrokerServicesgetWindForecast.asmx.json",
    "solar": "electricitymaps/US_MISO/DataBrokerServicesgetSolarForecast.asmx.json",
}
MISO_UNPARSED = "electricitymaps/US_MISO/20250310_df_al.xls"  # legacy Excel: needs xlrd


class TestMiso(IsoContract):
    """MISO Data Broker wind and solar forecasts: both recorded answers, one request of the
    feed. MISO's market clock is EST all year, so the US DST days have 24 hours there: the DST
    promise is that they do, and that EST stamps map to UTC-5 on the recorded day (the Monday
    after the 2025 spring-forward)."""

    provider = "miso"
    region = "MISO"
    spring_forward = dt.date(2025, 3, 9)
    fall_back = dt.date(2024, 11, 3)
    SERIES = {"wind_solar_forecast": ("fuel", "issued_at_utc")}
    PER_HOUR = {"wind_solar_forecast": 1}
    ISSUE_DAY = frozenset({"wind_solar_forecast"})
    RECORDINGS = 1

    def recorded(self, recordings, datasets, only=None):
        from energy_assets.sources import miso

        day = dt.date(2025, 3, 10)
        if only is None or only == day:
            yield (
                self.feed("wind_solar_forecast"),
                day,
                [
                    payload((recordings / MISO_FILES[f]).read_bytes(), miso.forecast_url(f))
                    for f in miso.FUELS
                ],
            )

    def urls(self, feed, day):
        from energy_assets.sources import miso

        return [miso.forecast_url(f) for f in miso.FUELS]

    @pytest.mark.parametrize("which", ["spring_forward", "fall_back"])
    def test_dst_days(self, recordings, datasets, which) -> None:
        day = getattr(self, which)
        start, end = market_day_bounds_utc(day, region("MISO").timezone)
        assert end - start == dt.timedelta(hours=24)
        ((feed, recorded_day, payloads),) = list(self.recorded(recordings, None))
        rows = feed.parse(payloads, recorded_day)
        self.day_checks(feed, recorded_day, rows)
        first, _ = market_day_bounds_utc(recorded_day, region("MISO").timezone)
        assert first == dt.datetime(2025, 3, 10, 5, tzinfo=dt.UTC)
        per = rows.group_by("fuel").agg(pl.len(), pl.col("interval_start_utc").min())
        assert (per["len"] == 48).all() and (per["interval_start_utc"] == first).all()

    def test_issue_times_from_the_run(self, recordings) -> None:
        ((feed, day, payloads),) = list(self.recorded(recordings, None))
        rows = feed.parse(payloads, day)
        issued = dict(rows.group_by("fuel").agg(pl.col("issued_at_utc").first()).iter_rows())
        assert issued == {
            "wind": dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC),  # "Interval 04:00 EST"
            "solar": dt.datetime(2025, 3, 10, 11, tzinfo=dt.UTC),  # "Interval 06:00 EST"
        }


# --- BPA --------------------------------------------------------------------------------------

BPA_FILE = "pyiso/bpa/wind_tsv.csv"


class TestBpa(IsoContract):
    """BPA's last-7-days text file: the one recording (an excerpt of 2014-04-15, 12 readings and
    5 times without readings yet). No DST day is recorded; the file's request does not depend
    on the day."""

    provider = "bpa"
    region = "BPA"
    spring_forward = dt.date(2024, 3, 10)
    fall_back = dt.date(2024, 11, 3)
    DST_RECORDED = frozenset()
    SERIES = {"balancing_authority": ()}
    PER_HOUR = {"balancing_authority": 12}
    RECORDINGS = 1

    def recorded(self, recordings, datasets, only=None):
        from energy_assets.sources import bpa

        day = dt.date(2014, 4, 15)
        if only is None or only == day:
            body = (recordings / BPA_FILE).read_bytes()
            yield self.feed("balancing_authority"), day, [payload(body, bpa.URL)]

    def urls(self, feed, day):
        from energy_assets.sources import bpa

        return [bpa.URL]

    def check_dst_request(self, day: dt.date, hours: int) -> None:
        feed = self.feed("balancing_authority")
        assert feed.expected_rows(region("BPA"), day) == 12 * hours

    def test_readings(self, recordings) -> None:
        ((feed, day, payloads),) = list(self.recorded(recordings, None))
        rows = feed.day_rows(feed.parse(payloads, day), region("BPA"), day)
        assert rows.height == 12 and rows.columns[1:] == [
            "load_mw",
            "wind_mw",
            "hydro_mw",
            "thermal_mw",
        ]
        assert rows["interval_start_utc"][0] == dt.datetime(2014, 4, 15, 17, 10, tzinfo=dt.UTC)
        cut = payloads[0].body.rstrip(b"\n")
        with pytest.raises(PayloadError, match="line break"):
            feed.parse([payload(cut, payloads[0].url)], day)


def test_every_recording_of_the_iso_providers_is_parsed_or_named(recordings) -> None:
    """The folders the ISO providers read: each file is parsed by a test above, or named here
    with the reason it is not (SOURCES.md lists what else is in them)."""
    assert (recordings / MISO_UNPARSED).is_file()
    assert {p.name for p in (recordings / "electricitymaps" / "US_MISO").iterdir()} == {
        Path(MISO_UNPARSED).name,
        *(Path(p).name for p in MISO_FILES.values()),
    }
    assert {p.name for p in (recordings / "pyiso" / "bpa").iterdir()} == {Path(BPA_FILE).name}
    assert {p.name for p in (recordings / "electricitymaps" / "US_SPP").iterdir()} == {
        Path(p).name for p in SPP_FILES
    }
    assert {
        p.relative_to(recordings).as_posix() for p in (recordings / "pyiso" / "nyiso").iterdir()
    } | {
        p.relative_to(recordings).as_posix()
        for p in (recordings / "electricitymaps" / "US_NY").iterdir()
    } == set(NYISO_FILES)


@pytest.mark.parametrize(
    ("provider", "feed_name", "region_code", "day", "rows"),
    [
        ("isone", "system_load", "ISONE", dt.date(2024, 11, 3), 25),
        ("isone", "load_forecast", "ISONE", dt.date(2024, 3, 10), 6 * 23),
        ("ercot", "as_reports", "ERCOT", dt.date(2024, 11, 3), 17 * 25),
        ("spp", "tie_flows_west", "SPP", dt.date(2026, 3, 26), 9 * 1435),
        # the portal file served by its replay route (`replay.ROUTE_RULES`): 1,234 locations
        # x 24 hours x 4 components
        ("spp", "lmp_day_ahead", "SPP", dt.date(2025, 3, 19), 1234 * 24 * 4),
    ],
)
def test_a_replayable_feed_materializes_as_a_raw_asset(
    recordings, tmp_path, provider, feed_name, region_code, day, rows
) -> None:
    """The integration path: the region serves the provider (`regions.py`), `defs/raw.py` built
    the feed's asset, and materializing a recorded day offline stores the day's rows, passes
    the schema check and (where the feed counts its rows) the completeness check."""
    from energy_assets.defs_support.resources import default_resources
    from energy_assets.partitions import partition_key

    asset = next(a for a in raw.RAW_ASSETS if a.key == raw.raw_key(provider, feed_name))
    result = dg.materialize(
        [asset],
        partition_key=partition_key(region_code, day),
        resources=default_resources(tmp_path, recordings, "replay"),
    )
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert all(checks.values()), checks
    (materialization,) = result.asset_materializations_for_node(asset.node_def.name)
    assert materialization.metadata["dagster/row_count"].value == rows


# --- CAISO Daily Renewables Watch -------------------------------------------------------------

WATCH_FILES = {
    "pyiso/caiso/ren_report.csv": dt.date(2014, 3, 12),
    "pyiso/caiso/20170312_DailyRenewablesWatch.txt": dt.date(2017, 3, 12),
    "pyiso/caiso/20171104_DailyRenewablesWatch.txt": dt.date(2017, 11, 4),
    "pyiso/caiso/20171105_DailyRenewablesWatch.txt": dt.date(2017, 11, 5),
    "pyiso/caiso/20171106_DailyRenewablesWatch.txt": dt.date(2017, 11, 6),
}
WATCH_HTML = "pyiso/caiso/todays_outlook_renewables.html"


class TestCaisoRenewablesWatch(IsoContract):
    """CAISO Daily Renewables Watch: all five recorded days, with both DST days of 2017. The
    spring-forward file lists the missing hour with error text and `#VALUE!` (dropped: 23
    hours); the fall-back file lists 24 hours of a 25-hour day (each series has 24, at most 25)."""

    provider = "caiso_renewables_watch"
    region = "CAISO"
    spring_forward = dt.date(2017, 3, 12)
    fall_back = dt.date(2017, 11, 5)
    SERIES = {"hourly_production": ("table", "fuel")}
    PER_HOUR = {"hourly_production": 1}
    RECORDINGS = len(WATCH_FILES)

    def recorded(self, recordings, datasets, only=None):
        from energy_assets.sources import caiso_renewables_watch as watch

        for rel, day in sorted(WATCH_FILES.items(), key=lambda kv: kv[1]):
            if only is not None and day != only:
                continue
            body = (recordings / rel).read_bytes()
            yield self.feed("hourly_production"), day, [payload(body, watch.url(day))]

    def urls(self, feed, day):
        from energy_assets.sources import caiso_renewables_watch as watch

        return [watch.url(day)]

    def test_hours_per_day(self, recordings) -> None:
        hours = {}
        for feed, day, payloads in self.recorded(recordings, None):
            rows = feed.day_rows(feed.parse(payloads, day), region("CAISO"), day)
            per = rows.group_by("table", "fuel").len()
            assert per["len"].n_unique() == 1
            assert per.height == 12  # 7 renewable types + 5 resource types
            hours[day] = per["len"][0]
        assert hours == {
            dt.date(2014, 3, 12): 24,
            dt.date(2017, 3, 12): 23,
            dt.date(2017, 11, 4): 24,
            dt.date(2017, 11, 5): 24,  # of 25: the standard-time 01:00 is not in the file
            dt.date(2017, 11, 6): 24,
        }

    def test_the_spring_forward_hour_carries_error_text_and_is_dropped(self, recordings) -> None:
        body = (recordings / "pyiso/caiso/20170312_DailyRenewablesWatch.txt").read_bytes()
        assert b"The supplied DateTime represents an invalid time" in body
        assert b"#VALUE!" in body
        feed = self.feed("hourly_production")
        rows = feed.parse([payload(body, "u")], dt.date(2017, 3, 12))
        local = rows["interval_start_utc"].dt.convert_time_zone("America/Los_Angeles")
        assert 2 not in set(local.dt.hour())
        # the same text in a real hour is refused, naming the value
        broken = body.replace(b"\t4\t\t936\t", b"\t4\t\t#VALUE!\t", 1)
        with pytest.raises(PayloadError, match="#VALUE!"):
            feed.parse([payload(broken, "u")], dt.date(2017, 3, 12))

    def test_recorded_html_page_is_refused(self, recordings) -> None:
        body = (recordings / WATCH_HTML).read_bytes()
        with pytest.raises(PayloadError, match="HTML page titled 'System Conditions"):
            self.feed("hourly_production").parse([payload(body, "u")], None)


def test_every_pyiso_caiso_recording_is_covered(recordings) -> None:
    found = {
        p.relative_to(recordings).as_posix() for p in (recordings / "pyiso" / "caiso").iterdir()
    }
    oasis = {rel for _, rel in OASIS_RECORDINGS if rel.startswith("pyiso/")} | {OASIS_MALFORMED}
    assert found == oasis | set(WATCH_FILES) | {WATCH_HTML}
