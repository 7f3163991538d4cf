"""dispatch/*: optimized schedules (OR-Tools) against the day-ahead forecasts."""

import dagster as dg
import polars as pl

from energy_assets.defs.models import DAY_AHEAD_PARTITIONS
from energy_assets.defs.validation import PARTITION_EXPR, check_specs, validated_output
from energy_assets.defs.warehouse import WAREHOUSE_POOL
from energy_assets.optimize.household import (
    HouseholdProblem,
    ScheduleInfeasible,
    default_household_appliances,
    expand_hourly_to_slots,
    solve_household,
)
from energy_assets.optimize.plots import schedule_plot_png
from energy_assets.partitions import partition_keys
from energy_assets.regions import region
from energy_assets.schemas.dispatch import HouseholdLoadShift

SLOT_MINUTES = 15
_KEY = dg.AssetKey(["dispatch", "household_load_shift"])


def _plan_rows(frame: pl.DataFrame, plan: str, region_code: str, market_date) -> pl.DataFrame:
    return frame.select(
        pl.lit(region_code).alias("region"),
        pl.lit(market_date, dtype=pl.Date).alias("market_date"),
        pl.lit(plan).alias("plan"),
        "appliance",
        pl.col("interval_start_utc").dt.convert_time_zone("UTC"),
        "power_kw",
        "energy_kwh",
        pl.col("signal").alias("carbon_forecast_gco2_per_kwh"),
    )


@dg.asset(
    key=_KEY,
    group_name="dispatch",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={"carbon": dg.AssetIn(key=["forecasts", "carbon_day_ahead"])},
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_KEY),
    pool=WAREHOUSE_POOL,
    kinds={"ortools", "duckdb"},
)
def household_load_shift(context: dg.AssetExecutionContext, carbon: pl.DataFrame):
    """One household's deferrable appliances (dishwasher, washer, dryer, EV charger, pool pump,
    water heater: power, run length, allowed local window, one block or interruptible) placed in
    15-minute slots of market day D to minimize CO2 under the P50 carbon forecast (CP-SAT).
    Rows for the optimized plan and the run-at-earliest baseline; the saving is in metadata."""
    rd = partition_keys(context)
    tz = region(rd.region).timezone
    carbon = carbon.sort("interval_start_utc")
    slots, signal = expand_hourly_to_slots(
        carbon["interval_start_utc"].to_list(),
        carbon["carbon_p50_gco2_per_kwh"].to_list(),
        SLOT_MINUTES,
    )
    problem = HouseholdProblem(
        slot_starts_utc=slots,
        slot_minutes=SLOT_MINUTES,
        appliances=default_household_appliances(slots, tz=tz, slot_minutes=SLOT_MINUTES),
        carbon_gco2_per_kwh=signal,
        objective="carbon",
        tz=tz,
    )
    try:
        schedule = solve_household(problem)
    except ScheduleInfeasible as error:
        raise dg.Failure(
            f"dispatch/household_load_shift partition {context.partition_key}: {error}"
        ) from error
    summary = schedule.summary
    frame = pl.concat(
        [
            _plan_rows(schedule.frame, "optimized", rd.region, rd.market_date),
            _plan_rows(schedule.baseline_frame, "baseline", rd.region, rd.market_date),
        ]
    )
    png = schedule_plot_png(
        slots,
        signal,
        "carbon P50 (gCO2/kWh)",
        schedule.frame,
        f"Household schedule {rd.region} {rd.market_date}",
        tz,
    )
    plot_md = _png_markdown(png)
    metadata = {
        "solver_status": summary["status"],
        "objective_gco2": summary["objective"],
        "best_bound_gco2": summary["best_bound"],
        "gap": summary["gap"],
        "solve_time_s": summary["solve_time_s"],
        "num_variables": summary["num_variables"],
        "num_constraints": summary["num_constraints"],
        "baseline_co2_g": summary.get("baseline_co2_g"),
        "optimized_co2_g": summary.get("optimized_co2_g"),
        "saving_pct": summary.get("saving_pct"),
        "schedule_plot": dg.MetadataValue.md(plot_md),
    }
    yield from validated_output(context, frame, HouseholdLoadShift, metadata)


def _png_markdown(png: bytes) -> str:
    import base64

    return f"![schedule](data:image/png;base64,{base64.b64encode(png).decode()})"
