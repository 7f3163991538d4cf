"""The code location: every asset, check, job, schedule, sensor and resource.

Asset key `[layer, dataset]` -> `energy_assets/defs/<layer>.py`, function `<dataset>`; a raw
asset `raw/<provider>_<feed>` -> its feed in `energy_assets/sources/<provider>.py` (`FEEDS`),
made an asset by `energy_assets/defs/raw.py`.
"""

from __future__ import annotations

import dagster as dg

from energy_assets.defs import (
    dispatch,
    evaluation,
    features,
    forecasts,
    harmonized,
    models,
    raw,
    reconciliation,
)
from energy_assets.defs.jobs import (
    RAW_JOBS,
    RAW_SCHEDULES,
    cross_region_job,
    daily_ingest_schedule,
    day_ahead_job,
    day_ahead_sensor,
    ingest_job,
    load_day_ahead_job,
    reconciliation_job,
    report_job,
)
from energy_assets.defs.resources import default_resources

ASSET_MODULES = (raw, harmonized, features, models, forecasts, dispatch, evaluation, reconciliation)


def build_definitions(resources: dict | None = None) -> dg.Definitions:
    assets = [a for module in ASSET_MODULES for a in dg.load_assets_from_modules([module])]
    return dg.Definitions(
        assets=assets,
        jobs=[
            *RAW_JOBS.values(),
            ingest_job,
            day_ahead_job,
            load_day_ahead_job,
            cross_region_job,
            report_job,
            reconciliation_job,
        ],
        schedules=[*RAW_SCHEDULES, daily_ingest_schedule],
        sensors=[day_ahead_sensor],
        resources=resources if resources is not None else default_resources(),
        # Runs launched by the daemon (UI backfills, the schedule, the sensor) execute their steps
        # in the run's own process: one interpreter per run, not one per step.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
