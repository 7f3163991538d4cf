"""GB as a region of its own: NESO demand and the GB Carbon Intensity API through the graph
(replayed offline), into the same harmonized tables as every other region, and GB's day-ahead
load forecast through the load slice, scored against the seasonal naive (GB has no operator
forecast offline)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from energy_assets.defs.harmonized import GRID_REGIONS
from energy_assets.defs.raw import feed_partitions
from energy_assets.harmonize import gb
from energy_assets.harmonize.sources import (
    grid_source,
    published_intensity_provider,
    weather_provider,
)
from energy_assets.regions import region
from energy_assets.runner import materialize_window, raw_plan
from energy_assets.sources import neso
from energy_assets.sources import uk_carbon_intensity as ci
from energy_assets.sources.feeds import market_day_rows
from energy_assets.sources.registry import feed
from energy_assets.warehouse import Warehouse

GB = region("GB")


def test_gb_feeds_first_days_and_providers():
    assert "GB" in GRID_REGIONS and GB.timezone == "Europe/London"
    demand = feed_partitions(feed("neso", "demand"))
    assert demand.get_partitions_def_for_dimension("region").get_partition_keys() == ["GB"]
    assert demand.get_partitions_def_for_dimension("date").start.date() == dt.date(2009, 1, 1)
    national = feed_partitions(feed("uk_carbon_intensity", "national"))
    assert national.get_partitions_def_for_dimension("date").start.date() == dt.date(2023, 1, 1)
    # one partitions definition per provider, so its feeds backfill together
    assert feed_partitions(feed("uk_carbon_intensity", "regional")) is national
    day = dt.date(2019, 6, 1)
    assert grid_source(GB, "grid", day).provider == "neso"
    assert grid_source(GB, "operator_load_forecast", day) is None  # none offline
    assert weather_provider(GB, day) is None
    assert published_intensity_provider(GB, day) is None
    assert published_intensity_provider(GB, dt.date(2023, 6, 1)) == "uk_carbon_intensity"
    assert raw_plan("GB", [day]) == {("neso", "demand"): [day]}
    assert raw_plan("GB", [dt.date(2023, 6, 1)]) == {
        ("neso", "demand"): [dt.date(2023, 6, 1)],
        ("uk_carbon_intensity", "national"): [dt.date(2023, 6, 1)],
    }


@pytest.mark.parametrize(
    ("day", "hours"),
    [(dt.date(2019, 3, 31), 23), (dt.date(2019, 6, 1), 24), (dt.date(2019, 10, 27), 25)],
)
def test_half_hours_are_averaged_to_hours_never_summed(datasets, day, hours):
    raw = neso.parse_history((datasets / "neso_demand" / "demanddata_2019.csv").read_bytes())
    half_hours = market_day_rows(raw, GB, day)
    grid = gb.grid_hourly("GB", day, GB.timezone, half_hours)
    assert grid.height == hours and (grid["demand_coverage"] == 1.0).all()
    # each hour is the mean of its two half-hours: the day's mean MW is the same at both
    # resolutions, and the day's energy (MWh) is the sum of the hourly means
    assert grid["demand_mw"].mean() == pytest.approx(half_hours["national_demand_mw"].mean())
    assert grid["demand_mw"].sum() == pytest.approx(half_hours["national_demand_mw"].sum() / 2)
    first = half_hours["national_demand_mw"].head(2).mean()
    assert grid["demand_mw"][0] == first
    assert grid["fuel_mix_coverage"].max() == 0.0 and grid["coal_mw"].is_null().all()


def test_a_missing_half_hour_halves_the_coverage_and_is_not_filled(datasets):
    raw = neso.parse_history((datasets / "neso_demand" / "demanddata_2019.csv").read_bytes())
    day = dt.date(2019, 6, 1)
    half_hours = market_day_rows(raw, GB, day).filter(pl.col("settlement_period") != 2)
    grid = gb.grid_hourly("GB", day, GB.timezone, half_hours)
    assert grid["demand_coverage"].to_list()[:2] == [0.5, 1.0]
    assert grid["demand_mw"][0] == half_hours["national_demand_mw"][0]


def test_published_intensity_hourly_on_the_2023_file(datasets):
    rows = ci.parse_history(
        (datasets / "gb_carbon_intensity" / "national_intensity_2023.csv").read_bytes()
    )
    for day, hours in ((dt.date(2023, 3, 26), 23), (dt.date(2023, 10, 29), 25)):
        frame, zeros = gb.published_intensity_hourly(
            "GB", day, GB.timezone, market_day_rows(rows, GB, day)
        )
        assert frame.height == hours and (frame["published_coverage"] == 1.0).all() and zeros == 0
    # the zero actuals of 2023-06-07 (faults) are dropped, not averaged in
    day = dt.date(2023, 6, 7)
    frame, zeros = gb.published_intensity_hourly(
        "GB", day, GB.timezone, market_day_rows(rows, GB, day)
    )
    assert zeros == 4 and frame["published_gco2_per_kwh"].min() > 50
    # 09:30, 10:00, 10:30, 11:00 UTC were zero: the hour from 10:00 has none left (null)
    hours = frame["interval_start_utc"].dt.hour()
    coverage = dict(zip(hours, frame["published_coverage"], strict=True))
    assert (coverage[9], coverage[10], coverage[11]) == (0.5, 0.0, 0.5)
    assert frame["published_gco2_per_kwh"].null_count() == 1
    # the gap: 2023-10-21 has nothing, every hour null with coverage 0
    day = dt.date(2023, 10, 21)
    frame, _ = gb.published_intensity_hourly("GB", day, GB.timezone, market_day_rows(rows, GB, day))
    assert frame.height == 24 and frame["published_gco2_per_kwh"].is_null().all()
    assert (frame["published_coverage"] == 0).all()


def test_gb_days_replay_into_the_harmonized_tables(recordings, tmp_path):
    first, last = dt.date(2019, 10, 26), dt.date(2019, 10, 28)  # 10-27: 25 hours
    outcome = materialize_window(
        first,
        last,
        "GB",
        dg.DagsterInstance.ephemeral(),
        tmp_path,
        recordings,
        "replay",
        report=False,
        day_ahead_from=last + dt.timedelta(days=1),  # ingest only
    )
    assert outcome.partitions_failed == [] and outcome.optional_failed == []
    assert outcome.partitions_ok == {"raw_neso_demand_job": 3, "ingest_job": 3}
    warehouse = Warehouse(tmp_path / "warehouse")
    grid = warehouse.query(
        "select market_date, count(*) as hours, min(demand_coverage) as coverage,"
        " avg(demand_mw) as demand, count(coal_mw) as coal from harmonized.grid_hourly"
        " group by 1 order by 1"
    )
    assert grid["hours"].to_list() == [24, 25, 24]
    assert grid["coverage"].to_list() == [1.0, 1.0, 1.0]
    assert grid["demand"].is_between(20_000, 40_000).all() and (grid["coal"] == 0).all()
    # no operator forecast: every hour stored null, provider "none"; the features say so
    operator = warehouse.query("select * from harmonized.operator_load_forecast")
    assert operator.height == 73 and operator["forecast_demand_mw"].is_null().all()
    assert set(operator["provider"]) == {"none"}
    features = warehouse.query("select * from features.load_features")
    assert features["operator_forecast_mw"].is_null().all()
    # no fuel mix and (before 2023) no published intensity: null, coverage 0, never invented
    carbon = warehouse.query("select * from harmonized.carbon_intensity")
    assert carbon.height == 73
    assert carbon["carbon_gco2_per_kwh"].is_null().all()
    assert carbon["published_gco2_per_kwh"].is_null().all()
    assert (carbon["coverage"] == 0).all() and (carbon["published_coverage"] == 0).all()
    raw = warehouse.query("select distinct source_url from raw.neso_demand")
    assert raw["source_url"].to_list() == ["datasets:neso_demand/demanddata_2019.csv"]


def test_gb_load_forecast_is_scored_against_the_seasonal_naive(recordings, tmp_path):
    """The load slice on a month of NESO demand: our forecasts for two days (across the spring
    clock change) scored on the same hours as the seasonal naive; no operator row."""
    outcome = materialize_window(
        dt.date(2019, 3, 1),
        dt.date(2019, 4, 1),
        "GB",
        dg.DagsterInstance.ephemeral(),
        tmp_path,
        recordings,
        "replay",
        report=False,
        day_ahead_from=dt.date(2019, 3, 31),
        cross_region=False,
        day_ahead_job="load_day_ahead_job",
        ingest_job="load_ingest_job",
    )
    assert outcome.partitions_failed == []
    assert outcome.partitions_ok["load_day_ahead_job"] == 2
    scores = Warehouse(tmp_path / "warehouse").query(
        "select * from evaluation.load_forecast_score order by market_date, forecaster"
    )
    assert set(scores["forecaster"]) == {"ensemble", "lightgbm", "mlx", "seasonal_naive_7d"}
    assert scores.group_by("market_date").agg(pl.col("hours").unique())["hours"].to_list() in (
        [[23], [24]],
        [[24], [23]],
    )
    assert scores["mape_pct"].is_between(0, 20).all()


def test_gb_carbon_slice_fails_naming_the_missing_intensity(recordings, tmp_path):
    """Before 2023 GB's carbon models have no target offline (no fuel mix; the published
    intensity, GB's carbon target, is 2023, the demand 2009-2020): they fail saying so, nothing
    is stored. The 2023 slice, on the published intensity: `test_gb_carbon.py`."""
    outcome = materialize_window(
        dt.date(2019, 3, 1),
        dt.date(2019, 4, 1),
        "GB",
        dg.DagsterInstance.ephemeral(),
        tmp_path,
        recordings,
        "replay",
        report=False,
        day_ahead_from=dt.date(2019, 4, 1),
        cross_region=False,
        day_ahead_job="carbon_day_ahead_job",
        ingest_job="carbon_ingest_job",
    )
    assert [key for _, key, _ in outcome.partitions_failed] == ["2019-04-01|GB"]
    message = outcome.partitions_failed[0][2]
    assert "carbon" in message and "found 0" in message


def test_the_2023_intensity_replays_through_its_raw_asset(recordings, tmp_path):
    """raw/uk_carbon_intensity_national offline: the clock-change days have 46 and 50
    half-hours; the truncated 2023-10-20 (46 of 48) stores what it has and its completeness
    check warns; 2023-10-21, absent from the file, fails naming the asset and partition."""
    from energy_assets.definitions import build_definitions
    from energy_assets.defs_support.resources import default_resources
    from energy_assets.partitions import partition_key
    from energy_assets.recorded_runs import execute_recorded
    from energy_assets.runner import QUIET, _failure

    defs = build_definitions(default_resources(tmp_path, recordings, "replay"))
    job = defs.resolve_job_def("raw_uk_carbon_intensity_national_job")
    instance = dg.DagsterInstance.ephemeral()

    def run(first: str, last: str):
        span = (partition_key("GB", first), partition_key("GB", last))
        return execute_recorded(job, instance, partition_range=span, run_config=QUIET)

    assert run("2023-03-26", "2023-03-26").success
    assert run("2023-10-29", "2023-10-29").success
    truncated = run("2023-10-20", "2023-10-20")
    assert truncated.success
    checks = {c.check_name: c for c in truncated.get_asset_check_evaluations()}
    check = checks["completeness"]
    assert not check.passed and checks["schema"].passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    rows = Warehouse(tmp_path / "warehouse").query(
        "select market_date, count(*) as n, min(source_url) as url"
        " from raw.uk_carbon_intensity_national group by 1 order by 1"
    )
    assert rows["n"].to_list() == [46, 46, 50]
    assert set(rows["url"]) == {"datasets:gb_carbon_intensity/national_intensity_2023.csv"}
    gap = run("2023-10-21", "2023-10-21")
    assert not gap.success
    message = " ".join(_failure(gap)[0])
    assert "raw/uk_carbon_intensity_national" in message and "2023-10-21|GB" in message


def test_the_backfill_client_stages_gb_provider_by_provider():
    """`energy-assets backfill --region GB --layers raw,...`: NESO's demand, then (for days
    from 2023) the Carbon Intensity API's national feed, then the layers below."""
    from energy_assets.backfill import _raw_stages

    def node(key: str) -> dict:
        layer, name = key.split("/")
        return {"key": key, "path": [layer, name], "group": layer}

    chosen = [
        node(k)
        for k in (
            "raw/neso_demand",
            "raw/uk_carbon_intensity_national",
            "harmonized/grid_hourly",
            "harmonized/carbon_intensity",
        )
    ]
    stages = _raw_stages(chosen, ["GB"], dt.date(2022, 12, 30), dt.date(2023, 1, 2))
    assert [([n["key"] for n in a], first, regions) for a, first, regions in stages] == [
        (["raw/neso_demand"], dt.date(2022, 12, 30), ["GB"]),
        (["raw/uk_carbon_intensity_national"], dt.date(2023, 1, 1), ["GB"]),
        (["harmonized/grid_hourly", "harmonized/carbon_intensity"], dt.date(2022, 12, 30), ["GB"]),
    ]


SHARES = {"biomass": 5.1, "coal": 0, "imports": 12.4, "gas": 30.2, "nuclear": 14.5}
SHARES |= {"other": 0.3, "hydro": 0.8, "solar": 21.2, "wind": 15.5}


def test_ours_from_the_apis_generation_mix_uses_our_factors_without_imports():
    """Live, GB's grid has no fuel mix but the API publishes one (percent by fuel): ours is the
    factor-weighted mean over the generation shares, imports left out (production-based), beside
    the API's own intensity (imports counted, its factors). A fixture of the documented
    `/generation/{from}/{to}` shape, written here, not recorded."""
    import json

    from energy_assets.harmonize.carbon import (
        DIRECT_EMISSION_FACTORS_GCO2_PER_KWH,
        EMISSION_FACTORS_GCO2_PER_KWH,
    )

    body = {
        "data": [
            {
                "from": "2023-06-01T11:00Z",
                "to": "2023-06-01T11:30Z",
                "generationmix": [{"fuel": f, "perc": p} for f, p in SHARES.items()],
            }
        ]
    }
    mix = ci.parse_generation(json.dumps(body).encode())
    day = dt.date(2023, 6, 1)
    frame = gb.intensity_from_generation_mix("GB", day, GB.timezone, mix)
    assert frame.height == 24
    hour = frame.filter(pl.col("coverage") > 0)
    assert hour["interval_start_utc"].to_list() == [dt.datetime(2023, 6, 1, 11, tzinfo=dt.UTC)]
    assert hour["coverage"][0] == 0.5  # one of the hour's two half-hours
    shares = {gb.MIX_FUELS[f"{k}_pct"]: v for k, v in SHARES.items() if k != "imports"}
    total = sum(shares.values())
    lifecycle = sum(v * EMISSION_FACTORS_GCO2_PER_KWH[k] for k, v in shares.items()) / total
    direct = sum(v * DIRECT_EMISSION_FACTORS_GCO2_PER_KWH.get(k, 0) for k, v in shares.items())
    assert hour["carbon_gco2_per_kwh"][0] == pytest.approx(lifecycle)
    assert hour["carbon_direct_gco2_per_kwh"][0] == pytest.approx(direct / total)
    assert hour["imports_share"][0] == pytest.approx(0.124) and hour["supply_mw"].is_null().all()
    assert frame.filter(pl.col("coverage") == 0)["carbon_gco2_per_kwh"].is_null().all()
    # no mix stored: ours null, coverage 0
    none = gb.intensity_from_generation_mix("GB", day, GB.timezone, None)
    assert none["carbon_gco2_per_kwh"].is_null().all() and (none["coverage"] == 0).all()
