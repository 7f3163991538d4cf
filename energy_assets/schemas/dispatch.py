"""Optimized schedule tables."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp


class HouseholdLoadShift(pa.DataFrameModel):
    """One row per appliance per 15-minute slot in which it runs, for the optimized plan and the
    run-at-earliest baseline (`plan`)."""

    region: str
    market_date: pl.Date
    plan: str = pa.Field(isin=["optimized", "baseline"])
    appliance: str
    interval_start_utc: UtcTimestamp
    power_kw: pl.Float64 = pa.Field(gt=0, le=100)
    energy_kwh: pl.Float64 = pa.Field(gt=0)
    carbon_forecast_gco2_per_kwh: pl.Float64 = pa.Field(ge=0, le=1_500)
    price_usd_per_kwh: pl.Float64 = pa.Field(ge=0)
    objective: str = pa.Field(isin=["carbon", "cost", "blend"])
    blend_weight_carbon: pl.Float64 = pa.Field(ge=0, le=1)

    class Config:
        unique = ["region", "plan", "appliance", "interval_start_utc"]
        strict = True


class VppFleetDispatch(pa.DataFrameModel):
    """One row per home per 15-minute slot: the battery schedule and the home's net import."""

    region: str
    market_date: pl.Date
    home_id: str
    interval_start_utc: UtcTimestamp
    load_kw: pl.Float64 = pa.Field(ge=0)
    pv_kw: pl.Float64 = pa.Field(ge=0)
    charge_kw: pl.Float64 = pa.Field(ge=0)
    discharge_kw: pl.Float64 = pa.Field(ge=0)
    soc_kwh: pl.Float64 = pa.Field(nullable=True, ge=0)
    net_import_kw: pl.Float64
    baseline_net_import_kw: pl.Float64
    carbon_forecast_gco2_per_kwh: pl.Float64 = pa.Field(ge=0, le=1_500)
    price_usd_per_kwh: pl.Float64
    objective: str = pa.Field(isin=["carbon", "cost"])
    fleet_seed: pl.Int64
    feeder_import_limit_kw: pl.Float64 = pa.Field(nullable=True, ge=0)
    feeder_export_limit_kw: pl.Float64 = pa.Field(nullable=True, ge=0)

    class Config:
        unique = ["region", "home_id", "interval_start_utc"]
        strict = True


class ComputeJobPlacement(pa.DataFrameModel):
    """One row per job: where and when it runs (optimized) and where it would have run now."""

    region: str
    market_date: pl.Date
    job_id: str
    placed_region: str
    start_utc: UtcTimestamp
    end_utc: UtcTimestamp
    delay_hours: pl.Int32 = pa.Field(ge=0)
    interruptible: bool
    power_kw: pl.Float64 = pa.Field(gt=0)
    energy_kwh: pl.Float64 = pa.Field(gt=0)
    co2_kg: pl.Float64 = pa.Field(ge=0)

    class Config:
        unique = ["region", "market_date", "job_id"]
        strict = True
