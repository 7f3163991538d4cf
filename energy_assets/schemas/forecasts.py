"""Day-ahead forecast tables: hourly P10/P50/P90 with the issue time and model version."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp


class _Forecast(pa.DataFrameModel):
    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    issued_at_utc: UtcTimestamp
    model_version: str

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True

    # at or before: the published carbon benchmarks' protocol issues at 00:00 UTC for the 24
    # hours from 00:00 (nothing of an hour has happened when it starts)
    @pa.dataframe_check(error="a day-ahead forecast must be issued by the start of its interval")
    def issued_before_interval(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("issued_at_utc") <= pl.col("interval_start_utc"))


class LoadDayAhead(_Forecast):
    demand_p10_mw: pl.Float64 = pa.Field(ge=0)
    demand_p50_mw: pl.Float64 = pa.Field(ge=0)
    demand_p90_mw: pl.Float64 = pa.Field(ge=0)

    @pa.dataframe_check(error="quantiles must be ordered P10 <= P50 <= P90")
    def ordered(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("demand_p10_mw") <= pl.col("demand_p50_mw"))
            & (pl.col("demand_p50_mw") <= pl.col("demand_p90_mw"))
        )


class CarbonDayAhead(_Forecast):
    carbon_p10_gco2_per_kwh: pl.Float64 = pa.Field(ge=0, le=1_500)
    carbon_p50_gco2_per_kwh: pl.Float64 = pa.Field(ge=0, le=1_500)
    carbon_p90_gco2_per_kwh: pl.Float64 = pa.Field(ge=0, le=1_500)
    history_days: pl.Int32 = pa.Field(gt=0)

    @pa.dataframe_check(error="quantiles must be ordered P10 <= P50 <= P90")
    def ordered(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("carbon_p10_gco2_per_kwh") <= pl.col("carbon_p50_gco2_per_kwh"))
            & (pl.col("carbon_p50_gco2_per_kwh") <= pl.col("carbon_p90_gco2_per_kwh"))
        )


class CarbonDirectDayAhead(_Forecast):
    carbon_direct_p10_gco2_per_kwh: pl.Float64 = pa.Field(ge=0, le=1_500)
    carbon_direct_p50_gco2_per_kwh: pl.Float64 = pa.Field(ge=0, le=1_500)
    carbon_direct_p90_gco2_per_kwh: pl.Float64 = pa.Field(ge=0, le=1_500)
    history_days: pl.Int32 = pa.Field(gt=0)

    @pa.dataframe_check(error="quantiles must be ordered P10 <= P50 <= P90")
    def ordered(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("carbon_direct_p10_gco2_per_kwh") <= pl.col("carbon_direct_p50_gco2_per_kwh"))
            & (pl.col("carbon_direct_p50_gco2_per_kwh") <= pl.col("carbon_direct_p90_gco2_per_kwh"))
        )
