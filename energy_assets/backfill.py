"""Partition backfills through the Dagster webserver, exactly as the UI launches them.

    energy-assets backfill --start D --end D [--region CAISO ...]
        [--layers raw,harmonized,features | --assets layer/name,...] [--job ingest_job]
        [--tag KEY=VALUE ...] [--url http://127.0.0.1:3000] [--timeout 21600]

The UI's *Materialize -> choose partitions -> Launch backfill* dialog
(dagster-webserver 1.13, `ui-core/src/assets/LaunchAssetChoosePartitionsDialog.tsx`) sends one
GraphQL mutation, `launchPartitionBackfill(backfillParams)`, and the backfill daemon does the
rest. Which `backfillParams` it sends depends on the launch target that
`LaunchAssetExecutionButton.tsx` (`stateForLaunchingAssets`, `getCommonJob`) picks:

- assets selected in the asset graph or catalog: every asset of this code location lists the
  hidden job first (`jobNames: ["__ASSET_JOB", "<user job>"]`), so the common job is
  `__ASSET_JOB`, a hidden one: a *pure asset backfill*,
  `{tags, assetSelection: [{path}], partitionNames, fromFailure: false}`. The same shape is sent
  when the selection spans partition definitions (ingest and day-ahead assets start on different
  days: target `pureWithAnchorAsset`). The daemon plans the runs from the asset graph.
- the *Materialize* button of a user job's page (`preferredJobName`, e.g. `ingest_job`): a *job
  backfill*, the same plus `selector: {partitionSetName: "<job>_partition_set",
  repositorySelector: {repositoryLocationName, repositoryName}}`: one run of the job per
  partition key.

`tags` is what the dialog's tag editor holds plus `dagster/from_ui=true`
(`tagsWithUIExecutionTags`); `runConfigData` is left out (the dialog sends `undefined` unless
config was edited in its launchpad). Partition keys of a multi-partitioned asset are
`<date>|<region>` (dimensions in name order), listed date by date as the dialog expands its two
range selections.

What the daemon makes of them (Dagster 1.13, this graph): every region-day asset has a
single-run backfill policy (`defs_support/ranges.py`), so a pure asset backfill of days X..Y runs the
selected assets that share a partitions definition in one run over the range, in the graph's
order: the ingest layers in one run, the day-ahead layers in one more once they have landed, the
unpartitioned reports in a last one. The backfill daemon plans once per tick, every 30 s (fixed),
and each run is a new process that imports the code location (5-10 s), so a backfill costs about
a minute more than its steps, whatever the number of days. A job backfill (the job page's
*Materialize*) over such a range is one run tagged with the range and with the first key's
dimension tags, which win: the run builds the first day and the backfill reports success for all
(dagster-io/dagster#28861). Our steps refuse such a run, naming the issue, and
`energy-assets backfill --job J` launches J's assets as a pure asset backfill.

`dagster_dev` starts `dagster dev` (webserver + daemon) for a DAGSTER_HOME on a free loopback
port and stops its whole process group on exit; `launch_backfill`, `wait_for_backfill`,
`run_timings` and `partition_results` speak GraphQL over httpx to loopback addresses only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from energy_assets.layers import INGEST_LAYERS, LOCATION_NAME, REPOSITORY_NAME

DEFAULT_URL = "http://127.0.0.1:3000"
DEFAULT_REGIONS = ("CAISO",)
DEFAULT_LAYERS = INGEST_LAYERS
UI_EXECUTION_TAGS = ({"key": "dagster/from_ui", "value": "true"},)
HIDDEN_JOB_PREFIXES = ("__ASSET_JOB", "__anonymous_asset_job")

# BulkActionStatus values after which the daemon does no more for a backfill. A job backfill is
# COMPLETED once every run is *submitted*; its runs may still be queued or running.
TERMINAL_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
FINISHED_RUN = {"SUCCESS", "FAILURE", "CANCELED"}

# The UI's LAUNCH_PARTITION_BACKFILL_MUTATION (instance/backfill/BackfillUtils.tsx), with its
# PythonErrorFragment inlined and __typename asked for.
LAUNCH_PARTITION_BACKFILL_MUTATION = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PartitionSetNotFoundError { message }
    ... on PartitionKeysNotFoundError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on InvalidOutputError { stepKey invalidOutputName }
    ... on UnauthorizedError { message }
    ... on PipelineNotFoundError { message }
    ... on RunConflict { message }
    ... on ConflictingExecutionParamsError { message }
    ... on PresetNotFoundError { message }
    ... on RunConfigValidationInvalid { pipelineName errors { message path reason } }
    ... on PythonError { message stack }
  }
}
"""

BACKFILL_STATUS_QUERY = """
query BackfillStatus($backfillId: String!) {
  partitionBackfillOrError(backfillId: $backfillId) {
    __typename
    ... on PartitionBackfill {
      id
      status
      isAssetBackfill
      jobName
      partitionSetName
      numPartitions
      timestamp
      endTimestamp
      error { message stack }
      assetBackfillData {
        assetBackfillStatuses {
          __typename
          ... on AssetPartitionsStatusCounts {
            assetKey { path }
            numPartitionsTargeted
            numPartitionsInProgress
            numPartitionsMaterialized
            numPartitionsFailed
          }
          ... on UnpartitionedAssetStatus {
            assetKey { path }
            inProgress
            materialized
            failed
          }
        }
      }
      runs {
        runId
        status
        jobName
        creationTime
        startTime
        endTime
        tags { key value }
        assetSelection { path }
      }
    }
    ... on BackfillNotFoundError { message }
    ... on PythonError { message stack }
  }
}
"""

WORKSPACE_QUERY = """
query Workspace {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name } }
          ... on PythonError { message stack }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

DAEMON_HEALTH_QUERY = """
query DaemonHealth {
  instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } }
}
"""

ASSET_NODES_QUERY = """
query AssetNodes {
  assetNodes {
    assetKey { path }
    groupName
    jobNames
    isExecutable
    partitionDefinition { description }
    repository { name location { name } }
  }
}
"""

RUN_EVENTS_QUERY = """
query RunEvents($runId: ID!, $cursor: String) {
  logsForRun(runId: $runId, afterCursor: $cursor, limit: 1000) {
    __typename
    ... on EventConnection {
      cursor
      hasMore
      events {
        __typename
        ... on MessageEvent { timestamp stepKey }
        ... on ExecutionStepFailureEvent { error { message } }
        ... on RunFailureEvent { message }
        ... on AssetCheckEvaluationEvent {
          evaluation {
            assetKey { path }
            checkName
            success
            severity
            targetMaterialization { runId }
          }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

# The dagster event types whose times tell a run's life (see `run_timings`).
_RUN_MILESTONES = {
    "RunEnqueuedEvent": "enqueued",
    "RunStartingEvent": "launched",  # the run coordinator handed it to the run launcher
    "RunStartEvent": "started",  # the run worker process is up and has loaded the code
    "RunSuccessEvent": "ended",
    "RunFailureEvent": "ended",
    "RunCanceledEvent": "ended",
}


class GraphQLError(RuntimeError):
    """The webserver answered with GraphQL errors or an error type instead of a result."""


# -- GraphQL over loopback ----------------------------------------------------------------------


def require_loopback(url: str) -> str:
    """`url` without a trailing slash; refuses anything but http(s) to a loopback address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in {"http", "https"}:
        raise ValueError(f"{url}: only http(s) URLs are supported")
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"{url}: only loopback addresses (127.0.0.0/8, ::1, localhost)")
    return url.rstrip("/")


def graphql(
    url: str, query: str, variables: Mapping | None = None, timeout_s: float = 60.0
) -> dict:
    """POST one GraphQL document to `<url>/graphql`; returns `data`, raises on `errors`."""
    endpoint = require_loopback(url) + "/graphql"
    payload: dict = {"query": query}
    if variables is not None:
        payload["variables"] = dict(variables)
    # trust_env=False: no proxy from the environment for a loopback address
    with httpx.Client(timeout=timeout_s, trust_env=False) as client:
        response = client.post(endpoint, json=payload)
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise GraphQLError("; ".join(e.get("message", str(e)) for e in body["errors"]))
    return body["data"]


def answers(url: str, timeout_s: float = 3.0) -> bool:
    """Whether a Dagster webserver answers GraphQL at `url`."""
    try:
        graphql(url, "query Version { version }", timeout_s=timeout_s)
    except (httpx.HTTPError, GraphQLError, ValueError):
        return False
    return True


def code_locations(url: str) -> dict[str, dict]:
    """Per code location: `loadStatus`, `repositories` (names) and `error` (a load error)."""
    data = graphql(url, WORKSPACE_QUERY)["workspaceOrError"]
    if data["__typename"] != "Workspace":
        raise GraphQLError(data.get("message", data["__typename"]))
    out = {}
    for entry in data["locationEntries"]:
        location = entry.get("locationOrLoadError") or {}
        out[entry["name"]] = {
            "loadStatus": entry["loadStatus"],
            "repositories": [r["name"] for r in location.get("repositories", [])],
            "error": location.get("message")
            if location.get("__typename") == "PythonError"
            else None,
        }
    return out


def daemon_health(url: str) -> dict[str, bool]:
    """Daemon type -> healthy (what the UI's "daemon not running" alert reads)."""
    statuses = graphql(url, DAEMON_HEALTH_QUERY)["instance"]["daemonHealth"]["allDaemonStatuses"]
    return {s["daemonType"]: bool(s["healthy"]) for s in statuses}


def asset_nodes(url: str) -> list[dict]:
    """Every asset node of the workspace: `key` ("layer/name"), `path`, `group`, `jobs`,
    `partitioned`, `location`, `repository`."""
    nodes = graphql(url, ASSET_NODES_QUERY)["assetNodes"]
    return [
        {
            "key": "/".join(n["assetKey"]["path"]),
            "path": n["assetKey"]["path"],
            "group": n["groupName"],
            "jobs": n["jobNames"],
            "executable": n["isExecutable"],
            "partitioned": n["partitionDefinition"] is not None,
            "location": n["repository"]["location"]["name"],
            "repository": n["repository"]["name"],
        }
        for n in nodes
    ]


# -- dagster dev ---------------------------------------------------------------------------------


@dataclass
class DagsterDev:
    """A running `dagster dev`: its URL, instance folder, log file and process (group leader)."""

    url: str
    home: Path
    log_path: Path
    process: subprocess.Popen
    startup_s: float

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# `python -m dagster`, with SIGINT's default handler first: a shell's background job (CI, `&`)
# starts with SIGINT ignored, and `dagster dev` maps SIGTERM to its SIGINT handler, so it would
# ignore both and could only be killed, not shut down.
_DAGSTER_CLI = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from dagster._cli import main; sys.argv[0] = 'dagster'; main()"
)


def _stop(process: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM to `dagster dev` (it maps it to an interrupt and shuts its webserver, daemon and
    code server down), then SIGKILL to whatever is left of its process group (run workers)."""
    if process.poll() is None:
        with suppress(subprocess.TimeoutExpired, ProcessLookupError):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=grace_s)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _wait_until_ready(
    dev: DagsterDev, deadline: float, wait_for_daemon: bool, location: str | None
) -> None:
    """Until GraphQL answers, the code location is loaded and (optionally) the backfill and
    run-queue daemons have sent a heartbeat."""
    loaded = False
    while time.monotonic() < deadline:
        if dev.process.poll() is not None:
            raise RuntimeError(
                f"dagster dev exited with code {dev.process.returncode} before it was ready:\n"
                f"{dev.log_tail()}"
            )
        try:
            if not loaded:
                locations = code_locations(dev.url)
                wanted = {location: locations.get(location)} if location else locations
                errors = {n: e["error"] for n, e in wanted.items() if e and e["error"]}
                if errors:
                    raise RuntimeError(f"code location failed to load: {errors}")
                loaded = bool(wanted) and all(
                    e is not None and e["loadStatus"] == "LOADED" and e["repositories"]
                    for e in wanted.values()
                )
            if loaded:
                if not wait_for_daemon:
                    return
                health = daemon_health(dev.url)
                if health.get("BACKFILL") and health.get("QUEUED_RUN_COORDINATOR"):
                    return
        except (httpx.HTTPError, GraphQLError):
            pass  # not serving yet
        time.sleep(0.5)
    raise TimeoutError(
        f"dagster dev at {dev.url} not ready (location loaded: {loaded}):\n{dev.log_tail()}"
    )


@contextmanager
def dagster_dev(
    dagster_home: Path,
    workspace: Path | None = None,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    log_path: Path | None = None,
    location: str | None = None,
    startup_timeout_s: float = 300.0,
    wait_for_daemon: bool = True,
    stop_grace_s: float = 20.0,
) -> Iterator[DagsterDev]:
    """Run `dagster dev -w <workspace> -h 127.0.0.1 -p <port>` with DAGSTER_HOME=`dagster_home`
    (and `env` on top of this process's environment) in its own process group, from `cwd`
    (default `dagster_home`: relative paths in its dagster.yaml resolve against the working
    directory). Yields once GraphQL answers, the code location(s) (`location`, default all) are
    loaded and, if `wait_for_daemon`, the backfill and run-queue daemons are healthy. On exit the
    whole process group is stopped, run workers included. Output goes to `log_path` (default a
    temporary file)."""
    home = Path(dagster_home).resolve()
    workspace = Path(workspace).resolve() if workspace else home / "workspace.yaml"
    cwd = Path(cwd).resolve() if cwd else home
    if log_path is None:
        handle, name = tempfile.mkstemp(prefix="dagster-dev-", suffix=".log")
        os.close(handle)
        log_path = Path(name)
    child_env = {**os.environ, **(env or {}), "DAGSTER_HOME": str(home)}
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    attempts = 1 if port else 3  # a free port can be taken between probing and binding
    for attempt in range(attempts):
        chosen = port or free_port()
        url = f"http://127.0.0.1:{chosen}"
        began = time.monotonic()
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", _DAGSTER_CLI, "dev", "-w", str(workspace)]
                + ["-h", "127.0.0.1", "-p", str(chosen)],
                cwd=cwd,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as one
            )
        dev = DagsterDev(url, home, log_path, process, 0.0)
        try:
            _wait_until_ready(dev, began + startup_timeout_s, wait_for_daemon, location)
        except RuntimeError:
            _stop(process, stop_grace_s)
            in_use = "address already in use" in dev.log_tail(200).lower()
            if in_use and attempt + 1 < attempts:
                continue
            raise
        except BaseException:
            _stop(process, stop_grace_s)
            raise
        dev.startup_s = time.monotonic() - began
        try:
            yield dev
        finally:
            _stop(process, stop_grace_s)
        return


# -- launch and wait -----------------------------------------------------------------------------


def instance_home(root: Path, max_concurrent_runs: int = 2) -> Path:
    """A DAGSTER_HOME under `root` with the repository's dagster.yaml, its relative paths made
    absolute under it (a test's or a benchmark's own instance)."""
    import yaml

    from energy_assets import settings

    home = Path(root) / "dagster_home"
    home.mkdir(parents=True)
    config = yaml.safe_load((settings.REPO_ROOT / "dagster.yaml").read_text())

    def absolute(node):
        if isinstance(node, dict):
            return {
                k: str(home / v)
                if k == "base_dir" and isinstance(v, str) and not Path(v).is_absolute()
                else absolute(v)
                for k, v in node.items()
            }
        return node

    config = absolute(config)
    config.setdefault("concurrency", {}).setdefault("runs", {})["max_concurrent_runs"] = (
        max_concurrent_runs
    )
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return home


def _asset_path(key) -> list[str]:
    """ "layer/name", ["layer", "name"], {"path": [...]} (GraphQL's AssetKeyInput) or a dagster
    AssetKey -> ["layer", "name"]."""
    if isinstance(key, str):
        return key.split("/")
    if isinstance(key, Mapping):
        return list(key["path"])
    return list(getattr(key, "path", key))


def partition_keys_for(
    start: dt.date, end: dt.date, regions: Sequence[str] = DEFAULT_REGIONS
) -> list[str]:
    """`<date>|<region>` for every day and region, date by date (the dialog's order)."""
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    return [f"{day.isoformat()}|{region}" for day in days for region in regions]


def backfill_params(
    asset_keys: Iterable,
    partition_keys: Sequence[str],
    job: str | None = None,
    location: str = LOCATION_NAME,
    repository: str = REPOSITORY_NAME,
    tags: Mapping[str, str] | None = None,
) -> dict:
    """The `backfillParams` the dialog sends: a pure asset backfill when `job` is None (or a
    hidden asset job), a job backfill over `<job>_partition_set` otherwise."""
    ui_keys = {t["key"] for t in UI_EXECUTION_TAGS}
    backfill_tags = [
        {"key": k, "value": v} for k, v in (tags or {}).items() if k not in ui_keys
    ] + [dict(t) for t in UI_EXECUTION_TAGS]
    params: dict = {
        "tags": backfill_tags,
        "assetSelection": [{"path": _asset_path(k)} for k in asset_keys],
        "partitionNames": list(partition_keys),
        "fromFailure": False,
    }
    if job and not job.startswith(HIDDEN_JOB_PREFIXES):
        params["selector"] = {
            "partitionSetName": f"{job}_partition_set",
            "repositorySelector": {
                "repositoryLocationName": location,
                "repositoryName": repository,
            },
        }
    return params


def launch_backfill(
    url: str,
    asset_keys: Iterable,
    partition_keys: Sequence[str],
    job: str | None = None,
    tags: Mapping[str, str] | None = None,
    location: str | None = None,
) -> str:
    """Launch a partition backfill as the UI's dialog does; returns the backfill id. With `job`,
    the repository selector names `location` (default: the only code location served)."""
    if job and not job.startswith(HIDDEN_JOB_PREFIXES) and location is None:
        locations = code_locations(url)
        if len(locations) != 1:
            raise ValueError(f"several code locations {sorted(locations)}: pass location=")
        location = next(iter(locations))
    params = backfill_params(asset_keys, partition_keys, job, location or LOCATION_NAME, tags=tags)
    result = graphql(url, LAUNCH_PARTITION_BACKFILL_MUTATION, {"backfillParams": params})
    outcome = result["launchPartitionBackfill"]
    if outcome["__typename"] != "LaunchBackfillSuccess":
        detail = {k: v for k, v in outcome.items() if k not in {"__typename", "stack"}}
        raise GraphQLError(f"launchPartitionBackfill: {outcome['__typename']} {detail}")
    return outcome["backfillId"]


def _tag(run: dict, key: str) -> str | None:
    return next((t["value"] for t in run["tags"] if t["key"] == key), None)


def _run_partitions(run: dict) -> list[str]:
    """The partition keys a run covers: its partition, or every key of its range."""
    single = _tag(run, "dagster/partition")
    if single:
        return [single]
    start = _tag(run, "dagster/asset_partition_range_start")
    end = _tag(run, "dagster/asset_partition_range_end")
    if not (start and end):
        return []
    return range_partition_keys(start, end)


def range_partition_keys(start: str, end: str) -> list[str]:
    """The `date|region` keys of a run's range: every day from start to end x every region from
    start's to end's (Dagster's box over the two dimensions; regions in the registry's order)."""
    from energy_assets.regions import REGIONS

    (first, first_region), (last, last_region) = start.split("|"), end.split("|")
    codes = list(REGIONS)
    if first_region in codes and last_region in codes:
        regions = codes[codes.index(first_region) : codes.index(last_region) + 1]
    else:
        regions = sorted({first_region, last_region})
    return partition_keys_for(dt.date.fromisoformat(first), dt.date.fromisoformat(last), regions)


def backfill_status(url: str, backfill_id: str) -> dict:
    """One poll of `partitionBackfillOrError`, flattened:

    `id`, `status` (BulkActionStatus), `done` (terminal and every run finished),
    `is_asset_backfill`, `job`, `num_partitions`, `error`;
    `assets`: "layer/name" -> {targeted, materialized, failed, in_progress} (asset backfills);
    `runs`: [{run_id, status, job, partition, partitions (every key of a ranged run), assets,
    tags, created, started, ended}], oldest first;
    `run_counts`: run status -> count; `failed_runs`: how many ended FAILURE or CANCELED."""
    data = graphql(url, BACKFILL_STATUS_QUERY, {"backfillId": backfill_id})
    backfill = data["partitionBackfillOrError"]
    if backfill["__typename"] != "PartitionBackfill":
        raise GraphQLError(f"{backfill['__typename']}: {backfill.get('message')}")
    assets = {}
    for status in (backfill.get("assetBackfillData") or {}).get("assetBackfillStatuses", []):
        key = "/".join(status["assetKey"]["path"])
        if status["__typename"] == "AssetPartitionsStatusCounts":
            assets[key] = {
                "targeted": status["numPartitionsTargeted"],
                "materialized": status["numPartitionsMaterialized"],
                "failed": status["numPartitionsFailed"],
                "in_progress": status["numPartitionsInProgress"],
            }
        else:
            assets[key] = {
                "targeted": 1,
                "materialized": int(bool(status["materialized"])),
                "failed": int(bool(status["failed"])),
                "in_progress": int(bool(status["inProgress"])),
            }
    runs = sorted(
        (
            {
                "run_id": r["runId"],
                "status": r["status"],
                "job": r["jobName"],
                "partition": _tag(r, "dagster/partition"),
                "partitions": _run_partitions(r),
                "assets": ["/".join(a["path"]) for a in r.get("assetSelection") or []],
                "tags": {t["key"]: t["value"] for t in r["tags"]},
                "created": r["creationTime"],
                "started": r["startTime"],
                "ended": r["endTime"],
            }
            for r in backfill["runs"]
        ),
        key=lambda r: r["created"],
    )
    counts = Counter(r["status"] for r in runs)
    finished = all(r["status"] in FINISHED_RUN for r in runs)
    return {
        "id": backfill["id"],
        "status": backfill["status"],
        "done": backfill["status"] in TERMINAL_BACKFILL and finished,
        "is_asset_backfill": backfill["isAssetBackfill"],
        "job": backfill["jobName"],
        "num_partitions": backfill["numPartitions"],
        "error": (backfill.get("error") or {}).get("message"),
        "assets": assets,
        "runs": runs,
        "run_counts": dict(counts),
        "failed_runs": counts["FAILURE"] + counts["CANCELED"],
        "created": backfill["timestamp"],
        "ended": backfill["endTimestamp"],
    }


def wait_for_backfill(
    url: str,
    backfill_id: str,
    timeout_s: float,
    poll_s: float = 2.0,
    progress: Callable[[dict], None] | None = None,
) -> dict:
    """Poll `backfill_status` until the backfill is done or `timeout_s` has passed; returns the
    last status with `timed_out` and `waited_s` added. `progress` gets every poll's status."""
    began = time.monotonic()
    while True:
        status = backfill_status(url, backfill_id)
        status["waited_s"] = time.monotonic() - began
        status["timed_out"] = False
        if progress:
            progress(status)
        if status["done"]:
            return status
        if status["waited_s"] > timeout_s:
            status["timed_out"] = True
            return status
        time.sleep(poll_s)


def cancel_backfill(url: str, backfill_id: str) -> str:
    data = graphql(
        url,
        """mutation Cancel($backfillId: String!) {
             cancelPartitionBackfill(backfillId: $backfillId) {
               __typename ... on PythonError { message } ... on UnauthorizedError { message }
             } }""",
        {"backfillId": backfill_id},
    )
    return data["cancelPartitionBackfill"]["__typename"]


def run_events(url: str, run_id: str) -> list[dict]:
    """Every event of a run (`logsForRun`, paged): `__typename`, `timestamp` (ms, a string),
    `stepKey`, and `evaluation` for asset check evaluations."""
    events: list[dict] = []
    cursor = None
    while True:
        logs = graphql(url, RUN_EVENTS_QUERY, {"runId": run_id, "cursor": cursor})["logsForRun"]
        if logs["__typename"] != "EventConnection":
            raise GraphQLError(f"logsForRun {run_id}: {logs.get('message')}")
        events.extend(logs["events"])
        if not logs["hasMore"]:
            return events
        cursor = logs["cursor"]


def run_timings(url: str, run_ids: Iterable[str]) -> dict[str, dict[str, float]]:
    """Per run, the times (epoch seconds) of `enqueued`, `launched` (the run coordinator handed
    it to the launcher), `started` (the run worker process is up and has loaded the code),
    `first_step`, `ended`; and `start_latency_s` = started - launched (process start + imports +
    loading the definitions), `queued_s` = launched - enqueued, `steps_s` = ended - first_step."""
    out = {}
    for run_id in run_ids:
        times: dict[str, float] = {}
        for event in run_events(url, run_id):
            stamp = float(event.get("timestamp") or 0) / 1000
            milestone = _RUN_MILESTONES.get(event["__typename"])
            if milestone:
                times.setdefault(milestone, stamp)
            if event["__typename"] == "ExecutionStepStartEvent":
                times.setdefault("first_step", stamp)
        for name, (a, b) in {
            "start_latency_s": ("launched", "started"),
            "queued_s": ("enqueued", "launched"),
            "steps_s": ("first_step", "ended"),
        }.items():
            if a in times and b in times:
                times[name] = times[b] - times[a]
        out[run_id] = times
    return out


def failure_messages(url: str, run_id: str) -> list[str]:
    """The first line of each step failure of a run (or the run failure's message)."""
    messages = []
    run_failure = None
    for event in run_events(url, run_id):
        if event["__typename"] == "ExecutionStepFailureEvent" and event.get("error"):
            first = (event["error"]["message"] or "").strip().splitlines()
            messages.append(f"{event.get('stepKey')}: {first[0] if first else ''}")
        elif event["__typename"] == "RunFailureEvent":
            run_failure = event.get("message")
    return messages or ([run_failure] if run_failure else [])


ASSET_CHECKS_QUERY = """
query AssetChecks($assetKeys: [AssetKeyInput!]) {
  assetNodes(assetKeys: $assetKeys) {
    assetKey { path }
    assetChecksOrError { __typename ... on AssetChecks { checks { name } } }
  }
}
"""

MATERIALIZATIONS_QUERY = """
query Materializations($assetKey: AssetKeyInput!, $partitions: [String!]) {
  assetOrError(assetKey: $assetKey) {
    __typename
    ... on Asset { assetMaterializations(partitions: $partitions) { partition runId timestamp } }
  }
}
"""


def partition_results(url: str, asset_keys: Iterable, partition_keys: Sequence[str]) -> dict:
    """Per asset ("layer/name") and partition key: `materializations` (how many, ever), the
    latest one's `run_id` and `timestamp` (epoch s), and `checks`: every check of the asset ->
    its evaluation in the run of that latest materialization, {success, severity (ERROR/WARN),
    run_id, target_run_id}, or None where it was not evaluated there.

    The checks are not partitioned (`check_specs` on a partitioned asset): their executions have
    no partition (`assetCheckExecutions(partition:)` finds nothing), so a check result belongs
    to a partition through the run that materialized it (one partition per run)."""
    keys = [_asset_path(k) for k in asset_keys]
    nodes = graphql(url, ASSET_CHECKS_QUERY, {"assetKeys": [{"path": k} for k in keys]})
    checks_of = {
        "/".join(n["assetKey"]["path"]): [
            c["name"] for c in (n["assetChecksOrError"].get("checks") or [])
        ]
        for n in nodes["assetNodes"]
    }
    partitions = list(partition_keys)
    latest: dict[tuple[str, str], dict | None] = {}
    counts: Counter = Counter()
    for path in keys:
        key = "/".join(path)
        data = graphql(
            url, MATERIALIZATIONS_QUERY, {"assetKey": {"path": path}, "partitions": partitions}
        )
        asset = data["assetOrError"]
        events = asset.get("assetMaterializations", []) if asset["__typename"] == "Asset" else []
        for event in events:
            counts[key, event["partition"]] += 1
        for partition in partitions:
            mine = [e for e in events if e["partition"] == partition]
            latest[key, partition] = max(mine, key=lambda e: float(e["timestamp"]), default=None)
    evaluations: dict[str, dict[tuple[str, str], dict]] = {}
    for run_id in {e["runId"] for e in latest.values() if e}:
        evaluations[run_id] = {
            ("/".join(ev["evaluation"]["assetKey"]["path"]), ev["evaluation"]["checkName"]): ev[
                "evaluation"
            ]
            for ev in run_events(url, run_id)
            if ev["__typename"] == "AssetCheckEvaluationEvent"
        }
    out: dict[str, dict[str, dict]] = {}
    for path in keys:
        key = "/".join(path)
        out[key] = {}
        for partition in partitions:
            event = latest[key, partition]
            in_run = evaluations.get(event["runId"], {}) if event else {}
            checks = {}
            for check in checks_of.get(key, []):
                evaluation = in_run.get((key, check))
                checks[check] = (
                    None
                    if evaluation is None
                    else {
                        "success": evaluation["success"],
                        "severity": evaluation["severity"],
                        "run_id": event["runId"],
                        "target_run_id": (evaluation.get("targetMaterialization") or {}).get(
                            "runId"
                        ),
                    }
                )
            out[key][partition] = {
                "materializations": counts[key, partition],
                "run_id": event["runId"] if event else None,
                "timestamp": float(event["timestamp"]) / 1000 if event else None,
                "checks": checks,
            }
    return out


# -- the command ---------------------------------------------------------------------------------


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _tag_arg(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    return key, value


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Options of `energy-assets backfill` (also `python -m energy_assets.backfill`)."""
    parser.add_argument("--start", type=_date, required=True, help="first market day")
    parser.add_argument("--end", type=_date, required=True, help="last market day")
    parser.add_argument(
        "--region",
        action="extend",
        nargs="+",
        default=None,
        help=f"region(s) (default {' '.join(DEFAULT_REGIONS)})",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--layers",
        type=_csv,
        default=None,
        help=f"asset groups, comma-separated (default {','.join(DEFAULT_LAYERS)})",
    )
    which.add_argument("--assets", type=_csv, default=None, help="layer/name,... asset keys")
    parser.add_argument(
        "--job",
        default=None,
        help="only the selected assets of this job, launched as a pure asset backfill as from"
        " the asset graph (a job-page backfill of a range runs only its first day in Dagster"
        " 1.13, dagster-io/dagster#28861; such runs fail, saying so)",
    )
    parser.add_argument(
        "--tag",
        action="append",
        type=_tag_arg,
        default=[],
        metavar="KEY=VALUE",
        help="a tag for the backfill and its runs, as the dialog's tag editor adds"
        " (e.g. dagster/priority=-1 to let other runs go first); repeatable",
    )
    parser.add_argument(
        "--url",
        default=DEFAULT_URL,
        help=f"a running webserver (loopback only; default {DEFAULT_URL}); if it does not answer,"
        " `dagster dev` is started for DAGSTER_HOME (default: the repository root) meanwhile",
    )
    parser.add_argument("--timeout", type=float, default=6 * 3600, help="seconds to wait")
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between polls")
    return parser


def _raw_stages(
    chosen: list[dict], regions: list[str], start: dt.date, end: dt.date
) -> list[tuple[list[dict], dt.date, list[str]]]:
    """The backfills a selection takes, in order: each provider's raw feeds that serve the
    regions over the window (from the first day of theirs in it, for the regions it serves),
    then everything below raw.

    Dagster plans an asset backfill only when its root assets share one partitions definition,
    and each provider's feeds have their own (the regions it serves, from its first day); the
    harmonized tables below read two providers (the grid's and the weather's). So a selection
    from the raw layer is one backfill per provider, then one for the rest, each after the one
    before it succeeded. A window whose grid two providers build is refused (one backfill each
    side of the day the second begins)."""
    raw = [n for n in chosen if n["group"] == "raw"]
    rest = [n for n in chosen if n["group"] != "raw"]
    if not raw:
        return [(chosen, start, regions)]
    from energy_assets.harmonize.sources import (
        PUBLISHED_INTENSITY_FEEDS,
        grid_source,
        published_intensity_provider,
        weather_provider,
    )
    from energy_assets.regions import region
    from energy_assets.sources.registry import PROVIDERS
    from energy_assets.sources.registry import feed as registered_feed

    first_days: dict[str, dt.date] = {}
    regions_of: dict[str, list[str]] = {}
    for code in regions:
        grid = set()
        for day in (start, end):
            for kind in ("grid", "operator_load_forecast"):
                source = grid_source(region(code), kind, day)
                if source is not None:
                    grid.add(source.provider)
            weather = weather_provider(region(code), day)
            if weather is not None:
                first = dt.date.fromisoformat(PROVIDERS[weather][0].first_date)
                first_days[weather] = max(start, first)
                regions_of.setdefault(weather, []).append(code)
            published = published_intensity_provider(region(code), day)  # GB's own intensity
            if published is not None:
                name = PUBLISHED_INTENSITY_FEEDS[published]
                first = dt.date.fromisoformat(registered_feed(published, name).first_date)
                first_days[published] = max(start, first)
                regions_of.setdefault(published, []).append(code)
        if len(grid) > 1:
            raise ValueError(
                f"{code} {start}..{end} is served by {len(grid)} grid providers"
                f" ({', '.join(sorted(grid))}): launch one backfill each side of the day the"
                " second begins, or one per provider (--assets raw/<provider>_<feed>,...)"
            )
        for provider in grid:
            first_days[provider] = start
            regions_of.setdefault(provider, []).append(code)
    stages = []
    for provider in sorted(first_days):
        feeds = [n for n in raw if n["path"][1].startswith(f"{provider}_")]
        if feeds:
            stages.append((feeds, first_days[provider], list(dict.fromkeys(regions_of[provider]))))
    if rest:
        stages.append((rest, start, regions))
    return stages


def _select_assets(nodes: list[dict], args: argparse.Namespace) -> list[dict]:
    by_key = {n["key"]: n for n in nodes}
    if args.assets:
        unknown = [k for k in args.assets if k not in by_key]
        if unknown:
            raise ValueError(f"unknown asset(s) {unknown}")
        chosen = [by_key[k] for k in args.assets]
    elif args.layers or not args.job:
        layers = args.layers or list(DEFAULT_LAYERS)
        unknown = sorted(set(layers) - {n["group"] for n in nodes})
        if unknown:
            raise ValueError(f"unknown layer(s) {unknown}")
        chosen = [n for n in nodes if n["group"] in layers]
    else:
        chosen = list(nodes)
    if args.job:
        chosen = [n for n in chosen if args.job in n["jobs"]]
        if not chosen:
            raise ValueError(f"no selected asset is in job {args.job}")
    return [n for n in chosen if n["executable"]]


def _progress_printer(began: float) -> Callable[[dict], None]:
    last: list = [None]

    def show(status: dict) -> None:
        assets = status["assets"].values()
        summary = (
            status["status"],
            tuple(sorted(status["run_counts"].items())),
            sum(a["materialized"] for a in assets),
            sum(a["failed"] for a in assets),
        )
        if summary == last[0]:
            return
        last[0] = summary
        runs = ", ".join(f"{k.lower()} {v}" for k, v in sorted(status["run_counts"].items()))
        line = f"[{time.monotonic() - began:6.0f} s] {status['status']}: runs {len(status['runs'])}"
        line += f" ({runs})" if runs else ""
        if status["assets"]:
            targeted = sum(a["targeted"] for a in assets)
            line += f"; asset partitions {summary[2]}/{targeted} materialized, {summary[3]} failed"
        print(line, flush=True)

    return show


def _submit_and_wait(url: str, args: argparse.Namespace) -> int:
    """Launch the selection's backfills one after another (`_raw_stages`), each once the one
    before it has succeeded; 0 when every one succeeded."""
    nodes = asset_nodes(url)
    chosen = _select_assets(nodes, args)
    regions = args.region or list(DEFAULT_REGIONS)
    stages = _raw_stages(chosen, regions, args.start, args.end)
    health = daemon_health(url)
    if not health.get("BACKFILL"):
        print(f"warning: the backfill daemon of {url} is not running; nothing will be launched")
    if len(stages) > 1:
        print(
            f"{len(stages)} backfills, one after the other (Dagster backfills assets together"
            " only when their roots share one partitions definition): "
            + "; ".join(", ".join(n["key"] for n in assets) for assets, _, _ in stages),
            flush=True,
        )
    for assets, first, served in stages:
        code = _one_backfill(url, args, assets, first, served)
        if code:
            return code
    return 0


def _one_backfill(
    url: str, args: argparse.Namespace, chosen: list[dict], start: dt.date, regions: list[str]
) -> int:
    keys = partition_keys_for(start, args.end, regions)
    location = chosen[0]["location"] if chosen else None
    launched = time.monotonic()
    backfill_id = launch_backfill(
        url,
        [n["path"] for n in chosen],
        keys,
        tags={"energy_assets/launched_by": "cli", **dict(getattr(args, "tag", None) or [])},
        location=location,
    )
    print(
        f"backfill {backfill_id}: {len(chosen)} assets x {len(keys)} partitions"
        f" ({start}..{args.end}, {' '.join(regions)})"
        f"{' of ' + args.job if args.job else ''}: {url}/runs/b/{backfill_id}",
        flush=True,
    )
    try:
        status = wait_for_backfill(
            url, backfill_id, args.timeout, args.poll, _progress_printer(launched)
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: canceling backfill {backfill_id} ({cancel_backfill(url, backfill_id)})"
        )
        raise
    for run in status["runs"]:
        if run["status"] != "SUCCESS":
            print(f"  run {run['run_id']} {run['job']} {run['partition']}: {run['status']}")
            for message in failure_messages(url, run["run_id"])[:3]:
                print(f"    {message}")
    if status["error"]:
        print(f"  backfill error: {status['error'].strip().splitlines()[0]}")
    state = status["status"] + (" (timed out waiting)" if status["timed_out"] else "")
    print(
        f"backfill {backfill_id}: {state}, runs {len(status['runs'])}"
        f" ({status['failed_runs']} failed), {time.monotonic() - launched:.0f} s",
        flush=True,
    )
    ok = status["done"] and not status["failed_runs"] and status["status"] != "COMPLETED_FAILED"
    return 0 if ok and status["status"] not in {"FAILED", "CANCELED"} else 1


def run(args: argparse.Namespace) -> int:
    """Submit the backfill to `--url`, or to a `dagster dev` started for the duration."""
    from energy_assets import settings

    try:
        url = require_loopback(args.url)
        if args.end < args.start:
            raise ValueError("--end is before --start")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        if answers(url):
            return _submit_and_wait(url, args)
        home = Path(os.environ.get("DAGSTER_HOME") or settings.REPO_ROOT).resolve()
        print(f"{url} does not answer: starting dagster dev (DAGSTER_HOME={home})", flush=True)
        # the repository's dagster.yaml has paths relative to the repository root
        cwd = settings.REPO_ROOT if home == settings.REPO_ROOT.resolve() else home
        with dagster_dev(home, settings.REPO_ROOT / "workspace.yaml", cwd=cwd) as dev:
            print(
                f"dagster dev ready at {dev.url} in {dev.startup_s:.0f} s (log {dev.log_path})",
                flush=True,
            )
            return _submit_and_wait(dev.url, args)
    except (ValueError, GraphQLError, httpx.HTTPError, RuntimeError, TimeoutError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = configure_parser(
        argparse.ArgumentParser(prog="python -m energy_assets.backfill", description=__doc__)
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
