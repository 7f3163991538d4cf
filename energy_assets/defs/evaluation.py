"""evaluation/*: forecast scores against what happened."""

import dagster as dg
import polars as pl

from energy_assets.defs.harmonized import GRID_REGIONS
from energy_assets.defs.models import DAY_AHEAD_PARTITIONS
from energy_assets.defs.validation import PARTITION_EXPR, check_specs, validated_output
from energy_assets.defs.warehouse import WAREHOUSE_POOL
from energy_assets.evaluation.dispatch_value import (
    dispatch_value_frame,
    fleet_value,
    hours_without_actual,
    household_value,
)
from energy_assets.evaluation.load_score import score_load_forecasts
from energy_assets.partitions import day_window_mapping, partition_keys
from energy_assets.regions import region
from energy_assets.schemas.evaluation import DispatchValue, LoadForecastScore

_KEY = dg.AssetKey(["evaluation", "load_forecast_score"])
_SAME_DAY = day_window_mapping(0, 0, GRID_REGIONS, GRID_REGIONS)


@dg.asset(
    key=_KEY,
    group_name="evaluation",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={
        "forecast": dg.AssetIn(key=["forecasts", "load_day_ahead"]),
        "actuals": dg.AssetIn(key=["harmonized", "grid_hourly"], partition_mapping=_SAME_DAY),
        "operator": dg.AssetIn(
            key=["harmonized", "operator_load_forecast"], partition_mapping=_SAME_DAY
        ),
        "features": dg.AssetIn(key=["features", "load_features"], partition_mapping=_SAME_DAY),
    },
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_KEY),
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "polars"},
)
def load_forecast_score(
    context: dg.AssetExecutionContext,
    forecast: pl.DataFrame,
    actuals: pl.DataFrame,
    operator: pl.DataFrame,
    features: pl.DataFrame,
):
    """MAE (MW) and MAPE (%) of our P50 day-ahead load forecast for market day D, beside the
    operator's own day-ahead forecast and the seasonal-naive forecast (same hour a week before),
    all on the same hours (complete actual hours where every forecaster has a value). Also
    pinball loss of P10/P90 and P10-P90 coverage. Sums are kept so days roll up exactly."""
    rd = partition_keys(context)
    frame = score_load_forecasts(rd.region, rd.market_date, forecast, actuals, operator, features)
    by = {r["forecaster"]: r for r in frame.iter_rows(named=True)}
    yield from validated_output(
        context,
        frame,
        LoadForecastScore,
        {
            "hours_scored": int(frame["hours"][0]),
            **{f"mape_pct_{k}": v["mape_pct"] for k, v in by.items()},
        },
    )


_VALUE_KEY = dg.AssetKey(["evaluation", "dispatch_value"])


@dg.asset(
    key=_VALUE_KEY,
    group_name="evaluation",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={
        "household": dg.AssetIn(key=["dispatch", "household_load_shift"]),
        "fleet": dg.AssetIn(key=["dispatch", "vpp_fleet_dispatch"]),
        "actual_carbon": dg.AssetIn(
            key=["harmonized", "carbon_intensity"], partition_mapping=_SAME_DAY
        ),
    },
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_VALUE_KEY),
    pool=WAREHOUSE_POOL,
    kinds={"ortools", "duckdb"},
)
def dispatch_value(
    context: dg.AssetExecutionContext,
    household: pl.DataFrame,
    fleet: pl.DataFrame,
    actual_carbon: pl.DataFrame,
):
    """What each schedule for market day D was worth once D happened: realized CO2 (kg) under
    the actual hourly carbon intensity against the baseline, the CO2 it planned for, and for the
    household the perfect-foresight schedule and the regret (realized - perfect); the fleet's
    cost at the tariff against idle batteries."""
    rd = partition_keys(context)
    tz = region(rd.region).timezone
    rows = [
        household_value(rd.region, rd.market_date, tz, household, actual_carbon),
        fleet_value(rd.region, rd.market_date, fleet, actual_carbon),
    ]
    frame = dispatch_value_frame(rows)
    house = rows[0]
    yield from validated_output(
        context,
        frame,
        DispatchValue,
        {
            "household_realized_saving_pct": house["realized_saving_pct"],
            "household_regret_co2_kg": house["regret_co2_kg"],
            "hours_without_actual_carbon": hours_without_actual(actual_carbon),
        },
    )
