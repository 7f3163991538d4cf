"""Where things live: real recorded data, datasets, and runtime output.

One setting each, read from the environment:

- `ENERGY_ASSETS_RECORDINGS` (default `../shared/recordings` beside the repository): recorded
  HTTP payloads, served by the replay transport and read by tests.
- `ENERGY_ASSETS_DATASETS` (default `../shared/datasets`): longer published series.
- `ENERGY_ASSETS_DATA` (default `data/` in the repository): the warehouse, Dagster storage,
  model artifacts and the raw-payload archive.
- `ENERGY_ASSETS_WAREHOUSE` (default `<data>/warehouse`): where the warehouse's Parquet files go,
  a folder or an fsspec URL (`s3://bucket/prefix`, `gs://...`).
- `ENERGY_ASSETS_REFIT_EVERY_DAYS` (default 1): how often the MLX load model is trained (and the
  load LightGBM while its window is young; see `defs/models.py`); the days between reuse the
  latest model trained.
- `ENERGY_ASSETS_LOAD_TRAINING_DAYS` (default 730): the days the load LightGBM learns from
  (D-N..D-2, the days stored), `ENERGY_ASSETS_LOAD_LIGHTGBM_REFIT_EVERY_DAYS` (default 7): how
  often it is trained, and `ENERGY_ASSETS_LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS` (default 365): it is
  trained every `ENERGY_ASSETS_REFIT_EVERY_DAYS` instead while a fit day's window holds fewer
  stored days (`models/quantile_lgbm.py`, where all three are chosen).
- `ENERGY_ASSETS_CARBON_TRAINING_DAYS` (default 730): the days the carbon models learn from
  (D-N..D-2, the days stored), and `ENERGY_ASSETS_CARBON_REFIT_EVERY_DAYS` (default 28): how
  often they are trained; `ENERGY_ASSETS_CARBON_YOUNG_HISTORY_DAYS` (default 365) and
  `ENERGY_ASSETS_CARBON_YOUNG_REFIT_EVERY_DAYS` (default 4): how often while a fit day's window
  holds fewer stored days than that (`models/carbon_lgbm.py`, where all four are chosen).
- `ENERGY_ASSETS_CARBON_FUEL_MIX` (default 0, off): 1 gives the UTC-day direct carbon model its
  fuel-mix member (`models/fuel_mix_lgbm.py`; why it is off, in `models/carbon_lgbm.py`), and
  `ENERGY_ASSETS_CARBON_FUEL_MIX_REFIT_EVERY_DAYS` (default 56): how often the member is trained
  (the fits between keep the latest member).
- `ENERGY_ASSETS_GRID_PROVIDERS` (default empty): `REGION=provider` pairs, comma-separated, that
  put a provider first for a region's harmonized grid tables (e.g. `CAISO=eia930`: CAISO's grid,
  carbon intensity and operator forecast from EIA-930 on the days CAISO's own feed also serves).
"""

from __future__ import annotations

import os
from pathlib import Path

from energy_assets.models.carbon_lgbm import (
    CARBON_REFIT_EVERY_DAYS,
    CARBON_TRAINING_DAYS,
    CARBON_YOUNG_HISTORY_DAYS,
    CARBON_YOUNG_REFIT_EVERY_DAYS,
    FUEL_MIX_REFIT_EVERY_DAYS,
)
from energy_assets.models.quantile_lgbm import (
    LOAD_LIGHTGBM_REFIT_EVERY_DAYS,
    LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS,
    LOAD_TRAINING_DAYS,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default.resolve()


def recordings_dir() -> Path:
    return _path_from_env("ENERGY_ASSETS_RECORDINGS", REPO_ROOT.parent / "shared" / "recordings")


def datasets_dir() -> Path:
    return _path_from_env("ENERGY_ASSETS_DATASETS", REPO_ROOT.parent / "shared" / "datasets")


def data_dir() -> Path:
    return _path_from_env("ENERGY_ASSETS_DATA", REPO_ROOT / "data")


def warehouse_root(data: Path | None = None) -> str:
    """The warehouse's folder or URL: `ENERGY_ASSETS_WAREHOUSE`, else `<data>/warehouse`."""
    value = os.environ.get("ENERGY_ASSETS_WAREHOUSE")
    if value:
        return value if "://" in value else str(Path(value).expanduser().resolve())
    return str((data or data_dir()) / "warehouse")


def _whole_days(name: str, default: int, least: int) -> int:
    value = os.environ.get(name, str(default))
    try:
        days = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if days < least:
        raise ValueError(f"{name} must be {least} or more, not {days}")
    return days


def refit_every_days() -> int:
    """`ENERGY_ASSETS_REFIT_EVERY_DAYS`: the MLX load model's (the LightGBM's while young), at least
    1 (default 1: every day)."""
    return _whole_days("ENERGY_ASSETS_REFIT_EVERY_DAYS", 1, 1)


def load_training_days() -> int:
    """`ENERGY_ASSETS_LOAD_TRAINING_DAYS`, at least 14 (default `LOAD_TRAINING_DAYS`)."""
    return _whole_days("ENERGY_ASSETS_LOAD_TRAINING_DAYS", LOAD_TRAINING_DAYS, 14)


def load_lightgbm_refit_every_days() -> int:
    """`ENERGY_ASSETS_LOAD_LIGHTGBM_REFIT_EVERY_DAYS`, at least 1 (default
    `LOAD_LIGHTGBM_REFIT_EVERY_DAYS`): how often the load LightGBM is trained."""
    return _whole_days(
        "ENERGY_ASSETS_LOAD_LIGHTGBM_REFIT_EVERY_DAYS", LOAD_LIGHTGBM_REFIT_EVERY_DAYS, 1
    )


def load_lightgbm_young_history_days() -> int:
    """`ENERGY_ASSETS_LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS`, at least 0 (default
    `LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS`): the load LightGBM is trained every `refit_every_days`
    (the MLX load model's cadence) while its fit day's window holds fewer stored days."""
    return _whole_days(
        "ENERGY_ASSETS_LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS", LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS, 0
    )


def carbon_training_days() -> int:
    """`ENERGY_ASSETS_CARBON_TRAINING_DAYS`, at least 14 (default `CARBON_TRAINING_DAYS`)."""
    return _whole_days("ENERGY_ASSETS_CARBON_TRAINING_DAYS", CARBON_TRAINING_DAYS, 14)


def carbon_refit_every_days() -> int:
    """`ENERGY_ASSETS_CARBON_REFIT_EVERY_DAYS`, at least 1 (default `CARBON_REFIT_EVERY_DAYS`)."""
    return _whole_days("ENERGY_ASSETS_CARBON_REFIT_EVERY_DAYS", CARBON_REFIT_EVERY_DAYS, 1)


def carbon_young_history_days() -> int:
    """`ENERGY_ASSETS_CARBON_YOUNG_HISTORY_DAYS`, at least 0 (default `CARBON_YOUNG_HISTORY_DAYS`):
    the carbon models are trained every `carbon_young_refit_every_days` days while their fit
    day's window holds fewer days."""
    return _whole_days("ENERGY_ASSETS_CARBON_YOUNG_HISTORY_DAYS", CARBON_YOUNG_HISTORY_DAYS, 0)


def carbon_fuel_mix() -> bool:
    """`ENERGY_ASSETS_CARBON_FUEL_MIX`: 1 (on) or 0 (off, the default): whether the UTC-day direct
    carbon model trains its fuel-mix member."""
    value = os.environ.get("ENERGY_ASSETS_CARBON_FUEL_MIX", "0").strip()
    if value not in ("0", "1"):
        raise ValueError(f"ENERGY_ASSETS_CARBON_FUEL_MIX must be 0 or 1, not {value!r}")
    return value == "1"


def carbon_fuel_mix_refit_every_days() -> int:
    """`ENERGY_ASSETS_CARBON_FUEL_MIX_REFIT_EVERY_DAYS`, at least 1 (default
    `FUEL_MIX_REFIT_EVERY_DAYS`): how often the fuel-mix member is trained; the carbon fits
    between keep the member of the latest member fit."""
    return _whole_days(
        "ENERGY_ASSETS_CARBON_FUEL_MIX_REFIT_EVERY_DAYS", FUEL_MIX_REFIT_EVERY_DAYS, 1
    )


def carbon_young_refit_every_days() -> int:
    """`ENERGY_ASSETS_CARBON_YOUNG_REFIT_EVERY_DAYS`, at least 1 (default
    `CARBON_YOUNG_REFIT_EVERY_DAYS`): how often the carbon models are trained while young."""
    return _whole_days(
        "ENERGY_ASSETS_CARBON_YOUNG_REFIT_EVERY_DAYS", CARBON_YOUNG_REFIT_EVERY_DAYS, 1
    )


def grid_provider_preference() -> dict[str, str]:
    """`ENERGY_ASSETS_GRID_PROVIDERS` as {region: provider}; a malformed entry is an error."""
    value = os.environ.get("ENERGY_ASSETS_GRID_PROVIDERS", "").strip()
    out: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in value.split(","))):
        region, sep, provider = entry.partition("=")
        if not sep or not region.strip() or not provider.strip():
            raise ValueError(
                f"ENERGY_ASSETS_GRID_PROVIDERS entries are REGION=provider, not {entry!r}"
            )
        out[region.strip()] = provider.strip()
    return out
