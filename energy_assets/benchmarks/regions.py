"""`energy-assets benchmark regions`: day-ahead load for every US region against each operator's
own day-ahead forecast, through the graph.

For each region, the graph's own jobs run over the window in replay (offline) mode, as
`energy-assets run` does: each raw feed's job (EIA-930 demand and forecast; CAISO's Today's Outlook
for CAISO's days from 2019), `ingest_job`, then `load_day_ahead_job` (the load models, forecasts
and scores) from `--start` on, with `--history-days` of history ingested before it. The scores
are `evaluation/load_forecast_score` (every forecaster on the same hours); the table shows, per
region, our ensemble's MAPE beside the operator's day-ahead forecast (EIA-930 DF) on those hours,
the Diebold-Mariano p-value of the difference (daily MAE), the operator's MAPE as published for
2015-07..2019-09 (Ruggles et al. 2020, Table 3), the members, the seasonal naive and the wall
time. Settings are the graph's defaults, chosen on earlier years (see the README); nothing here
is tuned on the window.

Last line: `regions load_beats_operator=<k>/<n> carbon_beats_dacf=<k>/<m> hours=<h> seconds=<s>`,
a region counting as beaten when our MAPE is below the operator's on the same hours. The carbon
count covers regions whose carbon slice was scored against DACF's published day-ahead MAPE
(e-Energy 2022); the carbon slice is not part of this command yet, so it reads 0/0.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

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
LOAD_FEEDS = frozenset({"region_data", "demand", "fuel_mix"})


def run_regions(
    start: dt.date,
    end: dt.date,
    regions: Sequence[str],
    recordings: Path,
    history_days: int = 56,
    work: Path | None = None,
    progress: Callable[[str], None] | None = print,
) -> tuple[pl.DataFrame, dict[str, float]]:
    """Run the load slice for each region; returns the scores and each region's wall seconds."""
    import dagster as dg

    from energy_assets.runner import LOAD_SCORES, load_scores, materialize_window

    own = work is None
    work = Path(tempfile.mkdtemp(prefix="energy-assets-regions-")) if own else work
    seconds: dict[str, float] = {}
    try:
        instance = dg.DagsterInstance.ephemeral()
        for region in regions:
            began = time.perf_counter()
            outcome = materialize_window(
                start - dt.timedelta(days=history_days),
                end,
                region,
                instance,
                work,
                recordings,
                "replay",
                progress,
                day_ahead_from=start,
                report=False,
                cross_region=False,
                day_ahead_job="load_day_ahead_job",
                raw_feeds=LOAD_FEEDS,
            )
            seconds[region] = time.perf_counter() - began
            if progress:
                failed = len(outcome.partitions_failed)
                progress(f"{region}: {seconds[region]:.0f} s, {failed} region-days failed")
                for job, key, message in outcome.partitions_failed[:5]:
                    progress(f"  failed {job} {key}: {message.splitlines()[0][:200]}")
        scores = load_scores(work / "warehouse", LOAD_SCORES)
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    return scores, seconds


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


def last_line(table: pl.DataFrame, seconds: float) -> str:
    scored = table.filter(
        pl.col("ensemble_mape_pct").is_not_null() & pl.col("operator_mape_pct").is_not_null()
    )
    beats = scored.filter(pl.col("ensemble_mape_pct") < pl.col("operator_mape_pct")).height
    return (
        f"regions load_beats_operator={beats}/{scored.height} carbon_beats_dacf=0/0"
        f" hours={int(table['hours'].sum())} seconds={seconds:.0f}"
    )


def main(args) -> int:
    if args.datasets:
        os.environ["ENERGY_ASSETS_DATASETS"] = str(Path(args.datasets).resolve())
    regions = args.region or list(DEFAULT_REGIONS)
    began = time.perf_counter()
    print(
        f"benchmark regions {args.start}..{args.end} ({', '.join(regions)}), load slice,"
        f" {args.history_days} days of history before"
    )
    scores, seconds = run_regions(
        args.start, args.end, regions, Path(args.recordings), args.history_days
    )
    table = region_table(scores, seconds)
    print()
    print_table(table)
    print(last_line(table, time.perf_counter() - began))
    return 0
