"""Run a job in this process, recorded in the Dagster instance as a run of the code location
that `workspace.yaml` declares, so the UI lists it with the runs the daemon launches: under its
job (Runs tab) and on the Overview timeline.

`JobDefinition.execute_in_process` records runs with no code-location origin: the UI's job pages
and timeline, which group runs by origin, do not show them. This is the same execution
(`dagster`'s own in-process plan, executor and event log) with the run created from the
workspace's origin for the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from functools import cache
from typing import Any, cast

import dagster as dg
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import (
    ExecuteRunWithPlanIterable,
    create_execution_plan,
    job_execution_iterator,
)
from dagster._core.execution.context_creation_job import (
    PlanOrchestrationContextManager,
    orchestration_context_event_generator,
)
from dagster._core.execution.execute_in_process import merge_run_tags
from dagster._core.execution.execute_in_process_result import ExecuteInProcessResult
from dagster._core.remote_origin import RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster._core.workspace.load_target import WorkspaceFileTarget

from energy_assets import settings
from energy_assets.layers import LOCATION_NAME, REPOSITORY_NAME, REPOSITORY_TAG


@cache
def _repository_origin() -> RemoteRepositoryOrigin | None:
    workspace = settings.REPO_ROOT / "workspace.yaml"
    if not workspace.exists():
        return None
    origins = [
        o
        for o in WorkspaceFileTarget(paths=[str(workspace)]).create_origins()
        if o.location_name == LOCATION_NAME
    ]
    return RemoteRepositoryOrigin(origins[0], REPOSITORY_NAME) if origins else None


def execute_recorded(
    job_def: dg.JobDefinition,
    instance: dg.DagsterInstance,
    partition_key: str | dg.MultiPartitionKey | None = None,
    run_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    partition_range: tuple[str, str] | None = None,
    asset_selection: AbstractSet[dg.AssetKey] | None = None,
) -> ExecuteInProcessResult:
    """`job_def.execute_in_process(partition_key=..., raise_on_error=False)` (the same plan,
    in-process executor and events), with the run created under the workspace's origin for
    `job_def.name` and its repository tag (the job's Runs tab filters on it). `job_def` comes
    from `Definitions` with its resources bound. `partition_range` (first, last key): one run
    over the range, tagged as a single-run backfill's runs are. `asset_selection`: only these
    of the job's assets (and their checks), recorded as the run's asset selection, as a run
    launched from the UI for some of a job's assets is."""
    run_config = dict(run_config or {})
    selection = frozenset(asset_selection) if asset_selection else None
    if selection is not None:
        job_def = job_def.get_subset(asset_selection=set(selection))
    if partition_range is not None:
        first, last = (str(k) for k in partition_range)
        if first == last and partition_key is None:
            partition_key = first
        else:
            tags = {
                **(tags or {}),
                ASSET_PARTITION_RANGE_START_TAG: first,
                ASSET_PARTITION_RANGE_END_TAG: last,
            }
    run_tags = merge_run_tags(
        job_def=job_def,
        partition_key=partition_key,
        tags={**REPOSITORY_TAG, **(tags or {})},
        asset_selection=sorted(selection, key=str) if selection else None,
        instance=instance,
        run_config=run_config,
    )
    job = InMemoryJob(job_def)
    plan = create_execution_plan(
        job,
        run_config=run_config,
        instance_ref=instance.get_ref() if instance.is_persistent else None,
        tags=run_tags,
    )
    repository = _repository_origin()
    run = instance.create_run_for_job(
        job_def=job_def,
        run_config=run_config,
        tags={**job_def.run_tags, **run_tags},
        execution_plan=plan,
        asset_selection=selection,
        remote_job_origin=RemoteJobOrigin(repository, job_def.name) if repository else None,
    )
    # outputs are not kept in memory (a range's would be every day's frames of every step):
    # they are in the warehouse
    events = list(
        ExecuteRunWithPlanIterable(
            execution_plan=plan,
            iterator=job_execution_iterator,
            execution_context_manager=PlanOrchestrationContextManager(
                context_event_generator=orchestration_context_event_generator,
                job=job,
                execution_plan=plan,
                dagster_run=run,
                instance=instance,
                run_config=run_config,
                executor_defs=None,
                output_capture=None,
                raise_on_error=False,
            ),
        )
    )
    return ExecuteInProcessResult(
        job_def=job_def,
        event_list=events,
        dagster_run=cast("dg.DagsterRun", instance.get_run_by_id(run.run_id)),
        output_capture={},
    )
