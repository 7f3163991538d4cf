"""Resources: the HTTP client (transport chosen by configuration), the payload archive, the
model store and the warehouse. Everything that touches I/O is here, so moving to another
warehouse or object store is configuration, not a rewrite.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from energy_assets import settings
from energy_assets.archive import PayloadArchive
from energy_assets.defs_support.warehouse import WarehouseIOManager
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
from energy_assets.sources.http_client import HttpClient
from energy_assets.warehouse import TableName, Warehouse

TRANSPORTS = ("live", "replay", "record")
EIA_API_KEY_ENV = "EIA_API_KEY"
NREL_API_KEY_ENV = "NREL_API_KEY"


class HttpResource(dg.ConfigurableResource):
    """HTTP client for every provider. `transport`: `live` (the real services), `replay` (serve
    recorded payloads from `recordings_dir`, never the network), or `record` (live, and write what
    came back in replay layout). `datasets_dir`: offline history files (EIA-930, GFS regional
    forecasts) that replay serves for providers whose history is a bulk file rather than recorded
    responses. `eia_api_key`: the EIA API v2 key for live EIA-930 requests; `default_resources`
    sets it as `dg.EnvVar("EIA_API_KEY")` when that variable is set, so Dagster shows the
    variable's name, never its value. Unset, the provider reads `EIA_API_KEY` itself.
    `nrel_api_key`: NREL's key for live PVWatts requests (`harmonized/pv_profile`), the same
    way (`NREL_API_KEY`)."""

    transport: str = "replay"
    recordings_dir: str | None = None
    datasets_dir: str | None = None
    eia_api_key: str | None = None
    nrel_api_key: str | None = None

    @contextmanager
    def client(self) -> Iterator[HttpClient]:
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {TRANSPORTS}, not {self.transport!r}")
        recordings = Path(self.recordings_dir) if self.recordings_dir else settings.recordings_dir()
        with HttpClient(mode=self.transport, recordings_dir=recordings) as client:  # type: ignore[arg-type]
            yield client

    def datasets(self) -> Path:
        return Path(self.datasets_dir) if self.datasets_dir else settings.datasets_dir()

    def api_keys(self) -> dict[str, str]:
        """API keys by the environment variable they stand for (`FeedSource.keys`). Not named
        `keys`: Dagster reads a resource with `dict(self)`, which would take it for a mapping."""
        keys = {EIA_API_KEY_ENV: self.eia_api_key, NREL_API_KEY_ENV: self.nrel_api_key}
        return {name: key for name, key in keys.items() if key}


class ArchiveResource(dg.ConfigurableResource):
    """Content-addressed archive of every raw payload (default `data/raw_archive`)."""

    root: str | None = None

    def archive(self) -> PayloadArchive:
        return PayloadArchive(Path(self.root) if self.root else settings.data_dir() / "raw_archive")


class ModelStoreResource(dg.ConfigurableResource):
    """Where model artifacts (default `data/models`) and schedule plots (`data/plots`) go, and
    how often the MLX load model is trained: `refit_every_days` (1: every day; 7: on the days
    `REFIT_EPOCH` + 7k, each other day reusing the model of the latest such day); how many days
    the load LightGBM learns from (`load_training_days`; the MLX model learns from D-56..D-2)
    and how often it is trained (`load_lightgbm_refit_every_days`; every `refit_every_days`
    while the fit day's window holds fewer than `load_lightgbm_young_history_days` stored
    days), chosen in `models/quantile_lgbm.py`; how many days
    the carbon models learn from (`carbon_training_days`, the window D-N..D-2) and how often
    they are trained (`carbon_refit_every_days`; every `carbon_young_refit_every_days` while
    the fit day's window holds fewer than `carbon_young_history_days` stored days), chosen in
    `models/carbon_lgbm.py`."""

    root: str | None = None
    refit_every_days: int = 1
    load_training_days: int = LOAD_TRAINING_DAYS
    load_lightgbm_refit_every_days: int = LOAD_LIGHTGBM_REFIT_EVERY_DAYS
    load_lightgbm_young_history_days: int = LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS
    carbon_training_days: int = CARBON_TRAINING_DAYS
    carbon_refit_every_days: int = CARBON_REFIT_EVERY_DAYS
    carbon_young_history_days: int = CARBON_YOUNG_HISTORY_DAYS
    carbon_young_refit_every_days: int = CARBON_YOUNG_REFIT_EVERY_DAYS
    # the UTC-day direct model's fuel-mix member (`models/fuel_mix_lgbm.py`): off by default
    carbon_fuel_mix: bool = False
    carbon_fuel_mix_refit_every_days: int = FUEL_MIX_REFIT_EVERY_DAYS

    def path(self) -> Path:
        return Path(self.root) if self.root else settings.data_dir() / "models"

    def plots_path(self) -> Path:
        return self.path().parent / "plots"


class WarehouseResource(DuckDBResource):
    """DuckDB over the warehouse the IO manager writes (one view per table, `layer.dataset`),
    for assets that query across partitions (roll-ups). Writes go through the IO manager only.
    `database` is DuckDB's own (in memory by default); `root` is the warehouse folder or URL."""

    root: str
    database: str = ":memory:"

    def query(self, sql: str, parameters: list | None = None) -> pl.DataFrame:
        """Run `sql` with a view per stored table; an absent table is `duckdb.CatalogException`."""
        warehouse = Warehouse(self.root)
        with self.get_connection() as con:
            if not warehouse.local:
                con.register_filesystem(warehouse.fs)
            for statement in warehouse.view_statements():
                con.execute(statement)
            return con.execute(sql, parameters or []).pl()

    def read_days(
        self, key: dg.AssetKey | Sequence[str], region: str, days: Sequence[dt.date]
    ) -> tuple[pl.DataFrame, list[dt.date]]:
        """The stored partitions of asset `key` for `region` on `days` (a trailing window), and
        the days that have none. An asset reads the window it declares this way; a backfill has
        written those days in an earlier step or run (see `energy_assets/partitions.py`)."""
        path = key.path if isinstance(key, dg.AssetKey) else list(key)
        frame, missing = Warehouse(self.root).read(
            TableName(*path), [{"region": region, "date": d.isoformat()} for d in days]
        )
        return frame, [dt.date.fromisoformat(p["date"]) for p in missing]


def default_resources(
    data_dir: Path | None = None, recordings_dir: Path | None = None, transport: str | None = None
) -> dict[str, object]:
    """Resources; what is not given comes from the environment: `ENERGY_ASSETS_DATA`,
    `ENERGY_ASSETS_WAREHOUSE` (default `<data>/warehouse`; a folder or an fsspec URL such as
    `s3://bucket/prefix`), `ENERGY_ASSETS_RECORDINGS`, `ENERGY_ASSETS_TRANSPORT` (default
    `replay`), `EIA_API_KEY` and `NREL_API_KEY` (passed as `EnvVar`s: resolved when a run starts,
    and shown as the variable's name in the UI). In `record` mode, payloads are recorded under `<data>/recordings`,
    never into the shared recordings."""
    data = Path(data_dir) if data_dir else settings.data_dir()
    warehouse = settings.warehouse_root(data)
    transport = transport or os.environ.get("ENERGY_ASSETS_TRANSPORT", "replay")
    if transport == "record":
        recordings = data / "recordings"
    else:
        recordings = Path(recordings_dir) if recordings_dir else settings.recordings_dir()
    return {
        "io_manager": WarehouseIOManager(root=warehouse, catalog=str(data / "warehouse.duckdb")),
        "warehouse": WarehouseResource(root=warehouse),
        "http": HttpResource(
            transport=transport,
            recordings_dir=str(recordings),
            # an EnvVar only when set: an unset EnvVar fails every run at resource init, replay too
            eia_api_key=dg.EnvVar(EIA_API_KEY_ENV) if os.environ.get(EIA_API_KEY_ENV) else None,
            nrel_api_key=dg.EnvVar(NREL_API_KEY_ENV) if os.environ.get(NREL_API_KEY_ENV) else None,
        ),
        "archive": ArchiveResource(root=str(data / "raw_archive")),
        "model_store": ModelStoreResource(
            root=str(data / "models"),
            refit_every_days=settings.refit_every_days(),
            load_training_days=settings.load_training_days(),
            load_lightgbm_refit_every_days=settings.load_lightgbm_refit_every_days(),
            load_lightgbm_young_history_days=settings.load_lightgbm_young_history_days(),
            carbon_training_days=settings.carbon_training_days(),
            carbon_refit_every_days=settings.carbon_refit_every_days(),
            carbon_young_history_days=settings.carbon_young_history_days(),
            carbon_young_refit_every_days=settings.carbon_young_refit_every_days(),
            carbon_fuel_mix=settings.carbon_fuel_mix(),
            carbon_fuel_mix_refit_every_days=settings.carbon_fuel_mix_refit_every_days(),
        ),
    }
