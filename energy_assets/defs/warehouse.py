"""The warehouse IO manager: every asset partition is one Parquet file (`energy_assets/warehouse.py`),
written atomically, so runs of different partitions write at once with no lock.

Table = asset key `[layer, dataset]`; partition = the asset's `date|region` key. Inputs are read
from the files of the upstream partitions the partition mapping names. A missing upstream
partition is bad input, never an empty table computed on silently:

- a missing upstream partition of the step's own market day (the day's raw payload, features,
  model, member forecasts, ensemble weights, actuals) fails the step, naming the asset and
  partition that needed it, the missing partition and the job that builds it;
- an input over a window of earlier days loads the days that exist and names the missing ones in
  the step's log; each asset decides what it can still do (features report it in their `history`
  check, models need `MIN_TRAINING_DAYS` days).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import polars as pl

from energy_assets.warehouse import TableName, Warehouse

# The job that materializes each layer, named in "missing upstream" errors.
JOB_FOR_LAYER = {
    "raw": "ingest_job",
    "harmonized": "ingest_job",
    "features": "ingest_job",
    "models": "day_ahead_job",
    "forecasts": "day_ahead_job",
    "dispatch": "day_ahead_job",
    "evaluation": "day_ahead_job",
}


def _table(key: dg.AssetKey) -> TableName:
    if len(key.path) != 2:
        raise ValueError(f"asset keys are [layer, dataset]; {key.to_user_string()} is not")
    return TableName(*key.path)


def _partition(key: str | dg.MultiPartitionKey) -> dict[str, str]:
    """Dimension -> key; a plain daily key is the `date` dimension."""
    if isinstance(key, dg.MultiPartitionKey):
        return dict(key.keys_by_dimension)
    try:
        dt.date.fromisoformat(str(key))
    except ValueError:
        return {"key": str(key)}
    return {"date": str(key)}


def _describe(partition: dict[str, str]) -> str:
    return "|".join(partition[d] for d in sorted(partition))


def missing_upstream_message(
    needed_by: str, upstream: dg.AssetKey, missing: list[dict[str, str]]
) -> str:
    layer = upstream.path[0]
    days = sorted(p.get("date", _describe(p)) for p in missing)
    regions = sorted({p["region"] for p in missing if "region" in p})
    what = days[0] if len(days) == 1 else f"{len(days)} days: {', '.join(days)}"
    job = JOB_FOR_LAYER.get(layer, "the job that builds it")
    return (
        f"{needed_by}: upstream {upstream.to_user_string()} has no partition for"
        f" {'/'.join(regions) + ' ' if regions else ''}{what} (never materialized, or its run"
        f" failed). Materialize {upstream.to_user_string()} for"
        f" {'that day' if len(days) == 1 else 'those days'} first ({job})."
    )


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Parquet per asset partition under `root` (a folder or an fsspec URL such as
    `s3://bucket/energy-assets`), DuckDB views over them in `catalog` (a local DuckDB file,
    refreshed when a table first appears; optional)."""

    root: str
    catalog: str | None = None

    def _warehouse(self) -> Warehouse:
        return Warehouse(self.root)

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        if obj is None:
            return
        table = _table(context.asset_key)
        partition = None
        if context.has_asset_partitions:
            keys = context.asset_partition_keys
            if len(keys) != 1:
                raise ValueError(
                    f"{table}: one partition per run step, got {len(keys)}; launch a backfill"
                    " with one run per partition"
                )
            partition = _partition(keys[0])
            _check_rows_match_partition(table, partition, obj)
        warehouse = self._warehouse()
        new_table = not warehouse.fs.exists(warehouse.table_dir(table))
        path = warehouse.write(table, partition, obj)
        context.add_output_metadata({"warehouse_file": dg.MetadataValue.path(path)})
        if new_table and self.catalog and warehouse.local:
            warehouse.write_catalog(Path(self.catalog))

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        upstream = context.asset_key
        table = _table(upstream)
        partitions = None
        if context.has_asset_partitions:
            keys = context.asset_partition_keys
            if not keys:
                # A window entirely before the first partition (e.g. D-8..D-1 of 2019-01-01).
                return pl.DataFrame()
            partitions = [_partition(k) for k in keys]
        frame, missing = self._warehouse().read(table, partitions)
        if partitions is None and frame.is_empty():
            raise dg.Failure(
                f"{_needed_by(context)}: upstream {upstream.to_user_string()} has never been"
                f" materialized. Materialize it first.",
                allow_retries=False,
            )
        if missing:
            day = _step_date(context)
            same_day = [p for p in missing if day is not None and p.get("date") == day]
            if same_day:
                raise dg.Failure(
                    missing_upstream_message(_needed_by(context), upstream, same_day),
                    allow_retries=False,
                )
            context.log.warning(missing_upstream_message(_needed_by(context), upstream, missing))
        return frame


def _step_date(context: dg.InputContext) -> str | None:
    step = getattr(context, "_step_context", None)
    if step is None or not step.has_partition_key:
        return None
    return _partition(step.partition_key).get("date")


def _needed_by(context: dg.InputContext) -> str:
    asset = context.op_def.name.replace("__", "/") if context.op_def else "a step"
    step = getattr(context, "_step_context", None)
    if step is not None and step.has_partition_key:
        return f"{asset} partition {step.partition_key} (input `{context.name}`)"
    return f"{asset} (input `{context.name}`)"


def _check_rows_match_partition(table: TableName, partition: dict[str, str], frame) -> None:
    """The rows stored in a partition's file must belong to it."""
    for dimension, column in (("date", "market_date"), ("region", "region")):
        if dimension in partition and column in frame.columns:
            values = {str(v) for v in frame[column].unique().to_list()}
            if values != {partition[dimension]}:
                raise ValueError(
                    f"{table} partition {_describe(partition)}: rows have {column}"
                    f" {sorted(values)[:5]}, not {partition[dimension]}"
                )
