"""Open-Meteo hourly weather forecasts at a region's weather points (`Region.weather_points`).

One request serves every point of a region: `latitude` and `longitude` take comma-separated lists
and the API then answers with a JSON LIST holding one object per coordinate, in request order
(a single coordinate gets a single object). Each object is shaped like

    {"latitude": 34.06, "longitude": -118.23, "generationtime_ms": 0.5,
     "utc_offset_seconds": 0, "timezone": "GMT", "timezone_abbreviation": "GMT",
     "elevation": 96.0, "location_id": 1,            # location_id only after the first
     "hourly_units": {"time": "iso8601", "temperature_2m": "°C", "dew_point_2m": "°C",
                      "wind_speed_10m": "m/s", "shortwave_radiation": "W/m²",
                      "precipitation": "mm"},
     "hourly": {"time": ["2024-05-01T00:00", ...], "temperature_2m": [12.3, ...], ...}}

and an error is `{"error": true, "reason": "..."}` (HTTP 400). Sources: the Open-Meteo API
documentation (open-meteo.com/en/docs, .../docs/historical-forecast-api) and the pull requests
that introduced multi-location calls (open-meteo/open-meteo#430: "instead of returning a single
JSON structure, an array of JSON structures is returned") and, where present, `location_id`
(#522).

There are no Open-Meteo recordings in the shared recordings (nothing under
`recordings/` mentions open-meteo), so the tests build a small payload of this documented shape
by hand; `parse_forecast` is strict about it (units, lengths, hourly UTC times, coordinates near
the requested points) so that a real response that differs fails loudly rather than silently.

Time labels: with `timezone=UTC` the `time` strings are UTC wall times without offset. Open-Meteo
gives `temperature_2m`, `dew_point_2m` and `wind_speed_10m` as instantaneous values AT the label,
`shortwave_radiation` as the mean over the PRECEDING hour and `precipitation` as the sum over the
preceding hour. So the label is the END of the hour the row describes, as in
`gfs_regional`, and `interval_start_utc` = label - 1 hour (the instantaneous values then stand at
the end of their hour, again as in `gfs_regional`).

Which endpoint: `forecast_url` uses the live Forecast API (api.open-meteo.com) for a market day
on or after `issued_day`, and the Historical Forecast API
(historical-forecast-api.open-meteo.com, same parameters and response) for a market day before
it. Be careful with the second: it is built by "concatenating the first hours of each model
update", i.e. a stitched series of short-lead forecasts (the first hours of each run), much
closer to what happened than a forecast issued the day before. Using it to train or score day-ahead models overstates their
skill; Open-Meteo's Previous Runs API (fixed lead-day offsets, from 2024) is the one that
reproduces a day-ahead forecast. Coverage: the Historical Forecast API starts in 2021-2022
depending on the model (GFS from 2021-03-23, HRRR from 2018), so it barely overlaps the GFS
history (2019-01 .. 2021-06) in `gfs_regional`.

`regional_mean` turns the per-point frame into the columns and units of
`gfs_regional.parse_history` so both can feed one harmonized weather table. The two regional
means differ in kind: GFS's is CarbonCast's average over the region ("wMean"; its weights are
not recorded in the data set), this one an equal-weight mean over a few city points, so expect
level differences between the two (elevation, coast versus inland, urban heat) on top of the
models' own differences.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from urllib.parse import quote

import polars as pl

from energy_assets.regions import WeatherPoint
from energy_assets.sources.csv_text import decode_text
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.gfs_regional import COLUMNS as HARMONIZED_COLUMNS

PROVIDER = "open_meteo"

HOURLY: tuple[str, ...] = (
    "temperature_2m",
    "dew_point_2m",
    "wind_speed_10m",
    "shortwave_radiation",
    "precipitation",
)

FORECAST_URL = "https://api.open-meteo.com/v1/forecast"
HISTORICAL_FORECAST_URL = "https://historical-forecast-api.open-meteo.com/v1/forecast"

#: Open-Meteo variable -> (unit it must be served in, output column).
VARIABLES: dict[str, tuple[str, str]] = {
    "temperature_2m": ("°C", "temperature_c"),
    "dew_point_2m": ("°C", "dewpoint_c"),
    "wind_speed_10m": ("m/s", "wind_speed_m_per_s"),
    "shortwave_radiation": ("W/m²", "shortwave_radiation_w_per_m2"),
    "precipitation": ("mm", "precipitation_mm"),
}

#: Output columns of `parse_forecast`, in order.
POINT_COLUMNS: tuple[str, ...] = (
    "interval_start_utc",
    "point",
    *(column for _, column in VARIABLES.values()),
)

#: The live Forecast API serves today and the next 15 days.
MAX_LEAD_DAYS = 15
#: How far (degrees) a returned grid cell may lie from the requested point.
MAX_CELL_OFFSET_DEG = 0.5

_KELVIN = 273.15
_WHAT = "Open-Meteo forecast"
_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$")
_HOUR = timedelta(hours=1)


# --- URL --------------------------------------------------------------------------------------


def _coordinate(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def forecast_url(points: Sequence[WeatherPoint], market_day: date, issued_day: date) -> str:
    """URL of one request for the hourly `HOURLY` forecast at all `points`, in UTC.

    `start_date`..`end_date` is `market_day - 1` .. `market_day + 1` (UTC dates): that covers the
    market day's hours in any time zone from UTC-12 to UTC+14 (US zones start the day between
    04:00 and 10:00 UTC and end it the next day; Europe/London in summer starts it at 23:00 UTC
    the day before), and, with labels at hour ends, the day's last hour too. The caller cuts the
    market day out of the result. A market day before `issued_day` goes to the Historical
    Forecast API (see the module docstring for what that series is), any other to the live
    Forecast API, which reaches `MAX_LEAD_DAYS` days ahead.
    """
    if not points:
        raise ValueError("no weather points to ask for")
    start, end = market_day - timedelta(days=1), market_day + timedelta(days=1)
    if market_day < issued_day:
        base = HISTORICAL_FORECAST_URL
    else:
        if (end - issued_day).days > MAX_LEAD_DAYS:
            raise ValueError(
                f"market day {market_day} is too far ahead of {issued_day}: the Forecast API "
                f"reaches {MAX_LEAD_DAYS} days ahead and the request runs to {end}"
            )
        base = FORECAST_URL
    params = {
        "latitude": ",".join(_coordinate(p.latitude) for p in points),
        "longitude": ",".join(_coordinate(p.longitude) for p in points),
        "hourly": ",".join(HOURLY),
        "timezone": "UTC",
        "wind_speed_unit": "ms",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
    }
    return base + "?" + "&".join(f"{k}={quote(v, safe=',')}" for k, v in params.items())


# --- parsing ----------------------------------------------------------------------------------


def parse_forecast(body: bytes, points: Sequence[WeatherPoint]) -> pl.DataFrame:
    """Response for `forecast_url(points, ...)` -> one row per point and hour.

    Columns: `interval_start_utc` (Datetime us UTC, the label minus one hour), `point` (the
    WeatherPoint's name), `temperature_c`, `dewpoint_c` (instantaneous at the hour's end),
    `wind_speed_m_per_s` (10 m, instantaneous at the hour's end), `shortwave_radiation_w_per_m2`
    (mean over the hour), `precipitation_mm` (sum over the hour); Float64, null where the API
    gives null. Rows are in request order of the points, then time. One response object per
    point, in order; anything else is a PayloadError.
    """
    if not points:
        raise ValueError("no weather points")
    data = _load(body)
    if isinstance(data, dict) and data.get("error") is True:
        raise PayloadError(f"{_WHAT}: the API answered an error: {data.get('reason')!r}")
    if isinstance(data, dict) and len(points) == 1:
        data = [data]
    if not isinstance(data, list):
        raise PayloadError(
            f"{_WHAT}: expected a JSON list of {len(points)} location objects, got "
            f"{type(data).__name__}"
        )
    if len(data) != len(points):
        raise PayloadError(
            f"{_WHAT}: {len(data)} location objects for {len(points)} requested points"
        )
    frames = [
        _location(obj, i, point) for i, (obj, point) in enumerate(zip(data, points, strict=True))
    ]
    return pl.concat(frames, how="vertical")


def regional_mean(frame: pl.DataFrame) -> pl.DataFrame:
    """Per-point frame of `parse_forecast` -> the region's hourly mean in `gfs_regional` terms.

    Columns and units are exactly `gfs_regional.COLUMNS`: `interval_start_utc`,
    `wind_speed_m_per_s`, `temperature_k` (= mean degC + 273.15), `dewpoint_k`,
    `shortwave_radiation_w_per_m2`, `precipitation_kg_per_m2_per_h` (mm in the hour = kg/m2 per
    hour). Equal weights over the points. An hour where a point is missing or null gets null for
    that quantity rather than the mean of the others (which would shift the level).
    """
    missing = [c for c in POINT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"not a parse_forecast frame: missing columns {missing}")
    n_points = frame["point"].n_unique()

    def mean(column: str) -> pl.Expr:
        complete = (pl.len() == n_points) & (pl.col(column).null_count() == 0)
        return pl.when(complete).then(pl.col(column).mean()).otherwise(None)

    out = (
        frame.group_by("interval_start_utc")
        .agg(
            mean("wind_speed_m_per_s").alias("wind_speed_m_per_s"),
            (mean("temperature_c") + _KELVIN).alias("temperature_k"),
            (mean("dewpoint_c") + _KELVIN).alias("dewpoint_k"),
            mean("shortwave_radiation_w_per_m2").alias("shortwave_radiation_w_per_m2"),
            mean("precipitation_mm").alias("precipitation_kg_per_m2_per_h"),
        )
        .sort("interval_start_utc")
    )
    return out.select(
        pl.col("interval_start_utc").cast(pl.Datetime("us", "UTC")),
        *(pl.col(c).cast(pl.Float64) for c in HARMONIZED_COLUMNS[1:]),
    )


# --- internals --------------------------------------------------------------------------------


def _load(body: bytes) -> object:
    text = decode_text(body, _WHAT, "JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"{_WHAT}: not valid JSON (truncated?): {exc}") from None


def _location(obj: object, i: int, point: WeatherPoint) -> pl.DataFrame:
    where = f"{_WHAT}: location {i} ({point.name})"
    if not isinstance(obj, dict):
        raise PayloadError(f"{where}: expected an object, got {type(obj).__name__}")
    for key, wanted in (("latitude", point.latitude), ("longitude", point.longitude)):
        got = obj.get(key)
        if not _is_number(got) or abs(got - wanted) > MAX_CELL_OFFSET_DEG:
            raise PayloadError(
                f"{where}: {key} {got!r} is not within {MAX_CELL_OFFSET_DEG} degrees of the "
                f"requested {wanted} (responses out of order?)"
            )
    if "location_id" in obj and obj["location_id"] != i:
        raise PayloadError(f"{where}: has location_id {obj['location_id']!r}, expected {i}")
    if obj.get("utc_offset_seconds") != 0:
        raise PayloadError(
            f"{where}: utc_offset_seconds is {obj.get('utc_offset_seconds')!r}, not 0: times "
            "are not UTC (request timezone=UTC)"
        )
    units = obj.get("hourly_units")
    hourly = obj.get("hourly")
    if not isinstance(units, dict) or not isinstance(hourly, dict):
        raise PayloadError(f"{where}: no 'hourly' and 'hourly_units' objects")
    if units.get("time") != "iso8601":
        raise PayloadError(f"{where}: time unit {units.get('time')!r}, expected 'iso8601'")
    for name, (unit, _) in VARIABLES.items():
        if units.get(name) != unit:
            raise PayloadError(f"{where}: {name} in {units.get(name)!r}, expected {unit!r}")

    times = hourly.get("time")
    if not isinstance(times, list) or not times:
        raise PayloadError(f"{where}: 'hourly.time' is missing or empty")
    starts = [_interval_start(t, where, k) for k, t in enumerate(times)]
    for k in range(1, len(starts)):
        if starts[k] - starts[k - 1] != _HOUR:
            raise PayloadError(
                f"{where}: hourly.time[{k}] {times[k]!r} does not follow {times[k - 1]!r} by "
                "one hour"
            )
    columns: dict[str, pl.Series] = {
        "interval_start_utc": pl.Series(starts, dtype=pl.Datetime("us", "UTC")),
        "point": pl.Series([point.name] * len(starts), dtype=pl.String),
    }
    for name, (_, column) in VARIABLES.items():
        values = hourly.get(name)
        if not isinstance(values, list) or len(values) != len(times):
            got = len(values) if isinstance(values, list) else type(values).__name__
            raise PayloadError(f"{where}: hourly.{name} has {got} values for {len(times)} times")
        for k, v in enumerate(values):
            if v is not None and not _is_number(v):
                raise PayloadError(f"{where}: hourly.{name}[{k}] ({times[k]}) is {v!r}")
        columns[column] = pl.Series(values, dtype=pl.Float64)
    return pl.DataFrame(columns)


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _interval_start(text: object, where: str, k: int) -> datetime:
    m = _TIME.match(text) if isinstance(text, str) else None
    if not m:
        raise PayloadError(f"{where}: hourly.time[{k}] {text!r} is not 'YYYY-MM-DDTHH:MM'")
    try:
        label = datetime.fromisoformat(text + "+00:00")
    except ValueError:
        raise PayloadError(f"{where}: hourly.time[{k}] {text!r} is not a time") from None
    if label.minute:
        raise PayloadError(f"{where}: hourly.time[{k}] {text!r} is not a whole hour")
    return label - _HOUR
