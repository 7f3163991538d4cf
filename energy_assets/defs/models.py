"""models/*: forecasters trained per region and market day (rolling origin).

The model for day D is trained on the features and actuals of D-56..D-2 (what is known when the
forecast for D is issued at D-1 12:00 local), loaded through a time-window partition mapping.
Artifacts are JSON files under `data/models/<asset>/<region>/<date>.json`, written atomically and
referenced by path + sha256 in the `models.*` table and the materialization metadata.
"""

import datetime as dt

import dagster as dg
import polars as pl

from energy_assets.defs.harmonized import GRID_REGIONS
from energy_assets.defs.resources import ModelStoreResource
from energy_assets.defs.validation import PARTITION_EXPR, check_specs, validated_output
from energy_assets.defs.warehouse import WAREHOUSE_POOL
from energy_assets.features.load import FEATURE_COLUMNS
from energy_assets.models.load_training import training_rows
from energy_assets.models.quantile_lgbm import save_model_atomic, train_quantile_forecaster
from energy_assets.partitions import (
    MIN_TRAINING_DAYS,
    day_ahead_partitions,
    day_window_mapping,
    partition_keys,
)
from energy_assets.schemas.models import TrainedModel

TRAINING_WINDOW_DAYS = 56
DAY_AHEAD_PARTITIONS = day_ahead_partitions(GRID_REGIONS)
_KEY = dg.AssetKey(["models", "load_forecaster"])
_WINDOW = day_window_mapping(-TRAINING_WINDOW_DAYS, -2)


@dg.asset(
    key=_KEY,
    group_name="models",
    partitions_def=DAY_AHEAD_PARTITIONS,
    ins={
        "features": dg.AssetIn(key=["features", "load_features"], partition_mapping=_WINDOW),
        "actuals": dg.AssetIn(key=["harmonized", "grid_hourly"], partition_mapping=_WINDOW),
    },
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_KEY),
    pool=WAREHOUSE_POOL,
    kinds={"lightgbm", "duckdb"},
)
def load_forecaster(
    context: dg.AssetExecutionContext,
    model_store: ModelStoreResource,
    features: pl.DataFrame,
    actuals: pl.DataFrame,
):
    """LightGBM quantile load forecaster (P10/P50/P90, MW) for market day D, trained on
    D-56..D-2. One booster per quantile on the ratio of load to CAISO's day-ahead forecast,
    with the P10-P90 band calibrated on the last 7 training days. Artifact path + sha256 in the
    table and metadata."""
    rd = partition_keys(context)
    x, y = training_rows(features, actuals)
    days = x["market_date"].n_unique() if x.height else 0
    if days < MIN_TRAINING_DAYS:
        raise dg.Failure(
            f"models/load_forecaster partition {context.partition_key}: needs at least"
            f" {MIN_TRAINING_DAYS} days of features and actual demand in"
            f" {rd.market_date - dt.timedelta(days=TRAINING_WINDOW_DAYS)}..{rd.market_date - dt.timedelta(days=2)},"
            f" found {days}. Materialize raw, harmonized and features for those days first."
        )
    model = train_quantile_forecaster(x, y, FEATURE_COLUMNS)
    path = model_store.path() / "load_forecaster" / rd.region / f"{rd.market_date.isoformat()}.json"
    sha256 = save_model_atomic(model, path)
    first, last = x["market_date"].min(), x["market_date"].max()
    row = pl.DataFrame(
        {
            "region": [rd.region],
            "market_date": [rd.market_date],
            "model_version": [sha256[:12]],
            "artifact_path": [str(path)],
            "artifact_sha256": [sha256],
            "training_rows": [x.height],
            "training_days": [days],
            "train_first_date": [first],
            "train_last_date": [last],
            "trained_at_utc": [dt.datetime.now(dt.UTC)],
        },
        schema_overrides={"trained_at_utc": pl.Datetime("us", "UTC")},
    )
    top = sorted(model.feature_importance.items(), key=lambda kv: -kv[1])[:10]
    yield from validated_output(
        context,
        row,
        TrainedModel,
        {
            "artifact_path": dg.MetadataValue.path(str(path)),
            "artifact_sha256": sha256,
            "training_rows": x.height,
            "training_days": days,
            "feature_importance_gain": dg.MetadataValue.json(
                {name: round(gain, 1) for name, gain in top}
            ),
        },
    )
