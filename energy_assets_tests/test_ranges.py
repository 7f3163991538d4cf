"""`defs_support/ranges.py`: a body written for one partition serves a backfill's range, validated once,
a bad day named with nothing of the range stored, a provider's request made once per range."""

import datetime as dt
from pathlib import Path

import dagster as dg
import pandera.polars as pa
import polars as pl
import pytest

from energy_assets.defs_support import ranges
from energy_assets.defs_support.ranges import RANGE_POLICY, once_per_step, per_region_day
from energy_assets.defs_support.validation import check_specs, validated_output
from energy_assets.defs_support.warehouse import WarehouseIOManager
from energy_assets.partitions import (
    partition_key,
    partition_keys,
    region_day_partitions,
    region_days,
)
from energy_assets.warehouse import TableName, Warehouse

PARTITIONS = region_day_partitions(["CAISO", "ERCOT"], "2020-01-01")
KEY = dg.AssetKey(["raw", "monthly_feed"])


class Rows(pa.DataFrameModel):
    region: str
    market_date: pl.Date
    value_mw: pl.Float64 = pa.Field(ge=0)


def _asset(requests: list[str], bad_days: set[dt.date]):
    @dg.asset(
        key=KEY,
        partitions_def=PARTITIONS,
        check_specs=check_specs(KEY),
        backfill_policy=RANGE_POLICY,
    )
    @per_region_day()
    def monthly_feed(context: dg.AssetExecutionContext):
        rd = partition_keys(context)
        month = rd.market_date.strftime("%Y-%m")

        def fetch() -> str:  # what a provider serving a month per request does
            requests.append(f"{rd.region} {month}")
            return month

        once_per_step(context, (rd.region, month), fetch)
        value = -1.0 if rd.market_date in bad_days else float(rd.market_date.day)
        frame = pl.DataFrame(
            {"region": [rd.region], "market_date": [rd.market_date], "value_mw": [value]}
        )
        context.add_asset_metadata({"month": month})
        yield from validated_output(context, frame, Rows, {"day_value_mw": value})

    return monthly_feed


def _run(tmp_path: Path, asset, first: str, last: str, region: str = "CAISO"):
    return dg.materialize(
        [asset],
        resources={"io_manager": WarehouseIOManager(root=str(tmp_path / "warehouse"))},
        instance=dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": str(partition_key(region, first)),
            "dagster/asset_partition_range_end": str(partition_key(region, last)),
        },
        raise_on_error=False,
    )


def _stored_days(tmp_path: Path) -> list[dt.date]:
    warehouse = Warehouse(tmp_path / "warehouse")
    if TableName("raw", "monthly_feed") not in warehouse.tables():
        return []
    return warehouse.query("select market_date from raw.monthly_feed order by 1")[
        "market_date"
    ].to_list()


def test_a_range_requests_each_month_once_and_stores_each_day(tmp_path):
    requests: list[str] = []
    result = _run(tmp_path, _asset(requests, set()), "2020-01-20", "2020-03-05")
    assert result.success
    assert requests == ["CAISO 2020-01", "CAISO 2020-02", "CAISO 2020-03"]
    days = _stored_days(tmp_path)
    assert days[0] == dt.date(2020, 1, 20) and days[-1] == dt.date(2020, 3, 5) and len(days) == 46
    materialized = [e.partition for e in result.get_asset_materialization_events()]
    assert len(materialized) == 46
    (schema,) = result.get_asset_check_evaluations()
    assert schema.passed


def test_each_partition_of_a_range_carries_its_own_days_metadata(tmp_path):
    result = _run(tmp_path, _asset([], set()), "2020-01-30", "2020-02-02")
    assert result.success
    events = [
        e.step_materialization_data.materialization
        for e in result.get_asset_materialization_events()
    ]
    by_day = {e.partition: e.metadata for e in events}
    for day, month, value in [("2020-01-30", "2020-01", 30), ("2020-02-02", "2020-02", 2)]:
        metadata = by_day[str(partition_key("CAISO", day))]
        assert metadata["day_value_mw"].value == value and metadata["month"].value == month
        assert metadata["dagster/row_count"].value == 1 and metadata["days_in_run"].value == 4


def test_partition_metadata_goes_through_dagsters_method_where_its_accumulator_is_not_found():
    calls = []

    class Context:  # a context without the step context Dagster 1.13 keeps
        asset_key = KEY

        def add_asset_metadata(self, metadata, partition_key=None):
            calls.append((partition_key, metadata))

    ranges.add_partition_metadata(Context(), "2020-01-30|CAISO", {"x": 1})
    assert calls == [("2020-01-30|CAISO", {"x": 1})]


def test_one_partition_runs_the_body_as_written(tmp_path):
    requests: list[str] = []
    result = dg.materialize(
        [_asset(requests, set())],
        partition_key=str(partition_key("CAISO", "2020-02-10")),
        resources={"io_manager": WarehouseIOManager(root=str(tmp_path / "warehouse"))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success and requests == ["CAISO 2020-02"]
    assert _stored_days(tmp_path) == [dt.date(2020, 2, 10)]


@pytest.mark.parametrize("stored_first", [False, True])
def test_bad_days_fail_the_range_naming_each_and_store_none_of_it(tmp_path, stored_first):
    if stored_first:  # an earlier good version of the days stays as it was
        assert _run(tmp_path, _asset([], set()), "2020-01-01", "2020-01-10").success
    bad = {dt.date(2020, 1, 3), dt.date(2020, 1, 7)}
    result = _run(tmp_path, _asset([], bad), "2020-01-01", "2020-01-10")
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    data = failure.step_failure_data
    message = data.error.message
    assert "raw/monthly_feed range 2020-01-01|CAISO..2020-01-10|CAISO" in message
    assert "2 of 10 region-days failed" in message
    assert "- 2020-01-03|CAISO: Rows: value_mw: greater_than_or_equal_to(0) (1 rows)" in message
    assert "- 2020-01-07|CAISO:" in message
    named = data.user_failure_data.metadata["failed_partitions"].value
    assert named == ["2020-01-03|CAISO", "2020-01-07|CAISO"]
    (schema,) = result.get_asset_check_evaluations()
    assert not schema.passed and schema.metadata["days_failed"].value == 2
    expected = [dt.date(2020, 1, d) for d in range(1, 11)] if stored_first else []
    assert _stored_days(tmp_path) == expected
    if stored_first:
        values = Warehouse(tmp_path / "warehouse").query("select value_mw from raw.monthly_feed")
        assert values["value_mw"].min() > 0


def test_a_range_over_two_regions_cuts_each_regions_rows(tmp_path):
    requests: list[str] = []
    asset = _asset(requests, set())
    result = dg.materialize(
        [asset],
        resources={"io_manager": WarehouseIOManager(root=str(tmp_path / "warehouse"))},
        instance=dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": "2020-01-30|CAISO",
            "dagster/asset_partition_range_end": "2020-02-01|ERCOT",
        },
    )
    assert result.success
    assert sorted(requests) == [
        "CAISO 2020-01",
        "CAISO 2020-02",
        "ERCOT 2020-01",
        "ERCOT 2020-02",
    ]
    stored = Warehouse(tmp_path / "warehouse").query(
        "select region, count(*) as n from raw.monthly_feed group by 1 order by 1"
    )
    assert stored.rows() == [("CAISO", 3), ("ERCOT", 3)]


@pytest.mark.parametrize("bad", [False, True])
def test_a_long_ranges_rows_spill_to_disk_and_are_written_the_same(tmp_path, monkeypatch, bad):
    """Past SPILL_BYTES a range's rows go to Parquet batches (validated one at a time) and the
    IO manager writes each day from the lazy scan: same files; a bad day still fails it all."""
    monkeypatch.setattr(ranges, "SPILL_BYTES", 1)  # every day its own batch
    bad_days = {dt.date(2020, 2, 2)} if bad else set()
    result = _run(tmp_path, _asset([], bad_days), "2020-01-30", "2020-02-03")
    assert result.success is not bad
    if bad:
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert "- 2020-02-02|CAISO: Rows: value_mw" in failure.step_failure_data.error.message
        assert _stored_days(tmp_path) == []
        return
    assert _stored_days(tmp_path) == [dt.date(2020, 1, 30) + dt.timedelta(days=k) for k in range(5)]
    values = Warehouse(tmp_path / "warehouse").query(
        "select market_date, value_mw from raw.monthly_feed order by 1"
    )
    assert values["value_mw"].to_list() == [30.0, 31.0, 1.0, 2.0, 3.0]


def test_an_input_read_per_day_reaches_each_day_as_its_own_rows(tmp_path):
    """`metadata={"read": "per_day"}`: a range's step gets the days' files, the body one day's
    rows at a time (a large table is never whole in memory)."""
    assert _run(tmp_path, _asset([], set()), "2020-01-01", "2020-01-05").success
    seen: list[tuple[str, int]] = []
    key = dg.AssetKey(["evaluation", "per_day_reader"])

    @dg.asset(
        key=key,
        partitions_def=PARTITIONS,
        ins={"feed": dg.AssetIn(key=KEY, metadata={"read": "per_day"}, dagster_type=dg.Any)},
        check_specs=check_specs(key),
        backfill_policy=RANGE_POLICY,
    )
    @per_region_day()
    def per_day_reader(context: dg.AssetExecutionContext, feed):
        rd = partition_keys(context)
        assert isinstance(feed, pl.DataFrame)
        seen.append((str(rd), feed.height))
        yield from validated_output(context, feed, Rows)

    result = dg.materialize(
        [_asset([], set()), per_day_reader],
        resources={"io_manager": WarehouseIOManager(root=str(tmp_path / "warehouse"))},
        instance=dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": "2020-01-02|CAISO",
            "dagster/asset_partition_range_end": "2020-01-04|CAISO",
        },
        selection=[key],
    )
    assert result.success
    assert seen == [("2020-01-02|CAISO", 1), ("2020-01-03|CAISO", 1), ("2020-01-04|CAISO", 1)]


def test_a_range_output_missing_a_day_is_refused_naming_it_and_nothing_is_written(tmp_path):
    """An asset that builds a range's rows itself, a frame per day concatenated (as the feature
    assets do), and has none for one day: the IO manager refuses the range, naming the
    partition, before writing any day, so what was stored stays as it was."""
    skipped = dt.date(2020, 2, 1)

    @dg.asset(key=KEY, partitions_def=PARTITIONS, backfill_policy=RANGE_POLICY)
    def monthly_feed(context: dg.AssetExecutionContext) -> pl.DataFrame:
        days = [d for d in (rd.market_date for rd in region_days(context)) if d != skipped]
        value = 2.0 if context.has_partition_key_range else 1.0
        return pl.concat(
            pl.DataFrame({"region": ["CAISO"], "market_date": [d], "value_mw": [value]})
            for d in days
        )

    first = dg.materialize(
        [monthly_feed],
        partition_key=str(partition_key("CAISO", "2020-01-31")),
        resources={"io_manager": WarehouseIOManager(root=str(tmp_path / "warehouse"))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert first.success
    result = _run(tmp_path, monthly_feed, "2020-01-30", "2020-02-02")
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.error  # the IO manager's error, under Dagster's
    assert "raw.monthly_feed: no rows for partition(s) 2020-02-01|CAISO" in error.cause.message
    stored = Warehouse(tmp_path / "warehouse").query("select * from raw.monthly_feed")
    assert stored.rows() == [("CAISO", dt.date(2020, 1, 31), 1.0)]
