"""The Parquet-per-partition warehouse: atomic replacement, concurrent writers, a writer killed
mid-write, DuckDB views, an fsspec URL root, and the IO manager's missing-upstream errors."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from energy_assets.defs_support.warehouse import WarehouseIOManager, missing_upstream_message
from energy_assets.warehouse import TableName, Warehouse

TABLE = TableName("harmonized", "grid_hourly")


def _frame(day: str, value: float, rows: int = 24) -> pl.DataFrame:
    start = dt.datetime.fromisoformat(f"{day}T08:00:00+00:00")
    return pl.DataFrame(
        {
            "region": ["CAISO"] * rows,
            "market_date": [dt.date.fromisoformat(day)] * rows,
            "interval_start_utc": [start + dt.timedelta(hours=h) for h in range(rows)],
            "demand_mw": [value] * rows,
        },
        schema_overrides={"interval_start_utc": pl.Datetime("us", "UTC")},
    )


def _part(day: str) -> dict[str, str]:
    return {"region": "CAISO", "date": day}


def test_partition_round_trip_keeps_types_and_layout(tmp_path):
    warehouse = Warehouse(tmp_path)
    frame = _frame("2020-07-01", 1.0)
    path = warehouse.write(TABLE, _part("2020-07-01"), frame)
    assert path.endswith("harmonized/grid_hourly/region=CAISO/date=2020-07-01/data.parquet")
    loaded, missing = warehouse.read(TABLE, [_part("2020-07-01"), _part("2020-07-02")])
    assert loaded.equals(frame)
    assert loaded.schema["interval_start_utc"] == pl.Datetime("us", "UTC")
    assert loaded.schema["market_date"] == pl.Date  # never text compared as strings
    assert missing == [_part("2020-07-02")]


def test_replacing_a_partition_replaces_it_whole(tmp_path):
    warehouse = Warehouse(tmp_path)
    warehouse.write(TABLE, _part("2020-07-01"), _frame("2020-07-01", 1.0, rows=25))
    warehouse.write(TABLE, _part("2020-07-02"), _frame("2020-07-02", 5.0))
    warehouse.write(TABLE, _part("2020-07-01"), _frame("2020-07-01", 2.0, rows=23))
    counts = warehouse.query(
        "select market_date, count(*) as n, max(demand_mw) as mw from harmonized.grid_hourly"
        " group by 1 order by 1"
    )
    assert counts.rows() == [(dt.date(2020, 7, 1), 23, 2.0), (dt.date(2020, 7, 2), 24, 5.0)]


def test_an_empty_frame_is_refused_and_the_stored_partition_kept(tmp_path):
    warehouse = Warehouse(tmp_path)
    warehouse.write(TABLE, _part("2020-07-01"), _frame("2020-07-01", 1.0))
    with pytest.raises(ValueError, match="no rows"):
        warehouse.write(TABLE, _part("2020-07-01"), _frame("2020-07-01", 1.0).head(0))
    assert warehouse.read(TABLE, [_part("2020-07-01")])[0].height == 24


def test_catalog_file_holds_views_for_the_duckdb_shell(tmp_path):
    import duckdb

    warehouse = Warehouse(tmp_path / "warehouse")
    warehouse.write(TABLE, _part("2020-07-01"), _frame("2020-07-01", 1.0))
    catalog = warehouse.write_catalog(tmp_path / "warehouse.duckdb")
    warehouse.write(TABLE, _part("2020-07-02"), _frame("2020-07-02", 1.0))
    with duckdb.connect(str(catalog), read_only=True) as con:
        # the view globs the files at query time: a partition written later is seen
        assert con.execute("select count(*) from harmonized.grid_hourly").fetchone()[0] == 48


def test_an_fsspec_url_root_works_the_same(tmp_path):
    warehouse = Warehouse(f"file://{tmp_path}/store")
    warehouse.write(TABLE, _part("2020-07-01"), _frame("2020-07-01", 3.0))
    assert warehouse.tables() == [TABLE]
    assert warehouse.read(TABLE, [_part("2020-07-01")])[0]["demand_mw"].max() == 3.0
    assert warehouse.query("select sum(demand_mw) as s from harmonized.grid_hourly")["s"][0] == 72


_WRITER = textwrap.dedent(
    """
    import sys, time, datetime as dt
    import polars as pl
    from energy_assets.warehouse import TableName, Warehouse

    root, mode = sys.argv[1], sys.argv[2]
    table = TableName("harmonized", "grid_hourly")
    part = {"region": "CAISO", "date": "2020-07-01"}
    frame = pl.DataFrame({"region": ["CAISO"] * 200_000,
                          "market_date": [dt.date(2020, 7, 1)] * 200_000,
                          "demand_mw": [2.0] * 200_000})
    import os
    if mode == "before-rename":
        # the new version fully written to its temporary file, killed before the rename
        def hang(tmp, target):
            print("written", flush=True)
            time.sleep(600)
        os.replace = hang
    else:
        # killed while the bytes are still being written
        real_fdopen = os.fdopen
        class Slow:
            def __init__(self, handle): self.handle = handle
            def __enter__(self): return self
            def __exit__(self, *exc): return self.handle.__exit__(*exc)
            def write(self, data):
                self.handle.write(data[: len(data) // 2]); self.handle.flush()
                print("written", flush=True)
                time.sleep(600)
            def flush(self): self.handle.flush()
            def fileno(self): return self.handle.fileno()
        os.fdopen = lambda fd, mode="r", *a, **k: Slow(real_fdopen(fd, mode, *a, **k))
    Warehouse(root).write(table, part, frame)
    """
)


@pytest.mark.parametrize("mode", ["mid-write", "before-rename"])
def test_a_writer_killed_mid_write_leaves_the_previous_version(tmp_path, mode):
    warehouse = Warehouse(tmp_path)
    before = _frame("2020-07-01", 1.0)
    warehouse.write(TABLE, _part("2020-07-01"), before)
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path), mode],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert proc.stdout.readline().strip() == "written"
        assert list(tmp_path.rglob("*.tmp")), "the writer should be holding a temporary file"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    after, missing = warehouse.read(TABLE, [_part("2020-07-01")])
    assert missing == [] and after.equals(before)
    # the half-written temporary file is not part of any table
    assert warehouse.query("select count(*) as n from harmonized.grid_hourly")["n"][0] == 24


def test_concurrent_writers_of_different_partitions_need_no_lock(tmp_path):
    script = textwrap.dedent(
        """
        import sys, datetime as dt
        import polars as pl
        from energy_assets.warehouse import TableName, Warehouse
        w = Warehouse(sys.argv[1]); t = TableName("harmonized", "grid_hourly")
        for day in sys.argv[2:]:
            for version in range(5):
                w.write(t, {"region": "CAISO", "date": day}, pl.DataFrame(
                    {"region": ["CAISO"] * 24, "market_date": [dt.date.fromisoformat(day)] * 24,
                     "demand_mw": [float(version)] * 24}))
        """
    )
    days = [f"2020-07-{d:02d}" for d in range(1, 9)]
    began = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), *days[k::2]])
        for k in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert time.perf_counter() - began < 120
    stored = Warehouse(tmp_path).query(
        "select market_date, count(*) as n, min(demand_mw) as v from harmonized.grid_hourly"
        " group by 1 order by 1"
    )
    assert stored["n"].to_list() == [24] * 8 and set(stored["v"]) == {4.0}


def test_io_manager_names_a_missing_same_day_partition(tmp_path):
    """A step whose own day's upstream partition was never materialized fails, naming it."""

    @dg.asset(
        key=["harmonized", "grid_hourly"],
        partitions_def=dg.DailyPartitionsDefinition("2020-07-01", end_date="2020-07-05"),
    )
    def upstream() -> pl.DataFrame:
        return pl.DataFrame({"x": [1]})

    @dg.asset(
        key=["features", "load_features"],
        ins={"grid": dg.AssetIn(key=["harmonized", "grid_hourly"])},
        partitions_def=dg.DailyPartitionsDefinition("2020-07-01", end_date="2020-07-05"),
    )
    def downstream(grid: pl.DataFrame) -> pl.DataFrame:
        return grid

    result = dg.materialize(
        [upstream.to_source_asset(), downstream],
        partition_key="2020-07-02",
        resources={"io_manager": WarehouseIOManager(root=str(tmp_path))},
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    text = failure.step_failure_data.error.to_string()
    assert "harmonized/grid_hourly" in text and "never materialized" in text


def test_missing_upstream_message_names_asset_days_and_job():
    message = missing_upstream_message(
        "forecasts/load_day_ahead partition 2020-09-22|CAISO (input `lightgbm`)",
        dg.AssetKey(["forecasts", "load_day_ahead_lightgbm"]),
        [_part("2020-09-22")],
    )
    assert message == (
        "forecasts/load_day_ahead partition 2020-09-22|CAISO (input `lightgbm`): upstream"
        " forecasts/load_day_ahead_lightgbm has no partition for CAISO 2020-09-22 (never"
        " materialized, or its run failed). Materialize forecasts/load_day_ahead_lightgbm for"
        " that day first (day_ahead_job)."
    )


def test_every_missing_upstream_message_names_a_job_that_builds_the_asset():
    """The price, ISO, reconciliation and report assets are not in their layer's job: the
    message sends the user to a job that has the asset, for every asset some job builds."""
    from energy_assets.definitions import defs

    jobs: dict[dg.AssetKey, set[str]] = {}
    for job in defs.resolve_all_job_defs():
        if not job.name.startswith("__"):
            for key in job.asset_layer.selected_asset_keys:
                jobs.setdefault(key, set()).add(job.name)
    wrong = {}
    for key, names in jobs.items():
        message = missing_upstream_message("x", key, [_part("2020-09-22")])
        hint = message.rsplit("(", 1)[1].removesuffix(").")
        if hint not in names:
            wrong[key.to_user_string()] = (hint, sorted(names))
    assert len(jobs) > 90 and not wrong, wrong
    price = missing_upstream_message(
        "features/price_features partition 2016-12-28|PJM (input `exogenous`)",
        dg.AssetKey(["harmonized", "price_exogenous_forecasts"]),
        [{"date": "2016-12-28", "region": "PJM"}],
    )
    assert price.endswith("for that day first (price_ingest_job).")


def test_tables_lists_only_tables_with_files(tmp_path):
    warehouse = Warehouse(tmp_path)
    assert warehouse.tables() == []
    (Path(tmp_path) / "features" / "load_features").mkdir(parents=True)
    warehouse.write(TABLE, _part("2020-07-01"), _frame("2020-07-01", 1.0))
    assert warehouse.tables() == [TABLE]


def test_a_ranges_frame_is_split_into_each_partitions_rows_in_one_pass():
    """A range's frame, concatenated from its days' frames (a chunk per day in every column),
    gives each partition exactly its own rows in their order, and an absent partition none
    (the IO manager then refuses the range, naming it)."""
    from energy_assets.defs_support.warehouse import _split_rows

    days = [(dt.date(2020, 1, 1) + dt.timedelta(days=k)).isoformat() for k in range(40)]
    frames = []
    for k, day in enumerate(days):
        frames.append(_frame(day, float(k), rows=23 if k == 3 else 24))
        frames.append(_frame(day, float(k)).with_columns(pl.lit("ERCOT").alias("region")))
    frame = pl.concat(frames)
    assert frame.n_chunks() == 80
    parts = [_part(day) for day in days] + [_part("2020-03-01")]
    rows = _split_rows(parts, frame)
    for part, got in zip(parts[:-1], rows, strict=False):
        expected = frame.filter(
            pl.col("region") == "CAISO",
            pl.col("market_date") == dt.date.fromisoformat(part["date"]),
        )
        assert got.equals(expected)
    assert rows[3].height == 23
    assert rows[-1].is_empty() and rows[-1].schema == frame.schema
