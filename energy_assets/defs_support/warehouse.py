"""The warehouse IO manager: every asset partition is one Parquet file (`energy_assets/warehouse.py`),
written atomically, so runs of different partitions write at once with no lock.

Table = asset key `[layer, dataset]`; partition = the asset's `date|region` key. Inputs are read
from the files of the upstream partitions the partition mapping names; an input declared with
`metadata={"read": "per_day"}` (a large table) reaches a range's step as `PartitionFiles`, each
day read when it is computed (`defs_support/ranges.py`). A missing upstream
partition is bad input, never an empty table computed on silently:

- a missing upstream partition of the step's own market day (the day's raw payload, features,
  model, member forecasts, ensemble weights, actuals) fails the step, naming the asset and
  partition that needed it, the missing partition and the job that builds it;
- an input declared with `metadata={"missing_days": "checked_by_asset"}` loads the days that
  exist: the asset fails with the same message on the days that need the missing one
  (`harmonized/carbon_intensity`'s grid, not needed on a day built from a published intensity
  alone);
- an input over a window of earlier days loads the days that exist and names the missing ones in
  the step's log; each asset decides what it can still do (features report it in their `history`
  check, models need `MIN_TRAINING_DAYS` days).
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import dagster as dg
import polars as pl

from energy_assets.layers import JOB_FOR_LAYER
from energy_assets.warehouse import TableName, Warehouse


def _table(key: dg.AssetKey) -> TableName:
    if len(key.path) != 2:
        raise ValueError(f"asset keys are [layer, dataset]; {key.to_user_string()} is not")
    return TableName(*key.path)


def _partition(key: str | dg.MultiPartitionKey) -> dict[str, str]:
    """Dimension -> key; a plain daily key is the `date` dimension."""
    if isinstance(key, dg.MultiPartitionKey):
        return dict(key.keys_by_dimension)
    multi = _multi(str(key))
    if isinstance(multi, dg.MultiPartitionKey):
        return dict(multi.keys_by_dimension)
    try:
        dt.date.fromisoformat(str(key))
    except ValueError:
        return {"key": str(key)}
    return {"date": str(key)}


def pv_profile_partition(region: str) -> dict[str, str]:
    """The stored partition of a region-only (static) partitioned asset such as
    harmonized/pv_profile: its key, as the IO manager files it."""
    return _partition(region)


def _describe(partition: dict[str, str]) -> str:
    return "|".join(partition[d] for d in sorted(partition))


@functools.cache
def _jobs_of_assets() -> tuple[dict[dg.AssetKey, frozenset[str]], dict[str, int]]:
    """Each asset's jobs, and each job's number of assets, from the code location's jobs."""
    # imported here: the code location imports this module while it is being built
    from energy_assets.definitions import defs

    jobs: dict[dg.AssetKey, set[str]] = {}
    sizes: dict[str, int] = {}
    for job in defs.resolve_all_job_defs():
        if job.name.startswith("__"):  # Dagster's implicit asset job
            continue
        keys = job.asset_layer.selected_asset_keys
        sizes[job.name] = len(keys)
        for key in keys:
            jobs.setdefault(key, set()).add(job.name)
    return {k: frozenset(v) for k, v in jobs.items()}, sizes


def job_for(asset: dg.AssetKey) -> str:
    """The job that builds `asset`: its layer's job (`raw_<name>_job` for a raw asset) when
    that job has it, else the smallest job that does (the price, ISO, reconciliation and
    report assets have jobs of their own)."""
    layer = asset.path[0]
    guess = f"raw_{asset.path[1]}_job" if layer == "raw" else JOB_FOR_LAYER.get(layer)
    try:
        jobs, sizes = _jobs_of_assets()
    except Exception:  # an error message is being written: never fail it for a hint
        return guess or "the job that builds it"
    names = jobs.get(asset, frozenset())
    if guess in names or not names:
        return guess or "the job that builds it"
    return min(names, key=lambda name: (sizes[name], name))


def missing_upstream_message(
    needed_by: str, upstream: dg.AssetKey, missing: list[dict[str, str]]
) -> str:
    days = sorted(p.get("date", _describe(p)) for p in missing)
    regions = sorted({p["region"] for p in missing if "region" in p})
    what = days[0] if len(days) == 1 else f"{len(days)} days: {', '.join(days)}"
    job = job_for(upstream)
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
        warehouse = self._warehouse()
        new_table = not warehouse.fs.exists(warehouse.table_dir(table))
        if not context.has_asset_partitions:
            path = warehouse.write(table, None, obj)
        else:
            # one partition, or a range of days in one step (a single-run backfill): each
            # partition's rows go to its own file, each replaced atomically
            parts = [_partition(k) for k in context.asset_partition_keys]
            # a long range's rows are spilled to a LazyFrame (defs_support/ranges.py)
            if isinstance(obj, pl.LazyFrame):
                present = obj.select(_COLUMN_OF.values()).unique().collect()
                keys = {(str(d), str(r)) for d, r in present.iter_rows()}
                empty = [_describe(p) for p in parts if (p["date"], p["region"]) not in keys]
                # one partition's rows in memory at a time, read by typed predicates (the spilled
                # batches' row groups hold about a day each, and their statistics prune the rest)
                slices = ((p, lambda p=p: _lazy_rows_of(obj, p)) for p in parts)
            else:
                cut = (
                    list(zip(parts, _split_rows(parts, obj), strict=True))
                    if len(parts) > 1
                    else [(parts[0], _rows_of(table, parts[0], obj))]
                )
                empty = [_describe(p) for p, rows in cut if rows.is_empty()]
                slices = ((p, lambda rows=rows: rows) for p, rows in cut)
            if empty:
                raise ValueError(f"{table}: no rows for partition(s) {', '.join(empty)}")
            for partition, rows in slices:
                path = warehouse.write(table, partition, rows())
        if context.has_asset_partitions and len(context.asset_partition_keys) == 1:
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
        per_day = (context.definition_metadata or {}).get("read") == "per_day"
        if per_day and partitions and len(partitions) > 1:
            # a range's large input: each day's file read when that day is computed
            frame, missing = self._warehouse().partition_files(table, partitions)
        else:
            frame, missing = self._warehouse().read(table, partitions)
        if partitions is None and not len(frame):
            raise dg.Failure(
                f"{_needed_by(context)}: upstream {upstream.to_user_string()} has never been"
                f" materialized. Materialize it first.",
                allow_retries=False,
            )
        if missing:
            days = _step_dates(context)
            same_day = [p for p in missing if p.get("date") in days]
            # an input across regions (every region's forecast of the day) may lack regions
            # that have no data for the day: the asset then decides over those present
            across = (context.definition_metadata or {}).get("missing_regions") == "allowed"
            # an input the asset can do without on some days (`harmonized/carbon_intensity`'s
            # grid, on a day built from the published intensity alone): the asset checks it
            # and fails with the same message on the days that need it
            checked = (context.definition_metadata or {}).get("missing_days") == "checked_by_asset"
            if same_day and not across and not checked:
                raise dg.Failure(
                    missing_upstream_message(_needed_by(context), upstream, same_day),
                    metadata={"failed_partitions": [_describe(p) for p in same_day]},
                    allow_retries=False,
                )
            context.log.warning(missing_upstream_message(_needed_by(context), upstream, missing))
        return frame


def _step_dates(context: dg.InputContext) -> set[str]:
    """The market days the step materializes: its partition's, or every day of its range."""
    step = getattr(context, "_step_context", None)
    if step is None:
        return set()
    if step.has_partition_key:
        day = _partition(step.partition_key).get("date")
        return {day} if day else set()
    if step.has_partition_key_range:
        key_range = step.partition_key_range
        first = _partition(_multi(key_range.start)).get("date")
        last = _partition(_multi(key_range.end)).get("date")
        if first and last:
            start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
            return {
                (start + dt.timedelta(days=k)).isoformat() for k in range((end - start).days + 1)
            }
    return set()


def _multi(key: str) -> str | dg.MultiPartitionKey:
    """`date|region` as a MultiPartitionKey (dimensions in alphabetical order), else as is."""
    parts = str(key).split("|")
    if len(parts) == 2:
        return dg.MultiPartitionKey({"date": parts[0], "region": parts[1]})
    return key


def _needed_by(context: dg.InputContext) -> str:
    asset = context.op_def.name.replace("__", "/") if context.op_def else "a step"
    step = getattr(context, "_step_context", None)
    if step is not None and step.has_partition_key:
        return f"{asset} partition {step.partition_key} (input `{context.name}`)"
    return f"{asset} (input `{context.name}`)"


_COLUMN_OF = {"date": "market_date", "region": "region"}


def _lazy_rows_of(frame: pl.LazyFrame, partition: dict[str, str]) -> pl.DataFrame:
    return frame.filter(
        pl.col("market_date") == dt.date.fromisoformat(partition["date"]),
        pl.col("region") == partition["region"],
    ).collect()


def _split_rows(partitions: list[dict[str, str]], frame: pl.DataFrame) -> list[pl.DataFrame]:
    """Each partition's rows of a range's frame (an empty frame where it has none), in one pass.

    A range's frame is often the concatenation of its days' frames, a chunk per day in every
    column: filtering it once per partition cost a few MB per partition that stayed allocated
    (filters of a 456-chunk frame of `features/load_features`: about 2.8 MB each, 1.3 GB over
    the range) and time quadratic in the days. One `partition_by` over the rechunked frame keeps
    each partition's rows in their order."""
    columns = {d: c for d, c in _COLUMN_OF.items() if d in partitions[0] and c in frame.columns}
    if not columns:
        return [frame for _ in partitions]
    groups = frame.rechunk().partition_by(list(columns.values()), as_dict=True)
    by_key = {tuple(str(v) for v in key): rows for key, rows in groups.items()}
    empty = frame.clear()
    return [by_key.get(tuple(p[d] for d in columns), empty) for p in partitions]


def _rows_of(table: TableName, partition: dict[str, str], frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of a one-partition step, which must all belong to its partition."""
    columns = {d: c for d, c in _COLUMN_OF.items() if d in partition and c in frame.columns}
    for dimension, column in columns.items():
        values = {str(v) for v in frame[column].unique().to_list()}
        if values != {partition[dimension]}:
            raise ValueError(
                f"{table} partition {_describe(partition)}: rows have {column}"
                f" {sorted(values)[:5]}, not {partition[dimension]}"
            )
    return frame
