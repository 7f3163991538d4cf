"""The code location: every asset, check, job, schedule, sensor and resource.

Asset key `[layer, dataset]` -> `energy_assets/defs/<layer>.py`, function `<dataset>`; a raw
asset `raw/<provider>_<feed>` -> its feed in `energy_assets/sources/<provider>.py` (`FEEDS`),
made an asset by `energy_assets/defs/raw.py`. Each asset's page in the UI links there
(`with_code_references`).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from energy_assets.defs import (
    dispatch,
    evaluation,
    features,
    forecasts,
    harmonized,
    models,
    prices,
    raw,
    reconciliation,
)
from energy_assets.defs.jobs import (
    PRICE_JOBS,
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
ASSET_MODULES += (prices,)  # day-ahead prices: market-day partitions, jobs of their own


CODE_REFERENCES = "dagster/code_references"


def _source_reference(assets_def: dg.AssetsDefinition) -> dg.LocalFileCodeReference:
    """Where the asset's own function is: `dg.with_source_code_references` reads the file of the
    function given to `@dg.asset`, which for most assets is `per_region_day`'s wrapper
    (`defs/ranges.py`) with the wrapped function's line; unwrapped, it is the asset's module."""
    compute_fn = assets_def.op.compute_fn
    fn = inspect.unwrap(getattr(compute_fn, "decorated_fn", compute_fn))
    path = Path(inspect.getsourcefile(fn) or "").resolve()
    return dg.LocalFileCodeReference(file_path=str(path), line_number=inspect.getsourcelines(fn)[1])


def with_code_references(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """Each asset's UI page links to its code (the "Code" link; local files, no git needed):
    the function that computes it, as `dg.with_source_code_references` would, unwrapped. Raw
    assets keep the reference `defs/raw.py` gives them, their provider module."""
    out = []
    with warnings.catch_warnings():  # code references are marked beta by Dagster 1.13
        warnings.simplefilter("ignore", dg.BetaWarning)
        for assets_def in assets:
            if all(CODE_REFERENCES in assets_def.metadata_by_key[k] for k in assets_def.keys):
                out.append(assets_def)
                continue
            reference = dg.CodeReferencesMetadataValue(
                code_references=[_source_reference(assets_def)]
            )
            out.append(
                assets_def.map_asset_specs(
                    lambda spec, ref=reference: spec.merge_attributes(
                        metadata={CODE_REFERENCES: ref}
                    )
                )
            )
    return out


def build_definitions(resources: dict | None = None) -> dg.Definitions:
    assets = with_code_references(
        [a for module in ASSET_MODULES for a in dg.load_assets_from_modules([module])]
    )
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
            *PRICE_JOBS,
        ],
        schedules=[*RAW_SCHEDULES, daily_ingest_schedule],
        sensors=[day_ahead_sensor],
        resources=resources if resources is not None else default_resources(),
        # Runs launched by the daemon (UI backfills, the schedule, the sensor) execute their steps
        # in the run's own process: one interpreter per run, not one per step.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
