"""The GB Carbon Intensity API (NESO with Environmental Defense Fund Europe, University of
Oxford and WWF; https://api.carbonintensity.org.uk), pure parsers and the graph's feeds.

Three feeds, half-hourly, UTC interval starts (the API's `from`; `to` is 30 minutes later):

- `national`: `GET /intensity/{from}/{to}`: the national `forecast` and `actual` intensity
  (gCO2/kWh) and its `index` band. Offline: `datasets/gb_carbon_intensity/
  national_intensity_<Y>.csv` (2023: the same values flattened to `from,to,forecast,actual,
  index`), one file for every day of its year.
- `regional`: `GET /regional/intensity/{from}/{to}`: the forecast intensity and generation mix
  of the 14 DNO regions (regionid 1-14) and of England, Scotland and Wales (15-17), one row per
  region and half-hour. Live only.
- `generation_mix`: `GET /generation/{from}/{to}`: the national generation mix, percent by fuel
  (biomass, coal, imports, gas, nuclear, other, hydro, solar, wind). Live only.

The recordings in `recordings/uk_carbon_intensity/` (`/intensity/{t}/fw48h`, forecast only; and
`/intensity/{t}/pt24h`, forecast and actual) replay through `parse_intensity`; the replay
transport finds them by their URL (`sources/replay.py`, route `uk_carbon_intensity`). No
recording exists of the regional and generation-mix endpoints: their tests use the smallest
response in the documented shape (carbon-intensity.github.io/api-definitions), written there
and labelled as such.

What the values are (the API's method, which differs from the US factor tables of
`harmonize/carbon.py`): direct CO2 of generation (operational, no life-cycle stages) per kWh
of GB demand, with the API's own factors (`/intensity/factors`, gCO2/kWh: coal 937, oil 935, gas open cycle 651,
gas combined cycle 394, other 300, biomass 120, nuclear, hydro, wind, solar and pumped storage
0) and imports counted at factors per interconnected country (e.g. French imports 53, Dutch 474,
Irish 458), over transmission generation plus the API's estimate of embedded wind and solar.
The US direct tables (coal 760, gas 370, oil 406, other 575) are production-based: imports are
not counted, only in-region generation. `actual` is the API's estimate from metered
transmission generation after the half-hour; `forecast` is the value the API stored for the
half-hour, its latest forecast before the period (a lead of minutes to hours), NOT a day-ahead
forecast as issued: a day-ahead model compared with it is compared with a shorter-lead forecast.

What the data show:

- the 2023 file: 17,430 half-hours from 2022-12-31 23:30 to 2023-12-31 23:30 UTC, in order,
  each 30 minutes long; one gap of 91 half-hours, from 2023-10-20 22:00 to 2023-10-22 19:00
  UTC (the market day 2023-10-21 has none, 10-20 has 46 of 48, 10-22 has 7); `actual` blank in 5
  half-hours (2023-01-26 13:30-15:30 UTC, `forecast` present) and 0 in 5 more (2023-01-31
  01:00, 2023-06-07 09:30-11:00 UTC, beside forecasts of 89-185 and the band "very low": no GB
  half-hour is carbon-free, so these are faults; kept here, nulled and counted by the
  harmonized table); the clock-change days have 46
  (2023-03-26) and 50 (2023-10-29) half-hours; forecast 23..346, actual 0..309 gCO2/kWh.
- the recordings: `fw48h` rows have no `actual` key (forecast only); `pt24h` rows have both,
  with the last half-hour's `actual` null (not yet measured when fetched).
- what the file's columns are, against those responses (`test_gb_sources.py`): its `forecast`
  equals the forecast the API served a day later (`pt24h`) in all 96 half-hours, i.e. the
  forecast the API keeps for the period, while the forecast issued 48 h ahead (`fw48h`) is
  20.2 g/kWh away on average; its `actual` is a later revision, 1.6 and 2.4 g/kWh (mean) from
  the actual served a day after the period.

Parsers raise `PayloadError` for anything abnormal: an empty body, an HTML page, a body that is
not JSON (a truncated download), an `error` object, a half-hour that is not 30 minutes, a
repeated half-hour, a value that is not a number, an unknown fuel.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import raw as raw_schemas
from energy_assets.sources.csv_text import csv_rows, decode_csv, plain_number
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource, history_payload
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.timeutil import market_day_bounds_utc

PROVIDER = "uk_carbon_intensity"
API_ROOT = "https://api.carbonintensity.org.uk"
HISTORY_FOLDER = "gb_carbon_intensity"
#: The first market day of the offline history (the live API reaches further back; widen
#: when the earlier days have been checked).
FIRST_DATE = "2023-01-01"
FUELS: tuple[str, ...] = (
    "biomass",
    "coal",
    "imports",
    "gas",
    "nuclear",
    "other",
    "hydro",
    "solar",
    "wind",
)
FUEL_COLUMNS: tuple[str, ...] = tuple(f"{f}_pct" for f in FUELS)
NATIONAL_COLUMNS = (
    "interval_start_utc",
    "forecast_gco2_per_kwh",
    "actual_gco2_per_kwh",
    "intensity_index",
)
REGIONAL_COLUMNS = (
    "interval_start_utc",
    "dno_region_id",
    "dno_region",
    "region_name",
    "forecast_gco2_per_kwh",
    "intensity_index",
    *FUEL_COLUMNS,
)
MIX_COLUMNS = ("interval_start_utc", *FUEL_COLUMNS)
INDEX_BANDS = frozenset({"very low", "low", "moderate", "high", "very high"})

_HALF_HOUR = dt.timedelta(minutes=30)
_UTC = pl.Datetime("us", "UTC")
_STAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?\s*(Z|\+00:?00)?$")


def api_stamp(instant: dt.datetime) -> str:
    """The API's ISO 8601 form, `2023-03-14T12:00Z` (UTC)."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def day_window(region: Region, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC window of the local market day (what a day's request asks for)."""
    return market_day_bounds_utc(day, region.timezone)


def intensity_url(start: dt.datetime, end: dt.datetime) -> str:
    return f"{API_ROOT}/intensity/{api_stamp(start)}/{api_stamp(end)}"


def regional_url(start: dt.datetime, end: dt.datetime) -> str:
    return f"{API_ROOT}/regional/intensity/{api_stamp(start)}/{api_stamp(end)}"


def generation_url(start: dt.datetime, end: dt.datetime) -> str:
    return f"{API_ROOT}/generation/{api_stamp(start)}/{api_stamp(end)}"


def history_file(datasets_dir: Path, year: int) -> Path:
    path = Path(datasets_dir) / HISTORY_FOLDER / f"national_intensity_{year}.csv"
    if not path.is_file():
        there = sorted(p.stem.rsplit("_", 1)[-1] for p in path.parent.glob("national_*.csv"))
        raise FileNotFoundError(
            f"no GB national carbon intensity file for {year} at {path} (offline history:"
            f" {', '.join(there) or 'none'}; live, the Carbon Intensity API serves it)"
        )
    return path


# --- parsing --------------------------------------------------------------------------------


def _instant(value: Any, what: str, where: str) -> dt.datetime:
    m = _STAMP.match(str(value).strip()) if isinstance(value, str) else None
    if m is None:
        raise PayloadError(f"{what}: {where}: {value!r} is not a UTC time like 2023-03-14T12:00Z")
    y, mo, d, h, mi, s, _ = m.groups()
    try:
        return dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), tzinfo=dt.UTC)
    except ValueError:
        raise PayloadError(f"{what}: {where}: no such time {value!r}") from None


def _interval(record: dict, what: str, where: str) -> dt.datetime:
    start = _instant(record.get("from"), what, f"{where} 'from'")
    end = _instant(record.get("to"), what, f"{where} 'to'")
    if end - start != _HALF_HOUR:
        raise PayloadError(f"{what}: {where}: {start:%Y-%m-%dT%H:%MZ}..{end:%H:%MZ} is not 30 min")
    return start


def _value(value: Any, what: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise PayloadError(f"{what}: {where}: {value!r} is not a number")
    if isinstance(value, int | float):
        if value - value != 0 or value < 0:
            raise PayloadError(f"{what}: {where}: {value!r} is not a non-negative number")
        return float(value)
    if isinstance(value, str):
        if not value.strip():
            return None
        number = plain_number(value.strip())
        if number is not None and number >= 0:
            return number
    raise PayloadError(f"{what}: {where}: {value!r} is not a number")


def _index(value: Any, what: str, where: str) -> str | None:
    if value is None or value == "":
        return None
    if value not in INDEX_BANDS:
        raise PayloadError(f"{what}: {where}: index {value!r} is not one of {sorted(INDEX_BANDS)}")
    return value


def _load_json(body: bytes, what: str) -> Any:
    if not body or not body.strip():
        raise PayloadError(f"{what}: empty body")
    if body.lstrip()[:1] == b"<":
        title = re.search(rb"<title[^>]*>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
        hint = f" titled {title.group(1).decode(errors='replace').strip()!r}" if title else ""
        raise PayloadError(f"{what}: got an HTML page{hint} instead of JSON (an error page?)")
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PayloadError(f"{what}: not JSON ({error}); a truncated download?") from None
    if isinstance(doc, dict) and "error" in doc:
        raise PayloadError(
            f"{what}: the API answered with an error: {json.dumps(doc['error'])[:200]}"
        )
    if not isinstance(doc, dict) or "data" not in doc:
        raise PayloadError(f"{what}: no 'data' in the response: {str(doc)[:120]!r}")
    data = doc["data"]
    return [data] if isinstance(data, dict) else data


def _frame(
    rows: dict[str, list], columns: Sequence[str], key: Sequence[str], what: str
) -> pl.DataFrame:
    schema = {
        c: _UTC
        if c == "interval_start_utc"
        else pl.Int64
        if c == "dno_region_id"
        else pl.String
        if c in ("intensity_index", "dno_region", "region_name")
        else pl.Float64
        for c in columns
    }
    frame = pl.DataFrame(rows, schema=schema)
    repeated = frame.filter(frame.select(key).is_duplicated())
    if repeated.height:
        first = repeated.row(0, named=True)
        raise PayloadError(
            f"{what}: the half-hour {first['interval_start_utc']:%Y-%m-%dT%H:%MZ} repeats"
        )
    return frame.sort(list(key))


def parse_intensity(body: bytes) -> pl.DataFrame:
    """`/intensity/...` JSON -> `NATIONAL_COLUMNS` (an absent `actual` is null)."""
    what = "GB Carbon Intensity national intensity"
    data = _load_json(body, what)
    if not isinstance(data, list):
        raise PayloadError(f"{what}: 'data' is not a list")
    rows: dict[str, list] = {c: [] for c in NATIONAL_COLUMNS}
    for i, record in enumerate(data):
        where = f"data[{i}]"
        if not isinstance(record, dict) or not isinstance(record.get("intensity"), dict):
            raise PayloadError(f"{what}: {where} has no 'intensity' object")
        intensity = record["intensity"]
        rows["interval_start_utc"].append(_interval(record, what, where))
        rows["forecast_gco2_per_kwh"].append(
            _value(intensity.get("forecast"), what, f"{where} forecast")
        )
        rows["actual_gco2_per_kwh"].append(_value(intensity.get("actual"), what, f"{where} actual"))
        rows["intensity_index"].append(_index(intensity.get("index"), what, where))
    return _frame(rows, NATIONAL_COLUMNS, ("interval_start_utc",), what)


def parse_history(body: bytes) -> pl.DataFrame:
    """A `national_intensity_<Y>.csv` file (`from,to,forecast,actual,index`) -> `NATIONAL_COLUMNS`."""
    what = "GB Carbon Intensity national history file"
    header, records, lines = csv_rows(decode_csv(body, what), what)
    names = [h.strip().lower() for h in header]
    if names != ["from", "to", "forecast", "actual", "index"]:
        raise PayloadError(
            f"{what}: header {','.join(header)[:120]!r} is not from,to,forecast,actual,index"
        )
    if not records:
        raise PayloadError(f"{what}: header only, no data rows")
    rows: dict[str, list] = {c: [] for c in NATIONAL_COLUMNS}
    for record, line in zip(records, lines, strict=True):
        where = f"line {line}"
        rows["interval_start_utc"].append(
            _interval({"from": record[0], "to": record[1]}, what, where)
        )
        rows["forecast_gco2_per_kwh"].append(_value(record[2], what, f"{where} forecast"))
        rows["actual_gco2_per_kwh"].append(_value(record[3], what, f"{where} actual"))
        rows["intensity_index"].append(_index(record[4].strip(), what, where))
    return _frame(rows, NATIONAL_COLUMNS, ("interval_start_utc",), what)


def _mix(mix: Any, what: str, where: str) -> dict[str, float | None]:
    if not isinstance(mix, list):
        raise PayloadError(f"{what}: {where}: 'generationmix' is not a list")
    out: dict[str, float | None] = dict.fromkeys(FUEL_COLUMNS)
    for item in mix:
        fuel = item.get("fuel") if isinstance(item, dict) else None
        if fuel not in FUELS:
            raise PayloadError(
                f"{what}: {where}: unknown fuel {fuel!r} (known: {', '.join(FUELS)})"
            )
        share = _value(item.get("perc"), what, f"{where} {fuel}")
        if share is not None and share > 100:
            raise PayloadError(f"{what}: {where}: {fuel} at {share} % of generation")
        out[f"{fuel}_pct"] = share
    return out


def parse_generation(body: bytes) -> pl.DataFrame:
    """`/generation/...` JSON -> `MIX_COLUMNS` (percent of generation by fuel; a fuel not
    listed in a half-hour is null)."""
    what = "GB Carbon Intensity generation mix"
    data = _load_json(body, what)
    rows: dict[str, list] = {c: [] for c in MIX_COLUMNS}
    for i, record in enumerate(data if isinstance(data, list) else []):
        where = f"data[{i}]"
        if not isinstance(record, dict):
            raise PayloadError(f"{what}: {where} is not an object")
        rows["interval_start_utc"].append(_interval(record, what, where))
        for column, share in _mix(record.get("generationmix"), what, where).items():
            rows[column].append(share)
    return _frame(rows, MIX_COLUMNS, ("interval_start_utc",), what)


def parse_regional(body: bytes) -> pl.DataFrame:
    """`/regional/intensity/...` JSON -> `REGIONAL_COLUMNS`, one row per DNO region and
    half-hour (regionid 1-14 the DNO regions, 15-17 England, Scotland, Wales; 18, GB, when
    the response carries it)."""
    what = "GB Carbon Intensity regional intensity"
    data = _load_json(body, what)
    rows: dict[str, list] = {c: [] for c in REGIONAL_COLUMNS}
    for i, period in enumerate(data if isinstance(data, list) else []):
        where = f"data[{i}]"
        if not isinstance(period, dict) or not isinstance(period.get("regions"), list):
            raise PayloadError(f"{what}: {where} has no 'regions' list")
        start = _interval(period, what, where)
        for j, item in enumerate(period["regions"]):
            at = f"{where}.regions[{j}]"
            region_id = item.get("regionid") if isinstance(item, dict) else None
            if not isinstance(region_id, int) or not 1 <= region_id <= 18:
                raise PayloadError(f"{what}: {at}: regionid {region_id!r} is not 1..18")
            intensity = item.get("intensity") or {}
            rows["interval_start_utc"].append(start)
            rows["dno_region_id"].append(region_id)
            rows["dno_region"].append(item.get("dnoregion"))
            rows["region_name"].append(item.get("shortname"))
            rows["forecast_gco2_per_kwh"].append(
                _value(intensity.get("forecast"), what, f"{at} forecast")
            )
            rows["intensity_index"].append(_index(intensity.get("index"), what, at))
            for column, share in _mix(item.get("generationmix", []), what, at).items():
                rows[column].append(share)
    return _frame(rows, REGIONAL_COLUMNS, ("interval_start_utc", "dno_region_id"), what)


# --- the graph's feeds ---------------------------------------------------------------------


def half_hours_in_market_day(region: Region, day: dt.date) -> int:
    start, end = market_day_bounds_utc(day, region.timezone)
    return int((end - start) / _HALF_HOUR)


def _regional_expected(region: Region, day: dt.date) -> int:
    return 17 * half_hours_in_market_day(region, day)


@functools.lru_cache(maxsize=4)
def _parsed_history(sha256: str, body: bytes) -> pl.DataFrame:
    return parse_history(body)


def _fetcher(url_of, offline_file: bool):
    def fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
        if source.offline and offline_file:
            path = history_file(source.datasets_dir, day.year)
            return [history_payload(PROVIDER, path, source.datasets_dir)]
        # live, or replay of a recorded response to the same URL
        return [source.client.get(PROVIDER, url_of(*day_window(region, day)))]

    return fetch


def _parse_national(payloads: Sequence[FetchedPayload], day: dt.date) -> pl.DataFrame:
    payload = payloads[0]
    if payload.transport == "history":
        return _parsed_history(payload.sha256, payload.body)
    return parse_intensity(payload.body)


def _request_key_of(name: str, offline_file: bool):
    def key(region: Region, day: dt.date) -> str:
        # the history file serves a year; an API request, one market day
        return f"{name}/{day.isoformat()}"

    return key


def _feeds() -> tuple[Feed, ...]:
    # One first day for the three feeds: a provider's raw assets share one partitions
    # definition, so they can be backfilled together (see eia930._feeds).
    common = {"provider": PROVIDER, "first_date": FIRST_DATE, "row_unit": "half_hours"}
    return (
        Feed(
            name="national",
            description="GB Carbon Intensity API, national: the API's forecast and actual"
            " intensity (gCO2/kWh, direct, the API's method: imports counted) and index band,"
            " per half-hour, UTC interval starts. Offline: the 2023 national file; live:"
            " /intensity/{from}/{to} for the market day.",
            schema=raw_schemas.UkCarbonIntensityNational,
            request_key=lambda region, day: f"national/{day.year}",
            fetch=_fetcher(intensity_url, offline_file=True),
            parse=_parse_national,
            expected_rows=half_hours_in_market_day,
            completeness_columns="actual_gco2_per_kwh",
            **common,
        ),
        Feed(
            name="regional",
            description="GB Carbon Intensity API, regional: the forecast intensity (gCO2/kWh)"
            " and generation mix (% by fuel) of the 14 DNO regions and of England, Scotland and"
            " Wales, per half-hour, UTC interval starts. Live only: /regional/intensity/{from}/{to}.",
            schema=raw_schemas.UkCarbonIntensityRegional,
            request_key=_request_key_of("regional", False),
            fetch=_fetcher(regional_url, offline_file=False),
            parse=lambda payloads, day: parse_regional(payloads[0].body),
            expected_rows=_regional_expected,
            completeness_columns="forecast_gco2_per_kwh",
            **common,
        ),
        Feed(
            name="generation_mix",
            description="GB Carbon Intensity API, national generation mix: percent of"
            " generation by fuel (biomass, coal, imports, gas, nuclear, other, hydro, solar,"
            " wind) per half-hour, UTC interval starts. Live only: /generation/{from}/{to}.",
            schema=raw_schemas.UkCarbonIntensityGenerationMix,
            request_key=_request_key_of("generation", False),
            fetch=_fetcher(generation_url, offline_file=False),
            parse=lambda payloads, day: parse_generation(payloads[0].body),
            expected_rows=half_hours_in_market_day,
            completeness_columns="^.*_pct$",
            **common,
        ),
    )


FEEDS = _feeds()
