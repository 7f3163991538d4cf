"""NYISO MIS public CSVs: fuel mix, actual load, load forecast, zonal LBMPs. No key.

Live: `http://mis.nyiso.com/public/csv/<dataset>/YYYYMMDD<dataset>[_zone].csv`, one file per
market day (Eastern prevailing time); older days come as a monthly ZIP of the daily files
(`<dataset>/YYYYMM01<dataset>[_zone]_csv.zip`, `monthly_url`), which the parse reads as well
(every daily file in it; the feed's day rows then keep the market day). One request a second (`http_client.DEFAULT_MIN_INTERVAL_S["nyiso"]`).

Feeds:

- `fuel_mix` (`rtfuelmix`): 5-minute `generation_mw` by `fuel` (NYISO's fuel categories). The
  daily file runs 00:05 .. 24:00 (the next day's 00:00 stamp is its last row: 288 readings in
  the 2025 recordings), so a stamp ends its interval: `interval_start_utc` is 5 minutes
  earlier. The `Time Zone` column (EST/EDT) fixes each stamp's offset.
- `actual_load` (`pal`): load by zone (`zone`, `ptid`, `load_mw`) at the instants telemetry
  is posted (about every 5 minutes, a few extra stamps a day), kept as published, with the
  `Time Zone` column's offset; no interval grid is imposed.
- `load_forecast` (`isolf`): the hourly load forecast by zone and for NYISO as a whole
  (`NYISO`), 6 days from the file's day. The file carries no issue time: the partition is the
  day it was posted for (its first day), the rows are every hour it covers (`zone`,
  `load_mw`); when it was available is bounded by `fetched_at_utc`.
- `lmp_day_ahead` (`damlbmp`, zonal, hourly, stamps start the hour) and `lmp_real_time`
  (`realtime`, zonal, 5-minute, stamps end the interval): long by `lmp_component` (`LBMP`,
  `losses`, `congestion`), `price_usd_per_mwh` (NYISO's congestion component is published
  with the opposite sign to the LMP convention: kept as published).

Stamps without a `Time Zone` column (isolf, LBMPs) are Eastern wall clock: the n-th occurrence
of a wall time (per series) is its n-th instant, so the fall-back day's repeated hour is told
apart by order; a stamp inside the spring-forward gap is refused. NYISO files often end
without a final line break: accepted (a cut inside the last number cannot be detected then; a
cut line is still refused by its field count).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import iso_raw as schemas
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource, whole_payload
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.iso_common import (
    UTC_DATETIME,
    csv_table,
    distinct_sorted,
    numbers,
    require_body,
    zip_members,
)
from energy_assets.timeutil import wall_time_to_utc

PROVIDER = "nyiso"
BASE_URL = "http://mis.nyiso.com/public/csv"
TIMEZONE = "America/New_York"
FIRST_DATE = "2016-01-01"

DATASETS = {
    "fuel_mix": ("rtfuelmix", "rtfuelmix"),
    "actual_load": ("pal", "pal"),
    "load_forecast": ("isolf", "isolf"),
    "lmp_day_ahead": ("damlbmp", "damlbmp_zone"),
    "lmp_real_time": ("realtime", "realtime_zone"),
}
_OFFSETS = {"EST": -5, "EDT": -4}


def daily_url(feed_name: str, day: dt.date) -> str:
    folder, stem = DATASETS[feed_name]
    return f"{BASE_URL}/{folder}/{day:%Y%m%d}{stem}.csv"


def monthly_url(feed_name: str, day: dt.date) -> str:
    folder, stem = DATASETS[feed_name]
    return f"{BASE_URL}/{folder}/{day:%Y%m}01{stem}_csv.zip"


# --- reading ----------------------------------------------------------------------------------


def _csv(body: bytes, what: str, required: Sequence[str]) -> pl.DataFrame:
    require_body(body, what, "CSV")
    text = body.lstrip(b"\r\n")  # lmp.csv opens with an empty line
    if not text.endswith(b"\n"):
        text += b"\n"
    return csv_table(text, what, required=required)


def _members(body: bytes, what: str) -> list[tuple[str, bytes]]:
    """The CSV(s) of a payload: itself, or every daily file of a monthly ZIP."""
    if body[:2] != b"PK":
        return [("", body)]
    members = zip_members(body, what)
    csvs = sorted((n, b) for n, b in members.items() if n.lower().endswith(".csv"))
    if not csvs:
        raise PayloadError(f"{what}: no CSV in the ZIP ({sorted(members)})")
    return csvs


def _stamp(text: str, what: str) -> dt.datetime:
    for fmt in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise PayloadError(f"{what}: time stamp {text!r} is not MM/DD/YYYY HH:MM[:SS]")


def _zoned(stamps: Sequence[str], zones: Sequence[str], what: str) -> list[dt.datetime]:
    """Wall stamps with their EST/EDT label -> UTC."""
    out = []
    for text, zone in zip(stamps, zones, strict=True):
        if zone not in _OFFSETS:
            raise PayloadError(f"{what}: time zone {zone!r} is neither EST nor EDT")
        offset = dt.timezone(dt.timedelta(hours=_OFFSETS[zone]))
        out.append(_stamp(text, what).replace(tzinfo=offset).astimezone(dt.UTC))
    return out


def _wall(stamps: Sequence[str], series: Sequence[str], what: str) -> list[dt.datetime]:
    """Eastern wall stamps without a zone label -> UTC, the n-th occurrence of a wall time in a
    series taking its n-th instant."""
    seen: dict[tuple[str, dt.datetime], int] = {}
    out = []
    for text, key in zip(stamps, series, strict=True):
        wall = _stamp(text, what)
        count = seen.get((key, wall), 0)
        seen[(key, wall)] = count + 1
        first = wall_time_to_utc(wall, TIMEZONE, "earliest")
        last = wall_time_to_utc(wall, TIMEZONE, "latest")
        if first is None:
            raise PayloadError(f"{what}: {text} does not exist in Eastern time (spring forward)")
        if count == 0:
            out.append(first)
        elif count == 1 and last != first:
            out.append(last)
        else:
            raise PayloadError(f"{what}: {text} repeated for {key!r} outside a fall-back hour")
    return out


def _each(
    payloads: Sequence[FetchedPayload], day: dt.date | None, dataset: str, build
) -> pl.DataFrame:
    if not payloads:
        raise PayloadError(f"NYISO {dataset}: no payload")
    frames = []
    for index, payload in enumerate(payloads):
        what = f"NYISO {dataset} ({payload.url})"
        for member, body in _members(payload.body, what):
            shown = f"{what} [{member}]" if member else what
            frame = build(body, shown)
            frames.append(frame.with_columns(payload_index=pl.lit(index, dtype=pl.Int64)))
    return pl.concat(frames)


def parse_fuel_mix(payloads: Sequence[FetchedPayload], day: dt.date | None = None) -> pl.DataFrame:
    """rtfuelmix -> interval_start_utc (stamp - 5 min), fuel, generation_mw."""

    def build(body: bytes, what: str) -> pl.DataFrame:
        table = _csv(body, what, ("Time Stamp", "Time Zone", "Fuel Category", "Gen MW"))
        ends = _zoned(table["Time Stamp"].to_list(), table["Time Zone"].to_list(), what)
        frame = pl.DataFrame(
            {
                "interval_start_utc": pl.Series(
                    [e - dt.timedelta(minutes=5) for e in ends], dtype=UTC_DATETIME
                ),
                "fuel": table["Fuel Category"],
                "generation_mw": numbers(table["Gen MW"].to_list(), what, "Gen MW"),
            }
        )
        return distinct_sorted(frame, ["fuel", "interval_start_utc"], what)

    return _each(payloads, day, "rtfuelmix", build)


def parse_actual_load(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """pal -> interval_start_utc (the posted instant), zone, ptid, load_mw."""

    def build(body: bytes, what: str) -> pl.DataFrame:
        table = _csv(body, what, ("Time Stamp", "Time Zone", "Name", "PTID", "Load"))
        frame = pl.DataFrame(
            {
                "interval_start_utc": pl.Series(
                    _zoned(table["Time Stamp"].to_list(), table["Time Zone"].to_list(), what),
                    dtype=UTC_DATETIME,
                ),
                "zone": table["Name"],
                "ptid": table["PTID"],
                "load_mw": numbers(table["Load"].to_list(), what, "Load"),
            }
        )
        return distinct_sorted(frame, ["zone", "interval_start_utc"], what)

    return _each(payloads, day, "pal", build)


def parse_load_forecast(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """isolf -> interval_start_utc, zone (the file's column names, `NYISO` the total), load_mw."""

    def build(body: bytes, what: str) -> pl.DataFrame:
        table = _csv(body, what, ("Time Stamp", "NYISO"))
        if table.height == 0:
            raise PayloadError(f"{what}: header only, no forecast rows")
        starts = _wall(table["Time Stamp"].to_list(), ["isolf"] * table.height, what)
        zones = [c for c in table.columns if c != "Time Stamp"]
        frame = pl.concat(
            pl.DataFrame(
                {
                    "interval_start_utc": pl.Series(starts, dtype=UTC_DATETIME),
                    "zone": pl.Series([zone] * table.height, dtype=pl.String),
                    "load_mw": numbers(table[zone].to_list(), what, zone),
                }
            )
            for zone in zones
        )
        return distinct_sorted(frame, ["zone", "interval_start_utc"], what)

    return _each(payloads, day, "isolf", build)


_LMP_COLUMNS = {
    "LBMP ($/MWHr)": "LBMP",
    "Marginal Cost Losses ($/MWHr)": "losses",
    "Marginal Cost Congestion ($/MWHr)": "congestion",
}


def _lmp(market: str):
    def parse(payloads: Sequence[FetchedPayload], day: dt.date | None = None) -> pl.DataFrame:
        def build(body: bytes, what: str) -> pl.DataFrame:
            table = _csv(body, what, ("Time Stamp", "Name", "PTID", *_LMP_COLUMNS))
            stamps = _wall(table["Time Stamp"].to_list(), table["Name"].to_list(), what)
            if market == "real_time":  # RTD stamps end their 5-minute interval
                stamps = [s - dt.timedelta(minutes=5) for s in stamps]
            frame = pl.concat(
                pl.DataFrame(
                    {
                        "interval_start_utc": pl.Series(stamps, dtype=UTC_DATETIME),
                        "node": table["Name"],
                        "ptid": table["PTID"],
                        "market": pl.Series([market] * table.height, dtype=pl.String),
                        "lmp_component": pl.Series([component] * table.height, dtype=pl.String),
                        "price_usd_per_mwh": numbers(
                            table[column].to_list(), what, column, nullable=False
                        ),
                    }
                )
                for column, component in _LMP_COLUMNS.items()
            )
            return distinct_sorted(frame, ["node", "lmp_component", "interval_start_utc"], what)

        return _each(payloads, day, "damlbmp" if market == "day_ahead" else "realtime", build)

    return parse


parse_lmp_day_ahead = _lmp("day_ahead")
parse_lmp_real_time = _lmp("real_time")


# --- feeds (the provider seam: energy_assets/sources/feeds.py) --------------------------------


def _fetch(feed_name: str):
    def fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
        return [source.client.get(PROVIDER, daily_url(feed_name, day))]

    return fetch


_FEEDS = {
    "fuel_mix": (
        parse_fuel_mix,
        schemas.NyisoFuelMix,
        "generation_mw",
        "NYISO rtfuelmix: 5-minute generation by fuel category, MW.",
    ),
    "actual_load": (
        parse_actual_load,
        schemas.NyisoActualLoad,
        "load_mw",
        "NYISO pal: real-time actual load by zone at the posted instants (about 5-minute), MW.",
    ),
    "load_forecast": (
        parse_load_forecast,
        schemas.NyisoLoadForecast,
        "load_mw",
        "NYISO isolf: the hourly load forecast by zone posted for the day, 6 days ahead, MW.",
    ),
    "lmp_day_ahead": (
        parse_lmp_day_ahead,
        schemas.NyisoLmp,
        "price_usd_per_mwh",
        "NYISO damlbmp_zone: hourly day-ahead zonal LBMP, losses and congestion, $/MWh.",
    ),
    "lmp_real_time": (
        parse_lmp_real_time,
        schemas.NyisoLmp,
        "price_usd_per_mwh",
        "NYISO realtime_zone: 5-minute real-time zonal LBMP, losses and congestion, $/MWh.",
    ),
}


def _feeds() -> tuple[Feed, ...]:
    return tuple(
        Feed(
            provider=PROVIDER,
            name=name,
            description=description,
            schema=schema,
            first_date=FIRST_DATE,
            request_key=lambda region, day, name=name: daily_url(name, day),
            fetch=_fetch(name),
            parse=parse,
            # the forecast file's partition is the day it was posted for: all it covers
            **({"day_rows": whole_payload} if name == "load_forecast" else {}),
            completeness_columns=column,
        )
        for name, (parse, schema, column, description) in _FEEDS.items()
    )


FEEDS = _feeds()
