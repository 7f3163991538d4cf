"""Backfills launched through the webserver's GraphQL API, exactly as the UI's *Materialize ->
choose partitions -> Launch backfill* dialog sends them, with the daemon running (`dagster dev`
in a temporary DAGSTER_HOME and data folder, replaying the real recordings).

Two launches share one `dagster dev` and run at the same time (2 concurrent runs, as
dagster.yaml allows):

- from the asset graph (the ingest groups selected): a pure asset backfill, 2 days. The daemon
  plans the runs from the graph: raw + harmonized of a day in one run, then both feature
  tables of every day in one run, in date order (their previous-day chain, run whole by its
  single-run backfill policy). 8 earlier days are ingested in-process first so that every
  check, the features' `history` included, passes.
- from `ingest_job`'s page, through `energy-assets backfill` (this module's CLI, a subprocess):
  a job backfill, 3 other days, one run of the job per day. Those days have no ingested week
  before them, so the features' `history` check warns (severity WARN, not blocking).

`test_day_ahead_asset_graph_backfill` ingests 31 days in-process, then backfills the day-ahead
layers for 2 days from the asset graph (about 2 min on 2 cores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from energy_assets import settings
from energy_assets.backfill import (
    _raw_stages,
    asset_nodes,
    backfill_params,
    backfill_status,
    configure_parser,
    dagster_dev,
    failure_messages,
    instance_home,
    launch_backfill,
    partition_keys_for,
    partition_results,
    require_loopback,
    run_timings,
    wait_for_backfill,
)
from energy_assets.layers import DAY_AHEAD_LAYERS, INGEST_LAYERS

REGION = "CAISO"
INGEST_GROUPS = INGEST_LAYERS
SEED = (dt.date(2020, 6, 21), dt.date(2020, 6, 29))  # the 9 days before PURE_DAYS (D-9..D-1)
PURE_DAYS = (dt.date(2020, 6, 30), dt.date(2020, 7, 1))
JOB_DAYS = (dt.date(2020, 7, 15), dt.date(2020, 7, 17))
JOB_PAGE_DAYS = (dt.date(2020, 7, 20), dt.date(2020, 7, 21))
DAY_AHEAD_SEED = (dt.date(2020, 5, 27), dt.date(2020, 6, 26))  # 31 days: day-ahead from 06-25
DAY_AHEAD_DAYS = (dt.date(2020, 6, 25), dt.date(2020, 6, 26))
WAIT_S = 480
UI_TAG = {"key": "dagster/from_ui", "value": "true"}
FINAL_LINE = re.compile(r"^backfill (\S+): (\S+), runs (\d+) \((\d+) failed\), (\d+) s$", re.M)


# -- the dialog's payloads (no server) -----------------------------------------------------------


def test_asset_graph_launch_sends_a_pure_asset_backfill():
    params = backfill_params(
        ["raw/caiso_outlook_demand", ["features", "load_features"]],
        ["2020-07-01|CAISO", "2020-07-02|CAISO"],
    )
    assert params == {
        "tags": [UI_TAG],
        "assetSelection": [
            {"path": ["raw", "caiso_outlook_demand"]},
            {"path": ["features", "load_features"]},
        ],
        "partitionNames": ["2020-07-01|CAISO", "2020-07-02|CAISO"],
        "fromFailure": False,
    }
    # the hidden asset job, first in every asset's jobNames, is what the asset graph launches
    assert backfill_params(params["assetSelection"], params["partitionNames"], "__ASSET_JOB") == (
        params
    )


def test_job_page_launch_sends_a_partition_set_selector():
    params = backfill_params(
        ["raw/caiso_outlook_demand"], ["2020-07-01|CAISO"], job="ingest_job", tags={"team": "grid"}
    )
    assert params == {
        "tags": [{"key": "team", "value": "grid"}, UI_TAG],
        "assetSelection": [{"path": ["raw", "caiso_outlook_demand"]}],
        "partitionNames": ["2020-07-01|CAISO"],
        "fromFailure": False,
        "selector": {
            "partitionSetName": "ingest_job_partition_set",
            "repositorySelector": {
                "repositoryLocationName": "energy_assets",
                "repositoryName": "__repository__",
            },
        },
    }


def test_partition_keys_are_date_then_region_as_the_dialog_lists_them():
    keys = partition_keys_for(dt.date(2020, 7, 1), dt.date(2020, 7, 2), ["CAISO", "ERCOT"])
    assert keys == ["2020-07-01|CAISO", "2020-07-01|ERCOT", "2020-07-02|CAISO", "2020-07-02|ERCOT"]
    key = dg.MultiPartitionKey({"date": "2020-07-01", "region": "CAISO"})
    assert str(key) == keys[0]


def _node(key: str) -> dict:
    layer, name = key.split("/")
    return {"key": key, "group": layer, "path": [layer, name]}


def test_a_selection_from_raw_is_one_backfill_per_provider_then_the_rest():
    """Dagster refuses a backfill whose roots have different partitions (each provider's raw
    feeds, and below them the weather beside the grid): the command line launches them in turn."""
    chosen = [
        _node(k)
        for k in (
            "raw/caiso_outlook_demand",
            "raw/caiso_outlook_fuel_mix",
            "raw/eia930_region_data",
            "raw/gfs_regional_weather_forecast",
            "harmonized/grid_hourly",
            "harmonized/weather_hourly",
        )
    ]
    stages = _raw_stages(chosen, ["CAISO", "NYISO"], dt.date(2020, 7, 1), dt.date(2020, 7, 3))
    assert [([n["key"] for n in a], first, regions) for a, first, regions in stages] == [
        (
            ["raw/caiso_outlook_demand", "raw/caiso_outlook_fuel_mix"],
            dt.date(2020, 7, 1),
            ["CAISO"],
        ),
        (["raw/eia930_region_data"], dt.date(2020, 7, 1), ["NYISO"]),
        (["raw/gfs_regional_weather_forecast"], dt.date(2020, 7, 1), ["CAISO"]),
        (
            ["harmonized/grid_hourly", "harmonized/weather_hourly"],
            dt.date(2020, 7, 1),
            ["CAISO", "NYISO"],
        ),
    ]
    # the weather begins on 2019-01-01: its backfill starts there
    stages = _raw_stages(chosen[2:], ["PJM"], dt.date(2018, 12, 30), dt.date(2019, 1, 2))
    assert [(first, regions) for _, first, regions in stages] == [
        (dt.date(2018, 12, 30), ["PJM"]),
        (dt.date(2019, 1, 1), ["PJM"]),
        (dt.date(2018, 12, 30), ["PJM"]),
    ]
    # CAISO's grid from EIA-930 before 2019 and its own feed after: one backfill each side
    with pytest.raises(ValueError, match="CAISO .* 2 grid providers"):
        _raw_stages(chosen, ["CAISO"], dt.date(2018, 12, 30), dt.date(2019, 1, 2))


def test_only_loopback_addresses():
    for url in ("http://127.0.0.1:3000/", "http://localhost:3000", "http://[::1]:3000"):
        assert require_loopback(url) == url.rstrip("/")
    for url in ("http://10.0.0.5:3000", "http://example.com", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            require_loopback(url)


def test_cli_options():
    args = configure_parser(argparse.ArgumentParser()).parse_args(
        ["--start", "2020-07-01", "--end", "2020-07-03", "--region", "CAISO", "ERCOT"]
        + ["--assets", "raw/caiso_outlook_demand,harmonized/grid_hourly"]
        + ["--tag", "dagster/priority=-1", "--tag", "team=grid"]
    )
    assert args.tag == [("dagster/priority", "-1"), ("team", "grid")]
    assert (args.start, args.end) == (dt.date(2020, 7, 1), dt.date(2020, 7, 3))
    assert args.region == ["CAISO", "ERCOT"]
    assert args.assets == ["raw/caiso_outlook_demand", "harmonized/grid_hourly"]
    assert args.url == "http://127.0.0.1:3000" and args.job is None and args.layers is None
    with pytest.raises(SystemExit):  # --layers and --assets exclude each other
        configure_parser(argparse.ArgumentParser()).parse_args(
            ["--start", "2020-07-01", "--end", "2020-07-01", "--layers", "raw", "--assets", "x/y"]
        )


# -- through dagster dev -------------------------------------------------------------------------


def _instance_home(root: Path) -> Path:
    return instance_home(root)


def _seed(home: Path, data: Path, recordings: Path, days: tuple[dt.date, dt.date]) -> float:
    """Ingest `days` in-process (ingest_job per day) into the same instance and warehouse."""
    from energy_assets.runner import materialize_window

    began = time.perf_counter()
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        outcome = materialize_window(
            *days,
            REGION,
            instance,
            data,
            recordings,
            report=False,
            day_ahead_from=days[1] + dt.timedelta(days=1),
        )
    finally:
        instance.dispose()
    assert outcome.partitions_failed == []
    return time.perf_counter() - began


def _seed_raw(home: Path, data: Path, recordings: Path, days: tuple[dt.date, dt.date]) -> None:
    """Each raw feed's job over `days` (what `energy-assets run` does before `ingest_job`)."""
    from energy_assets.definitions import build_definitions
    from energy_assets.defs_support.resources import default_resources
    from energy_assets.runner import WindowResult, days_between, ingest_raw

    instance = dg.DagsterInstance.from_config(str(home))
    outcome = WindowResult()
    try:
        defs = build_definitions(default_resources(data, recordings, "replay"))
        ingest_raw(defs, days_between(*days), REGION, instance, outcome, None)
    finally:
        instance.dispose()
    assert outcome.partitions_failed == [] and outcome.optional_failed == []


def _env(data: Path, recordings: Path) -> dict[str, str]:
    return {
        "ENERGY_ASSETS_DATA": str(data),
        "ENERGY_ASSETS_RECORDINGS": str(recordings),
        "ENERGY_ASSETS_TRANSPORT": "replay",
    }


def _summary(name: str, status: dict, timings: dict) -> str:
    wall = (status["ended"] or time.time()) - status["created"]
    lines = [f"{name}: {status['status']} in {wall:.0f} s, {len(status['runs'])} runs"]
    for run in status["runs"]:
        t = timings.get(run["run_id"], {})
        lines.append(
            f"  {run['partition']} {run['job']} {run['status']}"
            f" +{run['created'] - status['created']:.0f} s queued {t.get('queued_s', -1):.1f} s"
            f" process start {t.get('start_latency_s', -1):.1f} s steps {t.get('steps_s', -1):.1f} s"
            f" assets {sorted(run['assets'])}"
        )
    return "\n".join(lines)


def _failed(url: str, status: dict) -> dict[str, list[str]]:
    return {
        f"{r['job']} {r['partition']}": failure_messages(url, r["run_id"])
        for r in status["runs"]
        if r["status"] != "SUCCESS"
    }


@pytest.fixture(scope="module")
def ingest_backfills(tmp_path_factory, recordings):
    root = tmp_path_factory.mktemp("ui_backfill")
    home, data = _instance_home(root), root / "data"
    log = root / "dagster-dev.log"
    timing = {}
    with dagster_dev(
        home,
        settings.REPO_ROOT / "workspace.yaml",
        env=_env(data, recordings),
        log_path=log,
        location="energy_assets",
    ) as dev:
        timing["startup_s"] = dev.startup_s
        # seeded while the daemon runs: its first backfill tick came as it started, the next
        # one is due sooner after the launch (ticks are 30 s apart)
        timing["seed_s"] = _seed(home, data, recordings, SEED)
        # the CLI's `--job ingest_job` backfill builds harmonized and features: a raw feed has
        # a job of its own (its own partitions), so the job's days' raw feeds come first
        _seed_raw(home, data, recordings, JOB_DAYS)
        # the raw feeds of the dialog's days too: Dagster plans a backfill only when its roots
        # share a partitions definition, and the harmonized tables read two providers' raw
        # feeds (the grid's, the weather's), each with partitions of its own; so the UI
        # backfills the raw feeds per provider and the layers below in one backfill
        _seed_raw(home, data, recordings, PURE_DAYS)
        nodes = asset_nodes(dev.url)
        ingest = [n for n in nodes if n["group"] in INGEST_GROUPS and n["group"] != "raw"]
        pure_keys = partition_keys_for(*PURE_DAYS, [REGION])
        pure_params = backfill_params([n["path"] for n in ingest], pure_keys)
        pure_id = launch_backfill(dev.url, [n["path"] for n in ingest], pure_keys)
        # the same moment, from ingest_job's page, through the CLI (as `energy-assets backfill`)
        cli = subprocess.Popen(
            [sys.executable, "-m", "energy_assets.backfill", "--start", str(JOB_DAYS[0])]
            + ["--end", str(JOB_DAYS[1]), "--region", REGION, "--job", "ingest_job"]
            + ["--layers", ",".join(INGEST_GROUPS), "--url", dev.url, "--poll", "2"]
            # a tag from the dialog's editor: its runs wait while the other backfill's are queued
            + ["--tag", "dagster/priority=-1"]
            + ["--timeout", str(WAIT_S)],
            cwd=settings.REPO_ROOT,
            env={**os.environ, **_env(data, recordings)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # what the *Materialize* button of ingest_job's page sends: a job backfill
        job_page_id = launch_backfill(
            dev.url,
            [n["path"] for n in ingest if "ingest_job" in n["jobs"]],
            partition_keys_for(*JOB_PAGE_DAYS, [REGION]),
            job="ingest_job",
        )
        try:
            pure = wait_for_backfill(dev.url, pure_id, WAIT_S)
            job_page = wait_for_backfill(dev.url, job_page_id, WAIT_S)
            cli_out, _ = cli.communicate(timeout=WAIT_S)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.communicate()
        match = FINAL_LINE.search(cli_out)
        assert match, f"no final line from the CLI:\n{cli_out}\n{dev.log_tail()}"
        job = backfill_status(dev.url, match.group(1))
        job_keys = partition_keys_for(*JOB_DAYS, [REGION])
        job_assets = [n["path"] for n in ingest if "ingest_job" in n["jobs"]]
        out = {
            "pure": pure,
            "pure_params": pure_params,
            "pure_keys": pure_keys,
            "pure_results": partition_results(dev.url, [n["path"] for n in ingest], pure_keys),
            "pure_failures": _failed(dev.url, pure),
            "job": job,
            "job_keys": job_keys,
            "job_assets": job_assets,
            "job_results": partition_results(dev.url, job_assets, job_keys),
            "job_failures": _failed(dev.url, job),
            "cli": (cli.returncode, cli_out, match),
            "job_page": job_page,
            "job_page_failures": _failed(dev.url, job_page),
            "timings": run_timings(dev.url, [r["run_id"] for r in pure["runs"] + job["runs"]]),
            "log": dev.log_tail(60),
        }
    print(f"\ndagster dev ready in {timing['startup_s']:.0f} s, seed {timing['seed_s']:.0f} s")
    print(_summary("asset-graph backfill", out["pure"], out["timings"]))
    print(_summary("ingest_job backfill (CLI)", out["job"], out["timings"]))
    print(cli_out)
    return out


def _every_asset_partition_once(results: dict, runs: list[dict]) -> None:
    run_ids = {r["run_id"] for r in runs}
    for asset, partitions in results.items():
        for key, result in partitions.items():
            assert result["materializations"] == 1, (asset, key, result)
            assert result["run_id"] in run_ids, (asset, key, result)
            run = next(r for r in runs if r["run_id"] == result["run_id"])
            assert key in run["partitions"] and run["status"] == "SUCCESS"


def _blocking_checks_pass(results: dict) -> list[tuple[str, str, str]]:
    """Every check of every asset partition was evaluated in the run that materialized it;
    the ERROR-severity ones (schema, blocking) and the completeness of the real feeds passed.
    Returns the WARN-severity checks that did not pass."""
    warned = []
    for asset, partitions in results.items():
        for key, result in partitions.items():
            for name, check in result["checks"].items():
                # evaluated in the run that materialized the partition (the checks are not
                # partitioned: their target is the asset's latest materialization at the time,
                # which a concurrent run of other days may have made)
                assert check is not None, (asset, key, name)
                if check["success"]:
                    continue
                assert check["severity"] == "WARN" and name != "completeness", (asset, key, name)
                warned.append((asset, key, name))
    return warned


def test_asset_graph_backfill_materializes_each_partition_once_and_every_check_passes(
    ingest_backfills,
):
    b = ingest_backfills
    pure = b["pure"]
    assert pure["done"] and not pure["timed_out"], (pure, b["log"])
    assert b["pure_failures"] == {}
    assert pure["status"] == "COMPLETED_SUCCESS" and pure["is_asset_backfill"]
    assert set(b["pure_params"]) == {"tags", "assetSelection", "partitionNames", "fromFailure"}
    # the daemon targeted exactly the chosen days of every selected asset, and got them all
    assert len(pure["assets"]) == 7
    for asset, counts in pure["assets"].items():
        assert counts == {"targeted": 2, "materialized": 2, "failed": 0, "in_progress": 0}, asset
    # one run of the hidden asset job, both days (single-run policy): harmonized and features
    assert len(pure["runs"]) == 1, pure["runs"]
    assert [len(r["assets"]) for r in pure["runs"]] == [7], pure["runs"]
    requested = [(a, k) for r in pure["runs"] for a in r["assets"] for k in r["partitions"]]
    assert sorted(requested) == sorted((a, k) for a in pure["assets"] for k in b["pure_keys"])
    assert {r["job"] for r in pure["runs"]} == {"__ASSET_JOB"}
    _every_asset_partition_once(b["pure_results"], pure["runs"])
    # every check of every asset partition was evaluated in the run that materialized it and
    # passed: schema (blocking), completeness of the grid and the weather, and the features'
    # history (the 8 days before were ingested first)
    checks = [
        (asset, key, name, check)
        for asset, partitions in b["pure_results"].items()
        for key, result in partitions.items()
        for name, check in result["checks"].items()
    ]
    # schema x7, completeness x2, history x3, plausible demand x1, per day
    assert len(checks) == 2 * (7 + 2 + 3 + 1)
    assert _blocking_checks_pass(b["pure_results"]) == []


def test_cli_job_backfill_runs_the_jobs_assets_once_over_the_range(ingest_backfills):
    b = ingest_backfills
    job = b["job"]
    returncode, output, final = b["cli"]
    assert returncode == 0, output
    # `--job ingest_job`: the job's assets as a pure asset backfill, one run over the three days
    assert final.group(2) == "COMPLETED_SUCCESS" and final.group(3) == "1"
    assert final.group(4) == "0"
    assert job["done"] and b["job_failures"] == {}
    assert job["status"] == "COMPLETED_SUCCESS" and job["is_asset_backfill"]
    assert [r["partitions"] for r in job["runs"]] == [b["job_keys"]]
    assert all(r["status"] == "SUCCESS" for r in job["runs"])
    assert all(len(r["assets"]) == len(b["job_assets"]) == 7 for r in job["runs"])
    assert all(r["tags"]["dagster/priority"] == "-1" for r in job["runs"])
    assert all(r["tags"]["dagster/from_ui"] == "true" for r in job["runs"] + b["pure"]["runs"])
    _every_asset_partition_once(b["job_results"], job["runs"])
    warned = _blocking_checks_pass(b["job_results"])
    # no ingested week before these days: the features' history check warns (naming the
    # missing days) and blocks nothing
    assert sorted({(asset, name) for asset, _, name in warned}) == [
        ("features/carbon_features", "history"),
        ("features/carbon_features_utc", "history"),
        ("features/load_features", "history"),
    ]


def test_job_page_backfill_of_a_range_fails_saying_why(ingest_backfills):
    """Dagster 1.13 gives a job-page backfill of a range one run with the first key's tags
    (dagster-io/dagster#28861): the run would build one day and report all; it fails instead."""
    job_page = ingest_backfills["job_page"]
    assert job_page["done"] and not job_page["is_asset_backfill"]
    assert len(job_page["runs"]) == 1 and job_page["runs"][0]["status"] == "FAILURE"
    messages = " ".join(m for ms in ingest_backfills["job_page_failures"].values() for m in ms)
    assert "dagster-io/dagster#28861" in messages and "Nothing was built" in messages


# -- day-ahead, from the asset graph ------------------------------------------------------------


def test_day_ahead_asset_graph_backfill(tmp_path, recordings):
    """The day-ahead layers selected in the asset graph for 2 days already ingested (31 days
    ingested in-process first): every partition of every selected asset once, the ensemble's two
    days in one run in date order, the reports at the end, every blocking check passed."""
    home, data = _instance_home(tmp_path), tmp_path / "data"
    keys = partition_keys_for(*DAY_AHEAD_DAYS, [REGION])
    with dagster_dev(
        home,
        settings.REPO_ROOT / "workspace.yaml",
        env=_env(data, recordings),
        log_path=tmp_path / "dagster-dev.log",
        location="energy_assets",
    ) as dev:
        seed_s = _seed(home, data, recordings, DAY_AHEAD_SEED)
        # the grid's day-ahead layers (the price group has partitions of its own)
        nodes = [
            n
            for n in asset_nodes(dev.url)
            if n["path"][0] in DAY_AHEAD_LAYERS and n["group"] != "prices"
        ]
        assets = [n["path"] for n in nodes]
        backfill_id = launch_backfill(dev.url, assets, keys)
        status = wait_for_backfill(dev.url, backfill_id, WAIT_S)
        failures = _failed(dev.url, status)
        partitioned = [n["path"] for n in nodes if not n["path"][1].endswith("_report")]
        results = partition_results(dev.url, partitioned, keys)
        timings = run_timings(dev.url, [r["run_id"] for r in status["runs"]])
        log = dev.log_tail(60)
    print(f"\ndagster dev ready in {dev.startup_s:.0f} s, seed {seed_s:.0f} s")
    print(_summary("day-ahead asset-graph backfill", status, timings))
    assert status["done"] and failures == {}, (status, failures, log)
    assert status["status"] == "COMPLETED_SUCCESS" and status["is_asset_backfill"]
    for asset, counts in status["assets"].items():
        expected = 1 if asset.endswith("_report") else len(keys)
        assert counts["targeted"] == counts["materialized"] == expected, (asset, counts)
    ensemble_runs = [r for r in status["runs"] if "models/load_ensemble" in r["assets"]]
    assert [r["partitions"] for r in ensemble_runs] == [keys]  # both days, one run, in order
    _every_asset_partition_once(results, status["runs"])
    warned = _blocking_checks_pass(results)
    # the training window D-56..D-2 holds 28-30 ingested days here and the ensemble has no
    # earlier member forecasts: their history checks say so, as warnings
    assert {name for _, _, name in warned} <= {"history"}
