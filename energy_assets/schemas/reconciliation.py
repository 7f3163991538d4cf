"""Reconciliation tables: one quantity as two providers publish it, hour by hour."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp


def _eia_minus_other(data: pa.PolarsData, difference: str, eia: str, other: str) -> pl.LazyFrame:
    """Each row's `difference` is `eia - other` (to 1e-6), null where either side is."""
    expected = pl.col(eia) - pl.col(other)
    return data.lazyframe.select(
        pl.when(expected.is_null())
        .then(pl.col(difference).is_null())
        .otherwise((pl.col(difference) - expected).abs() < 1e-6)
    )


class _HourlyReconciliation(pa.DataFrameModel):
    """A region's UTC hours of one market day, one row each."""

    region: str
    market_date: pl.Date
    interval_start_utc: UtcTimestamp

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = True


class DemandReconciliation(_HourlyReconciliation):
    """System demand from CAISO's Today's Outlook (hourly mean of its 5-minute readings) beside
    EIA-930's hourly demand for the same UTC hour (`harmonize/reconcile.py`). Every hour of the
    market day; an hour missing on either side keeps its difference null."""

    outlook_demand_mw: pl.Float64 = pa.Field(nullable=True, ge=0, le=100_000)
    outlook_coverage: pl.Float64 = pa.Field(ge=0, le=1)
    # as EIA published it (raw/eia930_region_data's bounds): disagreement is what is reported
    eia_demand_mw: pl.Float64 = pa.Field(nullable=True, ge=-100_000, le=1_000_000)
    difference_mw: pl.Float64 = pa.Field(nullable=True)
    difference_pct: pl.Float64 = pa.Field(nullable=True)

    @pa.dataframe_check(
        error="difference_mw must be eia_demand_mw - outlook_demand_mw, null where a side is"
    )
    def difference_is_eia_minus_outlook(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _eia_minus_other(data, "difference_mw", "eia_demand_mw", "outlook_demand_mw")


class CarbonReconciliation(_HourlyReconciliation):
    """CAISO's carbon intensity from its Today's Outlook fuel mix beside the same from EIA-930's
    hourly generation by fuel, both by the graph's factor tables, production-based
    (`harmonize/reconcile.carbon_reconciliation`). Every hour of the market day; an hour one
    side lacks keeps its difference null."""

    outlook_carbon_direct_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    eia_carbon_direct_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    outlook_carbon_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    eia_carbon_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_500)
    outlook_coverage: pl.Float64 = pa.Field(ge=0, le=1)
    eia_coverage: pl.Float64 = pa.Field(ge=0, le=1)
    difference_direct_gco2_per_kwh: pl.Float64 = pa.Field(nullable=True)
    difference_direct_pct: pl.Float64 = pa.Field(nullable=True)

    @pa.dataframe_check(
        error="difference_direct_gco2_per_kwh must be EIA's direct intensity minus the Outlook's, null"
        " where a side is"
    )
    def difference_is_eia_minus_outlook(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _eia_minus_other(
            data,
            "difference_direct_gco2_per_kwh",
            "eia_carbon_direct_gco2_per_kwh",
            "outlook_carbon_direct_gco2_per_kwh",
        )


class IsoDemandReconciliation(_HourlyReconciliation):
    """System demand from the ISO's own feed (`harmonized/iso_grid_hourly`'s hourly mean)
    beside EIA-930's hourly demand for the same UTC hour
    (`harmonize/reconcile.iso_demand_reconciliation`). Every hour of the market day; an hour
    missing on either side keeps its difference null."""

    provider: str
    iso_demand_mw: pl.Float64 = pa.Field(nullable=True, ge=0, le=1_000_000)
    iso_demand_coverage: pl.Float64 = pa.Field(ge=0, le=1)
    eia_demand_mw: pl.Float64 = pa.Field(nullable=True, ge=-100_000, le=1_000_000)
    difference_mw: pl.Float64 = pa.Field(nullable=True)
    difference_pct: pl.Float64 = pa.Field(nullable=True)

    @pa.dataframe_check(
        error="difference_mw must be eia_demand_mw - iso_demand_mw, null where a side is"
    )
    def difference_is_eia_minus_iso(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _eia_minus_other(data, "difference_mw", "eia_demand_mw", "iso_demand_mw")
