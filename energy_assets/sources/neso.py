"""NESO (Great Britain's electricity system operator) historic demand, pure: settlement periods
in London local time turned into UTC half-hours.

Two inputs, one vocabulary (UTC interval starts, MW averaged over the half-hour):

- Offline (the replay transport, and every test): `datasets/neso_demand/demanddata_<Y>.csv`
  (2009-2020), the NESO data portal's "Historic Demand Data" file of each year, archived
  verbatim (its URL `datasets:neso_demand/demanddata_2019.csv`); one file serves every day of
  its year and is parsed once per process.
- Live: the NESO data portal's CKAN DataStore API (`datastore_search`) on the "Demand Data
  Update" resource (`DEMAND_UPDATE_RESOURCE`), one request per settlement date, filtered on
  `SETTLEMENT_DATE` and sorted on `SETTLEMENT_PERIOD`. That resource holds the days from the
  first of the previous month to today, so live this feed serves recent days; older days come
  from the yearly history files. The portal asks for at most two DataStore requests a minute.
  No recording of a DataStore response exists: the test fixture is the smallest response in the
  documented CKAN shape (`{"success": true, "result": {"fields": [...], "records": [...]}}`,
  with the portal's field names), written here and labelled as such in the test.

Time: `SETTLEMENT_DATE` is the GB local (Europe/London) day; `SETTLEMENT_PERIOD` 1 is the
half-hour from local midnight, and the periods run on in UTC half-hours from there: 48 a day,
46 on the spring clock change (the local hour 01:00-02:00 does not exist), 50 in autumn (the
local hour 01:00-02:00 happens twice). So `interval_start_utc` = the UTC instant of local
midnight of the settlement date + 30 min x (period - 1), exact on every day. A period beyond the
day's count (49 on a 48-period day, 47 on the spring day), a repeated (date, period) or a
period below 1 is a `PayloadError` naming the line; a missing period is left missing (the raw
asset's completeness check warns: 46/48/50 half-hours expected).

What the twelve files show (2009-2020): 17,520 rows a year (17,568 in leap years), every
settlement date with 48 periods except the clock changes (46 in March, 50 in October, e.g.
2019-03-31 and 2019-10-27), no blank cell, whole MW. Dates are written `01-JAN-2009`; the
portal's DataStore writes `2024-01-01` (or `2024-01-01T00:00:00`): both are read. The header
grows: 17 columns to 2018, `NSL_FLOW` and `ELECLINK_FLOW` from 2019 (zero there); newer years
add more interconnectors (`*_FLOW`, any of which is accepted and summed). Faults kept as
published (plausibility is judged downstream, and `demand_mw` is ND, which has none of them):
`TSD` is 0 in 48 half-hours of 2009 (e.g. 2009-08-29, periods 3..), `ENGLAND_WALES_DEMAND` is 0
in 2 half-hours of 2015 and 2 of 2020.

Columns (`parse_history`, `parse_datastore`), MW averaged over the half-hour:

- `national_demand_mw` (ND): the GB generation requirement met by transmission-connected
  generation, excluding station load, pumping and exports; embedded (distribution-connected)
  wind and solar reduce it. This is the demand the harmonized tables use.
- `transmission_system_demand_mw` (TSD: ND plus station load, pumping and exports),
  `england_wales_demand_mw`, `embedded_wind_generation_mw`, `embedded_wind_capacity_mw`,
  `embedded_solar_generation_mw`, `embedded_solar_capacity_mw`, `non_bm_stor_mw`,
  `pump_storage_pumping_mw`, and `interconnector_net_import_mw`: the sum of every
  `*_FLOW` column (MW, import positive; null only when all are blank).
- `settlement_date` (the local date) and `settlement_period` (1..50), as published.

NESO publishes no day-ahead forecast in these files: GB has no operator load forecast offline.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import raw as raw_schemas
from energy_assets.sources.csv_text import csv_rows, decode_csv, plain_number
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource, history_payload
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.timeutil import market_day_bounds_utc

PROVIDER = "neso"
TIMEZONE = "Europe/London"
FIRST_DATE = "2009-01-01"  # the first history file
HISTORY_FOLDER = "neso_demand"
DATASTORE_URL = "https://api.neso.energy/api/3/action/datastore_search"
#: "Demand Data Update": the first of the previous month to today (NESO data portal).
DEMAND_UPDATE_RESOURCE = "177f6fa4-ae49-4182-81ea-0c6b35f26ca6"

#: Published column -> output column (every `*_FLOW` column goes to the interconnector sum).
SOURCE_COLUMNS: dict[str, str] = {
    "ND": "national_demand_mw",
    "TSD": "transmission_system_demand_mw",
    "ENGLAND_WALES_DEMAND": "england_wales_demand_mw",
    "EMBEDDED_WIND_GENERATION": "embedded_wind_generation_mw",
    "EMBEDDED_WIND_CAPACITY": "embedded_wind_capacity_mw",
    "EMBEDDED_SOLAR_GENERATION": "embedded_solar_generation_mw",
    "EMBEDDED_SOLAR_CAPACITY": "embedded_solar_capacity_mw",
    "NON_BM_STOR": "non_bm_stor_mw",
    "PUMP_STORAGE_PUMPING": "pump_storage_pumping_mw",
}
REQUIRED = ("SETTLEMENT_DATE", "SETTLEMENT_PERIOD", "ND")
#: Published columns read for neither demand nor flows, accepted and left out.
IGNORED = frozenset({"_ID", "SCOTTISH_TRANSFER", "_FULL_TEXT"})
FLOW_COLUMN = "interconnector_net_import_mw"
COLUMNS: tuple[str, ...] = (
    "interval_start_utc",
    "settlement_date",
    "settlement_period",
    *SOURCE_COLUMNS.values(),
    FLOW_COLUMN,
)

_WHAT = "NESO historic demand"
_DATE_DMY = re.compile(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00)?)?$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
_HALF_HOUR = dt.timedelta(minutes=30)


@functools.lru_cache(maxsize=8192)
def _local_day(day: dt.date) -> tuple[dt.datetime, int]:
    start, end = market_day_bounds_utc(day, TIMEZONE)
    return start, int((end - start) / _HALF_HOUR)


def periods_in_day(day: dt.date) -> int:
    """46, 48 or 50: the settlement periods of the GB local day."""
    return _local_day(day)[1]


def period_start_utc(day: dt.date, period: int) -> dt.datetime:
    """The UTC start of settlement period `period` (1-based) of the local day `day`."""
    start, count = _local_day(day)
    if not 1 <= period <= count:
        raise ValueError(f"{day} has {count} settlement periods, not {period}")
    return start + (period - 1) * _HALF_HOUR


def history_file(datasets_dir: Path, year: int) -> Path:
    """`<datasets_dir>/neso_demand/demanddata_<year>.csv`, which must exist (FileNotFoundError
    naming the path and the years there are, otherwise)."""
    path = Path(datasets_dir) / HISTORY_FOLDER / f"demanddata_{year}.csv"
    if not path.is_file():
        there = sorted(p.stem.removeprefix("demanddata_") for p in path.parent.glob("*.csv"))
        raise FileNotFoundError(
            f"no NESO historic demand file for {year} at {path} (offline history: "
            f"{', '.join(there) or 'none'}; live, the NESO data portal serves recent days)"
        )
    return path


def datastore_url(day: dt.date, resource_id: str = DEMAND_UPDATE_RESOURCE) -> str:
    """The DataStore request for one settlement date: every period, in order."""
    filters = json.dumps({"SETTLEMENT_DATE": day.isoformat()}, separators=(",", ":"))
    query = urlencode(
        {
            "resource_id": resource_id,
            "filters": filters,
            "sort": "SETTLEMENT_PERIOD asc",
            "limit": 100,
        }
    )
    return f"{DATASTORE_URL}?{query}"


# --- parsing --------------------------------------------------------------------------------


def _settlement_date(cell: str, where: str) -> dt.date:
    text = cell.strip()
    if m := _DATE_DMY.match(text):
        day, month, year = m.groups()
        number = _MONTHS.get(month.upper())
        if number is None:
            raise PayloadError(f"{_WHAT}: {where}: no month {month!r} in {text!r}")
        try:
            return dt.date(int(year), number, int(day))
        except ValueError:
            raise PayloadError(f"{_WHAT}: {where}: no such date {text!r}") from None
    if m := _DATE_ISO.match(text):
        try:
            return dt.date(*(int(g) for g in m.groups()))
        except ValueError:
            raise PayloadError(f"{_WHAT}: {where}: no such date {text!r}") from None
    raise PayloadError(
        f"{_WHAT}: {where}: SETTLEMENT_DATE {text!r} is not a date like 01-JAN-2020 or 2020-01-01"
    )


def _number(value: Any, column: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise PayloadError(f"{_WHAT}: {where}: column {column!r} value {value!r} is not a number")
    if isinstance(value, int | float):
        number = float(value)
        if number - number != 0:
            raise PayloadError(f"{_WHAT}: {where}: column {column!r} value {value!r} is not finite")
        return number
    cell = str(value).strip()
    if not cell:
        return None
    number = plain_number(cell)
    if number is None:
        raise PayloadError(f"{_WHAT}: {where}: column {column!r} value {cell!r} is not a number")
    return number


def _check_header(header: Sequence[str]) -> list[str]:
    names = [h.replace("\ufeff", "").strip().upper() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [
        h
        for h in names
        if h not in SOURCE_COLUMNS
        and h not in REQUIRED
        and h not in IGNORED
        and not h.endswith("_FLOW")
    ]
    if missing or unknown or len(names) != len(set(names)):
        raise PayloadError(
            f"{_WHAT}: header {','.join(header)[:200]!r} is not NESO's historic demand header"
            f" (missing: {missing}, unknown: {unknown}); expected {', '.join(REQUIRED)}, then"
            f" {', '.join(c for c in SOURCE_COLUMNS if c != 'ND')} and *_FLOW columns"
        )
    return names


def _rows_to_frame(
    names: list[str], records: Sequence[Sequence[Any]], wheres: Sequence[str]
) -> pl.DataFrame:
    index = {n: i for i, n in enumerate(names)}
    flows = [i for i, n in enumerate(names) if n.endswith("_FLOW")]
    out: dict[str, list] = {c: [] for c in COLUMNS}
    seen: dict[tuple[dt.date, int], str] = {}
    for record, where in zip(records, wheres, strict=True):
        day = _settlement_date(str(record[index["SETTLEMENT_DATE"]] or ""), where)
        period_value = _number(record[index["SETTLEMENT_PERIOD"]], "SETTLEMENT_PERIOD", where)
        if period_value is None or period_value != int(period_value):
            raise PayloadError(
                f"{_WHAT}: {where}: SETTLEMENT_PERIOD {period_value!r} is not a whole number"
            )
        period = int(period_value)
        count = periods_in_day(day)
        if not 1 <= period <= count:
            kind = {46: " (the spring clock change)", 50: " (the autumn clock change)"}.get(
                count, ""
            )
            raise PayloadError(
                f"{_WHAT}: {where}: settlement period {period} on {day}, a day of {count}"
                f" half-hours{kind}: not a period of that day"
            )
        if (day, period) in seen:
            raise PayloadError(
                f"{_WHAT}: {where}: settlement period {period} of {day} repeats {seen[(day, period)]}"
            )
        seen[(day, period)] = where
        out["interval_start_utc"].append(period_start_utc(day, period))
        out["settlement_date"].append(day)
        out["settlement_period"].append(period)
        for source, column in SOURCE_COLUMNS.items():
            i = index.get(source)
            out[column].append(None if i is None else _number(record[i], source, where))
        values = [_number(record[i], names[i], where) for i in flows]
        present = [v for v in values if v is not None]
        out[FLOW_COLUMN].append(sum(present) if present else None)
    return pl.DataFrame(
        out,
        schema={
            "interval_start_utc": pl.Datetime("us", "UTC"),
            "settlement_date": pl.Date,
            "settlement_period": pl.Int64,
            **{c: pl.Float64 for c in COLUMNS[3:]},
        },
    ).sort("interval_start_utc")


def parse_history(body: bytes) -> pl.DataFrame:
    """A `demanddata_<Y>.csv` file -> one row per settlement period, `COLUMNS`."""
    header, rows, lines = csv_rows(decode_csv(body, _WHAT), _WHAT)
    names = _check_header(header)
    if not rows:
        raise PayloadError(f"{_WHAT}: header only, no data rows")
    return _rows_to_frame(names, rows, [f"line {n}" for n in lines])


def datastore_records(body: bytes, what: str, none_published: str) -> tuple[dict, list]:
    """(result, records) of a NESO data portal (CKAN DataStore) response, or a `PayloadError`
    naming `what`: empty, HTML, not JSON (truncated), `success` false, no records list, no
    records (`none_published` says what that means for the request)."""
    if not body or not body.strip():
        raise PayloadError(f"{what}: empty body")
    if body.lstrip()[:1] == b"<":
        raise PayloadError(f"{what}: got an HTML page instead of JSON (an error page?)")
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PayloadError(f"{what}: not JSON ({error}); truncated?") from None
    if not isinstance(doc, dict) or doc.get("success") is not True:
        problem = doc.get("error") if isinstance(doc, dict) else None
        raise PayloadError(f"{what}: the API did not succeed: {json.dumps(problem)[:200]}")
    result = doc.get("result")
    records = result.get("records") if isinstance(result, dict) else None
    if not isinstance(records, list):
        raise PayloadError(f"{what}: no result.records list")
    if not records:
        raise PayloadError(f"{what}: no records ({none_published})")
    return result, records


def parse_datastore(body: bytes) -> pl.DataFrame:
    """A CKAN `datastore_search` response on a historic-demand resource -> `COLUMNS`."""
    what = f"{_WHAT} (DataStore API)"
    result, records = datastore_records(body, what, "no settlement period published for the date")
    fields = [f.get("id") for f in result.get("fields", []) if isinstance(f, dict)]
    names = _check_header(fields or list(records[0]))
    keys = {n: k for n, k in zip(names, fields or list(records[0]), strict=True)}
    rows = []
    for record in records:
        if not isinstance(record, dict):
            raise PayloadError(f"{what}: a record is not an object: {str(record)[:80]!r}")
        rows.append([record.get(keys[n]) for n in names])
    wheres = [f"record {i + 1}" for i in range(len(rows))]
    return _rows_to_frame(names, rows, wheres)


# --- the graph's feed ----------------------------------------------------------------------


def _request_key(region: Region, day: dt.date) -> str:
    return f"{day.year}"


def _fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
    if source.offline:
        path = history_file(source.datasets_dir, day.year)
        return [history_payload(PROVIDER, path, source.datasets_dir)]
    return [source.client.get(PROVIDER, datastore_url(day))]


@functools.lru_cache(maxsize=4)
def _parsed_history(sha256: str, body: bytes) -> pl.DataFrame:
    """`parse_history` once per file content (every day of a year reads the same file)."""
    return parse_history(body)


def _parse(payloads: Sequence[FetchedPayload], day: dt.date) -> pl.DataFrame:
    payload = payloads[0]
    if payload.transport == "history":
        return _parsed_history(payload.sha256, payload.body)
    return parse_datastore(payload.body)


def half_hours_in_market_day(region: Region, day: dt.date) -> int:
    """46, 48 or 50 settlement periods in the region's local day."""
    start, end = market_day_bounds_utc(day, region.timezone)
    return int((end - start) / _HALF_HOUR)


FEEDS: tuple[Feed, ...] = (
    Feed(
        provider=PROVIDER,
        name="demand",
        description="NESO national demand (ND), transmission system demand, embedded wind and"
        " solar, pumping and interconnector flows per half-hour settlement period (MW), UTC"
        " interval starts (46/48/50 a day). Offline: the NESO historic demand files 2009-2020;"
        " live: the NESO data portal's DataStore API (Demand Data Update, recent days).",
        schema=raw_schemas.NesoDemand,
        first_date=FIRST_DATE,
        request_key=_request_key,
        fetch=_fetch,
        parse=_parse,
        expected_rows=half_hours_in_market_day,
        completeness_columns="national_demand_mw",
        row_unit="half_hours",
    ),
)
