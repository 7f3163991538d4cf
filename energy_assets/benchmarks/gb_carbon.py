"""GB's day-ahead carbon forecast, offline, on the GB Carbon Intensity API's 2023 file: the
carbon slice through the graph, scored per hour, rolled up.

    uv run energy-assets benchmark gb-carbon [--start 2023-01-01] [--end 2023-12-31]
                                             [--forecast-from 2023-07-01] [--data PATH]

Runs, in-process into a temporary data folder (or `--data`) and an ephemeral Dagster instance:
`raw/uk_carbon_intensity_national` for every day of the window (NESO's demand is not fetched:
its offline files end in 2020), `published_carbon_ingest_job` (the published intensity alone,
the weather table and the carbon features) over the window, then
`published_carbon_day_ahead_job` (`models/carbon_lightgbm` learning the published intensity,
trained on the days stored of D-`ENERGY_ASSETS_CARBON_TRAINING_DAYS`..D-2, default 730, every
`ENERGY_ASSETS_CARBON_REFIT_EVERY_DAYS`, default 28; `forecasts/carbon_day_ahead`;
`evaluation/carbon_forecast_score`) from `--forecast-from`. Prints the roll-up of the scored
days (`evaluation/report.rollup`, exact over hours): our day-ahead forecast
(`lightgbm_published`), its seasonal naive (`seasonal_naive_7d_published`) and the API's own
stored forecast (`api_forecast_short_lead`: its latest forecast before each half-hour, a lead of
minutes to hours, not a day-ahead forecast), all on the same hours, for the window and each
month.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import dagster as dg
import polars as pl

from energy_assets import settings
from energy_assets.evaluation.carbon_score import CARBON_PUBLISHED
from energy_assets.evaluation.report import rollup
from energy_assets.runner import CARBON_SCORES, load_scores, materialize_window


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2023, 1, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2023, 12, 31))
    parser.add_argument("--forecast-from", type=dt.date.fromisoformat, default=dt.date(2023, 7, 1))
    parser.add_argument("--data", type=Path, default=None, help="data folder (default: temporary)")


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="gb-carbon-") as tmp:
        data = args.data or Path(tmp)
        began = time.perf_counter()
        outcome = materialize_window(
            args.start,
            args.end,
            "GB",
            dg.DagsterInstance.ephemeral(),
            data,
            settings.recordings_dir(),
            "replay",
            progress=lambda line: print(line, flush=True),
            day_ahead_from=args.forecast_from,
            report=False,
            cross_region=False,
            raw_feeds=frozenset({"national"}),
            ingest_job="published_carbon_ingest_job",
            day_ahead_job="published_carbon_day_ahead_job",
        )
        print(
            f"partitions materialized: {dict(outcome.partitions_ok)}; failed:"
            f" {len(outcome.partitions_failed)} {[k for _, k, _ in outcome.partitions_failed]};"
            f" {time.perf_counter() - began:.0f} s"
        )
        scores = load_scores(data / "warehouse", CARBON_SCORES)
        if scores.is_empty():
            print("no scored day")
            return 1
        report = rollup(scores.filter(pl.col("region") == "GB"), CARBON_PUBLISHED)
        with pl.Config(tbl_rows=200, tbl_cols=20, tbl_width_chars=200, float_precision=2):
            print(
                report.select(
                    "period",
                    "forecaster",
                    "days",
                    "hours",
                    "mae_gco2_per_kwh",
                    "rmse_gco2_per_kwh",
                    "mape_pct",
                    "rmae",
                    "p10_p90_coverage",
                    "dm_p_value_vs_naive",
                ).sort("period", "forecaster")
            )
        whole = {
            row["forecaster"]: row for row in report.filter(pl.col("period") == "all").to_dicts()
        }

        def mae(name: str) -> str:
            return f"{whole[name]['mae_gco2_per_kwh']:.2f}" if name in whole else "nan"

        hours = whole.get("lightgbm_published", {}).get("hours", 0)
        print(
            f"gb_carbon mae={mae('lightgbm_published')}"
            f" naive_mae={mae('seasonal_naive_7d_published')}"
            f" api_short_lead_mae={mae('api_forecast_short_lead')} hours={hours}"
            f" seconds={time.perf_counter() - began:.0f}"
        )
    return 0
