"""Steps over a range of region-days: one run builds a whole backfill's days of an asset.

Every region-day asset has `RANGE_POLICY` (`BackfillPolicy.single_run()`): a backfill of days
X..Y is one run whose steps each cover X..Y (the IO manager writes each day's file), not one run
per day. `per_region_day` lets an asset body written for one partition serve both: a run of one
partition calls it as it is; a range calls it once per region-day, in date order, with the
context seen as that day's partition and each input frame cut to that day's rows, then yields one
output (every day's rows) and one result per check (failed if any day failed it, naming the days).

Dagster cannot mark single partitions of a range failed (dagster-io/dagster#17836): a day that
fails fails the step. Every day is still tried, so the failure names every bad day of the range
and why, and nothing of the range is stored (each day's previous file stays as it was).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import pandera.polars as pa
import polars as pl

from energy_assets.defs.validation import SCHEMA_CHECK, schema_errors, table_metadata
from energy_assets.partitions import RegionDay, partition_key, partition_label, region_days

RANGE_POLICY = dg.BackfillPolicy.single_run()

# failed days named in a range's failure (the rest are counted)
_NAMED_FAILURES = 20


class DayContext:
    """The step's context as seen by one region-day of its range."""

    # `validated_output` leaves the Pandera validation to the range (once, over every day's rows)
    defers_validation = True

    def __init__(
        self, context: dg.AssetExecutionContext, rd: RegionDay, step_cache: dict | None = None
    ) -> None:
        self._context = context
        self._key = partition_key(rd.region, rd.market_date)
        self.deferred_model: type[pa.DataFrameModel] | None = None
        # shared by every day of the range: see `once_per_step`
        self.step_cache = {} if step_cache is None else step_cache

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

    def add_output_metadata(self, *args, **kwargs) -> None:
        """Per-day output metadata of a range is dropped: the range has one output."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def once_per_step(context: Any, key: Any, produce: Callable[[], Any]) -> Any:
    """`produce()` once per step for `key`, shared by every day of a range. A provider that
    serves many days per request (a month of the EIA API, a monthly archive, a bulk file) names
    the request by its URL: a range fetches and archives each URL once, and every day parses its
    own rows from it. A step of one partition just calls `produce()`."""
    cache = getattr(context, "step_cache", None)
    if cache is None:
        return produce()
    if key not in cache:
        cache[key] = produce()
    return cache[key]


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
) -> dict[str, dict[tuple, pl.DataFrame]]:
    """Each input frame split by (market_date, region), or by market_date for cross-region ones."""
    split = {}
    for name, value in kwargs.items():
        if isinstance(value, pl.DataFrame) and "market_date" in value.columns:
            by = ["market_date"] if name in cross_region else ["market_date", "region"]
            split[name] = value.partition_by(by, as_dict=True, maintain_order=True)
    return split


def _day_kwargs(
    kwargs: dict[str, Any],
    split: dict[str, dict[tuple, pl.DataFrame]],
    rd: RegionDay,
    cross_region: tuple[str, ...],
) -> dict[str, Any]:
    out = dict(kwargs)
    for name, parts in split.items():
        key = (rd.market_date,) if name in cross_region else (rd.market_date, rd.region)
        out[name] = parts.get(key, kwargs[name].clear())
    return out


def _over_range(
    body: Callable,
    context: dg.AssetExecutionContext,
    days: list[RegionDay],
    args: tuple,
    kwargs: dict[str, Any],
    cross_region: tuple[str, ...],
) -> Iterator[Any]:
    split = _day_frames(kwargs, cross_region)
    frames: list[tuple[RegionDay, pl.DataFrame]] = []
    model: type[pa.DataFrameModel] | None = None
    last_metadata: dict[str, Any] = {}
    checks: dict[str, list[tuple[RegionDay, dg.AssetCheckResult]]] = {}
    failures: list[tuple[RegionDay, str]] = []
    first_error: Exception | None = None
    step_cache: dict = {}
    for rd in days:
        day_context = DayContext(context, rd, step_cache)
        try:
            for event in _events(
                body(day_context, *args, **_day_kwargs(kwargs, split, rd, cross_region))
            ):
                if isinstance(event, dg.Output):
                    frames.append((rd, event.value))
                    last_metadata = dict(event.metadata or {})
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
    frame = pl.concat([f for _, f in frames], how="vertical_relaxed") if frames else None
    if not failures and model is not None and frame is not None:
        if schema_errors(frame, model) is not None:
            failures = [
                (rd, f"{model.__name__}: {e}") for rd, f in frames if (e := schema_errors(f, model))
            ]
            failures = failures or [(days[0], f"{model.__name__}: {schema_errors(frame, model)}")]
            checks[SCHEMA_CHECK] = [
                (
                    rd,
                    dg.AssetCheckResult(
                        check_name=SCHEMA_CHECK, passed=False, metadata={"summary": e}
                    ),
                )
                for rd, e in failures
            ]
        else:
            checks[SCHEMA_CHECK] = [
                (
                    days[-1],
                    dg.AssetCheckResult(
                        check_name=SCHEMA_CHECK, passed=True, metadata={"schema": model.__name__}
                    ),
                )
            ]
    if failures:
        yield from (_merged(name, results) for name, results in checks.items())
        raise dg.Failure(
            _failure_text(context, days, failures),
            metadata={"failed_partitions": [str(rd) for rd, _ in failures]},
            allow_retries=False,
        ) from first_error
    assert frame is not None
    # the last day's metadata, less the table's own and the plots (a day's picture, which Dagster
    # would copy onto every partition of the range)
    metadata = {
        k: v
        for k, v in last_metadata.items()
        if not k.startswith(("dagster/", "warehouse_")) and not _large_markdown(v)
    }
    yield dg.Output(
        frame,
        metadata={
            **table_metadata(frame),
            "dagster/row_count": frame.height // len(days),
            "rows_in_run": frame.height,
            "days_in_run": len(days),
            **({"metadata_of_day": str(days[-1])} if metadata else {}),
            **metadata,
        },
    )
    for name, results in checks.items():
        yield _merged(name, results)


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
