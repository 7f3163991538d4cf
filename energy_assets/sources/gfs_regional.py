"""GFS regional weather FORECASTS (offline history): `carbon_eia930/<R>_weather_forecast.csv`.

One CSV per EIA-930 respondent R (CISO, ERCO, ISNE, MISO, PJM), from the CarbonCast / DACF /
EnsembleCI data set (see `SOURCES.md`, "Multi-region history"): NOAA GFS forecasts averaged over
the region ("wMean"), one row per hour. The issue time of the forecasts is not recorded; treat
them as day-ahead forecasts, never as observed weather.

    datetime,forecast_avg_wind_speed_wMean,forecast_avg_temperature_wMean,
    forecast_avg_dewpoint_wMean,forecast_avg_dswrf_wMean,forecast_avg_precipitation_wMean

The graph's feed (`FEEDS`, the raw asset `raw/gfs_regional_weather_forecast`): offline, the
region's history file (archived verbatim, one request serving every day); live, the Open-Meteo
forecast at the region's weather points (`energy_assets/sources/open_meteo.py`, one request per
market day, averaged over the points into the same columns and units). Either way the rows are
day-ahead FORECASTS of the hour, not observations.

`parse_history` is a pure `bytes -> polars.DataFrame` parser that raises `PayloadError` for
anything that is not a normal file (empty, HTML, another header, text in a numeric column, a
repeated or out-of-order hour, a body cut mid-line). Output, one row per hour, in GFS units with
the unit in the name:

- `interval_start_utc` (Datetime us UTC): the START of the hour the row's forecast is valid
  for, which is the file's `datetime` plus 23 hours: the file labels the END of the hour, and
  one day early (the rows labelled day D hold the forecast for day D+1; evidence for both
  below).
- `wind_speed_m_per_s`, `temperature_k`, `dewpoint_k`: instantaneous GFS values (10 m wind
  speed, 2 m temperature and dew point, kelvin as published).
- `shortwave_radiation_w_per_m2`: GFS downward shortwave flux at the surface (DSWRF), the mean
  over the GFS averaging window, W/m2.
- `precipitation_kg_per_m2_per_h`: GFS total precipitation (APCP). The file holds the AMOUNT
  accumulated over the GFS window (kg/m2, i.e. mm, over 3 or 6 hours, see below), not a rate and
  not an hourly amount; it is divided here by the window's length, so the column is the mean
  rate over the window in kg/m2 per hour (= mm/h). Summing the file's values over hours would
  count each window 3 or 6 times over.

What the rows are: 3-hourly GFS steps repeated hourly
-------------------------------------------------------

Each UTC day holds nine GFS steps, valid at 00, 03, ..., 24 UTC. The row labelled 00:00 is the
step valid at 00:00; the rows labelled 01:00, 02:00 and 03:00 all carry the step valid at 03:00,
and so on: rows `k-2, k-1, k` carry the step valid at `k` (k = 3, 6, ..., 21), and the rows
labelled 22:00 and 23:00 carry the step valid at 24:00 from the same run. In all five files the
values change only at rows labelled 00, 01, 04, 07, ..., 22 (never inside a block). From
2019-01-05 on, the row labelled 00:00 comes from another forecast run than the 22:00/23:00 rows
before it, though both are valid at 00:00 UTC (it differs at 908 of 911 day boundaries, by a
median 0.3-0.4 K in temperature and 0.15-0.45 m/s in wind); on 2019-01-02..04 it repeats them.

Temperature, dew point and wind are the GFS values at the valid instant. Radiation and
precipitation follow GFS's averaging/accumulation windows, which restart every 6 hours: the steps
valid at 03, 15 and 21 UTC (and 09, see the fault below) cover the 3 hours before them, the steps
valid at 06, 12, 18 and 24 (00) UTC the 6 hours before them. The files show it:

- precipitation at every 6-hour step is >= the 3-hour step before it (the 6-hour amount
  contains the 3-hour one) on 100 % of the 2,736 comparable steps per region, and the 6-hour
  steps sum to plausible annual totals (CISO 363, ERCO 742, MISO 962, ISNE 1230, PJM 1420 mm a
  year);
- DSWRF at 06 UTC is half of the 03 UTC value when the sun has set in between (CISO: median
  ratio 0.500, quartiles 0.499-0.501; 2019-01-01: 6.19 against 12.89 W/m2), i.e. the 6-hour
  mean of a 3-hour mean and three dark hours.

So the row for the hour starting at `interval_start_utc` carries the GFS window that contains it
(3 or 6 hours ending at the block's last label). The parser keeps those window means as they are
(it does not de-average the 6-hour windows) and converts only the precipitation amount to a rate
(window amount / 3 or / 6).

Alignment: `datetime` labels the END of the hour (like EIA-930's hour-ending times)
----------------------------------------------------------------------------------

Evidence from DSWRF against the sun (NOAA solar position at the region's weather points in the
registry, top-of-atmosphere irradiance averaged over each step's GFS window; all 912 days, 7
steps a day, the copied 09 UTC step left out; `test_weather_sources.py` reruns CISO). For the
step valid at k (rows labelled k-2..k), windows ending at k mean each row is the hour ENDING at
its label:

  CISO (Pacific), 6,384 steps       corr. with sun    dark windows carrying > 1 W/m2
  windows end at k (hour ending)        0.991                 0 of   912
  windows end at k+1 (hour starting)    0.959               239 of   959
  windows end at k-1                    0.947               158 of 1,291

In Pacific winter the rows labelled 01:00-03:00 carry sun (2019-01-01: 12.9 W/m2), which only
the hours 00:00-03:00 UTC have (geometric sunset 00:48-00:56 UTC at the five CAISO points); read
as hours starting at their labels they would cover 01:00-04:00 UTC, dark. The other regions
agree (hour ending vs hour starting: ERCO 0.978 vs 0.903, dark windows with sun 0 vs 577; ISNE
0.933 vs 0.899, 0 vs 88; PJM 0.961 vs 0.898, 0 vs 183), including the files written without a
UTC offset. MISO's four registry points all lie east of 93.3 W while MISO reaches about 104 W,
so the region's sun sets later than the points say: with them, windows ending at k-1 fit a
little better (0.980, 25 dark windows with sun, vs 0.975, 130); adding Fargo, Bismarck and
Little Rock, windows ending at k fit best (0.984, 6; k-1: 0.969, 25; k+1: 0.905, 324).

Alignment: the rows labelled day D are the forecast valid on day D+1
-------------------------------------------------------------------

The sun fixes the hour of the day, not the day: a window a whole day off fits the sun as well.
The day comes from the weather the forecasts describe. The files' daily means correlate with the
same data set's EIA-930 generation (`<R>_direct_emissions.csv`, whose days agree with CAISO's
own Outlook: CISO wind 2019-03-15..17 averaged 879, 693 and 316 MW there against 878, 689 and
312 MW in the Outlook) far better one day later than on their own day (all 912 days; daily mean
wind speed against daily mean wind generation; daily radiation against daily solar generation,
each over its own 15-day centred mean):

  region   wind, same day   wind, the next day   solar, same day   solar, the next day
  CISO         0.48              0.63                0.14               0.54
  ERCO         0.42              0.67                0.37               0.67
  ISNE         0.25              0.72                0.08               0.68
  MISO         0.42              0.67                0.16               0.66
  PJM          0.47              0.64               -0.07               0.60

(two days later: 0.25-0.50 and -0.05-0.44; one day earlier: 0.12-0.27 and -0.27 to -0.04).
So `interval_start_utc` is the label plus 23 hours (plus one day, minus the hour-ending hour):
the first hour is 2019-01-01 23:00 UTC, the last 2021-07-01 22:00, and the first whole UTC
day is 2019-01-02. Until this was found, the rows were placed a day early and the
carbon models learned from the forecast of the day after the one they forecast
(`test_weather_sources.test_alignment_rows_labelled_d_are_forecasts_for_d_plus_1` reruns the
table on the real files). The issue time stays unrecorded: the day's block of rows is one GFS
run (see above), taken as known at our issue time, the assumption the README states.

What the five files show (2019-01-01 00:00 .. 2021-06-30 23:00 UTC labels)
---------------------------------------------------------------------------

- 21,888 rows each, hourly, no gaps, no repeated hours, no blank or non-numeric cells; CRLF line
  endings, the last line ends with one.
- `datetime` is written three ways: CISO `2019-1-1 0:00:00+00:00` (month and day not padded),
  PJM `2019-01-01 0:00:00+00:00`, ERCO/ISNE/MISO `2019-01-01 0:00` (no seconds, no offset; UTC,
  see above). All are accepted; an explicit offset is applied; minutes and seconds must be zero.
- Ranges are physical: temperature 257.3-310.8 K (ISNE -15.8 C .. ERCO 37.7 C), dew point never
  above temperature, wind 1.3-13.3 m/s, DSWRF 0-1023 W/m2 (CISO 2020-06-07, the 3-hour mean
  around solar noon), precipitation 0-14.2 kg/m2 per window (ISNE), nothing negative.
- FAULT, all five regions: from 2019-01-04 on (909 of 912 days) the step valid at 09 UTC carries
  exactly the DSWRF and precipitation of the step valid at 06 UTC (the 6-hour window 00-06 UTC),
  while its wind, temperature and dew point are its own. At night in the US this shows as
  radiation in the dark: CISO 22:00-01:00 PST up to 152 W/m2 (median 53), ERCO up to 31, MISO
  up to 33. Where a day's rows labelled 07:00-09:00 repeat both DSWRF and precipitation of its
  06:00 row, the parser sets those two values to null (2,727 rows per file; never filled).
  On 2019-01-01..03 the step is its own and is kept.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl

from energy_assets.regions import Region, WeatherPoint
from energy_assets.schemas import raw as raw_schemas
from energy_assets.sources.csv_text import csv_rows, decode_csv, plain_number
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource, history_payload, hours_in_market_day
from energy_assets.sources.http_client import FetchedPayload

PROVIDER = "gfs_regional"

#: EIA-930 respondents the data set has a weather file for.
RESPONDENTS: tuple[str, ...] = ("CISO", "ERCO", "ISNE", "MISO", "PJM")

#: Output columns, in order (also the columns of `open_meteo.regional_mean`).
COLUMNS: tuple[str, ...] = (
    "interval_start_utc",
    "wind_speed_m_per_s",
    "temperature_k",
    "dewpoint_k",
    "shortwave_radiation_w_per_m2",
    "precipitation_kg_per_m2_per_h",
)

#: File column (lower-cased) -> output column.
SOURCE_COLUMNS: dict[str, str] = {
    "forecast_avg_wind_speed_wmean": "wind_speed_m_per_s",
    "forecast_avg_temperature_wmean": "temperature_k",
    "forecast_avg_dewpoint_wmean": "dewpoint_k",
    "forecast_avg_dswrf_wmean": "shortwave_radiation_w_per_m2",
    "forecast_avg_precipitation_wmean": "precipitation_kg_per_m2_per_h",
}

_TIME_HEADER = "datetime"
_WHAT = "GFS regional weather file"
_DATETIME = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_HOUR_US = 3_600_000_000
# a label -> the start of the hour its forecast is valid for: one day later, one hour earlier
# (the module docstring's two alignment sections)
_LABEL_TO_START_US = 24 * _HOUR_US - _HOUR_US
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_RESPONDENT = re.compile(r"^[A-Z0-9]{2,8}$")


def history_file(datasets_dir: Path, respondent: str) -> Path:
    """`<datasets_dir>/carbon_eia930/<respondent>_weather_forecast.csv`, which must exist.

    Raises FileNotFoundError naming the path (the data set has `RESPONDENTS`), ValueError for a
    respondent that is not an EIA-930 code.
    """
    if not _RESPONDENT.match(respondent):
        raise ValueError(f"not an EIA-930 respondent code: {respondent!r}")
    path = Path(datasets_dir) / "carbon_eia930" / f"{respondent}_weather_forecast.csv"
    if not path.is_file():
        raise FileNotFoundError(
            f"no GFS regional weather file for {respondent} at {path} "
            f"(the data set has {', '.join(RESPONDENTS)})"
        )
    return path


def parse_history(body: bytes) -> pl.DataFrame:
    """A `<R>_weather_forecast.csv` file -> one row per hour, `COLUMNS` (see the module docstring).

    `interval_start_utc` is the file's `datetime` plus 23 hours (hour-ending labels, one day
    early); precipitation is the GFS window amount divided by the window's hours; the copied
    09 UTC radiation and precipitation are null.
    """
    header, rows, lines = csv_rows(decode_csv(body, _WHAT), _WHAT)
    mapping = _map_header(header)
    if not rows:
        raise PayloadError(f"{_WHAT}: header only, no data rows")

    labels: list[int] = []  # the file's datetime, UTC epoch microseconds
    for row, line in zip(rows, lines, strict=True):
        stamp = _label_us(row[0].strip(), line)
        if labels and stamp <= labels[-1]:
            how = "repeats an earlier hour" if stamp in labels else "is out of order"
            raise PayloadError(f"{_WHAT}: line {line}: datetime {row[0].strip()!r} {how}")
        labels.append(stamp)

    columns: dict[str, list[float | None]] = {}
    for i, name in mapping.items():
        values: list[float | None] = []
        for row, line in zip(rows, lines, strict=True):
            cell = row[i].strip()
            if not cell:
                values.append(None)
            elif (value := plain_number(cell)) is not None:
                values.append(value)
            else:
                raise PayloadError(
                    f"{_WHAT}: line {line} ({row[0].strip()}): column {header[i].strip()!r} "
                    f"value {cell!r} is not a number"
                )
        columns[name] = values

    _null_copied_09utc(labels, columns)
    hours = [(stamp // _HOUR_US) % 24 for stamp in labels]
    columns["precipitation_kg_per_m2_per_h"] = [
        None if v is None else v / _window_hours(h)
        for v, h in zip(columns["precipitation_kg_per_m2_per_h"], hours, strict=True)
    ]
    starts = pl.Series([s + _LABEL_TO_START_US for s in labels], dtype=pl.Int64)
    return pl.DataFrame(
        {
            "interval_start_utc": starts.cast(pl.Datetime("us", "UTC")),
            **{name: pl.Series(columns[name], dtype=pl.Float64) for name in COLUMNS[1:]},
        }
    )


# --- internals --------------------------------------------------------------------------------


def _window_hours(label_hour: int) -> int:
    """Length of the GFS averaging/accumulation window of the step a row labelled `label_hour`
    carries: the step is valid at the next multiple of 3 (00 -> 24); 3 h at 03/09/15/21 UTC,
    6 h at 06/12/18/24 UTC."""
    valid = -(-label_hour // 3) * 3 or 24
    return 3 if valid % 6 == 3 else 6


def _null_copied_09utc(labels: list[int], columns: dict[str, list[float | None]]) -> None:
    """Null DSWRF and precipitation on rows labelled 07-09 UTC that repeat the 06 UTC row's."""
    index = {stamp: k for k, stamp in enumerate(labels)}
    sw = columns["shortwave_radiation_w_per_m2"]
    pr = columns["precipitation_kg_per_m2_per_h"]
    for k, stamp in enumerate(labels):
        hour = (stamp // _HOUR_US) % 24
        if hour not in (7, 8, 9):
            continue
        six = index.get(stamp - (hour - 6) * _HOUR_US)
        if six is None or sw[k] is None or pr[k] is None:
            continue
        if sw[k] == sw[six] and pr[k] == pr[six]:
            sw[k] = None
            pr[k] = None


def _map_header(header: list[str]) -> dict[int, str]:
    """Column index -> output column, for every column but `datetime` (index 0)."""
    normalized = [" ".join(h.replace("\ufeff", "").split()).lower() for h in header]
    expected = [_TIME_HEADER, *SOURCE_COLUMNS]
    if not normalized or normalized[0] != _TIME_HEADER:
        raise PayloadError(
            f"{_WHAT}: expected a CSV whose first column is 'datetime', got header "
            f"{','.join(header)[:160]!r}"
        )
    unknown = [header[i].strip() for i, h in enumerate(normalized[1:], 1) if h not in expected]
    missing = [h for h in SOURCE_COLUMNS if h not in normalized]
    if unknown or missing or len(normalized) != len(set(normalized)):
        raise PayloadError(
            f"{_WHAT}: header {','.join(header)[:200]!r} is not the GFS weather header "
            f"(unknown: {unknown}, missing: {missing}); expected {expected}"
        )
    return {i: SOURCE_COLUMNS[h] for i, h in enumerate(normalized) if i > 0}


def _label_us(cell: str, line: int) -> int:
    m = _DATETIME.match(cell)
    if not m:
        raise PayloadError(
            f"{_WHAT}: line {line}: column 'datetime' value {cell!r} is not a date and hour "
            "like 2019-1-1 0:00:00+00:00"
        )
    y, mo, d, h, mi, s, tz = m.groups()
    try:
        ordinal = date(int(y), int(mo), int(d)).toordinal()
    except ValueError:
        raise PayloadError(f"{_WHAT}: line {line}: no such date in {cell!r}") from None
    if int(h) > 23 or int(mi) != 0 or int(s or 0) != 0:
        raise PayloadError(f"{_WHAT}: line {line}: datetime {cell!r} is not a whole UTC hour")
    offset_min = 0
    if tz and tz != "Z":
        digits = tz[1:].replace(":", "")
        offset_min = (int(digits[:2]) * 60 + int(digits[2:])) * (1 if tz[0] == "+" else -1)
    if offset_min % 60:
        raise PayloadError(f"{_WHAT}: line {line}: datetime {cell!r} is not a whole UTC hour")
    return ((ordinal - _EPOCH_ORDINAL) * 24 + int(h)) * _HOUR_US - offset_min * 60_000_000


# --- the graph's feed -------------------------------------------------------------------------

#: The first market day of the GFS history files. Their forecasts start at 2019-01-01 23:00 UTC
#: (the first label, 2019-01-01 00:00, is the next day's forecast), so that day has only its
#: last hours and a completeness WARN; the day is kept so that the feed's partitions start with
#: the fuel mix's.
FIRST_DATE = "2019-01-01"


def _request_key(region: Region, day: date) -> str:
    # one request per market day (live: the Open-Meteo window around the day; offline: the
    # region's file, parsed once per process, `_parsed_history`)
    return f"{region.eia_respondent()}/{day.isoformat()}"


def _fetch(source: FeedSource, region: Region, day: date) -> list[FetchedPayload]:
    if source.offline:
        path = history_file(source.datasets_dir, region.eia_respondent())
        return [history_payload(PROVIDER, path, source.datasets_dir)]
    from energy_assets.sources import open_meteo  # it imports this module's COLUMNS

    url = open_meteo.forecast_url(region.weather_points, day, datetime.now(UTC).date())
    return [source.client.get(PROVIDER, url)]


def _points_of(url: str) -> list[WeatherPoint]:
    """The weather points an Open-Meteo URL asked for, in request order (its `latitude` and
    `longitude` lists), named by position."""
    query = parse_qs(urlsplit(url).query)
    try:
        lats = [float(v) for v in query["latitude"][0].split(",")]
        lons = [float(v) for v in query["longitude"][0].split(",")]
    except (KeyError, ValueError):
        raise PayloadError(f"{_WHAT}: no latitude/longitude list in {url[:160]!r}") from None
    if len(lats) != len(lons):
        raise PayloadError(f"{_WHAT}: {len(lats)} latitudes for {len(lons)} longitudes in the URL")
    return [
        WeatherPoint(f"point {i}", lat, lon)
        for i, (lat, lon) in enumerate(zip(lats, lons, strict=False))
    ]


@functools.lru_cache(maxsize=8)
def _parsed_history(sha256: str, body: bytes) -> pl.DataFrame:
    """`parse_history` once per file content (every market day of a backfill reads the same
    file); polars frames are immutable, so sharing the result is safe."""
    return parse_history(body)


def _parse(payloads: Sequence[FetchedPayload], day: date) -> pl.DataFrame:
    payload = payloads[0]
    if payload.transport == "history":
        return _parsed_history(payload.sha256, payload.body)
    from energy_assets.sources import open_meteo

    return open_meteo.regional_mean(
        open_meteo.parse_forecast(payload.body, _points_of(payload.url))
    )


FEEDS: tuple[Feed, ...] = (
    Feed(
        provider=PROVIDER,
        name="weather_forecast",
        description="Day-ahead weather FORECASTS averaged over the region, hourly UTC interval"
        " starts: 10 m wind speed (m/s), 2 m temperature and dew point (K), downward shortwave"
        " radiation (W/m2), precipitation rate (kg/m2 per hour). Offline: the GFS regional"
        " forecasts of the EIA-930 carbon data set (2019-01..2021-06); live: Open-Meteo at the"
        " region's weather points. Never observed weather.",
        schema=raw_schemas.WeatherForecast,
        first_date=FIRST_DATE,
        request_key=_request_key,
        fetch=_fetch,
        parse=_parse,
        expected_rows=hours_in_market_day,
        completeness_columns="^temperature_k$",
    ),
)
