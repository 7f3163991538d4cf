"""CAISO Today's Outlook parsers on all 731 recorded days (2019-2020) and on broken payloads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from energy_assets.sources import caiso_outlook as co
from energy_assets.sources.errors import PayloadError
from energy_assets.timeutil import market_day_bounds_utc

FIRST_DAY, LAST_DAY = date(2019, 1, 1), date(2020, 12, 31)
SPRING_FORWARD = [date(2019, 3, 10), date(2020, 3, 8)]
FALL_BACK = [date(2019, 11, 3), date(2020, 11, 1)]

# Days whose parsed rows fall short of expected_intervals, as found in the recordings.
SHORT_DAYS = {
    ("demand", date(2019, 11, 3)): 288,  # fall back: 300 expected, PST 01:xx absent
    ("demand", date(2020, 11, 1)): 288,
    ("fuel_mix", date(2019, 2, 14)): 286,
    ("fuel_mix", date(2019, 5, 10)): 285,
    ("fuel_mix", date(2019, 9, 16)): 287,
    ("fuel_mix", date(2019, 9, 25)): 287,
    ("fuel_mix", date(2019, 11, 3)): 288,  # fall back
    ("fuel_mix", date(2020, 11, 1)): 277,  # fall back, and ends at 23:00
}
# Said to be "truncated at 168 rows": they write hours before 10:00 as H:MM (120 rows) and are
# complete once H:MM is read.
SAID_TRUNCATED = [
    date(2019, 10, 15),
    date(2019, 11, 13),
    date(2019, 12, 12),
    date(2019, 12, 31),
    date(2020, 2, 18),
    date(2020, 3, 11),
    date(2020, 3, 12),
    date(2020, 7, 16),
    date(2020, 7, 17),
]

DEMAND_SCHEMA = {
    "interval_start_utc": pl.Datetime("us", "UTC"),
    "local_clock": pl.String,
    "day_ahead_forecast_mw": pl.Float64,
    "hour_ahead_forecast_mw": pl.Float64,
    "demand_mw": pl.Float64,
}
FUEL_SCHEMA = {
    "interval_start_utc": pl.Datetime("us", "UTC"),
    "local_clock": pl.String,
    **{name: pl.Float64 for name in co.FUEL_COLUMNS.values()},
}
FILES = {"demand": "demand.csv", "fuel_mix": "fuelsource.csv"}
PARSERS = {"demand": co.parse_demand, "fuel_mix": co.parse_fuel_mix}


def _body(recordings: Path, kind: str, day: date) -> bytes:
    return (recordings / "caiso_outlook" / day.strftime("%Y%m%d") / FILES[kind]).read_bytes()


@pytest.fixture(scope="session")
def parsed(recordings: Path) -> dict[tuple[str, date], pl.DataFrame]:
    """Every recorded file, parsed once."""
    out = {}
    day = FIRST_DAY
    while day <= LAST_DAY:
        for kind, parse in PARSERS.items():
            out[kind, day] = parse(_body(recordings, kind, day), day)
        day += timedelta(days=1)
    return out


@pytest.fixture(scope="session")
def stacked(parsed: dict[tuple[str, date], pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """All days of each kind in one frame, with the market day as a column."""
    return {
        kind: pl.concat(
            [df.with_columns(market_day=pl.lit(d)) for (k, d), df in parsed.items() if k == kind]
        )
        for kind in PARSERS
    }


# --- all recorded days ------------------------------------------------------------------------


def test_all_731_days_parse_with_exact_schema(parsed: dict) -> None:
    assert len(parsed) == 731 * 2
    for (kind, day), df in parsed.items():
        schema = DEMAND_SCHEMA if kind == "demand" else FUEL_SCHEMA
        assert dict(df.schema) == schema, (kind, day)


def test_timestamps_increasing_unique_and_inside_the_day(parsed: dict) -> None:
    for (kind, day), df in parsed.items():
        ts = df["interval_start_utc"]
        start, end = market_day_bounds_utc(day, co.TIMEZONE)
        assert ts.is_unique().all(), (kind, day)
        assert (ts.diff().drop_nulls() > timedelta(0)).all(), (kind, day)
        assert ts.min() >= start and ts.max() < end, (kind, day)
        # On the 5-minute grid of the UTC day.
        assert ((ts - start).dt.total_seconds() % 300 == 0).all(), (kind, day)


def test_local_clock_matches_utc_timestamp(stacked: dict[str, pl.DataFrame]) -> None:
    for kind, df in stacked.items():
        local = df["interval_start_utc"].dt.convert_time_zone(co.TIMEZONE)
        assert (local.dt.strftime("%H:%M") == df["local_clock"]).all(), kind
        assert (local.dt.date() == df["market_day"]).all(), kind
        assert df["local_clock"].str.contains(r"^\d\d:\d\d$").all(), kind


def test_row_counts_and_short_days(parsed: dict) -> None:
    short = {
        key: df.height for key, df in parsed.items() if df.height != co.expected_intervals(key[1])
    }
    assert short == SHORT_DAYS
    for (kind, day), df in parsed.items():
        if (kind, day) not in SHORT_DAYS:
            assert df.height == co.expected_intervals(day), (kind, day)


@pytest.mark.parametrize("day", SAID_TRUNCATED)
def test_days_said_truncated_at_168_rows_are_complete(
    recordings: Path, parsed: dict, day: date
) -> None:
    text = _body(recordings, "demand", day).decode()
    assert sum(line[:2].isdigit() for line in text.splitlines()) == 168  # what "HH:" matches
    for kind in PARSERS:
        df = parsed[kind, day]
        assert df.height == 288, kind
        assert df["local_clock"][0] == "00:00" and df["local_clock"][-1] == "23:55"
    assert parsed["demand", day]["demand_mw"].null_count() == 0


def test_real_file_truncated_at_a_row_boundary_parses(recordings: Path) -> None:
    day = date(2019, 10, 15)
    for kind, parse in PARSERS.items():
        lines = _body(recordings, kind, day).splitlines(keepends=True)
        df = parse(b"".join(lines[:169]), day)  # header + 14 hours
        assert df.height == 168
        assert df["local_clock"][-1] == "13:55"
        assert_frame_equal(df, parse(_body(recordings, kind, day), day).head(168))


def test_values_as_published(parsed: dict, stacked: dict[str, pl.DataFrame]) -> None:
    first = parsed["demand", date(2019, 1, 1)].row(0, named=True)
    assert first["interval_start_utc"] == datetime(2019, 1, 1, 8, tzinfo=UTC)
    assert (first["day_ahead_forecast_mw"], first["hour_ahead_forecast_mw"]) == (23437, 22290)
    assert first["demand_mw"] == 22216
    fuel = parsed["fuel_mix", date(2019, 1, 1)].row(0, named=True)
    assert (fuel["wind_mw"], fuel["natural_gas_mw"], fuel["imports_mw"]) == (2810, 7326, 6254)
    # Small negative solar at night is kept.
    assert stacked["fuel_mix"]["solar_mw"].min() < 0
    # Blank cells are null: whole blank columns on some days, and the rest of 2020-11-01's
    # demand after the last reading at 23:00 (the forecasts are there).
    assert parsed["fuel_mix", date(2019, 1, 2)]["natural_gas_mw"].null_count() == 288
    assert parsed["fuel_mix", date(2019, 3, 13)]["geothermal_mw"].null_count() == 288
    assert parsed["fuel_mix", date(2019, 3, 26)]["imports_mw"].null_count() == 288
    tail = parsed["demand", date(2020, 11, 1)].filter(pl.col("local_clock") > "23:00")
    assert tail.height == 11
    assert tail["demand_mw"].null_count() == 11
    assert tail["day_ahead_forecast_mw"].null_count() == 0


# --- DST days ---------------------------------------------------------------------------------


def _hour_counts(df: pl.DataFrame) -> dict[datetime, int]:
    hours = df["interval_start_utc"].dt.truncate("1h").value_counts()
    return dict(zip(hours["interval_start_utc"], hours["count"], strict=True))


@pytest.mark.parametrize("day", SPRING_FORWARD)
def test_spring_forward_day(parsed: dict, day: date) -> None:
    start, _ = market_day_bounds_utc(day, co.TIMEZONE)
    assert co.expected_intervals(day) == 276
    for kind in PARSERS:
        df = parsed[kind, day]
        assert df.height == 276
        assert not df["local_clock"].str.starts_with("02:").any()  # the gap is dropped
        counts = _hour_counts(df)
        assert len(counts) == 23 and set(counts.values()) == {12}
        assert min(counts) == start
        clock = df["local_clock"].to_list()
        i = clock.index("01:55")
        assert clock[i + 1] == "03:00"
        ts = df["interval_start_utc"]
        assert ts[i + 1] - ts[i] == timedelta(minutes=5)  # continuous in real time


@pytest.mark.parametrize("day", FALL_BACK)
def test_fall_back_day(parsed: dict, day: date) -> None:
    start, end = market_day_bounds_utc(day, co.TIMEZONE)
    assert end - start == timedelta(hours=25)
    assert co.expected_intervals(day) == 300
    pdt_one_am = start + timedelta(hours=1)  # 08:00 UTC
    pst_one_am = start + timedelta(hours=2)  # 09:00 UTC
    for kind in PARSERS:
        df = parsed[kind, day]
        counts = _hour_counts(df)
        # 25-hour day: 24 hours with readings; the standard-time 01:xx hour has none.
        assert len(counts) == 24
        assert pst_one_am not in counts
        assert counts[pdt_one_am] == 12
        one_am = df.filter(pl.col("local_clock").str.starts_with("01:"))
        assert one_am.height == 12
        assert one_am["interval_start_utc"].min() == pdt_one_am
        clock = df["local_clock"].to_list()
        i = clock.index("01:55")
        ts = df["interval_start_utc"]
        assert clock[i + 1] == "02:00"
        assert ts[i + 1] - ts[i] == timedelta(minutes=65)
        assert ts[i + 1] == start + timedelta(hours=3)  # 02:00 PST


def test_expected_intervals() -> None:
    assert co.expected_intervals(date(2019, 7, 4)) == 288
    assert co.expected_intervals(date(2019, 3, 10)) == 276
    assert co.expected_intervals(date(2019, 11, 3)) == 300


def test_fall_back_hour_listed_twice_maps_to_both_instants(recordings: Path) -> None:
    """Should a file list 01:xx twice, the first block is PDT and the second PST."""
    day = FALL_BACK[0]
    lines = _body(recordings, "fuel_mix", day).splitlines(keepends=True)
    one_am = [line for line in lines if line.startswith(b"01:")]
    i = lines.index(one_am[-1]) + 1
    df = co.parse_fuel_mix(b"".join(lines[:i] + one_am + lines[i:]), day)
    assert df.height == 300
    assert (df["interval_start_utc"].diff().drop_nulls() == timedelta(minutes=5)).all()
    repeat = df.filter(pl.col("local_clock") == "01:30")["interval_start_utc"].to_list()
    assert repeat == [
        datetime(2019, 11, 3, 8, 30, tzinfo=UTC),
        datetime(2019, 11, 3, 9, 30, tzinfo=UTC),
    ]


# --- header variants --------------------------------------------------------------------------


def _with_header(body: bytes, header: str) -> bytes:
    return header.encode() + b"\n" + body.split(b"\n", 1)[1]


@pytest.mark.parametrize(
    "header",
    [
        "Time,Solar,Wind,Geothermal,Biomass,Biogas,Small Hydro,Coal,Nuclear,Natural Gas,"
        "Large Hydro,Batteries,Imports,Other",
        "TIME,SOLAR,WIND,GEOTHERMAL,BIOMASS,BIOGAS,SMALL HYDRO,COAL,NUCLEAR,NATURAL GAS,"
        "LARGE HYDRO,BATTERIES,IMPORTS,OTHER",
        "\ufefftime, solar ,wind,geothermal,biomass,biogas,small  hydro,coal,nuclear,"
        "natural\tgas,large hydro,batteries,imports,other ",
    ],
)
def test_fuel_header_variants_parse_the_same(recordings: Path, header: str) -> None:
    day = date(2019, 5, 15)
    body = _body(recordings, "fuel_mix", day)
    assert_frame_equal(
        co.parse_fuel_mix(_with_header(body, header), day), co.parse_fuel_mix(body, day)
    )


def test_demand_header_variants_and_crlf_parse_the_same(recordings: Path) -> None:
    day = date(2019, 5, 15)
    body = _body(recordings, "demand", day)
    variant = _with_header(body, "TIME, Day Ahead Forecast ,HOUR AHEAD FORECAST,current  demand")
    expected = co.parse_demand(body, day)
    assert_frame_equal(co.parse_demand(variant, day), expected)
    assert_frame_equal(co.parse_demand(body.replace(b"\n", b"\r\n"), day), expected)


def test_missing_fuel_column_becomes_null(recordings: Path) -> None:
    day = date(2019, 5, 15)
    body = _body(recordings, "fuel_mix", day).decode()
    without_coal = "\n".join(
        ",".join(c for i, c in enumerate(line.split(",")) if i != 7) for line in body.split("\n")
    )
    assert body.split("\n")[0].split(",")[7] == "Coal"
    df = co.parse_fuel_mix(without_coal.encode(), day)
    assert list(df.columns) == list(FUEL_SCHEMA)
    assert df["coal_mw"].null_count() == 288
    assert_frame_equal(df.drop("coal_mw"), co.parse_fuel_mix(body.encode(), day).drop("coal_mw"))


def test_column_order_does_not_matter(recordings: Path) -> None:
    day = date(2019, 5, 15)
    body = _body(recordings, "fuel_mix", day).decode()
    shuffled = "\n".join(
        ",".join([cells[0], *reversed(cells[1:])]) if line else line
        for line in body.split("\n")
        for cells in [line.split(",")]
    )
    assert_frame_equal(
        co.parse_fuel_mix(shuffled.encode(), day), co.parse_fuel_mix(body.encode(), day)
    )


def test_unknown_fuel_column_is_an_error(recordings: Path) -> None:
    day = date(2019, 5, 15)
    lines = _body(recordings, "fuel_mix", day).decode().split("\n")
    extended = "\n".join(
        line + (",Hydrogen" if i == 0 else ",1") if line else line for i, line in enumerate(lines)
    )
    with pytest.raises(PayloadError, match="Hydrogen"):
        co.parse_fuel_mix(extended.encode(), day)


# --- malformed payloads -----------------------------------------------------------------------

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>404 - Page Not Found</title></head>"
    b"<body><h1>Sorry</h1></body></html>\n"
)
DEMAND_HEADER = b"Time,Day ahead forecast,Hour ahead forecast,Current demand\n"


@pytest.mark.parametrize("kind", list(PARSERS))
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"  \r\n\n", "empty body"),
        (HTML_PAGE, "HTML page titled '404 - Page Not Found'"),
        (b"\n<html><body>Service Unavailable</body></html>", "HTML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"\xff\xfe\xfa garbage\n", "not UTF-8"),
        (b"hello world\n", "first column is 'Time'"),
        (b'{"error": "rate limited"}\n', "first column is 'Time'"),
    ],
)
def test_not_a_csv(kind: str, body: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        PARSERS[kind](body, date(2019, 5, 15))


@pytest.mark.parametrize("kind", list(PARSERS))
def test_cut_mid_line(recordings: Path, kind: str) -> None:
    day = date(2019, 5, 15)
    body = _body(recordings, kind, day)
    cut = len(body) // 2
    while body[cut - 1 : cut] == b"\n":
        cut += 1
    with pytest.raises(PayloadError, match="cut mid-line"):
        PARSERS[kind](body[:cut], day)


@pytest.mark.parametrize("kind", list(PARSERS))
def test_header_only(recordings: Path, kind: str) -> None:
    header = _body(recordings, kind, date(2019, 5, 15)).split(b"\n", 1)[0] + b"\n"
    with pytest.raises(PayloadError, match="no data rows"):
        PARSERS[kind](header, date(2019, 5, 15))


def _edit_line(body: bytes, clock: bytes, new_line: bytes | None) -> bytes:
    lines = body.split(b"\n")
    i = next(i for i, line in enumerate(lines) if line.startswith(clock + b","))
    lines[i : i + 1] = [] if new_line is None else [new_line]
    return b"\n".join(lines)


@pytest.mark.parametrize(
    ("clock", "new_line", "message"),
    [
        (b"12:00", b"12:00,25000,n/a,25100", r"line 146 \(12:00\): 'Hour ahead forecast' .*'n/a'"),
        (b"12:00", b"12:00,25000,25100,1.2.3", "'1.2.3' is not a number"),
        (b"12:00", b"12:00,25000,25100,NaN", "'NaN' is not a number"),
        (b"12:00", b"12:00,25000,25100", "line 146 has 3 fields"),
        (b"12:00", b"12:00,25000,25100,25200,9", "line 146 has 5 fields"),
        (b"12:00", b"noon,25000,25100,25200", "time 'noon' is not HH:MM"),
        (b"12:00", b"12:60,25000,25100,25200", "time '12:60' is not HH:MM"),
        (b"12:00", b"24:00,25000,25100,25200", "time '24:00' is not HH:MM"),
        (b"12:00", b"2019-05-15 12:00,25000,25100,25200", "is not HH:MM"),
        (b"12:00", b"11:55,25000,25100,25200", "11:55 is repeated"),
        (b"12:00", b"13:30,25000,25100,25200", "out of order"),
    ],
)
def test_malformed_demand_rows(
    recordings: Path, clock: bytes, new_line: bytes, message: str
) -> None:
    day = date(2019, 5, 15)
    body = _edit_line(_body(recordings, "demand", day), clock, new_line)
    with pytest.raises(PayloadError, match=message):
        co.parse_demand(body, day)


def test_non_numeric_fuel_cell_names_column_and_line(recordings: Path) -> None:
    day = date(2019, 5, 15)
    body = _body(recordings, "fuel_mix", day)
    line = next(line for line in body.split(b"\n") if line.startswith(b"08:00,"))
    cells = line.split(b",")
    cells[9] = b"#VALUE!"
    with pytest.raises(PayloadError, match=r"line 98 \(08:00\): 'Natural gas' value '#VALUE!'"):
        co.parse_fuel_mix(_edit_line(body, b"08:00", b",".join(cells)), day)


def test_repeat_is_allowed_only_in_the_fall_back_hour(recordings: Path) -> None:
    day = date(2019, 11, 3)
    body = _body(recordings, "demand", day)
    repeated = _edit_line(body, b"02:05", b"02:00,1,1,1")
    with pytest.raises(PayloadError, match="02:00 is repeated"):
        co.parse_demand(repeated, day)


def test_missing_required_demand_column() -> None:
    body = b"Time,Day ahead forecast,Hour ahead forecast\n00:00,1,2\n"
    with pytest.raises(PayloadError, match="missing required column.*current demand"):
        co.parse_demand(body, date(2019, 5, 15))
    with pytest.raises(PayloadError, match="missing required column"):
        co.parse_fuel_mix(b"Time\n00:00\n", date(2019, 5, 15))


def test_only_rows_in_the_spring_forward_gap_is_no_data() -> None:
    body = DEMAND_HEADER + b"02:00,,,\n02:05,,,\n"
    with pytest.raises(PayloadError, match="no data rows"):
        co.parse_demand(body, date(2019, 3, 10))


def test_small_hand_written_file() -> None:
    body = DEMAND_HEADER + b"0:00,100,101,\n0:05,100,101,99.5\n00:00,200,201,\n"
    df = co.parse_demand(body, date(2019, 7, 4))
    assert df.to_dicts() == [
        {
            "interval_start_utc": datetime(2019, 7, 4, 7, tzinfo=UTC),
            "local_clock": "00:00",
            "day_ahead_forecast_mw": 100.0,
            "hour_ahead_forecast_mw": 101.0,
            "demand_mw": None,
        },
        {
            "interval_start_utc": datetime(2019, 7, 4, 7, 5, tzinfo=UTC),
            "local_clock": "00:05",
            "day_ahead_forecast_mw": 100.0,
            "hour_ahead_forecast_mw": 101.0,
            "demand_mw": 99.5,
        },
    ]


# --- URLs -------------------------------------------------------------------------------------


def test_urls() -> None:
    day = date(2020, 8, 14)
    assert co.demand_url(day) == "https://www.caiso.com/outlook/history/20200814/demand.csv"
    assert co.fuel_mix_url(day) == "https://www.caiso.com/outlook/history/20200814/fuelsource.csv"
    assert co.legacy_urls(day) == {
        "demand": "https://www.caiso.com/outlook/SP/History/20200814/demand.csv",
        "fuel_mix": "https://www.caiso.com/outlook/SP/History/20200814/fuelsource.csv",
    }
    assert (co.PROVIDER, co.TIMEZONE) == ("caiso", "America/Los_Angeles")
