"""The ISOs' own feeds (`registry.ISO_PROVIDERS`) in one shape: hourly LMPs and every operator
forecast vintage. Pure functions on the raw rows (as stored by `defs/raw.py`); no Dagster.

`lmp_hourly`: one row per hour x market (`day_ahead`, `real_time`) x node: the ISO's total LMP
(PJM `total_lmp`, SPP and CAISO `LMP`, NYISO `LBMP`; the components stay in the raw tables).
Prices of shorter intervals (the real-time markets' 5-minute ones) are AVERAGED to the hour,
never summed: a price is a rate (USD/MWh), so the hour's price is the mean of its intervals'
(`intervals` says how many were behind it: 12 for a whole 5-minute hour).

`operator_forecasts`: one row per hour x forecast series x vintage: `forecast_kind` (load,
wind, solar), the ISO's `area` (zone, hub, region; `system` for a system-wide forecast),
`measure` (which of the report's series: `load` / `net_load` for ISO-NE, the data item for
CAISO, the report column for ERCOT, `btm` for PJM's behind-the-meter solar), and the vintage:
`issued_at_utc` where the payload states when it was issued, else `vintage` (CAISO OASIS: the
market run, 7DA / 2DA / DAM / RTM; NYISO isolf: the day the file was posted for). Forecasts of
shorter intervals (CAISO's 15- and 5-minute runs) are averaged to the hour (MW: mean power).
Actuals that share a forecast report (ERCOT's `GEN`) are left out.

Which day a partition holds is the raw feed's: the hours of the market day for feeds that are
asked for by the day forecast (CAISO OASIS, ISO-NE load, PJM), every hour a forecast covers for
feeds partitioned by the day it was issued or posted (ISO-NE wind/solar, ERCOT, NYISO isolf,
MISO): `FORECAST_FEEDS` says which (`by_issue_day`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

UTC = pl.Datetime("us", "UTC")
CURRENCY = "USD"


@dataclass(frozen=True)
class PriceFeed:
    provider: str
    feed: str
    total_component: str  # the lmp_component value of the total LMP, as the ISO names it


PRICE_FEEDS: tuple[PriceFeed, ...] = (
    PriceFeed("caiso_oasis", "lmp_day_ahead", "LMP"),
    PriceFeed("caiso_oasis", "lmp_real_time", "LMP"),
    PriceFeed("pjm", "lmp_day_ahead", "total_lmp"),
    PriceFeed("pjm", "lmp_real_time", "total_lmp"),
    PriceFeed("nyiso", "lmp_day_ahead", "LBMP"),
    PriceFeed("nyiso", "lmp_real_time", "LBMP"),
    PriceFeed("spp", "lmp_day_ahead", "LMP"),
    PriceFeed("spp", "lmp_real_time", "LMP"),
)


def _const(value: str | None) -> pl.Expr:
    return pl.lit(value, dtype=pl.String)


@dataclass(frozen=True)
class ForecastFeed:
    provider: str
    feed: str
    by_issue_day: bool  # partitioned by the day it was issued/posted (its rows: all it covers)
    # raw rows -> forecast_kind, area, measure, issued_at_utc, vintage, interval_start_utc, mw
    select: Callable[[pl.DataFrame], pl.DataFrame]


def _long(frame: pl.DataFrame, **exprs: pl.Expr) -> pl.DataFrame:
    defaults = {
        "issued_at_utc": pl.lit(None, dtype=UTC),
        "vintage": _const(None),
        "measure": _const(None),
        "area": _const("system"),
    }
    columns = {**defaults, **exprs}
    return frame.select(
        columns["forecast_kind"].cast(pl.String).alias("forecast_kind"),
        columns["area"].cast(pl.String).alias("area"),
        columns["measure"].cast(pl.String).alias("measure"),
        columns["issued_at_utc"].cast(UTC).alias("issued_at_utc"),
        columns["vintage"].cast(pl.String).alias("vintage"),
        pl.col("interval_start_utc"),
        columns["mw"].cast(pl.Float64).alias("mw"),
    )


def _isone_load(frame: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(
        [
            _long(
                frame,
                forecast_kind=_const("load"),
                measure=_const(measure),
                issued_at_utc=pl.col("issued_at_utc"),
                mw=pl.col(column),
            )
            for measure, column in (("load", "load_mw"), ("net_load", "net_load_mw"))
        ]
    )


def _pjm_renewables(frame: pl.DataFrame) -> pl.DataFrame:
    parts = [
        _long(
            frame,
            forecast_kind=pl.col("fuel"),
            measure=_const("total"),
            issued_at_utc=pl.col("issued_at_utc"),
            mw=pl.col("generation_mw"),
        ),
        _long(
            frame.filter(pl.col("btm_generation_mw").is_not_null()),
            forecast_kind=pl.col("fuel"),
            measure=_const("btm"),
            issued_at_utc=pl.col("issued_at_utc"),
            mw=pl.col("btm_generation_mw"),
        ),
    ]
    return pl.concat(parts)


def _ercot_renewables(kind: str) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def select(frame: pl.DataFrame) -> pl.DataFrame:
        forecasts = frame.filter(~pl.col("measure").str.starts_with("GEN"))  # GEN: actuals
        return _long(
            forecasts,
            forecast_kind=_const(kind),
            area=pl.col("area"),
            measure=pl.col("measure"),
            issued_at_utc=pl.col("issued_at_utc"),
            mw=pl.col("generation_mw"),
        )

    return select


def _neso_demand(frame: pl.DataFrame) -> pl.DataFrame:
    """NESO's national demand forecast: one value per cardinal point (`measure`), the vintage
    its days ahead (and forecasting point, where published)."""
    vintage = pl.lit("D-") + pl.col("days_ahead").cast(pl.String)
    return _long(
        frame,
        forecast_kind=_const("load"),
        area=_const("national"),
        measure=pl.lit("cardinal_point ") + pl.col("cardinal_point"),
        issued_at_utc=pl.col("issued_at_utc"),
        vintage=pl.when(pl.col("forecast_point").is_null())
        .then(vintage)
        .otherwise(vintage + pl.lit(" ") + pl.col("forecast_point")),
        mw=pl.col("forecast_demand_mw"),
    )


FORECAST_FEEDS: tuple[ForecastFeed, ...] = (
    ForecastFeed(
        "caiso_oasis",
        "load_forecast",
        False,
        lambda f: _long(
            f,
            forecast_kind=_const("load"),
            area=pl.col("tac_area"),
            measure=pl.col("data_item"),
            vintage=pl.col("market_run"),
            mw=pl.col("load_mw"),
        ),
    ),
    ForecastFeed(
        "caiso_oasis",
        "renewable_forecast",
        False,
        lambda f: _long(
            f,
            forecast_kind=pl.col("fuel"),
            area=pl.col("trading_hub"),
            measure=pl.col("data_item"),
            vintage=pl.col("market_run"),
            mw=pl.col("generation_mw"),
        ),
    ),
    ForecastFeed("isone", "load_forecast", False, _isone_load),
    ForecastFeed(
        "isone",
        "regional_load_forecast",
        False,
        lambda f: _long(
            f,
            forecast_kind=_const("load"),
            area=pl.col("reliability_region"),
            measure=_const("load"),
            issued_at_utc=pl.col("issued_at_utc"),
            mw=pl.col("load_mw"),
        ),
    ),
    ForecastFeed(
        "isone",
        "wind_solar_forecast",
        True,
        lambda f: _long(
            f,
            forecast_kind=pl.col("fuel"),
            issued_at_utc=pl.col("issued_at_utc"),
            mw=pl.col("generation_mw"),
        ),
    ),
    ForecastFeed(
        "pjm",
        "load_forecast",
        False,
        lambda f: _long(
            f,
            forecast_kind=_const("load"),
            area=pl.col("forecast_area"),
            issued_at_utc=pl.col("issued_at_utc"),
            mw=pl.col("load_mw"),
        ),
    ),
    ForecastFeed("pjm", "renewable_forecast", False, _pjm_renewables),
    ForecastFeed(
        "ercot",
        "load_forecast",
        True,
        lambda f: _long(
            f,
            forecast_kind=_const("load"),
            area=pl.col("forecast_zone"),
            issued_at_utc=pl.col("issued_at_utc"),
            mw=pl.col("load_mw"),
        ),
    ),
    ForecastFeed("ercot", "wind_forecast", True, _ercot_renewables("wind")),
    ForecastFeed("ercot", "solar_forecast", True, _ercot_renewables("solar")),
    ForecastFeed(
        "nyiso",
        "load_forecast",
        True,
        lambda f: _long(
            f,
            forecast_kind=_const("load"),
            area=pl.col("zone"),
            vintage=pl.lit("isolf posted for ") + pl.col("market_date").cast(pl.String),
            mw=pl.col("load_mw"),
        ),
    ),
    ForecastFeed(
        "miso",
        "wind_solar_forecast",
        True,
        lambda f: _long(
            f,
            forecast_kind=pl.col("fuel"),
            issued_at_utc=pl.col("issued_at_utc"),
            mw=pl.col("generation_mw"),
        ),
    ),
    # GB: NESO's demand forecasts at cardinal points (not hourly: each point's window start,
    # truncated to its hour; the point is the `measure`), partitioned by the target day
    ForecastFeed("neso_forecasts", "day_ahead_demand_forecast", False, _neso_demand),
    ForecastFeed("neso_forecasts", "demand_forecast_2_14_day", False, _neso_demand),
)


def price_feeds_of(provider: str) -> list[PriceFeed]:
    return [f for f in PRICE_FEEDS if f.provider == provider]


def forecast_feeds_of(provider: str) -> list[ForecastFeed]:
    return [f for f in FORECAST_FEEDS if f.provider == provider]


def _hour() -> pl.Expr:
    return pl.col("interval_start_utc").dt.truncate("1h").alias("interval_start_utc")


def _provenance(region: str, day: dt.date, provider: str, feed: str) -> list[pl.Expr]:
    return [
        pl.lit(region, dtype=pl.String).alias("region"),
        pl.lit(day, dtype=pl.Date).alias("market_date"),
        pl.lit(provider, dtype=pl.String).alias("provider"),
        pl.lit(f"raw/{provider}_{feed}", dtype=pl.String).alias("source_feed"),
    ]


_LMP_SCHEMA = {
    "region": pl.String,
    "market_date": pl.Date,
    "interval_start_utc": UTC,
    "market": pl.String,
    "node": pl.String,
    "price_usd_per_mwh": pl.Float64,
    "currency": pl.String,
    "intervals": pl.Int64,
    "provider": pl.String,
    "source_feed": pl.String,
}

LMP_COLUMNS = (
    "region",
    "market_date",
    "interval_start_utc",
    "market",
    "node",
    "price_usd_per_mwh",
    "currency",
    "intervals",
    "provider",
    "source_feed",
)


def lmp_hourly(
    region: str, day: dt.date, raw: Mapping[tuple[str, str], pl.DataFrame]
) -> pl.DataFrame:
    """The hourly total LMP per market and node from the raw LMP tables stored for the day
    (`raw[(provider, feed)]`, the feeds of `PRICE_FEEDS`; absent ones are skipped)."""
    frames = []
    for spec in PRICE_FEEDS:
        rows = raw.get((spec.provider, spec.feed))
        if rows is None or rows.is_empty():
            continue
        total = rows.filter(pl.col("lmp_component") == spec.total_component)
        hourly = (
            total.group_by("market", "node", _hour())
            .agg(
                pl.col("price_usd_per_mwh").mean().alias("price_usd_per_mwh"),
                pl.col("price_usd_per_mwh").count().cast(pl.Int64).alias("intervals"),
            )
            .with_columns(
                *_provenance(region, day, spec.provider, spec.feed),
                currency=pl.lit(CURRENCY, dtype=pl.String),
            )
        )
        frames.append(hourly.select(LMP_COLUMNS))
    if not frames:
        return pl.DataFrame(schema=_LMP_SCHEMA)
    return pl.concat(frames).sort("market", "node", "interval_start_utc")


FORECAST_KEYS = (
    "provider",
    "source_feed",
    "forecast_kind",
    "area",
    "measure",
    "issued_at_utc",
    "vintage",
)
FORECAST_COLUMNS = (
    "region",
    "market_date",
    "interval_start_utc",
    "forecast_kind",
    "area",
    "measure",
    "issued_at_utc",
    "vintage",
    "mw",
    "intervals",
    "provider",
    "source_feed",
)


def operator_forecasts(
    region: str, day: dt.date, raw: Mapping[tuple[str, str], pl.DataFrame]
) -> pl.DataFrame:
    """Every operator forecast vintage in the raw forecast tables stored for the partition
    (`raw[(provider, feed)]`, the feeds of `FORECAST_FEEDS`), hourly MW."""
    frames = []
    for spec in FORECAST_FEEDS:
        rows = raw.get((spec.provider, spec.feed))
        if rows is None or rows.is_empty():
            continue
        long = spec.select(rows).with_columns(*_provenance(region, day, spec.provider, spec.feed))
        hourly = long.group_by(*[k for k in FORECAST_KEYS], "region", "market_date", _hour()).agg(
            pl.col("mw").mean().alias("mw"),
            pl.col("mw").count().cast(pl.Int64).alias("intervals"),
        )
        frames.append(hourly.select(FORECAST_COLUMNS))
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(FORECAST_COLUMNS, pl.String))
    return pl.concat(frames).sort(
        "provider",
        "forecast_kind",
        "area",
        "measure",
        "issued_at_utc",
        "vintage",
        "interval_start_utc",
        nulls_last=True,
    )


def lmp_series_completeness(frame: pl.DataFrame, hours: int) -> tuple[int, int]:
    """(series with every hour of the day, series) over market x node."""
    if frame.is_empty():
        return 0, 0
    per = frame.group_by("market", "node").agg(n=pl.col("interval_start_utc").n_unique())
    return per.filter(pl.col("n") >= hours).height, per.height
