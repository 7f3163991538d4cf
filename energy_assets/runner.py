"""Materialize a window of market days through the whole slice, one run per partition.

Used by `energy-assets run` (the main job) and `energy-assets benchmark caiso`. For each day in
order: `ingest_job` (raw -> harmonized -> features), then, once enough history is in the window,
`day_ahead_job` (model -> forecasts -> dispatch -> evaluation). Per-partition runs, as
DESIGN.md recommends over single-run backfills of multi-partitioned assets. Runs are recorded in
the Dagster instance given, so the UI shows them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from energy_assets.definitions import build_definitions
from energy_assets.defs.resources import default_resources
from energy_assets.partitions import FIRST_DAY_AHEAD_DATE, MIN_TRAINING_DAYS, partition_key

# Console logging of every Dagster event costs time and drowns the summary; the events are still
# stored in the instance (the UI shows them).
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


INGEST = ("ingest_job",)
DAY_AHEAD = ("day_ahead_job", "cross_region_job")  # in this order: every region, then across


@dataclass
class WindowResult:
    partitions_ok: Counter = field(default_factory=Counter)
    partitions_failed: list[tuple[str, str, str]] = field(default_factory=list)
    checks: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def runs(self) -> int:
        return sum(self.partitions_ok.values()) + len(self.partitions_failed)


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def first_day_ahead_day(start: dt.date) -> dt.date:
    """First day of the window with MIN_TRAINING_DAYS of history (D-2 and earlier) inside it."""
    return max(
        start + dt.timedelta(days=MIN_TRAINING_DAYS + 1),
        dt.date.fromisoformat(FIRST_DAY_AHEAD_DATE),
    )


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None and "Failure" not in error.cls_name:
                if error.cls_name in {"SourceError", "FetchError", "PayloadError"}:
                    break
                error = error.cause
            return f"{event.step_key}: {error.message.strip().splitlines()[0]}"
    return "run failed"


def _tally_checks(result: dg.ExecuteInProcessResult, checks: Counter) -> None:
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            checks["passed"] += 1
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            checks["warned"] += 1
        else:
            checks["failed"] += 1


def materialize_window(
    start: dt.date,
    end: dt.date,
    region: str,
    instance: dg.DagsterInstance,
    data_dir: Path,
    recordings_dir: Path,
    transport: str = "replay",
    progress: Callable[[str], None] | None = None,
    day_ahead_from: dt.date | None = None,
) -> WindowResult:
    """Ingest every day of start..end; day-ahead jobs from `day_ahead_from` (default: the first
    day with MIN_TRAINING_DAYS of history in the window)."""
    defs = build_definitions(default_resources(data_dir, recordings_dir, transport))
    jobs = {name: defs.resolve_job_def(name) for name in (*INGEST, *DAY_AHEAD)}
    first_forecast = max(day_ahead_from or start, first_day_ahead_day(start))
    outcome = WindowResult()
    began = time.perf_counter()
    for day in days_between(start, end):
        names = [*INGEST, *(DAY_AHEAD if day >= first_forecast else ())]
        for name in names:
            key = partition_key(region, day)
            result = jobs[name].execute_in_process(
                partition_key=key, instance=instance, raise_on_error=False, run_config=QUIET
            )
            _tally_checks(result, outcome.checks)
            if result.success:
                outcome.partitions_ok[name] += 1
            else:
                message = _failure_message(result)
                outcome.partitions_failed.append((name, str(key), message))
                if progress:
                    progress(f"FAILED {name} {key}: {message}")
        if progress and (day.day == 1 or day == end):
            progress(
                f"{day.isoformat()}: {dict(outcome.partitions_ok)} ok, {len(outcome.partitions_failed)} failed"
            )
    outcome.seconds = time.perf_counter() - began
    return outcome


@dataclass
class ForecastSummary:
    hours: int
    mape_pct: dict[str, float]
    mae_mw: dict[str, float]


def _union(con: duckdb.DuckDBPyConnection, warehouses: list[Path], table: str) -> str:
    """Attach each warehouse read-only and return a union of `table` over them."""
    attached = {
        row[0] for row in con.execute("select database_name from duckdb_databases()").fetchall()
    }
    for k, path in enumerate(warehouses):
        if f"w{k}" not in attached:
            con.execute(f"attach '{path}' as w{k} (read_only)")
    return " union all ".join(f"select * from w{k}.{table}" for k in range(len(warehouses)))


def forecast_summary(
    warehouse: Path | list[Path],
    region: str,
    start: dt.date,
    end: dt.date,
    group_by: str | None = None,
) -> dict[str, ForecastSummary]:
    """MAPE/MAE per forecaster over the window, exact over hours (from the per-day sums); over
    one warehouse or the union of several (their day-ahead days never overlap)."""
    group = {
        None: "'all'",
        "year": "strftime(market_date, '%Y')",
        "month": "strftime(market_date, '%Y-%m')",
    }[group_by]
    warehouses = warehouse if isinstance(warehouse, list) else [warehouse]
    with duckdb.connect() as con:
        scores = _union(con, warehouses, "evaluation.load_forecast_score")
        rows = con.execute(
            f"""select {group} as grp, forecaster, sum(hours) as hours,
                       sum(abs_pct_error_sum) / nullif(sum(hours), 0) as mape_pct,
                       sum(abs_error_sum_mw) / nullif(sum(hours), 0) as mae_mw
                from ({scores})
                where region = ? and market_date between ? and ?
                group by all order by grp, forecaster""",
            [region, start, end],
        ).fetchall()
    out: dict[str, ForecastSummary] = {}
    for grp, forecaster, hours, mape, mae in rows:
        summary = out.setdefault(grp, ForecastSummary(int(hours), {}, {}))
        summary.mape_pct[forecaster] = mape
        summary.mae_mw[forecaster] = mae
    return out


def household_summary(
    warehouse: Path | list[Path], region: str, start: dt.date, end: dt.date
) -> dict[str, float]:
    """Forecast CO2 (kg) of the household's optimized plan vs the run-at-earliest baseline."""
    warehouses = warehouse if isinstance(warehouse, list) else [warehouse]
    with duckdb.connect() as con:
        plans = _union(con, warehouses, "dispatch.household_load_shift")
        rows = con.execute(
            f"""select plan, sum(energy_kwh * carbon_forecast_gco2_per_kwh) / 1000 as co2_kg,
                      count(distinct market_date) as days
               from ({plans})
               where region = ? and market_date between ? and ? group by plan""",
            [region, start, end],
        ).fetchall()
    by_plan = {plan: (co2, days) for plan, co2, days in rows}
    if "baseline" not in by_plan or "optimized" not in by_plan:
        return {}
    baseline, days = by_plan["baseline"]
    optimized, _ = by_plan["optimized"]
    return {
        "days": days,
        "baseline_co2_kg": baseline,
        "optimized_co2_kg": optimized,
        "saving_pct": 100 * (baseline - optimized) / baseline if baseline else 0.0,
    }


# Ingest days before a chunk's first day-ahead day so that its first model sees exactly the
# history a sequential run would: the 56-day training window (D-56..D-2) of features that
# themselves read 8 days of grid history, plus the model's own day.
WARM_UP_DAYS = 56 + 8 + 1


def chunks(start: dt.date, end: dt.date, workers: int) -> list[tuple[dt.date, dt.date, dt.date]]:
    """(ingest_start, day_ahead_from, end) per worker: contiguous day-ahead ranges, each chunk
    after the first ingesting WARM_UP_DAYS before its range (computed twice, kept apart)."""
    days = days_between(start, end)
    size = -(-len(days) // workers)
    out = []
    for k in range(0, len(days), size):
        first, last = days[k], days[min(k + size, len(days)) - 1]
        ingest_from = start if k == 0 else max(start, first - dt.timedelta(days=WARM_UP_DAYS))
        out.append((ingest_from, first, last))
    return out


def _worker(args: tuple) -> WindowResult:
    ingest_from, day_ahead_from, last, region, data_dir, recordings, transport = args
    import dagster as dg

    return materialize_window(
        ingest_from,
        last,
        region,
        dg.DagsterInstance.ephemeral(),
        data_dir,
        recordings,
        transport,
        None,
        day_ahead_from,
    )


def materialize_window_parallel(
    start: dt.date,
    end: dt.date,
    region: str,
    work_dir: Path,
    recordings_dir: Path,
    workers: int,
) -> tuple[WindowResult, list[Path]]:
    """The window split over `workers` processes, each with its own warehouse (DuckDB allows
    one writer process) and in-memory Dagster instance. Returns the merged tally and the
    warehouses."""
    import multiprocessing

    parts = chunks(start, end, workers)
    dirs = [work_dir / f"worker{k}" for k in range(len(parts))]
    tasks = [
        (a, b, c, region, d, recordings_dir, "replay")
        for (a, b, c), d in zip(parts, dirs, strict=True)
    ]
    began = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(len(tasks)) as pool:
        results = pool.map(_worker, tasks)
    merged = WindowResult()
    for r in results:
        merged.partitions_ok.update(r.partitions_ok)
        merged.partitions_failed.extend(r.partitions_failed)
        merged.checks.update(r.checks)
    merged.seconds = time.perf_counter() - began
    return merged, [d / "warehouse.duckdb" for d in dirs]
