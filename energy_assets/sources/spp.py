"""SPP Marketplace portal files: LMP by settlement location, and SPP West tie flows. No key.

Live (one request a second, `http_client.DEFAULT_MIN_INTERVAL_S["spp"]`):

- `lmp_day_ahead`: `https://portal.spp.org/file-browser-api/download/da-lmp-by-location?
  path=/YYYY/MM/By_Day/DA-LMP-SL-YYYYMMDD0100.csv`, the day-ahead market's hourly LMP for
  every settlement location (about 1,234 of them, 24 hours: 29,616 rows in the recording).
- `lmp_real_time`: `https://portal.spp.org/file-browser-api/download/rtbm-lmp-by-location?
  path=/YYYY/MM/By_Day/RTBM-LMP-DAILY-SL-YYYYMMDD.csv`, the real-time balancing market's
  5-minute LMP (the recorded file is one interval's `RTBM-LMP-SL-YYYYMMDDHHMM.csv`, same
  columns).
- `tie_flows_west`: `https://portal.spp.org/file-browser-api/download/historical-tie-flow?
  path=/TieFlows_SWPW_<Mon><YYYY>.csv`, 1-minute SPP West (SWPW) net scheduled and actual
  interchange and tie flows by neighbouring balancing authority, a month per file (the days of
  a month share one request). The chart answer `chart-api/interchange-trend-swpw/asFile`
  (today's minutes, with a `SWPW NSI Future` column) has the same layout and is parsed alike.

Columns of the LMP files: `Interval` (local clock, hour or interval ending), `GMTIntervalEnd`
(the same instant in GMT), `Settlement Location`, `Pnode`, `LMP`, `MLC` (loss), `MCC`
(congestion), `MEC` (energy). Times come from `GMTIntervalEnd` alone (unambiguous on DST days);
`interval_start_utc` is an hour (day-ahead) or 5 minutes (real-time) earlier. Rows are long by
`lmp_component` (LMP, MLC, MCC, MEC), `price_usd_per_mwh`.

Tie flows: `interval_start_utc` is the minute's GMT stamp as published (a reading, not an
interval), `interface` the column (`SPP_NSI`, `APS`, ...), `flow_mw` (SPP's sign, as published).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import iso_raw as schemas
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.iso_common import (
    UTC_DATETIME,
    csv_table,
    distinct_sorted,
    numbers,
    utc_instants,
)

PROVIDER = "spp"
PORTAL = "https://portal.spp.org/file-browser-api/download"
LMP_COMPONENTS = ("LMP", "MLC", "MCC", "MEC")


def da_lmp_url(day: dt.date) -> str:
    return (
        f"{PORTAL}/da-lmp-by-location?path=/{day:%Y}/{day:%m}/By_Day/DA-LMP-SL-{day:%Y%m%d}0100.csv"
    )


def rt_lmp_url(day: dt.date) -> str:
    return (
        f"{PORTAL}/rtbm-lmp-by-location?path=/{day:%Y}/{day:%m}/By_Day/"
        f"RTBM-LMP-DAILY-SL-{day:%Y%m%d}.csv"
    )


def tie_flow_url(day: dt.date) -> str:
    return f"{PORTAL}/historical-tie-flow?path=/TieFlows_SWPW_{day:%b%Y}.csv"


def _gmt(values: Sequence[str], what: str) -> pl.Series:
    out = []
    for i, text in enumerate(values):
        try:
            out.append(dt.datetime.strptime(text, "%m/%d/%Y %H:%M:%S").replace(tzinfo=dt.UTC))
        except ValueError:
            raise PayloadError(
                f"{what}: row {i + 1}: GMTIntervalEnd {text!r} is not MM/DD/YYYY HH:MM:SS"
            ) from None
    return pl.Series(out, dtype=UTC_DATETIME)


def _lmp(market: str, minutes: int):
    def parse(payloads: Sequence[FetchedPayload], day: dt.date | None = None) -> pl.DataFrame:
        if not payloads:
            raise PayloadError("SPP LMP: no payload")
        frames = []
        for index, payload in enumerate(payloads):
            what = f"SPP {market} LMP ({payload.url})"
            table = csv_table(
                payload.body,
                what,
                required=("GMTIntervalEnd", "Settlement Location", "Pnode", *LMP_COMPONENTS),
            )
            if table.height == 0:
                raise PayloadError(f"{what}: header only, no rows")
            starts = _gmt(table["GMTIntervalEnd"].to_list(), what) - dt.timedelta(minutes=minutes)
            for component in LMP_COMPONENTS:
                frames.append(
                    pl.DataFrame(
                        {
                            "interval_start_utc": starts,
                            "node": table["Settlement Location"],
                            "pnode": table["Pnode"],
                            "market": pl.Series([market] * table.height, dtype=pl.String),
                            "lmp_component": pl.Series([component] * table.height, dtype=pl.String),
                            "price_usd_per_mwh": numbers(
                                table[component].to_list(), what, component, nullable=False
                            ),
                            "payload_index": pl.Series([index] * table.height, dtype=pl.Int64),
                        }
                    )
                )
        frame = pl.concat(frames)
        return distinct_sorted(
            frame, ["node", "lmp_component", "interval_start_utc"], f"SPP {market} LMP"
        )

    return parse


parse_lmp_day_ahead = _lmp("day_ahead", 60)
parse_lmp_real_time = _lmp("real_time", 5)


def parse_tie_flows(payloads: Sequence[FetchedPayload], day: dt.date | None = None) -> pl.DataFrame:
    """Historical tie-flow / interchange-trend CSVs -> interval_start_utc, interface, flow_mw."""
    if not payloads:
        raise PayloadError("SPP tie flows: no payload")
    frames = []
    for index, payload in enumerate(payloads):
        what = f"SPP tie flows ({payload.url})"
        table = csv_table(payload.body, what)
        time_column = next((c for c in table.columns if c.upper() == "GMTTIME"), None)
        if time_column is None or table.width < 2:
            raise PayloadError(f"{what}: no GMTTIME column and flows (header {table.columns[:5]})")
        if table.height == 0:
            raise PayloadError(f"{what}: header only, no rows")
        stamps = utc_instants(table[time_column].to_list(), what, time_column)
        for column in table.columns:
            if column == time_column:
                continue
            frames.append(
                pl.DataFrame(
                    {
                        "interval_start_utc": stamps,
                        "interface": pl.Series([column] * table.height, dtype=pl.String),
                        "flow_mw": numbers(table[column].to_list(), what, column),
                        "payload_index": pl.Series([index] * table.height, dtype=pl.Int64),
                    }
                )
            )
    frame = pl.concat(frames)
    return distinct_sorted(frame, ["interface", "interval_start_utc"], "SPP tie flows")


def _fetch(url_of):
    def fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
        return [source.client.get(PROVIDER, url_of(day))]

    return fetch


def _feeds() -> tuple[Feed, ...]:
    return (
        Feed(
            provider=PROVIDER,
            name="lmp_day_ahead",
            description="SPP day-ahead market LMP by settlement location: hourly LMP, loss,"
            " congestion and energy components, $/MWh.",
            schema=schemas.SppLmp,
            first_date="2014-03-01",
            request_key=lambda region, day: da_lmp_url(day),
            fetch=_fetch(da_lmp_url),
            parse=parse_lmp_day_ahead,
            completeness_columns="price_usd_per_mwh",
        ),
        Feed(
            provider=PROVIDER,
            name="lmp_real_time",
            description="SPP real-time balancing market LMP by settlement location: 5-minute"
            " LMP and components, $/MWh.",
            schema=schemas.SppLmp,
            first_date="2014-03-01",
            request_key=lambda region, day: rt_lmp_url(day),
            fetch=_fetch(rt_lmp_url),
            parse=parse_lmp_real_time,
            completeness_columns="price_usd_per_mwh",
        ),
        Feed(
            provider=PROVIDER,
            name="tie_flows_west",
            description="SPP West 1-minute net interchange and tie flows by neighbouring"
            " balancing authority, MW (a month per file).",
            schema=schemas.SppTieFlow,
            first_date="2026-03-25",  # the first day of the recorded March 2026 file
            request_key=lambda region, day: tie_flow_url(day),
            fetch=_fetch(tie_flow_url),
            parse=parse_tie_flows,
            completeness_columns="flow_mw",
        ),
    )


FEEDS = _feeds()
