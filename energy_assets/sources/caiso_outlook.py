"""CAISO Today's Outlook daily history files: system demand and supply by fuel, 5-minute MW.

Two CSV files a day, in Pacific local clock time (`HH:MM`, sometimes written `H:MM`):

- `demand.csv`: `Time,Day ahead forecast,Hour ahead forecast,Current demand`, 5-minute rows of
  the day plus a trailing next-day `00:00` row (which carries forecasts only). The day-ahead
  column is CAISO's own day-ahead load forecast (hourly values repeated on the 5-minute rows).
- `fuelsource.csv`: `Time,Solar,Wind,Geothermal,Biomass,Biogas,Small hydro,Coal,Nuclear,
  Natural gas,Large hydro,Batteries,Imports,Other`, 5-minute MW by fuel (imports are net
  imports; batteries are negative while charging).

Parsers are pure `bytes -> polars.DataFrame` and raise `PayloadError` for anything that is not a
normal file. Rows are kept in the provider's terms (MW as published, nothing filled or
interpolated); completeness against `expected_intervals` is judged downstream.

What the 731 recorded days (2019-01-01 .. 2020-12-31) show, and how it is handled:

- Headers: every recorded file has exactly the header above. Headers are still matched case- and
  whitespace-insensitively (`Natural Gas`, `natural  gas ` are `Natural gas`). A fuel column
  missing from a file becomes an all-null column; a column we do not know is a PayloadError
  naming it, so a format change is noticed rather than silently dropped.
- Time: `HH:MM`, or `H:MM` before 10:00 on some days (the files look re-saved by a spreadsheet:
  demand on 2019-10-15, 2019-11-13, 2019-12-12, 2019-12-31, 2020-02-18, 2020-03-11, 2020-03-12,
  2020-07-16, 2020-07-17, 2020-12-03; fuel mix on those (but 2020-12-03) and 18 more days).
  Both are accepted; `local_clock` is the wall clock normalized to zero-padded `HH:MM`. A parser
  that insists on two-digit hours silently keeps only the 168 rows from 10:00 on, which is
  where reports of these days being "truncated at 168 rows" come from: they are complete.
- Blank cells are null. Whole columns are blank on some days (fuel mix: natural gas on
  2019-01-02, geothermal on 2019-03-13, imports on 2019-03-26); demand rows after the last
  published reading keep their forecasts with a null `demand_mw` (2020-11-01 after 23:00).
- Spring forward (2019-03-10, 2020-03-08): the files list the nonexistent wall times 02:00-02:55
  (blank, or with a placeholder `0` hour-ahead forecast on 2020-03-08). Those wall times are not
  instants, so the rows are dropped, whatever they carry: 276 rows.
- Fall back (2019-11-03, 2020-11-01): the files list 01:00-01:55 once. It is the first,
  daylight-time (PDT, UTC-7) occurrence (evidence below). The standard-time repeat
  (PST 01:00-01:55, 09:00-09:55 UTC) is absent and stays absent: 288 of 300 intervals. Should a
  file list the hour twice, the first block is PDT and the second PST.
- Short files (rows end early at a row boundary): parsed as they are. In the recordings only
  fuel mix: 2019-02-14 (286 rows), 2019-05-10 (285), 2019-09-16 (287), 2019-09-25 (287) and
  2020-11-01 (277, ends 23:00); every demand file has all its rows.
- A body that does not end with a line break is rejected as cut mid-line: every recorded file,
  old and current site, ends with one, and a cut inside the last number cannot be told apart
  from a complete line any other way.
- Small negative solar at night (about -40 MW, station load) is kept as published.

Fall-back evidence: which 01:xx hour do the fall-back files keep? The PDT one (the first
occurrence, UTC-7).

The one-hour gap in the data sits between the 01:55 and 02:00 rows, not between 00:55 and 01:00:

  day         column          median |5-min step|  00:55->01:00  01:55->02:00
  2019-11-03  Current demand        59 MW             70 MW        467 MW
  2020-11-01  Current demand        68 MW             75 MW        534 MW
  2019-11-03  Large hydro           27 MW             14 MW        316 MW
  2020-11-01  Large hydro           18 MW              2 MW        339 MW
  2020-11-01  Wind                  10 MW             19 MW        268 MW
  2020-11-01  Natural gas           82 MW             41 MW        518 MW

The demand jumps are three times the day's 95th-percentile 5-minute step (156 and 159 MW) and
close to its median 65-minute change (726 and 890 MW), while on the neighbouring days
(2019-11-02/04, 2020-10-31, 2020-11-02) the same step is 19-37 MW of demand. So 00:55 -> 01:00 is
continuous (5 minutes apart: 01:xx follows 00:xx on daylight time) and 01:55 -> 02:00 spans an
hour (the standard-time 01:xx repeat is what is missing). The hourly day-ahead forecast agrees:
on all 727 other days the 02:00 row repeats the 01:05 row's value (hour ending 02:00); on the
fall-back days it carries a value of its own (18723 vs 19301 MW on 2020-11-01, 19179 vs 19752 on
2019-11-03), i.e. the hour ending 02:00 PST, a different hour from the listed 01:xx one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import polars as pl

from energy_assets.schemas import raw as schemas
from energy_assets.sources.csv_text import csv_rows, decode_csv, plain_number
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, whole_payload
from energy_assets.timeutil import market_day_bounds_utc, wall_time_to_utc

PROVIDER = "caiso"
TIMEZONE = "America/Los_Angeles"
INTERVAL_MINUTES = 5

BASE_URL = "https://www.caiso.com/outlook/history"
LEGACY_BASE_URL = "https://www.caiso.com/outlook/SP/History"


DEMAND_COLUMNS: dict[str, str] = {
    "day ahead forecast": "day_ahead_forecast_mw",
    "hour ahead forecast": "hour_ahead_forecast_mw",
    "current demand": "demand_mw",
}

FUEL_COLUMNS: dict[str, str] = {
    "solar": "solar_mw",
    "wind": "wind_mw",
    "geothermal": "geothermal_mw",
    "biomass": "biomass_mw",
    "biogas": "biogas_mw",
    "small hydro": "small_hydro_mw",
    "coal": "coal_mw",
    "nuclear": "nuclear_mw",
    "natural gas": "natural_gas_mw",
    "large hydro": "large_hydro_mw",
    "batteries": "batteries_mw",
    "imports": "imports_mw",
    "other": "other_mw",
}

_TIME_HEADER = "time"
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- URLs -------------------------------------------------------------------------------------


def _ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def demand_url(day: date) -> str:
    """Today's URL of the demand file for local day `day`."""
    return f"{BASE_URL}/{_ymd(day)}/demand.csv"


def fuel_mix_url(day: date) -> str:
    """Today's URL of the supply-by-fuel file for local day `day`."""
    return f"{BASE_URL}/{_ymd(day)}/fuelsource.csv"


def legacy_urls(day: date) -> dict[str, str]:
    """The older `/outlook/SP/History/` URLs (how the 2019-2020 recordings were served)."""
    base = f"{LEGACY_BASE_URL}/{_ymd(day)}"
    return {"demand": f"{base}/demand.csv", "fuel_mix": f"{base}/fuelsource.csv"}


# --- completeness -----------------------------------------------------------------------------


def expected_intervals(market_day: date) -> int:
    """5-minute intervals in the Pacific market day: 288, or 276 / 300 on DST days."""
    start, end = market_day_bounds_utc(market_day, TIMEZONE)
    return int((end - start).total_seconds()) // (INTERVAL_MINUTES * 60)


# --- parsing ----------------------------------------------------------------------------------


def parse_demand(body: bytes, market_day: date) -> pl.DataFrame:
    """Demand file -> one row per 5-minute interval of `market_day`, MW.

    Columns: `interval_start_utc` (Datetime us UTC, interval start), `local_clock` (Pacific wall
    clock, zero-padded "HH:MM" even where the file writes "H:MM"), `day_ahead_forecast_mw`,
    `hour_ahead_forecast_mw`, `demand_mw` (Float64, null where blank).
    The trailing next-day 00:00 row is dropped; DST handling is in the module docstring.
    """
    return _parse(body, market_day, DEMAND_COLUMNS, what="demand", all_required=True)


def parse_fuel_mix(body: bytes, market_day: date) -> pl.DataFrame:
    """Supply-by-fuel file -> one row per 5-minute interval of `market_day`, MW per fuel.

    Columns: `interval_start_utc`, `local_clock`, then the `FUEL_COLUMNS` values in that order
    (Float64, null where blank; a fuel column absent from the file is all null). An unknown
    column is a PayloadError.
    """
    return _parse(body, market_day, FUEL_COLUMNS, what="fuel mix", all_required=False)


def _normalize_header(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").split()).lower()


def _map_header(
    header: Sequence[str], known: dict[str, str], what: str, all_required: bool
) -> dict[int, str]:
    """Column index -> output column name, for every column but Time (index 0)."""
    normalized = [_normalize_header(h) for h in header]
    if not normalized or normalized[0] != _TIME_HEADER:
        raise PayloadError(
            f"CAISO {what}: expected a CSV whose first column is 'Time', got header "
            f"{','.join(header)[:120]!r}"
        )
    mapping: dict[int, str] = {}
    unknown = [header[i].strip() for i, h in enumerate(normalized[1:], 1) if h not in known]
    if unknown:
        raise PayloadError(
            f"CAISO {what}: unknown column(s) {unknown} (format change?); known: {['Time', *known]}"
        )
    for i, h in enumerate(normalized[1:], 1):
        if known[h] in mapping.values():
            raise PayloadError(f"CAISO {what}: column {header[i].strip()!r} appears twice")
        mapping[i] = known[h]
    missing = [k for k, v in known.items() if v not in mapping.values()]
    if missing and (all_required or len(missing) == len(known)):
        raise PayloadError(f"CAISO {what}: missing required column(s) {missing}")
    return mapping


_MINUTE_US = 60_000_000


@lru_cache(maxsize=64)
def _regular_day_start_us(market_day: date) -> int | None:
    """UTC epoch microseconds of local midnight when the day has no clock change, else None."""
    start, end = market_day_bounds_utc(market_day, TIMEZONE)
    return _us(start) if end - start == timedelta(days=1) else None


@lru_cache(maxsize=8)
def _dst_day_table(market_day: date) -> dict[int, tuple[int, int] | None]:
    """Minute of the local day -> (earliest, latest) UTC epoch microseconds; None in a gap."""
    table: dict[int, tuple[int, int] | None] = {}
    for m in range(24 * 60):
        naive = datetime.combine(market_day, time(m // 60, m % 60))
        first = wall_time_to_utc(naive, TIMEZONE, "earliest")
        second = wall_time_to_utc(naive, TIMEZONE, "latest")
        table[m] = None if first is None or second is None else (_us(first), _us(second))
    return table


def _us(ts: datetime) -> int:
    return (ts - _EPOCH) // timedelta(microseconds=1)


def _parse(
    body: bytes, market_day: date, known: dict[str, str], *, what: str, all_required: bool
) -> pl.DataFrame:
    text = decode_csv(body, f"CAISO {what}")
    header, rows, lines = csv_rows(text, f"CAISO {what}")
    mapping = _map_header(header, known, what, all_required)
    if not rows:
        raise PayloadError(f"CAISO {what}: header only, no data rows")

    # Time of day, as minutes after local midnight. (Plain Python: at 288 rows a file, polars'
    # per-query overhead dominates and a year is 730 files per dataset.)
    minutes: list[int] = []
    for row, line in zip(rows, lines, strict=True):
        m = _CLOCK.match(row[0].strip())
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise PayloadError(f"CAISO {what}: line {line}: time {row[0]!r} is not HH:MM")
        minutes.append(int(m.group(1)) * 60 + int(m.group(2)))
    # The trailing next-day 00:00 row (forecasts for the next day's first interval).
    if len(rows) > 1 and minutes[-1] == 0:
        rows, lines, minutes = rows[:-1], lines[:-1], minutes[:-1]

    # Wall clock -> UTC. The n-th occurrence of a wall time takes the n-th instant it names:
    # the first is the earlier (daylight-time) one, a second only exists in the fall-back hour;
    # see the module docstring. Wall times in the spring-forward gap name no instant: row dropped.
    regular_start = _regular_day_start_us(market_day)
    table = _dst_day_table(market_day) if regular_start is None else None
    seen: dict[int, int] = {}
    keep: list[int] = []
    stamps: list[int] = []
    for k, (minute, line) in enumerate(zip(minutes, lines, strict=True)):
        occurrence = seen.get(minute, 0)
        seen[minute] = occurrence + 1
        if table is None:
            stamp = regular_start + minute * _MINUTE_US
            instants = (stamp, stamp)
        else:
            instants = table[minute]
        if occurrence and (occurrence > 1 or instants is None or instants[0] == instants[1]):
            raise PayloadError(
                f"CAISO {what}: line {line}: time {rows[k][0].strip()} is repeated and the "
                f"repeat is not a daylight-saving fall-back hour on {market_day}"
            )
        if instants is None:
            continue
        stamp = instants[occurrence]
        if stamps and stamp <= stamps[-1]:
            raise PayloadError(
                f"CAISO {what}: line {line}: time {rows[k][0].strip()} is out of order"
            )
        keep.append(k)
        stamps.append(stamp)
    if not keep:
        raise PayloadError(f"CAISO {what}: no data rows for {market_day}")

    # Numbers: finite decimals, blank cell -> null, anything else is an error.
    data: dict[str, pl.Series] = {
        "interval_start_utc": pl.Series(stamps, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
        "local_clock": pl.Series(
            [f"{minutes[k] // 60:02d}:{minutes[k] % 60:02d}" for k in keep], dtype=pl.String
        ),
    }
    for i, name in mapping.items():
        values: list[float | None] = []
        for k in keep:
            cell = rows[k][i].strip()
            if not cell:
                values.append(None)
            elif (value := plain_number(cell)) is not None:
                values.append(value)
            else:
                raise PayloadError(
                    f"CAISO {what}: line {lines[k]} ({rows[k][0].strip()}): "
                    f"{header[i].strip()!r} value {cell!r} is not a number"
                )
        data[name] = pl.Series(values, dtype=pl.Float64)
    missing = pl.Series([None] * len(keep), dtype=pl.Float64)
    return pl.DataFrame(
        {
            "interval_start_utc": data["interval_start_utc"],
            "local_clock": data["local_clock"],
            **{name: data.get(name, missing) for name in known.values()},
        }
    )


# --- feeds (the provider seam: energy_assets/sources/feeds.py) --------------------------------


def _get(url_of):
    def fetch(source, region, day: date):
        return [source.client.get(PROVIDER, url_of(day))]

    return fetch


def _one_day(parse):
    def parse_payloads(payloads, day: date) -> pl.DataFrame:
        return parse(payloads[0].body, day)

    return parse_payloads


def _feeds() -> tuple[Feed, ...]:
    def expected(region, day: date) -> int:
        return expected_intervals(day)

    common = {
        "provider": "caiso_outlook",
        "first_date": "2019-01-01",
        "day_rows": whole_payload,
        "expected_rows": expected,
        "row_unit": "5min_readings",
    }
    return (
        Feed(
            name="demand",
            description="CAISO Today's Outlook `demand.csv` for one market day: 5-minute system"
            " demand, CAISO's day-ahead and hour-ahead load forecasts, in MW, Pacific clock"
            " converted to UTC.",
            schema=schemas.CaisoOutlookDemand,
            request_key=lambda region, day: demand_url(day),
            fetch=_get(demand_url),
            parse=_one_day(parse_demand),
            completeness_columns="demand_mw",  # actual demand, not the forecasts
            **common,
        ),
        Feed(
            name="fuel_mix",
            description="CAISO Today's Outlook `fuelsource.csv` for one market day: 5-minute"
            " generation by fuel in MW (solar, wind, geothermal, biomass, biogas, small/large"
            " hydro, coal, nuclear, natural gas, batteries, imports, other).",
            schema=schemas.CaisoOutlookFuelMix,
            request_key=lambda region, day: fuel_mix_url(day),
            fetch=_get(fuel_mix_url),
            parse=_one_day(parse_fuel_mix),
            **common,
        ),
    )


FEEDS = _feeds()
