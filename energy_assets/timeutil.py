"""Market days, local wall clocks and UTC.

A partition's `date` is the region's local market (operating) day. These helpers turn it into UTC
instants with the IANA time-zone database (`zoneinfo`), so a market day has 23, 24 or 25 hours on
DST days, and fixed-offset zones (`"Etc/GMT+5"` is UTC-5, note the POSIX sign) have 24 every day.

Every datetime returned is tz-aware UTC. Every datetime accepted must be tz-aware.

Wall times that do not map to exactly one instant are resolved like this everywhere:

- nonexistent (inside a spring-forward gap, e.g. 02:30 on 2019-03-10 in Los Angeles): there is no
  such instant, so the result is `None` (polars: null). Callers drop such rows; never shift them.
- ambiguous (inside a fall-back repeat, e.g. 01:30 on 2019-11-03 in Los Angeles): `ambiguous`
  picks the instant: `"earliest"` (default; the first occurrence, still on daylight time),
  `"latest"` (the second occurrence, on standard time) or `"null"` (`None`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import polars as pl

Ambiguous = Literal["earliest", "latest", "null"]

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)  # ZoneInfo caches instances; unknown keys raise ZoneInfoNotFoundError


def _require_aware(ts: datetime, name: str) -> None:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"{name} must be tz-aware, got naive {ts!r}")


def market_day_bounds_utc(day: date, tz: str) -> tuple[datetime, datetime]:
    """UTC `[start, end)` of the local market day `day` in `tz`.

    Start is the first instant of local midnight (if midnight is ambiguous, its first occurrence;
    if it falls in a gap, the instant the gap ends). `end - start` is 23, 24 or 25 hours around
    DST changes.
    """
    zone = _zone(tz)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def market_day_hours(day: date, tz: str) -> float:
    """Length of the market day in hours (23, 24 or 25 for whole-hour DST shifts)."""
    start, end = market_day_bounds_utc(day, tz)
    return (end - start) / timedelta(hours=1)


def hourly_intervals_utc(day: date, tz: str) -> list[datetime]:
    """UTC start of every hour of the market day, in order (23, 24 or 25 of them)."""
    return intervals_utc(day, tz, timedelta(hours=1))


def intervals_utc(day: date, tz: str, step: timedelta) -> list[datetime]:
    """UTC starts of consecutive `step`-long intervals covering the market day."""
    if step <= timedelta(0):
        raise ValueError(f"step must be positive, got {step}")
    start, end = market_day_bounds_utc(day, tz)
    out: list[datetime] = []
    ts = start
    while ts < end:
        out.append(ts)
        ts += step
    return out


def parse_clock(text: str) -> time:
    """`"HH:MM"` (or `"H:MM"`) to a `time`; ValueError if it is not a wall-clock time of day."""
    m = _CLOCK.match(text)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"not an HH:MM time of day: {text!r}")
    return time(int(m.group(1)), int(m.group(2)))


def wall_time_to_utc(
    naive: datetime, tz: str, ambiguous: Ambiguous = "earliest"
) -> datetime | None:
    """One local wall time (naive datetime) in `tz` to UTC; see the module docstring for gaps and
    repeats."""
    if naive.tzinfo is not None:
        raise ValueError(f"expected a naive local wall time, got {naive!r}")
    zone = _zone(tz)
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    utc_first = first.astimezone(UTC)
    # In a gap the wall time does not survive the round trip through UTC.
    if utc_first.astimezone(zone).replace(tzinfo=None) != naive:
        return None
    utc_second = second.astimezone(UTC)
    if utc_first == utc_second:
        return utc_first
    if ambiguous == "earliest":
        return min(utc_first, utc_second)
    if ambiguous == "latest":
        return max(utc_first, utc_second)
    if ambiguous == "null":
        return None
    raise ValueError(f"ambiguous must be 'earliest', 'latest' or 'null', got {ambiguous!r}")


def local_wall_times_to_utc(
    day: date, tz: str, times: list[str], ambiguous: Ambiguous = "earliest"
) -> list[datetime | None]:
    """`"HH:MM"` wall-clock times on local date `day` in `tz` to UTC instants.

    Nonexistent times (spring-forward gap) give `None`; ambiguous ones (fall-back repeat) resolve
    by `ambiguous` (default `"earliest"`, the daylight-time occurrence). A malformed time raises
    ValueError. A source that lists a repeated hour twice must say which occurrence each row is:
    call this per occurrence with `"earliest"` / `"latest"` (see `local_to_utc_expr`).
    """
    return [wall_time_to_utc(datetime.combine(day, parse_clock(t)), tz, ambiguous) for t in times]


def local_to_utc_expr(
    naive: pl.Expr, tz: str, ambiguous: Ambiguous | pl.Expr = "earliest"
) -> pl.Expr:
    """Polars equivalent of `wall_time_to_utc` for a naive `Datetime` expression.

    Same rules: nonexistent wall times become null; `ambiguous` may be a string or an expression
    giving `"earliest"` / `"latest"` / `"null"` per row. The result is `Datetime("us", "UTC")`.
    """
    return (
        naive.cast(pl.Datetime("us"))
        .dt.replace_time_zone(tz, ambiguous=ambiguous, non_existent="null")
        .dt.convert_time_zone("UTC")
    )


def market_date_of(ts_utc: datetime, tz: str) -> date:
    """The local market day in `tz` that contains the instant `ts_utc` (tz-aware)."""
    _require_aware(ts_utc, "ts_utc")
    return ts_utc.astimezone(_zone(tz)).date()
