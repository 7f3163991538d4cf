"""ERCOT: report archives (a listing, then the CSV-in-ZIP documents it names) and the public
dashboards.

Report feeds fetch a listing of the report's documents, pick the day's, and download each; the
payloads are `[listing, document, ...]`. A listing that names no document for the day is
refused by the parse as an empty archive, naming the report and the day (the fetch downloads
nothing then).

- `as_reports` (NP3-911-ER, 2-Day Ancillary Services Reports), through ERCOT's public API:
  listing `https://api.ercot.com/api/public-reports/archive/np3-911-er?postDatetimeFrom=
  <D+2>T00:00:00&postDatetimeTo=<D+3>T00:00:00&size=1000&page=1` (the report for operating
  day D is posted two days later), download `...?download=<docId>` (the latest posted
  document). Live needs the API's subscription key (`ERCOT_API_KEY`, header
  `Ocp-Apim-Subscription-Key`) and an ID token (`ERCOT_ID_TOKEN`, `Authorization: Bearer`;
  ERCOT issues it from a username/password POST that this GET-only client does not make, so it
  is obtained outside and is valid an hour). Rows: every `2d_Cleared_DAM_AS_<type>` and
  `2d_Self_Arranged_AS_<type>` CSV of the ZIP, `as_type` (RegUp, RegDown, NonSpin, RRSPFR,
  ECRSS, ...), `quantity` (cleared_dam / self_arranged), `quantity_mw`. The aggregated offer
  curves (`2d_Agg_AS_Offers_*`) are price-quantity steps, not hourly quantities: not kept.
- `load_forecast` (NP3-560-CD, Seven-Day Load Forecast by Forecast Zone), `wind_forecast`
  (NP4-732-CD) and `solar_forecast` (NP4-737-CD), through the public MIS servlets (no key):
  listing `https://www.ercot.com/misapp/servlets/IceDocListJsonWS?reportTypeId=<id>` (the last
  days' documents), download `https://www.ercot.com/misdownload/servlets/mirDownload?
  doclookupId=<DocID>` for every CSV document published on the market day (every vintage:
  hourly). Rows are long: `issued_at_utc` (the document's publish time, from its CSV name
  `cdr.<type>.<duns>.<YYYYMMDD>.<HHMMSS>.<report>.csv`, Central prevailing time), the zone or
  region, `measure` (the report's column: `GEN` actual, `STWPF`/`STPPF` short-term forecast,
  `WGRPP`/`PVGRPP` probabilistic forecast, `COP_HSL`, `HSL`) and the MW value.

Hours: the report CSVs label hours by hour ending. With a `DSTFlag` column (the forecasts),
`H:00` is a wall-clock hour ending and `DSTFlag=Y` marks the repeated (standard-time) hour of
the fall-back day. Without it (the AS reports), the fall-back day runs to hour ending 25 and
the hours are counted from local midnight.

Dashboards (`parse_dashboard_fuel_mix`, `parse_dashboard_demand`, `parse_dashboard_storage`):
`https://www.ercot.com/api/1/services/read/dashboards/<name>.json` answer for the current days
only (yesterday, today, tomorrow), so they are parsed, not fed by market day: fuel mix 5-minute
`generation_mw` by fuel, demand hourly `load_mw` with ERCOT's current and day-ahead forecasts,
storage 5-minute charging/discharging. Their timestamps carry a UTC offset.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import iso_raw as schemas
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.iso_common import (
    UTC_DATETIME,
    credential,
    csv_table,
    distinct_sorted,
    load_json,
    numbers,
    zip_members,
)
from energy_assets.timeutil import market_day_bounds_utc, wall_time_to_utc

PROVIDER = "ercot"
TIMEZONE = "America/Chicago"
API_URL = "https://api.ercot.com/api/public-reports"
MIS_LIST_URL = "https://www.ercot.com/misapp/servlets/IceDocListJsonWS"
MIS_DOWNLOAD_URL = "https://www.ercot.com/misdownload/servlets/mirDownload"
KEY_ENV = "ERCOT_API_KEY"
TOKEN_ENV = "ERCOT_ID_TOKEN"

# MIS report type ids of the forecast feeds
REPORT_TYPES = {"load_forecast": 12311, "wind_forecast": 13028, "solar_forecast": 13483}


# --- URLs -------------------------------------------------------------------------------------


def as_listing_url(day: dt.date) -> str:
    """The public-API listing of the 2-day AS documents posted for operating day `day`."""
    posted = day + dt.timedelta(days=2)
    after = posted + dt.timedelta(days=1)
    return (
        f"{API_URL}/archive/np3-911-er?postDatetimeFrom={posted:%Y-%m-%d}T00:00:00"
        f"&postDatetimeTo={after:%Y-%m-%d}T00:00:00&size=1000&page=1"
    )


def mis_listing_url(report_type: int) -> str:
    return f"{MIS_LIST_URL}?reportTypeId={report_type}"


def mis_download_url(doc_id: str) -> str:
    return f"{MIS_DOWNLOAD_URL}?doclookupId={doc_id}"


# --- listings ---------------------------------------------------------------------------------


def listed_documents(body: bytes, what: str) -> list[dict[str, str]]:
    """The documents a listing names: `doc_id`, `name`, `posted` (ISO text as listed) and
    `url` (its download URL). Both listing shapes: the public API's `archives` and the MIS
    servlet's `ListDocsByRptTypeRes/DocumentList`. An empty list is returned as such."""
    document = load_json(body, what)
    if isinstance(document, Mapping) and "archives" in document:
        out = []
        for entry in document["archives"] or []:
            href = entry.get("_links", {}).get("endpoint", {}).get("href")
            if not href or "docId" not in entry:
                raise PayloadError(f"{what}: an archive entry without docId or download link")
            out.append(
                {
                    "doc_id": str(entry["docId"]),
                    "name": str(entry.get("friendlyName", "")),
                    "posted": str(entry.get("postDatetime", "")),
                    "url": href,
                }
            )
        return out
    if isinstance(document, Mapping) and "ListDocsByRptTypeRes" in document:
        listed = document["ListDocsByRptTypeRes"] or {}
        entries = listed.get("DocumentList") or [] if isinstance(listed, Mapping) else []
        if isinstance(entries, Mapping):
            entries = [entries]
        out = []
        for entry in entries:
            doc = entry.get("Document") if isinstance(entry, Mapping) else None
            if not isinstance(doc, Mapping) or "DocID" not in doc:
                raise PayloadError(f"{what}: a listed document without DocID")
            out.append(
                {
                    "doc_id": str(doc["DocID"]),
                    "name": str(doc.get("FriendlyName", "")),
                    "posted": str(doc.get("PublishDate", "")),
                    "url": mis_download_url(str(doc["DocID"])),
                }
            )
        return out
    found = sorted(document)[:10] if isinstance(document, Mapping) else type(document).__name__
    raise PayloadError(f"{what}: not an ERCOT report listing (found {found})")


def _posted_day(posted: str) -> dt.date | None:
    try:
        stamp = dt.datetime.fromisoformat(posted)
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        from zoneinfo import ZoneInfo

        stamp = stamp.astimezone(ZoneInfo(TIMEZONE))
    return stamp.date()


def _auth(source: FeedSource) -> dict[str, str]:
    headers = {}
    key, token = credential(source, KEY_ENV), credential(source, TOKEN_ENV)
    if key:
        headers["Ocp-Apim-Subscription-Key"] = key
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _fetch_as(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
    headers = _auth(source)
    listing = source.client.get(PROVIDER, as_listing_url(day), headers=headers)
    try:
        docs = listed_documents(listing.body, "ERCOT NP3-911-ER listing")
    except PayloadError:
        return [listing]  # the parse names the fault
    docs = sorted(docs, key=lambda d: d["posted"])[-1:]  # the latest posted
    return [listing, *(source.client.get(PROVIDER, d["url"], headers=headers) for d in docs)]


def _fetch_mis(feed_name: str):
    def fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
        listing = source.client.get(PROVIDER, mis_listing_url(REPORT_TYPES[feed_name]))
        try:
            docs = listed_documents(listing.body, f"ERCOT {feed_name} listing")
        except PayloadError:
            return [listing]
        wanted = [
            d
            for d in docs
            if d["name"].lower().endswith("_csv") and _posted_day(d["posted"]) == day
        ]
        return [listing, *(source.client.get(PROVIDER, d["url"]) for d in wanted)]

    return fetch


# --- hours ------------------------------------------------------------------------------------


def _elapsed_hour_starts(
    dates: Sequence[str], hours: Sequence[str], what: str
) -> list[dt.datetime]:
    """Hour ending counted from local midnight (1..23/24/25), as in the AS reports."""
    out = []
    bounds: dict[str, tuple[dt.datetime, int]] = {}
    for date_text, hour_text in zip(dates, hours, strict=True):
        if date_text not in bounds:
            try:
                date = dt.datetime.strptime(date_text, "%m/%d/%Y").date()
            except ValueError:
                raise PayloadError(f"{what}: date {date_text!r} is not MM/DD/YYYY") from None
            start, end = market_day_bounds_utc(date, TIMEZONE)
            bounds[date_text] = (start, int((end - start).total_seconds() // 3600))
        start, n_hours = bounds[date_text]
        try:
            hour = int(hour_text)
        except ValueError:
            raise PayloadError(f"{what}: hour ending {hour_text!r} is not a number") from None
        if not 1 <= hour <= n_hours:
            raise PayloadError(
                f"{what}: hour ending {hour} on {date_text}, a day of {n_hours} hours"
            )
        out.append(start + dt.timedelta(hours=hour - 1))
    return out


_HOUR = re.compile(r"^(\d{1,2})(?::00)?$")


def _wall_hour_starts(
    dates: Sequence[str], hours: Sequence[str], flags: Sequence[str], what: str
) -> list[dt.datetime]:
    """Wall-clock hour ending (`H:00`), `DSTFlag=Y` the repeated standard-time hour."""
    out = []
    for date_text, hour_text, flag in zip(dates, hours, flags, strict=True):
        match = _HOUR.match(hour_text.strip())
        if not match or not 1 <= int(match.group(1)) <= 24:
            raise PayloadError(f"{what}: hour ending {hour_text!r} is not H:00 in 1..24")
        try:
            date = dt.datetime.strptime(date_text, "%m/%d/%Y").date()
        except ValueError:
            raise PayloadError(f"{what}: date {date_text!r} is not MM/DD/YYYY") from None
        wall = dt.datetime.combine(date, dt.time(int(match.group(1)) - 1))
        repeated = flag.strip().upper() == "Y"
        start = wall_time_to_utc(wall, TIMEZONE, "latest" if repeated else "earliest")
        if start is None:
            raise PayloadError(
                f"{what}: hour ending {hour_text} of {date_text} does not exist (DST)"
            )
        out.append(start)
    return out


# --- parsing ----------------------------------------------------------------------------------


def _documents(payloads: Sequence[FetchedPayload], report: str):
    """(payload index, what, ZIP members) of every document after the listing; the listing must
    name at least one."""
    if not payloads:
        raise PayloadError(f"ERCOT {report}: no payload")
    listing = payloads[0]
    docs = listed_documents(listing.body, f"ERCOT {report} listing ({listing.url})")
    if not docs or len(payloads) == 1:
        raise PayloadError(
            f"ERCOT {report} ({listing.url}): the archive lists no document for the day"
            f" ({len(docs)} listed in all)"
        )
    for index, payload in enumerate(payloads[1:], start=1):
        what = f"ERCOT {report} ({payload.url})"
        yield index, what, zip_members(payload.body, what)


_AS_FILE = re.compile(r"^2d_(Cleared_DAM_AS|Self_Arranged_AS|Agg_AS_Offers)_(\w+?)-", re.IGNORECASE)


def parse_as_reports(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """2-Day AS report ZIPs -> interval_start_utc, as_type, quantity (cleared_dam /
    self_arranged), quantity_mw."""
    frames = []
    for index, what, members in _documents(payloads, "NP3-911-ER"):
        kept = 0
        for name, body in sorted(members.items()):
            match = _AS_FILE.match(name)
            if match is None:
                raise PayloadError(f"{what}: unexpected file {name!r} in the ZIP")
            kind = match.group(1).lower()
            if kind == "agg_as_offers":
                continue  # offer curves (price-quantity steps): not kept
            table = csv_table(body, f"{what} [{name}]", required=("Delivery Date", "Hour Ending"))
            if table.width != 3:
                raise PayloadError(f"{what} [{name}]: expected 3 columns, got {table.columns}")
            value = table.columns[2]
            as_type = value.rsplit(" - ", 1)[-1]
            starts = _elapsed_hour_starts(
                table["Delivery Date"].to_list(), table["Hour Ending"].to_list(), f"{what} [{name}]"
            )
            frames.append(
                pl.DataFrame(
                    {
                        "interval_start_utc": pl.Series(starts, dtype=UTC_DATETIME),
                        "as_type": pl.Series([as_type] * table.height, dtype=pl.String),
                        "quantity": pl.Series(
                            ["cleared_dam" if kind.startswith("cleared") else "self_arranged"]
                            * table.height,
                            dtype=pl.String,
                        ),
                        "quantity_mw": numbers(table[value].to_list(), f"{what} [{name}]", value),
                        "payload_index": pl.Series([index] * table.height, dtype=pl.Int64),
                    }
                )
            )
            kept += 1
        if not kept:
            raise PayloadError(f"{what}: no cleared or self-arranged AS file in the ZIP")
    frame = pl.concat(frames)
    return distinct_sorted(frame, ["as_type", "quantity", "interval_start_utc"], "ERCOT NP3-911-ER")


_CDR_NAME = re.compile(
    r"^cdr\.\d+\.\d+\.(\d{8})\.(\d{6})\d*\.([A-Z0-9_]+?)(?:_csv)?\.csv$", re.IGNORECASE
)
_MEASURES = "GEN|COP_HSL|STWPF|STPPF|WGRPP|PVGRPP|HSL"
_ZONE_COLUMN = re.compile(rf"^({_MEASURES})_(.+)$")  # GEN_LZ_WEST, COP_HSL_SYSTEM_WIDE
_ZONE_COLUMN_LAST = re.compile(rf"^(.+)_({_MEASURES})$")  # SYSTEM_WIDE_GEN, SYSTEM_WIDE_HSL


def _issued_at(name: str, what: str) -> dt.datetime:
    match = _CDR_NAME.match(name)
    if match is None:
        raise PayloadError(f"{what}: document {name!r} does not carry its publish time")
    wall = dt.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
    stamp = wall_time_to_utc(wall, TIMEZONE, "earliest")
    if stamp is None:
        raise PayloadError(f"{what}: publish time {wall} does not exist in Central time")
    return stamp


def _forecast_rows(
    payloads: Sequence[FetchedPayload], report: str, unit_column: str
) -> pl.DataFrame:
    """The MIS forecast CSVs, long: interval_start_utc, issued_at_utc, area, measure, value."""
    frames = []
    for index, what, members in _documents(payloads, report):
        csvs = [n for n in members if n.lower().endswith(".csv")]
        if len(csvs) != 1:
            raise PayloadError(f"{what}: expected one CSV in the ZIP, found {sorted(members)}")
        name = csvs[0]
        table = csv_table(members[name], f"{what} [{name}]")
        columns = {c.upper(): c for c in table.columns}
        date_col = columns.get("DELIVERYDATE") or columns.get("DELIVERY_DATE")
        hour_col = columns.get("HOURENDING") or columns.get("HOUR_ENDING")
        flag_col = columns.get("DSTFLAG")
        if not (date_col and hour_col and flag_col):
            raise PayloadError(f"{what} [{name}]: no delivery date, hour ending or DSTFlag column")
        starts = _wall_hour_starts(
            table[date_col].to_list(), table[hour_col].to_list(), table[flag_col].to_list(), what
        )
        issued = _issued_at(name, what)
        for column in table.columns:
            if column in (date_col, hour_col, flag_col):
                continue
            upper = column.upper()
            match = _ZONE_COLUMN.match(upper)
            last = _ZONE_COLUMN_LAST.match(upper)
            if match:
                measure, area = match.group(1), match.group(2)
            elif last:
                area, measure = last.group(1), last.group(2)
            elif report == "NP3-560-CD":
                measure, area = "LOAD_FORECAST", column  # as published: North, SystemTotal
            else:
                raise PayloadError(f"{what} [{name}]: unknown column {column!r}")
            frames.append(
                pl.DataFrame(
                    {
                        "interval_start_utc": pl.Series(starts, dtype=UTC_DATETIME),
                        "issued_at_utc": pl.Series([issued] * table.height, dtype=UTC_DATETIME),
                        "area": pl.Series([area] * table.height, dtype=pl.String),
                        "measure": pl.Series([measure] * table.height, dtype=pl.String),
                        unit_column: numbers(table[column].to_list(), what, column),
                        "payload_index": pl.Series([index] * table.height, dtype=pl.Int64),
                    }
                )
            )
    frame = pl.concat(frames)
    keys = ["area", "measure", "issued_at_utc", "interval_start_utc"]
    return distinct_sorted(frame, keys, f"ERCOT {report}")


def parse_load_forecast(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """NP3-560-CD -> interval_start_utc, issued_at_utc, forecast_zone, load_mw (every vintage;
    `SystemTotal` is the system)."""
    rows = _forecast_rows(payloads, "NP3-560-CD", "load_mw")
    return rows.rename({"area": "forecast_zone"}).drop("measure")


def parse_wind_forecast(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """NP4-732-CD -> interval_start_utc, issued_at_utc, area, measure, generation_mw."""
    return _forecast_rows(payloads, "NP4-732-CD", "generation_mw")


def parse_solar_forecast(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """NP4-737-CD -> interval_start_utc, issued_at_utc, area, measure, generation_mw."""
    return _forecast_rows(payloads, "NP4-737-CD", "generation_mw")


# --- dashboards (current days only: parsed, not fed) ------------------------------------------


def _dashboard_time(text: str, what: str) -> dt.datetime:
    try:
        stamp = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S%z")
    except ValueError:
        raise PayloadError(
            f"{what}: timestamp {text!r} is not 'YYYY-MM-DD HH:MM:SS+hhmm'"
        ) from None
    return stamp.astimezone(dt.UTC)


def parse_dashboard_fuel_mix(body: bytes, url: str = "dashboards/fuel-mix.json") -> pl.DataFrame:
    """Fuel-mix dashboard -> interval_start_utc, fuel, generation_mw (5-minute)."""
    what = f"ERCOT dashboard fuel mix ({url})"
    document = load_json(body, what)
    data = document.get("data") if isinstance(document, Mapping) else None
    if not isinstance(data, Mapping) or not data:
        raise PayloadError(f"{what}: no data")
    starts, fuels, values = [], [], []
    for day_rows in data.values():
        for stamp, mix in day_rows.items():
            instant = _dashboard_time(stamp, what)
            for fuel, reading in mix.items():
                if not isinstance(reading, Mapping) or "gen" not in reading:
                    raise PayloadError(f"{what}: {stamp} {fuel}: no 'gen' value")
                starts.append(instant)
                fuels.append(fuel)
                values.append(reading["gen"])
    frame = pl.DataFrame(
        {
            "interval_start_utc": pl.Series(starts, dtype=UTC_DATETIME),
            "fuel": pl.Series(fuels, dtype=pl.String),
            "generation_mw": numbers(values, what, "gen"),
        }
    )
    return distinct_sorted(frame, ["fuel", "interval_start_utc"], what)


def parse_dashboard_demand(
    body: bytes, url: str = "dashboards/loadForecastVsActual.json"
) -> pl.DataFrame:
    """Demand dashboard -> interval_start_utc, load_mw (null ahead of now),
    current_forecast_mw, day_ahead_forecast_mw (hourly; the timestamp is the hour's end)."""
    what = f"ERCOT dashboard demand ({url})"
    document = load_json(body, what)
    rows = [
        r
        for key in ("previousDay", "currentDay", "nextDay")
        if isinstance(document, Mapping) and isinstance(document.get(key), Mapping)
        for r in document[key].get("data") or []
    ]
    if not rows:
        raise PayloadError(f"{what}: no data")
    ends = [_dashboard_time(r["timestamp"], what) for r in rows]
    frame = pl.DataFrame(
        {
            "interval_start_utc": pl.Series(
                [e - dt.timedelta(hours=1) for e in ends], dtype=UTC_DATETIME
            ),
            "load_mw": numbers([r.get("systemLoad") for r in rows], what, "systemLoad"),
            "current_forecast_mw": numbers(
                [r.get("currentLoadForecast") for r in rows], what, "currentLoadForecast"
            ),
            "day_ahead_forecast_mw": numbers(
                [r.get("dayAheadForecast") for r in rows], what, "dayAheadForecast"
            ),
        }
    )
    return distinct_sorted(frame, ["interval_start_utc"], what)


def parse_dashboard_storage(
    body: bytes, url: str = "dashboards/energy-storage-resources.json"
) -> pl.DataFrame:
    """Storage dashboard -> interval_start_utc, charging_mw (negative), discharging_mw,
    net_output_mw (5-minute)."""
    what = f"ERCOT dashboard storage ({url})"
    document = load_json(body, what)
    rows = [
        r
        for key in ("previousDay", "currentDay")
        if isinstance(document, Mapping) and isinstance(document.get(key), Mapping)
        for r in document[key].get("data") or []
    ]
    if not rows:
        raise PayloadError(f"{what}: no data")
    frame = pl.DataFrame(
        {
            "interval_start_utc": pl.Series(
                [_dashboard_time(r["timestamp"], what) for r in rows], dtype=UTC_DATETIME
            ),
            "charging_mw": numbers([r.get("totalCharging") for r in rows], what, "totalCharging"),
            "discharging_mw": numbers(
                [r.get("totalDischarging") for r in rows], what, "totalDischarging"
            ),
            "net_output_mw": numbers([r.get("netOutput") for r in rows], what, "netOutput"),
        }
    )
    return distinct_sorted(frame, ["interval_start_utc"], what)


# --- feeds (the provider seam: energy_assets/sources/feeds.py) --------------------------------


def _whole(rows: pl.DataFrame, region: Region, day: dt.date) -> pl.DataFrame:
    return rows


def _feeds() -> tuple[Feed, ...]:
    return (
        Feed(
            provider=PROVIDER,
            name="as_reports",
            description="ERCOT NP3-911-ER 2-Day Ancillary Services Reports: hourly cleared"
            " day-ahead and self-arranged AS quantities by AS type (MW), 25 hours on the"
            " fall-back day.",
            schema=schemas.ErcotAsReport,
            first_date="2023-12-01",
            request_key=lambda region, day: as_listing_url(day),
            fetch=_fetch_as,
            parse=parse_as_reports,
            completeness_columns="quantity_mw",
        ),
        *(
            Feed(
                provider=PROVIDER,
                name=name,
                description=description,
                schema=schema,
                first_date="2024-01-01",
                request_key=lambda region, day, name=name: (
                    f"{mis_listing_url(REPORT_TYPES[name])}#{day}"
                ),
                fetch=_fetch_mis(name),
                parse=parse,
                day_rows=_whole,  # partitioned by issue day: the day's vintages, all they cover
                completeness_columns=column,
            )
            for name, description, schema, parse, column in (
                (
                    "load_forecast",
                    "ERCOT NP3-560-CD seven-day load forecast by forecast zone: every hourly"
                    " vintage published on the day, MW.",
                    schemas.ErcotLoadForecast,
                    parse_load_forecast,
                    "load_mw",
                ),
                (
                    "wind_forecast",
                    "ERCOT NP4-732-CD hourly wind actuals and forecasts (STWPF, WGRPP, COP HSL)"
                    " by region: every vintage published on the day, MW.",
                    schemas.ErcotRenewableForecast,
                    parse_wind_forecast,
                    "generation_mw",
                ),
                (
                    "solar_forecast",
                    "ERCOT NP4-737-CD hourly solar actuals and forecasts (STPPF, PVGRPP, COP HSL)"
                    " system-wide: every vintage published on the day, MW.",
                    schemas.ErcotRenewableForecast,
                    parse_solar_forecast,
                    "generation_mw",
                ),
            )
        ),
    )


FEEDS = _feeds()
