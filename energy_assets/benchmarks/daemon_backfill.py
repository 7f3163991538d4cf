"""The same window two ways: the command line and a backfill launched through the webserver
exactly as the UI's dialog does, run by the daemon.

    energy-assets benchmark backfill [--start 2020-08-01] [--end 2020-08-31] [--region CAISO]

Both replay the recordings into their own temporary data folder and Dagster instance, over the
whole graph (every asset, the reports included). The window's history (the HISTORY_DAYS before
it that exist: the models train on D-56..D-2) is ingested first on both sides, not timed. Then,
timed: the command line (`runner.materialize_window`: each job once over the window, in-process,
again around any day a range names as failed), and on the daemon side a pure asset backfill of
every asset over the window's partitions less the days the command line found bad (what
*Materialize selected -> Launch backfill* sends in the whole lineage; a range holding a bad day
would fail whole), launched on a `dagster dev` the command starts (its start-up is reported, not
counted). `--start 2019-01-01 --end 2020-12-31` is `benchmark caiso`'s window. Prints both wall times, the
daemon's runs, how long its runs waited and started, and as the last line:

    backfill_vs_cli cli_s=<s> daemon_s=<s> ratio=<r> runs=<n> failed=<k> days=<d>
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from energy_assets import settings

HISTORY_DAYS = 56


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2020, 8, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2020, 8, 31))
    parser.add_argument("--region", default="CAISO")
    parser.add_argument("--recordings", default=str(settings.recordings_dir()))
    parser.add_argument("--timeout", type=float, default=3 * 3600)
    return parser


def _materialize(
    start: dt.date,
    end: dt.date,
    region: str,
    home: Path,
    data: Path,
    recordings: Path,
    ingest_only: bool,
    day_ahead_from: dt.date | None,
) -> tuple[float, list[str]]:
    """Seconds, and the partition keys that failed (the recordings' bad days)."""
    import dagster as dg

    from energy_assets.runner import materialize_window

    instance = dg.DagsterInstance.from_config(str(home))
    began = time.perf_counter()
    try:
        outcome = materialize_window(
            start,
            end,
            region,
            instance,
            data,
            recordings,
            "replay",
            day_ahead_from=end + dt.timedelta(days=1) if ingest_only else day_ahead_from,
            report=not ingest_only,
        )
    finally:
        instance.dispose()
    return time.perf_counter() - began, sorted({key for _, key, _ in outcome.partitions_failed})


def run(args: argparse.Namespace) -> int:
    from energy_assets.backfill import (
        asset_nodes,
        dagster_dev,
        instance_home,
        launch_backfill,
        partition_keys_for,
        run_timings,
        wait_for_backfill,
    )
    from energy_assets.partitions import FIRST_DATE

    recordings = Path(args.recordings)
    days = (args.end - args.start).days + 1
    first = dt.date.fromisoformat(FIRST_DATE)
    history = (
        max(first, args.start - dt.timedelta(days=HISTORY_DAYS)),
        args.start - dt.timedelta(days=1),
    )
    work = Path(tempfile.mkdtemp(prefix="energy-assets-backfill-bench-"))
    try:
        cli, daemon = work / "cli", work / "daemon"
        homes = {side: instance_home(side) for side in (cli, daemon)}
        if history[0] <= history[1]:
            for side in (cli, daemon):
                seed_s, _ = _materialize(
                    *history, args.region, homes[side], side / "data", recordings, True, None
                )
            print(
                f"history {history[0]}..{history[1]} ingested on both sides ({seed_s:.0f} s each)"
            )
        # with the history stored, the day-ahead layers start on the window's first day; without
        # (a window from the first recorded day), once 28 days are in (their partitions' start)
        cli_s, failed = _materialize(
            args.start,
            args.end,
            args.region,
            homes[cli],
            cli / "data",
            recordings,
            False,
            args.start if history[0] <= history[1] else None,
        )
        print(
            f"command line: {days} days of the whole graph in {cli_s:.1f} s; failed (left out of"
            f" the daemon's backfill, as the command line ran around them): {failed or 'none'}"
        )
        env = {
            "ENERGY_ASSETS_DATA": str(daemon / "data"),
            "ENERGY_ASSETS_RECORDINGS": str(recordings),
            "ENERGY_ASSETS_TRANSPORT": "replay",
        }
        with dagster_dev(homes[daemon], settings.REPO_ROOT / "workspace.yaml", env=env) as dev:
            print(f"dagster dev ready in {dev.startup_s:.0f} s (not counted)")
            assets = [n["path"] for n in asset_nodes(dev.url)]
            keys = [
                k
                for k in partition_keys_for(args.start, args.end, [args.region])
                if k not in failed
            ]
            began = time.perf_counter()
            backfill_id = launch_backfill(dev.url, assets, keys)
            status = wait_for_backfill(dev.url, backfill_id, args.timeout, 2.0)
            daemon_s = time.perf_counter() - began
            timings = run_timings(dev.url, [r["run_id"] for r in status["runs"]])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    runs = status["runs"]
    print(
        f"daemon backfill {backfill_id}: {status['status']} in {daemon_s:.0f} s,"
        f" {len(runs)} runs ({status['failed_runs']} failed)"
    )
    for what, label in (
        ("queued_s", "queued"),
        ("start_latency_s", "process start + imports"),
        ("steps_s", "steps"),
    ):
        values = [t[what] for t in timings.values() if t.get(what) is not None]
        if values:
            print(
                f"  per run, {label}: median {statistics.median(values):.1f} s,"
                f" max {max(values):.1f} s, total {sum(values):.0f} s"
            )
    print(
        f"backfill_vs_cli cli_s={cli_s:.1f} daemon_s={daemon_s:.0f}"
        f" ratio={daemon_s / cli_s:.1f} runs={len(runs)} failed={status['failed_runs']}"
        f" days={days}"
    )
    return 0 if status["status"] == "COMPLETED_SUCCESS" else 1
