"""Materialize a window of market days through the whole slice: each job once over the window.

Used by `energy-assets run` (the main job) and `energy-assets benchmark caiso`. The same runs a
backfill of the window launches from the UI (every region-day asset runs a range in one run,
`defs_support/ranges.py`): each raw feed's job over the days its provider serves the region
(`raw_plan`), `ingest_job` (harmonized -> features) over the window, then, from the
first day with enough history, `day_ahead_job` (model -> forecasts -> dispatch -> evaluation),
`cross_region_job`, and `report_job`. Each is one in-process run over a range of days, recorded
in the Dagster instance under the workspace's code location (`recorded_runs`), so the UI lists
them under their jobs. A range in which some days fail stores none of it and names the days
(Dagster records a range as one materialization); the window is then run again as the ranges
between those days, and the later jobs leave them out. The daemon's path for the same work is a
backfill (`energy-assets backfill`, or the UI).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import polars as pl

from energy_assets.definitions import build_definitions
from energy_assets.defs_support.resources import default_resources
from energy_assets.evaluation.load_score import LOAD
from energy_assets.evaluation.report import rollup
from energy_assets.harmonize.sources import (
    PUBLISHED_INTENSITY_FEEDS,
    WEATHER_FEED,
    grid_source,
    published_intensity_provider,
    weather_provider,
)
from energy_assets.layers import raw_job_name
from energy_assets.partitions import FIRST_DAY_AHEAD_DATE, MIN_TRAINING_DAYS, partition_key
from energy_assets.recorded_runs import execute_recorded
from energy_assets.regions import region as registry_region
from energy_assets.warehouse import TableName, Warehouse

# Console logging of every Dagster event costs time and drowns the summary; the events are still
# stored in the instance (the UI shows them).
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


INGEST = "ingest_job"
DAY_AHEAD = ("day_ahead_job", "cross_region_job")  # in this order: every region, then across


@dataclass
class WindowResult:
    """Partitions materialized per job, failed (job, partition, message), check results, wall
    seconds and the runs' ids."""

    partitions_ok: Counter = field(default_factory=Counter)
    partitions_failed: list[tuple[str, str, str]] = field(default_factory=list)
    checks: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    run_ids: list[str] = field(default_factory=list)
    # raw feeds that failed on days the harmonized layer could do without them
    optional_failed: list[tuple[str, str, str]] = field(default_factory=list)
    day_ahead_days: list[dt.date] = field(default_factory=list)

    def add(self, other: WindowResult) -> None:
        self.partitions_ok.update(other.partitions_ok)
        self.partitions_failed += other.partitions_failed
        self.optional_failed += other.optional_failed
        self.checks.update(other.checks)
        self.run_ids += other.run_ids

    @property
    def runs(self) -> int:
        return len(self.run_ids)

    @property
    def partitions(self) -> int:
        return sum(self.partitions_ok.values()) + len(self.partitions_failed)


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def first_day_ahead_day(start: dt.date) -> dt.date:
    """First day of the window with MIN_TRAINING_DAYS of history (D-2 and earlier) inside it."""
    return max(
        start + dt.timedelta(days=MIN_TRAINING_DAYS + 1),
        dt.date.fromisoformat(FIRST_DAY_AHEAD_DATE),
    )


def day_ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) ranges: [1, 2, 3, 5] -> [(1, 3), (5, 5)]."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if ranges and day == ranges[-1][1] + dt.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _failure(result: dg.ExecuteInProcessResult) -> tuple[list[str], list[str]]:
    """Each step failure's message, and the partitions they name as failed (their
    `failed_partitions` metadata: a range's bad days, or the missing days of an input)."""
    messages: list[str] = []
    named: list[str] = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            data = event.step_failure_data
            if data.user_failure_data is not None:
                value = (data.user_failure_data.metadata or {}).get("failed_partitions")
                named += [k for k in (getattr(value, "value", value) or []) if k not in named]
            error = data.error
            while error.cause is not None and "Failure" not in error.cls_name:
                if error.cls_name in {"SourceError", "FetchError", "PayloadError"}:
                    break
                error = error.cause
            messages.append(f"{event.step_key}: {error.message.strip()}")
    return messages or ["run failed"], named


def _day_message(messages: list[str], key: str) -> str:
    """A day's own line of the range failures (`- <key>: why`), else the first one's first line."""
    for message in messages:
        step = message.split(":", 1)[0]
        for line in message.splitlines():
            if line.startswith(f"- {key}: "):
                return f"{step}: {line[len(key) + 4 :]}"
    return messages[0].splitlines()[0]


def _tally_checks(result: dg.ExecuteInProcessResult, checks: Counter) -> None:
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            checks["passed"] += 1
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            checks["warned"] += 1
        else:
            checks["failed"] += 1


def _run_days(
    job: dg.JobDefinition,
    days: list[dt.date],
    region: str,
    instance: dg.DagsterInstance,
    outcome: WindowResult,
    progress: Callable[[str], None] | None,
) -> set[dt.date]:
    """Run `job` over `days` as ranges of consecutive days; a range whose steps name failed days
    is run again without them, for the assets the failed run did not store (a step that
    succeeded stored every day of its range: only the failed steps and those after them run
    again). Returns the days that failed."""
    failed: set[dt.date] = set()
    pending: list[tuple[dt.date, dt.date, frozenset[dg.AssetKey] | None]] = [
        (first, last, None) for first, last in day_ranges(days)
    ]
    while pending:
        first, last, selection = pending.pop(0)
        result = execute_recorded(
            job,
            instance,
            partition_range=(partition_key(region, first), partition_key(region, last)),
            run_config=QUIET,
            asset_selection=selection,
        )
        _tally_checks(result, outcome.checks)
        outcome.run_ids.append(result.run_id)
        span = days_between(first, last)
        if result.success:
            outcome.partitions_ok[job.name] += len(span)
            continue
        messages, named = _failure(result)
        bad = {dt.date.fromisoformat(k.split("|")[0]) for k in named} & set(span)
        if not bad or len(span) == 1:
            bad = set(span)  # nothing named within the range: the whole range failed
        for day in sorted(bad):
            key = str(partition_key(region, day))
            outcome.partitions_failed.append((job.name, key, _day_message(messages, key)))
        failed |= bad
        if progress:
            progress(
                f"FAILED {job.name} {first}..{last}: {len(bad)} of {len(span)} days:"
                f" {messages[0].splitlines()[0]}"
            )
        ran = selection or frozenset(job.asset_layer.selected_asset_keys)
        left = ran - {e.asset_key for e in result.get_asset_materialization_events()}
        if not left or left == job.asset_layer.selected_asset_keys:
            left = None  # nothing stored (or nothing left): the whole job again
        pending = [(a, b, left) for a, b in day_ranges([d for d in span if d not in bad])] + pending
    return failed


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
    report: bool = True,
    cross_region: bool = True,
    day_ahead_job: str = "day_ahead_job",
    raw_feeds: frozenset[str] | None = None,
    ingest_job: str = INGEST,
) -> WindowResult:
    """Ingest every day of start..end; day-ahead jobs from `day_ahead_from` (default: the first
    day with MIN_TRAINING_DAYS of history in the window; earlier where the warehouse already holds
    the history) on the days whose ingest succeeded; then, if `report`, `report_job`."""
    defs = build_definitions(default_resources(data_dir, recordings_dir, transport))
    first_forecast = max(
        day_ahead_from or first_day_ahead_day(start), dt.date.fromisoformat(FIRST_DAY_AHEAD_DATE)
    )
    outcome = WindowResult()
    began = time.perf_counter()
    unusable = ingest_raw(
        defs, days_between(start, end), region, instance, outcome, progress, raw_feeds
    )
    ingest_days = [d for d in days_between(start, end) if d not in unusable]
    failed = unusable | _run_days(
        defs.resolve_job_def(ingest_job), ingest_days, region, instance, outcome, progress
    )
    if progress:
        progress(
            f"{ingest_job} {start}..{end}: {dict(outcome.partitions_ok)} ok, {len(failed)} failed"
        )
    day_ahead_days = [d for d in days_between(first_forecast, end) if d not in failed]
    for name in (day_ahead_job, DAY_AHEAD[1]) if cross_region else (day_ahead_job,):
        failed_now = _run_days(
            defs.resolve_job_def(name), day_ahead_days, region, instance, outcome, progress
        )
        day_ahead_days = [d for d in day_ahead_days if d not in failed_now]
        if progress:
            progress(f"{name}: {dict(outcome.partitions_ok)} ok")
    outcome.day_ahead_days = day_ahead_days
    if report and outcome.partitions_ok[day_ahead_job]:
        _run_report(defs, instance, outcome)
    outcome.seconds = time.perf_counter() - began
    return outcome


def _run_report(defs: dg.Definitions, instance: dg.DagsterInstance, outcome: WindowResult) -> None:
    """`report_job` once (the roll-ups of every scored day), tallied into `outcome`."""
    result = execute_recorded(defs.resolve_job_def("report_job"), instance, None, QUIET)
    _tally_checks(result, outcome.checks)
    outcome.run_ids.append(result.run_id)
    if result.success:
        outcome.partitions_ok["report_job"] += 1
    else:
        outcome.partitions_failed.append(("report_job", "-", _failure(result)[0][0]))


def raw_plan(region: str, days: list[dt.date]) -> dict[tuple[str, str], list[dt.date]]:
    """The raw feeds (provider, feed) the region's harmonized tables read, and for which days:
    each day's grid, operator-forecast and weather provider, and the provider of the region's
    own published intensity (GB) (`harmonize/sources.py`)."""
    plan: dict[tuple[str, str], list[dt.date]] = {}
    the_region = registry_region(region)
    for day in days:
        for kind in ("grid", "operator_load_forecast"):
            source = grid_source(the_region, kind, day)
            for name in () if source is None else source.feeds:
                wanted = plan.setdefault((source.provider, name), [])
                if not wanted or wanted[-1] != day:
                    wanted.append(day)
        weather = weather_provider(the_region, day)
        if weather is not None:
            plan.setdefault((weather, WEATHER_FEED), []).append(day)
        published = published_intensity_provider(the_region, day)  # GB's own intensity
        if published is not None:
            plan.setdefault((published, PUBLISHED_INTENSITY_FEEDS[published]), []).append(day)
    return plan


def ingest_raw(
    defs: dg.Definitions,
    days: list[dt.date],
    region: str,
    instance: dg.DagsterInstance,
    outcome: WindowResult,
    progress: Callable[[str], None] | None,
    feeds: frozenset[str] | None = None,
) -> set[dt.date]:
    """Run each raw feed's job over the days it serves (only `feeds`, feed names, if given);
    returns the days the harmonized layer cannot be built for (a required feed failed). A feed
    a day can do without (EIA's fuel mix before the offline carbon history begins) is reported
    in `optional_failed`, not failed."""
    failed_by_feed: dict[tuple[str, str], set[dt.date]] = {}
    held: list[tuple[str, str, str]] = []
    for (provider, name), feed_days in raw_plan(region, days).items():
        if feeds is not None and name not in feeds:
            continue
        job = defs.resolve_job_def(raw_job_name(provider, name))
        before = len(outcome.partitions_failed)
        failed_by_feed[(provider, name)] = _run_days(
            job, feed_days, region, instance, outcome, progress
        )
        if progress:
            bad = len(failed_by_feed[(provider, name)])
            progress(f"{job.name}: {len(feed_days) - bad} ok, {bad} failed")
        # hold the failures back until the required groups say whether they matter
        held += outcome.partitions_failed[before:]
        del outcome.partitions_failed[before:]
    unusable: set[dt.date] = set()
    the_region = registry_region(region)
    for day in days:
        source = grid_source(the_region, "grid", day)
        if source is None:
            unusable.add(day)
            continue
        for group in source.required:
            if all(day in failed_by_feed.get((source.provider, g), set()) for g in group):
                unusable.add(day)
        weather = weather_provider(the_region, day)  # the weather table needs its feed
        if weather is not None and day in failed_by_feed.get((weather, WEATHER_FEED), set()):
            unusable.add(day)
        published = published_intensity_provider(the_region, day)  # so does the carbon table
        if published is not None and day in failed_by_feed.get(
            (published, PUBLISHED_INTENSITY_FEEDS[published]), set()
        ):
            unusable.add(day)
    for row in held:
        day = dt.date.fromisoformat(row[1].split("|")[0])
        (outcome.partitions_failed if day in unusable else outcome.optional_failed).append(row)
    return unusable


def materialize_regions(
    windows: dict[str, tuple[dt.date, dt.date]],
    instance: dg.DagsterInstance,
    data_dir: Path,
    recordings_dir: Path,
    transport: str = "replay",
    progress: Callable[[str], None] | None = None,
    load_only: bool | Collection[str] = False,
    ingest_only: bool = False,
) -> WindowResult:
    """`materialize_window` for each region over its own window, then the decisions across
    regions (`cross_region_job`: every region's forecasts of the day are stored by then), then
    `report_job` once. `load_only` (True: every region; or the regions it names): the load slice
    (`load_ingest_job`, `load_day_ahead_job`), no carbon, no schedules, for a region with demand
    but no carbon intensity (e.g. GB offline); the decisions and reports cover the others.
    `ingest_only`: the raw feeds and the ingest job only (raw -> harmonized -> features), no
    model, forecast, schedule or report: the tables a settings comparison reads."""
    began = time.perf_counter()
    total = WindowResult()
    load_slice_only = set(windows) if load_only is True else set(load_only or ())
    day_ahead_days: dict[str, list[dt.date]] = {}
    for region, (start, end) in windows.items():
        if progress:
            progress(f"-- {region} {start}..{end}")
        outcome = materialize_window(
            start,
            end,
            region,
            instance,
            data_dir,
            recordings_dir,
            transport,
            progress,
            report=False,
            cross_region=False,
            # no day-ahead day: the first one would be after the window's end
            day_ahead_from=end + dt.timedelta(days=1) if ingest_only else None,
            **(
                {"day_ahead_job": "load_day_ahead_job", "ingest_job": "load_ingest_job"}
                if region in load_slice_only
                else {}
            ),
        )
        total.add(outcome)
        if region not in load_slice_only and not ingest_only:
            day_ahead_days[region] = outcome.day_ahead_days
    defs = build_definitions(default_resources(data_dir, recordings_dir, transport))
    for region, days in day_ahead_days.items():
        _run_days(defs.resolve_job_def(DAY_AHEAD[1]), days, region, instance, total, progress)
    # the reports roll up load and carbon together: not run for the load slice alone (the
    # carbon report has no scored day to roll up); the day scores are in the warehouse
    if total.partitions_ok["day_ahead_job"] and day_ahead_days:
        _run_report(defs, instance, total)
    total.seconds = time.perf_counter() - began
    return total


@dataclass
class ForecastSummary:
    hours: int
    mape_pct: dict[str, float]
    mae_mw: dict[str, float]


LOAD_SCORES = "evaluation.load_forecast_score"
CARBON_SCORES = "evaluation.carbon_forecast_score"


def load_scores(warehouse: Warehouse | Path | str, table: str = LOAD_SCORES) -> pl.DataFrame:
    """Day scores (`evaluation.load_forecast_score` unless `table` says otherwise, e.g.
    `CARBON_SCORES`) stored in the warehouse (its root folder, or a `Warehouse`); empty when none
    is stored."""
    warehouse = warehouse if isinstance(warehouse, Warehouse) else Warehouse(warehouse)
    if TableName(*table.split(".")) not in warehouse.tables():
        return pl.DataFrame()
    return warehouse.query(f"select * from {table}")


def forecast_summary(
    scores: pl.DataFrame,
    region: str,
    start: dt.date,
    end: dt.date,
    group_by: str | None = None,
) -> dict[str, ForecastSummary]:
    """MAPE/MAE per forecaster over the window (`group_by` None, "year" or "month"), exact over
    hours, computed by the same roll-up as `evaluation/load_forecast_report`. `scores`: rows
    of `evaluation.load_forecast_score` (see `load_scores`)."""
    scores = scores.filter(
        (pl.col("region") == region) & pl.col("market_date").is_between(start, end)
    )
    kind = {None: "all", "year": "year", "month": "month"}[group_by]
    report = rollup(scores, LOAD).filter(pl.col("period_kind") == kind)
    out: dict[str, ForecastSummary] = {}
    for row in report.iter_rows(named=True):
        summary = out.setdefault(row["period"], ForecastSummary(row["hours"], {}, {}))
        summary.mape_pct[row["forecaster"]] = row["mape_pct"]
        summary.mae_mw[row["forecaster"]] = row["mae_mw"]
    return out


def household_summary(
    warehouse: Warehouse | Path | str, region: str, start: dt.date, end: dt.date
) -> dict[str, float]:
    """Forecast CO2 (kg) of the household's optimized plan vs the run-at-earliest baseline."""
    warehouse = warehouse if isinstance(warehouse, Warehouse) else Warehouse(warehouse)
    if TableName("dispatch", "household_load_shift") not in warehouse.tables():
        return {}
    rows = warehouse.query(
        """select plan, sum(energy_kwh * carbon_forecast_gco2_per_kwh) / 1000 as co2_kg,
                  count(distinct market_date) as days
           from dispatch.household_load_shift
           where region = ? and market_date between ? and ? group by plan""",
        [region, start, end],
    ).rows()
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
