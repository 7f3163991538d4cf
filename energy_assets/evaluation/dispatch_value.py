"""Decision value of schedules once actuals are in: realized CO2 and cost against the baseline
and against the perfect-foresight schedule (regret).

Realized CO2 uses the actual hourly carbon intensity (harmonized/carbon_intensity) in place of
the forecast the schedule was optimized against. For the household, the perfect-foresight
schedule is the same CP-SAT model with the same objective solved on the actual intensities;
regret = realized - perfect, in CO2 and in cost at the tariff (never negative for the quantity
the objective optimizes; the other one is shown for information and can be).
The fleet's energy exchanged with the grid is counted as net import clipped at zero (exports are
not credited here, a conservative choice); its perfect-foresight schedule is the same fleet and
objective re-solved on the actual intensities (on the default cost objective the tariff is known
the day before, so its cost regret is zero and its CO2 "regret" is for information).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import polars as pl

from energy_assets.optimize.day_problems import (
    fleet_day_problem,
    household_day_problem,
    slot_signal,
)
from energy_assets.optimize.fleet import FleetProblem, solve_fleet
from energy_assets.optimize.household import (
    solve_household,
)

SCHEMA = {
    "region": pl.Utf8,
    "market_date": pl.Date,
    "schedule": pl.Utf8,
    "objective": pl.Utf8,
    "baseline_co2_kg": pl.Float64,
    "planned_co2_kg": pl.Float64,
    "realized_co2_kg": pl.Float64,
    "perfect_foresight_co2_kg": pl.Float64,
    "regret_co2_kg": pl.Float64,
    "realized_saving_pct": pl.Float64,
    "baseline_cost_usd": pl.Float64,
    "realized_cost_usd": pl.Float64,
    "perfect_foresight_cost_usd": pl.Float64,
    "regret_cost_usd": pl.Float64,
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
    """Realized CO2 and cost of the household's plan and baseline; perfect foresight = the same
    model and objective (the plan's `objective` and `blend_weight_carbon`) solved on the actual
    intensities, when every hour of the day has one."""
    rows = _with_actual(schedule.rename({"carbon_forecast_gco2_per_kwh": "forecast"}), actual)
    by_plan = rows.group_by("plan").agg(
        (pl.col("energy_kwh") * pl.col("actual")).sum().alias("realized_g"),
        (pl.col("energy_kwh") * pl.col("forecast")).sum().alias("planned_g"),
        (pl.col("energy_kwh") * pl.col("price_usd_per_kwh")).sum().alias("cost_usd"),
    )
    plan = {r["plan"]: r for r in by_plan.iter_rows(named=True)}
    objective = schedule["objective"][0]
    hours = actual.sort("interval_start_utc").filter(pl.col("carbon_gco2_per_kwh").is_not_null())
    perfect_co2 = perfect_cost = None
    if hours.height == actual.height and hours.height > 0:
        slots, signal = slot_signal(
            hours["interval_start_utc"].to_list(), hours["carbon_gco2_per_kwh"].to_list()
        )
        best = solve_household(
            household_day_problem(
                slots, signal, tz, objective, float(schedule["blend_weight_carbon"][0])
            )
        )
        perfect_co2 = best.summary["optimized_co2_g"] / 1000
        perfect_cost = best.summary["optimized_cost_usd"]
    baseline = plan["baseline"]["realized_g"] / 1000
    realized = plan["optimized"]["realized_g"] / 1000
    realized_cost = plan["optimized"]["cost_usd"]
    return {
        "region": region,
        "market_date": market_date,
        "schedule": "household_load_shift",
        "objective": objective,
        "baseline_co2_kg": baseline,
        "planned_co2_kg": plan["optimized"]["planned_g"] / 1000,
        "realized_co2_kg": realized,
        "perfect_foresight_co2_kg": perfect_co2,
        "regret_co2_kg": None if perfect_co2 is None else realized - perfect_co2,
        "realized_saving_pct": 100 * (baseline - realized) / baseline if baseline else None,
        "baseline_cost_usd": plan["baseline"]["cost_usd"],
        "realized_cost_usd": realized_cost,
        "perfect_foresight_cost_usd": perfect_cost,
        "regret_cost_usd": None if perfect_cost is None else realized_cost - perfect_cost,
    }


def fleet_value(
    region: str,
    market_date: dt.date,
    tz: str,
    fleet: pl.DataFrame,
    actual: pl.DataFrame,
    household: pl.DataFrame,
    slot_hours: float = 0.25,
) -> dict:
    """Realized CO2 and cost of the fleet's plan and of idle batteries; perfect foresight = the
    same fleet (rebuilt from the seed recorded in its rows, and checked against them) and the
    same objective and feeder limits, solved on the actual intensities."""
    rows = _with_actual(fleet.rename({"carbon_forecast_gco2_per_kwh": "forecast"}), actual)
    totals = _fleet_totals(rows, slot_hours)
    perfect = _fleet_perfect_foresight(market_date, tz, fleet, actual, household)
    perfect_totals = None
    if perfect is not None:
        perfect_rows = _with_actual(
            perfect.with_columns(forecast=pl.lit(0.0), baseline_net_import_kw=pl.lit(0.0)),
            actual,
        )
        perfect_totals = _fleet_totals(perfect_rows, slot_hours)
    baseline = totals["baseline_g"] / 1000
    realized = totals["realized_g"] / 1000
    perfect_co2 = None if perfect_totals is None else perfect_totals["realized_g"] / 1000
    perfect_cost = None if perfect_totals is None else perfect_totals["real_usd"]
    return {
        "region": region,
        "market_date": market_date,
        "schedule": "vpp_fleet_dispatch",
        "objective": fleet["objective"][0],
        "baseline_co2_kg": baseline,
        "planned_co2_kg": totals["planned_g"] / 1000,
        "realized_co2_kg": realized,
        "perfect_foresight_co2_kg": perfect_co2,
        "regret_co2_kg": None if perfect_co2 is None else realized - perfect_co2,
        "realized_saving_pct": 100 * (baseline - realized) / baseline if baseline else None,
        "baseline_cost_usd": totals["base_usd"],
        "realized_cost_usd": totals["real_usd"],
        "perfect_foresight_cost_usd": perfect_cost,
        "regret_cost_usd": None if perfect_cost is None else totals["real_usd"] - perfect_cost,
    }


def _fleet_totals(rows: pl.DataFrame, slot_hours: float) -> dict:
    imported = pl.col("net_import_kw").clip(lower_bound=0) * slot_hours
    base_imported = pl.col("baseline_net_import_kw").clip(lower_bound=0) * slot_hours
    return rows.select(
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


def _fleet_perfect_foresight(
    market_date: dt.date,
    tz: str,
    fleet: pl.DataFrame,
    actual: pl.DataFrame,
    household: pl.DataFrame,
) -> pl.DataFrame | None:
    """Per home and slot `net_import_kw` and `price_usd_per_kwh` of the fleet re-planned on the
    actual intensities; None when an hour of the day has no actual."""
    hours = actual.sort("interval_start_utc").filter(pl.col("carbon_gco2_per_kwh").is_not_null())
    if hours.height != actual.height or hours.height == 0:
        return None
    first = fleet.row(0, named=True)
    slots, signal = slot_signal(
        hours["interval_start_utc"].to_list(), hours["carbon_gco2_per_kwh"].to_list()
    )
    problem = fleet_day_problem(
        market_date,
        slots,
        signal,
        tz,
        household,
        fleet["home_id"].n_unique(),
        first["fleet_seed"],
        first["objective"],
        first["feeder_import_limit_kw"],
        first["feeder_export_limit_kw"],
    )
    planned_load = fleet.group_by("home_id").agg(pl.col("load_kw").sum())
    rebuilt = {h.home_id: float(h.load_kw.sum()) for h in problem.homes}
    for home_id, load in planned_load.iter_rows():
        if abs(rebuilt.get(home_id, float("nan")) - load) > 1e-6 * max(1.0, abs(load)):
            raise ValueError(
                f"fleet home {home_id!r} does not match the fleet rebuilt from seed"
                f" {first['fleet_seed']}: the plan was made with other fleet data"
            )
    problem = _with_planned_pv(problem, fleet)
    best = solve_fleet(problem)
    prices = pl.DataFrame(
        {"interval_start_utc": slots, "price_usd_per_kwh": problem.price_usd_per_kwh},
        schema={"interval_start_utc": pl.Datetime("us", "UTC"), "price_usd_per_kwh": pl.Float64},
    )
    return (
        best.per_home.with_columns(pl.col("interval_start_utc").dt.convert_time_zone("UTC"))
        .select("home_id", "interval_start_utc", "net_import_kw")
        .join(prices, on="interval_start_utc", how="left")
    )


def _with_planned_pv(problem: FleetProblem, fleet: pl.DataFrame) -> FleetProblem:
    """The rebuilt fleet with each home's PV as the plan's rows have it: the household's PV
    (what the rebuild gives too) or a PVWatts profile (`pv_source: pvwatts`), so that perfect
    foresight plans the same homes the plan did, whichever PV it used."""
    n_slots = len(problem.slot_starts_utc)
    pv = {
        home_id: group.sort("interval_start_utc")
        for (home_id,), group in fleet.select("home_id", "interval_start_utc", "pv_kw").group_by(
            "home_id"
        )
    }
    homes = []
    for home in problem.homes:
        rows = pv.get(home.home_id)
        if rows is None or rows.height != n_slots:
            raise ValueError(f"fleet home {home.home_id!r} has no PV for every slot of the day")
        homes.append(replace(home, pv_kw=rows["pv_kw"].to_numpy()))
    return replace(problem, homes=homes)


def hours_without_actual(actual: pl.DataFrame) -> int:
    """Hours of the day whose realized CO2 had to use the forecast (no fuel-mix reading)."""
    return actual.filter(pl.col("carbon_gco2_per_kwh").is_null()).height


def dispatch_value_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA)
