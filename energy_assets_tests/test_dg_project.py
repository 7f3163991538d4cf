"""The repository is a `dg` project: `dg check defs` loads the code location as `dg dev` would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from energy_assets.definitions import build_definitions
from energy_assets.defs_support.resources import default_resources
from energy_assets.settings import REPO_ROOT


@pytest.mark.parametrize("automation", ["0", "1"])
def test_dg_check_defs_passes(tmp_path, automation):
    """Also with the automation on: its conditions, checks and sensor load and validate."""
    dg_cli = Path(sys.executable).with_name("dg")  # dagster-dg-cli, beside this interpreter
    env = {
        **os.environ,
        # the checkout under test, whichever checkout the environment's editable install names
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        "DAGSTER_HOME": str(tmp_path),
        "ENERGY_ASSETS_DATA": str(tmp_path / "data"),
        "ENERGY_ASSETS_AUTOMATION": automation,
    }
    result = subprocess.run(
        [str(dg_cli), "check", "defs"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout


def test_the_defs_folder_holds_every_definition(tmp_path):
    """`definitions.py` adds resources and the executor to what the defs folder holds, and
    drops nothing: every raw feed's job, every schedule, the sensor."""
    folder = dg.load_from_defs_folder(path_within_project=REPO_ROOT / "energy_assets")
    repo = build_definitions(default_resources(tmp_path)).get_repository_def()
    assert {k for a in folder.assets for k in a.keys} == set(repo.assets_defs_by_key)
    assert {j.name for j in folder.jobs} == set(repo.job_names) - {"__ASSET_JOB"}
    assert {s.name for s in folder.schedules} == {s.name for s in repo.schedule_defs}
    assert sorted(s.name for s in folder.sensors) == sorted(s.name for s in repo.sensor_defs)
    assert "raw_eia930_region_data_job" in repo.job_names


def test_every_module_in_the_defs_folder_defines_something():
    """Helpers live in `energy_assets/defs_support/`; the defs folder holds definitions only."""
    import importlib
    import warnings

    folder = REPO_ROOT / "energy_assets" / "defs"
    for path in sorted(folder.glob("*.py")):
        if path.stem == "__init__":
            continue
        module = importlib.import_module(f"energy_assets.defs.{path.stem}")
        with warnings.catch_warnings():  # a preview API in Dagster 1.13
            warnings.simplefilter("ignore", dg.PreviewWarning)
            found = dg.load_definitions_from_module(module)
        assert found.assets or found.jobs or found.schedules or found.sensors, path.name
