"""CAISO demand from two providers (its Today's Outlook and EIA-930's CISO) reconciled hour by
hour: the pure comparison on real days, and the asset from the raw feeds stored to its table."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from energy_assets.definitions import build_definitions
from energy_assets.defs.reconciliation import (
    AGREEMENT_CHECK,
    CARBON_KEY,
    CARBON_RECONCILED_REGIONS,
    DEMAND_KEY,
    MAX_CARBON_DAY_MAPE_PCT,
    MAX_CARBON_HOUR_ABS_PCT,
    MAX_DAY_MAPE_PCT,
    MAX_HOUR_ABS_PCT,
    RECONCILED_REGIONS,
    agreement_problems,
)
from energy_assets.defs_support.resources import default_resources
from energy_assets.harmonize.reconcile import (
    CARBON_RECONCILIATION_COLUMNS,
    RECONCILIATION_COLUMNS,
    carbon_reconciliation,
    demand_reconciliation,
    reconciliation_summary,
)
from energy_assets.partitions import partition_key
from energy_assets.recorded_runs import execute_recorded
from energy_assets.regions import region
from energy_assets.runner import QUIET, materialize_window
from energy_assets.schemas.reconciliation import CarbonReconciliation, DemandReconciliation
from energy_assets.sources import caiso_outlook, eia930
from energy_assets.sources.feeds import market_day_rows
from energy_assets.warehouse import Warehouse

CAISO = region("CAISO")
UTC = dt.UTC


@pytest.fixture(scope="module")
def eia_ciso(datasets) -> pl.DataFrame:
    return eia930.parse_history_demand((datasets / "eia930" / "CISO.csv").read_bytes())


def _outlook(recordings, day: dt.date) -> pl.DataFrame:
    path = recordings / "caiso_outlook" / day.strftime("%Y%m%d") / "demand.csv"
    return caiso_outlook.parse_demand(path.read_bytes(), day)


def _reconciled(recordings, eia_ciso, day: dt.date) -> pl.DataFrame:
    frame = demand_reconciliation(
        "CAISO",
        day,
        CAISO.timezone,
        _outlook(recordings, day),
        market_day_rows(eia_ciso, CAISO, day),
    )
    DemandReconciliation.validate(frame)
    return frame


def _at(frame: pl.DataFrame, start: dt.datetime) -> dict:
    return frame.filter(pl.col("interval_start_utc") == start).row(0, named=True)


def test_the_regions_reconciled_are_those_with_both_demand_providers():
    assert RECONCILED_REGIONS == ["CAISO"]


def test_a_normal_day_agrees_hour_by_hour(recordings, datasets, eia_ciso):
    day = dt.date(2019, 6, 12)
    frame = _reconciled(recordings, eia_ciso, day)
    assert tuple(frame.columns) == RECONCILIATION_COLUMNS
    assert frame.height == 24 and (frame["outlook_coverage"] == 1.0).all()
    # the hour 07:00-08:00 UTC (Pacific midnight): the Outlook's first 12 readings, and EIA's
    # row labelled 08:00 (hour ending) in the history file
    first = _at(frame, dt.datetime(2019, 6, 12, 7, tzinfo=UTC))
    assert first["outlook_demand_mw"] == pytest.approx(
        _outlook(recordings, day).head(12)["demand_mw"].mean()
    )
    text = (datasets / "eia930" / "CISO.csv").read_text()
    (line,) = [row for row in text.splitlines() if row.startswith("2019-06-12 08:00:00,")]
    assert first["eia_demand_mw"] == float(line.split(",")[1])
    summary = reconciliation_summary(frame)
    assert summary.hours_compared == 24
    assert summary.mape_pct < MAX_DAY_MAPE_PCT and summary.max_abs_pct < MAX_HOUR_ABS_PCT
    assert summary.mae_mw == pytest.approx(frame["difference_mw"].abs().mean())
    assert abs(summary.bias_pct) <= summary.mape_pct
    assert agreement_problems(summary) == []


def test_the_fault_hour_of_2019_04_10_makes_the_day_warn(recordings, eia_ciso):
    frame = _reconciled(recordings, eia_ciso, dt.date(2019, 4, 10))
    # EIA's row labelled 2019-04-10 23:00 (hour ending) is the hour starting 22:00 UTC
    hour = _at(frame, dt.datetime(2019, 4, 10, 22, tzinfo=UTC))
    assert hour["eia_demand_mw"] == 12_193
    assert hour["outlook_demand_mw"] == pytest.approx(21_655, abs=1)
    assert hour["difference_mw"] == pytest.approx(12_193 - hour["outlook_demand_mw"])
    assert hour["difference_pct"] == pytest.approx(-43.7, abs=0.1)
    summary = reconciliation_summary(frame)
    assert summary.hours_compared == 24
    assert summary.max_abs_pct == pytest.approx(43.7, abs=0.1)
    assert summary.mape_pct > MAX_DAY_MAPE_PCT
    problems = agreement_problems(summary)
    assert len(problems) == 2 and "MAPE" in problems[0] and "hour" in problems[1]


def test_a_single_fault_hour_on_an_agreeing_day_warns_by_the_hourly_limit(recordings, eia_ciso):
    # 2019-05-08: one implausible EIA hour (20:00 UTC, 43 % low); the day's MAPE stays under
    # the daily limit, so the hourly limit is what flags it
    summary = reconciliation_summary(_reconciled(recordings, eia_ciso, dt.date(2019, 5, 8)))
    assert summary.mape_pct < MAX_DAY_MAPE_PCT < summary.max_abs_pct
    assert agreement_problems(summary) == [f"an hour 43.1 % off > {MAX_HOUR_ABS_PCT} %"]


def test_spring_forward_compares_the_23_hours_of_the_day(recordings, eia_ciso):
    frame = _reconciled(recordings, eia_ciso, dt.date(2019, 3, 10))
    assert frame.height == 23
    assert frame["interval_start_utc"].is_unique().all()
    assert reconciliation_summary(frame).hours_compared == 23


def test_hours_missing_on_either_side_stay_null_and_are_not_compared(recordings, eia_ciso):
    # EIA's history ends with the hour starting 2019-06-30 23:00 UTC (16:00 Pacific): the 7
    # Pacific hours after it have the Outlook only
    day = dt.date(2019, 6, 30)
    frame = _reconciled(recordings, eia_ciso, day)
    eia_missing = frame.filter(pl.col("eia_demand_mw").is_null())
    assert eia_missing.height == 7
    assert eia_missing["outlook_demand_mw"].is_not_null().all()
    assert eia_missing["difference_mw"].is_null().all()
    assert eia_missing["difference_pct"].is_null().all()
    # and an Outlook hour without readings: coverage 0, EIA's value kept, nothing compared
    outlook = _outlook(recordings, day)
    first_hour = outlook["interval_start_utc"].min()
    frame = demand_reconciliation(
        "CAISO",
        day,
        CAISO.timezone,
        outlook.filter(pl.col("interval_start_utc") >= first_hour + dt.timedelta(hours=1)),
        market_day_rows(eia_ciso, CAISO, day),
    )
    gap = _at(frame, first_hour)
    assert gap["outlook_coverage"] == 0.0 and gap["outlook_demand_mw"] is None
    assert gap["eia_demand_mw"] is not None and gap["difference_pct"] is None
    summary = reconciliation_summary(frame)
    assert (summary.hours, summary.hours_compared) == (24, 16)
    assert summary.mape_pct == pytest.approx(frame["difference_pct"].drop_nulls().abs().mean())


def test_a_day_with_nothing_to_compare_does_not_agree(recordings):
    day = dt.date(2019, 6, 12)
    empty = pl.DataFrame(
        schema={"interval_start_utc": pl.Datetime("us", "UTC"), "demand_mw": pl.Float64}
    )
    summary = reconciliation_summary(
        demand_reconciliation("CAISO", day, CAISO.timezone, _outlook(recordings, day), empty)
    )
    assert summary.hours_compared == 0 and summary.mape_pct is None
    assert agreement_problems(summary) == ["no hour has both sources"]


# --- carbon intensity: the Outlook's fuel mix against EIA-930's ---------------------------------


@pytest.fixture(scope="module")
def eia_ciso_fuel(datasets) -> pl.DataFrame:
    return eia930.parse_history_fuel_mix(
        (datasets / "carbon_eia930" / "CISO_direct_emissions.csv").read_bytes()
    )


def _carbon_reconciled(recordings, eia_ciso_fuel, day: dt.date) -> pl.DataFrame:
    path = recordings / "caiso_outlook" / day.strftime("%Y%m%d") / "fuelsource.csv"
    frame = carbon_reconciliation(
        "CAISO",
        day,
        CAISO.timezone,
        caiso_outlook.parse_fuel_mix(path.read_bytes(), day),
        market_day_rows(eia_ciso_fuel, CAISO, day),
    )
    CarbonReconciliation.validate(frame)
    return frame


def _carbon_summary(frame: pl.DataFrame):
    return reconciliation_summary(
        frame.rename(
            {
                "difference_direct_gco2_per_kwh": "difference_mw",
                "difference_direct_pct": "difference_pct",
            }
        )
    )


def test_carbon_is_reconciled_for_caiso_and_eia_reads_higher_by_construction(
    recordings, eia_ciso_fuel
):
    assert CARBON_RECONCILED_REGIONS == ["CAISO"]
    frame = _carbon_reconciled(recordings, eia_ciso_fuel, dt.date(2019, 5, 7))
    assert frame.columns == list(CARBON_RECONCILIATION_COLUMNS) and frame.height == 24
    summary = _carbon_summary(frame)
    assert summary.hours_compared == 24
    # EIA's CISO fuel data carry no geothermal and no biomass: the same emissions over less
    # generation, so EIA's direct intensity is higher in almost every hour (97.5 % of 2019-2020)
    assert (frame["difference_direct_pct"] > 0).sum() >= 22
    assert 5 < summary.bias_pct < MAX_CARBON_DAY_MAPE_PCT
    assert agreement_problems(summary, MAX_CARBON_DAY_MAPE_PCT, MAX_CARBON_HOUR_ABS_PCT) == []


def test_the_outlooks_missing_gas_of_2019_01_02_warns(recordings, eia_ciso_fuel):
    """The Outlook file leaves natural gas empty all day: a partial mix is no reading
    (`harmonize/caiso.py`), so the Outlook side has no intensity (once ~1 g/kWh) and the day
    warns that no hour has both sources; EIA's side is whole."""
    frame = _carbon_reconciled(recordings, eia_ciso_fuel, dt.date(2019, 1, 2))
    assert frame["outlook_carbon_direct_gco2_per_kwh"].is_null().all()
    assert frame["eia_carbon_direct_gco2_per_kwh"].min() > 100
    problems = agreement_problems(
        _carbon_summary(frame), MAX_CARBON_DAY_MAPE_PCT, MAX_CARBON_HOUR_ABS_PCT
    )
    assert problems == ["no hour has both sources"]


# --- the asset, end to end -------------------------------------------------------------------

FIRST, LAST = dt.date(2019, 5, 7), dt.date(2019, 5, 9)
EIA_DAYS = (FIRST, LAST - dt.timedelta(days=1))  # 05-09's EIA region data is never stored


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, recordings):
    """CAISO ingested for 05-07..05-09 (its Outlook feeds), EIA's CISO region data for
    05-07..05-08 only."""
    data = tmp_path_factory.mktemp("data")
    instance = dg.DagsterInstance.ephemeral()
    outcome = materialize_window(
        FIRST, LAST, "CAISO", instance, data, recordings, "replay", report=False
    )
    assert outcome.partitions_failed == [], outcome.partitions_failed
    defs = build_definitions(default_resources(data, recordings, "replay"))
    for job in ("raw_eia930_region_data_job", "raw_eia930_fuel_type_job"):
        eia = execute_recorded(
            defs.resolve_job_def(job),
            instance,
            partition_range=tuple(partition_key("CAISO", d) for d in EIA_DAYS),
            run_config=QUIET,
        )
        assert eia.success, job
    return defs, instance, data


def test_the_asset_reconciles_the_stored_raw_feeds(ingested):
    defs, instance, data = ingested
    result = execute_recorded(
        defs.resolve_job_def("reconciliation_job"),
        instance,
        partition_range=tuple(partition_key("CAISO", d) for d in EIA_DAYS),
        run_config=QUIET,
    )
    assert result.success
    table = (
        Warehouse(data / "warehouse")
        .query("select * from reconciliation.demand_outlook_vs_eia930 order by interval_start_utc")
        # DuckDB hands UTC instants back in "Etc/UTC"
        .with_columns(pl.col("interval_start_utc").dt.convert_time_zone("UTC"))
    )
    assert table.height == 48
    assert table["market_date"].unique().sort().to_list() == list(EIA_DAYS)
    DemandReconciliation.validate(table.select(RECONCILIATION_COLUMNS))
    fault = _at(table, dt.datetime(2019, 5, 8, 20, tzinfo=UTC))
    assert fault["eia_demand_mw"] == 14_009 and fault["difference_pct"] < -40
    # the agreement check: 05-07 agrees, 05-08 (its fault hour) warns; the run succeeds
    (check,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == AGREEMENT_CHECK and e.asset_key == DEMAND_KEY
    ]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["failed_days"].value == ["2019-05-08|CAISO"]
    # each partition's materialization carries its own day's summary, though one step built both
    materializations = [
        e.step_materialization_data.materialization
        for e in result.get_asset_materialization_events()
    ]
    by_day = {m.partition: m.metadata for m in materializations if m.asset_key == DEMAND_KEY}
    calm, fault = by_day["2019-05-07|CAISO"], by_day["2019-05-08|CAISO"]
    assert calm["hours_compared"].value == fault["hours_compared"].value == 24
    assert calm["max_abs_pct"].value < MAX_DAY_MAPE_PCT < fault["max_abs_pct"].value
    assert fault["mape_pct"].value < MAX_DAY_MAPE_PCT
    assert calm["dagster/row_count"].value == fault["dagster/row_count"].value == 24
    assert fault["days_in_run"].value == 2
    # the carbon side by side, from the stored fuel-mix feeds of the same days
    carbon = Warehouse(data / "warehouse").query(
        "select * from reconciliation.carbon_outlook_vs_eia930 order by interval_start_utc"
    )
    assert carbon.height == 48 and carbon["difference_direct_pct"].median() > 5
    (carbon_check,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == AGREEMENT_CHECK and e.asset_key == CARBON_KEY
    ]
    assert carbon_check.passed


def test_a_day_without_the_eia_side_fails_naming_it(ingested):
    defs, instance, _ = ingested
    result = execute_recorded(
        defs.resolve_job_def("reconciliation_job"),
        instance,
        partition_key=partition_key("CAISO", LAST),
        run_config=QUIET,
    )
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    messages = " ".join(f.step_failure_data.error.message for f in failures)
    assert "raw/eia930_region_data" in messages and "raw_eia930_region_data_job" in messages
    assert "raw/eia930_fuel_type" in messages and "raw_eia930_fuel_type_job" in messages
    assert "2019-05-09|CAISO" in messages
    assert not [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    ]
