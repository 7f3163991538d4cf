"""Harmonized tables of the ISOs' own feeds (`defs/iso.py`, `harmonize/iso.py`): hourly LMPs
per market and node, and every operator forecast vintage, hourly, in one shape for every ISO."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp
from energy_assets.schemas.harmonized import GridHourly

_MARKETS = ["day_ahead", "real_time"]


class LmpHourly(pa.DataFrameModel):
    """`harmonized/lmp_hourly`: the ISO's total LMP per hour, market and node, USD/MWh (the
    real-time 5-minute prices averaged to the hour)."""

    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    market: str = pa.Field(isin=_MARKETS)
    node: str
    price_usd_per_mwh: pl.Float64 = pa.Field(nullable=True, ge=-10_000, le=20_000)
    currency: str = pa.Field(isin=["USD"])
    intervals: pl.Int64 = pa.Field(ge=0, le=60)
    provider: str
    source_feed: str

    class Config:
        unique = ["region", "provider", "market", "node", "interval_start_utc"]
        strict = True


class OperatorForecasts(pa.DataFrameModel):
    """`harmonized/operator_forecasts`: every load, wind and solar forecast vintage an ISO
    publishes, hourly MW, with `issued_at_utc` where the payload states it, `vintage` otherwise."""

    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    forecast_kind: str = pa.Field(isin=["load", "wind", "solar"])
    area: str
    measure: str = pa.Field(nullable=True)
    issued_at_utc: UtcTimestamp = pa.Field(nullable=True)
    vintage: str = pa.Field(nullable=True)
    mw: pl.Float64 = pa.Field(nullable=True, ge=-100_000, le=1_000_000)
    intervals: pl.Int64 = pa.Field(ge=0, le=60)
    provider: str
    source_feed: str

    class Config:
        unique = [
            "region",
            "provider",
            "source_feed",
            "forecast_kind",
            "area",
            "measure",
            "issued_at_utc",
            "vintage",
            "interval_start_utc",
        ]
        strict = True

    @pa.dataframe_check(error="a row names neither its issue time nor its vintage")
    def issued_at_or_vintage(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("issued_at_utc").is_not_null() | pl.col("vintage").is_not_null()
        )


class IsoGridHourly(GridHourly):
    """`harmonized/iso_grid_hourly`: the ISO's own demand and generation by fuel, hourly MW, in
    `harmonized/grid_hourly`'s columns (`GridHourly`, inherited with its checks and Config;
    `harmonize/iso_grid.py`: the readings averaged to the UTC hour, the fuel mapping per
    provider), with the provider and the raw feeds behind it. Every hour of the market day; an
    hour without readings keeps null values and coverage 0."""

    provider: str
    demand_source_feed: str = pa.Field(nullable=True)
    fuel_mix_source_feed: str = pa.Field(nullable=True)
