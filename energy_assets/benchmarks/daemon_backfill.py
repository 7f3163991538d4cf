"""The same window two ways: the command line (in-process runs, day by day) and a backfill
launched through the webserver exactly as the UI's dialog does, run by the daemon.

    energy-assets benchmark backfill [--start 2020-07-01] [--end 2020-07-14] [--region CAISO]

Both replay the recordings into their own temporary data folder and Dagster instance, over the
ingest layers (`raw`, `harmonized`, `features`: the layers that need no earlier history in the
window). The daemon side starts `dagster dev` (its start-up is reported, not counted), launches a
pure asset backfill of those assets and partitions (what *Materialize selected -> Launch
backfill* sends) and waits for it. Prints both wall times, the daemon's runs, how long its runs
waited and started, and as the last line:

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
from energy_assets.layers import INGEST_LAYERS

LAYERS = INGEST_LAYERS


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2020, 7, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2020, 7, 14))
    parser.add_argument("--region", default="CAISO")
    parser.add_argument("--recordings", default=str(settings.recordings_dir()))
    parser.add_argument("--timeout", type=float, default=3 * 3600)
    return parser


def _cli(start: dt.date, end: dt.date, region: str, work: Path, recordings: Path) -> float:
    import dagster as dg

    from energy_assets.backfill import instance_home
    from energy_assets.runner import materialize_window

    home = instance_home(work)
    began = time.perf_counter()
    outcome = materialize_window(
        start,
        end,
        region,
        dg.DagsterInstance.from_config(str(home)),
        work / "data",
        recordings,
        "replay",
        day_ahead_from=end + dt.timedelta(days=1),  # the ingest layers only
        report=False,
    )
    seconds = time.perf_counter() - began
    if outcome.partitions_failed:
        raise RuntimeError(f"command line: {outcome.partitions_failed[:3]}")
    return seconds


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

    recordings = Path(args.recordings)
    days = (args.end - args.start).days + 1
    work = Path(tempfile.mkdtemp(prefix="energy-assets-backfill-bench-"))
    try:
        cli_s = _cli(args.start, args.end, args.region, work / "cli", recordings)
        print(f"command line: {days} days of {', '.join(LAYERS)} in {cli_s:.1f} s")
        daemon = work / "daemon"
        home = instance_home(daemon)
        env = {
            "ENERGY_ASSETS_DATA": str(daemon / "data"),
            "ENERGY_ASSETS_RECORDINGS": str(recordings),
            "ENERGY_ASSETS_TRANSPORT": "replay",
        }
        with dagster_dev(home, settings.REPO_ROOT / "workspace.yaml", env=env) as dev:
            print(f"dagster dev ready in {dev.startup_s:.0f} s (not counted)")
            assets = [n["path"] for n in asset_nodes(dev.url) if n["path"][0] in LAYERS]
            keys = partition_keys_for(args.start, args.end, [args.region])
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
