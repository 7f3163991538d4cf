"""NREL PVWatts v8: the hourly PV output of a typical year at a location, pure. No Dagster imports.

What it is for: the PV profile of a home at a region's location (`defs/solar.py`,
`harmonized/pv_profile`), which the VPP fleet reads instead of the one French household's PV when
a run asks for it (`dispatch/vpp_fleet_dispatch`, `pv_source: pvwatts`).

Live: `GET https://developer.nrel.gov/api/pvwatts/v8.json` with `system_capacity` (kW DC),
`module_type`, `losses` (%), `array_type`, `tilt`, `azimuth`, `lat`, `lon`, `timeframe=hourly`,
`dataset=nsrdb` (`api_url`, `fetch_typical_year`). The NSRDB typical year covers the Americas;
whether it serves the GB regions' sites is not checked here (no network): PVWatts documents
`dataset=intl` (international stations) for elsewhere, a choice of `PvSystem.dataset` (the
asset's `PvProfileConfig.dataset`), and an answer with `errors` fails naming URL and site. The key (`NREL_API_KEY`, from the Dagster
`http` resource as an `EnvVar`, else the environment: `api_key_from_env`) goes through
`HttpClient.get(secret_params={"api_key": ...})`, so it is on the wire only: never in
`FetchedPayload.url`, the archive's sidecar, logs, error messages or recordings (the client
redacts `api_key` everywhere, as for EIA). NREL's documented default limit is 1,000 requests an
hour per key (HTTP 429 past it); the client spaces PVWatts requests 3.6 s apart. One request per
region serves every day of every year (a typical year), so the limit is never near. Not checked
from here (no network): NREL's pages now say "NLR", and a third-party listing says the APIs move
from developer.nrel.gov to developer.nlr.gov; if the documented host stops answering, `API_URL`
is the one place to change.

The response (v8 documentation, developer.nrel.gov/docs/solar/pvwatts/v8/) is JSON:
`{"inputs": {...}, "errors": [], "warnings": [], "version": "...", "station_info": {"lat",
"lon", "elev", "tz", "city", "state", "country", "distance", "weather_data_source", ...},
"outputs": {"ac_monthly": [12], "ac_annual", "capacity_factor", ..., "ac": [8760], ...}}` (the
v6 documentation's example response shows the same `station_info`, e.g. `"tz": -7` near
Boulder).
`outputs.ac` (hourly only) is the AC system output in W, 8760 values: the hours of a typical
year (NSRDB TMY: each month taken from some real year), January 1 00:00 first, 365 days, no
leap day. An input error comes as an `errors` list (usually with HTTP 422, which the client
already reports as a `FetchError` with the body's start).

Time convention. PVWatts' hourly values are in local STANDARD time of the weather station
(`station_info.tz`, hours from UTC, never daylight saving time): value k is the mean power over
hour `k % 24` of day `k // 24 + 1` of the year, local standard time (the calculator export's
`Month, Day, Hour` columns say the same, Hour 0..23). Here they are kept on that clock: every
profile carries `utc_offset_h`, and a UTC instant t reads the value of the hour that contains
`t + utc_offset_h` (`optimize/fleet_profiles.pv_from_typical_year`). Since this goes through
UTC, a region's DST days simply have 23 or 25 hours of sun-true PV; nothing shifts by an hour in
summer. Feb 29 reads Feb 28 (the typical year has no leap day).

Parsers (pure, `PayloadError` for anything that is not a normal payload):

- `parse_v8(body, system_capacity_kw)`: the v8 JSON above.
- `read_calculator_export(body, utc_offset_h)`: the PVWatts calculator's hourly CSV export (the
  only PVWatts recording here, `recordings/pvlib/pvwatts_8760_rackmount.csv`, copied from
  pvlib's test data: a 4 kW open-rack system at 15013 Denver W Pkwy, 39.73 N 105.18 W). Its header
  block names the location (`Lat (deg N)`, `Long (deg W)`: west positive), `DC System Size
  (kW)` and `Capacity Factor (%)`; then `Month,Day,Hour,...,AC System Output (W)`, 8760 rows and
  a `Totals` row. It has no time zone field: Denver is on Mountain Standard Time, UTC-7
  (`RECORDED_EXPORT_UTC_OFFSET_H`).

Both give a `TypicalYear`: `hour_of_year`, `month`, `day_of_month`, `hour_local_standard` and
`pv_kw_per_kw` (AC kW per kW of DC nameplate: the W divided by 1000 x the system's kW; a small
negative value, night-time inverter consumption, is not PV output and becomes 0), with the
location, the clock and where it came from.

Not parsed: the PVGIS hourly recording
(`pvgis_hourly_Timeseries_45.000_8.000_SA2_10kWp_CIS_5_2a_2013_2014.json`) is a UTC time series of
named years (2013-2014, a two-axis tracker), cut to 10 hours in the recording: not a typical
year of 8760 hours, so it does not fit this profile's shape.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import polars as pl

from energy_assets.sources import errors
from energy_assets.sources.csv_text import decode_text
from energy_assets.sources.errors import MissingApiKeyError, PayloadError
from energy_assets.sources.http_client import FetchedPayload, HttpClient

PROVIDER = "pvwatts"
API_URL = "https://developer.nrel.gov/api/pvwatts/v8.json"
API_KEY_ENV = "NREL_API_KEY"
HOURS = 8760
#: The calculator export recorded offline, relative to the recordings folder.
RECORDED_EXPORT = "pvlib/pvwatts_8760_rackmount.csv"
#: Denver (the export's location) keeps Mountain Standard Time, UTC-7; the file does not say.
RECORDED_EXPORT_UTC_OFFSET_H = -7.0
#: How far (degrees) the station PVWatts used may lie from the requested point.
MAX_STATION_OFFSET_DEG = 1.0

SOURCE_V8 = "pvwatts_v8"
SOURCE_EXPORT = "pvwatts_calculator_export"

#: PVWatts `module_type` and `array_type` codes by name (v8 documentation).
MODULE_TYPES = {"standard": 0, "premium": 1, "thin_film": 2}
ARRAY_TYPES = {
    "open_rack": 0,
    "roof_mount": 1,
    "one_axis": 2,
    "one_axis_backtracking": 3,
    "two_axis": 4,
}

#: PVWatts `dataset` values: the NSRDB typical year (the default; the Americas, where the NSRDB
#: has it), TMY2/TMY3 stations, `intl` (international stations).
DATASETS = ("nsrdb", "tmy2", "tmy3", "intl")

COLUMNS = ("hour_of_year", "month", "day_of_month", "hour_local_standard", "pv_kw_per_kw")

_EXPORT_AC = "AC System Output (W)"
_REFERENCE_YEAR = 2019  # any year without Feb 29: the typical year's calendar


@dataclass(frozen=True)
class PvSystem:
    """The system PVWatts simulates. The default is a home's: 1 kW DC (the profile is per kW),
    standard modules, PVWatts' default 14.08 % losses, fixed roof mount, 20 degrees tilt, facing
    south (azimuth 180)."""

    system_capacity_kw: float = 1.0
    module_type: str = "standard"
    losses_pct: float = 14.08
    array_type: str = "roof_mount"
    tilt_deg: float = 20.0
    azimuth_deg: float = 180.0
    dataset: str = "nsrdb"

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {list(DATASETS)}")
        if self.module_type not in MODULE_TYPES:
            raise ValueError(f"module_type must be one of {list(MODULE_TYPES)}")
        if self.array_type not in ARRAY_TYPES:
            raise ValueError(f"array_type must be one of {list(ARRAY_TYPES)}")
        if not 0.05 <= self.system_capacity_kw <= 500_000:
            raise ValueError("system_capacity_kw must be within 0.05..500000 (PVWatts' range)")
        if not -5 <= self.losses_pct <= 99:
            raise ValueError("losses_pct must be within -5..99 (PVWatts' range)")
        if not 0 <= self.tilt_deg <= 90:
            raise ValueError("tilt_deg must be within 0..90")
        if not 0 <= self.azimuth_deg < 360:
            raise ValueError("azimuth_deg must be within 0..<360")


@dataclass(frozen=True)
class TypicalYear:
    """8760 hours of PV output per kW installed, on the clock UTC + `utc_offset_h`."""

    frame: pl.DataFrame  # COLUMNS
    latitude_deg: float
    longitude_deg: float  # east positive
    utc_offset_h: float
    system_capacity_kw: float
    source: str  # SOURCE_V8 or SOURCE_EXPORT
    capacity_factor_pct: float | None  # as the payload states it (None when it does not)

    @property
    def capacity_factor(self) -> float:
        """Mean of `pv_kw_per_kw` over the year (a fraction; x100 = PVWatts' capacity factor)."""
        return float(self.frame["pv_kw_per_kw"].mean())


# --- requests ---------------------------------------------------------------------------------


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def request_params(latitude: float, longitude: float, system: PvSystem) -> dict[str, str]:
    """The query of one v8 request, without the key."""
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise ValueError(f"not a location: lat {latitude}, lon {longitude}")
    return {
        "system_capacity": _number(system.system_capacity_kw),
        "module_type": str(MODULE_TYPES[system.module_type]),
        "losses": _number(system.losses_pct),
        "array_type": str(ARRAY_TYPES[system.array_type]),
        "tilt": _number(system.tilt_deg),
        "azimuth": _number(system.azimuth_deg),
        "lat": _number(latitude),
        "lon": _number(longitude),
        "timeframe": "hourly",
        "dataset": system.dataset,
    }


def api_url(latitude: float, longitude: float, system: PvSystem | None = None) -> str:
    """The v8 URL for `system` at the location, without the key (safe to log and archive)."""
    return f"{API_URL}?{urlencode(request_params(latitude, longitude, system or PvSystem()))}"


def api_key_from_env() -> str:
    """`NREL_API_KEY` from the environment; a clear error naming the variable when it is unset."""
    return errors.api_key_from_env(
        API_KEY_ENV, "NREL's PVWatts API", "https://developer.nrel.gov/signup/"
    )


def fetch_typical_year(
    client: HttpClient,
    latitude: float,
    longitude: float,
    api_key: str | None,
    system: PvSystem | None = None,
) -> FetchedPayload:
    """One v8 response for the location. Live and record need the key (sent as a secret
    parameter, never kept); replay serves a recorded response by the key-free URL."""
    if client.mode != "replay" and not api_key:
        raise MissingApiKeyError(f"fetch_typical_year needs an API key ({API_KEY_ENV})")
    secret = {"api_key": api_key} if api_key else None
    return client.get(PROVIDER, api_url(latitude, longitude, system), secret_params=secret)


# --- parsing ----------------------------------------------------------------------------------


def _calendar() -> tuple[list[int], list[int], list[int]]:
    start = dt.datetime(_REFERENCE_YEAR, 1, 1)
    stamps = [start + dt.timedelta(hours=k) for k in range(HOURS)]
    return [s.month for s in stamps], [s.day for s in stamps], [s.hour for s in stamps]


def _frame(watts: list[float], system_kw: float) -> pl.DataFrame:
    months, days, hours = _calendar()
    kw_per_kw = np.clip(np.asarray(watts, dtype=np.float64) / (1000.0 * system_kw), 0.0, None)
    return pl.DataFrame(
        {
            "hour_of_year": pl.Series(range(HOURS), dtype=pl.Int32),
            "month": pl.Series(months, dtype=pl.Int8),
            "day_of_month": pl.Series(days, dtype=pl.Int8),
            "hour_local_standard": pl.Series(hours, dtype=pl.Int8),
            "pv_kw_per_kw": pl.Series(kw_per_kw, dtype=pl.Float64),
        }
    )


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def parse_v8(
    body: bytes,
    system_capacity_kw: float,
    requested: tuple[float, float] | None = None,
) -> TypicalYear:
    """A PVWatts v8 JSON response (`timeframe=hourly`) -> the typical year per kW installed.

    `system_capacity_kw` is what was requested (the W are divided by it). `requested` (lat, lon):
    when given, the station PVWatts used must lie within `MAX_STATION_OFFSET_DEG` of it. Errors
    (PayloadError): not JSON, HTML, a non-empty `errors` list (quoted), no `outputs.ac`, not 8760
    finite numbers, no `station_info` with numeric `lat`, `lon` and `tz`.
    """
    what = "PVWatts v8 response"
    if system_capacity_kw <= 0:
        raise ValueError("system_capacity_kw must be positive")
    text = decode_text(body, what, "JSON")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"{what}: not valid JSON (truncated?): {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError(f"{what}: expected a JSON object, got {type(data).__name__}")
    errors = data.get("errors")
    if errors:
        shown = "; ".join(str(e) for e in errors) if isinstance(errors, list) else str(errors)
        raise PayloadError(f"{what}: the API answered with errors: {shown}")
    outputs = data.get("outputs")
    if not isinstance(outputs, dict) or "ac" not in outputs:
        raise PayloadError(
            f"{what}: no outputs.ac (hourly AC output); was timeframe=hourly requested?"
        )
    ac = outputs["ac"]
    if not isinstance(ac, list) or len(ac) != HOURS:
        got = len(ac) if isinstance(ac, list) else type(ac).__name__
        raise PayloadError(f"{what}: outputs.ac has {got} values, expected {HOURS} hours")
    bad = next((k for k, v in enumerate(ac) if not _is_number(v)), None)
    if bad is not None:
        raise PayloadError(f"{what}: outputs.ac[{bad}] is {ac[bad]!r}, not a number")
    station = data.get("station_info")
    if not isinstance(station, dict) or not all(
        _is_number(station.get(k)) for k in ("lat", "lon", "tz")
    ):
        raise PayloadError(
            f"{what}: station_info with numeric lat, lon and tz (the hours' clock) is missing"
        )
    lat, lon, tz = float(station["lat"]), float(station["lon"]), float(station["tz"])
    if not -14 <= tz <= 14:
        raise PayloadError(f"{what}: station_info.tz {tz} is not a UTC offset in hours")
    if requested is not None:
        for name, got, wanted in (("lat", lat, requested[0]), ("lon", lon, requested[1])):
            if abs(got - wanted) > MAX_STATION_OFFSET_DEG:
                raise PayloadError(
                    f"{what}: station {name} {got} is more than {MAX_STATION_OFFSET_DEG} degrees"
                    f" from the requested {wanted}"
                )
    cf = outputs.get("capacity_factor")
    return TypicalYear(
        frame=_frame([float(v) for v in ac], system_capacity_kw),
        latitude_deg=lat,
        longitude_deg=lon,
        utc_offset_h=tz,
        system_capacity_kw=system_capacity_kw,
        source=SOURCE_V8,
        capacity_factor_pct=float(cf) if _is_number(cf) else None,
    )


def _header_value(header: dict[str, str], name: str, what: str) -> float:
    raw = header.get(name)
    try:
        return float(str(raw).strip())
    except (TypeError, ValueError):
        raise PayloadError(f"{what}: header {name!r} is {raw!r}, not a number") from None


def read_calculator_export(body: bytes, utc_offset_h: float) -> TypicalYear:
    """The PVWatts calculator's hourly CSV export -> the typical year per kW installed.

    `utc_offset_h`: the location's standard-time offset (the export does not state it; see
    `RECORDED_EXPORT_UTC_OFFSET_H`). Errors (PayloadError): HTML, no header block with `Lat (deg
    N)`, `Long (deg W)` and `DC System Size (kW)`, no `AC System Output (W)` column, not 8760
    hourly rows in calendar order (Jan 1 hour 0 .. Dec 31 hour 23), a value that is not a
    number.
    """
    what = "PVWatts calculator export"
    text = decode_text(body, what, "CSV")
    rows = list(csv.reader(io.StringIO(text)))
    start = next((i for i, r in enumerate(rows) if r[:3] == ["Month", "Day", "Hour"]), None)
    if start is None:
        raise PayloadError(f"{what}: no 'Month,Day,Hour,...' table header")
    header = {r[0].strip(): r[1] for r in rows[:start] if len(r) >= 2 and r[0].strip()}
    lat = _header_value(header, "Lat (deg N):", what)
    lon_west = _header_value(header, "Long (deg W):", what)
    system_kw = _header_value(header, "DC System Size (kW):", what)
    if system_kw <= 0:
        raise PayloadError(f"{what}: DC System Size (kW) is {system_kw}")
    columns = rows[start]
    if _EXPORT_AC not in columns:
        raise PayloadError(f"{what}: no {_EXPORT_AC!r} column (columns: {columns})")
    ac_at = columns.index(_EXPORT_AC)
    data = [r for r in rows[start + 1 :] if r and r[0].strip() and r[0].strip() != "Totals"]
    if len(data) != HOURS:
        raise PayloadError(f"{what}: {len(data)} hourly rows, expected {HOURS} (truncated?)")
    months, days, hours = _calendar()
    watts = []
    for k, row in enumerate(data):
        try:
            when = (int(row[0]), int(row[1]), int(row[2]))
            value = float(row[ac_at])
        except (ValueError, IndexError):
            raise PayloadError(f"{what}: data row {k + 1} is not numbers: {row[:3]}...") from None
        if when != (months[k], days[k], hours[k]):
            raise PayloadError(
                f"{what}: data row {k + 1} is month/day/hour {when}, expected"
                f" {(months[k], days[k], hours[k])} (hours out of order or missing)"
            )
        if not math.isfinite(value):
            raise PayloadError(f"{what}: data row {k + 1}: {_EXPORT_AC} is {row[ac_at]!r}")
        watts.append(value)
    cf = header.get("Capacity Factor (%)")
    try:
        cf_pct = float(str(cf).strip()) if cf is not None else None
    except ValueError:
        cf_pct = None
    return TypicalYear(
        frame=_frame(watts, system_kw),
        latitude_deg=lat,
        longitude_deg=-lon_west,
        utc_offset_h=float(utc_offset_h),
        system_capacity_kw=system_kw,
        source=SOURCE_EXPORT,
        capacity_factor_pct=cf_pct,
    )
