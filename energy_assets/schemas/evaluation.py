"""Forecast evaluation tables."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.evaluation import carbon_score
from energy_assets.evaluation.load_score import FORECASTERS

_NONNEG = {"nullable": True, "ge": 0}


class _DayScore(pa.DataFrameModel):
    """Per region, market day and forecaster, scored on the same hours for every forecaster.
    Means and the sums behind them (so days roll up exactly); quantile scores for our models.
    The unit-suffixed columns are the target's (`mae_mw`, `mae_gco2_per_kwh`)."""

    region: str
    market_date: pl.Date
    hours: pl.Int64 = pa.Field(ge=0, le=25)
    mape_pct: pl.Float64 = pa.Field(**_NONNEG)
    smape_pct: pl.Float64 = pa.Field(nullable=True, ge=0, le=200)
    rmae: pl.Float64 = pa.Field(**_NONNEG)
    abs_pct_error_sum: pl.Float64 = pa.Field(**_NONNEG)
    sym_pct_error_sum: pl.Float64 = pa.Field(**_NONNEG)
    hours_in_p10_p90: pl.Int64 = pa.Field(nullable=True, ge=0, le=25)
    p10_p90_coverage: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)

    class Config:
        unique = ["region", "market_date", "forecaster"]
        strict = True

    @pa.dataframe_check(error="every forecaster of a day is scored on the same hours")
    def same_hours(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("hours").n_unique().over("region", "market_date") == 1)


class LoadForecastScore(_DayScore):
    forecaster: str = pa.Field(isin=list(FORECASTERS))
    mae_mw: pl.Float64 = pa.Field(**_NONNEG)
    rmse_mw: pl.Float64 = pa.Field(**_NONNEG)
    abs_error_sum_mw: pl.Float64 = pa.Field(**_NONNEG)
    squared_error_sum_mw2: pl.Float64 = pa.Field(**_NONNEG)
    pinball_p10_sum_mw: pl.Float64 = pa.Field(**_NONNEG)
    pinball_p50_sum_mw: pl.Float64 = pa.Field(**_NONNEG)
    pinball_p90_sum_mw: pl.Float64 = pa.Field(**_NONNEG)


class CarbonForecastScore(_DayScore):
    forecaster: str = pa.Field(isin=list(carbon_score.FORECASTERS))
    mae_gco2_per_kwh: pl.Float64 = pa.Field(**_NONNEG)
    rmse_gco2_per_kwh: pl.Float64 = pa.Field(**_NONNEG)
    abs_error_sum_gco2_per_kwh: pl.Float64 = pa.Field(**_NONNEG)
    squared_error_sum_gco2_per_kwh_squared: pl.Float64 = pa.Field(**_NONNEG)
    pinball_p10_sum_gco2_per_kwh: pl.Float64 = pa.Field(**_NONNEG)
    pinball_p50_sum_gco2_per_kwh: pl.Float64 = pa.Field(**_NONNEG)
    pinball_p90_sum_gco2_per_kwh: pl.Float64 = pa.Field(**_NONNEG)


class _Report(pa.DataFrameModel):
    """Day scores rolled up per region and period (whole window, year, month) and forecaster,
    with one-sided Diebold-Mariano tests against the seasonal naive (and a second reference)."""

    region: str
    period: str
    period_kind: str = pa.Field(isin=["all", "year", "month"])
    days: pl.Int64 = pa.Field(gt=0)
    hours: pl.Int64 = pa.Field(gt=0)
    mape_pct: pl.Float64 = pa.Field(ge=0)
    smape_pct: pl.Float64 = pa.Field(ge=0, le=200)
    rmae: pl.Float64 = pa.Field(**_NONNEG)
    p10_p90_coverage: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)
    dm_stat_vs_naive: pl.Float64 = pa.Field(nullable=True)
    dm_p_value_vs_naive: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)

    class Config:
        unique = ["region", "period", "forecaster"]
        strict = True


class LoadForecastReport(_Report):
    """Load: the second reference is the operator's own day-ahead forecast."""

    forecaster: str = pa.Field(isin=list(FORECASTERS))
    mae_mw: pl.Float64 = pa.Field(ge=0)
    rmse_mw: pl.Float64 = pa.Field(ge=0)
    pinball_mean_mw: pl.Float64 = pa.Field(**_NONNEG)
    dm_stat_vs_operator: pl.Float64 = pa.Field(nullable=True)
    dm_p_value_vs_operator: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)


class CarbonForecastReport(_Report):
    """Carbon: the second reference is the seasonal profile."""

    forecaster: str = pa.Field(isin=list(carbon_score.FORECASTERS))
    mae_gco2_per_kwh: pl.Float64 = pa.Field(ge=0)
    rmse_gco2_per_kwh: pl.Float64 = pa.Field(ge=0)
    pinball_mean_gco2_per_kwh: pl.Float64 = pa.Field(**_NONNEG)
    dm_stat_vs_profile: pl.Float64 = pa.Field(nullable=True)
    dm_p_value_vs_profile: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)


class DispatchValue(pa.DataFrameModel):
    """Per region, market day and schedule: what the schedule was worth once actuals were in."""

    region: str
    market_date: pl.Date
    schedule: str = pa.Field(isin=["household_load_shift", "vpp_fleet_dispatch"])
    objective: str = pa.Field(isin=["carbon", "cost", "blend"])
    baseline_co2_kg: pl.Float64 = pa.Field(ge=0)
    planned_co2_kg: pl.Float64 = pa.Field(ge=0)
    realized_co2_kg: pl.Float64 = pa.Field(ge=0)
    perfect_foresight_co2_kg: pl.Float64 = pa.Field(nullable=True, ge=0)
    regret_co2_kg: pl.Float64 = pa.Field(nullable=True)
    realized_saving_pct: pl.Float64 = pa.Field(nullable=True)
    baseline_cost_usd: pl.Float64 = pa.Field(nullable=True)
    realized_cost_usd: pl.Float64 = pa.Field(nullable=True)
    perfect_foresight_cost_usd: pl.Float64 = pa.Field(nullable=True)
    regret_cost_usd: pl.Float64 = pa.Field(nullable=True)

    class Config:
        unique = ["region", "market_date", "schedule"]
        strict = True
