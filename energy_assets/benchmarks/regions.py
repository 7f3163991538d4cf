"""`energy-assets benchmark regions`: day-ahead load for every US region against each operator's
own day-ahead forecast, through the graph.

For each region, the graph's own jobs run over the window in replay (offline) mode, as
`energy-assets run` does: each raw feed's job (EIA-930 demand and forecast; CAISO's Today's Outlook
for CAISO's days from 2019; the GFS weather forecasts where they serve the region-day),
`load_ingest_job`, then `load_day_ahead_job` (the load models,
forecasts and scores) from `--start` on, with `--history-days` of history ingested before it. The scores
are `evaluation/load_forecast_score` (every forecaster on the same hours); the table shows, per
region, our ensemble's MAPE beside the operator's day-ahead forecast (EIA-930 DF) on those hours,
the Diebold-Mariano p-value of the difference (daily MAE), the operator's MAPE as published for
2015-07..2019-09 (Ruggles et al. 2020, Table 3), the members, the seasonal naive and the wall
time. Settings are the graph's defaults, chosen on earlier years (see the README); nothing here
is tuned on the window.

Last line: `regions load_beats_operator=<k>/<n> carbon_beats_dacf=<k>/<m> hours=<h> seconds=<s>`,
a region counting as beaten when our MAPE is below the operator's on the same hours. The carbon
count covers the regions whose carbon slice (`run_carbon`, the command's second half) was scored
against DACF's published day-ahead MAPE (e-Energy 2022), at the published benchmark's protocol
(issued 00:00 UTC for the UTC day).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from energy_assets.models.carbon_lgbm import (
    CARBON_REFIT_EVERY_DAYS,
    CARBON_TRAINING_DAYS,
    CARBON_YOUNG_HISTORY_DAYS,
    CARBON_YOUNG_REFIT_EVERY_DAYS,
)
from energy_assets.models.quantile_lgbm import LOAD_TRAINING_DAYS
from energy_assets.settings import (
    carbon_fuel_mix,
    carbon_fuel_mix_refit_every_days,
    load_lightgbm_refit_every_days,
    load_lightgbm_young_history_days,
)
from energy_assets.warehouse import TableName, Warehouse

# EIA-930 day-ahead forecast MAPE, 2015-07..2019-09, Ruggles et al. 2020 (Sci. Data 7, 155),
# Table 3, by our region code (EIA code in the comment)
PUBLISHED_OPERATOR_MAPE_PCT = {
    "CAISO": 3.04,  # CISO
    "ERCOT": 2.53,  # ERCO
    "PJM": 3.59,
    "NYISO": 3.49,  # NYIS
    "ISONE": 2.76,  # ISNE
    "MISO": 2.72,
    "SPP": 3.02,  # SWPP
    "BPA": 2.00,  # BPAT
}
# DACF day-ahead direct carbon-intensity MAPE, Jul-Dec 2021 (Maji et al., e-Energy 2022, Table 4)
PUBLISHED_DACF_MAPE_PCT = {"CAISO": 7.41, "PJM": 3.30, "ERCOT": 8.05, "ISONE": 4.44}
DEFAULT_REGIONS = tuple(PUBLISHED_OPERATOR_MAPE_PCT)
# the regions with a fuel mix in the offline EIA-930 carbon history (2019-01..2021-06)
DEFAULT_CARBON_REGIONS = ("CAISO", "PJM", "ERCOT", "ISONE", "MISO")
# the load slice's raw feeds: the grid, the operator's forecast and the weather the load
# features learn from (GFS regional forecasts offline, for five regions from 2019)
LOAD_FEEDS = frozenset({"region_data", "demand", "fuel_mix", "weather_forecast"})
CARBON_FEEDS = frozenset({"fuel_type", "weather_forecast"})
# The load models' refit: every day, chosen on 2016-07..2017-06 (`benchmark load-settings
# --refit-every 1,7,14,28`, every third day, P50 MAPE summed over the eight regions, the two
# models' mean): 16.59 every day, 16.84 weekly, 16.96 every 14 days, 17.36 every 28; weekly
# was worse in seven regions of eight (CAISO 1.88 -> 1.83 the exception). Unlike the carbon
# models' tie (above), the load models lose from every day a fit is older.
LOAD_REFIT_EVERY_DAYS = 1


@contextmanager
def _environment(settings: dict[str, str]) -> Iterator[None]:
    """The graph's settings (`ENERGY_ASSETS_*`) for the slice's runs, in this process and the
    workers it spawns; the previous values restored after."""
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _each_region(
    regions: Sequence[str],
    label: str,
    work: Path,
    progress: Callable[[str], None] | None,
    profile: bool = False,
    workers: int = 1,
    **window,
) -> dict[str, float]:
    """`runner.materialize_window(**window)` for each region, into one warehouse under `work`;
    each region's wall seconds. With `workers` > 1, that many regions at a time, each in its
    own process, as that many backfills launched from the UI run side by side under the
    instance's `max_concurrent_runs` (`dagster.yaml`); their lines are prefixed with the
    region."""
    if workers <= 1 or len(regions) <= 1:
        return {
            region: _one_region(region, label, work, progress, profile, window)
            for region in regions
        }
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent holds Polars' and LightGBM's thread pools
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {
            region: pool.submit(
                _one_region, region, label, work, progress is not None, profile, window
            )
            for region in regions
        }
        return {region: future.result() for region, future in futures.items()}


def _prefixed(region: str) -> Callable[[str], None]:
    def say(line: str) -> None:
        print(f"[{region}] {line}", flush=True)

    return say


def _one_region(
    region: str,
    label: str,
    work: Path,
    progress: Callable[[str], None] | bool | None,
    profile: bool,
    window: dict,
) -> float:
    """One region's window in its own ephemeral instance; its wall seconds. Its failures are
    reported, and with `profile` its step profile (`benchmarks/step_profile.py`: where a
    region-day's seconds go, from the runs' own Dagster events). `progress` True: print, each
    line prefixed with the region (a worker process)."""
    import dagster as dg

    from energy_assets.benchmarks.step_profile import format_profile, profile_runs
    from energy_assets.runner import materialize_window

    if progress is True:
        progress = _prefixed(region)
    say = progress or None
    instance = dg.DagsterInstance.ephemeral()
    began = time.perf_counter()
    outcome = materialize_window(
        region=region,
        instance=instance,
        data_dir=work,
        transport="replay",
        progress=say,
        report=False,
        cross_region=False,
        **window,
    )
    seconds = time.perf_counter() - began
    if say:
        failed = len(outcome.partitions_failed)
        say(f"{region}{label}: {seconds:.0f} s, {failed} region-days failed")
        for job, key, message in outcome.partitions_failed[:5]:
            say(f"  failed {job} {key}: {message.splitlines()[0][:200]}")
        if profile:
            say(f"{region}{label}: seconds per region-day of each step:")
            for line in format_profile(profile_runs(instance, outcome.run_ids)):
                say(line)
    return seconds


def run_regions(
    start: dt.date,
    end: dt.date,
    regions: Sequence[str],
    recordings: Path,
    history_days: int = LOAD_TRAINING_DAYS,
    work: Path | None = None,
    progress: Callable[[str], None] | None = print,
    profile: bool = False,
    workers: int = 1,
    refit_every_days: int = LOAD_REFIT_EVERY_DAYS,
) -> tuple[pl.DataFrame, dict[str, float]]:
    """Run the load slice for each region, its load models refit every `refit_every_days`;
    returns the scores and each region's wall seconds."""
    from energy_assets.runner import LOAD_SCORES, load_scores

    own = work is None
    work = Path(tempfile.mkdtemp(prefix="energy-assets-regions-")) if own else work
    try:
        with _environment({"ENERGY_ASSETS_REFIT_EVERY_DAYS": str(refit_every_days)}):
            seconds = _each_region(
                regions,
                "",
                work,
                progress,
                profile,
                workers,
                start=start - dt.timedelta(days=history_days),
                end=end,
                recordings_dir=recordings,
                day_ahead_from=start,
                day_ahead_job="load_day_ahead_job",
                raw_feeds=LOAD_FEEDS,
                ingest_job="load_ingest_job",
            )
        scores = load_scores(work / "warehouse", LOAD_SCORES)
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    return scores, seconds


CARBON_TABLES = (
    "forecasts.carbon_direct_day_ahead",
    "forecasts.carbon_direct_day_ahead_utc",
    "forecasts.carbon_day_ahead",
    "harmonized.carbon_intensity",
    "features.carbon_features",
)


def run_carbon(
    start: dt.date,
    end: dt.date,
    regions: Sequence[str],
    recordings: Path,
    training_days: int = CARBON_TRAINING_DAYS,
    refit_every_days: int = CARBON_REFIT_EVERY_DAYS,
    work: Path | None = None,
    progress: Callable[[str], None] | None = print,
    profile: bool = False,
    workers: int = 1,
    young_history_days: int = CARBON_YOUNG_HISTORY_DAYS,
    young_refit_every_days: int = CARBON_YOUNG_REFIT_EVERY_DAYS,
) -> tuple[dict[str, dict[str, pl.DataFrame]], dict[str, float]]:
    """Run the carbon slice (raw fuel mix and weather -> carbon features -> carbon models,
    forecasts and scores) for each region over start..end, its grid from EIA-930 (the data set
    the published carbon benchmarks use; CAISO's own Outlook is not offline after 2020); returns
    per region the stored forecasts, intensity and features (`CARBON_TABLES`), and the wall
    seconds."""
    own = work is None
    work = Path(tempfile.mkdtemp(prefix="energy-assets-carbon-")) if own else work
    settings = {
        "ENERGY_ASSETS_GRID_PROVIDERS": ",".join(f"{r}=eia930" for r in regions),
        "ENERGY_ASSETS_CARBON_TRAINING_DAYS": str(training_days),
        "ENERGY_ASSETS_CARBON_REFIT_EVERY_DAYS": str(refit_every_days),
        "ENERGY_ASSETS_CARBON_YOUNG_HISTORY_DAYS": str(young_history_days),
        "ENERGY_ASSETS_CARBON_YOUNG_REFIT_EVERY_DAYS": str(young_refit_every_days),
    }
    try:
        with _environment(settings):
            seconds = _each_region(
                regions,
                " carbon",
                work,
                progress,
                profile,
                workers,
                start=start,
                end=end,
                recordings_dir=recordings,
                ingest_job="carbon_ingest_job",
                day_ahead_job="carbon_day_ahead_job",
                raw_feeds=CARBON_FEEDS,
            )
        tables = _region_tables(Warehouse(work / "warehouse"), regions, start, end)
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    return tables, seconds


def _region_tables(
    warehouse: Warehouse, regions: Sequence[str], start: dt.date, end: dt.date
) -> dict[str, dict[str, pl.DataFrame]]:
    """Each region's rows of each `CARBON_TABLES` table over start-1..end+1, read from its own
    partition files (a query of the tables' views would scan every region's files once per
    region and table: 25 scans of the whole warehouse, several minutes of a five-region run)."""
    days = [start + dt.timedelta(days=k) for k in range(-1, (end - start).days + 2)]
    return {
        region: {
            name: warehouse.read(
                TableName(*name.split(".")),
                [{"region": region, "date": day.isoformat()} for day in days],
            )[0]
            for name in CARBON_TABLES
        }
        for region in regions
    }


def carbon_table(
    tables: dict[str, dict[str, pl.DataFrame]],
    seconds: dict[str, float],
    first_day: dt.date,
    last_day: dt.date,
) -> pl.DataFrame:
    """Per region: direct-intensity MAPE of our forecasts under both protocols (the market-day
    forecast issued D-1 12:00 local; the UTC-day forecast issued 00:00 UTC, the published
    benchmarks'), the seasonal naive's (same hour a week before, market days), the lifecycle
    MAPE (market days), and DACF's published figure."""
    from energy_assets.evaluation.carbon_protocols import protocol_mape

    rows = []
    for region, t in tables.items():
        direct, lifecycle = t["forecasts.carbon_direct_day_ahead"], t["forecasts.carbon_day_ahead"]
        actuals, features = t["harmonized.carbon_intensity"], t["features.carbon_features"]
        market, hours = protocol_mape(
            direct,
            actuals,
            "carbon_direct_p50_gco2_per_kwh",
            "carbon_direct_gco2_per_kwh",
            first_day,
            last_day,
            "market_day",
        )
        utc, utc_hours = protocol_mape(
            t["forecasts.carbon_direct_day_ahead_utc"],
            actuals,
            "carbon_direct_p50_gco2_per_kwh",
            "carbon_direct_gco2_per_kwh",
            first_day,
            last_day,
            "utc_day",
        )
        naive_rows = features.join(
            direct.select("interval_start_utc", "issued_at_utc"), on=["interval_start_utc"]
        ).select(
            "market_date",
            "interval_start_utc",
            pl.col("issued_at_utc_right").alias("issued_at_utc"),
            "carbon_direct_lag_7d_gco2_per_kwh",
        )
        naive, _ = protocol_mape(
            naive_rows,
            actuals,
            "carbon_direct_lag_7d_gco2_per_kwh",
            "carbon_direct_gco2_per_kwh",
            first_day,
            last_day,
            "market_day",
        )
        life, _ = protocol_mape(
            lifecycle,
            actuals,
            "carbon_p50_gco2_per_kwh",
            "carbon_gco2_per_kwh",
            first_day,
            last_day,
            "market_day",
        )
        rows.append(
            {
                "region": region,
                "hours": hours,
                "utc_hours": utc_hours,
                "direct_mape_pct": market,
                "direct_mape_utc_pct": utc,
                "naive_direct_mape_pct": naive,
                "lifecycle_mape_pct": life,
                "dacf_published_mape_pct": PUBLISHED_DACF_MAPE_PCT.get(region),
                "seconds": seconds.get(region, 0.0),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "region": pl.String,
            "hours": pl.Int64,
            "utc_hours": pl.Int64,
            "direct_mape_pct": pl.Float64,
            "direct_mape_utc_pct": pl.Float64,
            "naive_direct_mape_pct": pl.Float64,
            "lifecycle_mape_pct": pl.Float64,
            "dacf_published_mape_pct": pl.Float64,
            "seconds": pl.Float64,
        },
    )


def print_carbon_table(table: pl.DataFrame, first_day: dt.date, last_day: dt.date) -> None:
    print(f"carbon, direct intensity, {first_day}..{last_day} (trained on earlier days only):")
    print(
        "| region | hours | ours, market day (issued D-1 12:00 local) | ours, UTC day (issued"
        " 00:00 UTC) | seasonal naive | DACF published (Jul-Dec 2021) | lifecycle MAPE | wall s |"
    )
    print("|" + "---|" * 8)
    for r in table.iter_rows(named=True):
        print(
            f"| {r['region']} | {r['hours']} | {_f(r['direct_mape_pct'])}%"
            f" | {_f(r['direct_mape_utc_pct'])}% | {_f(r['naive_direct_mape_pct'])}%"
            f" | {_f(r['dacf_published_mape_pct'])}% | {_f(r['lifecycle_mape_pct'])}%"
            f" | {r['seconds']:.0f} |"
        )


def region_table(scores: pl.DataFrame, seconds: dict[str, float]) -> pl.DataFrame:
    from energy_assets.evaluation.load_score import LOAD
    from energy_assets.evaluation.report import rollup

    rows = []
    for region, wall in seconds.items():
        report = rollup(scores.filter(pl.col("region") == region), LOAD)
        overall = report.filter(pl.col("period_kind") == "all")
        by = {r["forecaster"]: r for r in overall.iter_rows(named=True)}
        ours = by.get("ensemble")
        rows.append(
            {
                "region": region,
                "days": ours["days"] if ours else 0,
                "hours": ours["hours"] if ours else 0,
                "ensemble_mape_pct": ours["mape_pct"] if ours else None,
                "operator_mape_pct": by.get("operator_day_ahead", {}).get("mape_pct"),
                "dm_p_value_vs_operator": ours["dm_p_value_vs_operator"] if ours else None,
                "published_operator_mape_pct": PUBLISHED_OPERATOR_MAPE_PCT.get(region),
                "lightgbm_mape_pct": by.get("lightgbm", {}).get("mape_pct"),
                "mlx_mape_pct": by.get("mlx", {}).get("mape_pct"),
                "seasonal_naive_mape_pct": by.get("seasonal_naive_7d", {}).get("mape_pct"),
                "seconds": wall,
            }
        )
    return pl.DataFrame(rows)


def _f(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(table: pl.DataFrame) -> None:
    print(
        "| region | days | hours | ensemble MAPE | operator DF MAPE (same hours)"
        " | DM p-value | operator DF MAPE published 2015-19 | LightGBM | MLX | seasonal naive"
        " | wall s |"
    )
    print("|" + "---|" * 11)
    for r in table.iter_rows(named=True):
        print(
            f"| {r['region']} | {r['days']} | {r['hours']} | {_f(r['ensemble_mape_pct'])}%"
            f" | {_f(r['operator_mape_pct'])}% | {_f(r['dm_p_value_vs_operator'], 3)}"
            f" | {_f(r['published_operator_mape_pct'])}% | {_f(r['lightgbm_mape_pct'])}%"
            f" | {_f(r['mlx_mape_pct'])}% | {_f(r['seasonal_naive_mape_pct'])}%"
            f" | {r['seconds']:.0f} |"
        )


def last_line(table: pl.DataFrame, seconds: float, carbon: pl.DataFrame | None = None) -> str:
    """Load: our MAPE below the operator's on the same hours. Carbon: our direct MAPE at the
    published protocol (UTC days) below DACF's published figure, over the regions it has one
    for. Hours: load hours plus carbon hours scored."""
    scored = table.filter(
        pl.col("ensemble_mape_pct").is_not_null() & pl.col("operator_mape_pct").is_not_null()
    )
    beats = scored.filter(pl.col("ensemble_mape_pct") < pl.col("operator_mape_pct")).height
    carbon_beats, carbon_n, carbon_hours = 0, 0, 0
    if carbon is not None and carbon.height:
        compared = carbon.filter(
            pl.col("dacf_published_mape_pct").is_not_null()
            & pl.col("direct_mape_utc_pct").is_not_null()
        )
        carbon_n = compared.height
        carbon_beats = compared.filter(
            pl.col("direct_mape_utc_pct") < pl.col("dacf_published_mape_pct")
        ).height
        carbon_hours = int(carbon["utc_hours"].sum())
    hours = (int(table["hours"].sum()) if table.height else 0) + carbon_hours
    return (
        f"regions load_beats_operator={beats}/{scored.height}"
        f" carbon_beats_dacf={carbon_beats}/{carbon_n} hours={hours} seconds={seconds:.0f}"
    )


def main(args) -> int:
    if args.datasets:
        os.environ["ENERGY_ASSETS_DATASETS"] = str(Path(args.datasets).resolve())
    began = time.perf_counter()
    table = pl.DataFrame()
    if not args.skip_load:
        regions = args.region or list(DEFAULT_REGIONS)
        load_refit = args.load_refit_every or LOAD_REFIT_EVERY_DAYS
        print(
            f"benchmark regions {args.start}..{args.end} ({', '.join(regions)}), load slice,"
            f" {args.history_days} days of history before, MLX refit every {load_refit},"
            f" LightGBM every {load_lightgbm_refit_every_days()} (every {load_refit}"
            f" while its window holds fewer than {load_lightgbm_young_history_days()}"
            " stored days)"
        )
        scores, seconds = run_regions(
            args.start,
            args.end,
            regions,
            Path(args.recordings),
            args.history_days,
            work=Path(args.load_work) if args.load_work else None,
            profile=args.profile,
            workers=args.workers,
            refit_every_days=load_refit,
        )
        table = region_table(scores, seconds)
        print()
        print_table(table)
    carbon = None
    if not args.skip_carbon:
        regions = args.carbon_region or list(DEFAULT_CARBON_REGIONS)
        training_days = args.carbon_training_days or CARBON_TRAINING_DAYS
        refit_every = args.carbon_refit_every or CARBON_REFIT_EVERY_DAYS
        young = (
            CARBON_YOUNG_HISTORY_DAYS
            if args.carbon_young_history_days is None
            else args.carbon_young_history_days
        )
        young_every = args.carbon_young_refit_every or CARBON_YOUNG_REFIT_EVERY_DAYS
        member = (
            f"on, trained every {carbon_fuel_mix_refit_every_days()} days"
            if carbon_fuel_mix()
            else "off"
        ) + " (ENERGY_ASSETS_CARBON_FUEL_MIX)"
        print(
            f"benchmark regions, carbon slice {args.carbon_start}..{args.carbon_end}"
            f" ({', '.join(regions)}), scored {args.carbon_score_from}..{args.carbon_end},"
            f" models on {training_days} days refit every {refit_every}"
            f" (every {young_every} while the window holds under {young} days), the UTC-day"
            f" model's fuel-mix member {member}"
        )
        tables, seconds = run_carbon(
            args.carbon_start,
            args.carbon_end,
            regions,
            Path(args.recordings),
            training_days,
            refit_every,
            work=Path(args.carbon_work) if args.carbon_work else None,
            profile=args.profile,
            workers=args.workers,
            young_history_days=young,
            young_refit_every_days=young_every,
        )
        carbon = carbon_table(tables, seconds, args.carbon_score_from, args.carbon_end)
        print()
        print_carbon_table(carbon, args.carbon_score_from, args.carbon_end)
    if not table.height:
        table = pl.DataFrame(
            schema={
                "ensemble_mape_pct": pl.Float64,
                "operator_mape_pct": pl.Float64,
                "hours": pl.Int64,
            }
        )
    print(last_line(table, time.perf_counter() - began, carbon))
    return 0
