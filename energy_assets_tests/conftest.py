"""Shared fixtures: where the real recordings and datasets are.

In CI (`CI=true`) a missing data folder is a failure, not a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from energy_assets import settings


def _require(path: Path, what: str) -> Path:
    if path.is_dir():
        return path
    message = f"{what} not found at {path} (set the environment variable to point at it)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def recordings() -> Path:
    return _require(settings.recordings_dir(), "ENERGY_ASSETS_RECORDINGS")


@pytest.fixture(scope="session")
def datasets() -> Path:
    return _require(settings.datasets_dir(), "ENERGY_ASSETS_DATASETS")
