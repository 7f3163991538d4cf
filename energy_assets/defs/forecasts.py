"""forecasts/*: next-day hourly P10/P50/P90 with `issued_at_utc` and the model version."""

from pathlib import Path

import dagster as dg
import polars as pl

from energy_assets import ui_metadata
from energy_assets.defs.harmonized import GRID_REGIONS
from energy_assets.defs.models import DAY_AHEAD_PARTITIONS
from energy_assets.defs_support.ranges import RANGE_POLICY, per_region_day, read_days
from energy_assets.defs_support.resources import WarehouseResource
from energy_assets.defs_support.validation import (
    PARTITION_EXPR,
    check_specs,
    history_result,
    validated_output,
)
from energy_assets.features.load import forecast_issue_time
from energy_assets.models import carbon_profile, load_ensemble
from energy_assets.models.load_mlx import load_load_mlx, predict_load_mlx
from energy_assets.models.quantile_lgbm import load_model, predict_quantiles
from energy_assets.partitions import day_window_mapping, partition_keys, window_days
from energy_assets.regions import OUR_CARBON_TARGET, region
from energy_assets.schemas.forecasts import CarbonDayAhead, CarbonDirectDayAhead, LoadDayAhead

_LOAD_KEY = dg.AssetKey(["forecasts", "load_day_ahead"])
_LIGHTGBM_KEY = dg.AssetKey(["forecasts", "load_day_ahead_lightgbm"])
_MLX_KEY = dg.AssetKey(["forecasts", "load_day_ahead_mlx"])
_CARBON_KEY = dg.AssetKey(["forecasts", "carbon_day_ahead"])
_CARBON_PROFILE_KEY = dg.AssetKey(["forecasts", "carbon_day_ahead_profile"])
CARBON_HISTORY_DAYS = 14
_SAME_DAY_FEATURES = dg.AssetIn(
    key=["features", "load_features"],
    partition_mapping=day_window_mapping(0, 0, GRID_REGIONS, GRID_REGIONS),
)


def _require_features(asset: str, partition: str, features: pl.DataFrame) -> None:
    """A forecast needs the day's feature rows; their absence (the day's ingest failed or has not
    run) is a clear failure, not an empty forecast."""
    if features.is_empty():
        raise dg.Failure(
            f"{asset} partition {partition}: no features/load_features rows for the day."
            " Materialize raw, harmonized and features for it first (or see why they failed).",
            allow_retries=False,
        )


def _features_of(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> pl.DataFrame:
    """The day's stored `features/load_features` (empty if none)."""
    rd = partition_keys(context)
    frame, _ = read_days(
        context, warehouse, ["features", "load_features"], rd.region, [rd.market_date]
    )
    return frame


def _member_forecast(
    context: dg.AssetExecutionContext,
    features: pl.DataFrame,
    model_version: str,
    quantiles: pl.DataFrame,
):
    """One model's forecast rows for the day (MW, clipped at 0), validated and yielded."""
    frame = features.select(
        "region", "market_date", "interval_start_utc", "issued_at_utc"
    ).with_columns(
        model_version=pl.lit(model_version),
        demand_p10_mw=quantiles["p10"].clip(lower_bound=0.0),
        demand_p50_mw=quantiles["p50"].clip(lower_bound=0.0),
        demand_p90_mw=quantiles["p90"].clip(lower_bound=0.0),
    )
    yield from validated_output(
        context,
        frame,
        LoadDayAhead,
        {
            "model_version": model_version,
            "peak_p50_mw": round(frame["demand_p50_mw"].max()),
            "hours": ui_metadata.forecast_hours(frame, operator=features),
        },
    )


@dg.asset(
    key=_LIGHTGBM_KEY,
    group_name="forecasts",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={"model": dg.AssetIn(key=["models", "load_lightgbm"]), "features": _SAME_DAY_FEATURES},
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_LIGHTGBM_KEY),
    kinds={"lightgbm", "duckdb"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def load_day_ahead_lightgbm(
    context: dg.AssetExecutionContext, model: pl.DataFrame, features: pl.DataFrame
):
    """Day-ahead hourly load forecast for market day D by the LightGBM model trained for D:
    P10/P50/P90 in MW, issued at D-1 12:00 local (artifact checked by sha256)."""
    _require_features("forecasts/load_day_ahead_lightgbm", context.partition_key, features)
    record = model.row(0, named=True)
    forecaster = load_model(Path(record["artifact_path"]), record["artifact_sha256"])
    yield from _member_forecast(
        context, features, record["model_version"], predict_quantiles(forecaster, features)
    )


@dg.asset(
    key=_MLX_KEY,
    group_name="forecasts",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={"model": dg.AssetIn(key=["models", "load_mlx"]), "features": _SAME_DAY_FEATURES},
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_MLX_KEY),
    kinds={"mlx", "duckdb"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def load_day_ahead_mlx(
    context: dg.AssetExecutionContext, model: pl.DataFrame, features: pl.DataFrame
):
    """Day-ahead hourly load forecast for market day D by the MLX model trained for D:
    P10/P50/P90 in MW, issued at D-1 12:00 local (artifact checked by sha256)."""
    _require_features("forecasts/load_day_ahead_mlx", context.partition_key, features)
    record = model.row(0, named=True)
    forecaster = load_load_mlx(Path(record["artifact_path"]), record["artifact_sha256"])
    yield from _member_forecast(
        context, features, record["model_version"], predict_load_mlx(forecaster, features)
    )


@dg.asset(
    key=_LOAD_KEY,
    group_name="forecasts",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={
        "lightgbm": dg.AssetIn(key=["forecasts", "load_day_ahead_lightgbm"]),
        "mlx": dg.AssetIn(key=["forecasts", "load_day_ahead_mlx"]),
        "weights": dg.AssetIn(key=["models", "load_ensemble"]),
    },
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_LOAD_KEY),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def load_day_ahead(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    lightgbm: pl.DataFrame,
    mlx: pl.DataFrame,
    weights: pl.DataFrame,
):
    """Day-ahead hourly load forecast for market day D, P10/P50/P90 in MW: the LightGBM and
    MLX forecasts weighted per quantile by `models/load_ensemble`. What the schedules read.
    `model_version` identifies both members' versions and the weights."""
    try:
        combined = load_ensemble.combine(lightgbm, mlx, weights)
    except ValueError as error:
        raise dg.Failure(
            f"forecasts/load_day_ahead partition {context.partition_key}: {error}"
        ) from error
    version = load_ensemble.ensemble_version(
        weights, lightgbm["model_version"][0], mlx["model_version"][0]
    )
    frame = (
        lightgbm.select("region", "market_date", "interval_start_utc", "issued_at_utc")
        .join(combined, on="interval_start_utc")
        .select(
            "region",
            "market_date",
            "interval_start_utc",
            "issued_at_utc",
            pl.lit(version).alias("model_version"),
            "demand_p10_mw",
            "demand_p50_mw",
            "demand_p90_mw",
        )
    )
    yield from validated_output(
        context,
        frame,
        LoadDayAhead,
        {
            "model_version": version,
            "lightgbm_model_version": lightgbm["model_version"][0],
            "mlx_model_version": mlx["model_version"][0],
            "peak_p50_mw": round(frame["demand_p50_mw"].max()),
            # beside the operator's own day-ahead forecast of the hours (in the day's features)
            "hours": ui_metadata.forecast_hours(frame, operator=_features_of(context, warehouse)),
        },
    )


@dg.asset(
    key=_CARBON_PROFILE_KEY,
    group_name="forecasts",
    partitions_def=DAY_AHEAD_PARTITIONS,
    # built once the day's carbon features exist; reads the intensity of D-15..D-2 from the
    # warehouse (a backfill wrote those days in an earlier run)
    deps=[
        dg.AssetDep(
            ["features", "carbon_features"],
            partition_mapping=day_window_mapping(0, 0, GRID_REGIONS, GRID_REGIONS),
        )
    ],
    metadata={
        "partition_expr": PARTITION_EXPR,
        "reads": "harmonized/carbon_intensity D-15..D-2",
    },
    check_specs=check_specs(_CARBON_PROFILE_KEY, history=True),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def carbon_day_ahead_profile(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Seasonal-profile baseline of the day-ahead carbon intensity for market day D, P10/P50/P90
    in gCO2eq/kWh: quantiles of the same local hour over D-15..D-2 (see
    `energy_assets/models/carbon_profile.py`). Scored beside the LightGBM forecast."""
    rd = partition_keys(context)
    history_days = window_days(rd.market_date, -CARBON_HISTORY_DAYS - 1, -2)
    history, _ = read_days(
        context, warehouse, ["harmonized", "carbon_intensity"], rd.region, history_days
    )
    tz = region(rd.region).timezone
    issued_at = forecast_issue_time(rd.market_date, tz)
    try:
        profile = carbon_profile.forecast_carbon_profile(history, rd.market_date, tz, issued_at)
    except ValueError as error:
        raise dg.Failure(
            f"forecasts/carbon_day_ahead_profile partition {context.partition_key}: {error}"
        ) from error
    frame = profile.select(
        pl.lit(rd.region).alias("region"),
        pl.lit(rd.market_date, dtype=pl.Date).alias("market_date"),
        "interval_start_utc",
        pl.lit(issued_at, dtype=pl.Datetime("us", "UTC")).alias("issued_at_utc"),
        pl.lit(carbon_profile.MODEL_VERSION).alias("model_version"),
        "carbon_p10_gco2_per_kwh",
        "carbon_p50_gco2_per_kwh",
        "carbon_p90_gco2_per_kwh",
        "history_days",
    )
    yield from validated_output(
        context,
        frame,
        CarbonDayAhead,
        {"issued_at_utc": issued_at.isoformat(), "hours": ui_metadata.forecast_hours(frame)},
    )
    yield history_result({"harmonized/carbon_intensity": (history_days, history)})


def _carbon_forecast(
    key: dg.AssetKey,
    model_key: list[str],
    prefix: str,
    schema: type,
    what: str,
    features: str = "carbon_features",
    issue: str = "issued at D-1 12:00 local",
) -> dg.AssetsDefinition:
    """The day-ahead forecast of one carbon model: its quantiles as `<prefix>_pNN_gco2_per_kwh`."""

    @dg.asset(
        key=key,
        group_name="forecasts",
        partitions_def=DAY_AHEAD_PARTITIONS,
        ins={
            "model": dg.AssetIn(key=model_key),
            "features": dg.AssetIn(
                key=["features", features],
                partition_mapping=day_window_mapping(0, 0, GRID_REGIONS, GRID_REGIONS),
            ),
        },
        metadata={"partition_expr": PARTITION_EXPR},
        check_specs=check_specs(key),
        kinds={"lightgbm", "duckdb"},
        backfill_policy=RANGE_POLICY,
        description=f"Day-ahead hourly {what} carbon intensity for day D, P10/P50/P90 in"
        f" gCO2eq/kWh, by the LightGBM model trained for D, {issue} (artifact checked by"
        " sha256). `history_days` is the number of days the model was trained on.",
    )
    @per_region_day()
    def _forecast(context: dg.AssetExecutionContext, model: pl.DataFrame, features: pl.DataFrame):
        if features.is_empty():
            raise dg.Failure(
                f"{key.to_user_string()} partition {context.partition_key}: no"
                f" features/{features} rows for the day. Materialize raw, harmonized and"
                " features for it first (or see why they failed).",
                allow_retries=False,
            )
        record = model.row(0, named=True)
        forecaster = load_model(Path(record["artifact_path"]), record["artifact_sha256"])
        quantiles = predict_quantiles(forecaster, features)
        frame = features.select(
            "region", "market_date", "interval_start_utc", "issued_at_utc"
        ).with_columns(
            model_version=pl.lit(record["model_version"]),
            **{
                f"{prefix}_{q}_gco2_per_kwh": quantiles[q].clip(lower_bound=0.0)
                for q in ("p10", "p50", "p90")
            },
            history_days=pl.lit(record["training_days"], dtype=pl.Int32),
        )
        yield from validated_output(
            context,
            frame,
            schema,
            {
                "model_version": record["model_version"],
                "issued_at_utc": frame["issued_at_utc"][0].isoformat(),
                "mean_p50_gco2_per_kwh": round(frame[f"{prefix}_p50_gco2_per_kwh"].mean(), 1),
                "hours": ui_metadata.forecast_hours(frame),
                **_named_target(prefix, context),
            },
        )

    return _forecast


def _named_target(prefix: str, context: dg.AssetExecutionContext) -> dict[str, str]:
    """`target` metadata where `forecasts/carbon_day_ahead` forecasts a region's own carbon
    target other than ours (GB: the published intensity, `Region.carbon_target`)."""
    target = region(partition_keys(context).region).carbon_target
    return {"target": target} if prefix == "carbon" and target != OUR_CARBON_TARGET else {}


# what the schedules read: the region's carbon target (`Region.carbon_target`), our lifecycle
# intensity for the US regions; for GB the Carbon Intensity API's published intensity (its
# method: direct, imports counted), the only GB intensity with a history offline. Its columns
# are `carbon_p*` for every region; the score keeps GB's apart (`lightgbm_published`)
carbon_day_ahead = _carbon_forecast(
    _CARBON_KEY,
    ["models", "carbon_lightgbm"],
    "carbon",
    CarbonDayAhead,
    "lifecycle (GB: the published intensity, the Carbon Intensity API's own method)",
)
carbon_direct_day_ahead = _carbon_forecast(
    dg.AssetKey(["forecasts", "carbon_direct_day_ahead"]),
    ["models", "carbon_direct_lightgbm"],
    "carbon_direct",
    CarbonDirectDayAhead,
    "direct (combustion-only)",
)
carbon_direct_day_ahead_utc = _carbon_forecast(
    dg.AssetKey(["forecasts", "carbon_direct_day_ahead_utc"]),
    ["models", "carbon_direct_utc_lightgbm"],
    "carbon_direct",
    CarbonDirectDayAhead,
    "direct (combustion-only)",
    features="carbon_features_utc",
    issue="issued at 00:00 UTC of the UTC day D for its 24 UTC hours (the published carbon"
    " benchmarks' protocol: CarbonCast, DACF)",
)
