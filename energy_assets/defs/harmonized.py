"""harmonized/*: one schema for every region: hourly UTC intervals, MW, gCO2/kWh.

Which raw feeds feed which region is in the region registry; today the grid tables are built
from CAISO Today's Outlook (`harmonize/caiso.py`), the carbon intensity from the fuel mix
(`harmonize/carbon.py`, factors documented there).
"""

import dagster as dg
import polars as pl

from energy_assets.defs.ranges import RANGE_POLICY, per_region_day
from energy_assets.defs.raw import CAISO_OUTLOOK_PARTITIONS, CAISO_OUTLOOK_REGIONS
from energy_assets.defs.validation import (
    PARTITION_EXPR,
    check_specs,
    completeness_result,
    validated_output,
)
from energy_assets.harmonize import caiso as caiso_harmonize
from energy_assets.harmonize.carbon import METHOD, carbon_intensity_from_mix
from energy_assets.partitions import partition_keys
from energy_assets.regions import region
from energy_assets.schemas import harmonized as schemas

GRID_REGIONS = CAISO_OUTLOOK_REGIONS
GRID_PARTITIONS = CAISO_OUTLOOK_PARTITIONS

_GRID_KEY = dg.AssetKey(["harmonized", "grid_hourly"])
_CARBON_KEY = dg.AssetKey(["harmonized", "carbon_intensity"])
_OPERATOR_KEY = dg.AssetKey(["harmonized", "operator_load_forecast"])


def _hour_completeness(frame: pl.DataFrame, coverage_column: str) -> dg.AssetCheckResult:
    full = frame.filter(pl.col(coverage_column) >= 1.0).height
    partial = frame.filter((pl.col(coverage_column) > 0) & (pl.col(coverage_column) < 1)).height
    return completeness_result(
        frame.height, full, "hours", {"partial_hours": partial, "coverage_column": coverage_column}
    )


@dg.asset(
    key=_GRID_KEY,
    group_name="harmonized",
    partitions_def=GRID_PARTITIONS,
    ins={
        "demand": dg.AssetIn(key=["raw", "caiso_outlook_demand"]),
        "fuel_mix": dg.AssetIn(key=["raw", "caiso_outlook_fuel_mix"]),
    },
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_GRID_KEY, completeness=True),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def grid_hourly(context: dg.AssetExecutionContext, demand: pl.DataFrame, fuel_mix: pl.DataFrame):
    """Hourly system demand and generation by fuel (MW, hourly mean = MWh), every hour of the
    local market day in UTC (23/24/25 rows), with the share of 5-minute readings behind each hour
    (`demand_coverage`, `fuel_mix_coverage`). Missing hours stay visible as coverage 0."""
    rd = partition_keys(context)
    frame = caiso_harmonize.grid_hourly(
        rd.region, rd.market_date, region(rd.region).timezone, demand, fuel_mix
    )
    yield from validated_output(context, frame, schemas.GridHourly)
    yield _hour_completeness(frame, "demand_coverage")


@dg.asset(
    key=_CARBON_KEY,
    group_name="harmonized",
    partitions_def=GRID_PARTITIONS,
    ins={"grid": dg.AssetIn(key=_GRID_KEY)},
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_CARBON_KEY),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def carbon_intensity(context: dg.AssetExecutionContext, grid: pl.DataFrame):
    """Hourly carbon intensity of supply in gCO2eq/kWh, from the fuel mix with lifecycle emission
    factors (IPCC AR5 medians); imports at CARB's unspecified-power factor (428 g/kWh); batteries
    excluded. See `energy_assets/harmonize/carbon.py` for the table."""
    frame = carbon_intensity_from_mix(grid)
    mean = frame["carbon_gco2_per_kwh"].mean()
    yield from validated_output(
        context,
        frame,
        schemas.CarbonIntensity,
        {"method": METHOD, "mean_gco2_per_kwh": round(mean, 1) if mean is not None else None},
    )


@dg.asset(
    key=_OPERATOR_KEY,
    group_name="harmonized",
    partitions_def=GRID_PARTITIONS,
    ins={"demand": dg.AssetIn(key=["raw", "caiso_outlook_demand"])},
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_OPERATOR_KEY),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def operator_load_forecast(context: dg.AssetExecutionContext, demand: pl.DataFrame):
    """The operator's own day-ahead hourly load forecast (MW) with `issued_at_utc`. CAISO's
    history files carry no issue time; it is set to D-1 10:00 Pacific, the day-ahead market
    close, the latest it can have been issued."""
    rd = partition_keys(context)
    frame = caiso_harmonize.operator_load_forecast(
        rd.region, rd.market_date, region(rd.region).timezone, demand
    )
    yield from validated_output(context, frame, schemas.OperatorLoadForecast)
