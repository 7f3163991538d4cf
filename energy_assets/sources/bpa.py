"""BPA balancing authority: load and generation by type, 5-minute, the last 7 days (text).

Live: `https://transmission.bpa.gov/business/operations/wind/baltwg.txt`, no key, one request a
second. The file always holds the last 7 days, so the days of a backfill share one request (its
request key is the URL), and a day older than a week is only in our archive. A header of
comment lines, then `Date/Time<TAB>Load<TAB>Wind<TAB>Hydro<TAB>Thermal` (newer files add
columns such as `Fossil/Biomass`, `Nuclear`, `VER`, read by name), then one line per 5-minute
reading in Pacific wall-clock time (`MM/DD/YYYY HH:MM`, no zone label).

Rows: `interval_start_utc` (the reading's instant, as published) and one column per column of
the file, named by its lower-case name + `_mw` (`load_mw`, `wind_mw`, `hydro_mw`,
`thermal_mw`, ...). Lines at the end that carry only a time (readings not made yet) or blank
values are dropped; a partly blank line keeps nulls. The file ends with a line break: a body
that does not is refused as cut. The fall-back hour's repeated wall times are told apart by
order (the first is daylight time); a wall time in the spring-forward gap is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import iso_raw as schemas
from energy_assets.sources.csv_text import decode_csv, require_final_line_break
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource, hours_in_market_day
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.iso_common import UTC_DATETIME, distinct_sorted, numbers
from energy_assets.timeutil import wall_time_to_utc

PROVIDER = "bpa"
URL = "https://transmission.bpa.gov/business/operations/wind/baltwg.txt"
TIMEZONE = "America/Los_Angeles"
_STAMP = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")


def _column(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_") + "_mw"


def parse_balancing_authority(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """baltwg.txt -> interval_start_utc, load_mw, wind_mw, hydro_mw, thermal_mw, ..."""
    if len(payloads) != 1:
        raise PayloadError(f"BPA: expected one payload, got {len(payloads)}")
    payload = payloads[0]
    what = f"BPA balancing authority ({payload.url})"
    text = decode_csv(payload.body, what)
    require_final_line_break(text, what)
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if line.startswith("Date/Time")), None)
    if header_at is None:
        raise PayloadError(f"{what}: no 'Date/Time' header line")
    names = [h.strip() for h in lines[header_at].split("\t")][1:]
    if not names or "Load" not in names:
        raise PayloadError(f"{what}: header {names} has no Load column")
    stamps: list[str] = []
    cells: list[list[str]] = []
    for number, line in enumerate(lines[header_at + 1 :], start=header_at + 2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if not _STAMP.match(fields[0].strip()):
            raise PayloadError(f"{what}: line {number}: {fields[0]!r} is not MM/DD/YYYY HH:MM")
        values = [f.strip() for f in fields[1:]]
        if not any(values):
            continue  # a time without readings yet
        if len(values) != len(names):
            raise PayloadError(
                f"{what}: line {number} has {len(values)} values for {len(names)} columns (cut?)"
            )
        stamps.append(fields[0].strip())
        cells.append(values)
    if not stamps:
        raise PayloadError(f"{what}: no readings")
    seen: dict[dt.datetime, int] = {}
    instants = []
    for text_stamp in stamps:
        wall = dt.datetime.strptime(text_stamp, "%m/%d/%Y %H:%M")
        count = seen.get(wall, 0)
        seen[wall] = count + 1
        instant = wall_time_to_utc(wall, TIMEZONE, "latest" if count else "earliest")
        if instant is None or count > 1:
            raise PayloadError(f"{what}: {text_stamp} is not a Pacific instant (DST gap or repeat)")
        instants.append(instant)
    frame = pl.DataFrame(
        {
            "interval_start_utc": pl.Series(instants, dtype=UTC_DATETIME),
            **{
                _column(name): numbers([row[i] for row in cells], what, name)
                for i, name in enumerate(names)
            },
        }
    )
    return distinct_sorted(frame, ["interval_start_utc"], what)


def _fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
    return [source.client.get(PROVIDER, URL)]


FEEDS = (
    Feed(
        provider=PROVIDER,
        name="balancing_authority",
        description="BPA balancing authority 5-minute load and generation by type (wind, hydro,"
        " thermal, ...), MW, from its last-7-days file.",
        schema=schemas.BpaBalancingAuthority,
        first_date="2014-01-01",
        request_key=lambda region, day: URL,
        fetch=_fetch,
        parse=parse_balancing_authority,
        expected_rows=lambda region, day: 12 * hours_in_market_day(region, day),
        completeness_columns="load_mw",
        row_unit="5min_readings",
    ),
)
