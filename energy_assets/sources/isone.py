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

- `wind_solar_forecast` (ISO Express CSV reports `transform/csv/wphf?start=D` and
  `sphf?start=D`, the seven-day wind and solar power forecasts, public, no account; the site
  sets a cookie on the report's page first, so the fetch visits that page in the same client
  session and keeps only the CSV): `fuel`, `generation_mw` for 8 local days by hour ending,
  `issued_at_utc` from the report's "Report generated MM/DD/YYYY HH:MM:SS EST" line. Hours
  left blank (Day 1 before the report was made, Day 8 after its horizon) have no row.

Also read, not a feed: the ISO Express chart answers (`parse_chart_system_load`,
`parse_chart_external_flows`). They answer a form POST to `/ws/wsclient`, which the project's
HTTP client (GET only) does not send; they are parsed so the recorded answers are checked.

Every timestamp carries its UTC offset (`2024-11-03T01:00:00.000-05:00`) and is converted
as written. Parsers are pure (`payloads -> polars`), `PayloadError` for an empty, HTML, cut or
reshaped payload; `{"HourlySystemLoads": ""}` (ISO-NE's answer for a day without data) is an
error naming the service.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import iso_raw as schemas
from energy_assets.sources.errors import FetchError, PayloadError
from energy_assets.sources.feeds import Feed, FeedSource, whole_payload
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.iso_common import (
    UTC_DATETIME,
    credential,
    csv_table,
    distinct_sorted,
    hourly_rows,
    load_json,
    numbers,
    records,
    require_fields,
    utc_instants,
)
from energy_assets.timeutil import wall_time_to_utc

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


EXPRESS_URL = "https://www.iso-ne.com"
TIMEZONE = "America/New_York"


def wind_solar_forecast_urls(day: dt.date) -> list[str]:
    """The seven-day wind then solar forecast reports issued on `day`."""
    return [f"{EXPRESS_URL}/transform/csv/{code}?start={_ymd(day)}" for code in ("wphf", "sphf")]


def _report_page(url: str) -> str:
    kind = "wind" if "/wphf" in url else "solar"
    return f"{EXPRESS_URL}/isoexpress/web/reports/operations/-/tree/seven-day-{kind}-power-forecast"


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


def _fetch_express(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
    """The CSV reports; live, each after a visit to its page (which sets the session cookie the
    CSV needs; that page is not kept). Replay serves the CSV alone."""
    out = []
    for url in wind_solar_forecast_urls(day):
        if not source.offline:
            source.client.get(PROVIDER, _report_page(url))
        out.append(source.client.get(PROVIDER, url))
    return out


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


def _instants(rows: Sequence[Mapping], field: str, what: str) -> pl.Series:
    """`field` of every row as UTC instants."""
    return utc_instants([r[field] for r in rows], what, field)


def _locations(rows: Sequence[Mapping], what: str) -> pl.Series:
    """Every row's Location name."""
    return pl.Series([_location(r, what, i) for i, r in enumerate(rows)], dtype=pl.String)


def _constant(value: str, n: int) -> pl.Series:
    """`value` on each of `n` rows."""
    return pl.Series([value] * n, dtype=pl.String)


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
                "interval_start_utc": _instants(rows, "BeginDate", what),
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
                "interval_start_utc": _instants(rows, "BeginDate", what),
                "location": _locations(rows, what),
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
                "interval_start_utc": _instants(rows, "BeginDate", what),
                "issued_at_utc": _instants(rows, "CreationDate", what),
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
                "interval_start_utc": _instants(rows, "BeginDate", what),
                "issued_at_utc": _instants(rows, "CreationDate", what),
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
                "interval_start_utc": _instants(rows, "BeginDate", what),
                "zone": _locations(rows, what),
                "market": _constant(market, len(rows)),
                "load_mw": numbers([r["Load"] for r in rows], what, "Load"),
            }
        )
        return distinct_sorted(frame, ["zone", "market", "interval_start_utc"], what)

    return _each(payloads, "hourly demand", build)


_GENERATED = re.compile(
    r"Report generated (\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}) (EST|EDT)", re.IGNORECASE
)
_REPORT_FUEL = re.compile(r"Seven Day (Wind|Solar) Power Forecast", re.IGNORECASE)


def _hour_ending_start(date: dt.date, hour_ending: str, what: str) -> dt.datetime | None:
    """The UTC start of ISO-NE's hour ending `HE` (`01`..`24`, `02X` the repeated fall-back
    hour) of local day `date`; None for the hour a spring-forward day does not have."""
    repeated = hour_ending.upper().endswith("X")
    try:
        number = int(hour_ending.upper().rstrip("X"))
    except ValueError:
        raise PayloadError(f"{what}: hour ending {hour_ending!r} is not a number") from None
    if not 1 <= number <= 24:
        raise PayloadError(f"{what}: hour ending {hour_ending!r} out of range")
    wall = dt.datetime.combine(date, dt.time(number - 1))
    return wall_time_to_utc(wall, TIMEZONE, "latest" if repeated else "earliest")


def parse_wind_solar_forecast(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """Seven-day wind / solar power forecast CSVs -> interval_start_utc, issued_at_utc, fuel,
    generation_mw (one row per forecast hour given)."""

    def build(payload: FetchedPayload, what: str) -> pl.DataFrame:
        table = csv_table(_records_only(payload.body, what), what)
        text = payload.body.decode("utf-8", "replace")
        generated, fuel = _GENERATED.search(text), _REPORT_FUEL.search(text)
        if generated is None or fuel is None:
            raise PayloadError(
                f"{what}: no 'Seven Day ... Power Forecast' title or generation time"
            )
        offset = dt.timezone(dt.timedelta(hours=-5 if generated.group(2).upper() == "EST" else -4))
        issued = (
            dt.datetime.strptime(generated.group(1), "%m/%d/%Y %H:%M:%S")
            .replace(tzinfo=offset)
            .astimezone(dt.UTC)
        )
        dates_row = table.filter(pl.col("field_1") == "Date")
        if dates_row.height != 1:
            raise PayloadError(f"{what}: no single 'Date' row")
        day_columns = [c for c in table.columns[3:]]
        dates = {}
        for column in day_columns:
            try:
                dates[column] = dt.datetime.strptime(dates_row[column][0], "%m/%d/%Y").date()
            except ValueError:
                raise PayloadError(
                    f"{what}: date {dates_row[column][0]!r} is not MM/DD/YYYY"
                ) from None
        hours = table.filter((pl.col("field_0") == "D") & (pl.col("field_1") == ""))
        starts, values = [], []
        for row in hours.iter_rows(named=True):
            for column, date in dates.items():
                cell = row[column]
                if cell == "":
                    continue
                start = _hour_ending_start(date, row["field_2"], what)
                if start is None:
                    raise PayloadError(
                        f"{what}: a value for hour ending {row['field_2']} of {date}, an hour"
                        " the spring-forward day does not have"
                    )
                starts.append(start)
                values.append(cell)
        if not starts:
            raise PayloadError(f"{what}: no forecast values")
        frame = pl.DataFrame(
            {
                "interval_start_utc": pl.Series(starts, dtype=UTC_DATETIME),
                "issued_at_utc": pl.Series([issued] * len(starts), dtype=UTC_DATETIME),
                "fuel": _constant(fuel.group(1).lower(), len(starts)),
                "generation_mw": numbers(values, what, "MW", nullable=False),
            }
        )
        return distinct_sorted(frame, ["fuel", "issued_at_utc", "interval_start_utc"], what)

    if not payloads:
        raise PayloadError("ISO-NE seven-day forecast: no payload")
    frames = []
    for index, payload in enumerate(payloads):
        frame = build(payload, _what(payload, "seven-day power forecast"))
        frames.append(frame.with_columns(payload_index=pl.lit(index, dtype=pl.Int64)))
    return pl.concat(frames)


def _records_only(body: bytes, what: str) -> bytes:
    """ISO Express report CSVs tag each line: C comment, H header, D data, T trailer. The rows
    kept are the H and D lines (as a CSV with a generic header `field_0..`); the T line must be
    there, or the report was cut."""
    from energy_assets.sources.csv_text import decode_csv

    text = decode_csv(body, what)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[-1].startswith('"T"'):
        raise PayloadError(f'{what}: no trailer line ("T"): the report is cut or not a report')
    kept = [line for line in lines if line.startswith(('"H"', '"D"'))]
    if len(kept) < 3:
        raise PayloadError(f"{what}: no header and data lines")
    width = max(line.count(",") for line in kept) + 1
    header = ",".join(f"field_{i}" for i in range(width))
    return ("\n".join([header, *kept]) + "\n").encode()


def _chart(document, what: str) -> Mapping:
    if not isinstance(document, list) or not document or not isinstance(document[0], Mapping):
        raise PayloadError(f"{what}: not an ISO Express chart answer (a list of one object)")
    data = document[0].get("data")
    if not isinstance(data, Mapping) or not data:
        raise PayloadError(f"{what}: the chart answer has no data")
    return data


def parse_chart_system_load(body: bytes, url: str = "wsclient systemload") -> pl.DataFrame:
    """ISO Express `systemload` chart -> interval_start_utc, series (`actual` 5-minute,
    `prior_day_forecast`, `forecast`, `cleared` day-ahead), issued_at_utc (forecasts only),
    load_mw."""
    what = f"ISO-NE chart systemload ({url})"
    data = _chart(load_json(body, what), what)
    names = {
        "actual": "actual",
        "priorDay": "prior_day_forecast",
        "forecast": "forecast",
        "cleared": "cleared",
    }
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise PayloadError(f"{what}: unknown series {unknown}")
    frames = []
    for key, series in names.items():
        rows = data.get(key) or []
        if not rows:
            continue
        require_fields(rows, ("BeginDate", "Mw"), what)
        created = [r.get("CreationDate") for r in rows]
        frames.append(
            pl.DataFrame(
                {
                    "interval_start_utc": _instants(rows, "BeginDate", what),
                    "series": _constant(series, len(rows)),
                    "issued_at_utc": utc_instants(created, what, "CreationDate")
                    if all(created)
                    else pl.Series([None] * len(rows), dtype=UTC_DATETIME),
                    "load_mw": numbers([r["Mw"] for r in rows], what, "Mw"),
                }
            )
        )
    if not frames:
        raise PayloadError(f"{what}: every series is empty")
    return distinct_sorted(pl.concat(frames), ["series", "interval_start_utc"], what)


def parse_chart_external_flows(body: bytes, url: str = "wsclient externalflow") -> pl.DataFrame:
    """ISO Express `externalflow` chart -> interval_start_utc, interface, actual_mw (ISO-NE's
    sign: imports negative), scheduled_import_mw, scheduled_export_mw."""
    what = f"ISO-NE chart externalflow ({url})"
    data = _chart(load_json(body, what), what)
    frames = []
    for location, rows in data.items():
        if not isinstance(rows, list) or not rows:
            raise PayloadError(f"{what}: no rows for location {location}")
        require_fields(rows, ("BeginDate", "Actual", "Import", "Export"), what)
        frames.append(
            pl.DataFrame(
                {
                    "interval_start_utc": _instants(rows, "BeginDate", what),
                    "interface": _locations(rows, what),
                    "actual_mw": numbers([r["Actual"] for r in rows], what, "Actual"),
                    "scheduled_import_mw": numbers([r["Import"] for r in rows], what, "Import"),
                    "scheduled_export_mw": numbers([r["Export"] for r in rows], what, "Export"),
                }
            )
        )
    return distinct_sorted(pl.concat(frames), ["interface", "interval_start_utc"], what)


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
        Feed(
            provider=PROVIDER,
            name="wind_solar_forecast",
            description="ISO-NE seven-day wind and solar power forecasts (ISO Express CSV"
            " reports) issued on the day: hourly MW for 8 local days, issued_at_utc from the"
            " report's generation time.",
            schema=schemas.IsoneWindSolarForecast,
            first_date="2020-01-01",
            request_key=lambda region, day: wind_solar_forecast_urls(day)[0],
            fetch=_fetch_express,
            parse=parse_wind_solar_forecast,
            day_rows=whole_payload,
            completeness_columns="generation_mw",
        ),
    )


FEEDS = _feeds()
