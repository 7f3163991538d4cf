"""Validate what an asset produces before it is stored, and report it as a blocking check.

`validated_output` yields the `Output` and a passing `schema` check when the frame satisfies its
Pandera model. Otherwise it yields a failing blocking check (failure cases in the metadata) and
raises `dagster.Failure` naming the asset, the partition and what was wrong: the output is never
handed to the IO manager, so what was stored for the partition stays as it was.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
import pandera.errors
import pandera.polars as pa
import polars as pl

from energy_assets import ui_metadata
from energy_assets.partitions import partition_label
from energy_assets.schemas.descriptions import column_description

SCHEMA_CHECK = "schema"
COMPLETENESS_CHECK = "completeness"
HISTORY_CHECK = "history"
PARTITION_EXPR = {"date": "market_date", "region": "region"}


def check_specs(
    key: dg.AssetKey, completeness: bool = False, history: bool = False
) -> list[dg.AssetCheckSpec]:
    specs = [
        dg.AssetCheckSpec(
            SCHEMA_CHECK,
            asset=key,
            blocking=True,
            description="Pandera schema: types, UTC timestamps, units, bounds, unique keys.",
        )
    ]
    if completeness:
        specs.append(
            dg.AssetCheckSpec(
                COMPLETENESS_CHECK,
                asset=key,
                description="Every expected interval of the market day is present (DST-aware).",
            )
        )
    if history:
        specs.append(
            dg.AssetCheckSpec(
                HISTORY_CHECK,
                asset=key,
                description="Every day of history the asset declares it reads was loaded"
                " (fails, as a warning, naming the missing days).",
            )
        )
    return specs


def history_result(declared: Mapping[str, tuple[Any, pl.DataFrame]]) -> dg.AssetCheckResult:
    """A WARN-severity check: for each windowed input (name -> (declared days, loaded frame)),
    the declared days against the `market_date`s actually loaded."""
    missing: dict[str, list[str]] = {}
    declared_count = loaded_count = 0
    for name, (days, frame) in declared.items():
        loaded = set(frame["market_date"].unique().to_list()) if frame.width else set()
        declared_count += len(days)
        loaded_count += sum(1 for d in days if d in loaded)
        absent = [d.isoformat() for d in days if d not in loaded]
        if absent:
            missing[name] = absent
    return dg.AssetCheckResult(
        check_name=HISTORY_CHECK,
        passed=not missing,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "declared_days": declared_count,
            "loaded_days": loaded_count,
            "missing_days": dg.MetadataValue.json(missing),
        },
    )


def table_metadata(frame: pl.DataFrame) -> dict[str, Any]:
    """Row count and the table schema, each column with its meaning and unit
    (`energy_assets/schemas/descriptions.py`)."""
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name, str(dtype), description=column_description(name))
            for name, dtype in frame.schema.items()
        ]
    )
    return {"dagster/row_count": frame.height, "dagster/column_schema": schema}


def table_value(frame: pl.DataFrame, digits: int = 3, limit: int = 500) -> dg.TableMetadataValue:
    """`frame` as a table the asset's page renders (typed columns, floats rounded by their unit,
    `digits` decimals where no unit says, NaN as empty, the first `limit` rows): results people
    read in the UI, not behind a JSON or Markdown pop-up (`energy_assets/ui_metadata.py`)."""
    return ui_metadata.table(frame, limit=limit, default_digits=digits)


def _failure_table(errors: pandera.errors.SchemaErrors, limit: int = 20) -> str:
    cases = errors.failure_cases
    if isinstance(cases, pl.DataFrame):
        cases = cases.select(
            [c for c in ("column", "check", "failure_case", "index") if c in cases.columns]
        ).head(limit)
        rows = cases.rows()
        header = "| " + " | ".join(cases.columns) + " |"
        sep = "|" + "---|" * len(cases.columns)
        body = "\n".join("| " + " | ".join(str(v)[:80] for v in row) + " |" for row in rows)
        return "\n".join([header, sep, body])
    return str(cases)[:4000]


def _summary(errors: pandera.errors.SchemaErrors) -> str:
    cases = errors.failure_cases
    if isinstance(cases, pl.DataFrame) and {"column", "check"} <= set(cases.columns):
        grouped = cases.group_by("column", "check").len().sort("len", descending=True).head(5)
        return "; ".join(f"{c}: {chk} ({n} rows)" for c, chk, n in grouped.rows())
    return str(errors)[:500]


def validated_output(
    context: dg.AssetExecutionContext,
    frame: pl.DataFrame,
    model: type[pa.DataFrameModel],
    metadata: Mapping[str, Any] | None = None,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    partition = partition_label(context)
    what = f"{context.asset_key.to_user_string()} partition {partition}"
    if frame.is_empty():
        yield dg.AssetCheckResult(
            check_name=SCHEMA_CHECK, passed=False, metadata={"reason": "no rows"}
        )
        raise dg.Failure(
            f"{what}: produced no rows; the stored partition was left unchanged",
            allow_retries=False,
        )
    if getattr(context, "defers_validation", False):
        # one day of a range (defs_support/ranges.py): the range's rows are validated once, together
        context.deferred_model = model
        yield dg.Output(frame, metadata=dict(metadata or {}))
        return
    yield from _validate(what, frame, model)
    yield dg.Output(frame, metadata={**table_metadata(frame), **(metadata or {})})
    yield dg.AssetCheckResult(
        check_name=SCHEMA_CHECK, passed=True, metadata={"schema": model.__name__}
    )


def _validate(
    what: str, frame: pl.DataFrame, model: type[pa.DataFrameModel]
) -> Iterator[dg.AssetCheckResult]:
    """Nothing when `frame` satisfies `model`; else a failing schema check, then `Failure`."""
    try:
        model.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        summary = _summary(errors)
        yield dg.AssetCheckResult(
            check_name=SCHEMA_CHECK,
            passed=False,
            metadata={
                "failure_cases": dg.MetadataValue.md(_failure_table(errors)),
                "summary": summary,
                "schema": model.__name__,
            },
        )
        raise dg.Failure(
            f"{what}: {model.__name__} validation failed: {summary}."
            " The stored partition was left unchanged.",
            metadata={"failure_cases": dg.MetadataValue.md(_failure_table(errors))},
            allow_retries=False,
        ) from None


def schema_errors(frame: pl.DataFrame, model: type[pa.DataFrameModel]) -> str | None:
    """What is wrong with `frame` under `model` (a summary), or None when it satisfies it."""
    try:
        model.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        return _summary(errors)
    return None


def completeness_result(
    expected: int, present: int, unit: str = "intervals", extra: Mapping[str, Any] | None = None
) -> dg.AssetCheckResult:
    """A WARN-severity check: present vs expected intervals for the market day."""
    return dg.AssetCheckResult(
        check_name=COMPLETENESS_CHECK,
        passed=present >= expected,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            f"expected_{unit}": expected,
            f"present_{unit}": present,
            "completeness": round(present / expected, 4) if expected else 0.0,
            **(extra or {}),
        },
    )


class WindowHistory:
    """The declared window days of each input and the days loaded, over every day a step
    materializes (one, or a range), for the `history` check."""

    def __init__(self) -> None:
        self.declared: dict[str, set] = {}
        self.loaded: dict[str, set] = {}

    def add(self, name: str, days: list, frame: pl.DataFrame) -> None:
        self.declared.setdefault(name, set()).update(days)
        got = set(frame["market_date"].unique().to_list()) if frame.width else set()
        self.loaded.setdefault(name, set()).update(got & set(days))

    def loaded_count(self, name: str) -> int:
        return len(self.loaded.get(name, ()))

    def result(self) -> dg.AssetCheckResult:
        return history_result(
            {
                name: (
                    sorted(days),
                    pl.DataFrame(
                        {"market_date": sorted(self.loaded[name])}, schema={"market_date": pl.Date}
                    ),
                )
                for name, days in self.declared.items()
            }
        )
