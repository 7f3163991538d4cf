"""`energy-assets`: the main job and the benchmarks.

    energy-assets run [--start D] [--end D] [--region CAISO] [--recordings PATH] [--transport T]
    energy-assets backfill --start D --end D [--region R] [--layers L,...] [--url URL]
    energy-assets benchmark caiso [--start D] [--end D] [--recordings PATH]
    energy-assets benchmark regions [--start D] [--end D] [--region R ...] [--datasets PATH]
    energy-assets benchmark epf --data PATH [--published PATH]
    energy-assets benchmark price-dispatch --data PATH --published PATH [--forecasts PATH]
    energy-assets benchmark dispatch [--sizes 1,10,100,1000]
    energy-assets benchmark gb-carbon [--start D] [--end D] [--forecast-from D]
    energy-assets benchmark warehouse [--days 730]
    energy-assets benchmark backfill [--start D] [--end D]

`run` materializes the window through every asset into `data/` (Parquet warehouse, Dagster
storage: open the UI afterwards to see the runs) and prints a summary. The default window is
2020-07-01..2020-08-31 replayed from the recordings (offline); `--transport live` fetches
from the real services. `backfill` submits the same work to the Dagster instance as the UI does
(the daemon runs it) and waits for it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from energy_assets import settings
from energy_assets.models.quantile_lgbm import LOAD_TRAINING_DAYS

DEFAULT_START = dt.date(2020, 7, 1)
DEFAULT_END = dt.date(2020, 8, 31)
# The main job's regions and their default windows, all offline: CAISO from its Today's Outlook
# recordings; ERCOT and PJM from the EIA-930 history, whose demand ends 2019-06-30 (its last two
# months); GB from the NESO demand history (its last two months). `--start`/`--end` set one window
# for every region.
DEFAULT_REGIONS = ("CAISO", "ERCOT", "PJM", "GB")
# Regions the main job runs through the load slice only (`--load-only` for every region): GB's
# offline history has demand (NESO, to 2020) but no fuel mix and no published
# intensity in the same years (the Carbon Intensity API file is 2023), so its carbon slice has no
# target and its schedules no carbon forecast. GB's 2023 carbon slice, on the published intensity
# without a grid: `energy-assets benchmark gb-carbon` (README, GB).
LOAD_SLICE_ONLY = ("GB",)
DEFAULT_WINDOWS = {
    "CAISO": (DEFAULT_START, DEFAULT_END),
    # the last two months of the NESO demand history offline
    "GB": (dt.date(2020, 11, 1), dt.date(2020, 12, 31)),
}
EIA_DEFAULT_WINDOW = (dt.date(2019, 5, 1), dt.date(2019, 6, 30))


def default_windows(
    regions, start: dt.date | None, end: dt.date | None
) -> dict[str, tuple[dt.date, dt.date]]:
    windows = {}
    for region in regions:
        first, last = DEFAULT_WINDOWS.get(region, EIA_DEFAULT_WINDOW)
        windows[region] = (start or first, end or last)
    return windows


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _instance(home: Path):
    import dagster as dg

    home.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.from_config(str(home))


def _print_summary(
    outcome, scores, household_warehouse, windows: dict[str, tuple[dt.date, dt.date]]
) -> None:
    print()
    print(
        f"partitions materialized: {dict(outcome.partitions_ok)}; failed: {len(outcome.partitions_failed)}"
    )
    for job, key, message in outcome.partitions_failed[:10]:
        print(f"  failed {job} {key}: {message}")
    checks = outcome.checks
    print(
        f"checks: {checks['passed']} passed, {checks['warned']} warned, {checks['failed']} failed"
    )
    for region, (start, end) in windows.items():
        if len(windows) > 1:
            print(f"{region} {start}..{end}:")
        _print_region(scores, household_warehouse, region, start, end)


def _print_region(scores, household_warehouse, region: str, start: dt.date, end: dt.date) -> None:
    from energy_assets.runner import CARBON_SCORES, LOAD_SCORES, forecast_summary, household_summary

    load, carbon = scores[LOAD_SCORES], scores[CARBON_SCORES]
    summary = forecast_summary(load, region, start, end).get("all") if load.height else None
    if summary is None:
        print("no day-ahead load forecast was scored")
    else:
        m = summary.mape_pct
        nan = float("nan")
        operator = (
            f"{region} day-ahead {m['operator_day_ahead']:.2f}%"
            if "operator_day_ahead" in m
            else f"no {region} operator forecast"  # GB offline: none published
        )
        print(
            f"day-ahead load MAPE over {summary.hours} hours: energy-assets {m.get('ensemble', nan):.2f}%"
            f" (LightGBM {m.get('lightgbm', nan):.2f}%, MLX {m.get('mlx', nan):.2f}%)"
            f" | {operator} | seasonal naive {m.get('seasonal_naive_7d', nan):.2f}%"
        )
    carbon_line = _carbon_line(carbon, region, start, end)
    if carbon_line is None and region in LOAD_SLICE_ONLY:
        carbon_line = (
            "load slice only: no carbon intensity offline, so no carbon forecast or schedule"
        )
    print(carbon_line or "no day-ahead carbon forecast was scored")
    household = (
        household_summary(household_warehouse, region, start, end)
        if household_warehouse is not None
        else {}
    )
    if household:
        print(
            f"household load shift over {household['days']} days: {household['baseline_co2_kg']:.1f} kg CO2"
            f" at earliest start -> {household['optimized_co2_kg']:.1f} kg optimized"
            f" (saving {household['saving_pct']:.1f}% on the P50 carbon forecast)"
        )


def _scores(warehouse) -> dict:
    from energy_assets.runner import CARBON_SCORES, LOAD_SCORES, load_scores

    return {table: load_scores(warehouse, table) for table in (LOAD_SCORES, CARBON_SCORES)}


def _carbon_line(scores, region: str, start: dt.date, end: dt.date) -> str | None:
    import polars as pl

    from energy_assets.evaluation.carbon_score import CARBON
    from energy_assets.evaluation.report import rollup

    if not scores.height:
        return None
    overall = rollup(
        scores.filter((pl.col("region") == region) & pl.col("market_date").is_between(start, end)),
        CARBON,
    ).filter(pl.col("period_kind") == "all")
    by = {r["forecaster"]: r for r in overall.iter_rows(named=True)}
    if "lightgbm" not in by:
        return None
    m = by["lightgbm"]
    return (
        f"day-ahead carbon MAE over {m['hours']} hours: LightGBM {m['mae_gco2_per_kwh']:.1f}"
        f" gCO2eq/kWh (P10-P90 coverage {m['p10_p90_coverage']:.2f})"
        f" | seasonal profile {by['profile']['mae_gco2_per_kwh']:.1f}"
        f" | seasonal naive {by['seasonal_naive_7d']['mae_gco2_per_kwh']:.1f}"
    )


def _refit_setting(args: argparse.Namespace) -> None:
    """`--refit-every` as the setting the resources read (`settings.refit_every_days`)."""
    if args.refit_every is not None:
        os.environ["ENERGY_ASSETS_REFIT_EVERY_DAYS"] = str(args.refit_every)
    settings.refit_every_days()  # refuse a bad value before any run


def cmd_run(args: argparse.Namespace) -> int:
    _refit_setting(args)
    from energy_assets.runner import materialize_regions

    data_dir = Path(args.data_dir).resolve() if args.data_dir else settings.data_dir()
    os.environ.setdefault("DAGSTER_HOME", str(settings.REPO_ROOT))
    instance = _instance(Path(os.environ["DAGSTER_HOME"]))
    windows = default_windows(args.region or DEFAULT_REGIONS, args.start, args.end)
    shown = ", ".join(f"{r} {a}..{b}" for r, (a, b) in windows.items())
    print(
        f"materializing {shown} ({args.transport}"
        f"{', recordings ' + str(args.recordings) if args.transport == 'replay' else ''}) into {data_dir}"
    )
    outcome = materialize_regions(
        windows,
        instance,
        data_dir,
        Path(args.recordings),
        args.transport,
        print,
        load_only=args.load_only or [r for r in windows if r in LOAD_SLICE_ONLY],
        ingest_only=args.ingest_only,
    )
    from energy_assets.warehouse import Warehouse

    warehouse = Warehouse(settings.warehouse_root(data_dir))
    if warehouse.local:
        warehouse.write_catalog(data_dir / "warehouse.duckdb")
    _print_summary(outcome, _scores(warehouse), warehouse, windows)
    print(f"wall time {outcome.seconds:.0f} s. Open the UI: DAGSTER_HOME=$PWD uv run dagster dev")
    return 1 if outcome.partitions_failed else 0


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _print_table(report, kinds, lead: str, header: str, cells) -> None:
    """One markdown row per period of `report` that scored `lead`: days, hours, `cells(by)`."""
    import polars as pl

    print()
    print(header)
    print("|" + "---|" * header.count(" | ") + "---|")
    for kind in kinds:
        rows = report.filter(pl.col("period_kind") == kind)
        for period in rows["period"].unique(maintain_order=True).sort().to_list():
            by = {
                r["forecaster"]: r
                for r in rows.filter(pl.col("period") == period).iter_rows(named=True)
            }
            if lead in by:
                values = " | ".join(cells(by))
                print(f"| {period} | {by[lead]['days']} | {by[lead]['hours']} | {values} |")


def cmd_benchmark_regions(args: argparse.Namespace) -> int:
    _refit_setting(args)
    from energy_assets.benchmarks.regions import main

    return main(args)


def cmd_benchmark_caiso(args: argparse.Namespace) -> int:
    _refit_setting(args)
    import dagster as dg
    import polars as pl

    from energy_assets.evaluation.carbon_score import CARBON
    from energy_assets.evaluation.load_score import LOAD
    from energy_assets.evaluation.report import rollup
    from energy_assets.runner import CARBON_SCORES, LOAD_SCORES, days_between, materialize_window

    work = Path(tempfile.mkdtemp(prefix="energy-assets-bench-"))
    try:
        # --sqlite-instance measures with Dagster's SQLite event log (as `run` uses); the default
        # in-memory instance measures the pipeline itself.
        instance = (
            _instance(work / "dagster_home")
            if args.sqlite_instance
            else dg.DagsterInstance.ephemeral()
        )
        began = time.perf_counter()
        outcome = materialize_window(
            args.start,
            args.end,
            args.region,
            instance,
            work / "data",
            Path(args.recordings),
            "replay",
            print if args.verbose else None,
            report=False,
        )
        scores = _scores(work / "data" / "warehouse")
        wall = time.perf_counter() - began
        peak_mib = (
            max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 1024
        )
        _print_summary(outcome, scores, None, {args.region: (args.start, args.end)})
        kinds = ("all", "year", "month") if args.monthly else ("all", "year")
        window = pl.col("market_date").is_between(args.start, args.end)
        tables = (
            (
                LOAD_SCORES,
                LOAD,
                "ensemble",
                "| period | days | hours | ensemble MAPE | LightGBM | MLX | operator day-ahead"
                " | seasonal naive | ensemble P10-P90 coverage | ensemble vs operator: DM p-value |",
                lambda by: (
                    [
                        f"{by[f]['mape_pct']:.2f}%" if f in by else "-"
                        for f in (
                            "ensemble",
                            "lightgbm",
                            "mlx",
                            "operator_day_ahead",
                            "seasonal_naive_7d",
                        )
                    ]
                    + [
                        f"{by['ensemble']['p10_p90_coverage']:.2f}",
                        _p(by["ensemble"]["dm_p_value_vs_operator"]),
                    ]
                ),
            ),
            (
                CARBON_SCORES,
                CARBON,
                "lightgbm",
                "| period | days | hours | carbon MAE LightGBM (gCO2eq/kWh) | seasonal profile"
                " | seasonal naive | LightGBM P10-P90 coverage | LightGBM vs profile: DM p-value |",
                lambda by: (
                    [
                        f"{by[f]['mae_gco2_per_kwh']:.1f}" if f in by else "-"
                        for f in ("lightgbm", "profile", "seasonal_naive_7d")
                    ]
                    + [
                        f"{by['lightgbm']['p10_p90_coverage']:.2f}",
                        _p(by["lightgbm"]["dm_p_value_vs_profile"]),
                    ]
                ),
            ),
        )
        for table, target, lead, header, cells in tables:
            if scores[table].height:
                report = rollup(scores[table].filter(window), target)
                _print_table(
                    report.filter(pl.col("region") == args.region), kinds, lead, header, cells
                )
        from energy_assets.benchmarks.step_profile import format_profile, profile_runs

        region_days = len(days_between(args.start, args.end))
        print()
        print("profile: seconds per region-day of each step, and of a full region-day:")
        for line in format_profile(profile_runs(instance, outcome.run_ids)):
            print(line)
        print()
        print(
            f"benchmark caiso: {outcome.partitions} job partitions in {outcome.runs} runs,"
            f" {wall:.0f} s = {60 * outcome.partitions / wall:.1f} partitions/min;"
            f" load models refit every {settings.refit_every_days()} day(s), carbon models every"
            f" {settings.carbon_refit_every_days()} on up to {settings.carbon_training_days()}"
            f" (every {settings.carbon_young_refit_every_days()} while under"
            f" {settings.carbon_young_history_days()});"
            f" peak memory {peak_mib:.0f} MiB"
        )
        print(_last_line(scores, args.region, args.start, args.end, wall, region_days))
        return 1 if outcome.partitions_failed else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


def _last_line(scores, region: str, start: dt.date, end: dt.date, wall: float, days: int) -> str:
    """`backfill wall_s=<s> region_days=<n> load_mape=<x>% operator_mape=<y>% carbon_mae=<z>`."""
    import polars as pl

    from energy_assets.evaluation.carbon_score import CARBON
    from energy_assets.evaluation.report import rollup
    from energy_assets.runner import CARBON_SCORES, LOAD_SCORES, forecast_summary

    nan = float("nan")
    load = scores[LOAD_SCORES]
    overall = forecast_summary(load, region, start, end).get("all") if load.height else None
    mape = overall.mape_pct if overall else {}
    carbon = scores[CARBON_SCORES]
    mae = nan
    if carbon.height:
        rows = rollup(
            carbon.filter(
                (pl.col("region") == region) & pl.col("market_date").is_between(start, end)
            ),
            CARBON,
        ).filter((pl.col("period_kind") == "all") & (pl.col("forecaster") == "lightgbm"))
        if rows.height:
            mae = rows["mae_gco2_per_kwh"][0]
    return (
        f"backfill wall_s={wall:.0f} region_days={days}"
        f" load_mape={mape.get('ensemble', nan):.2f}%"
        f" operator_mape={mape.get('operator_day_ahead', nan):.2f}%"
        f" carbon_mae={mae:.1f}"
    )


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="energy-assets", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def window(
        p: argparse.ArgumentParser,
        start: dt.date | None,
        end: dt.date | None,
        many_regions: bool = False,
    ) -> None:
        p.add_argument(
            "--start",
            type=_date,
            default=start,
            help=f"first market day (default {start or 'per region'})",
        )
        p.add_argument(
            "--end",
            type=_date,
            default=end,
            help=f"last market day (default {end or 'per region'})",
        )
        if many_regions:
            p.add_argument(
                "--region",
                action="append",
                default=None,
                help=f"a region, repeatable (default {' '.join(DEFAULT_REGIONS)}, each over its"
                " default offline window: CAISO 2020-07-01..2020-08-31, the others 2019-05-01.."
                "2019-06-30, the last two months of the EIA-930 demand history)",
            )
        else:
            p.add_argument("--region", default="CAISO")
        p.add_argument(
            "--recordings",
            default=str(settings.recordings_dir()),
            help="recordings folder served in replay mode (default: ENERGY_ASSETS_RECORDINGS or ../shared/recordings)",
        )
        p.add_argument(
            "--refit-every",
            type=int,
            default=None,
            metavar="DAYS",
            help="train the load models every DAYS days, reusing the latest between (default:"
            " ENERGY_ASSETS_REFIT_EVERY_DAYS or 1; the carbon models' is"
            " ENERGY_ASSETS_CARBON_REFIT_EVERY_DAYS, default 28, and"
            " ENERGY_ASSETS_CARBON_YOUNG_REFIT_EVERY_DAYS, default 4, while the stored window is"
            " shorter than ENERGY_ASSETS_CARBON_YOUNG_HISTORY_DAYS, default 365)",
        )

    run = sub.add_parser(
        "run", help="materialize a window of days through every asset (the main job)"
    )
    window(run, None, None, many_regions=True)
    run.add_argument(
        "--transport",
        choices=("replay", "live", "record"),
        default=os.environ.get("ENERGY_ASSETS_TRANSPORT", "replay"),
    )
    run.add_argument(
        "--data-dir", default=None, help="output folder (default: ENERGY_ASSETS_DATA or data/)"
    )
    run.add_argument(
        "--load-only",
        action="store_true",
        help="the load slice only (load_ingest_job, load_day_ahead_job) for every region: no"
        " carbon, no schedules (GB always runs so: no carbon intensity offline in its NESO"
        " years; its 2023 carbon slice, on the published intensity: energy-assets benchmark gb-carbon)",
    )
    run.add_argument(
        "--ingest-only",
        action="store_true",
        help="the raw feeds and the ingest job only (raw -> harmonized -> features), no models,"
        " forecasts or schedules: the tables `benchmark load-settings` compares on",
    )
    run.set_defaults(func=cmd_run)

    backfill = sub.add_parser(
        "backfill",
        help="submit a partition backfill to the Dagster instance as the UI does, and wait for it",
    )
    if (sys.argv[1:] if argv is None else argv)[:1] == ["backfill"]:
        from energy_assets import backfill as backfill_module

        backfill_module.configure_parser(backfill)
        backfill.set_defaults(func=backfill_module.run)

    bench = sub.add_parser("benchmark", help="benchmarks")
    bench_sub = bench.add_subparsers(dest="benchmark", required=True)
    regions = bench_sub.add_parser(
        "regions",
        help="day-ahead load for every US region against each operator's own forecast",
    )
    window(regions, dt.date(2017, 7, 1), dt.date(2019, 6, 30), many_regions=True)
    regions.add_argument(
        "--datasets",
        default=None,
        help="the history files' folder (default: ENERGY_ASSETS_DATASETS or ../shared/datasets)",
    )
    regions.add_argument(
        "--history-days",
        type=int,
        default=LOAD_TRAINING_DAYS,
        help="days of history ingested before --start for the load slice (default: the load"
        " LightGBM's training window, LOAD_TRAINING_DAYS of models/quantile_lgbm.py)",
    )
    regions.add_argument(
        "--carbon-start",
        type=_date,
        default=dt.date(2019, 1, 1),
        help="first market day of the carbon slice's backfill (default 2019-01-01)",
    )
    regions.add_argument(
        "--carbon-end",
        type=_date,
        default=dt.date(2021, 6, 30),
        help="last market day of the carbon slice (default 2021-06-30)",
    )
    regions.add_argument(
        "--carbon-score-from",
        type=_date,
        default=dt.date(2021, 1, 1),
        help="first day the carbon table scores (default 2021-01-01: the published benchmark's"
        " validation half-year; every model is trained on earlier days only)",
    )
    regions.add_argument(
        "--carbon-region",
        action="append",
        default=None,
        help="a region of the carbon slice, repeatable (default CAISO PJM ERCOT ISONE MISO)",
    )
    regions.add_argument(
        "--carbon-training-days",
        type=int,
        default=None,
        help="the days the carbon models learn from (default: the adopted CARBON_TRAINING_DAYS"
        " of models/carbon_lgbm.py, the graph's own)",
    )
    regions.add_argument(
        "--carbon-refit-every",
        type=int,
        default=None,
        help="refit the carbon models every N days (default: the adopted"
        " CARBON_REFIT_EVERY_DAYS of models/carbon_lgbm.py, the graph's own)",
    )
    regions.add_argument(
        "--carbon-young-history-days",
        type=int,
        default=None,
        help="refit the carbon models every --carbon-young-refit-every days while the fit"
        " day's window holds fewer stored days than this (default: the adopted"
        " CARBON_YOUNG_HISTORY_DAYS of models/carbon_lgbm.py, the graph's own)",
    )
    regions.add_argument(
        "--carbon-young-refit-every",
        type=int,
        default=None,
        help="refit the carbon models every N days while the window is young (default: the"
        " adopted CARBON_YOUNG_REFIT_EVERY_DAYS of models/carbon_lgbm.py, the graph's own)",
    )
    regions.add_argument(
        "--load-refit-every",
        type=int,
        default=None,
        help="refit the MLX load model every N days, and the LightGBM while its window is young"
        " (default: the adopted LOAD_REFIT_EVERY_DAYS of benchmarks/regions.py; the LightGBM's"
        " own cadence is ENERGY_ASSETS_LOAD_LIGHTGBM_REFIT_EVERY_DAYS)",
    )
    regions.add_argument(
        "--carbon-work",
        default=None,
        metavar="DIR",
        help="keep the carbon slice's warehouse and model files in DIR (default: a temporary"
        " folder, removed at the end)",
    )
    regions.add_argument(
        "--load-work",
        default=None,
        metavar="DIR",
        help="keep the load slice's warehouse and model files in DIR (default: a temporary"
        " folder, removed at the end)",
    )
    regions.add_argument(
        "--workers",
        type=int,
        default=2,
        help="regions backfilled at a time, each in its own process (default 2: the instance's"
        " max_concurrent_runs in dagster.yaml, the cores of the reference machine)",
    )
    regions.add_argument(
        "--profile",
        action="store_true",
        help="after each region, print where its region-days' seconds went, step by step"
        " (from the runs' own Dagster events)",
    )
    regions.add_argument("--skip-load", action="store_true", help="run the carbon slice only")
    regions.add_argument("--skip-carbon", action="store_true", help="run the load slice only")
    regions.set_defaults(func=cmd_benchmark_regions)
    caiso = bench_sub.add_parser("caiso", help="backfill CAISO through the slice in replay mode")
    window(caiso, dt.date(2019, 1, 1), dt.date(2020, 12, 31))
    caiso.add_argument("--monthly", action="store_true", help="also print MAPE per month")
    caiso.add_argument("--verbose", action="store_true")
    caiso.add_argument(
        "--sqlite-instance",
        action="store_true",
        help="record runs in a SQLite Dagster instance (as `run` does) instead of in memory",
    )
    caiso.add_argument(
        "--keep", action="store_true", help="keep the temporary warehouse and instance"
    )
    caiso.set_defaults(func=cmd_benchmark_caiso)

    epf = bench_sub.add_parser(
        "epf",
        help="day-ahead price forecasting benchmark (Lago et al. 2021 protocol) on an epftoolbox-layout CSV",
    )
    _delegate(epf, "energy_assets.benchmarks.epf", "epf", argv)
    price_dispatch = bench_sub.add_parser(
        "price-dispatch",
        help="a 100-home fleet and a household planned on our price forecast, the published DNN"
        " forecast and perfect foresight, valued at the actual prices (after `benchmark epf`)",
    )
    _delegate(price_dispatch, "energy_assets.benchmarks.price_dispatch", "price-dispatch", argv)
    load_settings = bench_sub.add_parser(
        "load-settings",
        help="the load models' feature sets and the ensemble's validation window on a load"
        " backfill's warehouse (`benchmark regions --skip-carbon --load-work DIR`)",
    )
    _delegate(load_settings, "energy_assets.benchmarks.load_settings", "load-settings", argv)
    carbon_settings = bench_sub.add_parser(
        "carbon-settings",
        help="the carbon models' candidate settings fitted on a carbon backfill's warehouse"
        " (`benchmark regions --skip-load --carbon-work DIR`) and scored on earlier days",
    )
    _delegate(carbon_settings, "energy_assets.benchmarks.carbon_settings", "carbon-settings", argv)
    gb_carbon = bench_sub.add_parser(
        "gb-carbon",
        help="GB's day-ahead carbon forecast offline on the Carbon Intensity API's 2023 file, against"
        " the seasonal naive and the API's own stored (short-lead) forecast",
    )
    _delegate(gb_carbon, "energy_assets.benchmarks.gb_carbon", "gb-carbon", argv)
    dispatch = bench_sub.add_parser(
        "dispatch",
        help="solve times of the household, fleet and compute-job schedules, and PuLP+CBC on the same instances",
    )
    _delegate(dispatch, "energy_assets.benchmarks.dispatch", "dispatch", argv)
    daemon = bench_sub.add_parser(
        "backfill",
        help="the same window from the command line and as a UI backfill run by the daemon",
    )
    _delegate(daemon, "energy_assets.benchmarks.daemon_backfill", "backfill", argv)
    warehouse = bench_sub.add_parser(
        "warehouse",
        help="one Parquet file per partition against one DuckDB file: writes, window reads, two writers",
    )
    _delegate(warehouse, "energy_assets.benchmarks.warehouse", "warehouse", argv)
    return parser


def _delegate(
    parser: argparse.ArgumentParser, module_name: str, name: str, argv: list[str] | None
) -> None:
    """Options and run function of a benchmark module, imported only when that benchmark is
    asked for (its models' libraries are heavy)."""
    import importlib

    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] != ["benchmark", name]:
        return
    module = importlib.import_module(module_name)
    module.configure_parser(parser)
    parser.set_defaults(func=module.run)


def main(argv: list[str] | None = None) -> int:
    args = build_parser(argv).parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
