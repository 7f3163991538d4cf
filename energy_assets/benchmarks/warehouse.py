"""Warehouse benchmark: one Parquet file per asset partition against one DuckDB file.

    energy-assets benchmark warehouse [--days 730] [--rows 24]

What a backfill does to its warehouse, measured both ways on the same frames (an hourly table of
`--rows` rows and 20 float columns per day, like `harmonized/grid_hourly`):

- **write**: every day's partition written once, then re-written (a re-materialization), one
  process. DuckDB: the previous IO manager's way, delete the partition's rows and insert the new
  ones in one transaction. Parquet: `Warehouse.write` (temporary file, fsync, rename).
- **window read**: a model's 55-day training window (D-56..D-2), for 100 days.
- **roll-up**: `select count(*), avg(...)` over the whole table, as the reports do.
- **two writers**: two processes each writing half of the days at once. DuckDB allows one writer
  process per database file: the second fails on the file lock (the old graph serialized every
  writing step through a pool of 1 for that reason). Parquet: both finish.

The last line: `warehouse parquet_write_ms=<> duckdb_write_ms=<> parquet_window_ms=<>
duckdb_window_ms=<> two_writers_parquet=<ok|failed> two_writers_duckdb=<ok|failed>`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from energy_assets.warehouse import TableName, Warehouse

TABLE = TableName("harmonized", "grid_hourly")
FIRST = dt.date(2019, 1, 1)


def _frame(day: dt.date, rows: int) -> pl.DataFrame:
    rng = np.random.default_rng(day.toordinal())
    start = dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC)
    return pl.DataFrame(
        {
            "region": ["CAISO"] * rows,
            "market_date": [day] * rows,
            "interval_start_utc": [start + dt.timedelta(hours=h) for h in range(rows)],
            **{f"value_{k}_mw": rng.normal(1000, 100, rows) for k in range(20)},
        },
        schema_overrides={"interval_start_utc": pl.Datetime("us", "UTC")},
    )


def _days(n: int) -> list[dt.date]:
    return [FIRST + dt.timedelta(days=k) for k in range(n)]


def _duckdb_write(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, day: dt.date) -> None:
    con.execute("begin transaction")
    con.execute(
        "delete from harmonized.grid_hourly where region = ? and market_date = ?", ["CAISO", day]
    )
    con.execute("insert into harmonized.grid_hourly select * from frame")
    con.execute("commit")


def _duckdb_create(path: Path, frame: pl.DataFrame) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists harmonized")
        con.execute(
            "create table if not exists harmonized.grid_hourly as select * from frame limit 0"
        )


def _writer(args: tuple[str, str, list[dt.date], int]) -> str:
    kind, target, days, rows = args
    try:
        if kind == "parquet":
            warehouse = Warehouse(target)
            for day in days:
                warehouse.write(
                    TABLE, {"region": "CAISO", "date": day.isoformat()}, _frame(day, rows)
                )
        else:
            with duckdb.connect(target) as con:
                for day in days:
                    _duckdb_write(con, _frame(day, rows), day)
                    time.sleep(0.001)
        return "ok"
    except Exception as error:  # the point is to report the failure
        return f"failed ({type(error).__name__}: {str(error).splitlines()[0][:120]})"


def run_benchmark(n_days: int, rows: int, work: Path) -> dict[str, object]:
    days = _days(n_days)
    frames = {d: _frame(d, rows) for d in days}
    out: dict[str, object] = {"days": n_days, "rows_per_day": rows}

    parquet = Warehouse(work / "parquet")
    began = time.perf_counter()
    for _ in range(2):
        for d in days:
            parquet.write(TABLE, {"region": "CAISO", "date": d.isoformat()}, frames[d])
    out["parquet_write_ms"] = 1000 * (time.perf_counter() - began) / (2 * n_days)

    db = work / "warehouse.duckdb"
    _duckdb_create(db, frames[days[0]])
    with duckdb.connect(str(db)) as con:
        began = time.perf_counter()
        for _ in range(2):
            for d in days:
                _duckdb_write(con, frames[d], d)
        out["duckdb_write_ms"] = 1000 * (time.perf_counter() - began) / (2 * n_days)

    targets = days[56 : 56 + 100]
    began = time.perf_counter()
    for d in targets:
        window = [
            {"region": "CAISO", "date": (d - dt.timedelta(days=k)).isoformat()}
            for k in range(2, 57)
        ]
        parquet.read(TABLE, window)
    out["parquet_window_ms"] = 1000 * (time.perf_counter() - began) / len(targets)
    with duckdb.connect(str(db), read_only=True) as con:
        began = time.perf_counter()
        for d in targets:
            con.execute(
                "select * from harmonized.grid_hourly where region = ? and market_date between ? and ?",
                ["CAISO", d - dt.timedelta(days=56), d - dt.timedelta(days=2)],
            ).pl()
        out["duckdb_window_ms"] = 1000 * (time.perf_counter() - began) / len(targets)

    sql = "select count(*), avg(value_0_mw) from harmonized.grid_hourly"
    began = time.perf_counter()
    parquet.query(sql)
    out["parquet_rollup_ms"] = 1000 * (time.perf_counter() - began)
    with duckdb.connect(str(db), read_only=True) as con:
        began = time.perf_counter()
        con.execute(sql).fetchall()
        out["duckdb_rollup_ms"] = 1000 * (time.perf_counter() - began)

    halves = [days[0::2], days[1::2]]
    ctx = multiprocessing.get_context("spawn")
    for kind, target in (("parquet", str(work / "parquet2")), ("duckdb", str(db))):
        with ctx.Pool(2) as pool:
            results = pool.map(_writer, [(kind, target, half, rows) for half in halves])
        out[f"two_writers_{kind}"] = (
            "ok" if results == ["ok", "ok"] else "; ".join(r for r in results if r != "ok")
        )
    out["parquet_bytes"] = sum(p.stat().st_size for p in (work / "parquet").rglob("*.parquet"))
    out["duckdb_bytes"] = db.stat().st_size
    return out


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--days", type=int, default=730, help="partitions (days) to write")
    parser.add_argument("--rows", type=int, default=24, help="rows per partition (24: hourly)")
    return parser


def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="energy-assets-warehouse-bench-"))
    try:
        r = run_benchmark(args.days, args.rows, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| | Parquet per partition | one DuckDB file |")
    print("|---|---|---|")
    print(
        f"| write a partition (ms, mean of {2 * r['days']}) | {r['parquet_write_ms']:.2f} | {r['duckdb_write_ms']:.2f} |"
    )
    print(
        f"| read a 55-day window (ms) | {r['parquet_window_ms']:.2f} | {r['duckdb_window_ms']:.2f} |"
    )
    print(
        f"| roll-up over every day (ms) | {r['parquet_rollup_ms']:.1f} | {r['duckdb_rollup_ms']:.1f} |"
    )
    print(
        f"| two writer processes at once | {r['two_writers_parquet']} | {r['two_writers_duckdb']} |"
    )
    print(f"| bytes on disk | {r['parquet_bytes']:,} | {r['duckdb_bytes']:,} |")
    ok = lambda v: "ok" if v == "ok" else "failed"  # noqa: E731
    print(
        f"warehouse parquet_write_ms={r['parquet_write_ms']:.2f}"
        f" duckdb_write_ms={r['duckdb_write_ms']:.2f}"
        f" parquet_window_ms={r['parquet_window_ms']:.2f}"
        f" duckdb_window_ms={r['duckdb_window_ms']:.2f}"
        f" two_writers_parquet={ok(r['two_writers_parquet'])}"
        f" two_writers_duckdb={ok(r['two_writers_duckdb'])}"
    )
    return 0
