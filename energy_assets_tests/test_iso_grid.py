"""Each ISO's own demand and fuel mix (`harmonized/iso_grid_hourly`, `harmonize/iso_grid.py`,
`defs/iso_grid.py`) and its demand against EIA-930's (`reconciliation/iso_demand_vs_eia930`):
every real recording of each fuel-mix / load feed parsed and harmonized, the averaging to hours
and the DST days, the reconciliation on the one region-day both sides have offline, and the
asset through the real jobs (missing feeds fail or warn naming them)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import dagster as dg
import polars as pl
import pytest
import test_iso_source_contracts as contracts

from energy_assets.defs import iso_grid as iso_grid_defs
from energy_assets.defs.reconciliation import (
    ISO_DEMAND_KEY,
    ISO_DEMAND_REGIONS,
    MAX_DAY_MAPE_PCT,
    MAX_HOUR_ABS_PCT,
    agreement_problems,
)
from energy_assets.harmonize import iso_grid
from energy_assets.harmonize.reconcile import (
    ISO_RECONCILIATION_COLUMNS,
    iso_demand_reconciliation,
    reconciliation_summary,
)
from energy_assets.regions import region
from energy_assets.schemas.iso import IsoGridHourly
from energy_assets.schemas.reconciliation import IsoDemandReconciliation
from energy_assets.sources import eia930
from energy_assets.sources.feeds import hours_in_market_day, market_day_rows

UTC = dt.UTC
CONTRACTS = (
    contracts.TestIsone,
    contracts.TestPjm,
    contracts.TestNyiso,
    contracts.TestCaisoRenewablesWatch,
    contracts.TestBpa,
)
GRID_FEED_NAMES = {(s.provider, s.feed) for s in iso_grid.GRID_FEEDS}


@pytest.fixture(scope="module")
def recorded_days(recordings, datasets) -> dict[tuple[str, dt.date], dict]:
    """(region, day) -> {(provider, feed): the day's parsed raw rows}, for every recording of
    the ISO fuel-mix and load feeds (the contract tests' own list of recordings)."""
    days: dict[tuple[str, dt.date], dict] = defaultdict(dict)
    for cls in CONTRACTS:
        contract = cls()
        for feed, day, payloads in contract.recorded(recordings, datasets):
            if (contract.provider, feed.name) not in GRID_FEED_NAMES:
                continue
            rows = feed.day_rows(feed.parse(payloads, day), region(contract.region), day)
            days[(contract.region, day)][(contract.provider, feed.name)] = rows
    return dict(days)


def _harmonized(recorded_days, code: str, day: dt.date) -> pl.DataFrame:
    frame = iso_grid.iso_grid_hourly(code, day, region(code).timezone, recorded_days[(code, day)])
    IsoGridHourly.validate(frame)
    return frame


def test_every_recording_of_each_feed_harmonizes_to_every_hour_of_its_day(recorded_days):
    """Every recorded day of every fuel-mix / load feed: one row per UTC hour of the local day
    (23 and 25 on the DST days), GridHourly's columns plus provider and feeds, every fuel label
    mapped, and at least one hour with the feed's readings."""
    assert sorted((r, str(d)) for r, d in recorded_days) == [
        ("BPA", "2014-04-15"),
        ("CAISO", "2014-03-12"),
        ("CAISO", "2017-03-12"),
        ("CAISO", "2017-11-04"),
        ("CAISO", "2017-11-05"),
        ("CAISO", "2017-11-06"),
        ("ISONE", "2024-01-01"),
        ("ISONE", "2024-01-02"),
        ("ISONE", "2024-03-09"),
        ("ISONE", "2024-03-10"),
        ("ISONE", "2024-11-02"),
        ("ISONE", "2024-11-03"),
        ("NYISO", "2017-11-22"),
        ("NYISO", "2025-02-01"),
        ("PJM", "2025-02-08"),
    ]
    for (code, day), raw in sorted(recorded_days.items()):
        frame = _harmonized(recorded_days, code, day)
        assert tuple(frame.columns) == iso_grid.ISO_GRID_COLUMNS
        assert frame.height == hours_in_market_day(region(code), day), (code, day)
        assert frame["interval_start_utc"].dt.minute().max() == 0
        assert iso_grid.unmapped_fuels(raw) == [], (code, day)
        kinds = {s.kind for s in iso_grid.GRID_FEEDS if (s.provider, s.feed) in raw}
        if "fuel_mix" in kinds:
            assert (frame["fuel_mix_coverage"] > 0).any(), (code, day)
        if "demand" in kinds:
            assert frame["demand_mw"].is_not_null().any(), (code, day)
        else:
            assert (
                frame["demand_mw"].is_null().all() and frame["demand_source_feed"].is_null().all()
            )
    heights = {
        (c, str(d)): _harmonized(recorded_days, c, d).height
        for c, d in [
            ("ISONE", dt.date(2024, 3, 10)),
            ("ISONE", dt.date(2024, 11, 3)),
            ("CAISO", dt.date(2017, 3, 12)),
            ("CAISO", dt.date(2017, 11, 5)),
        ]
    }
    assert heights == {
        ("ISONE", "2024-03-10"): 23,
        ("ISONE", "2024-11-03"): 25,
        ("CAISO", "2017-03-12"): 23,
        ("CAISO", "2017-11-05"): 25,
    }


def test_dst_days_keep_every_hour_and_mark_the_one_without_readings(recorded_days):
    """ISO-NE's hourly system load has 23 and 25 readings on its DST days: every hour
    covered. CAISO's Renewables Watch lists 24 hours of the 25-hour 2017-11-05: one hour stays
    null with coverage 0 (nothing is filled), and its 23-hour spring day is whole."""
    spring = _harmonized(recorded_days, "ISONE", dt.date(2024, 3, 10))
    fall = _harmonized(recorded_days, "ISONE", dt.date(2024, 11, 3))
    assert (spring["demand_coverage"] == 1.0).all() and (fall["demand_coverage"] == 1.0).all()
    assert fall["interval_start_utc"][0] == dt.datetime(2024, 11, 3, 4, tzinfo=UTC)
    assert fall["interval_start_utc"][-1] == dt.datetime(2024, 11, 4, 4, tzinfo=UTC)
    watch_fall = _harmonized(recorded_days, "CAISO", dt.date(2017, 11, 5))
    empty = watch_fall.filter(pl.col("fuel_mix_coverage") == 0)
    assert empty.height == 1 and empty["nuclear_mw"].is_null().all()
    watch_spring = _harmonized(recorded_days, "CAISO", dt.date(2017, 3, 12))
    assert (watch_spring["fuel_mix_coverage"] == 1.0).all()


def test_five_minute_readings_are_averaged_to_the_hour_never_summed(recorded_days):
    """NYISO's 5-minute fuel mix of 2025-02-01: each column is the MEAN of the hour's 12
    readings (Natural Gas and Dual Fuel averaged, then added); its pal load of 2017-11-22: the
    zones summed at each instant, the hour the mean of those sums."""
    raw = recorded_days[("NYISO", dt.date(2025, 2, 1))][("nyiso", "fuel_mix")]
    frame = _harmonized(recorded_days, "NYISO", dt.date(2025, 2, 1))
    hour = dt.datetime(2025, 2, 1, 18, tzinfo=UTC)
    inside = raw.filter(pl.col("interval_start_utc").dt.truncate("1h") == hour)
    assert inside["interval_start_utc"].n_unique() == 12
    gas = inside.filter(pl.col("fuel").is_in(["Natural Gas", "Dual Fuel"]))
    expected = gas.group_by("fuel").agg(pl.col("generation_mw").mean())["generation_mw"].sum()
    row = frame.filter(pl.col("interval_start_utc") == hour).row(0, named=True)
    assert row["natural_gas_mw"] == pytest.approx(expected)
    nuclear = inside.filter(pl.col("fuel") == "Nuclear")["generation_mw"]
    assert row["nuclear_mw"] == pytest.approx(nuclear.mean())
    assert row["nuclear_mw"] < nuclear.sum() / 6  # a mean, not a sum of 12 readings
    assert row["fuel_mix_coverage"] == 1.0 and row["provider"] == "nyiso"
    assert row["fuel_mix_source_feed"] == "raw/nyiso_fuel_mix"

    pal = recorded_days[("NYISO", dt.date(2017, 11, 22))][("nyiso", "actual_load")]
    load = _harmonized(recorded_days, "NYISO", dt.date(2017, 11, 22))
    hour = dt.datetime(2017, 11, 22, 15, tzinfo=UTC)
    sums = (
        pal.filter(pl.col("interval_start_utc").dt.truncate("1h") == hour)
        .group_by("interval_start_utc")
        .agg(pl.col("load_mw").sum(), pl.len())
    )
    assert (sums["len"] == 11).all()
    row = load.filter(pl.col("interval_start_utc") == hour).row(0, named=True)
    assert row["demand_mw"] == pytest.approx(sums["load_mw"].mean())
    assert row["demand_source_feed"] == "raw/nyiso_actual_load"


def test_the_fuel_mapping_puts_each_label_in_one_column(recorded_days):
    """ISO-NE's Wood, Refuse and Landfill Gas are biomass; CAISO's Watch counts its renewables
    table's total once (its parts are the columns) and its imports as net imports; BPA's
    thermal is `other` (nuclear and gas together)."""
    raw = recorded_days[("ISONE", dt.date(2024, 3, 9))][("isone", "fuel_mix")]
    frame = _harmonized(recorded_days, "ISONE", dt.date(2024, 3, 9))
    hour = dt.datetime(2024, 3, 9, 17, tzinfo=UTC)
    inside = raw.filter(pl.col("interval_start_utc").dt.truncate("1h") == hour)
    bio = (
        inside.filter(pl.col("fuel").is_in(["Wood", "Refuse", "Landfill Gas"]))
        .group_by("fuel")
        .agg(pl.col("generation_mw").mean())["generation_mw"]
        .sum()
    )
    row = frame.filter(pl.col("interval_start_utc") == hour).row(0, named=True)
    assert row["biomass_mw"] == pytest.approx(bio)
    assert row["demand_mw"] > 0 and row["provider"] == "isone"

    watch = recorded_days[("CAISO", dt.date(2017, 11, 6))][
        ("caiso_renewables_watch", "hourly_production")
    ]
    frame = _harmonized(recorded_days, "CAISO", dt.date(2017, 11, 6))
    first = watch.filter(pl.col("interval_start_utc") == frame["interval_start_utc"][0])
    value = dict(zip(first["table"] + "/" + first["fuel"], first["generation_mw"], strict=True))
    row = frame.row(0, named=True)
    assert row["solar_mw"] == value["renewables/solar_pv"] + value["renewables/solar_thermal"]
    assert row["hydro_mw"] == value["total/hydro"] + value["renewables/small_hydro"]
    assert row["net_imports_mw"] == value["total/imports"]
    renewables = sum(row[c] for c in ("solar_mw", "wind_mw", "geothermal_mw", "biomass_mw"))
    assert renewables + value["renewables/small_hydro"] == pytest.approx(
        value["total/renewables"], abs=2
    )

    bpa = _harmonized(recorded_days, "BPA", dt.date(2014, 4, 15))
    raw_bpa = recorded_days[("BPA", dt.date(2014, 4, 15))][("bpa", "balancing_authority")]
    covered = bpa.filter(pl.col("demand_coverage") > 0)
    assert covered.height >= 1
    hour = covered["interval_start_utc"][0]
    inside = raw_bpa.filter(pl.col("interval_start_utc").dt.truncate("1h") == hour)
    row = covered.row(0, named=True)
    assert row["other_mw"] == pytest.approx(inside["thermal_mw"].mean())
    assert row["demand_mw"] == pytest.approx(inside["load_mw"].mean())
    assert row["demand_coverage"] == pytest.approx(min(1.0, inside.height / 12))


# --- ISO vs EIA-930 demand ------------------------------------------------------------------


def test_the_reconciled_regions_are_the_isos_with_a_demand_feed():
    assert ISO_DEMAND_REGIONS == ["NYISO", "ISONE", "BPA"]
    assert iso_grid_defs.ISO_GRID_REGIONS == ["CAISO", "PJM", "NYISO", "ISONE", "BPA"]


def test_nyiso_demand_agrees_with_eia930_on_the_one_day_both_have(recorded_days, datasets):
    """NYISO's pal of 2017-11-22 against EIA-930's NYIS history for the day (the only
    region-day the offline data has on both sides): 24 hours compared, MAPE 0.43 %, no hour
    beyond 1.31 %, bias +0.02 %; EIA higher on the morning ramp, lower on the evening one."""
    day = dt.date(2017, 11, 22)
    nyiso = region("NYISO")
    eia = eia930.parse_history_demand((datasets / "eia930" / "NYIS.csv").read_bytes())
    iso_hourly = _harmonized(recorded_days, "NYISO", day)
    frame = iso_demand_reconciliation(
        "NYISO", day, nyiso.timezone, iso_hourly, market_day_rows(eia, nyiso, day)
    )
    IsoDemandReconciliation.validate(frame)
    assert tuple(frame.columns) == ISO_RECONCILIATION_COLUMNS
    assert frame.height == 24 and (frame["provider"] == "nyiso").all()
    summary = reconciliation_summary(frame)
    assert summary.hours_compared == 24
    assert summary.mape_pct == pytest.approx(0.435, abs=0.001)
    assert summary.max_abs_pct == pytest.approx(1.309, abs=0.001)
    assert summary.bias_pct == pytest.approx(0.017, abs=0.001)
    assert agreement_problems(summary) == []
    assert summary.mape_pct * 6 < MAX_DAY_MAPE_PCT and summary.max_abs_pct * 7 < MAX_HOUR_ABS_PCT
    at = {r["interval_start_utc"].hour: r["difference_pct"] for r in frame.iter_rows(named=True)}
    assert at[11] > 1.0 and at[3] < -0.8  # 06:00 EST ramp up; 22:00 EST ramp down

    # an hour missing on one side stays, uncompared; the other hours are unchanged
    gap = iso_hourly.with_columns(
        demand_mw=pl.when(pl.col("interval_start_utc").dt.hour() == 11)
        .then(None)
        .otherwise(pl.col("demand_mw"))
    )
    partial = iso_demand_reconciliation(
        "NYISO", day, nyiso.timezone, gap, market_day_rows(eia, nyiso, day)
    )
    IsoDemandReconciliation.validate(partial)
    assert reconciliation_summary(partial).hours_compared == 23


# --- through the real jobs, offline -------------------------------------------------------------


@pytest.fixture
def offline(recordings, tmp_path):
    from energy_assets.definitions import build_definitions
    from energy_assets.defs_support.resources import default_resources

    defs = build_definitions(default_resources(tmp_path, recordings, "replay"))
    return defs, dg.DagsterInstance.ephemeral()


def _run(defs, instance, job: str, code: str, day: str):
    from energy_assets.partitions import partition_key
    from energy_assets.recorded_runs import execute_recorded
    from energy_assets.runner import QUIET

    key = partition_key(code, day)
    return execute_recorded(
        defs.resolve_job_def(job), instance, partition_range=(key, key), run_config=QUIET
    )


def test_isone_spring_forward_materializes_offline_with_every_feed(offline, tmp_path):
    """ISO-NE's recorded fuel mix and system load of 2024-03-10 through their raw jobs, then
    `iso_grid_job`: 23 hours, demand and fuel mix in every hour, completeness passed."""
    from energy_assets.warehouse import Warehouse

    defs, instance = offline
    for job in ("raw_isone_fuel_mix_job", "raw_isone_system_load_job"):
        assert _run(defs, instance, job, "ISONE", "2024-03-10").success, job
    result = _run(defs, instance, "iso_grid_job", "ISONE", "2024-03-10")
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["schema"].passed and checks["completeness"].passed
    rows = Warehouse(tmp_path / "warehouse").query(
        "select count(*) as n, count(demand_mw) as demand, min(fuel_mix_coverage) as fuel,"
        " min(provider) as provider from harmonized.iso_grid_hourly"
    )
    assert rows.to_dicts() == [{"n": 23, "demand": 23, "fuel": 1.0, "provider": "isone"}]


def test_a_missing_feed_warns_and_no_feed_fails_naming_them(offline):
    """ISO-NE 2024-01-01: the fuel mix is recorded, the system load is not: built from the fuel
    mix, the completeness check warns naming raw/isone_system_load, its URL and the partition.
    A day with no feed stored fails naming both feeds, their URLs and jobs; nothing is stored.
    The reconciliation of a day whose iso_grid_hourly is not stored fails naming it."""
    from energy_assets.runner import _failure

    defs, instance = offline
    assert _run(defs, instance, "raw_isone_fuel_mix_job", "ISONE", "2024-01-01").success
    result = _run(defs, instance, "iso_grid_job", "ISONE", "2024-01-01")
    assert result.success
    warn = {c.check_name: c for c in result.get_asset_check_evaluations()}["completeness"]
    assert not warn.passed and warn.severity == dg.AssetCheckSeverity.WARN
    missing = " ".join(warn.metadata["feeds_missing"].value)
    assert "raw/isone_system_load" in missing and "webservices.iso-ne.com" in missing
    assert "raw_isone_system_load_job" in missing and "2024-01-01|ISONE" in warn.description

    failed = _run(defs, instance, "iso_grid_job", "ISONE", "2023-06-01")
    assert not failed.success
    message = " ".join(_failure(failed)[0])
    assert "2023-06-01|ISONE" in message
    for name in ("raw/isone_fuel_mix", "raw/isone_system_load", "raw_isone_fuel_mix_job"):
        assert name in message
    assert "webservices.iso-ne.com" in message
    assert not instance.get_latest_materialization_event(iso_grid_defs.ISO_GRID_KEY) or (
        instance.get_latest_materialization_event(
            iso_grid_defs.ISO_GRID_KEY
        ).dagster_event.partition
        != "2023-06-01|ISONE"
    )

    reconciled = _run(defs, instance, "iso_demand_reconciliation_job", "ISONE", "2023-06-01")
    assert not reconciled.success
    message = " ".join(_failure(reconciled)[0])
    assert "harmonized/iso_grid_hourly" in message and "iso_grid_job" in message
    assert ISO_DEMAND_KEY.to_user_string() == "reconciliation/iso_demand_vs_eia930"


def test_the_reconciliation_asset_on_nyiso_2017_11_22_agrees(offline, tmp_path, recorded_days):
    """NYISO's recorded pal and rtfuelmix of 2017-11-22 (the pyiso files, which the replay
    transport has under no NYISO URL) stored as their raw assets store them, EIA's NYIS region
    data of the day through its raw job (the history file), then `iso_grid_job` and
    `iso_demand_reconciliation_job`: 24 hours compared, MAPE 0.43 %, agreement passed."""
    from energy_assets.warehouse import TableName, Warehouse

    defs, instance = offline
    warehouse = Warehouse(tmp_path / "warehouse")
    for (provider, feed), rows in recorded_days[("NYISO", dt.date(2017, 11, 22))].items():
        partition = {"region": "NYISO", "date": "2017-11-22"}
        warehouse.write(TableName("raw", f"{provider}_{feed}"), partition, rows)
    assert _run(defs, instance, "raw_eia930_region_data_job", "NYISO", "2017-11-22").success
    assert _run(defs, instance, "iso_grid_job", "NYISO", "2017-11-22").success
    result = _run(defs, instance, "iso_demand_reconciliation_job", "NYISO", "2017-11-22")
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["schema"].passed
    agreement = checks["agreement"]
    assert agreement.passed and agreement.severity == dg.AssetCheckSeverity.WARN
    assert agreement.metadata["mape_pct"].value == pytest.approx(0.435, abs=0.001)
    assert agreement.metadata["hours_compared"].value == 24
    rows = warehouse.query(
        "select count(*) as n, count(difference_pct) as compared, min(provider) as provider"
        " from reconciliation.iso_demand_vs_eia930"
    )
    assert rows.to_dicts() == [{"n": 24, "compared": 24, "provider": "nyiso"}]


def test_a_fuel_label_outside_the_mapping_goes_to_other_and_is_reported(recorded_days):
    """A label the mapping does not name (ISO-NE's Wood relabelled, as a new category would
    arrive) is counted in `other_mw`, never dropped, and `unmapped_fuels` names it (the asset's
    completeness check warns with it)."""
    day = dt.date(2024, 3, 9)
    raw = recorded_days[("ISONE", day)]
    renamed = {
        **raw,
        ("isone", "fuel_mix"): raw[("isone", "fuel_mix")].with_columns(
            fuel=pl.col("fuel").replace({"Wood": "Tidal"})
        ),
    }
    assert iso_grid.unmapped_fuels(renamed) == ["isone/fuel_mix: Tidal"]
    before = iso_grid.iso_grid_hourly("ISONE", day, region("ISONE").timezone, raw)
    after = iso_grid.iso_grid_hourly("ISONE", day, region("ISONE").timezone, renamed)
    total = list(iso_grid.FUEL_COLUMNS)
    assert after.select(total).sum_horizontal().to_list() == pytest.approx(
        before.select(total).sum_horizontal().to_list()
    )
    assert (after["other_mw"] > before["other_mw"].fill_null(0)).all()
