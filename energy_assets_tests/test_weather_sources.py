"""Weather providers: the GFS regional forecast history (all five real files) and Open-Meteo.

There are no Open-Meteo recordings, so its payloads are built here by hand in the documented
multi-location shape (a JSON list of per-location objects); see `open_meteo`'s docstring.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import polars as pl
import pytest

from energy_assets.regions import REGIONS, WeatherPoint, region
from energy_assets.sources import eia930
from energy_assets.sources import gfs_regional as gfs
from energy_assets.sources import open_meteo as om
from energy_assets.sources.errors import PayloadError
from energy_assets.timeutil import market_day_bounds_utc

HARMONIZED_SCHEMA = {
    "interval_start_utc": pl.Datetime("us", "UTC"),
    "wind_speed_m_per_s": pl.Float64,
    "temperature_k": pl.Float64,
    "dewpoint_k": pl.Float64,
    "shortwave_radiation_w_per_m2": pl.Float64,
    "precipitation_kg_per_m2_per_h": pl.Float64,
}
ROWS = 21_888
# the file's first label, 2019-01-01 00:00: hour-ending, and the forecast for the next day
FIRST_START = datetime(2019, 1, 1, 23, tzinfo=UTC)
LAST_START = datetime(2021, 7, 1, 22, tzinfo=UTC)
COPIED_09UTC_ROWS = 909 * 3  # 2019-01-04 .. 2021-06-30, rows labelled 07:00-09:00
REGION_OF = {"CISO": "CAISO", "ERCO": "ERCOT", "ISNE": "ISONE", "MISO": "MISO", "PJM": "PJM"}


@pytest.fixture(scope="module")
def history(datasets: Path) -> dict[str, pl.DataFrame]:
    return {
        r: gfs.parse_history(gfs.history_file(datasets, r).read_bytes()) for r in gfs.RESPONDENTS
    }


@pytest.fixture(scope="module")
def ciso_head(datasets: Path) -> list[str]:
    """The first 25 lines of the real CISO file (header included), line endings kept."""
    with gfs.history_file(datasets, "CISO").open("rb") as f:
        return [f.readline().decode() for _ in range(25)]


# --- GFS history: the five real files ---------------------------------------------------------


@pytest.mark.parametrize("respondent", gfs.RESPONDENTS)
def test_every_gfs_file_parses_whole(history: dict[str, pl.DataFrame], respondent: str) -> None:
    frame = history[respondent]
    assert frame.schema == HARMONIZED_SCHEMA
    assert tuple(frame.columns) == gfs.COLUMNS
    assert frame.height == ROWS
    starts = frame["interval_start_utc"]
    assert starts[0] == FIRST_START and starts[-1] == LAST_START
    assert starts.diff().drop_nulls().unique().to_list() == [timedelta(hours=1)]  # no gaps
    # Only the copied 09 UTC radiation and precipitation are null.
    nulls = frame.null_count().row(0, named=True)
    assert nulls == {
        **dict.fromkeys(gfs.COLUMNS, 0),
        "shortwave_radiation_w_per_m2": COPIED_09UTC_ROWS,
        "precipitation_kg_per_m2_per_h": COPIED_09UTC_ROWS,
    }
    # Physical ranges, as the module docstring records them.
    assert frame["temperature_k"].is_between(255, 312).all()
    assert (frame["dewpoint_k"] <= frame["temperature_k"]).all()
    assert frame["wind_speed_m_per_s"].is_between(1, 14).all()
    assert frame["shortwave_radiation_w_per_m2"].drop_nulls().is_between(0, 1030).all()
    assert frame["precipitation_kg_per_m2_per_h"].drop_nulls().is_between(0, 5).all()


def test_values_are_3_hourly_steps_repeated(history: dict[str, pl.DataFrame]) -> None:
    """Values change only where a new GFS step starts: hours starting 00, 03, ..., 21 UTC, and 23
    UTC (the file's next-day 00:00 row, from another run, valid at the same 00 UTC as 21-23)."""
    allowed = {0, 3, 6, 9, 12, 15, 18, 21, 23}
    for frame in history.values():
        changed = (
            frame.with_columns(hour=pl.col("interval_start_utc").dt.hour())
            .filter(
                pl.any_horizontal(
                    pl.col(c).ne_missing(pl.col(c).shift(1))
                    for c in ("wind_speed_m_per_s", "temperature_k", "dewpoint_k")
                )
            )["hour"]
            .unique()
            .to_list()
        )
        assert set(changed) <= allowed
        assert {0, 3, 21, 23} <= set(changed)


def _step(frame: pl.DataFrame, start_hour: int, column: str) -> np.ndarray:
    """Per day, the value of the GFS step whose first hour starts at `start_hour` UTC."""
    rows = frame.filter(pl.col("interval_start_utc").dt.hour() == start_hour)
    return rows[column].to_numpy()


def test_gfs_windows_are_3_or_6_hours(history: dict[str, pl.DataFrame]) -> None:
    """Precipitation accumulates over 6-hour windows (a 6-hour step's amount is never below the
    3-hour step before it); DSWRF at 06 UTC in California is half the 03 UTC value (6-hour mean
    of a sunny 3 hours and a dark 3 hours)."""
    for frame in history.values():
        precip = "precipitation_kg_per_m2_per_h"
        for three, six in ((0, 3), (12, 15), (18, 21)):  # windows ending 03/06, 15/18, 21/24
            amount_3h = _step(frame, three, precip)[:-1] * 3
            amount_6h = _step(frame, six, precip)[: len(amount_3h)] * 6
            assert (amount_6h >= amount_3h - 1e-9).all()
    ciso = history["CISO"]
    sw3 = _step(ciso, 0, "shortwave_radiation_w_per_m2")[:-1]
    sw6 = _step(ciso, 3, "shortwave_radiation_w_per_m2")[: len(sw3)]
    ratio = sw6[sw3 > 1] / sw3[sw3 > 1]
    assert np.median(ratio) == pytest.approx(0.5, abs=0.005)


def test_copied_09utc_step_is_null(history: dict[str, pl.DataFrame]) -> None:
    """The step valid at 09 UTC repeats 06 UTC's radiation and precipitation from 2019-01-04 on:
    nulled; its wind, temperature and dew point are its own and kept; 2019-01-01..03 kept (the
    rows labelled those days, the forecasts for 2019-01-02..04)."""
    labelled_jan_4 = datetime(2019, 1, 5, tzinfo=UTC)
    for frame in history.values():
        rows = frame.filter(pl.col("interval_start_utc").dt.hour().is_between(6, 8))
        early = rows.filter(pl.col("interval_start_utc") < labelled_jan_4)
        late = rows.filter(pl.col("interval_start_utc") >= labelled_jan_4)
        assert early.null_count().sum_horizontal().item() == 0
        assert late["shortwave_radiation_w_per_m2"].is_null().all()
        assert late["precipitation_kg_per_m2_per_h"].is_null().all()
        assert late.select(pl.col("temperature_k").is_not_null().all()).item()


# --- alignment: the file's datetime labels the END of the hour ---------------------------------


def _cos_zenith(minutes: np.ndarray, lat: float, lon: float) -> np.ndarray:
    """Cosine of the solar zenith angle at UTC epoch `minutes` (NOAA low-precision formulas,
    good to well under a minute of time for this purpose)."""
    n = minutes / 1440.0 + 2440587.5 - 2451545.0  # days since J2000.0
    mean_lon = np.deg2rad((280.460 + 0.9856474 * n) % 360)
    anomaly = np.deg2rad((357.528 + 0.9856003 * n) % 360)
    ecl_lon = mean_lon + np.deg2rad(1.915 * np.sin(anomaly) + 0.020 * np.sin(2 * anomaly))
    obliquity = np.deg2rad(23.439 - 4e-7 * n)
    declination = np.arcsin(np.sin(obliquity) * np.sin(ecl_lon))
    right_ascension = np.arctan2(np.cos(obliquity) * np.sin(ecl_lon), np.cos(ecl_lon))
    sidereal = np.deg2rad((280.46061837 + 360.98564736629 * n) % 360)
    hour_angle = sidereal + np.deg2rad(lon) - right_ascension
    phi = np.deg2rad(lat)
    return np.sin(phi) * np.sin(declination) + np.cos(phi) * np.cos(declination) * np.cos(
        hour_angle
    )


def test_alignment_datetime_is_hour_ending_ciso(history: dict[str, pl.DataFrame]) -> None:
    """DSWRF of CISO's GFS steps against the sun at the five CAISO weather points.

    Each step's value is GFS's mean over the 3 or 6 hours before its valid time. With
    `interval_start_utc = datetime - 1 h` (the file labels hour ENDS) the step's rows end at its
    valid time, and the sun's top-of-atmosphere irradiance over those windows correlates best
    with the values, and no window in darkness carries radiation. Reading the labels as hour
    STARTS (windows an hour later) or an hour earlier fits worse, and then hundreds of dark
    windows carry sunlight.
    """
    frame = history["CISO"]
    points = region("CAISO").weather_points
    hour = pl.col("interval_start_utc").dt.hour()
    # The first hour of every step but the copied 09 UTC one (rows starting 06:00-08:00).
    steps = frame.filter((hour % 3 == 0) & (hour != 6))
    starts = steps["interval_start_utc"].dt.epoch("s").to_numpy() // 60  # epoch minutes
    valid = starts + 180  # the step's valid time: its last hour's end
    window = np.where((steps["interval_start_utc"].dt.hour().to_numpy() + 3) % 6 == 0, 360, 180)
    values = steps["shortwave_radiation_w_per_m2"].to_numpy()

    grid = np.arange(starts.min() - 480, starts.max() + 480)  # 1-minute steps, with margins
    toa = np.mean(
        [1361 * np.clip(_cos_zenith(grid, p.latitude, p.longitude), 0, None) for p in points],
        axis=0,
    )
    cumulative = np.concatenate([[0.0], np.cumsum(toa)])

    def fit(shift_min: int) -> tuple[float, int, int]:
        end = valid + shift_min - grid[0]
        sun = (cumulative[end] - cumulative[end - window]) / window
        dark = sun == 0
        return (
            float(np.corrcoef(sun, values)[0, 1]),
            int(dark.sum()),
            int((dark & (values > 1)).sum()),
        )

    hour_ending, hour_starting, earlier = fit(0), fit(60), fit(-60)
    assert len(values) == 7 * 912
    assert hour_ending[0] > 0.99 and hour_ending[1] >= 900 and hour_ending[2] == 0
    assert hour_starting[0] < hour_ending[0] - 0.02 and hour_starting[2] > 200
    assert earlier[0] < hour_ending[0] - 0.02 and earlier[2] > 100
    # Pacific winter: the first step (labelled 2019-01-01 01:00-03:00, the forecast for
    # 2019-01-02 00:00-03:00 UTC) has sun before the sunset (00:48-00:56 UTC at the five
    # points); as 01:00-04:00 it would be wholly dark.
    first = steps.row(0, named=True)
    assert first["interval_start_utc"] == datetime(2019, 1, 2, tzinfo=UTC)
    assert first["shortwave_radiation_w_per_m2"] == pytest.approx(12.892861)


@pytest.mark.parametrize("respondent", gfs.RESPONDENTS)
def test_alignment_rows_labelled_d_are_forecasts_for_d_plus_1(
    history: dict[str, pl.DataFrame], datasets: Path, respondent: str
) -> None:
    """The sun fixes the hour, not the day. The day: the parsed forecasts' daily means against
    the region's EIA-930 generation (the same data set's fuel-mix file) correlate best on their
    own day, as `parse_history` places them (the file's label + 23 h); placed a day earlier (the
    file's label - 1 h, the parser before) they fit far worse, in wind and in sun alike."""
    mix = eia930.parse_history_fuel_mix(
        eia930.history_file(datasets, "fuel_type", respondent).read_bytes()
    )
    generation = mix.group_by(pl.col("interval_start_utc").dt.date().alias("day")).agg(
        pl.col("wind_mw").mean(), pl.col("solar_mw").mean()
    )
    weather = (
        history[respondent]
        .group_by(pl.col("interval_start_utc").dt.date().alias("day"))
        .agg(
            pl.col("wind_speed_m_per_s").mean(),
            pl.col("shortwave_radiation_w_per_m2").mean(),
        )
    )

    def fit(days: int) -> tuple[float, float]:
        """(wind, solar) correlations with the forecasts moved `days` later; solar as each
        day's ratio to its centred 15-day mean (the season removed)."""
        joined = generation.join(
            weather.with_columns(pl.col("day") + timedelta(days=days)), on="day"
        ).sort("day")
        anomaly = [
            (pl.col(c) / pl.col(c).rolling_mean(15, center=True)).alias(f"{c}_anomaly")
            for c in ("solar_mw", "shortwave_radiation_w_per_m2")
        ]
        joined = joined.with_columns(anomaly)
        return (
            joined.select(pl.corr("wind_speed_m_per_s", "wind_mw")).item(),
            joined.select(
                pl.corr("shortwave_radiation_w_per_m2_anomaly", "solar_mw_anomaly")
            ).item(),
        )

    own, day_early, day_late = fit(0), fit(-1), fit(1)
    assert own[0] > 0.6 and own[1] > 0.5, own
    for other in (day_early, day_late):
        assert own[0] > other[0] + 0.1 and own[1] > other[1] + 0.1, (own, other)


# --- GFS history: broken payloads -------------------------------------------------------------


def _body(lines: list[str]) -> bytes:
    return "".join(lines).encode()


def test_a_small_real_excerpt_parses(ciso_head: list[str]) -> None:
    frame = gfs.parse_history(_body(ciso_head))
    assert frame.height == 24
    assert frame["interval_start_utc"][0] == FIRST_START
    assert frame["temperature_k"][0] == pytest.approx(277.4497292)
    # Amounts become rates: the 03 UTC step's 3-hour amount / 3, the 00 UTC step's 6-hour / 6.
    assert frame["precipitation_kg_per_m2_per_h"].to_list()[:4] == [0.0, 0.0, 0.0, 0.0]


def test_datetime_variants_are_the_same_instant(ciso_head: list[str]) -> None:
    header, first = ciso_head[0], ciso_head[1].split(",", 1)[1]
    for written in ("2019-1-1 0:00:00+00:00", "2019-01-01 0:00", "2019-01-01 00:00:00Z"):
        frame = gfs.parse_history(_body([header, f"{written},{first}"]))
        assert frame["interval_start_utc"].to_list() == [FIRST_START]
    shifted = gfs.parse_history(_body([header, f"2018-12-31 19:00:00-05:00,{first}"]))
    assert shifted["interval_start_utc"].to_list() == [FIRST_START]


def test_copy_is_nulled_only_where_it_is_a_copy(ciso_head: list[str]) -> None:
    """Synthetic: 07-09 repeating 06's radiation and precipitation -> null; differing -> kept."""
    header = ciso_head[0]
    day = [
        f"2020-3-3 {h}:00:00+00:00,3.0,280.0,270.0,{50 if h <= 6 else 0},0.3\r\n"
        for h in range(4, 10)
    ]
    kept = gfs.parse_history(_body([header, *day]))
    assert kept["shortwave_radiation_w_per_m2"].null_count() == 0
    copied = [line.replace(",0,0.3", ",50,0.3") for line in day]
    nulled = gfs.parse_history(_body([header, *copied]))
    assert nulled["shortwave_radiation_w_per_m2"].to_list() == [50, 50, 50, None, None, None]
    assert nulled["precipitation_kg_per_m2_per_h"].to_list()[3:] == [None, None, None]
    assert nulled["temperature_k"].null_count() == 0


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda lines: [], "empty body"),
        (lambda lines: [" \r\n"], "empty body"),
        (
            lambda lines: ["<!DOCTYPE html><html><title>502 Bad Gateway</title></html>\n"],
            "HTML page titled '502 Bad Gateway'",
        ),
        (lambda lines: lines[:1], "header only"),
        (
            lambda lines: [
                ",UTC time,carbon_intensity,coal\r\n",
                "0,2019-01-01 00:00:00,250,1\r\n",
            ],
            "first column is 'datetime'",
        ),
        (
            lambda lines: [lines[0].replace("dswrf", "ghi"), *lines[1:]],
            "unknown: ['forecast_avg_ghi_wMean']",
        ),
        (
            lambda lines: [lines[0], lines[1], lines[2].replace("275.6270012", "n/a"), *lines[3:]],
            "line 3 (2019-1-1 1:00:00+00:00): column 'forecast_avg_temperature_wMean' value 'n/a'",
        ),
        (
            lambda lines: [*lines[:5], lines[5].replace("0\r\n", "nan\r\n")],
            "line 6 (2019-1-1 4:00:00+00:00): column 'forecast_avg_precipitation_wMean' value 'nan'",
        ),
        (lambda lines: [*lines[:10], lines[10][:30]], "line 11 '2019-1-1 9:00:00+00:00,2.993"),
        (lambda lines: [*lines[:10], lines[10][:30] + "\r\n"], "line 11 has 2 fields"),
        (lambda lines: [*lines[:4], lines[3]], "line 5: datetime '2019-1-1 2:00:00+00:00' repeats"),
        (
            lambda lines: [lines[0], lines[2], lines[1]],
            "line 3: datetime '2019-1-1 0:00:00+00:00' is out of order",
        ),
        (
            lambda lines: [lines[0], lines[1].replace("0:00:00", "0:30:00")],
            "is not a whole UTC hour",
        ),
        (lambda lines: [lines[0], lines[1].replace("2019-1-1", "2019-2-30")], "no such date"),
        (
            lambda lines: [lines[0], lines[1].replace("2019-1-1 0:00:00+00:00", "yesterday")],
            "line 2: column 'datetime' value 'yesterday'",
        ),
    ],
)
def test_broken_gfs_payloads_raise(ciso_head: list[str], mangle, message: str) -> None:
    with pytest.raises(PayloadError) as raised:
        gfs.parse_history(_body(mangle(list(ciso_head))))
    assert message in str(raised.value)


def test_history_file(datasets: Path, tmp_path: Path) -> None:
    assert gfs.history_file(datasets, "PJM").name == "PJM_weather_forecast.csv"
    with pytest.raises(FileNotFoundError, match="NYIS_weather_forecast.csv"):
        gfs.history_file(datasets, "NYIS")
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        gfs.history_file(tmp_path, "CISO")
    with pytest.raises(ValueError, match="not an EIA-930 respondent"):
        gfs.history_file(datasets, "../CISO")


# --- Open-Meteo: URL --------------------------------------------------------------------------


def _query(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
    return f"{parts.scheme}://{parts.netloc}{parts.path}", query


def test_forecast_url_for_a_past_day_uses_the_historical_forecast_api() -> None:
    points = region("CAISO").weather_points
    url = om.forecast_url(points, date(2024, 5, 1), issued_day=date(2024, 6, 1))
    base, query = _query(url)
    assert base == "https://historical-forecast-api.open-meteo.com/v1/forecast"
    assert query == {
        "latitude": "34.05,37.77,38.58,36.74,32.72",
        "longitude": "-118.24,-122.42,-121.49,-119.79,-117.16",
        "hourly": "temperature_2m,dew_point_2m,wind_speed_10m,shortwave_radiation,precipitation",
        "timezone": "UTC",
        "wind_speed_unit": "ms",
        "start_date": "2024-04-30",
        "end_date": "2024-05-02",
    }
    assert "latitude=34.05,37.77" in url  # commas literal, as Open-Meteo documents its lists


def test_forecast_url_for_a_coming_day_uses_the_forecast_api() -> None:
    points = region("ERCOT").weather_points
    base, query = _query(om.forecast_url(points, date(2024, 5, 2), issued_day=date(2024, 5, 1)))
    assert base == "https://api.open-meteo.com/v1/forecast"
    assert (query["start_date"], query["end_date"]) == ("2024-05-01", "2024-05-03")
    with pytest.raises(ValueError, match="too far ahead"):
        om.forecast_url(points, date(2024, 5, 20), issued_day=date(2024, 5, 1))
    with pytest.raises(ValueError, match="no weather points"):
        om.forecast_url((), date(2024, 5, 2), issued_day=date(2024, 5, 1))


@pytest.mark.parametrize(
    "day", [date(2024, 3, 10), date(2024, 3, 31), date(2024, 6, 21), date(2024, 11, 3)]
)
def test_forecast_url_covers_the_market_day_in_every_registry_zone(day: date) -> None:
    """Labels run from start_date 00:00 to end_date 23:00 UTC, i.e. hour starts from
    start_date - 1 h to end_date 22:00: every region's market day (DST days included) is inside."""
    for code, reg in REGIONS.items():
        _, query = _query(om.forecast_url(reg.weather_points, day, issued_day=day))
        first = datetime.fromisoformat(query["start_date"]).replace(tzinfo=UTC) - timedelta(hours=1)
        last = datetime.fromisoformat(query["end_date"]).replace(tzinfo=UTC) + timedelta(hours=22)
        start, end = market_day_bounds_utc(day, reg.timezone)
        assert first <= start and end - timedelta(hours=1) <= last, code


# --- Open-Meteo: parsing the documented multi-location shape ----------------------------------

POINTS = (
    WeatherPoint("Houston", 29.76, -95.37),
    WeatherPoint("Dallas", 32.78, -96.80),
)
TIMES = ["2024-05-01T00:00", "2024-05-01T01:00", "2024-05-01T02:00"]
TIMES_START = [
    datetime(2024, 4, 30, 23, tzinfo=UTC),
    *(datetime(2024, 5, 1, h, tzinfo=UTC) for h in (0, 1)),
]


def _location(i: int, point: WeatherPoint, temperature: list) -> dict:
    obj = {
        "latitude": round(point.latitude + 0.01, 2),  # the model cell's, not quite the request
        "longitude": round(point.longitude - 0.02, 2),
        "generationtime_ms": 0.4,
        "utc_offset_seconds": 0,
        "timezone": "GMT",
        "timezone_abbreviation": "GMT",
        "elevation": 12.0,
        "hourly_units": {
            "time": "iso8601",
            "temperature_2m": "°C",
            "dew_point_2m": "°C",
            "wind_speed_10m": "m/s",
            "shortwave_radiation": "W/m²",
            "precipitation": "mm",
        },
        "hourly": {
            "time": list(TIMES),
            "temperature_2m": temperature,
            "dew_point_2m": [None if t is None else t - 5 for t in temperature],
            "wind_speed_10m": [3.1, 2.9, 2.5],
            "shortwave_radiation": [120.0, 15.0, 0.0],
            "precipitation": [0.0, 0.2, 1.4],
        },
    }
    if i:
        obj["location_id"] = i
    return obj


def _payload(*objects: dict) -> bytes:
    return json.dumps(list(objects), ensure_ascii=False).encode()


def _good() -> list[dict]:
    return [
        _location(0, POINTS[0], [25.0, 24.0, 23.5]),
        _location(1, POINTS[1], [21.0, 20.0, 19.0]),
    ]


def test_parse_forecast_multi_location_shape() -> None:
    frame = om.parse_forecast(_payload(*_good()), POINTS)
    assert tuple(frame.columns) == om.POINT_COLUMNS
    assert frame.schema["interval_start_utc"] == pl.Datetime("us", "UTC")
    assert frame["point"].to_list() == ["Houston"] * 3 + ["Dallas"] * 3
    # The label is the END of the hour: 00:00 -> the hour starting 23:00 the day before.
    assert frame["interval_start_utc"].to_list() == TIMES_START * 2
    assert frame["temperature_c"].to_list() == [25.0, 24.0, 23.5, 21.0, 20.0, 19.0]
    assert frame["precipitation_mm"].to_list()[:3] == [0.0, 0.2, 1.4]


def test_parse_forecast_one_point_gets_one_object_and_nulls_stay() -> None:
    obj = _location(0, POINTS[0], [25.0, None, 23.5])
    frame = om.parse_forecast(json.dumps(obj).encode(), POINTS[:1])
    assert frame.height == 3 and frame["temperature_c"].null_count() == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty body"),
        (b"<html><body>502</body></html>", "HTML page"),
        (_payload(*_good())[:-40], "not valid JSON"),
        (b'{"error": true, "reason": "Latitude must be in range of -90 to 90"}', "Latitude must"),
        (_payload(_good()[0]), "1 location objects for 2 requested points"),
        (_payload(*reversed(_good())), "responses out of order?"),
        (
            _payload(_good()[0], {**_good()[1], "location_id": 5}),
            "has location_id 5, expected 1",
        ),
        (
            _payload(_good()[0], {**_good()[1], "utc_offset_seconds": -18000}),
            "times are not UTC",
        ),
        (
            _payload(
                _good()[0],
                {
                    **_good()[1],
                    "hourly_units": {**_good()[1]["hourly_units"], "temperature_2m": "°F"},
                },
            ),
            "temperature_2m in '°F', expected '°C'",
        ),
        (
            _payload(
                _good()[0],
                {**_good()[1], "hourly": {**_good()[1]["hourly"], "precipitation": [0.0, 0.1]}},
            ),
            "hourly.precipitation has 2 values for 3 times",
        ),
        (
            _payload(
                _good()[0],
                {**_good()[1], "hourly": {**_good()[1]["hourly"], "wind_speed_10m": [1, "x", 2]}},
            ),
            "hourly.wind_speed_10m[1] (2024-05-01T01:00) is 'x'",
        ),
        (
            _payload(
                _good()[0],
                {
                    **_good()[1],
                    "hourly": {
                        **_good()[1]["hourly"],
                        "time": [TIMES[0], TIMES[2], "2024-05-01T03:00"],
                    },
                },
            ),
            "does not follow",
        ),
    ],
)
def test_broken_open_meteo_payloads_raise(payload: bytes, message: str) -> None:
    with pytest.raises(PayloadError) as raised:
        om.parse_forecast(payload, POINTS)
    assert message in str(raised.value)


# --- Open-Meteo: regional mean in gfs_regional's terms ----------------------------------------


def test_regional_mean_has_gfs_regional_columns_and_units(history: dict[str, pl.DataFrame]) -> None:
    frame = om.parse_forecast(_payload(*_good()), POINTS)
    mean = om.regional_mean(frame)
    assert mean.schema == history["ERCO"].schema == HARMONIZED_SCHEMA
    assert mean.height == 3
    first = mean.row(0, named=True)
    assert first["temperature_k"] == pytest.approx((25.0 + 21.0) / 2 + 273.15)
    assert first["dewpoint_k"] == pytest.approx((20.0 + 16.0) / 2 + 273.15)
    assert mean["precipitation_kg_per_m2_per_h"].to_list() == pytest.approx([0.0, 0.2, 1.4])
    # A point missing an hour makes that hour's mean null, not the other points' mean.
    holes = om.parse_forecast(
        _payload(_good()[0], _location(1, POINTS[1], [21.0, None, 19.0])), POINTS
    )
    assert om.regional_mean(holes)["temperature_k"].is_null().to_list() == [False, True, False]
    # So does a point with no row for an hour (Dallas has only the first hour here).
    dallas_first_hour_only = holes.filter(
        (pl.col("point") == "Houston") | (pl.col("interval_start_utc") == TIMES_START[0])
    )
    wind = om.regional_mean(dallas_first_hour_only)["wind_speed_m_per_s"]
    assert wind.is_null().to_list() == [False, True, True]


def test_the_feed_parses_a_live_response_by_the_points_its_url_asked_for() -> None:
    """`raw/gfs_regional_weather_forecast` live: the Open-Meteo response is read against the
    points of the request's own URL and averaged into the GFS columns; a response for other
    points, or a broken one, is refused."""
    from energy_assets.sources.http_client import FetchedPayload

    (feed,) = gfs.FEEDS
    url = om.forecast_url(POINTS, date(2024, 5, 1), date(2024, 4, 30))

    def live(body: bytes, shown: str = url) -> list[FetchedPayload]:
        return [
            FetchedPayload(
                provider=gfs.PROVIDER,
                url=shown,
                status=200,
                content_type="application/json",
                body=body,
                fetched_at=datetime(2024, 4, 30, 14, tzinfo=UTC),
                sha256="0" * 64,
                transport="live",
            )
        ]

    rows = feed.parse(live(_payload(*_good())), date(2024, 5, 1))
    assert tuple(rows.columns) == gfs.COLUMNS
    assert rows["temperature_k"].to_list() == pytest.approx(
        [23.0 + 273.15, 22.0 + 273.15, 21.25 + 273.15]
    )
    one_point = om.forecast_url(POINTS[:1], date(2024, 5, 1), date(2024, 4, 30))
    with pytest.raises(PayloadError, match="location objects for 1 requested points"):
        feed.parse(live(_payload(*_good()), one_point), date(2024, 5, 1))
    with pytest.raises(PayloadError):
        feed.parse(live(b"<html>Service unavailable</html>"), date(2024, 5, 1))
