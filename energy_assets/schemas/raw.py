"""Raw tables: parsed rows in the provider's own terms, each row tied to its archived payload."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp


class RawPayloadColumns(pa.DataFrameModel):
    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    local_clock: str
    payload_sha256: str = pa.Field(str_length=64)
    source_url: str
    fetched_at_utc: UtcTimestamp


class CaisoOutlookDemand(RawPayloadColumns):
    """CAISO Today's Outlook demand.csv, 5-minute MW."""

    day_ahead_forecast_mw: pl.Float64 = pa.Field(nullable=True, ge=0, le=100_000)
    hour_ahead_forecast_mw: pl.Float64 = pa.Field(nullable=True, ge=0, le=100_000)
    demand_mw: pl.Float64 = pa.Field(nullable=True, ge=0, le=100_000)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True


_MW = {"nullable": True, "ge": -60_000, "le": 100_000}


class CaisoOutlookFuelMix(RawPayloadColumns):
    """CAISO Today's Outlook fuelsource.csv, 5-minute MW by fuel (negatives allowed: charging,
    exports, night-time solar metering)."""

    solar_mw: pl.Float64 = pa.Field(**_MW)
    wind_mw: pl.Float64 = pa.Field(**_MW)
    geothermal_mw: pl.Float64 = pa.Field(**_MW)
    biomass_mw: pl.Float64 = pa.Field(**_MW)
    biogas_mw: pl.Float64 = pa.Field(**_MW)
    small_hydro_mw: pl.Float64 = pa.Field(**_MW)
    coal_mw: pl.Float64 = pa.Field(**_MW)
    nuclear_mw: pl.Float64 = pa.Field(**_MW)
    natural_gas_mw: pl.Float64 = pa.Field(**_MW)
    large_hydro_mw: pl.Float64 = pa.Field(**_MW)
    batteries_mw: pl.Float64 = pa.Field(**_MW)
    imports_mw: pl.Float64 = pa.Field(**_MW)
    other_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True
