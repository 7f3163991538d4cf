"""Steps over a range of region-days: one run builds a whole backfill's days of an asset.

Every region-day asset has `RANGE_POLICY` (`BackfillPolicy.single_run()`): a backfill of days
X..Y is one run whose steps each cover X..Y (the IO manager writes each day's file), not one run
per day. `per_region_day` lets an asset body written for one partition serve both: a run of one
partition calls it as it is; a range calls it once per region-day, in date order, with the
context seen as that day's partition and each input frame cut to that day's rows, then yields one
output (every day's rows) and one result per check (failed if any day failed it, naming the days).
Each partition's materialization carries its own day's metadata (`add_asset_metadata` with the
partition's key), so a partition page of a backfilled range shows that day's figures.

Dagster cannot mark single partitions of a range failed (dagster-io/dagster#17836): a day that
fails fails the step. Every day is still tried, so the failure names every bad day of the range
and why, and nothing of the range is stored (each day's previous file stays as it was).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import pandera.polars as pa
import polars as pl

from energy_assets.defs_support.validation import SCHEMA_CHECK, schema_errors, table_metadata
from energy_assets.partitions import RegionDay, partition_key, partition_label, region_days
from energy_assets.warehouse import PartitionFiles

RANGE_POLICY = dg.BackfillPolicy.single_run()

# requests a range keeps for its later days (the latest used; a month of each of 16 regions)
_STEP_CACHE_ENTRIES = 16

# failed days named in a range's failure (the rest are counted)
_NAMED_FAILURES = 20


class DayContext:
    """The step's context as seen by one region-day of its range."""

    # `validated_output` leaves the Pandera validation to the range (once, over every day's rows)
    defers_validation = True

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        rd: RegionDay,
        step_cache: OrderedDict | None = None,
        last: bool = False,
    ) -> None:
        self._context = context
        self.is_last_of_range = last
        self._key = partition_key(rd.region, rd.market_date)
        self.deferred_model: type[pa.DataFrameModel] | None = None
        # shared by every day of the range: see `once_per_step` and `read_days`
        self.step_cache = OrderedDict() if step_cache is None else step_cache

    @property
    def partition_key(self) -> dg.MultiPartitionKey:
        return self._key

    @property
    def partition_keys(self) -> list[dg.MultiPartitionKey]:
        return [self._key]

    @property
    def has_partition_key(self) -> bool:
        return True

    @property
    def has_partition_key_range(self) -> bool:
        return False

    @property
    def partition_key_range(self) -> dg.PartitionKeyRange:
        return dg.PartitionKeyRange(self._key, self._key)

    def add_output_metadata(self, metadata: dict[str, Any], *args, **kwargs) -> None:
        """A day's output metadata goes to its own partition's materialization."""
        add_partition_metadata(self._context, self._key, metadata)

    def add_asset_metadata(self, metadata: dict[str, Any], *args, **kwargs) -> None:
        """So does its asset metadata: the day is the partition it is given as."""
        add_partition_metadata(self._context, self._key, metadata)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def add_partition_metadata(
    context: dg.AssetExecutionContext, key: str, metadata: dict[str, Any]
) -> None:
    """`context.add_asset_metadata(metadata, partition_key=key)` for one partition of the step's
    range, in constant time. Dagster 1.13's method checks the key against every key of the range
    on each call, quadratic over a range: 6.4 s for the 731 days of one asset (measured on the
    2-core machine), where the metadata accumulator it then updates takes 0.08 s for all of them.
    Through the public method when that accumulator is not where 1.13 keeps it."""
    step = getattr(context, "_step_execution_context", None)
    accumulator = getattr(step, "_metadata_accumulator", None)
    if accumulator is None or not hasattr(accumulator, "with_additional_asset_metadata"):
        context.add_asset_metadata(metadata, partition_key=key)
        return
    step._metadata_accumulator = accumulator.with_additional_asset_metadata(  # type: ignore[union-attr]
        asset_key=context.asset_key, partition_key=key, metadata=metadata
    )


def draws_plots(context: Any) -> bool:
    """Whether a schedule's plot is drawn: in a run of one partition, and for the last day of a
    range (its file, whose path the last day's partition shows). The days before it would
    each cost a Matplotlib figure nobody sees."""
    return getattr(context, "is_last_of_range", True)


def once_per_step(context: Any, key: Any, produce: Callable[[], Any]) -> Any:
    """`produce()` once per step for `key`, shared by every day of a range. A provider that
    serves many days per request (a month of the EIA API, a monthly archive, a bulk file) names
    the request by its URL: a range fetches and archives each URL once, and every day parses its
    own rows from it. A step of one partition just calls `produce()`."""
    cache = getattr(context, "step_cache", None)
    if cache is None:
        return produce()
    if key in cache:
        cache.move_to_end(key)
    else:
        cache[key] = produce()
        if len(cache) > _STEP_CACHE_ENTRIES:  # days come in date order: old requests are done
            cache.popitem(last=False)
    return cache[key]


def read_days(
    context: Any,
    warehouse: Any,
    key: dg.AssetKey | Sequence[str],
    region: str,
    days: Sequence[dt.date],
) -> tuple[pl.DataFrame, list[dt.date]]:
    """`warehouse.read_days(key, region, days)` for a window reader (a model's training
    window, a profile's history). In a range, the days of consecutive windows overlap (55 of 56
    for a model): each day's file is read once per step and kept while later windows still
    cover it (days come in date order); a day missing so far is looked for again. The rows are
    those of reading the window's files at once, in the same order."""
    cache = getattr(context, "step_cache", None)
    if cache is None or not days:
        return warehouse.read_days(key, region, days)
    path = tuple(key.path if isinstance(key, dg.AssetKey) else key)
    frames: dict[dt.date, pl.DataFrame | None] = cache.setdefault(("read_days", path, region), {})
    cache.move_to_end(("read_days", path, region))  # the latest used: kept over older requests
    for day in [d for d in frames if d < days[0]]:
        del frames[day]
    for day in days:
        if frames.get(day) is None:
            frame, missing = warehouse.read_days(key, region, [day])
            frames[day] = None if missing else frame
    found = [frames[d] for d in days if frames[d] is not None]
    missing = [d for d in days if frames[d] is None]
    if not found:
        return pl.DataFrame(), missing
    return pl.concat(found, how="vertical_relaxed"), missing


def per_region_day(cross_region: tuple[str, ...] = ()) -> Callable:
    """Decorate an asset body (below `@dg.asset`) written for one partition so it also serves a
    range. `cross_region`: inputs that hold every region of the day (cut by day only)."""

    def decorate(body: Callable) -> Callable:
        @functools.wraps(body)
        def step(context: dg.AssetExecutionContext, *args, **kwargs):
            days = region_days(context)
            if len(days) == 1 and context.has_partition_key:
                yield from _events(body(context, *args, **kwargs))
                return
            yield from _over_range(body, context, days, args, kwargs, cross_region)

        return step

    return decorate


def _events(result: Any) -> Iterator[Any]:
    if inspect.isgenerator(result):
        yield from result
    elif result is not None:
        yield result


def _day_frames(
    kwargs: dict[str, Any], cross_region: tuple[str, ...]
) -> dict[str, dict[tuple, pl.DataFrame] | PartitionFiles]:
    """Each input frame split by (market_date, region), or by market_date for cross-region ones;
    an input read per day (`PartitionFiles`) as it is."""
    split = {}
    for name, value in kwargs.items():
        if isinstance(value, PartitionFiles):
            split[name] = value  # read a day at a time
        elif isinstance(value, pl.DataFrame) and "market_date" in value.columns:
            by = ["market_date"] if name in cross_region else ["market_date", "region"]
            split[name] = value.partition_by(by, as_dict=True, maintain_order=True)
    return split


def _day_kwargs(
    kwargs: dict[str, Any],
    split: dict[str, dict[tuple, pl.DataFrame] | PartitionFiles],
    rd: RegionDay,
    cross_region: tuple[str, ...],
) -> dict[str, Any]:
    out = dict(kwargs)
    for name, parts in split.items():
        if isinstance(parts, PartitionFiles):
            out[name] = parts.rows(rd.market_date.isoformat(), rd.region)
            continue
        key = (rd.market_date,) if name in cross_region else (rd.market_date, rd.region)
        out[name] = parts.get(key, kwargs[name].clear())
    return out


# A range's rows past this size go to Parquet files in a temporary folder (a fleet's per-home
# rows are about 1 MB a day): the step then holds one batch at a time, not the whole range.
SPILL_BYTES = 32 * 1024**2


class _RangeRows:
    """The rows a range's days produced: validated a batch at a time (once for a small range),
    kept in memory, or spilled to Parquet past SPILL_BYTES and handed on as a lazy scan."""

    def __init__(self) -> None:
        self.spill_bytes = SPILL_BYTES
        self.pending: list[tuple[RegionDay, pl.DataFrame]] = []
        self.pending_bytes = 0
        self.rows = 0
        self.files: list[Path] = []
        self.folder: tempfile.TemporaryDirectory | None = None
        self.failures: list[tuple[RegionDay, str]] = []

    def add(self, rd: RegionDay, frame: pl.DataFrame, model: type[pa.DataFrameModel] | None):
        self.pending.append((rd, frame))
        self.pending_bytes += frame.estimated_size()
        self.rows += frame.height
        if self.pending_bytes > self.spill_bytes:
            day_rows = max(f.height for _, f in self.pending)
            batch = self._validated_batch(model)
            if batch is not None and not self.failures:
                self._spill(batch, day_rows)

    def _validated_batch(self, model: type[pa.DataFrameModel] | None) -> pl.DataFrame | None:
        pending, self.pending, self.pending_bytes = self.pending, [], 0
        if not pending:
            return None
        # one chunk: a range of days' frames concatenated stays in as many chunks as it has
        # days (several each), and writing it a day at a time then costs ~2 MB a day of memory
        batch = pl.concat([f for _, f in pending], how="vertical_relaxed", rechunk=True)
        if model is not None and schema_errors(batch, model) is not None:
            named = [(rd, e) for rd, f in pending if (e := schema_errors(f, model))]
            self.failures += [(rd, f"{model.__name__}: {e}") for rd, e in named] or [
                (pending[0][0], f"{model.__name__}: {schema_errors(batch, model)}")
            ]
        return batch

    def finish(self, model: type[pa.DataFrameModel] | None) -> pl.DataFrame | pl.LazyFrame | None:
        batch = self._validated_batch(model)
        if not self.files:
            return batch
        if batch is not None:
            self._spill(batch, batch.height)
        return pl.scan_parquet(self.files)

    def _spill(self, batch: pl.DataFrame, day_rows: int) -> None:
        """A batch to Parquet, a row group about a day (its statistics let the IO manager read
        one day without the rest)."""
        self.folder = self.folder or tempfile.TemporaryDirectory(prefix="range-rows-")
        path = Path(self.folder.name) / f"part-{len(self.files):05d}.parquet"
        batch.write_parquet(path, row_group_size=max(day_rows, 1), statistics=True)
        self.files.append(path)

    def close(self) -> None:
        if self.folder is not None:
            self.folder.cleanup()


def _over_range(
    body: Callable,
    context: dg.AssetExecutionContext,
    days: list[RegionDay],
    args: tuple,
    kwargs: dict[str, Any],
    cross_region: tuple[str, ...],
) -> Iterator[Any]:
    rows = _RangeRows()
    try:
        yield from _range_events(body, context, days, args, kwargs, cross_region, rows)
    finally:
        rows.close()  # after the IO manager has written the output (handled as it is yielded)


def _range_events(
    body: Callable,
    context: dg.AssetExecutionContext,
    days: list[RegionDay],
    args: tuple,
    kwargs: dict[str, Any],
    cross_region: tuple[str, ...],
    rows: _RangeRows,
) -> Iterator[Any]:
    split = _day_frames(kwargs, cross_region)
    model: type[pa.DataFrameModel] | None = None
    day_metadata: dict[RegionDay, dict[str, Any]] = {}
    checks: dict[str, list[tuple[RegionDay, dg.AssetCheckResult]]] = {}
    failures: list[tuple[RegionDay, str]] = []
    first_error: Exception | None = None
    step_cache: OrderedDict = OrderedDict()
    for rd in days:
        day_context = DayContext(context, rd, step_cache, last=rd == days[-1])
        frame = None
        try:
            for event in _events(
                body(day_context, *args, **_day_kwargs(kwargs, split, rd, cross_region))
            ):
                if isinstance(event, dg.Output):
                    frame = event.value
                    day_metadata[rd] = _partition_metadata(event.metadata or {}, frame)
                elif isinstance(event, dg.AssetCheckResult):
                    checks.setdefault(event.check_name or "", []).append((rd, event))
                else:
                    yield event
        except dg.Failure as failure:
            failures.append((rd, (failure.description or "failed").strip()))
        except Exception as error:  # a day's bug: named with its day, raised with its traceback
            failures.append((rd, f"{type(error).__name__}: {error}"))
            first_error = first_error or error
        model = model or day_context.deferred_model
        if frame is not None:
            rows.add(rd, frame, model)
    output = rows.finish(model) if not failures else None
    if model is not None:
        checks[SCHEMA_CHECK] = [
            (
                rd,
                dg.AssetCheckResult(check_name=SCHEMA_CHECK, passed=False, metadata={"summary": e}),
            )
            for rd, e in rows.failures
        ] or [
            (
                days[-1],
                dg.AssetCheckResult(
                    check_name=SCHEMA_CHECK, passed=True, metadata={"schema": model.__name__}
                ),
            )
        ]
    failures += rows.failures
    if failures:
        failures.sort(key=lambda f: (f[0].market_date, f[0].region))
        yield from (_merged(name, results) for name, results in checks.items())
        raise dg.Failure(
            _failure_text(context, days, failures),
            metadata={"failed_partitions": [str(rd) for rd, _ in failures]},
            allow_retries=False,
        ) from first_error
    assert output is not None
    # each partition's materialization carries its own day's metadata; the output's (below)
    # is what the days share
    for rd, metadata in day_metadata.items():
        add_partition_metadata(context, partition_key(rd.region, rd.market_date), metadata)
    schema = output.collect_schema() if isinstance(output, pl.LazyFrame) else output.schema
    yield dg.Output(
        output,
        metadata={
            **table_metadata(pl.DataFrame(schema=schema)),
            "dagster/row_count": rows.rows // len(days),
            "rows_in_run": rows.rows,
            "days_in_run": len(days),
        },
    )
    for name, results in checks.items():
        yield _merged(name, results)


def _partition_metadata(metadata: Any, frame: Any) -> dict[str, Any]:
    """A day's own metadata for its partition's materialization in a range: its row count and
    what the body reported, less the table's own (the range's output carries it) and an
    embedded picture (a plot's path, not its pixels: a range of days would store each)."""
    own = {
        k: v
        for k, v in dict(metadata).items()
        if not k.startswith(("dagster/", "warehouse_")) and not _large_markdown(v)
    }
    if isinstance(frame, pl.DataFrame):
        own["dagster/row_count"] = frame.height
    return own


def _large_markdown(value: Any) -> bool:
    return isinstance(value, dg.MarkdownMetadataValue) and len(value.md_str or "") > 2000


def _failure_text(
    context: dg.AssetExecutionContext, days: list[RegionDay], failures: list[tuple[RegionDay, str]]
) -> str:
    asset = context.asset_key.to_user_string()
    lines = [
        f"{asset} range {partition_label(context)}: {len(failures)} of {len(days)} region-days"
        " failed, so the step stored none of the range (Dagster records a range as one"
        " materialization). Backfill the range without these days, or fix them first:"
    ]
    lines += [f"- {rd}: {message}" for rd, message in failures[:_NAMED_FAILURES]]
    if len(failures) > _NAMED_FAILURES:
        lines.append(f"- ... and {len(failures) - _NAMED_FAILURES} more")
    return "\n".join(lines)


def _merged(name: str, results: list[tuple[RegionDay, dg.AssetCheckResult]]) -> dg.AssetCheckResult:
    """One check result for the range: passed if every day passed; otherwise the worst severity
    and the failing days, with the first failing day's metadata."""
    failed = [(rd, r) for rd, r in results if not r.passed]
    if len(results) == 1:
        return results[0][1]
    shown = failed[0] if failed else results[-1]
    severity = (
        dg.AssetCheckSeverity.ERROR
        if any(r.severity == dg.AssetCheckSeverity.ERROR for _, r in failed)
        else dg.AssetCheckSeverity.WARN
        if failed
        else shown[1].severity
    )
    return dg.AssetCheckResult(
        check_name=name,
        passed=not failed,
        severity=severity,
        metadata={
            "days_checked": len(results),
            "days_failed": len(failed),
            "failed_days": dg.MetadataValue.json([str(rd) for rd, _ in failed][:100]),
            "shown_day": str(shown[0]),
            "shown_day_metadata": dg.MetadataValue.json(
                {k: _plain(v) for k, v in (shown[1].metadata or {}).items()}
            ),
        },
    )


def _plain(value: Any) -> Any:
    raw = getattr(value, "value", value)
    return raw if isinstance(raw, str | int | float | bool | type(None)) else str(raw)
