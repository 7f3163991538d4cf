"""evaluation/*: forecast scores against what happened."""

import dagster as dg
import duckdb
import pandera.polars as pa
import polars as pl

from energy_assets import settings
from energy_assets.defs.harmonized import GRID_REGIONS
from energy_assets.defs.models import DAY_AHEAD_PARTITIONS
from energy_assets.defs_support.ranges import RANGE_POLICY, per_region_day
from energy_assets.defs_support.resources import WarehouseResource
from energy_assets.defs_support.validation import (
    PARTITION_EXPR,
    check_specs,
    table_value,
    validated_output,
)
from energy_assets.evaluation.carbon_score import (
    TARGETS,
    score_carbon_forecasts,
    score_published_carbon_forecasts,
)
from energy_assets.evaluation.dispatch_value import (
    dispatch_value_frame,
    fleet_value,
    hours_without_actual,
    household_value,
)
from energy_assets.evaluation.load_score import LOAD, score_load_forecasts
from energy_assets.evaluation.report import rollup
from energy_assets.evaluation.scoring import Target
from energy_assets.optimize.fleet_profiles import household_path, load_household_year
from energy_assets.partitions import day_window_mapping, partition_keys
from energy_assets.regions import OUR_CARBON_TARGET, region, regions_learning
from energy_assets.schemas.evaluation import (
    CarbonForecastReport,
    CarbonForecastScore,
    DispatchValue,
    LoadForecastReport,
    LoadForecastScore,
)

_KEY = dg.AssetKey(["evaluation", "load_forecast_score"])
_SAME_DAY = day_window_mapping(0, 0, GRID_REGIONS, GRID_REGIONS)


@dg.asset(
    key=_KEY,
    group_name="evaluation",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={
        "ensemble": dg.AssetIn(key=["forecasts", "load_day_ahead"]),
        "lightgbm": dg.AssetIn(key=["forecasts", "load_day_ahead_lightgbm"]),
        "mlx": dg.AssetIn(key=["forecasts", "load_day_ahead_mlx"]),
        "actuals": dg.AssetIn(key=["harmonized", "grid_hourly"], partition_mapping=_SAME_DAY),
        "operator": dg.AssetIn(
            key=["harmonized", "operator_load_forecast"], partition_mapping=_SAME_DAY
        ),
        "features": dg.AssetIn(key=["features", "load_features"], partition_mapping=_SAME_DAY),
    },
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_KEY),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def load_forecast_score(
    context: dg.AssetExecutionContext,
    ensemble: pl.DataFrame,
    lightgbm: pl.DataFrame,
    mlx: pl.DataFrame,
    actuals: pl.DataFrame,
    operator: pl.DataFrame,
    features: pl.DataFrame,
):
    """Scores of the day-ahead load forecasts for market day D once D happened: MAE, RMSE (MW),
    MAPE, sMAPE (%), rMAE against the seasonal naive, pinball loss and P10-P90 coverage of our
    ensemble, LightGBM and MLX forecasts, beside the operator's own day-ahead forecast and the
    seasonal-naive forecast (same hour a week before), all on the same hours (complete actual
    hours where every forecaster has a value). Sums are kept so days roll up exactly."""
    rd = partition_keys(context)
    frame = score_load_forecasts(
        rd.region,
        rd.market_date,
        {"ensemble": ensemble, "lightgbm": lightgbm, "mlx": mlx},
        actuals,
        operator,
        features,
    )
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


_REPORT_KEY = dg.AssetKey(["evaluation", "load_forecast_report"])
_CARBON_SCORE_KEY = dg.AssetKey(["evaluation", "carbon_forecast_score"])
_CARBON_REPORT_KEY = dg.AssetKey(["evaluation", "carbon_forecast_report"])


def _report(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    scores_table: str,
    targets: Target | tuple[Target, ...],
    model: type[pa.DataFrameModel],
):
    """Roll every stored day score of `scores_table` up (`energy_assets/evaluation/report.py`),
    each target's forecasters against its own naive."""
    targets = targets if isinstance(targets, tuple) else (targets,)
    target = targets[0]
    asset = context.asset_key.to_user_string()
    try:
        scores = warehouse.query(f"select * from {scores_table}")
    except (FileNotFoundError, duckdb.CatalogException) as error:
        raise dg.Failure(
            f"{asset}: no scored days yet ({error}). Materialize"
            f" {scores_table.replace('.', '/')} for some region-days first."
        ) from error
    report = pl.concat(
        [
            rollup(scores.filter(pl.col("forecaster").is_in(list(t.forecasters))), t)
            for t in targets
        ],
        how="vertical_relaxed",
    ).sort("region", "period_kind", "period", "forecaster")
    if report.is_empty():
        raise dg.Failure(f"{asset}: no scored hours to roll up")
    overall = report.filter(pl.col("period_kind") == "all")
    mae = f"mae_{target.unit}"
    yield from validated_output(
        context,
        report,
        model,
        {
            # the whole report on the asset's page: per region, period and forecaster
            "results": table_value(report.drop("period_kind")),
            "days_scored": int(overall["days"].max()),
            **{
                f"mape_pct_{r['region']}_{r['forecaster']}": round(r["mape_pct"], 3)
                for r in overall.iter_rows(named=True)
            },
            **{
                f"{mae}_{r['region']}_{r['forecaster']}": round(r[mae], 3)
                for r in overall.iter_rows(named=True)
            },
        },
    )


@dg.asset(
    key=_REPORT_KEY,
    group_name="evaluation",
    deps=[_KEY],
    check_specs=check_specs(_REPORT_KEY),
    kinds={"duckdb", "polars"},
)
def load_forecast_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Every scored day of `evaluation/load_forecast_score` rolled up per region over the
    whole window, each year and each month: MAE, RMSE, MAPE, sMAPE, rMAE, mean pinball loss,
    P10-P90 coverage, and a Diebold-Mariano test of each forecaster against the seasonal naive
    and the operator's forecast. Rebuilt whole on each materialization."""
    yield from _report(
        context, warehouse, "evaluation.load_forecast_score", LOAD, LoadForecastReport
    )


# The direct forecast and the seasonal profile are of our intensity: a region whose carbon
# target is the operator's published intensity (GB, `Region.carbon_target`) has neither, and its
# score does not read them (the mapping gives it no partition of theirs; an empty frame)
_OURS_SAME_DAY = day_window_mapping(
    0, 0, regions_learning(OUR_CARBON_TARGET, GRID_REGIONS), GRID_REGIONS
)


@dg.asset(
    key=_CARBON_SCORE_KEY,
    group_name="evaluation",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={
        "lightgbm": dg.AssetIn(key=["forecasts", "carbon_day_ahead"]),
        "direct": dg.AssetIn(
            key=["forecasts", "carbon_direct_day_ahead"], partition_mapping=_OURS_SAME_DAY
        ),
        "profile": dg.AssetIn(
            key=["forecasts", "carbon_day_ahead_profile"], partition_mapping=_OURS_SAME_DAY
        ),
        "actuals": dg.AssetIn(key=["harmonized", "carbon_intensity"], partition_mapping=_SAME_DAY),
        "features": dg.AssetIn(key=["features", "carbon_features"], partition_mapping=_SAME_DAY),
    },
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_CARBON_SCORE_KEY),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def carbon_forecast_score(
    context: dg.AssetExecutionContext,
    lightgbm: pl.DataFrame,
    direct: pl.DataFrame,
    profile: pl.DataFrame,
    actuals: pl.DataFrame,
    features: pl.DataFrame,
):
    """Scores of the day-ahead carbon-intensity forecasts for market day D once D happened:
    MAE, RMSE (gCO2eq/kWh), MAPE, sMAPE (%), rMAE against the seasonal naive, pinball loss and
    P10-P90 coverage. Lifecycle intensity: the LightGBM forecast and the seasonal-profile
    baseline beside the seasonal naive (same hour a week before); direct intensity: its
    LightGBM forecast beside its seasonal naive. Same hours within each.

    A region whose carbon target is the operator's own published intensity (GB,
    `Region.carbon_target`): our day-ahead forecast of it (`lightgbm_published`) against its
    seasonal naive (`seasonal_naive_7d_published`) and beside the API's own stored forecast of
    the hour (`api_forecast_short_lead`: the API's latest forecast before the half-hour, a lead
    of minutes to hours, not a day-ahead forecast as issued), on the same hours."""
    rd = partition_keys(context)
    if region(rd.region).carbon_target == OUR_CARBON_TARGET:
        frame = score_carbon_forecasts(
            rd.region, rd.market_date, lightgbm, profile, actuals, features, direct
        )
    else:
        frame = score_published_carbon_forecasts(
            rd.region, rd.market_date, lightgbm, actuals, features
        )
    by = {r["forecaster"]: r for r in frame.iter_rows(named=True)}
    yield from validated_output(
        context,
        frame,
        CarbonForecastScore,
        {
            "hours_scored": int(frame["hours"][0]),
            **{f"mae_gco2_per_kwh_{k}": v["mae_gco2_per_kwh"] for k, v in by.items()},
        },
    )


@dg.asset(
    key=_CARBON_REPORT_KEY,
    group_name="evaluation",
    deps=[_CARBON_SCORE_KEY],
    check_specs=check_specs(_CARBON_REPORT_KEY),
    kinds={"duckdb", "polars"},
)
def carbon_forecast_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Every scored day of `evaluation/carbon_forecast_score` rolled up per region over the
    whole window, each year and each month (same metrics as the load report), with
    Diebold-Mariano tests against the seasonal naive and the seasonal profile. Rebuilt whole
    on each materialization."""
    yield from _report(
        context, warehouse, "evaluation.carbon_forecast_score", TARGETS, CarbonForecastReport
    )


_VALUE_KEY = dg.AssetKey(["evaluation", "dispatch_value"])


@dg.asset(
    key=_VALUE_KEY,
    group_name="evaluation",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={
        "household": dg.AssetIn(key=["dispatch", "household_load_shift"]),
        # about 1 MB of per-home rows a day: a range reads it a day at a time (the body gets
        # each day's frame; the step, the days' files: hence no type check here)
        "fleet": dg.AssetIn(
            key=["dispatch", "vpp_fleet_dispatch"],
            metadata={"read": "per_day"},
            dagster_type=dg.Any,
        ),
        "actual_carbon": dg.AssetIn(
            key=["harmonized", "carbon_intensity"], partition_mapping=_SAME_DAY
        ),
    },
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_VALUE_KEY),
    kinds={"ortools", "duckdb"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def dispatch_value(
    context: dg.AssetExecutionContext,
    household: pl.DataFrame,
    fleet: pl.DataFrame,
    actual_carbon: pl.DataFrame,
):
    """What each schedule for market day D was worth once D happened: realized CO2 (kg) under
    the actual hourly carbon intensity against the baseline, the CO2 it planned for, and for the
    household the perfect-foresight schedule (same objective, actual intensities) and the
    regret (realized - perfect) in CO2 and in cost at the tariff; the same for the fleet (its
    perfect foresight re-solves the same fleet and objective on the actuals), with its cost at
    the tariff against idle batteries."""
    rd = partition_keys(context)
    tz = region(rd.region).timezone
    rows = [
        household_value(rd.region, rd.market_date, tz, household, actual_carbon),
        fleet_value(
            rd.region,
            rd.market_date,
            tz,
            fleet,
            actual_carbon,
            load_household_year(household_path(settings.datasets_dir())),
        ),
    ]
    frame = dispatch_value_frame(rows)
    house = rows[0]
    yield from validated_output(
        context,
        frame,
        DispatchValue,
        {
            "household_realized_saving_pct": house["realized_saving_pct"],
            "household_objective": house["objective"],
            "household_regret_co2_kg": house["regret_co2_kg"],
            "household_regret_cost_usd": house["regret_cost_usd"],
            "fleet_regret_cost_usd": rows[1]["regret_cost_usd"],
            "fleet_regret_co2_kg": rows[1]["regret_co2_kg"],
            "hours_without_actual_carbon": hours_without_actual(actual_carbon),
        },
    )
