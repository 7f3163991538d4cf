"""CAISO Daily Renewables Watch: hourly production by renewable type and by resource type (TXT).

Live: `https://content.caiso.com/green/renewrpt/YYYYMMDD_DailyRenewablesWatch.txt`, one file per
Pacific market day, no key; requests share the `caiso` rate limit (5 s) with OASIS and Today's
Outlook.

The file is two tab-separated tables, each under a title line: "Hourly Breakdown of Renewable
Resources (MW)" (`Hour`, `GEOTHERMAL`, `BIOMASS`, `BIOGAS`, `SMALL HYDRO`, `WIND TOTAL`,
`SOLAR PV`, `SOLAR THERMAL`, and in later years `SOLAR`) and "Hourly Breakdown of Total
Production by Resource Type (MW)" (`Hour`, `RENEWABLES`, `NUCLEAR`, `THERMAL`, `IMPORTS`,
`HYDRO`). Cells are separated by one or two tabs, so a row's values are its non-empty cells in
the header's order. Rows: `interval_start_utc`, `table` (`renewables` / `total`), `fuel` (the
column, lower case with underscores), `generation_mw`.

`Hour` is the hour ending on the Pacific wall clock, 1..24, on every day:

- Spring forward (2017-03-12 recorded): hour ending 3 (02:00-03:00) does not exist. The file
  still lists it, with a .NET error text ("The supplied DateTime represents an invalid time.
  ...", quoted over two lines), `#VALUE!` or 0 in its cells: the row is dropped, whatever it
  carries, and the day has 23 hours.
- Fall back (2017-11-05 recorded): the file lists 24 hours for a 25-hour day. Hour ending 2 is
  read as the first, daylight-time 01:00-02:00 and the standard-time repeat is absent, as in
  Today's Outlook files (`caiso_outlook.py` shows it there from the data); for this file that
  reading is assumed, not shown.

Any other cell that is not a number fails naming hour, column and value; a file without both
tables, or whose rows do not match their header, is refused. A body must end with a line break,
or (as the 2014 file does) with the separators that follow its last cell: anything else may be
cut inside a number and is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import iso_raw as schemas
from energy_assets.sources.csv_text import decode_csv, require_final_line_break
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.iso_common import UTC_DATETIME, distinct_sorted, numbers
from energy_assets.timeutil import wall_time_to_utc

PROVIDER = "caiso"  # the HTTP client's rate-limit name
REGISTRY_NAME = "caiso_renewables_watch"
BASE_URL = "https://content.caiso.com/green/renewrpt"
TIMEZONE = "America/Los_Angeles"
TABLES = {
    "hourly breakdown of renewable resources": "renewables",
    "hourly breakdown of total production by resource type": "total",
}


def url(day: dt.date) -> str:
    return f"{BASE_URL}/{day:%Y%m%d}_DailyRenewablesWatch.txt"


def _fuel(column: str) -> str:
    return "_".join(column.lower().split())


def parse_renewables_watch(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """One day's file -> interval_start_utc, table, fuel, generation_mw (long)."""
    if len(payloads) != 1:
        raise PayloadError(f"CAISO Renewables Watch: expected one payload, got {len(payloads)}")
    payload = payloads[0]
    what = f"CAISO Renewables Watch ({payload.url})"
    text = decode_csv(payload.body, what)
    if text.endswith("\t"):  # the last cell is followed by its separators: the line is whole
        text += "\n"
    require_final_line_break(text, what)
    rows = [
        [cell.strip() for cell in row if cell.strip()]
        for row in csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    ]
    rows = [r for r in rows if r]
    if not rows:
        raise PayloadError(f"{what}: no lines")
    try:
        date = dt.datetime.strptime(rows[0][0], "%m/%d/%y").date()
    except ValueError:
        raise PayloadError(
            f"{what}: the first line does not start with the day (MM/DD/YY)"
        ) from None
    starts: list[dt.datetime] = []
    tables: list[str] = []
    fuels: list[str] = []
    values: list[str] = []
    table = header = None
    seen_tables: set[str] = set()
    for row in rows:
        title = next((TABLES[k] for k in TABLES if k in " ".join(row).lower()), None)
        if title is not None:
            table, header = title, None
            seen_tables.add(title)
            continue
        if row[0] == "Hour":
            if table is None:
                raise PayloadError(f"{what}: a header before any table title")
            header = row[1:]
            continue
        if table is None or header is None:
            raise PayloadError(f"{what}: a row outside a table: {row[:3]}")
        try:
            hour = int(row[0])
        except ValueError:
            raise PayloadError(f"{what}: {table} table: hour {row[0]!r} is not a number") from None
        if not 1 <= hour <= 24:
            raise PayloadError(f"{what}: {table} table: hour ending {hour} out of 1..24")
        wall = dt.datetime.combine(date, dt.time(hour - 1))
        start = wall_time_to_utc(wall, TIMEZONE, "earliest")
        if start is None:
            continue  # the spring-forward hour: listed, with error text in its cells
        cells = row[1:]
        if len(cells) != len(header):
            raise PayloadError(
                f"{what}: {table} table, hour {hour}: {len(cells)} values for {len(header)}"
                " columns (a blank cell, or a cut line?)"
            )
        for column, cell in zip(header, cells, strict=True):
            starts.append(start)
            tables.append(table)
            fuels.append(_fuel(column))
            values.append(cell)
    if seen_tables != set(TABLES.values()):
        raise PayloadError(f"{what}: expected both tables, found {sorted(seen_tables)}")
    frame = pl.DataFrame(
        {
            "interval_start_utc": pl.Series(starts, dtype=UTC_DATETIME),
            "table": pl.Series(tables, dtype=pl.String),
            "fuel": pl.Series(fuels, dtype=pl.String),
            "generation_mw": numbers(values, what, "MW", nullable=False),
        }
    )
    return distinct_sorted(frame, ["table", "fuel", "interval_start_utc"], what)


def _fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
    return [source.client.get(PROVIDER, url(day))]


FEEDS = (
    Feed(
        provider=REGISTRY_NAME,
        name="hourly_production",
        description="CAISO Daily Renewables Watch: hourly MW by renewable type (geothermal,"
        " biomass, biogas, small hydro, wind, solar) and by resource type (renewables, nuclear,"
        " thermal, imports, hydro).",
        schema=schemas.CaisoRenewablesWatch,
        first_date="2010-04-20",
        request_key=lambda region, day: url(day),
        fetch=_fetch,
        parse=parse_renewables_watch,
        completeness_columns="generation_mw",
    ),
)
