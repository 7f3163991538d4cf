"""One contract for every provider's feeds, run on every recording of that provider.

Each provider has one class here (subclassing `ProviderContract`) that says where its recorded
payloads are and where the asset reads a payload from; the promises are the same for all:

- interval starts are tz-aware UTC (`interval_start_utc`, `Datetime("us", "UTC")`);
- every numeric column names its unit (`_mw`, `_gco2_per_kwh`, ...);
- a market day's rows fall inside the region's local day, and the feed expects 23 or 25 hours
  on the DST days (never more rows than that);
- an empty, HTML or truncated payload gives a clear error naming provider, URL and partition,
  and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from energy_assets.defs import raw
from energy_assets.defs_support.resources import ArchiveResource, HttpResource
from energy_assets.partitions import RegionDay
from energy_assets.regions import region
from energy_assets.sources import caiso_outlook
from energy_assets.sources.feeds import Feed
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.registry import PROVIDERS
from energy_assets.timeutil import market_day_bounds_utc

UNIT = re.compile(
    r"_(mw|mwh|kw|kwh|gco2_per_kwh|k|c|m_per_s|w_per_m2|mm|mm_per_h|kg_per_m2|kg_per_m2_per_h|usd_per_mwh|pct|coverage)$"
)
NOT_QUANTITIES = {"payload_index", "settlement_period", "dno_region_id", "days_ahead"}  # labels
HTML = b"<!DOCTYPE html><html><body>Service unavailable</body></html>\n"


def payload(body: bytes, url: str, transport: str = "replay") -> FetchedPayload:
    return FetchedPayload(
        provider="test",
        url=url,
        status=200,
        content_type="text/csv",
        body=body,
        fetched_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        sha256=hashlib.sha256(body).hexdigest(),
        transport=transport,
    )


class ProviderContract:
    provider: str
    region: str
    transport = "replay"
    spring_forward: dt.date
    fall_back: dt.date

    def recorded(
        self, recordings: Path, datasets: Path, only: dt.date | None = None
    ) -> Iterator[tuple[Feed, dt.date, list]]:
        """(feed, market day, payloads) for every recording of the provider."""
        raise NotImplementedError

    def place(self, recordings: Path, datasets: Path, feed: Feed, day: dt.date, body: bytes) -> str:
        """Put `body` where the feed's asset reads the day's payload from (replay/offline);
        returns the part of its URL the error must show."""
        raise NotImplementedError

    def bad_bodies(self, good: bytes) -> dict[str, bytes]:
        cut = good[: len(good) // 2]
        cut = cut[: cut.rfind(b",") + 2]  # inside a line, after a separator
        return {"empty": b"", "html": HTML, "truncated": cut}

    # --- the promises -------------------------------------------------------------------------

    def test_registered(self) -> None:
        assert self.provider in PROVIDERS
        assert all(f.provider == self.provider for f in PROVIDERS[self.provider])

    def test_every_recording_parses_to_utc_rows_with_units(self, recordings, datasets) -> None:
        seen = 0
        for feed, day, payloads in self.recorded(recordings, datasets):
            rows = feed.parse(payloads, day)
            assert rows.schema["interval_start_utc"] == pl.Datetime("us", "UTC"), feed.name
            numeric = [n for n, t in rows.schema.items() if t.is_numeric()]
            unitless = [n for n in numeric if not UNIT.search(n) and n not in NOT_QUANTITIES]
            assert not unitless, f"{feed.asset_name}: numeric columns without a unit: {unitless}"
            seen += 1
        assert seen > 0

    @pytest.mark.parametrize("which", ["spring_forward", "fall_back"])
    def test_dst_days(self, recordings, datasets, which) -> None:
        day = getattr(self, which)
        the_region = region(self.region)
        hours = 23 if which == "spring_forward" else 25
        start, end = market_day_bounds_utc(day, the_region.timezone)
        assert (end - start) == dt.timedelta(hours=hours)
        found = False
        for feed, recorded_day, payloads in self.recorded(recordings, datasets, day):
            if recorded_day != day:
                continue
            rows = feed.day_rows(feed.parse(payloads, day), the_region, day)
            assert rows.height > 0
            assert rows["interval_start_utc"].min() >= start
            assert rows["interval_start_utc"].max() < end
            assert rows["interval_start_utc"].is_unique().all()
            assert feed.expected_rows is not None
            per_hour = feed.expected_rows(the_region, day) / hours
            assert per_hour == int(per_hour), "expected rows are whole intervals per hour"
            assert rows.height <= feed.expected_rows(the_region, day)
            found = True
        assert found, f"no recording of {self.provider} for {day}"

    @pytest.mark.parametrize("kind", ["empty", "html", "truncated"])
    def test_bad_payload_names_provider_url_and_partition(
        self, recordings, datasets, tmp_path, kind
    ) -> None:
        feed, day, payloads = next(iter(self.recorded(recordings, datasets)))
        body = self.bad_bodies(payloads[0].body)[kind]
        rec, data = tmp_path / "recordings", tmp_path / "datasets"
        shown = self.place(rec, data, feed, day, body)
        http = HttpResource(
            transport=self.transport, recordings_dir=str(rec), datasets_dir=str(data)
        )
        archive = ArchiveResource(root=str(tmp_path / "archive"))
        rd = RegionDay(self.region, day)
        with pytest.raises(dg.Failure) as failure:
            raw._request(feed, http, archive, rd)
        text = failure.value.description or ""
        assert self.provider.split("_")[0] in text.lower(), text
        assert str(rd) in text, text
        assert shown in text, text


class TestCaisoOutlook(ProviderContract):
    provider = "caiso_outlook"
    region = "CAISO"
    spring_forward = dt.date(2020, 3, 8)
    fall_back = dt.date(2020, 11, 1)
    FILES = {"demand": "demand.csv", "fuel_mix": "fuelsource.csv"}

    def recorded(self, recordings, datasets, only: dt.date | None = None):
        for folder in sorted((recordings / "caiso_outlook").iterdir()):
            day = dt.datetime.strptime(folder.name, "%Y%m%d").date()
            if only is not None and day != only:
                continue
            for feed in PROVIDERS[self.provider]:
                path = folder / self.FILES[feed.name]
                yield feed, day, [payload(path.read_bytes(), caiso_outlook.demand_url(day))]

    def place(self, recordings, datasets, feed, day, body):
        path = recordings / "caiso_outlook" / day.strftime("%Y%m%d") / self.FILES[feed.name]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return f"{day.strftime('%Y%m%d')}/{path.name}"


class TestEia930(ProviderContract):
    """EIA-930 offline: every history file of both data sets, through the feeds' own parse. (The
    API v2 pages recorded under `electricitymaps/EIA` are parsed in `test_eia930_source.py`;
    several are hand-made mocks with codes EIA does not use, which the fuel pivot refuses.)"""

    provider = "eia930"
    region = "PJM"
    spring_forward = dt.date(2019, 3, 10)
    fall_back = dt.date(2018, 11, 4)
    COVERS = {
        "region_data": (dt.date(2015, 7, 1), dt.date(2019, 6, 30)),
        "fuel_type": (dt.date(2019, 1, 1), dt.date(2021, 6, 30)),
    }
    FOLDERS = {
        "region_data": ("eia930", "{ba}.csv"),
        "fuel_type": ("carbon_eia930", "{ba}_direct_emissions.csv"),
    }

    def recorded(self, recordings, datasets, only: dt.date | None = None):
        from energy_assets.sources.feeds import history_payload

        for feed in PROVIDERS[self.provider]:
            folder, pattern = self.FOLDERS[feed.name]
            first, last = self.COVERS[feed.name]
            day = only or self.spring_forward
            if not first <= day <= last:
                continue
            for path in sorted((datasets / folder).glob(pattern.format(ba="*"))):
                yield feed, day, [history_payload("eia930", path, datasets)]

    def place(self, recordings, datasets, feed, day, body):
        folder, pattern = self.FOLDERS[feed.name]
        path = datasets / folder / pattern.format(ba="PJM")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return f"datasets:{folder}/{path.name}"


class TestGfsRegional(ProviderContract):
    """The GFS regional weather forecasts offline: every region's history file through the
    feed's own parse. (The live Open-Meteo payload shape is tested in `test_weather_sources.py`;
    no Open-Meteo recording exists.)"""

    provider = "gfs_regional"
    region = "ISONE"
    spring_forward = dt.date(2019, 3, 10)
    fall_back = dt.date(2020, 11, 1)

    def recorded(self, recordings, datasets, only: dt.date | None = None):
        from energy_assets.sources.feeds import history_payload

        (feed,) = PROVIDERS[self.provider]
        day = only or self.spring_forward
        for path in sorted((datasets / "carbon_eia930").glob("*_weather_forecast.csv")):
            yield feed, day, [history_payload(self.provider, path, datasets)]

    def place(self, recordings, datasets, feed, day, body):
        path = datasets / "carbon_eia930" / "ISNE_weather_forecast.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return f"datasets:carbon_eia930/{path.name}"


class TestEpftoolbox(ProviderContract):
    """Day-ahead price files in the epftoolbox layout (`sources/epftoolbox.py`), partitioned by
    market x market day (`defs/prices.py`), read from the datasets folder. The same promises,
    in the layout's terms: the hours are the market's local clock hours, 24 a day all year (the
    files have no DST days; documented in the provider), so the rows carry `hour` and
    `interval_start_local` and no UTC instant; units in the column names; an empty, HTML or
    truncated file is a failure naming provider, file and partition."""

    provider = "epftoolbox"
    region = "PJM"
    spring_forward = dt.date(2017, 3, 12)
    fall_back = dt.date(2017, 11, 5)

    def recorded(self, recordings, datasets, only: dt.date | None = None):
        from energy_assets.sources import epftoolbox
        from energy_assets.sources.feeds import history_payload

        for code, the_market in epftoolbox.MARKETS.items():
            path = datasets / the_market.file
            assert path.is_file(), f"{path} not found (the datasets folder is required)"
            feed = epftoolbox.PRICE_FEED
            yield feed, only or self.spring_forward, [history_payload(code, path, datasets)]

    def place(self, recordings, datasets, feed, day, body):
        path = datasets / "epftoolbox" / "PJM.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return "datasets:epftoolbox/PJM.csv"

    def test_registered(self) -> None:
        from energy_assets.sources.registry import MARKET_PROVIDERS

        assert self.provider in MARKET_PROVIDERS
        assert all(f.provider == self.provider for f in MARKET_PROVIDERS[self.provider])

    def test_every_recording_parses_to_utc_rows_with_units(self, recordings, datasets) -> None:
        from energy_assets.sources import epftoolbox

        seen = 0
        for feed, _, payloads in self.recorded(recordings, datasets):
            rows = feed.parse(payloads, epftoolbox.market(self.region))
            assert rows.schema["interval_start_local"] == pl.Datetime("us")  # market-local
            assert rows["hour"].min() == 0 and rows["hour"].max() == 23
            assert (rows.group_by("market_date").len()["len"] == 24).all()
            numeric = [n for n, t in rows.schema.items() if t.is_numeric()]
            unitless = [
                n for n in numeric if not UNIT.search(n) and n not in {"hour", "source_row"}
            ]
            assert not unitless, f"{feed.asset_name}: numeric columns without a unit: {unitless}"
            assert rows.height == 52_416 and rows["market_date"].n_unique() == 2_184
            seen += 1
        assert seen > 0

    @pytest.mark.parametrize("which", ["spring_forward", "fall_back"])
    def test_dst_days(self, recordings, datasets, which) -> None:
        from energy_assets.sources import epftoolbox

        day = getattr(self, which)
        for feed, _, payloads in self.recorded(recordings, datasets, day):
            rows = feed.day_rows(feed.parse(payloads, epftoolbox.market(self.region)), day)
            # the layout's DST days have 24 market-local hours, each once
            assert rows["hour"].to_list() == list(range(24))
            assert rows["interval_start_local"].is_unique().all()

    @pytest.mark.parametrize("kind", ["empty", "html", "truncated"])
    def test_bad_payload_names_provider_url_and_partition(
        self, recordings, datasets, tmp_path, kind
    ) -> None:
        from energy_assets.defs import prices

        feed, day, payloads = next(iter(self.recorded(recordings, datasets)))
        body = self.bad_bodies(payloads[0].body)[kind]
        data = tmp_path / "datasets"
        shown = self.place(tmp_path / "recordings", data, feed, day, body)
        http = HttpResource(transport="replay", datasets_dir=str(data))
        rd = RegionDay(self.region, day)
        with pytest.raises(dg.Failure) as failure:
            prices._read_file(http, rd)
        text = failure.value.description or ""
        assert self.provider in text.lower(), text
        assert str(rd) in text, text
        assert shown in text, text


class TestNeso(ProviderContract):
    """NESO historic demand offline: every yearly file (2009-2020) through the feed's own parse;
    the clock changes are days of 46 and 50 settlement periods. (The live DataStore response has
    no recording; its parser is tested on a documented-shape fixture in `test_gb_sources.py`.)"""

    provider = "neso"
    region = "GB"
    spring_forward = dt.date(2019, 3, 31)
    fall_back = dt.date(2019, 10, 27)

    def recorded(self, recordings, datasets, only: dt.date | None = None):
        from energy_assets.sources.feeds import history_payload

        (feed,) = PROVIDERS[self.provider]
        paths = sorted((datasets / "neso_demand").glob("demanddata_*.csv"))
        assert len(paths) == 12, paths
        for path in paths:
            year = int(path.stem.removeprefix("demanddata_"))
            if only is not None and only.year != year:
                continue
            day = only or dt.date(year, 6, 1)
            yield feed, day, [history_payload(self.provider, path, datasets)]

    def place(self, recordings, datasets, feed, day, body):
        path = datasets / "neso_demand" / f"demanddata_{day.year}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return f"datasets:neso_demand/{path.name}"


class TestUkCarbonIntensity(ProviderContract):
    """The GB Carbon Intensity API: the 2023 national file offline (its clock changes: 46 and 50
    half-hours) and every recorded API response (`recordings/uk_carbon_intensity/*.json`)
    through the national feed's parse. (The regional and generation-mix endpoints have no
    recording: documented-shape fixtures in `test_gb_sources.py`.)"""

    provider = "uk_carbon_intensity"
    region = "GB"
    spring_forward = dt.date(2023, 3, 26)
    fall_back = dt.date(2023, 10, 29)

    def recorded(self, recordings, datasets, only: dt.date | None = None):
        from energy_assets.sources.feeds import history_payload

        feed = next(f for f in PROVIDERS[self.provider] if f.name == "national")
        path = datasets / "gb_carbon_intensity" / "national_intensity_2023.csv"
        yield feed, only or dt.date(2023, 3, 14), [history_payload(self.provider, path, datasets)]
        if only is not None:
            return
        for recording in sorted((recordings / "uk_carbon_intensity").glob("*.json")):
            stamp = recording.stem.split("_")[1]  # 2023-03-14T1201Z
            url = (
                "https://api.carbonintensity.org.uk/intensity/"
                f"{stamp[:13]}:{stamp[13:]}/{recording.stem.split('_')[2]}"
            )
            day = dt.date.fromisoformat(stamp[:10])
            yield feed, day, [payload(recording.read_bytes(), url)]

    def place(self, recordings, datasets, feed, day, body):
        path = datasets / "gb_carbon_intensity" / "national_intensity_2023.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return f"datasets:gb_carbon_intensity/{path.name}"
