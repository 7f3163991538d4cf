"""Harmonized tables: one schema for every region, hourly UTC intervals, MW and gCO2/kWh."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp

_GEN = {"nullable": True, "ge": -60_000, "le": 400_000}


class GridHourly(pa.DataFrameModel):
    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    demand_mw: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_000_000)
    solar_mw: pl.Float64 = pa.Field(**_GEN)
    wind_mw: pl.Float64 = pa.Field(**_GEN)
    hydro_mw: pl.Float64 = pa.Field(**_GEN)
    nuclear_mw: pl.Float64 = pa.Field(**_GEN)
    natural_gas_mw: pl.Float64 = pa.Field(**_GEN)
    coal_mw: pl.Float64 = pa.Field(**_GEN)
    oil_mw: pl.Float64 = pa.Field(**_GEN)
    geothermal_mw: pl.Float64 = pa.Field(**_GEN)
    biomass_mw: pl.Float64 = pa.Field(**_GEN)
    batteries_mw: pl.Float64 = pa.Field(**_GEN)
    other_mw: pl.Float64 = pa.Field(**_GEN)
    net_imports_mw: pl.Float64 = pa.Field(**_GEN)
    demand_coverage: pl.Float64 = pa.Field(ge=0, le=1)
    fuel_mix_coverage: pl.Float64 = pa.Field(ge=0, le=1)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True


class CarbonIntensity(pa.DataFrameModel):
    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    carbon_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    carbon_direct_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    supply_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    imports_share: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)
    coverage: pl.Float64 = pa.Field(ge=0, le=1)
    # the operator's own published intensity (GB: the Carbon Intensity API), null elsewhere
    published_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    published_forecast_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    published_coverage: pl.Float64 = pa.Field(ge=0, le=1)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True


class OperatorLoadForecast(pa.DataFrameModel):
    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    # null only in the rows of a region-day no operator forecast serves (provider "none")
    forecast_demand_mw: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_000_000)
    issued_at_utc: UtcTimestamp
    provider: str

    class Config:
        unique = ["region", "interval_start_utc", "issued_at_utc"]
        strict = True

    @pa.dataframe_check(error="a null forecast only where no operator forecast serves the day")
    def null_only_without_provider(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("forecast_demand_mw").is_not_null() | (pl.col("provider") == "none")
        )

    @pa.dataframe_check(error="issued_at_utc must precede the forecast interval")
    def issued_before_interval(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("issued_at_utc") < pl.col("interval_start_utc"))


class WeatherHourly(pa.DataFrameModel):
    """Day-ahead weather forecast averaged over the region, one row per hour of the market day."""

    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    temperature_c: pl.Float64 = pa.Field(nullable=True, ge=-80, le=65)
    dewpoint_c: pl.Float64 = pa.Field(nullable=True, ge=-90, le=45)
    wind_speed_m_per_s: pl.Float64 = pa.Field(nullable=True, ge=0, le=80)
    shortwave_radiation_w_per_m2: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    precipitation_mm_per_h: pl.Float64 = pa.Field(nullable=True, ge=0, le=200)
    coverage: pl.Float64 = pa.Field(ge=0, le=1)
    provider: str

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True
