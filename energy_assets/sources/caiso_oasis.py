"""CAISO OASIS: prices, load and renewable forecasts from the `SingleZip` API (CSV in a ZIP).

Live requests (`oasis_url`) ask `https://oasis.caiso.com/oasisapi/SingleZip` for one report over
one market day, in UTC: `queryname`, `version`, `market_run_id`, `startdatetime` /
`enddatetime` (`YYYYMMDDTHH:MM-0000`, the local market day's UTC bounds, so a DST day asks for
23 or 25 hours) and `resultformat=6` (CSV inside the ZIP; without it OASIS answers XML). No key.
OASIS asks for about one request every 5 seconds and refuses faster callers: every request
goes through the HTTP client under the provider name `caiso`, whose rate limit spaces request
starts `MIN_INTERVAL_S` (5 s) apart (`http_client.DEFAULT_MIN_INTERVAL_S["caiso"]`, shared with
Today's Outlook requests; a feed of several market runs waits its turn between them).

Feeds (one request per market run where a report has several; every vintage kept):

- `lmp_day_ahead`: `PRC_LMP` v12, DAM, hourly LMP and components at the trading hubs and DLAPs
  (`NODES`).
- `lmp_real_time`: `PRC_INTVL_LMP` v3, RTM, 5-minute LMP at the same nodes.
- `as_prices`: `PRC_AS` v12, DAM, ancillary-service prices for every AS region and type.
- `load_forecast`: `SLD_FCST` v1 for the market runs 7DA, 2DA, DAM and RTM (RTM carries the
  15-minute RTPD and 5-minute RTD forecasts, told apart by `data_item`), every TAC area.
- `renewable_forecast`: `SLD_REN_FCST` v1 for DAM, HASP, RTPD and RTD, solar and wind by
  trading hub.
- `schedules`: `ENE_SLRS` v1, DAM: total generation, imports and exports schedules.

What a payload may be, and how it is read (`read_report`):

- a ZIP holding one CSV (the normal answer): columns `INTERVALSTARTTIME_GMT`,
  `INTERVALENDTIME_GMT`, `OPR_DT`, `OPR_HR`, `MARKET_RUN_ID`, `XML_DATA_ITEM`, the value
  (`MW`, or `VALUE`/`PRC` in some report versions) and the report's labels (`NODE` and
  `LMP_TYPE`, `ANC_REGION` and `ANC_TYPE`, `TAC_AREA_NAME`, `TRADING_HUB` and
  `RENEWABLE_TYPE`, `RESOURCE_NAME`);
- a ZIP holding an XML error report instead (`<ERROR><ERR_CODE>1000</ERR_CODE><ERR_DESC>No
  data returned for the specified selection</ERR_DESC>`, 1015 for requests too frequent, ...):
  a `PayloadError` quoting code and description;
- an `OASISReport` XML document (the older answer without `resultformat=6`, as in the pyiso
  recordings): its `REPORT_DATA` rows are read the same way (`INTERVAL_START_GMT`, `DATA_ITEM`,
  `VALUE`, `RESOURCE_NAME`, ...; the market run from the report header's `MKT_TYPE`).

Times: OASIS writes interval bounds in GMT with an explicit offset (`2025-02-04T18:00:00-00:00`),
so DST days need no clock arithmetic; `OPR_HR` runs to 23 or 25 on them. The rows keep the
interval end too (`interval_end_utc`: hourly, 15- or 5-minute intervals share a report).

Vintages: OASIS serves one value per interval for each market run (its latest), and no issue
time. The vintage of a forecast row is its `market_run` (and `data_item`); when it was
available is bounded by the row's `fetched_at_utc` (provenance). No issue time is invented.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import iso_raw as schemas
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.iso_common import (
    csv_table,
    distinct_sorted,
    market_day_window,
    numbers,
    require_body,
    utc_instants,
    zip_members,
)

PROVIDER = "caiso"  # the HTTP client's rate-limit name (5 s between requests)
REGISTRY_NAME = "caiso_oasis"
BASE_URL = "https://oasis.caiso.com/oasisapi/SingleZip"
MIN_INTERVAL_S = 5.0

#: Trading hubs and default load aggregation points, as OASIS names their APNodes.
NODES: tuple[str, ...] = (
    "TH_NP15_GEN-APND",
    "TH_SP15_GEN-APND",
    "TH_ZP26_GEN-APND",
    "DLAP_PGAE-APND",
    "DLAP_SCE-APND",
    "DLAP_SDGE-APND",
    "DLAP_VEA-APND",
)

REAL_TIME_RUNS = frozenset({"RTM", "HASP", "RTPD", "RTD", "FMM", "RTUC"})

# CSV header -> canonical name (XML element names map to the same names, `_XML_FIELDS`)
_CSV_FIELDS = {
    "INTERVALSTARTTIME_GMT": "start",
    "INTERVALENDTIME_GMT": "end",
    "MARKET_RUN_ID": "market_run",
    "EXECUTION_TYPE": "execution_type",
    "XML_DATA_ITEM": "data_item",
    "MW": "value",
    "VALUE": "value",
    "PRC": "value",
    "NODE": "node",
    "LMP_TYPE": "lmp_type",
    "ANC_REGION": "as_region",
    "ANC_TYPE": "as_type",
    "TAC_AREA_NAME": "tac_area",
    "TRADING_HUB": "trading_hub",
    "RENEWABLE_TYPE": "renewable_type",
    "RESOURCE_NAME": "resource",
}
_XML_FIELDS = {
    "INTERVAL_START_GMT": "start",
    "INTERVAL_END_GMT": "end",
    "DATA_ITEM": "data_item",
    "VALUE": "value",
    "RESOURCE_NAME": "resource",
    "TRADING_HUB": "trading_hub",
    "RENEWABLE_TYPE": "renewable_type",
    "ANC_REGION": "as_region",
    "ANC_TYPE": "as_type",
    "NODE": "node",
    "LMP_TYPE": "lmp_type",
    "TAC_AREA_NAME": "tac_area",
}
# the XML reports name the LMP component by data item
_XML_LMP_COMPONENTS = {
    "LMP_PRC": "LMP",
    "LMP_ENE_PRC": "MCE",
    "LMP_CONG_PRC": "MCC",
    "LMP_LOSS_PRC": "MCL",
    "LMP_GHG_PRC": "MGHG",
}


# --- URLs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    name: str  # OASIS queryname
    version: int
    market_runs: tuple[str, ...]
    extra: tuple[tuple[str, str], ...] = ()


QUERIES: Mapping[str, Query] = {
    "lmp_day_ahead": Query("PRC_LMP", 12, ("DAM",), (("node", ",".join(NODES)),)),
    "lmp_real_time": Query("PRC_INTVL_LMP", 3, ("RTM",), (("node", ",".join(NODES)),)),
    "as_prices": Query("PRC_AS", 12, ("DAM",), (("anc_type", "ALL"), ("anc_region", "ALL"))),
    "load_forecast": Query("SLD_FCST", 1, ("7DA", "2DA", "DAM", "RTM")),
    "renewable_forecast": Query("SLD_REN_FCST", 1, ("DAM", "HASP", "RTPD", "RTD")),
    "schedules": Query("ENE_SLRS", 1, ("DAM",), (("tac_zone_name", "ALL"), ("schedule", "ALL"))),
}


def _oasis_time(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y%m%dT%H:%M-0000")


def oasis_url(
    queryname: str,
    start_utc: dt.datetime,
    end_utc: dt.datetime,
    *,
    version: int,
    market_run_id: str | None = None,
    extra: Sequence[tuple[str, str]] = (),
) -> str:
    """The SingleZip URL of one report over `[start_utc, end_utc)`, CSV in ZIP
    (`resultformat=6`)."""
    params = [
        ("resultformat", "6"),
        ("queryname", queryname),
        ("version", str(version)),
        ("startdatetime", _oasis_time(start_utc)),
        ("enddatetime", _oasis_time(end_utc)),
    ]
    if market_run_id is not None:
        params.append(("market_run_id", market_run_id))
    params.extend(extra)
    # OASIS reads these literally; the client keeps a given query byte for byte
    return BASE_URL + "?" + "&".join(f"{k}={v}" for k, v in params)


def feed_urls(feed_name: str, region: Region, day: dt.date) -> list[str]:
    """The URLs serving `day` of a feed: one per market run the feed keeps."""
    query = QUERIES[feed_name]
    start, end = market_day_window(region, day)
    return [
        oasis_url(
            query.name, start, end, version=query.version, market_run_id=run, extra=query.extra
        )
        for run in query.market_runs
    ]


# --- reading a payload ------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_report(body: bytes, what: str) -> pl.DataFrame:
    """An OASISReport XML document: its error (raised) or its REPORT_DATA rows."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise PayloadError(f"{what}: XML not well formed ({exc}; truncated?)") from None
    if _local(root.tag) != "OASISReport":
        raise PayloadError(f"{what}: XML document <{_local(root.tag)}> is not an OASISReport")
    for element in root.iter():
        if _local(element.tag) == "ERROR":
            fields = {_local(child.tag): (child.text or "").strip() for child in element}
            raise PayloadError(
                f"{what}: OASIS answered with error {fields.get('ERR_CODE', '?')}:"
                f" {fields.get('ERR_DESC', 'no description')}"
            )
    rows: list[dict[str, str]] = []
    for item in root.iter():
        if _local(item.tag) != "REPORT_ITEM":
            continue
        header: dict[str, str] = {}
        for child in item:
            if _local(child.tag) == "REPORT_HEADER":
                header = {_local(h.tag): (h.text or "").strip() for h in child}
        for child in item:
            if _local(child.tag) != "REPORT_DATA":
                continue
            row = {"market_run": header.get("MKT_TYPE", ""), "report": header.get("REPORT", "")}
            if header.get("EXECUTION_TYPE"):
                row["execution_type"] = header["EXECUTION_TYPE"]
            for field in child:
                name = _XML_FIELDS.get(_local(field.tag))
                if name is not None:
                    row[name] = (field.text or "").strip()
            rows.append(row)
    if not rows:
        raise PayloadError(f"{what}: OASISReport without data rows")
    names = sorted({k for r in rows for k in r})
    return pl.DataFrame({n: pl.Series(n, [r.get(n) for r in rows], dtype=pl.String) for n in names})


def _looks_xml(body: bytes) -> bool:
    head = body.lstrip()[:200]
    return head.startswith(b"<") and (head.startswith(b"<?xml") or b"OASISReport" in head)


def read_report(body: bytes, what: str) -> pl.DataFrame:
    """A SingleZip answer (ZIP of one CSV, or of an XML error) or an OASISReport XML document
    -> string rows with canonical column names (`start`, `end`, `market_run`, `data_item`,
    `value`, and the report's labels)."""
    require_body(body, what, "a ZIP archive or an OASIS XML report")
    if _looks_xml(body):
        return _xml_report(body, what)
    members = zip_members(body, what)
    if not members:
        raise PayloadError(f"{what}: empty ZIP archive")
    xml = [n for n in members if n.lower().endswith(".xml")]
    for name in xml:  # an error report, or XML data
        return _xml_report(members[name], f"{what} [{name}]")
    csvs = [n for n in members if n.lower().endswith(".csv")]
    if len(csvs) != 1:
        raise PayloadError(f"{what}: expected one CSV in the ZIP, found {sorted(members)}")
    table = csv_table(members[csvs[0]], f"{what} [{csvs[0]}]")
    renamed = {c: _CSV_FIELDS[c] for c in table.columns if c in _CSV_FIELDS}
    if len(set(renamed.values())) != len(renamed):
        raise PayloadError(f"{what}: more than one value column in {table.columns}")
    missing = [
        c for c in ("start", "end", "market_run", "data_item", "value") if c not in renamed.values()
    ]
    if missing:
        raise PayloadError(
            f"{what} [{csvs[0]}]: not an OASIS report CSV, missing {missing}; header {table.columns}"
        )
    if table.height == 0:
        raise PayloadError(f"{what} [{csvs[0]}]: header only, no data rows")
    return table.select(list(renamed)).rename(renamed)


def _base(table: pl.DataFrame, what: str, labels: Mapping[str, str]) -> dict[str, pl.Series]:
    """The columns every feed shares: interval bounds in UTC, market run, data item, and the
    feed's labels (`labels`: canonical name -> output column)."""
    missing = [c for c in labels if c not in table.columns]
    if missing:
        raise PayloadError(
            f"{what}: report lacks {missing} (another report than this feed's?); has {table.columns}"
        )
    out = {
        "interval_start_utc": utc_instants(table["start"].to_list(), what, "interval start"),
        "interval_end_utc": utc_instants(table["end"].to_list(), what, "interval end"),
    }
    if (out["interval_end_utc"] <= out["interval_start_utc"]).any():
        raise PayloadError(f"{what}: an interval ends before it starts")
    for canonical, column in labels.items():
        values = table[canonical]
        if values.is_null().any() or (values.str.strip_chars() == "").any():
            raise PayloadError(f"{what}: blank {canonical} in a data row")
        out[column] = values.alias(column)
    return out


def _market(runs: pl.Series) -> pl.Series:
    """day_ahead or real_time, by market run."""
    markets = ["real_time" if run in REAL_TIME_RUNS else "day_ahead" for run in runs.to_list()]
    return pl.Series("market", markets, dtype=pl.String)


def _what(payload: FetchedPayload, feed_name: str) -> str:
    query = parse_qs(urlsplit(payload.url).query).get("queryname", [feed_name])[0]
    return f"CAISO OASIS {query} ({payload.url})"


def _rows(payloads: Sequence[FetchedPayload], feed_name: str, build) -> pl.DataFrame:
    if not payloads:
        raise PayloadError(f"CAISO OASIS {feed_name}: no payload")
    frames = []
    for index, payload in enumerate(payloads):
        what = _what(payload, feed_name)
        table = read_report(payload.body, what)
        frame = build(table, what)
        frames.append(frame.with_columns(payload_index=pl.lit(index, dtype=pl.Int64)))
    return pl.concat(frames, how="vertical")


def parse_lmp(payloads: Sequence[FetchedPayload], day: dt.date | None = None) -> pl.DataFrame:
    """`PRC_LMP` / `PRC_INTVL_LMP` -> interval_start_utc, interval_end_utc, node, market,
    market_run, lmp_component (LMP, MCE, MCC, MCL, MGHG), price_usd_per_mwh."""

    def build(table: pl.DataFrame, what: str) -> pl.DataFrame:
        if "node" not in table.columns and "resource" in table.columns:
            table = table.rename({"resource": "node"})
        if "lmp_type" not in table.columns:  # XML: the component is the data item
            table = table.with_columns(
                lmp_type=pl.col("data_item").replace_strict(
                    _XML_LMP_COMPONENTS, default=None, return_dtype=pl.String
                )
            )
        out = _base(
            table, what, {"node": "node", "market_run": "market_run", "lmp_type": "lmp_component"}
        )
        out["market"] = _market(out["market_run"])
        out["price_usd_per_mwh"] = numbers(table["value"].to_list(), what, "price", nullable=False)
        frame = pl.DataFrame(out)
        keys = ["market_run", "node", "lmp_component", "interval_start_utc"]
        return distinct_sorted(frame, keys, what).select(
            "interval_start_utc",
            "interval_end_utc",
            "node",
            "market",
            "market_run",
            "lmp_component",
            "price_usd_per_mwh",
        )

    return _rows(payloads, "lmp", build)


def parse_as_prices(payloads: Sequence[FetchedPayload], day: dt.date | None = None) -> pl.DataFrame:
    """`PRC_AS` -> interval_start_utc, interval_end_utc, as_region, as_type, market, market_run,
    price_usd_per_mwh ($ per MW of capacity for the hour)."""

    def build(table: pl.DataFrame, what: str) -> pl.DataFrame:
        out = _base(
            table,
            what,
            {"as_region": "as_region", "as_type": "as_type", "market_run": "market_run"},
        )
        out["market"] = _market(out["market_run"])
        out["price_usd_per_mwh"] = numbers(table["value"].to_list(), what, "price", nullable=False)
        frame = pl.DataFrame(out)
        keys = ["market_run", "as_region", "as_type", "interval_start_utc"]
        return distinct_sorted(frame, keys, what).select(
            "interval_start_utc",
            "interval_end_utc",
            "as_region",
            "as_type",
            "market",
            "market_run",
            "price_usd_per_mwh",
        )

    return _rows(payloads, "as_prices", build)


def parse_load_forecast(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """`SLD_FCST` -> interval_start_utc, interval_end_utc, tac_area, market_run, data_item
    (SYS_FCST_7DA_MW, ..._DA_MW, ..._15MIN_MW, ..._5MIN_MW), load_mw; every market run kept."""

    def build(table: pl.DataFrame, what: str) -> pl.DataFrame:
        if "tac_area" not in table.columns and "resource" in table.columns:
            table = table.rename({"resource": "tac_area"})
        out = _base(
            table,
            what,
            {"tac_area": "tac_area", "market_run": "market_run", "data_item": "data_item"},
        )
        out["load_mw"] = numbers(table["value"].to_list(), what, "MW", nullable=False)
        frame = pl.DataFrame(out)
        keys = ["tac_area", "market_run", "data_item", "interval_start_utc"]
        return distinct_sorted(frame, keys, what).select(
            "interval_start_utc",
            "interval_end_utc",
            "tac_area",
            "market_run",
            "data_item",
            "load_mw",
        )

    return _rows(payloads, "load_forecast", build)


def parse_renewable_forecast(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """`SLD_REN_FCST` -> interval_start_utc, interval_end_utc, trading_hub, fuel (solar, wind),
    market_run, data_item, generation_mw."""

    def build(table: pl.DataFrame, what: str) -> pl.DataFrame:
        out = _base(
            table,
            what,
            {
                "trading_hub": "trading_hub",
                "renewable_type": "fuel",
                "market_run": "market_run",
                "data_item": "data_item",
            },
        )
        out["fuel"] = out["fuel"].str.to_lowercase()
        out["generation_mw"] = numbers(table["value"].to_list(), what, "MW", nullable=False)
        frame = pl.DataFrame(out)
        keys = ["trading_hub", "fuel", "market_run", "data_item", "interval_start_utc"]
        return distinct_sorted(frame, keys, what).select(
            "interval_start_utc",
            "interval_end_utc",
            "trading_hub",
            "fuel",
            "market_run",
            "data_item",
            "generation_mw",
        )

    return _rows(payloads, "renewable_forecast", build)


def parse_schedules(payloads: Sequence[FetchedPayload], day: dt.date | None = None) -> pl.DataFrame:
    """`ENE_SLRS` -> interval_start_utc, interval_end_utc, resource, market_run, data_item
    (ISO_TOT_GEN_MW, ISO_TOT_IMP_MW, ISO_TOT_EXP_MW, ...), schedule_mw."""

    def build(table: pl.DataFrame, what: str) -> pl.DataFrame:
        if "resource" not in table.columns and "tac_area" in table.columns:
            table = table.rename({"tac_area": "resource"})
        out = _base(
            table,
            what,
            {"resource": "resource", "market_run": "market_run", "data_item": "data_item"},
        )
        out["schedule_mw"] = numbers(table["value"].to_list(), what, "MW", nullable=False)
        frame = pl.DataFrame(out)
        keys = ["resource", "market_run", "data_item", "interval_start_utc"]
        return distinct_sorted(frame, keys, what).select(
            "interval_start_utc",
            "interval_end_utc",
            "resource",
            "market_run",
            "data_item",
            "schedule_mw",
        )

    return _rows(payloads, "schedules", build)


# --- feeds (the provider seam: energy_assets/sources/feeds.py) --------------------------------


def _fetch(feed_name: str):
    def fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
        # one request per market run, each waiting its turn (MIN_INTERVAL_S) in the client
        return [source.client.get(PROVIDER, url) for url in feed_urls(feed_name, region, day)]

    return fetch


def _request_key(feed_name: str):
    def key(region: Region, day: dt.date) -> str:
        return feed_urls(feed_name, region, day)[0]

    return key


_PARSERS = {
    "lmp_day_ahead": (parse_lmp, schemas.CaisoOasisLmp, "price_usd_per_mwh"),
    "lmp_real_time": (parse_lmp, schemas.CaisoOasisLmp, "price_usd_per_mwh"),
    "as_prices": (parse_as_prices, schemas.CaisoOasisAsPrice, "price_usd_per_mwh"),
    "load_forecast": (parse_load_forecast, schemas.CaisoOasisLoadForecast, "load_mw"),
    "renewable_forecast": (
        parse_renewable_forecast,
        schemas.CaisoOasisRenewableForecast,
        "generation_mw",
    ),
    "schedules": (parse_schedules, schemas.CaisoOasisSchedules, "schedule_mw"),
}

_DESCRIPTIONS = {
    "lmp_day_ahead": "CAISO OASIS PRC_LMP, day-ahead market: hourly LMP and its energy,"
    " congestion, loss and GHG components at the trading hubs and DLAPs, $/MWh.",
    "lmp_real_time": "CAISO OASIS PRC_INTVL_LMP, real-time market: 5-minute LMP and components"
    " at the trading hubs and DLAPs, $/MWh.",
    "as_prices": "CAISO OASIS PRC_AS, day-ahead ancillary-service prices by AS region and type.",
    "load_forecast": "CAISO OASIS SLD_FCST: load forecast by TAC area for every market run"
    " (7-day, 2-day, day-ahead, real-time 15- and 5-minute), MW; each vintage kept.",
    "renewable_forecast": "CAISO OASIS SLD_REN_FCST: solar and wind forecasts by trading hub and"
    " market run, MW.",
    "schedules": "CAISO OASIS ENE_SLRS: day-ahead system load and resource schedules (total"
    " generation, imports, exports), MW.",
}

# first market days OASIS serves for these reports (its retention reaches back to 2009-04)
FIRST_DATE = "2009-04-01"


def _feeds() -> tuple[Feed, ...]:
    return tuple(
        Feed(
            provider=REGISTRY_NAME,
            name=name,
            description=_DESCRIPTIONS[name],
            schema=schema,
            first_date=FIRST_DATE,
            request_key=_request_key(name),
            fetch=_fetch(name),
            parse=parse,
            expected_rows=None,  # long rows: series x intervals (the contract counts intervals)
            completeness_columns=value,
        )
        for name, (parse, schema, value) in _PARSERS.items()
    )


FEEDS = _feeds()
