"""Resources: the HTTP client (transport chosen by configuration), the payload archive, the
model store and the warehouse. Everything that touches I/O is here, so moving to another
warehouse or object store is configuration, not a rewrite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from energy_assets import settings
from energy_assets.archive import PayloadArchive
from energy_assets.defs.warehouse import WarehouseIOManager
from energy_assets.sources.http_client import HttpClient

TRANSPORTS = ("live", "replay", "record")


class HttpResource(dg.ConfigurableResource):
    """HTTP client for every provider. `transport`: `live` (the real services), `replay` (serve
    recorded payloads from `recordings_dir`, never the network), or `record` (live, and write what
    came back in replay layout). API keys come from the environment, never from config."""

    transport: str = "replay"
    recordings_dir: str | None = None

    @contextmanager
    def client(self) -> Iterator[HttpClient]:
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {TRANSPORTS}, not {self.transport!r}")
        recordings = Path(self.recordings_dir) if self.recordings_dir else settings.recordings_dir()
        with HttpClient(mode=self.transport, recordings_dir=recordings) as client:  # type: ignore[arg-type]
            yield client


class ArchiveResource(dg.ConfigurableResource):
    """Content-addressed archive of every raw payload (default `data/raw_archive`)."""

    root: str | None = None

    def archive(self) -> PayloadArchive:
        return PayloadArchive(Path(self.root) if self.root else settings.data_dir() / "raw_archive")


class ModelStoreResource(dg.ConfigurableResource):
    """Where model artifacts (default `data/models`) and schedule plots (`data/plots`) go."""

    root: str | None = None

    def path(self) -> Path:
        return Path(self.root) if self.root else settings.data_dir() / "models"

    def plots_path(self) -> Path:
        return self.path().parent / "plots"


class WarehouseResource(dg.ConfigurableResource):
    """Read access to the DuckDB warehouse the IO manager writes, for assets that query across
    partitions (roll-ups). Writes go through the IO manager only."""

    database: str

    def query(self, sql: str, parameters: list | None = None) -> pl.DataFrame:
        """Run `sql` on a read-only connection; an absent warehouse file is an error."""
        path = Path(self.database)
        if not path.exists():
            raise FileNotFoundError(f"warehouse {path} does not exist yet")
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(sql, parameters or []).pl()


def default_resources(
    data_dir: Path | None = None, recordings_dir: Path | None = None, transport: str | None = None
) -> dict[str, object]:
    """Resources; what is not given comes from the environment: `ENERGY_ASSETS_DATA`,
    `ENERGY_ASSETS_RECORDINGS`, `ENERGY_ASSETS_TRANSPORT` (default `replay`). In `record` mode,
    payloads are recorded under `<data>/recordings`, never into the shared recordings."""
    data = Path(data_dir) if data_dir else settings.data_dir()
    transport = transport or os.environ.get("ENERGY_ASSETS_TRANSPORT", "replay")
    if transport == "record":
        recordings = data / "recordings"
    else:
        recordings = Path(recordings_dir) if recordings_dir else settings.recordings_dir()
    return {
        "io_manager": WarehouseIOManager(database=str(data / "warehouse.duckdb")),
        "warehouse": WarehouseResource(database=str(data / "warehouse.duckdb")),
        "http": HttpResource(transport=transport, recordings_dir=str(recordings)),
        "archive": ArchiveResource(root=str(data / "raw_archive")),
        "model_store": ModelStoreResource(root=str(data / "models")),
    }
