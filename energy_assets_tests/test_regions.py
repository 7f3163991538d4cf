"""Every US region through the graph: EIA-930 history replayed offline into the harmonized
tables, across a spring-forward day, with the provider choice per region-day."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl

from energy_assets.harmonize.sources import grid_source
from energy_assets.regions import region
from energy_assets.runner import materialize_window, raw_plan
from energy_assets.warehouse import Warehouse


def test_caiso_uses_its_outlook_from_2019_and_eia930_before():
    caiso = region("CAISO")
    assert grid_source(caiso, "grid", dt.date(2018, 12, 31)).provider == "eia930"
    assert grid_source(caiso, "grid", dt.date(2019, 1, 1)).provider == "caiso_outlook"
    assert grid_source(region("PJM"), "grid", dt.date(2020, 7, 1)).provider == "eia930"
    plan = raw_plan("CAISO", [dt.date(2018, 12, 31), dt.date(2019, 1, 1)])
    assert plan[("eia930", "region_data")] == [dt.date(2018, 12, 31)]
    assert plan[("caiso_outlook", "demand")] == [dt.date(2019, 1, 1)]


def test_pjm_days_replay_from_the_eia930_history_into_the_harmonized_tables(recordings, tmp_path):
    first, last = dt.date(2019, 3, 9), dt.date(2019, 3, 11)  # 03-10: spring forward, 23 hours
    outcome = materialize_window(
        first,
        last,
        "PJM",
        dg.DagsterInstance.ephemeral(),
        tmp_path,
        recordings,
        "replay",
        report=False,
    )
    assert outcome.partitions_failed == [] and outcome.optional_failed == []
    assert outcome.partitions_ok == {
        "raw_eia930_region_data_job": 3,
        "raw_eia930_fuel_type_job": 3,
        "raw_gfs_regional_weather_forecast_job": 3,
        "ingest_job": 3,
    }
    warehouse = Warehouse(tmp_path / "warehouse")
    grid = warehouse.query(
        "select market_date, count(*) as hours, min(demand_coverage) as coverage,"
        " avg(demand_mw) as demand, avg(coal_mw) as coal from harmonized.grid_hourly"
        " group by 1 order by 1"
    )
    assert grid["hours"].to_list() == [24, 23, 24]
    assert grid["coverage"].to_list() == [1.0, 1.0, 1.0]
    assert grid["demand"].is_between(60_000, 130_000).all()
    assert (grid["coal"] > 5_000).all()
    operator = warehouse.query(
        "select count(*) as n, min(issued_at_utc) as issued, min(interval_start_utc) as first"
        " from harmonized.operator_load_forecast"
    )
    # 24 + 23 + 24 hours, less the 22 hours of 03-10 whose DF the file has as MISSING (EIA's
    # hour-ending 07:00 on 03-10 to 04:00 on 03-11 UTC): left out, never filled
    assert operator["n"][0] == 71 - 22 and operator["issued"][0] < operator["first"][0]
    # each raw row names the history file it came from, archived verbatim
    raw = warehouse.query("select distinct source_url, payload_sha256 from raw.eia930_region_data")
    assert raw["source_url"].to_list() == ["datasets:eia930/PJM.csv"]
    assert (tmp_path / "raw_archive").rglob(raw["payload_sha256"][0] + "*")
    carbon = warehouse.query("select carbon_gco2_per_kwh from harmonized.carbon_intensity")
    assert carbon["carbon_gco2_per_kwh"].is_between(200, 900).all()


def test_days_past_the_offline_history_fail_naming_the_file_and_what_to_do(recordings, tmp_path):
    day = dt.date(2020, 7, 1)  # EIA-930 demand history ends 2019-06-30; its fuel mix does not
    outcome = materialize_window(
        day,
        day,
        "PJM",
        dg.DagsterInstance.ephemeral(),
        tmp_path,
        recordings,
        "replay",
        report=False,
    )
    # demand is missing for the day, the fuel mix is there: the grid is built with demand null
    # (coverage 0, the completeness check warns) and the operator forecast fails naming it
    assert outcome.partitions_ok["raw_eia930_fuel_type_job"] == 1
    failed = {
        job: message for job, _, message in outcome.partitions_failed + outcome.optional_failed
    }
    assert "raw_eia930_region_data_job" in failed
    assert "2020-07-01|PJM" in str(outcome.partitions_failed + outcome.optional_failed)
    grid = Warehouse(tmp_path / "warehouse").query("select * from harmonized.grid_hourly")
    assert grid.height == 24 and grid["demand_mw"].is_null().all()
    assert pl.Series(grid["fuel_mix_coverage"]).min() == 1.0


def _day(datasets, ba: str, code: str, day: dt.date) -> pl.DataFrame:
    from energy_assets.sources import eia930
    from energy_assets.sources.feeds import market_day_rows

    rows = eia930.parse_history_demand((datasets / "eia930" / f"{ba}.csv").read_bytes())
    return market_day_rows(rows, region(code), day)


def test_implausible_demand_hours_are_named_not_changed(datasets):
    from energy_assets.harmonize.plausibility import implausible_demand_hours

    # SWPP's demand is stuck at one value from the hour ending 2019-04-05 22:00 UTC
    stuck = implausible_demand_hours(
        _day(datasets, "SWPP", "SPP", dt.date(2019, 4, 6)), region("SPP").demand_mw_range
    )
    assert stuck.height >= 4 and stuck["reason"].str.contains("the same value").all()
    assert stuck["demand_mw"].n_unique() == 1
    # BPAT: 2,600 MW in the hour ending 2016-05-09 04:00 UTC, about 5,600 around it
    low = implausible_demand_hours(
        _day(datasets, "BPAT", "BPA", dt.date(2016, 5, 8)), region("BPA").demand_mw_range
    )
    assert low["demand_mw"].to_list() == [2600.0]
    assert low["reason"][0] == "outside 3,000..13,000 MW"
    # an ordinary day: nothing
    normal = _day(datasets, "PJM", "PJM", dt.date(2019, 3, 9))
    assert implausible_demand_hours(normal, region("PJM").demand_mw_range).is_empty()
