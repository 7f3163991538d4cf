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
