"""dispatch/*: optimized schedules (OR-Tools) against the day-ahead forecasts."""

from enum import StrEnum

import dagster as dg
import polars as pl

from energy_assets import settings, ui_metadata
from energy_assets.atomic import write_atomic
from energy_assets.defs.harmonized import GRID_REGIONS as DAY_AHEAD_REGIONS
from energy_assets.defs.models import DAY_AHEAD_PARTITIONS
from energy_assets.defs.solar import PvSource, pvwatts_slots
from energy_assets.defs_support.ranges import RANGE_POLICY, draws_plots, per_region_day, read_days
from energy_assets.defs_support.resources import ModelStoreResource, WarehouseResource
from energy_assets.defs_support.validation import PARTITION_EXPR, check_specs, validated_output
from energy_assets.optimize.compute_jobs import JobProblem, JobsInfeasible, solve_jobs
from energy_assets.optimize.day_problems import (
    SLOT_MINUTES,
    fleet_day_problem,
    household_day_problem,
    slot_signal,
)
from energy_assets.optimize.fleet import FleetInfeasible, home_schedule_rows, solve_fleet
from energy_assets.optimize.fleet_profiles import household_path, load_household_year
from energy_assets.optimize.household import (
    ScheduleInfeasible,
    solve_household,
)
from energy_assets.optimize.job_sets import region_job_set
from energy_assets.optimize.plots import fleet_plot_png, schedule_plot_png
from energy_assets.partitions import RegionDay, partition_keys
from energy_assets.regions import region
from energy_assets.schemas.dispatch import ComputeJobPlacement, HouseholdLoadShift, VppFleetDispatch

_KEY = dg.AssetKey(["dispatch", "household_load_shift"])
SLOT_HOURS = SLOT_MINUTES / 60


# Enums as config fields: Dagster's config schema lists their values (the launchpad offers them)
# and refuses any other before a run starts. Each name is its value (config is the name).
class CarbonQuantile(StrEnum):
    """Which quantile of the carbon forecast a schedule plans against."""

    p10 = "p10"
    p50 = "p50"
    p90 = "p90"


class HouseholdObjective(StrEnum):
    """What the household schedule minimizes (`optimize/household.py`'s `ObjectiveKind`)."""

    carbon = "carbon"
    cost = "cost"
    blend = "blend"


class FleetObjective(StrEnum):
    """What the VPP fleet dispatch minimizes (`optimize/fleet.py`'s `Objective`)."""

    cost = "cost"
    carbon = "carbon"


CARBON_QUANTILES = tuple(q.value for q in CarbonQuantile)


def _carbon_column(asset: str, partition: str, quantile: CarbonQuantile | str) -> str:
    quantile = quantile.value if isinstance(quantile, CarbonQuantile) else quantile
    if quantile not in CARBON_QUANTILES:
        raise dg.Failure(
            f"{asset} partition {partition}: carbon_quantile must be one of {CARBON_QUANTILES},"
            f" not {quantile!r}",
            allow_retries=False,
        )
    return f"carbon_{quantile}_gco2_per_kwh"


class HouseholdConfig(dg.Config):
    """Objective of the household schedule (defaults used by the main job).

    `objective`: "carbon" (gCO2 under the carbon forecast), "cost" (USD under the illustrative
    time-of-use tariff in optimize/tariffs.py: there is no recorded price feed yet) or "blend"
    (each signal normalized by its daily mean, weighted by `blend_weight_carbon`).
    `carbon_quantile`: which quantile of the carbon forecast to plan against: "p50" (expected),
    "p90" (risk-averse: hours that could turn dirty count as dirty) or "p10"."""

    objective: HouseholdObjective = HouseholdObjective.carbon
    blend_weight_carbon: float = 0.5
    carbon_quantile: CarbonQuantile = CarbonQuantile.p50


def _slot_signals(slots: list, carbon: list[float], price: list[float]) -> pl.DataFrame:
    """The carbon forecast and the price of each 15-minute slot, as the dispatch tables store them."""
    return pl.DataFrame(
        {
            "interval_start_utc": slots,
            "carbon_forecast_gco2_per_kwh": carbon,
            "price_usd_per_kwh": price,
        },
        schema={
            "interval_start_utc": pl.Datetime("us", "UTC"),
            "carbon_forecast_gco2_per_kwh": pl.Float64,
            "price_usd_per_kwh": pl.Float64,
        },
    )


def _plan_rows(
    frame: pl.DataFrame,
    plan: str,
    region_code: str,
    market_date,
    signals: pl.DataFrame,
    config: HouseholdConfig,
) -> pl.DataFrame:
    """Plan rows with the carbon forecast and price of their slot (`frame`'s own `signal` is
    the objective's) and the objective they were planned for (dispatch_value re-plans with it)."""
    return (
        frame.with_columns(pl.col("interval_start_utc").dt.convert_time_zone("UTC"))
        .join(signals, on="interval_start_utc", how="left")
        .select(
            pl.lit(region_code).alias("region"),
            pl.lit(market_date, dtype=pl.Date).alias("market_date"),
            pl.lit(plan).alias("plan"),
            "appliance",
            "interval_start_utc",
            "power_kw",
            "energy_kwh",
            "carbon_forecast_gco2_per_kwh",
            "price_usd_per_kwh",
            pl.lit(config.objective.value).alias("objective"),
            pl.lit(config.blend_weight_carbon, dtype=pl.Float64).alias("blend_weight_carbon"),
        )
    )


@dg.asset(
    key=_KEY,
    group_name="dispatch",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={"carbon": dg.AssetIn(key=["forecasts", "carbon_day_ahead"])},
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_KEY),
    kinds={"ortools", "duckdb"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def household_load_shift(
    context: dg.AssetExecutionContext,
    config: HouseholdConfig,
    model_store: ModelStoreResource,
    carbon: pl.DataFrame,
):
    """One household's deferrable appliances (dishwasher, washer, dryer, EV charger, pool pump,
    water heater: power, run length, allowed local window, one block or interruptible) placed in
    15-minute slots of market day D (CP-SAT) to minimize CO2 under the carbon forecast (P50 by
    default, P90 for a risk-averse plan), cost under the time-of-use tariff, or a blend (see
    `HouseholdConfig`). Rows for the optimized plan and the run-at-earliest baseline, with the
    carbon forecast planned against; the saving is in metadata."""
    rd = partition_keys(context)
    tz = region(rd.region).timezone
    column = _carbon_column(
        "dispatch/household_load_shift", context.partition_key, config.carbon_quantile
    )
    carbon = carbon.sort("interval_start_utc")
    slots, signal = slot_signal(carbon["interval_start_utc"].to_list(), carbon[column].to_list())
    problem = household_day_problem(
        slots, signal, tz, config.objective.value, config.blend_weight_carbon
    )
    price = problem.price_usd_per_kwh
    try:
        schedule = solve_household(problem)
    except ScheduleInfeasible as error:
        raise dg.Failure(
            f"dispatch/household_load_shift partition {context.partition_key}: {error}"
        ) from error
    summary = schedule.summary
    by_slot = _slot_signals(slots, signal, price)
    frame = pl.concat(
        [
            _plan_rows(schedule.frame, "optimized", rd.region, rd.market_date, by_slot, config),
            _plan_rows(
                schedule.baseline_frame, "baseline", rd.region, rd.market_date, by_slot, config
            ),
        ]
    )
    metadata = {
        "objective_kind": config.objective.value,
        "carbon_quantile": config.carbon_quantile.value,
        "solver_status": summary["status"],
        "objective_value": summary["objective"],
        "objective_unit": summary.get("objective_unit"),
        "best_bound": summary["best_bound"],
        "gap": summary["gap"],
        "solve_time_s": summary["solve_time_s"],
        "num_variables": summary["num_variables"],
        "num_constraints": summary["num_constraints"],
        "baseline_co2_g": summary.get("baseline_co2_g"),
        "optimized_co2_g": summary.get("optimized_co2_g"),
        "baseline_cost_usd": summary.get("baseline_cost_usd"),
        "optimized_cost_usd": summary.get("optimized_cost_usd"),
        "objective_saving_pct": summary.get("saving_pct"),
    }
    if draws_plots(context):
        png = schedule_plot_png(
            slots,
            signal,
            f"carbon {config.carbon_quantile.value.upper()} (gCO2/kWh)",
            schedule.frame,
            f"Household schedule {rd.region} {rd.market_date}",
            tz,
        )
        metadata |= _plot_metadata(model_store, "household_load_shift", rd, png)
    metadata = ui_metadata.rounded(metadata) | {"hours": ui_metadata.schedule_hours(frame)}
    yield from validated_output(context, frame, HouseholdLoadShift, metadata)


class FleetConfig(dg.Config):
    """Fleet size and objective of the VPP dispatch (defaults used by the main job)."""

    n_homes: int = 100
    # "cost": the illustrative time-of-use tariff (optimize/tariffs.py), CO2 reported beside it;
    # "carbon": CO2 under the P50 carbon forecast valued at 0.19 USD/kg. With CAISO's daily
    # carbon spread (~150 g/kWh) that is worth ~0.03 USD/kWh, less than a cycle's degradation
    # (0.02 USD/kWh) plus losses, so batteries rightly stay idle under "carbon".
    objective: FleetObjective = FleetObjective.cost
    # which quantile of the carbon forecast the carbon objective (and the reported CO2) uses
    carbon_quantile: CarbonQuantile = CarbonQuantile.p50
    feeder_export_limit_kw: float | None = None
    feeder_import_limit_kw: float | None = None
    seed: int = 0
    # "household": the French household's measured PV, replayed on the region's clock (default);
    # "pvwatts": harmonized/pv_profile of the region (a PVWatts typical year at its location;
    # offline, Denver's recorded one standing in) for the market day's hours, x each home's kWp
    pv_source: PvSource = PvSource.household


_FLEET_KEY = dg.AssetKey(["dispatch", "vpp_fleet_dispatch"])


@dg.asset(
    key=_FLEET_KEY,
    group_name="dispatch",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={"carbon": dg.AssetIn(key=["forecasts", "carbon_day_ahead"])},
    metadata={
        "partition_expr": PARTITION_EXPR,
        "reads": "harmonized/pv_profile of the region, when pv_source is pvwatts",
    },
    check_specs=check_specs(_FLEET_KEY),
    kinds={"ortools", "duckdb"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def vpp_fleet_dispatch(
    context: dg.AssetExecutionContext,
    config: FleetConfig,
    model_store: ModelStoreResource,
    warehouse: WarehouseResource,
    carbon: pl.DataFrame,
):
    """Battery dispatch of a fleet of homes with PV and batteries for market day D, 15-minute
    slots, against an illustrative time-of-use tariff (or the carbon forecast, P50 or P90), with
    efficiencies, SOC bounds, end-of-day target, degradation cost and optional feeder limits
    (OR-Tools MathOpt LP, HiGHS). Homes are diversified from one real household year (see
    `optimize/fleet_profiles.py`); their PV is that household's, or with `pv_source: pvwatts`
    the region's PVWatts typical year (`harmonized/pv_profile`, built by `pv_profile_job`) for
    the day's hours x each home's kWp. Per home and slot: charge, discharge, SOC, net import."""
    rd = partition_keys(context)
    tz = region(rd.region).timezone
    column = _carbon_column(
        "dispatch/vpp_fleet_dispatch", context.partition_key, config.carbon_quantile
    )
    carbon = carbon.sort("interval_start_utc")
    slots, signal = slot_signal(carbon["interval_start_utc"].to_list(), carbon[column].to_list())
    pv_kw_per_kw, pv_metadata = None, {"pv_source": config.pv_source.value}
    if config.pv_source == PvSource.pvwatts:
        pv_kw_per_kw, profile_metadata = pvwatts_slots(context, warehouse, rd.region, slots)
        pv_metadata |= profile_metadata
    problem = fleet_day_problem(
        rd.market_date,
        slots,
        signal,
        tz,
        load_household_year(household_path(settings.datasets_dir())),
        config.n_homes,
        config.seed,
        config.objective.value,
        config.feeder_import_limit_kw,
        config.feeder_export_limit_kw,
        pv_kw_per_kw,
    )
    price = problem.price_usd_per_kwh.tolist()
    try:
        schedule = solve_fleet(problem)
    except FleetInfeasible as error:
        raise dg.Failure(
            f"dispatch/vpp_fleet_dispatch partition {context.partition_key}: {error}",
            allow_retries=False,
        ) from error
    summary = schedule.summary
    signals = _slot_signals(slots, signal, price)
    frame = home_schedule_rows(
        schedule.per_home,
        signals,
        region=rd.region,
        market_date=rd.market_date,
        columns=[
            "carbon_forecast_gco2_per_kwh",
            "price_usd_per_kwh",
            pl.lit(config.objective.value).alias("objective"),
            pl.lit(config.seed, dtype=pl.Int64).alias("fleet_seed"),
        ],
        feeder_import_limit_kw=config.feeder_import_limit_kw,
        feeder_export_limit_kw=config.feeder_export_limit_kw,
    )
    metadata = {
        key: summary[key]
        for key in (
            "status",
            "objective",
            "best_bound",
            "gap",
            "solve_time_s",
            "build_time_s",
            "num_variables",
            "num_constraints",
            "num_homes",
            "num_batteries",
            "baseline_cost_usd",
            "optimized_cost_usd",
            "baseline_co2_kg",
            "optimized_co2_kg",
            "co2_saving_kg",
            "cost_saving_usd",
        )
    }
    metadata["objective_kind"] = config.objective.value
    metadata["carbon_quantile"] = config.carbon_quantile.value
    metadata |= pv_metadata
    metadata["fleet_pv_kwh"] = float(frame["pv_kw"].sum()) * SLOT_HOURS
    if draws_plots(context):
        png = fleet_plot_png(
            schedule.fleet,
            f"carbon {config.carbon_quantile.value.upper()} (gCO2/kWh)",
            f"VPP fleet {rd.region} {rd.market_date}",
            tz,
        )
        metadata |= _plot_metadata(model_store, "vpp_fleet_dispatch", rd, png)
    metadata = ui_metadata.rounded(metadata) | {"hours": ui_metadata.fleet_hours(frame)}
    yield from validated_output(context, frame, VppFleetDispatch, metadata)


class JobsConfig(dg.Config):
    """Size of the day's compute-job set, the carbon forecast quantile planned against ("p50",
    or "p90" for a conservative plan whose CO2 and cap hold unless the day is dirtier than
    its P90), an optional CO2 cap for the whole set (kg), and the solver budget."""

    n_jobs: int = 100
    seed: int = 0
    carbon_quantile: CarbonQuantile = CarbonQuantile.p50
    carbon_cap_kg: float | None = None
    time_limit_s: float = 10.0
    relative_gap_limit: float = 0.005


_JOBS_KEY = dg.AssetKey(["dispatch", "compute_job_placement"])
_CARBON_FORECAST = dg.AssetKey(["forecasts", "carbon_day_ahead"])


@dg.asset(
    key=_JOBS_KEY,
    group_name="dispatch",
    partitions_def=DAY_AHEAD_PARTITIONS,
    # declared to Dagster: the home region's forecast of the day (a backfill of some regions
    # then places those regions' jobs only); every other region's forecast of the day is read
    # from the warehouse, and a region without one is left out (`regions_with_forecasts`)
    ins={"carbon": dg.AssetIn(key=["forecasts", "carbon_day_ahead"])},
    metadata={
        "partition_expr": PARTITION_EXPR,
        "reads": "forecasts/carbon_day_ahead of every region, day D",
    },
    check_specs=check_specs(_JOBS_KEY),
    kinds={"ortools", "duckdb"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def compute_job_placement(
    context: dg.AssetExecutionContext,
    config: JobsConfig,
    warehouse: WarehouseResource,
    carbon: pl.DataFrame,
):
    """Carbon-aware placement of the compute jobs homed in this region for market day D: each
    job (energy, duration, earliest start, deadline, allowed regions, interruptible or not) gets
    a region and hours minimizing CO2 under every region's carbon forecast for D (P50, or P90 by
    config; an optional cap on the set's CO2), within data-centre capacity per region and hour
    (CP-SAT; column generation, a dive and neighbourhood search at scale). Metadata compares
    with running every job now at home and with the per-job best window; jobs that cannot fit
    are listed with the reason (`unscheduled` metadata), never dropped silently."""
    rd = partition_keys(context)
    column = _carbon_column(
        "dispatch/compute_job_placement", context.partition_key, config.carbon_quantile
    )
    others = [
        frame
        for code in DAY_AHEAD_REGIONS
        if code != rd.region
        for frame, missing in [
            read_days(context, warehouse, _CARBON_FORECAST, code, [rd.market_date])
        ]
        if not missing and frame.height
    ]
    carbon = pl.concat([carbon, *others], how="vertical_relaxed") if carbon.height else carbon
    forecasts = (
        carbon.filter(pl.col("market_date") == rd.market_date).sort("interval_start_utc")
        if "market_date" in carbon.columns
        else carbon
    )
    home = forecasts.filter(pl.col("region") == rd.region) if forecasts.width else forecasts
    if home.is_empty():
        raise dg.Failure(
            f"dispatch/compute_job_placement partition {context.partition_key}: upstream"
            f" forecasts/carbon_day_ahead has no partition for {context.partition_key}, the jobs'"
            " home region and day. Materialize day_ahead_job for it first (or see why it"
            " failed).",
            metadata={"failed_partitions": [str(context.partition_key)]},
            allow_retries=False,
        )
    hours = home["interval_start_utc"].to_list()
    by_region = {
        code: group.sort("interval_start_utc")[column].to_numpy()
        for (code,), group in forecasts.group_by("region")
        if group.height == len(hours) and group["interval_start_utc"].to_list() == hours
    }
    jobs, signals = region_job_set(hours, rd.region, by_region, config.n_jobs, config.seed)
    problem = JobProblem(
        hour_starts_utc=hours,
        jobs=jobs,
        regions=signals,
        carbon_cap_kg=config.carbon_cap_kg,
        time_limit_s=config.time_limit_s,
        relative_gap_limit=config.relative_gap_limit,
        num_workers=1,
        allow_partial=True,  # jobs that cannot fit are listed in the metadata, never dropped silently
    )
    try:
        schedule = solve_jobs(problem)
    except JobsInfeasible as error:
        raise dg.Failure(
            f"dispatch/compute_job_placement partition {context.partition_key}: {error}",
            allow_retries=False,
        ) from error
    frame = schedule.placements.select(
        pl.lit(rd.region).alias("region"),
        pl.lit(rd.market_date, dtype=pl.Date).alias("market_date"),
        "job_id",
        pl.col("region").alias("placed_region"),
        "start_utc",
        "end_utc",
        pl.col("delay_hours").cast(pl.Int32),
        "interruptible",
        "power_kw",
        "energy_kwh",
        "co2_kg",
    )
    summary = schedule.summary
    metadata = {
        k: summary.get(k)
        for k in ("status", "objective", "best_bound", "gap", "solve_time_s", "build_time_s")
    }
    metadata["carbon_quantile"] = config.carbon_quantile.value
    if config.carbon_cap_kg is not None:
        metadata["carbon_cap_kg"] = config.carbon_cap_kg
        metadata["carbon_cap_exceeded_kg"] = summary.get("carbon_cap_exceeded_kg")
    unscheduled = summary.get("unscheduled") or []
    metadata["unscheduled_jobs"] = len(unscheduled)
    if unscheduled:
        metadata["unscheduled"] = dg.MetadataValue.json(unscheduled[:50])
        context.log.warning(
            f"{len(unscheduled)} jobs could not be placed: see `unscheduled` metadata"
        )
    metadata["regions_with_forecasts"] = sorted(by_region)
    metadata["jobs"] = len(jobs)
    for name in ("run_now", "best_window_per_job"):
        if isinstance(summary.get(name), dict):
            metadata[f"{name}_co2_kg"] = summary[name].get("total_co2_kg")
            metadata[f"{name}_overloaded_region_hours"] = summary[name]["capacity_violations"][
                "overloaded_region_hours"
            ]
    metadata["optimized_co2_kg"] = float(frame["co2_kg"].sum())
    metadata = ui_metadata.rounded(metadata) | {"placements": ui_metadata.placements(frame)}
    yield from validated_output(context, frame, ComputeJobPlacement, metadata)


def _plot_metadata(
    model_store: ModelStoreResource, asset: str, rd: RegionDay, png: bytes
) -> dict[str, dg.MetadataValue]:
    """Write a schedule's plot to `data/plots/<asset>/<region>/<day>.png`; its metadata."""
    path = model_store.plots_path() / asset / rd.region / f"{rd.market_date}.png"
    write_atomic(path, png)
    return {
        "schedule_plot": dg.MetadataValue.md(_png_markdown(png)),
        "schedule_plot_path": dg.MetadataValue.path(str(path)),
    }


def _png_markdown(png: bytes) -> str:
    import base64

    return f"![schedule](data:image/png;base64,{base64.b64encode(png).decode()})"
