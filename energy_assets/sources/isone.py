"""ISO New England web services v1.1 (JSON): fuel mix, hourly system load, load forecasts with
every vintage, zonal demand.

Live: `https://webservices.iso-ne.com/api/v1.1/<service>/day/YYYYMMDD[/...]` with
`Accept: application/json` and HTTP basic authentication: an ISO Express account, from
`ISONE_USERNAME` / `ISONE_PASSWORD` (the run's keys, else the environment). The credentials go in
the `Authorization` header only: never in a URL, a recording or a message. A 401 becomes a
`FetchError` that says what to set (or that the account was refused). One request a second
(`http_client.DEFAULT_MIN_INTERVAL_S["isone"]`). The day in the path is ISO-NE's market day,
Eastern prevailing time, so a request is one market day.

Feeds:

- `fuel_mix` (`genfuelmix/day/D`): generation by fuel category at irregular instants (a new
  row set whenever the mix is re-estimated, about every 5 minutes; the day's first set comes a
  few minutes after midnight). Long: `fuel` (FuelCategory), `fuel_rollup`
  (FuelCategoryRollup), `generation_mw`, `marginal` (MarginalFlag Y/N). Instants are kept as
  published; no interval grid is imposed, so the feed has no expected row count.
- `system_load` (`hourlysysload/day/D`): hourly `load_mw`, `native_load_mw`,
  `ard_demand_mw` (asset-related demand: pumping, storage charging) for NEPOOL AREA: 24 rows,
  23 on the spring-forward day and 25 on the fall-back day (the repeated 01:00 is told apart
  by its UTC offset, `-04:00` then `-05:00`).
- `load_forecast` (`hourlyloadforecast/all/day/D`): every published vintage of the system
  hourly load forecast for D, `issued_at_utc` from `CreationDate` (about 04:00, 09:00 and
  sometimes 13:00-18:00 Eastern on D-2, D-1 and D itself), `load_mw`, `net_load_mw`. Vintages
  created on D after an hour began are kept as published: a consumer wanting forecasts must
  keep `issued_at_utc < interval_start_utc`.
- `regional_load_forecast` (`reliabilityregionloadforecast/day/D/all`): every vintage by
  reliability region (`.Z.CONNECTICUT`, ...), `load_mw` and `load_share_pct`. Unlike the system
  forecast, a vintage created on D itself covers only the hours still ahead of it (in the
  recordings: 19 hours for the 04:xx vintage, 14 for the 09:xx one), so the rows per vintage
  vary.
- `zonal_load` (`dayaheadhourlydemand` and `realtimehourlydemand`, `/day/D/location/<id>` for
  the eight load zones `LOAD_ZONES`): hourly cleared day-ahead demand and real-time load by
  zone, `market` day_ahead / real_time, `load_mw`. (Offline, only Maine and New Hampshire are
  recorded.)

Every timestamp carries its UTC offset (`2024-11-03T01:00:00.000-05:00`) and is converted
as written. Parsers are pure (`payloads -> polars`), `PayloadError` for an empty, HTML, cut or
reshaped payload; `{"HourlySystemLoads": ""}` (ISO-NE's answer for a day without data) is an
error naming the service.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import polars as pl

from energy_assets.regions import Region
from energy_assets.sources import iso_schemas as schemas
from energy_assets.sources.errors import FetchError, PayloadError
from energy_assets.sources.feeds import Feed, FeedSource
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.iso_common import (
    credential,
    distinct_sorted,
    hourly_rows,
    load_json,
    numbers,
    records,
    require_fields,
    utc_instants,
)

PROVIDER = "isone"
BASE_URL = "https://webservices.iso-ne.com/api/v1.1"
USERNAME_ENV = "ISONE_USERNAME"
PASSWORD_ENV = "ISONE_PASSWORD"
FIRST_DATE = "2016-01-01"

LOAD_ZONES: Mapping[int, str] = {
    4001: ".Z.MAINE",
    4002: ".Z.NEWHAMPSHIRE",
    4003: ".Z.VERMONT",
    4004: ".Z.CONNECTICUT",
    4005: ".Z.RHODEISLAND",
    4006: ".Z.SEMASS",
    4007: ".Z.WCMASS",
    4008: ".Z.NEMASSBOST",
}


# --- URLs -------------------------------------------------------------------------------------


def _ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def fuel_mix_url(day: dt.date) -> str:
    return f"{BASE_URL}/genfuelmix/day/{_ymd(day)}"


def system_load_url(day: dt.date) -> str:
    return f"{BASE_URL}/hourlysysload/day/{_ymd(day)}"


def load_forecast_url(day: dt.date) -> str:
    return f"{BASE_URL}/hourlyloadforecast/all/day/{_ymd(day)}"


def regional_load_forecast_url(day: dt.date) -> str:
    return f"{BASE_URL}/reliabilityregionloadforecast/day/{_ymd(day)}/all"


def zonal_load_urls(day: dt.date) -> list[str]:
    """Day-ahead then real-time demand, each for every load zone."""
    return [
        f"{BASE_URL}/{service}/day/{_ymd(day)}/location/{zone}"
        for service in ("dayaheadhourlydemand", "realtimehourlydemand")
        for zone in LOAD_ZONES
    ]


# --- fetching ---------------------------------------------------------------------------------


def auth_headers(source: FeedSource) -> dict[str, str]:
    """`Accept: application/json`, and basic authentication when both credentials are set."""
    headers = {"Accept": "application/json"}
    user, password = credential(source, USERNAME_ENV), credential(source, PASSWORD_ENV)
    if user and password:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return headers


def get(source: FeedSource, url: str) -> FetchedPayload:
    """One GET; a 401 becomes a FetchError saying which credentials to set (or that they were
    refused)."""
    headers = auth_headers(source)
    try:
        return source.client.get(PROVIDER, url, headers=headers)
    except FetchError as error:
        if error.status != 401:
            raise
        if "Authorization" in headers:
            reason = (
                f"ISO-NE web services refused the account in {USERNAME_ENV}/{PASSWORD_ENV}"
                " (wrong password, or the account lacks web-services access)"
            )
        else:
            reason = (
                f"ISO-NE web services need an ISO Express account: set {USERNAME_ENV} and"
                f" {PASSWORD_ENV} (none given)"
            )
        raise FetchError(error.provider, error.url, reason, 401) from None


def _fetch(urls: Callable[[dt.date], list[str]]):
    def fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
        return [get(source, url) for url in urls(day)]

    return fetch


# --- parsing ----------------------------------------------------------------------------------


def _what(payload: FetchedPayload, service: str) -> str:
    return f"ISO-NE {service} ({payload.url})"


def _location(row: Mapping, what: str, index: int) -> str:
    location = row.get("Location")
    if isinstance(location, Mapping) and location.get("$"):
        return str(location["$"])
    raise PayloadError(f"{what}: row {index + 1}: no Location name")


def _each(payloads: Sequence[FetchedPayload], service: str, build) -> pl.DataFrame:
    if not payloads:
        raise PayloadError(f"ISO-NE {service}: no payload")
    frames = []
    for index, payload in enumerate(payloads):
        what = _what(payload, service)
        frame = build(load_json(payload.body, what), what)
        frames.append(frame.with_columns(payload_index=pl.lit(index, dtype=pl.Int64)))
    return pl.concat(frames, how="vertical")


def parse_fuel_mix(payloads: Sequence[FetchedPayload], day: dt.date | None = None) -> pl.DataFrame:
    """genfuelmix -> interval_start_utc, fuel, fuel_rollup, generation_mw, marginal."""

    def build(document, what: str) -> pl.DataFrame:
        rows = records(document, ("GenFuelMixes", "GenFuelMix"), what)
        require_fields(rows, ("BeginDate", "GenMw", "FuelCategory"), what)
        flags = [r.get("MarginalFlag") for r in rows]
        if any(f not in ("Y", "N", None) for f in flags):
            raise PayloadError(
                f"{what}: MarginalFlag other than Y/N: {sorted(set(map(str, flags)))}"
            )
        frame = pl.DataFrame(
            {
                "interval_start_utc": utc_instants(
                    [r["BeginDate"] for r in rows], what, "BeginDate"
                ),
                "fuel": pl.Series([str(r["FuelCategory"]) for r in rows], dtype=pl.String),
                "fuel_rollup": pl.Series(
                    [str(r.get("FuelCategoryRollup") or r["FuelCategory"]) for r in rows],
                    dtype=pl.String,
                ),
                "generation_mw": numbers([r["GenMw"] for r in rows], what, "GenMw"),
                "marginal": pl.Series(
                    [None if f is None else f == "Y" for f in flags], dtype=pl.Boolean
                ),
            }
        )
        return distinct_sorted(frame, ["interval_start_utc", "fuel"], what)

    return _each(payloads, "genfuelmix", build)


def parse_system_load(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """hourlysysload -> interval_start_utc, location, load_mw, native_load_mw, ard_demand_mw."""

    def build(document, what: str) -> pl.DataFrame:
        rows = records(document, ("HourlySystemLoads", "HourlySystemLoad"), what)
        require_fields(rows, ("BeginDate", "Load"), what)
        frame = pl.DataFrame(
            {
                "interval_start_utc": utc_instants(
                    [r["BeginDate"] for r in rows], what, "BeginDate"
                ),
                "location": pl.Series(
                    [_location(r, what, i) for i, r in enumerate(rows)], dtype=pl.String
                ),
                "load_mw": numbers([r["Load"] for r in rows], what, "Load"),
                "native_load_mw": numbers([r.get("NativeLoad") for r in rows], what, "NativeLoad"),
                "ard_demand_mw": numbers([r.get("ArdDemand") for r in rows], what, "ArdDemand"),
            }
        )
        return distinct_sorted(frame, ["location", "interval_start_utc"], what)

    return _each(payloads, "hourlysysload", build)


def parse_load_forecast(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """hourlyloadforecast/all -> interval_start_utc, issued_at_utc, load_mw, net_load_mw: every
    vintage."""

    def build(document, what: str) -> pl.DataFrame:
        rows = records(document, ("HourlyLoadForecasts", "HourlyLoadForecast"), what)
        require_fields(rows, ("BeginDate", "CreationDate", "LoadMw"), what)
        frame = pl.DataFrame(
            {
                "interval_start_utc": utc_instants(
                    [r["BeginDate"] for r in rows], what, "BeginDate"
                ),
                "issued_at_utc": utc_instants(
                    [r["CreationDate"] for r in rows], what, "CreationDate"
                ),
                "load_mw": numbers([r["LoadMw"] for r in rows], what, "LoadMw"),
                "net_load_mw": numbers([r.get("NetLoadMw") for r in rows], what, "NetLoadMw"),
            }
        )
        return distinct_sorted(frame, ["issued_at_utc", "interval_start_utc"], what)

    return _each(payloads, "hourlyloadforecast", build)


def parse_regional_load_forecast(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """reliabilityregionloadforecast -> interval_start_utc, issued_at_utc, reliability_region,
    load_mw, load_share_pct: every vintage."""

    def build(document, what: str) -> pl.DataFrame:
        rows = records(
            document, ("ReliabilityRegionLoadForecasts", "ReliabilityRegionLoadForecast"), what
        )
        require_fields(rows, ("BeginDate", "CreationDate", "ReliabilityRegion", "LoadMw"), what)
        frame = pl.DataFrame(
            {
                "interval_start_utc": utc_instants(
                    [r["BeginDate"] for r in rows], what, "BeginDate"
                ),
                "issued_at_utc": utc_instants(
                    [r["CreationDate"] for r in rows], what, "CreationDate"
                ),
                "reliability_region": pl.Series(
                    [str(r["ReliabilityRegion"]) for r in rows], dtype=pl.String
                ),
                "load_mw": numbers([r["LoadMw"] for r in rows], what, "LoadMw"),
                "load_share_pct": numbers(
                    [r.get("ReliabilityRegionLoadPercentage") for r in rows],
                    what,
                    "ReliabilityRegionLoadPercentage",
                ),
            }
        )
        keys = ["reliability_region", "issued_at_utc", "interval_start_utc"]
        return distinct_sorted(frame, keys, what)

    return _each(payloads, "reliabilityregionloadforecast", build)


_ZONAL = {
    "HourlyDaDemands": ("HourlyDaDemand", "day_ahead"),
    "HourlyRtDemands": ("HourlyRtDemand", "real_time"),
    # the `/current/location/<id>` answer: one object, no outer list
    "HourlyDaDemand": (None, "day_ahead"),
    "HourlyRtDemand": (None, "real_time"),
}


def parse_zonal_load(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """dayaheadhourlydemand / realtimehourlydemand -> interval_start_utc, zone, market,
    load_mw."""

    def build(document, what: str) -> pl.DataFrame:
        outer = next((k for k in _ZONAL if isinstance(document, Mapping) and k in document), None)
        if outer is None:
            found = (
                sorted(document)[:10] if isinstance(document, Mapping) else type(document).__name__
            )
            raise PayloadError(f"{what}: neither day-ahead nor real-time demand (found {found})")
        inner, market = _ZONAL[outer]
        rows = records(document, (outer,) if inner is None else (outer, inner), what)
        require_fields(rows, ("BeginDate", "Load"), what)
        frame = pl.DataFrame(
            {
                "interval_start_utc": utc_instants(
                    [r["BeginDate"] for r in rows], what, "BeginDate"
                ),
                "zone": pl.Series(
                    [_location(r, what, i) for i, r in enumerate(rows)], dtype=pl.String
                ),
                "market": pl.Series([market] * len(rows), dtype=pl.String),
                "load_mw": numbers([r["Load"] for r in rows], what, "Load"),
            }
        )
        return distinct_sorted(frame, ["zone", "market", "interval_start_utc"], what)

    return _each(payloads, "hourly demand", build)


# --- feeds (the provider seam: energy_assets/sources/feeds.py) --------------------------------


def _feeds() -> tuple[Feed, ...]:
    def one(url_of: Callable[[dt.date], str]):
        return lambda day: [url_of(day)]

    def key(url_of: Callable[[dt.date], str]):
        return lambda region, day: url_of(day)

    return (
        Feed(
            provider=PROVIDER,
            name="fuel_mix",
            description="ISO-NE genfuelmix: generation by fuel category (MW) at the instants ISO-NE"
            " re-estimates the mix, about every 5 minutes; long, one row per instant and fuel.",
            schema=schemas.IsoneFuelMix,
            first_date=FIRST_DATE,
            request_key=key(fuel_mix_url),
            fetch=_fetch(one(fuel_mix_url)),
            parse=parse_fuel_mix,
            completeness_columns="generation_mw",
        ),
        Feed(
            provider=PROVIDER,
            name="system_load",
            description="ISO-NE hourlysysload: hourly system load, native load and asset-related"
            " demand of NEPOOL AREA (MW); 23/25 rows on DST days.",
            schema=schemas.IsoneSystemLoad,
            first_date=FIRST_DATE,
            request_key=key(system_load_url),
            fetch=_fetch(one(system_load_url)),
            parse=parse_system_load,
            expected_rows=hourly_rows,
            completeness_columns="load_mw",
        ),
        Feed(
            provider=PROVIDER,
            name="load_forecast",
            description="ISO-NE hourlyloadforecast/all: every vintage of the hourly system load"
            " forecast for the day (MW), issued_at_utc from its creation date.",
            schema=schemas.IsoneLoadForecast,
            first_date=FIRST_DATE,
            request_key=key(load_forecast_url),
            fetch=_fetch(one(load_forecast_url)),
            parse=parse_load_forecast,
            completeness_columns="load_mw",
        ),
        Feed(
            provider=PROVIDER,
            name="regional_load_forecast",
            description="ISO-NE reliabilityregionloadforecast: every vintage of the hourly load"
            " forecast by reliability region (MW and share of the system, %).",
            schema=schemas.IsoneRegionalLoadForecast,
            first_date=FIRST_DATE,
            request_key=key(regional_load_forecast_url),
            fetch=_fetch(one(regional_load_forecast_url)),
            parse=parse_regional_load_forecast,
            completeness_columns="load_mw",
        ),
        Feed(
            provider=PROVIDER,
            name="zonal_load",
            description="ISO-NE dayaheadhourlydemand and realtimehourlydemand for the eight load"
            " zones: hourly cleared day-ahead demand and real-time load (MW).",
            schema=schemas.IsoneZonalLoad,
            first_date=FIRST_DATE,
            request_key=lambda region, day: zonal_load_urls(day)[0],
            fetch=_fetch(zonal_load_urls),
            parse=parse_zonal_load,
            completeness_columns="load_mw",
        ),
    )


FEEDS = _feeds()
