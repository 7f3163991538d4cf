"""NESO (Great Britain's system operator) national demand FORECASTS, pure: every vintage of the
day-ahead and 2-14 days ahead cardinal-point forecasts of a target day, with its issue time.

Live only: the NESO data portal's CKAN DataStore API (`datastore_search_sql`), one request per
target date (`WHERE "TARGETDATE" = '<day>'`), on the datasets' HISTORIC resources, which keep
every forecast ever published (a vintage per `DAYSAHEAD`), unlike the "current" resources
that hold only the latest forecast:

- "1 Day Ahead Demand Forecast", resource "Historic Day Ahead Demand Forecasts"
  (`DAY_AHEAD_RESOURCE`, from 2018 to the most recent forecast);
- "2-14 Days Ahead Demand Forecast", resource "Historic 2-14 Day Ahead Demand Forecasts"
  (`TWO_TO_14_DAY_RESOURCE`).

The resource ids were taken from a public client's resource list (atsangarides/pyngeso,
`resources.py`) and have not been checked against the live portal from here (no network):
check them first when running live. The fields are the portal pages' "Table Information"
(neso.energy/data-portal/1-day-ahead-demand-forecast and the 2-14 days page): `DAYSAHEAD` (days in advance the forecast was
produced), `TARGETDATE` (the date forecast, e.g. `2021-04-24T00:00:00Z`), `FORECASTDEMAND`
(national demand, MW), `CARDINALPOINT` (e.g. `2A`, `1F`), `CP_TYPE` (F, T or P: fixed, trough,
peak), `CP_ST_TIME` / `CP_END_TIME` (the cardinal point's window as a clock number, `930` =
09:30, "relative to the timezone in effect in the UK at the forecast time and date") and
`F_Point` (the forecasting point; kept verbatim, optional). No recording of a response exists:
the tests use the smallest response in that documented shape, labelled as such.

A forecast is not half-hourly: NESO forecasts national demand (ND) at the day's cardinal points
(its peaks, troughs and fixed times). One row per (target date, vintage, cardinal point):
`interval_start_utc` / `interval_end_utc` are the cardinal point's window, the UK local clock
of the target date turned into UTC (on the autumn clock change the first of a repeated local
time is taken; a window ending at or before its start ends the next day).

Issue time: the payload states none (no issue timestamp among the documented fields; only
`DAYSAHEAD`). `issued_at_utc` is therefore a documented conservative assumption: the forecast
of target date D made `DAYSAHEAD` = n days ahead is taken as issued at `ASSUMED_ISSUE_LOCAL`
(17:00, UK clock) on D - n, the END of the publication window NESO states for its daily demand
forecasts ("between 16:15 and 17:00 (clock time)"): never earlier than it was really available,
so a backtest that uses it never sees a forecast before it existed. The 2-14 day forecast is
"updated twice daily"; where `F_Point` tells the updates apart they are kept apart (`vintage`),
otherwise a repeated (target date, days ahead, cardinal point) is a `PayloadError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import raw as raw_schemas
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.neso import datastore_records

PROVIDER = "neso_forecasts"
TIMEZONE = "Europe/London"
DATASTORE_SQL_URL = "https://api.neso.energy/api/3/action/datastore_search_sql"
#: "1 Day Ahead Demand Forecast" dataset, resource "Historic Day Ahead Demand Forecasts".
DAY_AHEAD_RESOURCE = "9847e7bb-986e-49be-8138-717b25933fbb"
#: "2-14 Days Ahead Demand Forecast" dataset, resource "Historic 2-14 Day Ahead Demand Forecasts".
TWO_TO_14_DAY_RESOURCE = "4dd712a2-ee2c-455d-a9c0-9d3564c80fa0"
FIRST_DATE = "2018-01-01"  # the historic resources start in 2018
#: the end of NESO's stated publication window: the conservative issue time (UK clock)
ASSUMED_ISSUE_LOCAL = dt.time(17, 0)

REQUIRED = (
    "TARGETDATE",
    "DAYSAHEAD",
    "CARDINALPOINT",
    "CP_TYPE",
    "CP_ST_TIME",
    "CP_END_TIME",
    "FORECASTDEMAND",
)
OPTIONAL = ("F_POINT",)
COLUMNS: tuple[str, ...] = (
    "interval_start_utc",
    "interval_end_utc",
    "target_date",
    "days_ahead",
    "cardinal_point",
    "cp_type",
    "forecast_point",
    "issued_at_utc",
    "forecast_demand_mw",
)
_SCHEMA = {
    "interval_start_utc": pl.Datetime("us", "UTC"),
    "interval_end_utc": pl.Datetime("us", "UTC"),
    "target_date": pl.Date,
    "days_ahead": pl.Int64,
    "cardinal_point": pl.String,
    "cp_type": pl.String,
    "forecast_point": pl.String,
    "issued_at_utc": pl.Datetime("us", "UTC"),
    "forecast_demand_mw": pl.Float64,
}
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00)?(?:\.0+)?(?:Z|[+-]00:?00)?)?$")
_ZONE = ZoneInfo(TIMEZONE)


def datastore_sql_url(day: dt.date, resource_id: str) -> str:
    """The DataStore SQL request for every vintage of the forecasts of target date `day`."""
    sql = (
        f'SELECT * FROM "{resource_id}" WHERE "TARGETDATE" = \'{day.isoformat()}\''
        ' ORDER BY "DAYSAHEAD", "CP_ST_TIME"'
    )
    return f"{DATASTORE_SQL_URL}?{urlencode({'sql': sql})}"


def assumed_issue_time(target: dt.date, days_ahead: int) -> dt.datetime:
    """`ASSUMED_ISSUE_LOCAL` on the UK clock of target - days_ahead, in UTC."""
    day = target - dt.timedelta(days=days_ahead)
    return dt.datetime.combine(day, ASSUMED_ISSUE_LOCAL, _ZONE).astimezone(dt.UTC)


# --- parsing --------------------------------------------------------------------------------


def _target_date(value: Any, what: str, where: str) -> dt.date:
    text = str(value or "").strip()
    if m := _DATE.match(text):
        try:
            return dt.date(*(int(g) for g in m.groups()))
        except ValueError:
            pass
    raise PayloadError(f"{what}: {where}: TARGETDATE {text!r} is not a date like 2021-04-24")


def _number(value: Any, field: str, what: str, where: str) -> float:
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise PayloadError(f"{what}: {where}: {field} is missing ({value!r})")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PayloadError(f"{what}: {where}: {field} {value!r} is not a number") from None
    if number - number != 0:
        raise PayloadError(f"{what}: {where}: {field} {value!r} is not finite")
    return number


def _clock(value: Any, field: str, what: str, where: str) -> dt.timedelta:
    """A clock number (`930` = 09:30, `30` = 00:30, `2400` = the end of the day)."""
    number = _number(value, field, what, where)
    hhmm = int(number)
    hours, minutes = divmod(hhmm, 100)
    if number != hhmm or minutes >= 60 or not (0 <= hhmm <= 2400):
        raise PayloadError(f"{what}: {where}: {field} {value!r} is not a clock time like 930")
    return dt.timedelta(hours=hours, minutes=minutes)


def _local_to_utc(day: dt.date, offset: dt.timedelta) -> dt.datetime:
    naive = dt.datetime.combine(day, dt.time()) + offset
    return naive.replace(tzinfo=_ZONE, fold=0).astimezone(dt.UTC)


def parse_datastore(body: bytes, what: str = "NESO demand forecast") -> pl.DataFrame:
    """A CKAN `datastore_search(_sql)` response on a NESO demand-forecast resource ->
    one row per (target date, days ahead, cardinal point, forecasting point), `COLUMNS`."""
    what = f"{what} (DataStore API)"
    _, records = datastore_records(body, what, "no forecast published for the target date")
    out: dict[str, list] = {c: [] for c in COLUMNS}
    seen: dict[tuple, str] = {}
    for i, record in enumerate(records, 1):
        where = f"record {i}"
        if not isinstance(record, dict):
            raise PayloadError(f"{what}: {where} is not an object: {str(record)[:80]!r}")
        fields = {str(k).strip().upper(): v for k, v in record.items()}
        missing = [f for f in REQUIRED if f not in fields]
        if missing:
            raise PayloadError(
                f"{what}: {where} lacks {', '.join(missing)} (has {', '.join(sorted(fields))});"
                f" expected {', '.join(REQUIRED)}"
            )
        target = _target_date(fields["TARGETDATE"], what, where)
        days = _number(fields["DAYSAHEAD"], "DAYSAHEAD", what, where)
        if days != int(days) or not 0 <= days <= 14:
            raise PayloadError(f"{what}: {where}: DAYSAHEAD {days!r} is not a whole 0..14")
        point = str(fields["CARDINALPOINT"] or "").strip()
        if not point:
            raise PayloadError(f"{what}: {where}: CARDINALPOINT is empty")
        f_point = fields.get("F_POINT")
        f_point = None if f_point is None or not str(f_point).strip() else str(f_point).strip()
        key = (target, int(days), point, f_point)
        if key in seen:
            raise PayloadError(
                f"{what}: {where}: cardinal point {point} of {target}, {int(days)} day(s) ahead"
                f" (forecasting point {f_point}), repeats {seen[key]}"
            )
        seen[key] = where
        start = _clock(fields["CP_ST_TIME"], "CP_ST_TIME", what, where)
        end = _clock(fields["CP_END_TIME"], "CP_END_TIME", what, where)
        start_utc = _local_to_utc(target, start)
        end_utc = _local_to_utc(target + dt.timedelta(days=1 if end <= start else 0), end)
        out["interval_start_utc"].append(start_utc)
        out["interval_end_utc"].append(end_utc)
        out["target_date"].append(target)
        out["days_ahead"].append(int(days))
        out["cardinal_point"].append(point)
        out["cp_type"].append(str(fields["CP_TYPE"] or "").strip().upper() or None)
        out["forecast_point"].append(f_point)
        out["issued_at_utc"].append(assumed_issue_time(target, int(days)))
        out["forecast_demand_mw"].append(
            _number(fields["FORECASTDEMAND"], "FORECASTDEMAND", what, where)
        )
    return pl.DataFrame(out, schema=_SCHEMA).sort(
        "days_ahead", "interval_start_utc", "cardinal_point", "forecast_point", nulls_last=True
    )


# --- the graph's feeds ---------------------------------------------------------------------


def _target_day_rows(rows: pl.DataFrame, region: Region, day: dt.date) -> pl.DataFrame:
    """The partition is the target date: its rows, every vintage."""
    return rows.filter(pl.col("target_date") == day)


def _feed(name: str, resource_id: str, title: str, description: str) -> Feed:
    def request_key(region: Region, day: dt.date) -> str:
        return datastore_sql_url(day, resource_id)

    def fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
        return [source.client.get(PROVIDER, datastore_sql_url(day, resource_id))]

    def parse(payloads: Sequence[FetchedPayload], day: dt.date) -> pl.DataFrame:
        return parse_datastore(payloads[0].body, f"NESO {title}")

    return Feed(
        provider=PROVIDER,
        name=name,
        description=description,
        schema=raw_schemas.NesoDemandForecast,
        first_date=FIRST_DATE,
        request_key=request_key,
        fetch=fetch,
        parse=parse,
        day_rows=_target_day_rows,
        expected_rows=None,  # cardinal points: their number varies by day and season
        completeness_columns="forecast_demand_mw",
    )


FEEDS: tuple[Feed, ...] = (
    _feed(
        "day_ahead_demand_forecast",
        DAY_AHEAD_RESOURCE,
        "1 day ahead demand forecast",
        "NESO's day-ahead national demand (ND) forecast at the target day's cardinal points"
        " (MW), every vintage kept; UTC window of each point; issued_at_utc assumed 17:00 UK on"
        " the day before (the payload states no issue time). Live only: the NESO data portal's"
        " DataStore (Historic Day Ahead Demand Forecasts).",
    ),
    _feed(
        "demand_forecast_2_14_day",
        TWO_TO_14_DAY_RESOURCE,
        "2-14 days ahead demand forecast",
        "NESO's 2-14 days ahead national demand (ND) forecast at the target day's cardinal"
        " points (MW), one vintage per days-ahead (and forecasting point); issued_at_utc assumed"
        " 17:00 UK on the target day minus days ahead. Live only: the NESO data portal's"
        " DataStore (Historic 2-14 Day Ahead Demand Forecasts).",
    ),
)
