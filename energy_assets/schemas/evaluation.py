"""Forecast evaluation tables."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl


class LoadForecastScore(pa.DataFrameModel):
    """Per region, market day and forecaster, scored on the same hours for every forecaster."""

    region: str
    market_date: pl.Date
    forecaster: str = pa.Field(
        isin=["energy_assets_p50", "operator_day_ahead", "seasonal_naive_7d"]
    )
    hours: pl.Int64 = pa.Field(ge=0, le=25)
    mae_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    mape_pct: pl.Float64 = pa.Field(nullable=True, ge=0)
    abs_error_sum_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    abs_pct_error_sum: pl.Float64 = pa.Field(nullable=True, ge=0)
    pinball_p10_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    pinball_p90_mw: pl.Float64 = pa.Field(nullable=True, ge=0)
    p10_p90_coverage: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)

    class Config:
        unique = ["region", "market_date", "forecaster"]
        strict = True


class DispatchValue(pa.DataFrameModel):
    """Per region, market day and schedule: what the schedule was worth once actuals were in."""

    region: str
    market_date: pl.Date
    schedule: str = pa.Field(isin=["household_load_shift", "vpp_fleet_dispatch"])
    baseline_co2_kg: pl.Float64 = pa.Field(ge=0)
    planned_co2_kg: pl.Float64 = pa.Field(ge=0)
    realized_co2_kg: pl.Float64 = pa.Field(ge=0)
    perfect_foresight_co2_kg: pl.Float64 = pa.Field(nullable=True, ge=0)
    regret_co2_kg: pl.Float64 = pa.Field(nullable=True)
    realized_saving_pct: pl.Float64 = pa.Field(nullable=True)
    baseline_cost_usd: pl.Float64 = pa.Field(nullable=True)
    realized_cost_usd: pl.Float64 = pa.Field(nullable=True)

    class Config:
        unique = ["region", "market_date", "schedule"]
        strict = True
