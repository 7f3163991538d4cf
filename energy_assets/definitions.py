"""The code location: the definitions in `energy_assets/defs/`, with resources and executor.

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

from energy_assets import automation
from energy_assets.defs.jobs import raw_schedules
from energy_assets.defs.publication_sensors import publication_sensors
from energy_assets.defs_support.resources import default_resources

# this package's folder: `load_from_defs_folder` finds the project (pyproject.toml's [tool.dg])
# above it, and from it the defs module, `energy_assets.defs`
PACKAGE_DIR = Path(__file__).resolve().parent


CODE_REFERENCES = "dagster/code_references"


def _source_reference(assets_def: dg.AssetsDefinition) -> dg.LocalFileCodeReference:
    """Where the asset's own function is: `dg.with_source_code_references` reads the file of the
    function given to `@dg.asset`, which for most assets is `per_region_day`'s wrapper
    (`defs_support/ranges.py`) with the wrapped function's line; unwrapped, the asset's module."""
    compute_fn = assets_def.op.compute_fn
    fn = inspect.unwrap(getattr(compute_fn, "decorated_fn", compute_fn))
    path = Path(inspect.getsourcefile(fn) or "").resolve()
    line = inspect.getsourcelines(fn)[1]
    name = assets_def.key.path[-1]
    if fn.__name__ != name:  # made by a factory in its module: `<name> = _factory(...)`
        lines = path.read_text().splitlines()
        line = next((i + 1 for i, text in enumerate(lines) if text.startswith(f"{name} = ")), line)
    return dg.LocalFileCodeReference(file_path=str(path), line_number=line)


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


def build_definitions(
    resources: dict | None = None, automate: bool | None = None
) -> dg.Definitions:
    """Every definition in `energy_assets/defs/` (assets with their checks, jobs, schedules,
    the sensor: each module there is loaded as `dg` loads a defs folder), each asset linked to
    its code, with `resources` (default: `default_resources()`, from the environment).

    `automate` (None: the `ENERGY_ASSETS_AUTOMATION` setting, default off) adds automation
    conditions and freshness checks to the assets, the sensor that evaluates them, and starts
    the raw schedules and the ISO providers' publication sensors (`energy_assets/automation.py`)."""
    loaded = dg.load_from_defs_folder(path_within_project=PACKAGE_DIR)
    assets = with_code_references(loaded.assets or [])
    checks = list(loaded.asset_checks or [])
    schedules = list(loaded.schedules or [])
    sensors = list(loaded.sensors or [])
    if automation.enabled() if automate is None else automate:
        assets, freshness, sensor = automation.apply(assets)
        checks.append(freshness)
        sensors.append(sensor)
        running = {s.name: s for s in raw_schedules(running=True)}
        schedules = [running.get(s.name, s) for s in schedules]
        on = {s.name: s for s in publication_sensors(running=True)}
        sensors = [on.get(s.name, s) for s in sensors]
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=loaded.jobs,
        schedules=schedules,
        sensors=sensors,
        resources=resources if resources is not None else default_resources(),
        # Runs launched by the daemon (UI backfills, the schedule, the sensor) execute their steps
        # in the run's own process: one interpreter per run, not one per step.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
