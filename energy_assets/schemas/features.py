"""Feature tables: horizon-safe model inputs, each row knowing when its inputs became available."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp

_CARBON = {"nullable": True, "ge": 0, "le": 1_500}
_SHARE = {"nullable": True, "ge": 0, "le": 1}
_RATIO = {"nullable": True, "ge": 0}
_FUEL_MW = {"nullable": True, "ge": 0}


class _DayAheadFeatures(pa.DataFrameModel):
    """Identifiers, calendar and the horizon-safety rule every feature table shares."""

    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    issued_at_utc: UtcTimestamp
    available_at_utc: UtcTimestamp
    hour_local: pl.Int8 = pa.Field(ge=0, le=23)
    weekday: pl.Int8 = pa.Field(ge=0, le=6)
    month: pl.Int8 = pa.Field(ge=1, le=12)
    hour_sin: pl.Float64 = pa.Field(ge=-1, le=1)
    hour_cos: pl.Float64 = pa.Field(ge=-1, le=1)
    doy_sin: pl.Float64 = pa.Field(ge=-1, le=1)
    doy_cos: pl.Float64 = pa.Field(ge=-1, le=1)
    is_weekend: pl.Int8 = pa.Field(isin=[0, 1])
    is_holiday: pl.Int8 = pa.Field(isin=[0, 1])
    lag_2d_mw: pl.Float64 = pa.Field(nullable=True, ge=0)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True

    @pa.dataframe_check(error="a feature input became available after the forecast issue time")
    def horizon_safe(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("available_at_utc") <= pl.col("issued_at_utc"))


class _WithWeather(_DayAheadFeatures):
    """The day-ahead weather forecast of the hour and its change from D-1's
    (`features/weather.py`), null where the region has no weather feed that day."""

    weather_temperature_c: pl.Float64 = pa.Field(nullable=True, ge=-80, le=65)
    weather_dewpoint_c: pl.Float64 = pa.Field(nullable=True, ge=-90, le=45)
    weather_wind_speed_m_per_s: pl.Float64 = pa.Field(nullable=True, ge=0, le=80)
    weather_shortwave_radiation_w_per_m2: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    weather_precipitation_mm_per_h: pl.Float64 = pa.Field(nullable=True, ge=0, le=200)
    weather_temperature_change_1d_c: pl.Float64 = pa.Field(nullable=True, ge=-100, le=100)
    weather_dewpoint_change_1d_c: pl.Float64 = pa.Field(nullable=True, ge=-100, le=100)
    weather_wind_speed_change_1d_m_per_s: pl.Float64 = pa.Field(nullable=True, ge=-80, le=80)
    weather_shortwave_radiation_change_1d_w_per_m2: pl.Float64 = pa.Field(
        nullable=True, ge=-1_500, le=1_500
    )
    weather_precipitation_change_1d_mm_per_h: pl.Float64 = pa.Field(nullable=True, ge=-200, le=200)


class LoadFeatures(_WithWeather):
    day_of_year: pl.Int16 = pa.Field(ge=1, le=366)
    operator_forecast_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    lag_3d_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    lag_7d_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    mean_7d_same_hour_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    daily_mean_2d_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    daily_max_2d_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    demand_to_operator_ratio_2d: pl.Float64 = pa.Field(**_RATIO)
    demand_to_operator_ratio_1d_known: pl.Float64 = pa.Field(**_RATIO)
    demand_to_operator_ratio_latest: pl.Float64 = pa.Field(**_RATIO)
    demand_to_operator_ratio_2d_same_hour: pl.Float64 = pa.Field(**_RATIO)
    lag_2d_to_operator_ratio: pl.Float64 = pa.Field(**_RATIO)
    lag_7d_to_operator_ratio: pl.Float64 = pa.Field(**_RATIO)
    mean_7d_same_hour_to_operator_ratio: pl.Float64 = pa.Field(**_RATIO)


class CarbonFeatures(_WithWeather):
    carbon_lag_1d_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_lag_2d_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_lag_7d_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_mean_7d_same_hour_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_mean_1d_known_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_daily_mean_2d_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    solar_wind_lag_2d_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    carbon_direct_lag_1d_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_direct_lag_2d_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_direct_lag_7d_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_direct_mean_7d_same_hour_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_direct_mean_1d_known_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_direct_daily_mean_2d_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_last_known_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    carbon_direct_last_known_gco2_per_kwh: pl.Float64 = pa.Field(**_CARBON)
    coal_share_lag_1d_fraction: pl.Float64 = pa.Field(**_SHARE)
    coal_share_last_known_fraction: pl.Float64 = pa.Field(**_SHARE)
    natural_gas_share_lag_1d_fraction: pl.Float64 = pa.Field(**_SHARE)
    natural_gas_share_last_known_fraction: pl.Float64 = pa.Field(**_SHARE)
    nuclear_share_lag_1d_fraction: pl.Float64 = pa.Field(**_SHARE)
    nuclear_share_last_known_fraction: pl.Float64 = pa.Field(**_SHARE)
    hydro_share_lag_1d_fraction: pl.Float64 = pa.Field(**_SHARE)
    hydro_share_last_known_fraction: pl.Float64 = pa.Field(**_SHARE)
    solar_share_lag_1d_fraction: pl.Float64 = pa.Field(**_SHARE)
    solar_share_last_known_fraction: pl.Float64 = pa.Field(**_SHARE)
    wind_share_lag_1d_fraction: pl.Float64 = pa.Field(**_SHARE)
    wind_share_last_known_fraction: pl.Float64 = pa.Field(**_SHARE)
    # each fuel's output (`features.carbon.FUEL_MW_COLUMNS`): what the fuel-mix member learns from
    solar_lag_1d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    solar_lag_2d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    solar_mean_1d_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    solar_last_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    wind_lag_1d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    wind_lag_2d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    wind_mean_1d_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    wind_last_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    hydro_lag_1d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    hydro_lag_2d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    hydro_mean_1d_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    hydro_last_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    nuclear_lag_1d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    nuclear_lag_2d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    nuclear_mean_1d_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    nuclear_last_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    natural_gas_lag_1d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    natural_gas_lag_2d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    natural_gas_mean_1d_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    natural_gas_last_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    coal_lag_1d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    coal_lag_2d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    coal_mean_1d_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    coal_last_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    oil_lag_1d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    oil_lag_2d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    oil_mean_1d_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    oil_last_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    geothermal_lag_1d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    geothermal_lag_2d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    geothermal_mean_1d_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    geothermal_last_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    biomass_lag_1d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    biomass_lag_2d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    biomass_mean_1d_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    biomass_last_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    other_lag_1d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    other_lag_2d_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    other_mean_1d_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    other_last_known_mw: pl.Float64 = pa.Field(**_FUEL_MW)
    # the operator's own published intensity (GB: the Carbon Intensity API's, its method), only
    # in the rows of a region whose carbon slice learns it (`Region.carbon_target`)
    published_lag_1d_gco2_per_kwh: pl.Float64 | None = pa.Field(**_CARBON)
    published_lag_2d_gco2_per_kwh: pl.Float64 | None = pa.Field(**_CARBON)
    published_lag_7d_gco2_per_kwh: pl.Float64 | None = pa.Field(**_CARBON)
    published_mean_7d_same_hour_gco2_per_kwh: pl.Float64 | None = pa.Field(**_CARBON)
    published_mean_1d_known_gco2_per_kwh: pl.Float64 | None = pa.Field(**_CARBON)
    published_daily_mean_2d_gco2_per_kwh: pl.Float64 | None = pa.Field(**_CARBON)
    published_last_known_gco2_per_kwh: pl.Float64 | None = pa.Field(**_CARBON)
