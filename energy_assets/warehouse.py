"""The warehouse: one Parquet file per asset partition, DuckDB views over them.

Layout (Hive-style, one folder per partition dimension value), under a root that is a local
folder or any fsspec URL (`s3://bucket/prefix`, `gs://...`, `file:///...`):

    <root>/<layer>/<dataset>/region=<region>/date=<YYYY-MM-DD>/data.parquet   (partitioned)
    <root>/<layer>/<dataset>/data.parquet                                      (unpartitioned)

Why this and not one DuckDB file: DuckDB allows one writer process per database file, so every
run that wrote the warehouse had to wait for every other (a pool of limit 1: a UI backfill ran
one run at a time). Here each partition is its own file: runs of different partitions write at
once with no lock, and a partition is replaced whole by writing a temporary file beside it and
renaming it over the old one (atomic on a local file system; a single PUT on an object store),
so a reader sees the old version or the new one, never half of either, and a process killed
mid-write leaves the previous version in place. DuckDB stays the engine people query: `connect()`
creates one view per table (`layer.dataset`, e.g. `evaluation.load_forecast_score`) over its
files, so SQL written for the old single-file warehouse keeps working; `write_catalog()` stores
those views in a small DuckDB file (`data/warehouse.duckdb`) for the `duckdb` shell.

Timestamps are stored as Parquet UTC timestamps and `date` columns as dates, so what is read back
has the types that were written (no text dates compared as strings).
"""

from __future__ import annotations

import io
import os
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import fsspec
import polars as pl
from fsspec.implementations.local import LocalFileSystem

from energy_assets.atomic import write_atomic

DATA_FILE = "data.parquet"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class TableName:
    layer: str
    dataset: str

    def __post_init__(self) -> None:
        for part in (self.layer, self.dataset):
            if not _NAME.match(part):
                raise ValueError(f"warehouse table names are lower_snake_case, not {part!r}")

    def __str__(self) -> str:
        return f"{self.layer}.{self.dataset}"


Partition = Mapping[str, str]  # dimension -> key, e.g. {"region": "CAISO", "date": "2020-07-01"}


def _dimension_order(partition: Partition) -> list[str]:
    return sorted(partition, key=lambda d: (d != "region", d != "date", d))


class Warehouse:
    """Read and write asset partitions under `root` (a folder or an fsspec URL)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root_url = str(root)
        self.fs, root_path = fsspec.core.url_to_fs(self.root_url)
        self.root = root_path.rstrip("/")
        self.local = isinstance(self.fs, LocalFileSystem)

    # -- paths ---------------------------------------------------------------------------------

    def table_dir(self, table: TableName) -> str:
        return f"{self.root}/{table.layer}/{table.dataset}"

    def partition_file(self, table: TableName, partition: Partition | None) -> str:
        """`region=<r>/date=<d>/data.parquet`: `region` first, so one region's history is one
        folder; any other dimension after, in sorted order."""
        folders = "".join(f"/{dim}={partition[dim]}" for dim in _dimension_order(partition or {}))
        return f"{self.table_dir(table)}{folders}/{DATA_FILE}"

    # -- writes --------------------------------------------------------------------------------

    def write(self, table: TableName, partition: Partition | None, frame: pl.DataFrame) -> str:
        """Replace the partition with `frame`, atomically. An empty frame is refused before
        anything is touched, so what is stored is never replaced by nothing."""
        if frame.is_empty():
            raise ValueError(
                f"refusing to replace {table} partition {partition or ''} with no rows"
            )
        buffer = io.BytesIO()
        frame.write_parquet(buffer, compression="zstd", statistics=True)
        target = self.partition_file(table, partition)
        self._put_atomic(target, buffer.getvalue())
        return target

    def _put_atomic(self, target: str, data: bytes) -> None:
        if self.local:
            write_atomic(Path(target), data)  # temporary file beside it, fsync, rename
        else:
            self.fs.pipe_file(target, data)  # an object-store PUT: the old object or the new

    # -- reads ---------------------------------------------------------------------------------

    def exists(self, table: TableName, partition: Partition | None) -> bool:
        return self.fs.exists(self.partition_file(table, partition))

    def read(
        self, table: TableName, partitions: Sequence[Partition] | None
    ) -> tuple[pl.DataFrame, list[Partition]]:
        """The rows of `partitions` (None: the unpartitioned table) and the partitions that have
        no file. Nothing stored at all is an empty frame with no columns."""
        wanted = [None] if partitions is None else list(partitions)
        paths, missing = [], []
        exists = os.path.exists if self.local else self.fs.exists
        for partition in wanted:
            path = self.partition_file(table, partition)
            if exists(path):
                paths.append(path)
            elif partition is not None:
                missing.append(partition)
        if not paths:
            return pl.DataFrame(), missing
        if self.local:
            try:  # one multi-file read while the files share a schema
                return pl.read_parquet(paths), missing
            except (pl.exceptions.SchemaError, pl.exceptions.ComputeError):
                pass  # written by different versions: read one by one, align by name
        frames = [self._read_file(p) for p in paths]
        return pl.concat(frames, how="vertical_relaxed"), missing

    def partition_files(
        self, table: TableName, partitions: Sequence[Partition]
    ) -> tuple[PartitionFiles, list[Partition]]:
        """Like `read`, without reading: each partition's file, read when asked for
        (`PartitionFiles.rows`), and the partitions that have none."""
        exists = os.path.exists if self.local else self.fs.exists
        files, missing = {}, []
        for partition in partitions:
            path = self.partition_file(table, partition)
            if exists(path):
                files[(partition.get("date"), partition.get("region"))] = path
            else:
                missing.append(partition)
        return PartitionFiles(self, files), missing

    def _read_file(self, path: str) -> pl.DataFrame:
        if self.local:
            return pl.read_parquet(path)
        with self.fs.open(path, "rb") as handle:
            return pl.read_parquet(handle)

    def tables(self) -> list[TableName]:
        """Every table with at least one stored partition."""
        out = []
        if not self.fs.exists(self.root):
            return out
        for layer_dir in sorted(self.fs.ls(self.root, detail=False)):
            layer = layer_dir.rstrip("/").rsplit("/", 1)[-1]
            if not _NAME.match(layer) or not self.fs.isdir(layer_dir):
                continue
            for table_dir in sorted(self.fs.ls(layer_dir, detail=False)):
                dataset = table_dir.rstrip("/").rsplit("/", 1)[-1]
                if _NAME.match(dataset) and self._has_files(table_dir):
                    out.append(TableName(layer, dataset))
        return out

    def _has_files(self, table_dir: str) -> bool:
        return bool(self.fs.glob(f"{table_dir}/**/{DATA_FILE}")) or self.fs.exists(
            f"{table_dir}/{DATA_FILE}"
        )

    # -- DuckDB --------------------------------------------------------------------------------

    def _glob(self, table: TableName) -> str:
        base = self.table_dir(table)
        if self.local:
            return f"{base}/**/{DATA_FILE}"
        protocol = self.fs.protocol[0] if isinstance(self.fs.protocol, tuple) else self.fs.protocol
        return f"{protocol}://{base}/**/{DATA_FILE}"

    def view_statements(self, tables: Iterable[TableName] | None = None) -> list[str]:
        statements = []
        for table in self.tables() if tables is None else tables:
            statements.append(f"create schema if not exists {table.layer}")
            statements.append(
                f"create or replace view {table} as select * from read_parquet("
                f"'{self._glob(table)}', union_by_name = true, hive_partitioning = false)"
            )
        return statements

    def connect(self, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with one view per stored table (`layer.dataset`)."""
        con = duckdb.connect(database)
        if not self.local:
            con.register_filesystem(self.fs)
        for statement in self.view_statements():
            con.execute(statement)
        return con

    def query(self, sql: str, parameters: list | None = None) -> pl.DataFrame:
        with self.connect() as con:
            return con.execute(sql, parameters or []).pl()

    def write_catalog(self, path: str | os.PathLike) -> Path:
        """A DuckDB file holding the views (for `duckdb data/warehouse.duckdb`), replaced
        atomically. Only for a local root: views name the files by absolute path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with duckdb.connect(str(tmp)) as con:
                for statement in self.view_statements():
                    con.execute(statement)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
            Path(f"{tmp}.wal").unlink(missing_ok=True)
        return path


class PartitionFiles:
    """A range's input read one partition at a time (a long range of a large table, e.g. two
    years of a fleet's per-home rows, never whole in memory): `rows(date, region)`."""

    def __init__(self, warehouse: Warehouse, files: dict[tuple[str | None, str | None], str]):
        self._warehouse = warehouse
        self._files = files

    def __len__(self) -> int:
        return len(self._files)

    def rows(self, date: str, region: str) -> pl.DataFrame:
        """The partition's rows; an empty frame (no columns) when it has no file."""
        path = self._files.get((date, region))
        return self._warehouse._read_file(path) if path else pl.DataFrame()
