"""Raw tables: parsed rows in the provider's own terms, each row tied to its archived payload."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp


class RawProvenance(pa.DataFrameModel):
    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    payload_sha256: str = pa.Field(str_length=64)
    source_url: str
    fetched_at_utc: UtcTimestamp


class RawPayloadColumns(RawProvenance):
    local_clock: str


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


_EIA_MW = {"nullable": True, "ge": -100_000, "le": 1_000_000}


class Eia930RegionData(RawProvenance):
    """EIA-930 region data, hourly (MWh in the hour = mean MW): demand (D), the balancing
    authority's day-ahead demand forecast (DF), net generation (NG), total interchange (TI).
    The history files carry D and DF only (NG and TI null). Values as published: negative or
    implausible readings are kept here and judged by the harmonized layer's checks."""

    respondent: str
    demand_mw: pl.Float64 = pa.Field(**_EIA_MW)
    day_ahead_forecast_mw: pl.Float64 = pa.Field(**_EIA_MW)
    net_generation_mw: pl.Float64 = pa.Field(**_EIA_MW)
    total_interchange_mw: pl.Float64 = pa.Field(**_EIA_MW)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True


class Eia930FuelType(RawProvenance):
    """EIA-930 net generation by energy source, hourly MW (EIA codes mapped to names: COL coal,
    NG natural gas, NUC nuclear, OIL oil, WAT hydro, SUN solar, WND wind, GEO geothermal, BAT
    batteries, PS pumped storage, SNB solar with storage, WNB wind with storage, OES/UES other/unknown storage, OTH other,
    UNK unknown). A fuel the
    region does not publish is null. `published_direct_gco2_per_kwh`: the intensity the
    EIA-930 carbon data set (history files) states, null for the live API."""

    respondent: str
    coal_mw: pl.Float64 = pa.Field(**_EIA_MW)
    natural_gas_mw: pl.Float64 = pa.Field(**_EIA_MW)
    nuclear_mw: pl.Float64 = pa.Field(**_EIA_MW)
    oil_mw: pl.Float64 = pa.Field(**_EIA_MW)
    hydro_mw: pl.Float64 = pa.Field(**_EIA_MW)
    solar_mw: pl.Float64 = pa.Field(**_EIA_MW)
    wind_mw: pl.Float64 = pa.Field(**_EIA_MW)
    geothermal_mw: pl.Float64 = pa.Field(**_EIA_MW)
    biomass_mw: pl.Float64 = pa.Field(**_EIA_MW)
    batteries_mw: pl.Float64 = pa.Field(**_EIA_MW)
    pumped_storage_mw: pl.Float64 = pa.Field(**_EIA_MW)
    solar_with_storage_mw: pl.Float64 = pa.Field(**_EIA_MW)
    other_mw: pl.Float64 = pa.Field(**_EIA_MW)
    unknown_mw: pl.Float64 = pa.Field(**_EIA_MW)
    wind_with_storage_mw: pl.Float64 = pa.Field(**_EIA_MW)
    other_storage_mw: pl.Float64 = pa.Field(**_EIA_MW)
    unknown_storage_mw: pl.Float64 = pa.Field(**_EIA_MW)
    published_direct_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True


class WeatherForecast(RawProvenance):
    """Day-ahead weather forecast averaged over the region, hourly (GFS regional history files
    offline, Open-Meteo at the region's weather points live): 10 m wind speed, 2 m temperature
    and dew point in kelvin, downward shortwave radiation, precipitation rate."""

    wind_speed_m_per_s: pl.Float64 = pa.Field(nullable=True, ge=0, le=80)
    temperature_k: pl.Float64 = pa.Field(nullable=True, ge=190, le=340)
    dewpoint_k: pl.Float64 = pa.Field(nullable=True, ge=180, le=320)
    shortwave_radiation_w_per_m2: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    precipitation_kg_per_m2_per_h: pl.Float64 = pa.Field(nullable=True, ge=0, le=200)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True


_NESO_MW = {"nullable": True, "ge": -100_000, "le": 100_000}


class NesoDemand(RawProvenance):
    """NESO historic demand, one row per half-hour settlement period (MW averaged over the
    half-hour): national demand (ND), transmission system demand, England and Wales demand,
    embedded wind and solar generation and capacity, non-BM STOR, pumping, the interconnectors'
    net import (sum of the published flows, import positive). `settlement_date` is the GB local
    day, `settlement_period` 1..46/48/50 as published."""

    settlement_date: pl.Date
    settlement_period: pl.Int64 = pa.Field(ge=1, le=50)
    national_demand_mw: pl.Float64 = pa.Field(**_NESO_MW)
    transmission_system_demand_mw: pl.Float64 = pa.Field(**_NESO_MW)
    england_wales_demand_mw: pl.Float64 = pa.Field(**_NESO_MW)
    embedded_wind_generation_mw: pl.Float64 = pa.Field(**_NESO_MW)
    embedded_wind_capacity_mw: pl.Float64 = pa.Field(**_NESO_MW)
    embedded_solar_generation_mw: pl.Float64 = pa.Field(**_NESO_MW)
    embedded_solar_capacity_mw: pl.Float64 = pa.Field(**_NESO_MW)
    non_bm_stor_mw: pl.Float64 = pa.Field(**_NESO_MW)
    pump_storage_pumping_mw: pl.Float64 = pa.Field(**_NESO_MW)
    interconnector_net_import_mw: pl.Float64 = pa.Field(**_NESO_MW)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True


class NesoDemandForecast(RawProvenance):
    """NESO national demand forecasts (day-ahead, 2-14 days ahead), one row per target date x
    vintage (days ahead, forecasting point) x cardinal point: the point's UTC window
    (`interval_start_utc`..`interval_end_utc`), its type (F fixed, T trough, P peak) and the
    forecast national demand (MW). `issued_at_utc` is the documented conservative assumption of
    `sources/neso_forecasts.py` (the payload states no issue time)."""

    interval_end_utc: UtcTimestamp
    target_date: pl.Date
    days_ahead: pl.Int64 = pa.Field(ge=0, le=14)
    cardinal_point: str
    cp_type: str = pa.Field(nullable=True)
    forecast_point: str = pa.Field(nullable=True)
    issued_at_utc: UtcTimestamp
    forecast_demand_mw: pl.Float64 = pa.Field(ge=0, le=100_000)

    class Config:
        unique = ["region", "target_date", "days_ahead", "cardinal_point", "forecast_point"]
        strict = True


_GCO2 = {"nullable": True, "ge": 0, "le": 1_500}
_PCT = {"nullable": True, "ge": 0, "le": 100}


class UkCarbonIntensityNational(RawProvenance):
    """GB Carbon Intensity API, national, per half-hour: the API's stored forecast (its latest
    before the period, a short lead) and its actual (estimated from metered generation after
    the period), gCO2/kWh with the API's direct factors and imports counted; the index band."""

    forecast_gco2_per_kwh: pl.Float64 = pa.Field(**_GCO2)
    actual_gco2_per_kwh: pl.Float64 = pa.Field(**_GCO2)
    intensity_index: str = pa.Field(nullable=True)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True


class UkCarbonIntensityGenerationMix(RawProvenance):
    """GB Carbon Intensity API, national generation mix per half-hour: percent by fuel."""

    biomass_pct: pl.Float64 = pa.Field(**_PCT)
    coal_pct: pl.Float64 = pa.Field(**_PCT)
    imports_pct: pl.Float64 = pa.Field(**_PCT)
    gas_pct: pl.Float64 = pa.Field(**_PCT)
    nuclear_pct: pl.Float64 = pa.Field(**_PCT)
    other_pct: pl.Float64 = pa.Field(**_PCT)
    hydro_pct: pl.Float64 = pa.Field(**_PCT)
    solar_pct: pl.Float64 = pa.Field(**_PCT)
    wind_pct: pl.Float64 = pa.Field(**_PCT)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True


class UkCarbonIntensityRegional(UkCarbonIntensityGenerationMix):
    """GB Carbon Intensity API, regional, per DNO region and half-hour: the forecast intensity
    (gCO2/kWh), its index band and the generation mix (percent by fuel)."""

    dno_region_id: pl.Int64 = pa.Field(ge=1, le=18)
    dno_region: str = pa.Field(nullable=True)
    region_name: str = pa.Field(nullable=True)
    forecast_gco2_per_kwh: pl.Float64 = pa.Field(**_GCO2)
    intensity_index: str = pa.Field(nullable=True)

    class Config:
        unique = ["region", "interval_start_utc", "dno_region_id"]
        strict = True
