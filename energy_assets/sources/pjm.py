"""PJM Data Miner 2 (JSON): LMPs, generation by fuel, load forecast vintages, solar and wind
forecast vintages, transmission-constraint shadow prices.

Live: `https://api.pjm.com/api/v1/<feed>?rowCount=50000&startRow=1&fields=...&<time filter>`,
the key in the `Ocp-Apim-Subscription-Key` header from `PJM_API_KEY` (the run's keys, else the
environment; never in a URL, recording or message). A 401 says to set it. Non-members may
make 6 requests a minute: the HTTP client spaces PJM requests 10 s apart
(`http_client.DEFAULT_MIN_INTERVAL_S["pjm"]`). A market day is asked for by its Eastern
prevailing-time range (`datetime_beginning_ept=MM/DD/YYYY 00:00toMM/DD/YYYY 23:59`, which
holds 23 or 25 hours on DST days); a longer answer is paged (`totalRows` against the rows
received, `startRow` moved on by `rowCount`).

Feeds:

- `lmp_day_ahead` (`da_hrl_lmps`, one request per node type, `ZONE` and `HUB`) and
  `lmp_real_time` (`rt_fivemin_hrl_lmps`, 5-minute; the recorded `rt_unverified_fivemin_lmps`
  answer has the same shape): long, one row per interval x node x LMP component
  (`total_lmp`, `system_energy_price`, `congestion_price`, `marginal_loss_price`, as PJM names
  them without the `_da`/`_rt` suffix), `price_usd_per_mwh`, `node` (pnode name), `node_id`,
  `node_type` (null where the feed does not say), `market`.
- `fuel_mix` (`gen_by_fuel`): hourly `generation_mw` by `fuel` (PJM's fuel types).
- `load_forecast` (`load_frcstd_7_day`): every vintage, `issued_at_utc` from
  `evaluated_at_datetime_utc`, by `forecast_area`, `load_mw`. Data Miner keeps only the
  current week of this feed: history needs our own archive.
- `renewable_forecast` (`hourly_solar_power_forecast` and `hourly_wind_power_forecast`):
  every vintage (`issued_at_utc` from `evaluated_at_utc`), `fuel` solar / wind,
  `generation_mw` (PJM's MWh in the hour = mean MW), `btm_generation_mw` (solar behind the
  meter; null for wind).
- `shadow_prices_day_ahead` / `shadow_prices_real_time` (`da_marginal_value`,
  `rt_marginal_value`): `shadow_price_usd_per_mwh` by monitored and contingency facility;
  `congestion_events_day_ahead` (`da_transconstraints`): the binding events, start and end.

Time: PJM writes `*_utc` fields as UTC without an offset (`2024-10-01T04:00:00`) and `*_ept`
fields in Eastern prevailing time, also without one (ambiguous in the fall-back hour); only the
`_utc` fields are read. Parsers accept the Data Miner object (`{"items": [...], "totalRows":
N}`), a bare list of rows (the file export) and a gzip-compressed body of either.
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import iso_raw as schemas
from energy_assets.sources.errors import FetchError, PayloadError
from energy_assets.sources.feeds import Feed, FeedSource
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.iso_common import (
    credential,
    distinct_sorted,
    load_json,
    naive_utc_instants,
    numbers,
    require_body,
    require_fields,
)

PROVIDER = "pjm"
BASE_URL = "https://api.pjm.com/api/v1"
KEY_ENV = "PJM_API_KEY"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
ROW_COUNT = 50_000
FIRST_DATE = "2018-01-01"

LMP_COMPONENTS = ("total_lmp", "system_energy_price", "congestion_price", "marginal_loss_price")


# --- URLs -------------------------------------------------------------------------------------


def ept_range(day: dt.date) -> str:
    """The market day as Data Miner's EPT range filter."""
    return f"{day:%m/%d/%Y} 00:00to{day:%m/%d/%Y} 23:59"


def data_miner_url(
    feed: str,
    fields: Sequence[str],
    filters: Sequence[tuple[str, str]],
    start_row: int = 1,
    row_count: int = ROW_COUNT,
) -> str:
    params = [
        ("rowCount", str(row_count)),
        ("startRow", str(start_row)),
        ("fields", ",".join(fields)),
        *filters,
    ]
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params)
    return f"{BASE_URL}/{feed}?{query}"


_LMP_FIELDS = {
    "da_hrl_lmps": (
        "datetime_beginning_utc",
        "pnode_id",
        "pnode_name",
        "type",
        *(f"{c}_da" for c in LMP_COMPONENTS),
    ),
    "rt_fivemin_hrl_lmps": (
        "datetime_beginning_utc",
        "pnode_id",
        "pnode_name",
        "type",
        *(f"{c}_rt" for c in LMP_COMPONENTS),
    ),
}

_FUEL_MIX_FIELDS = ("datetime_beginning_utc", "fuel_type", "mw")
_LOAD_FORECAST_FIELDS = (
    "evaluated_at_datetime_utc",
    "forecast_datetime_beginning_utc",
    "forecast_area",
    "forecast_load_mw",
)
_SHADOW_PRICE_FIELDS = (
    "datetime_beginning_utc",
    "datetime_ending_utc",
    "monitored_facility",
    "contingency_facility",
    "shadow_price",
)
_CONGESTION_EVENT_FIELDS = (
    "datetime_beginning_utc",
    "datetime_ending_utc",
    "day_ahead_congestion_event",
    "monitored_facility",
    "contingency_facility",
)

# feed name -> the first page URL of each request serving a day
REQUESTS: Mapping[str, Callable[[dt.date], list[str]]] = {
    "lmp_day_ahead": lambda day: [
        data_miner_url(
            "da_hrl_lmps",
            _LMP_FIELDS["da_hrl_lmps"],
            [("datetime_beginning_ept", ept_range(day)), ("type", kind)],
        )
        for kind in ("ZONE", "HUB")
    ],
    "lmp_real_time": lambda day: [
        data_miner_url(
            "rt_fivemin_hrl_lmps",
            _LMP_FIELDS["rt_fivemin_hrl_lmps"],
            [("datetime_beginning_ept", ept_range(day)), ("type", kind)],
        )
        for kind in ("ZONE", "HUB")
    ],
    "fuel_mix": lambda day: [
        data_miner_url(
            "gen_by_fuel",
            _FUEL_MIX_FIELDS,
            [("datetime_beginning_ept", ept_range(day))],
        )
    ],
    "load_forecast": lambda day: [
        data_miner_url(
            "load_frcstd_7_day",
            _LOAD_FORECAST_FIELDS,
            [("forecast_datetime_beginning_ept", ept_range(day))],
        )
    ],
    "renewable_forecast": lambda day: [
        data_miner_url(
            f"hourly_{fuel}_power_forecast",
            ("evaluated_at_utc", "datetime_beginning_utc", *columns),
            [("datetime_beginning_ept", ept_range(day))],
        )
        for fuel, columns in (
            ("solar", ("solar_forecast_mwh", "solar_forecast_btm_mwh")),
            ("wind", ("wind_forecast_mwh",)),
        )
    ],
    "shadow_prices_day_ahead": lambda day: [
        data_miner_url(
            "da_marginal_value",
            _SHADOW_PRICE_FIELDS,
            [("datetime_beginning_ept", ept_range(day))],
        )
    ],
    "congestion_events_day_ahead": lambda day: [
        data_miner_url(
            "da_transconstraints",
            _CONGESTION_EVENT_FIELDS,
            [("datetime_beginning_ept", ept_range(day))],
        )
    ],
    "shadow_prices_real_time": lambda day: [
        data_miner_url(
            "rt_marginal_value",
            _SHADOW_PRICE_FIELDS,
            [("datetime_beginning_ept", ept_range(day))],
        )
    ],
}


# --- fetching ---------------------------------------------------------------------------------


def get(source: FeedSource, url: str) -> FetchedPayload:
    """One GET with the key in its header; a 401 says to set `PJM_API_KEY` (or that PJM
    refused it)."""
    key = credential(source, KEY_ENV)
    headers = {"Accept": "application/json", **({KEY_HEADER: key} if key else {})}
    try:
        return source.client.get(PROVIDER, url, headers=headers)
    except FetchError as error:
        if error.status != 401:
            raise
        reason = (
            f"PJM Data Miner 2 refused the key in {KEY_ENV}"
            if key
            else f"PJM Data Miner 2 needs an API key: set {KEY_ENV} (none given)"
        )
        raise FetchError(error.provider, error.url, reason, 401) from None


def _pages(source: FeedSource, first_url: str) -> list[FetchedPayload]:
    """Every page of one request: more while `totalRows` exceeds the rows received."""
    pages = [get(source, first_url)]
    received = _page_rows(pages[0])
    total = _total_rows(pages[0])
    start = 1
    while total is not None and received < total:
        start += ROW_COUNT
        url = first_url.replace("startRow=1&", f"startRow={start}&", 1)
        pages.append(get(source, url))
        got = _page_rows(pages[-1])
        if got == 0:
            break
        received += got
    return pages


def _page_rows(page: FetchedPayload) -> int:
    try:
        return len(_items(page.body, "PJM"))
    except PayloadError:
        return 0  # the parse names the fault


def _total_rows(page: FetchedPayload) -> int | None:
    try:
        document = load_json(page.body, "PJM")
    except PayloadError:
        return None
    total = document.get("totalRows") if isinstance(document, Mapping) else None
    return total if isinstance(total, int) else None


def _fetch(feed_name: str):
    def fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
        return [page for url in REQUESTS[feed_name](day) for page in _pages(source, url)]

    return fetch


# --- parsing ----------------------------------------------------------------------------------


def _items(body: bytes, what: str) -> list[dict]:
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError) as exc:
            raise PayloadError(f"{what}: damaged gzip body ({exc}; truncated?)") from None
    require_body(body, what, "JSON")
    document = load_json(body, what)
    if isinstance(document, Mapping):
        if "items" not in document:
            raise PayloadError(f"{what}: no 'items' in the answer (found {sorted(document)[:10]})")
        items = document["items"]
        total = document.get("totalRows")
    else:
        items, total = document, None
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise PayloadError(f"{what}: items are not a list of objects")
    if not items:
        raise PayloadError(f"{what}: no rows (totalRows {total}); no data for the request")
    return items


def _each(payloads: Sequence[FetchedPayload], build) -> pl.DataFrame:
    if not payloads:
        raise PayloadError("PJM: no payload")
    frames = []
    for index, payload in enumerate(payloads):
        what = f"PJM {payload.url.split('?')[0].rsplit('/', 1)[-1]} ({payload.url})"
        frame = build(_items(payload.body, what), what)
        frames.append(frame.with_columns(payload_index=pl.lit(index, dtype=pl.Int64)))
    return pl.concat(frames, how="vertical")


def _strings(rows: Sequence[Mapping], field: str) -> pl.Series:
    return pl.Series(
        field, [None if r.get(field) is None else str(r[field]) for r in rows], dtype=pl.String
    )


def _instants(rows: Sequence[Mapping], field: str, what: str) -> pl.Series:
    """`field` of every row: UTC instants written without an offset."""
    return naive_utc_instants([r[field] for r in rows], what, field)


def _interval(rows: Sequence[Mapping], what: str) -> dict[str, pl.Series]:
    """interval_start_utc and interval_end_utc from `datetime_beginning_utc` and
    `datetime_ending_utc`."""
    return {
        "interval_start_utc": _instants(rows, "datetime_beginning_utc", what),
        "interval_end_utc": _instants(rows, "datetime_ending_utc", what),
    }


def _constant(value: str, rows: Sequence[Mapping]) -> pl.Series:
    """`value` on every row."""
    return pl.Series([value] * len(rows), dtype=pl.String)


def parse_lmp(payloads: Sequence[FetchedPayload], day: dt.date | None = None) -> pl.DataFrame:
    """da_hrl_lmps / rt_fivemin_hrl_lmps / rt_unverified_fivemin_lmps -> interval_start_utc,
    node, node_id, node_type, market, lmp_component, price_usd_per_mwh (long)."""

    def build(rows: list[dict], what: str) -> pl.DataFrame:
        require_fields(rows, ("datetime_beginning_utc", "pnode_id", "pnode_name"), what)
        suffix = next(
            (s for s in ("_da", "_rt") if any(f"total_lmp{s}" in r for r in rows[:1])), None
        )
        if suffix is None:
            raise PayloadError(
                f"{what}: neither total_lmp_da nor total_lmp_rt (has {sorted(rows[0])})"
            )
        market = "day_ahead" if suffix == "_da" else "real_time"
        base = {
            "interval_start_utc": _instants(rows, "datetime_beginning_utc", what),
            "node": _strings(rows, "pnode_name"),
            "node_id": _strings(rows, "pnode_id"),
            "node_type": _strings(rows, "type"),
        }
        frames = []
        for component in LMP_COMPONENTS:
            field = f"{component}{suffix}"
            if not any(field in r for r in rows):
                continue
            frames.append(
                pl.DataFrame(
                    {
                        **base,
                        "market": _constant(market, rows),
                        "lmp_component": _constant(component, rows),
                        "price_usd_per_mwh": numbers(
                            [r.get(field) for r in rows], what, field, nullable=False
                        ),
                    }
                )
            )
        frame = pl.concat(frames)
        keys = ["node_id", "lmp_component", "interval_start_utc"]
        return distinct_sorted(frame, keys, what)

    return _each(payloads, build)


def parse_fuel_mix(payloads: Sequence[FetchedPayload], day: dt.date | None = None) -> pl.DataFrame:
    """gen_by_fuel -> interval_start_utc, fuel, generation_mw."""

    def build(rows: list[dict], what: str) -> pl.DataFrame:
        require_fields(rows, _FUEL_MIX_FIELDS, what)
        frame = pl.DataFrame(
            {
                "interval_start_utc": _instants(rows, "datetime_beginning_utc", what),
                "fuel": _strings(rows, "fuel_type"),
                "generation_mw": numbers([r["mw"] for r in rows], what, "mw"),
            }
        )
        return distinct_sorted(frame, ["fuel", "interval_start_utc"], what)

    return _each(payloads, build)


def parse_load_forecast(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """load_frcstd_7_day -> interval_start_utc, issued_at_utc, forecast_area, load_mw."""

    def build(rows: list[dict], what: str) -> pl.DataFrame:
        require_fields(rows, _LOAD_FORECAST_FIELDS, what)
        frame = pl.DataFrame(
            {
                "interval_start_utc": _instants(rows, "forecast_datetime_beginning_utc", what),
                "issued_at_utc": _instants(rows, "evaluated_at_datetime_utc", what),
                "forecast_area": _strings(rows, "forecast_area"),
                "load_mw": numbers([r["forecast_load_mw"] for r in rows], what, "forecast_load_mw"),
            }
        )
        keys = ["forecast_area", "issued_at_utc", "interval_start_utc"]
        return distinct_sorted(frame, keys, what)

    return _each(payloads, build)


def parse_renewable_forecast(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """hourly_solar_power_forecast / hourly_wind_power_forecast -> interval_start_utc,
    issued_at_utc, fuel, generation_mw, btm_generation_mw (solar only)."""

    def build(rows: list[dict], what: str) -> pl.DataFrame:
        require_fields(rows, ("evaluated_at_utc", "datetime_beginning_utc"), what)
        fuel = next((f for f in ("solar", "wind") if f"{f}_forecast_mwh" in rows[0]), None)
        if fuel is None:
            raise PayloadError(
                f"{what}: neither solar_ nor wind_forecast_mwh (has {sorted(rows[0])})"
            )
        require_fields(rows, (f"{fuel}_forecast_mwh",), what)
        frame = pl.DataFrame(
            {
                "interval_start_utc": _instants(rows, "datetime_beginning_utc", what),
                "issued_at_utc": _instants(rows, "evaluated_at_utc", what),
                "fuel": _constant(fuel, rows),
                "generation_mw": numbers(
                    [r[f"{fuel}_forecast_mwh"] for r in rows], what, f"{fuel}_forecast_mwh"
                ),
                "btm_generation_mw": numbers(
                    [r.get(f"{fuel}_forecast_btm_mwh") for r in rows], what, "btm"
                ),
            }
        )
        return distinct_sorted(frame, ["fuel", "issued_at_utc", "interval_start_utc"], what)

    return _each(payloads, build)


def parse_shadow_prices(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """da_marginal_value / rt_marginal_value -> interval_start_utc, interval_end_utc,
    monitored_facility, contingency_facility, shadow_price_usd_per_mwh."""

    def build(rows: list[dict], what: str) -> pl.DataFrame:
        require_fields(rows, _SHADOW_PRICE_FIELDS, what)
        frame = pl.DataFrame(
            {
                **_interval(rows, what),
                "monitored_facility": _strings(rows, "monitored_facility"),
                "contingency_facility": _strings(rows, "contingency_facility"),
                "shadow_price_usd_per_mwh": numbers(
                    [r["shadow_price"] for r in rows], what, "shadow_price", nullable=False
                ),
            }
        )
        keys = ["monitored_facility", "contingency_facility", "interval_start_utc"]
        return distinct_sorted(frame, keys, what)

    return _each(payloads, build)


def parse_congestion_events(
    payloads: Sequence[FetchedPayload], day: dt.date | None = None
) -> pl.DataFrame:
    """da_transconstraints -> interval_start_utc, interval_end_utc, congestion_event,
    monitored_facility, contingency_facility: one row per binding event (an event spans hours;
    PJM's `duration` is the span in hours, end minus start, so it is not kept)."""

    def build(rows: list[dict], what: str) -> pl.DataFrame:
        require_fields(rows, _CONGESTION_EVENT_FIELDS, what)
        frame = pl.DataFrame(
            {
                **_interval(rows, what),
                "congestion_event": _strings(rows, "day_ahead_congestion_event"),
                "monitored_facility": _strings(rows, "monitored_facility"),
                "contingency_facility": _strings(rows, "contingency_facility"),
            }
        )
        if (frame["interval_end_utc"] <= frame["interval_start_utc"]).any():
            raise PayloadError(f"{what}: an event ends before it starts")
        keys = [
            "congestion_event",
            "monitored_facility",
            "contingency_facility",
            "interval_start_utc",
        ]
        return distinct_sorted(frame, keys, what)

    return _each(payloads, build)


# --- feeds (the provider seam: energy_assets/sources/feeds.py) --------------------------------

_FEEDS = {
    "lmp_day_ahead": (
        parse_lmp,
        schemas.PjmLmp,
        "price_usd_per_mwh",
        "PJM Data Miner 2 da_hrl_lmps: hourly day-ahead LMP and components at every zone and"
        " hub, $/MWh.",
    ),
    "lmp_real_time": (
        parse_lmp,
        schemas.PjmLmp,
        "price_usd_per_mwh",
        "PJM Data Miner 2 rt_fivemin_hrl_lmps: 5-minute real-time LMP and components at every"
        " zone and hub, $/MWh.",
    ),
    "fuel_mix": (
        parse_fuel_mix,
        schemas.PjmFuelMix,
        "generation_mw",
        "PJM Data Miner 2 gen_by_fuel: hourly generation by fuel type, MW.",
    ),
    "load_forecast": (
        parse_load_forecast,
        schemas.PjmLoadForecast,
        "load_mw",
        "PJM Data Miner 2 load_frcstd_7_day: every vintage of the 7-day hourly load forecast by"
        " forecast area, MW, issued_at_utc from its evaluation time.",
    ),
    "renewable_forecast": (
        parse_renewable_forecast,
        schemas.PjmRenewableForecast,
        "generation_mw",
        "PJM Data Miner 2 hourly solar and wind power forecasts: every vintage, MW (solar also"
        " behind the meter).",
    ),
    "shadow_prices_day_ahead": (
        parse_shadow_prices,
        schemas.PjmShadowPrice,
        "shadow_price_usd_per_mwh",
        "PJM Data Miner 2 da_marginal_value: day-ahead transmission-constraint shadow prices.",
    ),
    "shadow_prices_real_time": (
        parse_shadow_prices,
        schemas.PjmShadowPrice,
        "shadow_price_usd_per_mwh",
        "PJM Data Miner 2 rt_marginal_value: real-time 5-minute transmission-constraint shadow"
        " prices.",
    ),
    "congestion_events_day_ahead": (
        parse_congestion_events,
        schemas.PjmCongestionEvent,
        "congestion_event",
        "PJM Data Miner 2 da_transconstraints: day-ahead binding transmission constraints, one"
        " row per event with its start and end.",
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
            request_key=lambda region, day, name=name: REQUESTS[name](day)[0],
            fetch=_fetch(name),
            parse=parse,
            completeness_columns=value,
        )
        for name, (parse, schema, value, description) in _FEEDS.items()
    )


FEEDS = _feeds()
