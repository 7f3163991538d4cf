"""Decision value of schedules once actuals are in: realized CO2 and cost against the baseline
and against the perfect-foresight schedule (regret).

Realized CO2 uses the actual hourly carbon intensity (harmonized/carbon_intensity) in place of
the P50 forecast the schedule was optimized against. For the household, the perfect-foresight
schedule is the same CP-SAT model solved on the actual intensities; regret = realized - perfect.
The fleet's energy exchanged with the grid is counted as net import clipped at zero (exports are
not credited here, a conservative choice); it is dispatched on a known tariff, so its cost is
realized as planned.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from energy_assets.optimize.household import (
    HouseholdProblem,
    default_household_appliances,
    expand_hourly_to_slots,
    solve_household,
)

SCHEMA = {
    "region": pl.Utf8,
    "market_date": pl.Date,
    "schedule": pl.Utf8,
    "baseline_co2_kg": pl.Float64,
    "planned_co2_kg": pl.Float64,
    "realized_co2_kg": pl.Float64,
    "perfect_foresight_co2_kg": pl.Float64,
    "regret_co2_kg": pl.Float64,
    "realized_saving_pct": pl.Float64,
    "baseline_cost_usd": pl.Float64,
    "realized_cost_usd": pl.Float64,
}


def _actual_hourly(actual: pl.DataFrame) -> pl.DataFrame:
    return actual.select(
        pl.col("interval_start_utc").alias("hour"), pl.col("carbon_gco2_per_kwh").alias("actual")
    )


def _with_actual(frame: pl.DataFrame, actual: pl.DataFrame) -> pl.DataFrame:
    joined = frame.with_columns(hour=pl.col("interval_start_utc").dt.truncate("1h")).join(
        _actual_hourly(actual), on="hour", how="left"
    )
    # an hour without a fuel-mix reading keeps the forecast (`hours_without_actual` counts them)
    return joined.with_columns(actual=pl.col("actual").fill_null(pl.col("forecast")))


def household_value(
    region: str, market_date: dt.date, tz: str, schedule: pl.DataFrame, actual: pl.DataFrame
) -> dict:
    rows = _with_actual(schedule.rename({"carbon_forecast_gco2_per_kwh": "forecast"}), actual)
    by_plan = rows.group_by("plan").agg(
        (pl.col("energy_kwh") * pl.col("actual")).sum().alias("realized_g"),
        (pl.col("energy_kwh") * pl.col("forecast")).sum().alias("planned_g"),
    )
    plan = {r["plan"]: r for r in by_plan.iter_rows(named=True)}
    hours = actual.sort("interval_start_utc").filter(pl.col("carbon_gco2_per_kwh").is_not_null())
    perfect = None
    if hours.height == actual.height and hours.height > 0:
        slots, signal = expand_hourly_to_slots(
            hours["interval_start_utc"].to_list(), hours["carbon_gco2_per_kwh"].to_list(), 15
        )
        best = solve_household(
            HouseholdProblem(
                slot_starts_utc=slots,
                slot_minutes=15,
                appliances=default_household_appliances(slots, tz=tz, slot_minutes=15),
                carbon_gco2_per_kwh=signal,
                objective="carbon",
                tz=tz,
            )
        )
        perfect = best.summary["optimized_co2_g"] / 1000
    baseline = plan["baseline"]["realized_g"] / 1000
    realized = plan["optimized"]["realized_g"] / 1000
    return {
        "region": region,
        "market_date": market_date,
        "schedule": "household_load_shift",
        "baseline_co2_kg": baseline,
        "planned_co2_kg": plan["optimized"]["planned_g"] / 1000,
        "realized_co2_kg": realized,
        "perfect_foresight_co2_kg": perfect,
        "regret_co2_kg": None if perfect is None else realized - perfect,
        "realized_saving_pct": 100 * (baseline - realized) / baseline if baseline else None,
        "baseline_cost_usd": None,
        "realized_cost_usd": None,
    }


def fleet_value(
    region: str,
    market_date: dt.date,
    fleet: pl.DataFrame,
    actual: pl.DataFrame,
    slot_hours: float = 0.25,
) -> dict:
    rows = _with_actual(fleet.rename({"carbon_forecast_gco2_per_kwh": "forecast"}), actual)
    imported = pl.col("net_import_kw").clip(lower_bound=0) * slot_hours
    base_imported = pl.col("baseline_net_import_kw").clip(lower_bound=0) * slot_hours
    totals = rows.select(
        (base_imported * pl.col("actual")).sum().alias("baseline_g"),
        (imported * pl.col("forecast")).sum().alias("planned_g"),
        (imported * pl.col("actual")).sum().alias("realized_g"),
        (pl.col("baseline_net_import_kw") * slot_hours * pl.col("price_usd_per_kwh"))
        .sum()
        .alias("base_usd"),
        (pl.col("net_import_kw") * slot_hours * pl.col("price_usd_per_kwh"))
        .sum()
        .alias("real_usd"),
    ).row(0, named=True)
    baseline = totals["baseline_g"] / 1000
    realized = totals["realized_g"] / 1000
    return {
        "region": region,
        "market_date": market_date,
        "schedule": "vpp_fleet_dispatch",
        "baseline_co2_kg": baseline,
        "planned_co2_kg": totals["planned_g"] / 1000,
        "realized_co2_kg": realized,
        "perfect_foresight_co2_kg": None,
        "regret_co2_kg": None,
        "realized_saving_pct": 100 * (baseline - realized) / baseline if baseline else None,
        "baseline_cost_usd": totals["base_usd"],
        "realized_cost_usd": totals["real_usd"],
    }


def hours_without_actual(actual: pl.DataFrame) -> int:
    """Hours of the day whose realized CO2 had to use the forecast (no fuel-mix reading)."""
    return actual.filter(pl.col("carbon_gco2_per_kwh").is_null()).height


def dispatch_value_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA)
