"""Reconciliation tables: one quantity as two providers publish it, hour by hour."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp


class DemandReconciliation(pa.DataFrameModel):
    """System demand from CAISO's Today's Outlook (hourly mean of its 5-minute readings) beside
    EIA-930's hourly demand for the same UTC hour (`harmonize/reconcile.py`). Every hour of the
    market day; an hour missing on either side keeps its difference null."""

    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    outlook_demand_mw: pl.Float64 = pa.Field(nullable=True, ge=0, le=100_000)
    outlook_coverage: pl.Float64 = pa.Field(ge=0, le=1)
    # as EIA published it (raw/eia930_region_data's bounds): disagreement is what is reported
    eia_demand_mw: pl.Float64 = pa.Field(nullable=True, ge=-100_000, le=1_000_000)
    difference_mw: pl.Float64 = pa.Field(nullable=True)
    difference_pct: pl.Float64 = pa.Field(nullable=True)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True

    @pa.dataframe_check(
        error="difference_mw must be eia_demand_mw - outlook_demand_mw, null where a side is"
    )
    def difference_is_eia_minus_outlook(cls, data: pa.PolarsData) -> pl.LazyFrame:
        expected = pl.col("eia_demand_mw") - pl.col("outlook_demand_mw")
        return data.lazyframe.select(
            pl.when(expected.is_null())
            .then(pl.col("difference_mw").is_null())
            .otherwise((pl.col("difference_mw") - expected).abs() < 1e-6)
        )


class CarbonReconciliation(pa.DataFrameModel):
    """CAISO's carbon intensity from its Today's Outlook fuel mix beside the same from EIA-930's
    hourly generation by fuel, both by the graph's factor tables, production-based
    (`harmonize/reconcile.carbon_reconciliation`). Every hour of the market day; an hour one
    side lacks keeps its difference null."""

    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    outlook_carbon_direct_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    eia_carbon_direct_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    outlook_carbon_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    eia_carbon_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    outlook_coverage: pl.Float64 = pa.Field(ge=0, le=1)
    eia_coverage: pl.Float64 = pa.Field(ge=0, le=1)
    difference_direct_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True)
    difference_direct_pct: pl.Float64 = pa.Field(nullable=True)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True

    @pa.dataframe_check(
        error="difference_direct_gco2_per_kwh must be EIA's direct intensity minus the Outlook's, null"
        " where a side is"
    )
    def difference_is_eia_minus_outlook(cls, data: pa.PolarsData) -> pl.LazyFrame:
        expected = pl.col("eia_carbon_direct_gco2_per_kwh") - pl.col(
            "outlook_carbon_direct_gco2_per_kwh"
        )
        return data.lazyframe.select(
            pl.when(expected.is_null())
            .then(pl.col("difference_direct_gco2_per_kwh").is_null())
            .otherwise((pl.col("difference_direct_gco2_per_kwh") - expected).abs() < 1e-6)
        )


class IsoDemandReconciliation(pa.DataFrameModel):
    """System demand from the ISO's own feed (`harmonized/iso_grid_hourly`'s hourly mean)
    beside EIA-930's hourly demand for the same UTC hour
    (`harmonize/reconcile.iso_demand_reconciliation`). Every hour of the market day; an hour
    missing on either side keeps its difference null."""

    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp
    provider: str
    iso_demand_mw: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_000_000)
    iso_demand_coverage: pl.Float64 = pa.Field(ge=0, le=1)
    eia_demand_mw: pl.Float64 = pa.Field(nullable=True, ge=-100_000, le=1_000_000)
    difference_mw: pl.Float64 = pa.Field(nullable=True)
    difference_pct: pl.Float64 = pa.Field(nullable=True)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True

    @pa.dataframe_check(
        error="difference_mw must be eia_demand_mw - iso_demand_mw, null where a side is"
    )
    def difference_is_eia_minus_iso(cls, data: pa.PolarsData) -> pl.LazyFrame:
        expected = pl.col("eia_demand_mw") - pl.col("iso_demand_mw")
        return data.lazyframe.select(
            pl.when(expected.is_null())
            .then(pl.col("difference_mw").is_null())
            .otherwise((pl.col("difference_mw") - expected).abs() < 1e-6)
        )
