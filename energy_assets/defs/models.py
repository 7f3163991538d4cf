"""models/*: load and carbon forecasters trained per region and market day (rolling origin).

The models for day D are trained on the features and actuals of a trailing window ending on D-2
(D-56..D-2, longer for the load LightGBM and the carbon models: what is known when the forecast
for D is issued at D-1 12:00 local), read from the warehouse; to Dagster each model
depends on the features of its own day (why not on a time-window mapping: `partitions.py`):

- `models/load_lightgbm`: LightGBM quantile boosters (`energy_assets/models/quantile_lgbm.py`),
  on the days stored of D-`load_training_days`..D-2 (730 by default), trained every
  `load_lightgbm_refit_every_days` (7; every `refit_every_days` while the window holds fewer
  than `load_lightgbm_young_history_days` stored days, 365; all three chosen there).
- `models/load_mlx`: an MLX quantile MLP (`energy_assets/models/load_mlx.py`).
- `models/carbon_lightgbm`, `models/carbon_direct_lightgbm`: LightGBM quantile boosters for
  the hourly lifecycle and direct carbon intensity, on `features/carbon_features` and
  `harmonized/carbon_intensity` over D-`carbon_training_days`..D-2 (730 by default: every
  day stored of the two years), trained every `carbon_refit_every_days` (28 by default; both
  chosen in `energy_assets/models/carbon_lgbm.py`).
  `carbon_lightgbm` learns the region's `carbon_target` (`energy_assets/regions.py`): our
  lifecycle intensity, or GB's published intensity (the Carbon Intensity API's, with its
  `published_*` features), never one mixed into the other. Each is two ratio models, one learning
  the intensity relative to its same hour of D-1, one relative to its latest hour known,
  averaged, with larger trees than the load models (`energy_assets/models/carbon_lgbm.py`,
  where the choice is measured).
- `models/load_ensemble`: per-quantile weights of the two, learned on the validation days
  D-57..D-2 only, from the two models' own day-ahead forecasts for those days
  (`energy_assets/models/load_ensemble.py`).

Artifacts are files under `data/models/<asset>/<region>/<date>.<ext>`, written atomically and
referenced by path + sha256 in the `models.*` tables and the materialization metadata.

Refit cadence (the MLX load model's `ModelStoreResource.refit_every_days`,
`ENERGY_ASSETS_REFIT_EVERY_DAYS`, default 1; the load LightGBM's
`load_lightgbm_refit_every_days`, `ENERGY_ASSETS_LOAD_LIGHTGBM_REFIT_EVERY_DAYS`, default 7; the
carbon models' `carbon_refit_every_days`,
`ENERGY_ASSETS_CARBON_REFIT_EVERY_DAYS`, default 28): with N > 1 the models are trained on the fit
days `REFIT_EPOCH` + kN only; the model of day D is the one trained for its latest fit day F <= D
(on F-56..F-2, or the carbon window, known before D's forecast is issued), reused from its
artifact (or trained now, the same way, if F was never built). The row for D says so
(`train_last_date` F-2, `model_version` F's). A fit day whose window holds too few days (the
first days of a region's history) gives way to the day's own window; so, for the carbon
models, does one whose window holds fewer stored days than `carbon_young_history_days`
(`ENERGY_ASSETS_CARBON_YOUNG_HISTORY_DAYS`): while a region's history is young they are trained
every `carbon_young_refit_every_days` days (`ENERGY_ASSETS_CARBON_YOUNG_REFIT_EVERY_DAYS`; both
chosen in `energy_assets/models/carbon_lgbm.py`); and for the load LightGBM, one whose window
holds fewer than `load_lightgbm_young_history_days`
(`ENERGY_ASSETS_LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS`): it is then trained every
`refit_every_days`, as the MLX model (chosen in `energy_assets/models/quantile_lgbm.py`).
"""

import datetime as dt
import hashlib
from pathlib import Path

import dagster as dg
import polars as pl

from energy_assets.defs.harmonized import GRID_REGIONS
from energy_assets.defs_support.ranges import (
    RANGE_POLICY,
    once_per_step,
    per_region_day,
    read_days,
)
from energy_assets.defs_support.resources import ModelStoreResource, WarehouseResource
from energy_assets.defs_support.validation import (
    PARTITION_EXPR,
    WindowHistory,
    check_specs,
    history_result,
    table_value,
    validated_output,
)
from energy_assets.features import carbon as carbon_features
from energy_assets.features.load import FEATURE_COLUMNS
from energy_assets.models import load_ensemble as ensemble
from energy_assets.models.carbon_lgbm import (
    CARBON_BASELINE_RULE,
    CARBON_NUM_BOOST_ROUND,
    CARBON_PARAMS,
    CARBON_REFIT_EVERY_DAYS,
    CARBON_TRAINING_DAYS,
    CARBON_YOUNG_HISTORY_DAYS,
    CARBON_YOUNG_REFIT_EVERY_DAYS,
    FUEL_MIX_NUM_BOOST_ROUND,
    FUEL_MIX_PARAMS,
    FUEL_MIX_REFIT_EVERY_DAYS,
    FUEL_MIX_WEIGHT,
    carbon_baseline_columns,
)
from energy_assets.models.fuel_mix_lgbm import train_fuel_mix_forecaster
from energy_assets.models.load_mlx import save_load_mlx, train_load_mlx
from energy_assets.models.quantile_lgbm import (
    LOAD_NUM_BOOST_ROUND,
    LOAD_PARAMS,
    QuantileForecaster,
    load_model,
    save_model_atomic,
    train_quantile_forecaster,
)
from energy_assets.models.training_rows import training_rows
from energy_assets.partitions import (
    FIRST_DAY_AHEAD_DATE,
    MIN_TRAINING_DAYS,
    RegionDay,
    day_ahead_partitions,
    partition_keys,
    region_days,
    same_day_mapping,
    window_days,
)
from energy_assets.regions import OUR_CARBON_TARGET, PUBLISHED_CARBON_TARGET, region
from energy_assets.schemas.models import EnsembleWeights, TrainedModel

TRAINING_WINDOW_DAYS = 56
# fit days are REFIT_EPOCH + k * refit_every_days (a Monday: weekly fits land on Mondays)
REFIT_EPOCH = dt.date(2019, 1, 7)


def fit_day(rd: RegionDay, refit_every_days: int) -> RegionDay:
    """The day whose model day `rd` uses: itself, or its latest fit day (see the module doc)."""
    offset = (rd.market_date - REFIT_EPOCH).days % max(refit_every_days, 1)
    return RegionDay(rd.region, rd.market_date - dt.timedelta(days=offset))


DAY_AHEAD_PARTITIONS = day_ahead_partitions(GRID_REGIONS)
_LIGHTGBM_KEY = dg.AssetKey(["models", "load_lightgbm"])
_MLX_KEY = dg.AssetKey(["models", "load_mlx"])
_ENSEMBLE_KEY = dg.AssetKey(["models", "load_ensemble"])
_CARBON_KEY = dg.AssetKey(["models", "carbon_lightgbm"])
_CARBON_DIRECT_KEY = dg.AssetKey(["models", "carbon_direct_lightgbm"])
_LOAD_FEATURES = dg.AssetKey(["features", "load_features"])
_CARBON_FEATURES = dg.AssetKey(["features", "carbon_features"])
_GRID = dg.AssetKey(["harmonized", "grid_hourly"])
_CARBON = dg.AssetKey(["harmonized", "carbon_intensity"])


def _same_day(key: dg.AssetKey) -> dg.AssetDep:
    """The day's features: a model for D is built once they exist (its training window D-56..D-2
    is read from the warehouse; a backfill built those days in an earlier run or step)."""
    return dg.AssetDep(key, partition_mapping=same_day_mapping(GRID_REGIONS, GRID_REGIONS))


def _training_data(
    context: dg.AssetExecutionContext,
    fit: RegionDay,
    warehouse: WarehouseResource,
    features_key: dg.AssetKey,
    actuals_key: dg.AssetKey,
    target: str = "demand_mw",
    coverage: str = "demand_coverage",
    window_length: int = TRAINING_WINDOW_DAYS,
) -> tuple[RegionDay, pl.DataFrame, pl.Series, int, dg.AssetCheckResult]:
    """Features and actuals of F-56..F-2 (F: the fit day, `fit_day`) from the warehouse, as
    training rows, and the `history` check naming any missing day; fewer than MIN_TRAINING_DAYS
    usable days is a failure naming the missing days. `window_length`: days in the window. A
    window longer than 56 days (the carbon models' and the load LightGBM's, two years) is
    the days of it that are stored: only its last days F-56..F-2 are declared to the `history`
    check and named in the warning, as the MLX load model's window is; the older days are learnt
    from where stored (the row's `training_days` and `train_first_date` say how many), so that a
    region whose history begins within the window does not warn on every partition."""
    rd = fit
    window = window_days(rd.market_date, -window_length, -2)
    required = window_days(rd.market_date, -min(window_length, TRAINING_WINDOW_DAYS), -2)
    features, missing_features = read_days(context, warehouse, features_key, rd.region, window)
    actuals, missing_actuals = read_days(context, warehouse, actuals_key, rd.region, window)
    if not features.width or not actuals.width:
        x, y = pl.DataFrame(), pl.Series(dtype=pl.Float64)
    else:
        x, y = training_rows(features, actuals, target=target, coverage=coverage)
    days = x["market_date"].n_unique() if x.height else 0
    missing = sorted(set(missing_features) | set(missing_actuals))
    missing_required = [d for d in missing if required and d >= required[0]]
    if days < MIN_TRAINING_DAYS:
        raise dg.Failure(
            f"{context.asset_key.to_user_string()} partition {context.partition_key}: needs at"
            f" least {MIN_TRAINING_DAYS} days of {features_key.to_user_string()} and actual"
            f" {target} ({actuals_key.to_user_string()}) in {window[0]}..{window[-1]}, found"
            f" {days}; missing: {_days_text(missing)}. Materialize those days first"
            " (ingest_job).",
            allow_retries=False,
        )
    if missing_required:
        context.log.warning(
            f"{context.asset_key.to_user_string()} partition {context.partition_key}: trained"
            f" on {days} days; missing {_days_text(missing_required)}"
        )
    history = history_result(
        {
            features_key.to_user_string(): (required, features),
            actuals_key.to_user_string(): (required, actuals),
        }
    )
    return rd, x, y, days, history


def _training_for_day(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    features_key: dg.AssetKey,
    actuals_key: dg.AssetKey,
    refit_every_days: int,
    young_history_days: int = 0,
    young_refit_every_days: int = 1,
    **target,
) -> tuple[RegionDay, RegionDay, pl.DataFrame, pl.Series, int, dg.AssetCheckResult]:
    """(day, fit day, training rows, targets, training days, history check): the fit day's
    window (fit days every `refit_every_days`); where it holds fewer than `young_history_days`
    stored days (a young history), the fit day every `young_refit_every_days` (1: the day
    itself); the day's own where a fit day's window is too short (the first days).

    The rows depend on the fit day only, so in a range every day that shares a fit day shares
    them (`once_per_step`): refit weekly, six days of seven reuse the fit day's rows instead of
    reading and joining its whole window again (a year of features for a carbon model)."""
    rd = partition_keys(context)
    fit = fit_day(rd, refit_every_days)

    def rows_of(day: RegionDay):
        key = ("training_rows", features_key, actuals_key, day, tuple(sorted(target.items())))
        return once_per_step(
            context,
            key,
            lambda: _training_data(context, day, warehouse, features_key, actuals_key, **target),
        )

    young_fit = fit_day(rd, young_refit_every_days)
    if fit != rd:
        try:
            _, x, y, days, history = rows_of(fit)
            if days >= young_history_days or young_fit == fit:
                return rd, fit, x, y, days, history
        except dg.Failure:
            pass
        if young_fit not in (fit, rd):
            try:
                _, x, y, days, history = rows_of(young_fit)
                return rd, young_fit, x, y, days, history
            except dg.Failure:
                pass
    _, x, y, days, history = rows_of(rd)
    return rd, rd, x, y, days, history


def _reuse(path: Path, rd: RegionDay, fit: RegionDay) -> bool:
    """Day `rd` reuses its fit day's artifact when it exists (else it is trained now)."""
    return fit != rd and path.exists()


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _days_text(days: list[dt.date]) -> str:
    if not days:
        return "none"
    shown = ", ".join(d.isoformat() for d in days[:10])
    return f"{len(days)} days ({shown}{', ...' if len(days) > 10 else ''})"


def _model_row(rd: RegionDay, path: Path, sha256: str, x: pl.DataFrame, days: int) -> pl.DataFrame:
    """The model table's row for day `rd`: its artifact (trained for `rd` or its fit day)."""
    trained_at = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    return pl.DataFrame(
        {
            "region": [rd.region],
            "market_date": [rd.market_date],
            "model_version": [sha256[:12]],
            "artifact_path": [str(path)],
            "artifact_sha256": [sha256],
            "training_rows": [x.height],
            "training_days": [days],
            "train_first_date": [x["market_date"].min()],
            "train_last_date": [x["market_date"].max()],
            "trained_at_utc": [trained_at],
        },
        schema_overrides={"trained_at_utc": pl.Datetime("us", "UTC")},
    )


def _artifact(model_store: ModelStoreResource, name: str, rd: RegionDay, suffix: str) -> Path:
    return model_store.path() / name / rd.region / f"{rd.market_date.isoformat()}{suffix}"


@dg.asset(
    key=_LIGHTGBM_KEY,
    group_name="models",
    partitions_def=DAY_AHEAD_PARTITIONS,
    deps=[_same_day(_LOAD_FEATURES)],
    metadata={
        "partition_expr": PARTITION_EXPR,
        "reads": "features/load_features and harmonized/grid_hourly D-<load_training_days>..D-2",
    },
    check_specs=check_specs(_LIGHTGBM_KEY, history=True),
    kinds={"lightgbm", "duckdb"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def load_lightgbm(
    context: dg.AssetExecutionContext,
    model_store: ModelStoreResource,
    warehouse: WarehouseResource,
):
    """LightGBM quantile load forecaster (P10/P50/P90, MW) for market day D, trained on the days
    stored of D-`load_training_days`..D-2 (730 by default), trained weekly once its window holds
    a year (`load_lightgbm_refit_every_days`, `load_lightgbm_young_history_days`; chosen in
    `models/quantile_lgbm.py`), the days between reusing the fit day's model.
    One booster per quantile on the ratio of load to the operator's day-ahead forecast, with the
    P10-P90 band calibrated on the last 7 training days. Artifact path + sha256 in the table and
    metadata."""
    rd, fit, x, y, days, history = _training_for_day(
        context,
        warehouse,
        _LOAD_FEATURES,
        _GRID,
        model_store.load_lightgbm_refit_every_days,
        young_history_days=model_store.load_lightgbm_young_history_days,
        young_refit_every_days=model_store.refit_every_days,
        window_length=model_store.load_training_days,
    )
    path = _artifact(model_store, "load_lightgbm", fit, ".json")
    model = (
        None
        if _reuse(path, rd, fit)
        else train_quantile_forecaster(
            x, y, FEATURE_COLUMNS, params=LOAD_PARAMS, num_boost_round=LOAD_NUM_BOOST_ROUND
        )
    )
    yield from _lightgbm_output(context, path, rd, fit, model, x, days)
    yield history


def _lightgbm_output(
    context: dg.AssetExecutionContext,
    path: Path,
    rd: RegionDay,
    fit: RegionDay,
    model: QuantileForecaster | None,
    x: pl.DataFrame,
    days: int,
    metadata: dict | None = None,
):
    """Write a newly trained LightGBM artifact atomically (`model`), or reuse the fit day's
    (`model` None); the day's table row with metadata (and `metadata`) and importances."""
    if model is None:
        sha256 = _file_sha256(path)
        extra = {"reuses_model_of": fit.market_date.isoformat()}
    else:
        sha256 = save_model_atomic(model, path)
        gains = pl.DataFrame(
            {
                "feature": list(model.feature_importance),
                "gain": [float(g) for g in model.feature_importance.values()],
            },
            schema={"feature": pl.String, "gain": pl.Float64},
        )
        total = gains["gain"].sum() or 1.0
        importance = gains.sort("gain", descending=True).with_columns(
            share_pct=100 * pl.col("gain") / total
        )
        extra = {
            # the P50 booster's gain per feature, largest first
            "feature_importance_gain": table_value(importance, digits=1),
            "calibration": dg.MetadataValue.json(model.trained_on["calibration"]),
            # what the boosters learn (the target, or its ratio to a baseline) and their size
            "training": dg.MetadataValue.json(
                {
                    "target_transform": model.target_transform,
                    "baseline_columns": list(model.baseline_columns),
                    "baseline_rule": model.baseline_rule,
                    "num_leaves": model.params.get("num_leaves"),
                    "min_data_in_leaf": model.params.get("min_data_in_leaf"),
                    "max_bin": model.params.get("max_bin", 255),
                    "learning_rate": model.params.get("learning_rate"),
                    "num_boost_round": model.num_boost_round,
                }
            ),
        }
    yield from validated_output(
        context,
        _model_row(rd, path, sha256, x, days),
        TrainedModel,
        {
            "artifact_path": dg.MetadataValue.path(str(path)),
            "artifact_sha256": sha256,
            "training_rows": x.height,
            "training_days": days,
            **extra,
            **(metadata or {}),
        },
    )


def _carbon_model(
    key: dg.AssetKey,
    target: str,
    what: str,
    features_key: dg.AssetKey = _CARBON_FEATURES,
    regions_target: bool = False,
    fuel_mix: bool = False,
) -> dg.AssetsDefinition:
    """A LightGBM quantile forecaster of one intensity column of `harmonized/carbon_intensity`,
    trained per region-day on `features_key` (both intensities' features). `regions_target`:
    the column is the region's `carbon_target` (`target` for the US regions; GB's published
    intensity, learnt with its own `published_*` features besides ours). `fuel_mix`: where
    `ModelStoreResource.carbon_fuel_mix` is on (off by default), a fit whose window holds at least `carbon_young_history_days` stored days also trains the
    fuel-mix member (`models/fuel_mix_lgbm.py`, on `harmonized/grid_hourly`'s fuels; direct
    intensity only)."""
    name = key.path[-1]
    target_text = (
        f"the region's `carbon_target` (`{target}`; GB: `{PUBLISHED_CARBON_TARGET}`, the"
        " Carbon Intensity API's own intensity, its method)"
        if regions_target
        else f"`{target}`"
    )

    @dg.asset(
        key=key,
        group_name="models",
        partitions_def=DAY_AHEAD_PARTITIONS,
        deps=[_same_day(features_key)],
        metadata={
            "partition_expr": PARTITION_EXPR,
            "reads": f"{features_key.to_user_string()} and harmonized/carbon_intensity"
            " D-<carbon_training_days>..D-2"
            + (", harmonized/grid_hourly (the fuel-mix member)" if fuel_mix else ""),
            "target": target_text if regions_target else target,
        },
        check_specs=check_specs(key, history=True),
        kinds={"lightgbm", "duckdb"},
        backfill_policy=RANGE_POLICY,
        description=f"LightGBM quantile forecaster of the {what} carbon intensity (P10/P50/P90,"
        f" gCO2eq/kWh) for day D, trained on the days stored of D-{CARBON_TRAINING_DAYS}..D-2"
        f" (by default: `ModelStoreResource.carbon_training_days`) every {CARBON_REFIT_EVERY_DAYS}"
        " days (`carbon_refit_every_days`; the days between reuse the latest fit), every"
        f" {CARBON_YOUNG_REFIT_EVERY_DAYS} days (`carbon_young_refit_every_days`) while the"
        f" stored window holds fewer than {CARBON_YOUNG_HISTORY_DAYS} days"
        " (`carbon_young_history_days`: a region's first year), on"
        f" `{features_key.to_user_string()}` against {target_text}, hour by hour: the mean of"
        " two ratio models, one relative to its same hour of D-1, one relative to its latest"
        " hour known (`energy_assets/models/carbon_lgbm.py`), each"
        " with its P10-P90 band calibrated on the last 7 training days."
        + (
            " With `ENERGY_ASSETS_CARBON_FUEL_MIX=1` (off by default), once its window holds"
            f" {CARBON_YOUNG_HISTORY_DAYS} stored days, a fit every"
            f" {FUEL_MIX_REFIT_EVERY_DAYS} days (`carbon_fuel_mix_refit_every_days`) also trains"
            " a fuel-mix member (each fuel's output forecast, the intensity it implies:"
            " `energy_assets/models/fuel_mix_lgbm.py`), the fits between keep the latest, and"
            f" the forecast moves {FUEL_MIX_WEIGHT:g} of the way to it."
            if fuel_mix
            else ""
        )
        + " Artifact path + sha256 in the table and metadata, gain importances in metadata.",
    )
    @per_region_day()
    def _model(
        context: dg.AssetExecutionContext,
        model_store: ModelStoreResource,
        warehouse: WarehouseResource,
    ):
        day_target = (
            region(partition_keys(context).region).carbon_target if regions_target else target
        )
        rd, fit, x, y, days, history = _training_for_day(
            context,
            warehouse,
            features_key,
            _CARBON,
            model_store.carbon_refit_every_days,
            model_store.carbon_young_history_days,
            model_store.carbon_young_refit_every_days,
            target=day_target,
            coverage=_COVERAGE_OF_TARGET.get(day_target, "coverage"),
            window_length=model_store.carbon_training_days,
        )
        path = _artifact(model_store, name, fit, ".json")
        model = (
            None
            if _reuse(path, rd, fit)
            else train_quantile_forecaster(
                x,
                y,
                carbon_features.feature_columns_for(day_target),
                params=CARBON_PARAMS,
                num_boost_round=CARBON_NUM_BOOST_ROUND,
                target_transform="ratio",
                baseline_columns=carbon_baseline_columns(day_target),
                baseline_rule=CARBON_BASELINE_RULE,
            )
        )
        # the target is named where it is not the asset's own (GB's published intensity)
        named = {} if day_target == target else {"target": day_target}
        if fuel_mix and model is not None:
            named["fuel_mix"] = _with_fuel_mix(
                context, warehouse, model, name, fit, x, days, model_store
            )
        yield from _lightgbm_output(context, path, rd, fit, model, x, days, named)
        yield history

    return _model


def _with_fuel_mix(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    model: QuantileForecaster,
    name: str,
    fit: RegionDay,
    x: pl.DataFrame,
    days: int,
    model_store: ModelStoreResource,
) -> dg.MetadataValue:
    """Attach the fuel-mix member to `model` where it is on (`carbon_fuel_mix`) and the window
    holds `carbon_young_history_days`; what was done, as metadata. The member is trained on the
    fit's training rows and `harmonized/grid_hourly` of the same hours (the local days around the
    UTC days) on its own grid of fit days (`carbon_fuel_mix_refit_every_days`); a fit between
    keeps the member of that grid's latest fit day (its artifact `name`), trained now where that
    artifact is absent or has none (its window was young)."""
    if not model_store.carbon_fuel_mix:
        return dg.MetadataValue.json(
            {"trained": False, "why": "off (ENERGY_ASSETS_CARBON_FUEL_MIX=0, the default)"}
        )
    young = model_store.carbon_young_history_days
    if days < young:
        return dg.MetadataValue.json(
            {"trained": False, "why": f"young window: {days} stored days, under {young}"}
        )
    member_fit = fit_day(fit, model_store.carbon_fuel_mix_refit_every_days)
    earlier = _artifact(model_store, name, member_fit, ".json")
    if member_fit != fit and earlier.exists():
        kept = load_model(earlier).partner
        if kept is not None:
            model.partner, model.partner_weight = kept, FUEL_MIX_WEIGHT
            return dg.MetadataValue.json(
                {
                    "trained": False,
                    "keeps_member_of": member_fit.market_date.isoformat(),
                    "weight": FUEL_MIX_WEIGHT,
                    "fuels": kept.fuels,
                    "rows": kept.trained_on["rows"],
                }
            )
    window = window_days(fit.market_date, -model_store.carbon_training_days - 1, -1)
    grid, _ = read_days(context, warehouse, _GRID, fit.region, window)
    try:
        member = train_fuel_mix_forecaster(
            x,
            grid,
            carbon_features.feature_columns_for(OUR_CARBON_TARGET),
            FUEL_MIX_PARAMS,
            FUEL_MIX_NUM_BOOST_ROUND,
        )
    except ValueError as error:
        raise dg.Failure(
            f"{context.asset_key.to_user_string()} partition {context.partition_key}: fuel-mix"
            f" member for the fit of {fit.market_date}: {error}",
            allow_retries=False,
        ) from error
    model.partner, model.partner_weight = member, FUEL_MIX_WEIGHT
    return dg.MetadataValue.json(
        {
            "trained": True,
            "weight": FUEL_MIX_WEIGHT,
            "fuels": member.fuels,
            "rows": member.trained_on["rows"],
            "mean_output_mw": member.trained_on["mean_output_mw"],
        }
    )


# the coverage column of a target other than ours (`harmonized/carbon_intensity`)
_COVERAGE_OF_TARGET = {PUBLISHED_CARBON_TARGET: "published_coverage"}

# what the schedules read: our lifecycle intensity, or the region's own target (GB: published)
carbon_lightgbm = _carbon_model(
    _CARBON_KEY, OUR_CARBON_TARGET, "lifecycle (GB: published)", regions_target=True
)
carbon_direct_lightgbm = _carbon_model(
    _CARBON_DIRECT_KEY, "carbon_direct_gco2_per_kwh", "direct (combustion-only)"
)
# the published carbon benchmarks' protocol: issued 00:00 UTC for the UTC day D
carbon_direct_utc_lightgbm = _carbon_model(
    dg.AssetKey(["models", "carbon_direct_utc_lightgbm"]),
    "carbon_direct_gco2_per_kwh",
    "direct (combustion-only), UTC-day,",
    dg.AssetKey(["features", "carbon_features_utc"]),
    fuel_mix=True,
)


@dg.asset(
    key=_MLX_KEY,
    group_name="models",
    partitions_def=DAY_AHEAD_PARTITIONS,
    deps=[_same_day(_LOAD_FEATURES)],
    metadata={
        "partition_expr": PARTITION_EXPR,
        "reads": "features/load_features and harmonized/grid_hourly D-56..D-2",
    },
    check_specs=check_specs(_MLX_KEY, history=True),
    kinds={"mlx", "duckdb"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def load_mlx(
    context: dg.AssetExecutionContext,
    model_store: ModelStoreResource,
    warehouse: WarehouseResource,
):
    """MLX quantile MLP load forecaster (P10/P50/P90, MW) for market day D, trained on
    D-56..D-2 with the pinball loss on the ratio of load to the operator's day-ahead forecast
    (runs on the CPU with `mlx[cpu]`, on the GPU with Metal or CUDA builds). Artifact path +
    sha256 in the table and metadata."""
    rd, fit, x, y, days, history = _training_for_day(
        context, warehouse, _LOAD_FEATURES, _GRID, model_store.refit_every_days
    )
    path = _artifact(model_store, "load_mlx", fit, ".npz")
    if _reuse(path, rd, fit):
        sha256 = _file_sha256(path)
        extra = {"reuses_model_of": fit.market_date.isoformat()}
    else:
        model = train_load_mlx(x, y, FEATURE_COLUMNS)
        sha256 = save_load_mlx(model, path)
        config = model.forecaster.config
        extra = {
            "architecture": f"MLP {list(config.hidden)} x {config.n_members} members,"
            f" {config.epochs} epochs, input noise {config.input_noise}"
        }
    yield from validated_output(
        context,
        _model_row(rd, path, sha256, x, days),
        TrainedModel,
        {
            "artifact_path": dg.MetadataValue.path(str(path)),
            "artifact_sha256": sha256,
            "training_rows": x.height,
            "training_days": days,
            **extra,
        },
    )
    yield history


_MEMBERS = (
    dg.AssetKey(["forecasts", "load_day_ahead_lightgbm"]),
    dg.AssetKey(["forecasts", "load_day_ahead_mlx"]),
)


@dg.asset(
    key=_ENSEMBLE_KEY,
    group_name="models",
    partitions_def=DAY_AHEAD_PARTITIONS,
    # the members' forecasts of the day; their validation days D-57..D-2 are read from the
    # warehouse (a backfill built them in the same run, in an earlier step)
    deps=list(_MEMBERS),
    metadata={
        "partition_expr": PARTITION_EXPR,
        "reads": "forecasts/load_day_ahead_lightgbm, _mlx and harmonized/grid_hourly D-57..D-2",
    },
    check_specs=check_specs(_ENSEMBLE_KEY, history=True),
    backfill_policy=RANGE_POLICY,
    kinds={"duckdb", "polars"},
)
def load_ensemble(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Per-quantile weights of the LightGBM and MLX load forecasts for market day D, chosen on
    the validation days D-57..D-2 only (both models' out-of-sample day-ahead forecasts against
    the actual demand) by pinball loss; equal weights while fewer than 3 such days exist. The
    P10-P90 band is then widened on the same days to its nominal 80 % (`band_scale`)."""
    all_weights, history = [], WindowHistory()
    for rd in region_days(context):  # one day, or a backfill's range of days in date order
        days = window_days(rd.market_date, -ensemble.VALIDATION_DAYS - 1, -2)
        member_days = [d for d in days if d.isoformat() >= FIRST_DAY_AHEAD_DATE]
        lightgbm, _ = warehouse.read_days(_MEMBERS[0], rd.region, member_days)
        mlx, _ = warehouse.read_days(_MEMBERS[1], rd.region, member_days)
        actuals, _ = warehouse.read_days(_GRID, rd.region, days)
        history.add(_MEMBERS[0].to_user_string(), member_days, lightgbm)
        history.add(_MEMBERS[1].to_user_string(), member_days, mlx)
        history.add(_GRID.to_user_string(), days, actuals)
        validation = ensemble.validation_frame(lightgbm, mlx, actuals)
        weights = ensemble.learn_weights(validation).with_columns(
            region=pl.lit(rd.region), market_date=pl.lit(rd.market_date, dtype=pl.Date)
        )
        all_weights.append(
            weights.select(
                "region",
                "market_date",
                *[c for c in weights.columns if c not in ("region", "market_date")],
            )
        )
    frame = pl.concat(all_weights)
    last = all_weights[-1]  # the metadata describe the last day of a range
    yield from validated_output(
        context,
        frame,
        EnsembleWeights,
        {
            "validation_days": int(last["validation_days"][0]),
            "weight_lightgbm": dg.MetadataValue.json(
                {
                    f"p{round(q * 100)}": w
                    for q, w in last.select("quantile", "weight_lightgbm").rows()
                }
            ),
            "band_scale": dg.MetadataValue.json(
                {
                    f"p{round(q * 100)}": round(b, 4)
                    for q, b in last.select("quantile", "band_scale").rows()
                }
            ),
        },
    )
    yield history.result()
