from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from energy_assets.timeutil import (
    hourly_intervals_utc,
    local_to_utc_expr,
    local_wall_times_to_utc,
    market_date_of,
    market_day_bounds_utc,
    market_day_hours,
    parse_clock,
    wall_time_to_utc,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (zone, day, hours, UTC start)
DAYS = [
    ("America/Los_Angeles", date(2019, 3, 10), 23, utc(2019, 3, 10, 8)),
    ("America/Los_Angeles", date(2019, 7, 1), 24, utc(2019, 7, 1, 7)),
    ("America/Los_Angeles", date(2019, 11, 3), 25, utc(2019, 11, 3, 7)),
    ("America/Los_Angeles", date(2020, 3, 8), 23, utc(2020, 3, 8, 8)),
    ("America/Los_Angeles", date(2020, 11, 1), 25, utc(2020, 11, 1, 7)),
    ("America/New_York", date(2019, 3, 10), 23, utc(2019, 3, 10, 5)),
    ("America/New_York", date(2019, 1, 15), 24, utc(2019, 1, 15, 5)),
    ("America/New_York", date(2019, 11, 3), 25, utc(2019, 11, 3, 4)),
    ("Europe/London", date(2019, 3, 31), 23, utc(2019, 3, 31, 0)),
    ("Europe/London", date(2019, 6, 1), 24, utc(2019, 5, 31, 23)),
    ("Europe/London", date(2019, 10, 27), 25, utc(2019, 10, 26, 23)),
    # POSIX sign: Etc/GMT+5 is UTC-5, all year, including US DST days.
    ("Etc/GMT+5", date(2019, 3, 10), 24, utc(2019, 3, 10, 5)),
    ("Etc/GMT+5", date(2019, 11, 3), 24, utc(2019, 11, 3, 5)),
    ("Etc/GMT-9", date(2019, 10, 27), 24, utc(2019, 10, 26, 15)),
    ("UTC", date(2020, 2, 29), 24, utc(2020, 2, 29, 0)),
]


@pytest.mark.parametrize(("tz", "day", "hours", "start"), DAYS)
def test_market_day_bounds(tz: str, day: date, hours: int, start: datetime) -> None:
    lo, hi = market_day_bounds_utc(day, tz)
    assert lo == start
    assert hi - lo == timedelta(hours=hours)
    assert lo.utcoffset() == timedelta(0) and hi.utcoffset() == timedelta(0)
    assert market_day_hours(day, tz) == hours
    # Consecutive days tile the time line.
    assert market_day_bounds_utc(day + timedelta(days=1), tz)[0] == hi


@pytest.mark.parametrize(("tz", "day", "hours", "start"), DAYS)
def test_hourly_intervals(tz: str, day: date, hours: int, start: datetime) -> None:
    hours_utc = hourly_intervals_utc(day, tz)
    assert len(hours_utc) == hours
    assert hours_utc[0] == start
    assert all(b - a == timedelta(hours=1) for a, b in zip(hours_utc, hours_utc[1:], strict=False))
    assert all(h.tzinfo is UTC for h in hours_utc)
    assert {market_date_of(h, tz) for h in hours_utc} == {day}
    assert market_date_of(start - timedelta(microseconds=1), tz) == day - timedelta(days=1)


def test_wall_times_spring_forward_gap_is_none() -> None:
    got = local_wall_times_to_utc(
        date(2019, 3, 10), "America/Los_Angeles", ["00:00", "01:55", "02:00", "02:30", "3:00"]
    )
    assert got == [utc(2019, 3, 10, 8), utc(2019, 3, 10, 9, 55), None, None, utc(2019, 3, 10, 10)]
    london = local_wall_times_to_utc(
        date(2019, 3, 31), "Europe/London", ["00:59", "01:30", "02:00"]
    )
    assert london == [utc(2019, 3, 31, 0, 59), None, utc(2019, 3, 31, 1)]


def test_wall_times_fall_back_ambiguity() -> None:
    day, tz = date(2019, 11, 3), "America/Los_Angeles"
    times = ["00:55", "01:00", "01:30", "02:00"]
    assert local_wall_times_to_utc(day, tz, times) == [
        utc(2019, 11, 3, 7, 55),
        utc(2019, 11, 3, 8),  # PDT, the first occurrence
        utc(2019, 11, 3, 8, 30),
        utc(2019, 11, 3, 10),
    ]
    assert local_wall_times_to_utc(day, tz, times, ambiguous="latest") == [
        utc(2019, 11, 3, 7, 55),
        utc(2019, 11, 3, 9),  # PST, the repeat
        utc(2019, 11, 3, 9, 30),
        utc(2019, 11, 3, 10),
    ]
    assert local_wall_times_to_utc(day, tz, times, ambiguous="null")[1:3] == [None, None]
    assert local_wall_times_to_utc(date(2019, 10, 27), "Europe/London", ["01:30"], "latest") == [
        utc(2019, 10, 27, 1, 30)
    ]
    with pytest.raises(ValueError, match="ambiguous"):
        wall_time_to_utc(datetime(2019, 11, 3, 1, 30), tz, "bogus")  # type: ignore[arg-type]


def test_fixed_offset_zone_has_no_gaps() -> None:
    got = local_wall_times_to_utc(date(2019, 3, 10), "Etc/GMT+5", ["02:30"])
    assert got == [utc(2019, 3, 10, 7, 30)]


@pytest.mark.parametrize("bad", ["24:00", "12:60", "noon", "1230", "", "12:5", "-1:00"])
def test_malformed_clock(bad: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock(bad)


def test_naive_inputs_rejected() -> None:
    with pytest.raises(ValueError, match="tz-aware"):
        market_date_of(datetime(2019, 1, 1), "America/Los_Angeles")
    with pytest.raises(ValueError, match="naive"):
        wall_time_to_utc(utc(2019, 1, 1), "America/Los_Angeles")


def test_market_date_of_edges() -> None:
    tz = "America/Los_Angeles"
    assert market_date_of(utc(2019, 11, 4, 7, 59), tz) == date(2019, 11, 3)  # 23:59 PST
    assert market_date_of(utc(2019, 11, 4, 8), tz) == date(2019, 11, 4)
    assert market_date_of(utc(2019, 3, 10, 7, 59), tz) == date(2019, 3, 9)  # 23:59 PST


@pytest.mark.parametrize(
    ("tz", "day"),
    [
        ("America/Los_Angeles", date(2019, 3, 10)),
        ("America/Los_Angeles", date(2019, 11, 3)),
        ("Europe/London", date(2019, 10, 27)),
        ("Etc/GMT+5", date(2019, 11, 3)),
    ],
)
@pytest.mark.parametrize("ambiguous", ["earliest", "latest", "null"])
def test_polars_expression_agrees_with_zoneinfo(tz: str, day: date, ambiguous: str) -> None:
    minutes = list(range(0, 24 * 60, 5))
    naive = [datetime(day.year, day.month, day.day) + timedelta(minutes=m) for m in minutes]
    frame = pl.DataFrame({"naive": naive}).select(
        local_to_utc_expr(pl.col("naive"), tz, ambiguous)  # type: ignore[arg-type]
    )
    assert frame.schema["naive"] == pl.Datetime("us", "UTC")
    expected = [wall_time_to_utc(n, tz, ambiguous) for n in naive]  # type: ignore[arg-type]
    assert frame["naive"].to_list() == expected
