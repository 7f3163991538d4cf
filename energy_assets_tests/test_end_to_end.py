"""The whole CAISO slice, materialized into a temporary Dagster instance and DuckDB file from the
real recordings, and read back."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from energy_assets.definitions import build_definitions
from energy_assets.defs.models import fit_day
from energy_assets.defs_support.resources import ModelStoreResource, default_resources
from energy_assets.models.carbon_lgbm import CARBON_YOUNG_HISTORY_DAYS, FUEL_MIX_WEIGHT
from energy_assets.models.quantile_lgbm import (
    LOAD_LIGHTGBM_REFIT_EVERY_DAYS,
    LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS,
    LOAD_TRAINING_DAYS,
    load_model,
)
from energy_assets.partitions import MIN_TRAINING_DAYS, RegionDay, partition_key
from energy_assets.runner import (
    QUIET,
    first_day_ahead_day,
    forecast_summary,
    household_summary,
    load_scores,
    materialize_window,
)
from energy_assets.warehouse import TableName, Warehouse

START = dt.date(2020, 7, 1)
FIRST_FORECAST = first_day_ahead_day(START)
# 5 day-ahead days: the last learns its ensemble weights on 3 validation days
DAY_AHEAD_DAYS = 5
END = FIRST_FORECAST + dt.timedelta(days=DAY_AHEAD_DAYS - 1)


@pytest.fixture(scope="module")
def slice_instance():
    return dg.DagsterInstance.ephemeral()


@pytest.fixture(scope="module")
def slice_run(tmp_path_factory, recordings, slice_instance):
    data = tmp_path_factory.mktemp("data")
    outcome = materialize_window(START, END, "CAISO", slice_instance, data, recordings, "replay")
    return outcome, data


def _query(data: Path, sql: str, params=None) -> pl.DataFrame:
    return Warehouse(data / "warehouse").query(sql, params)


def _copy_warehouse(data: Path, copy: Path) -> Path:
    """A copy of the slice's warehouse files (the model artifacts stay where they are)."""
    shutil.copytree(data / "warehouse", copy / "warehouse")
    return copy


RAW_JOBS = (
    "raw_caiso_outlook_demand_job",
    "raw_caiso_outlook_fuel_mix_job",
    "raw_gfs_regional_weather_forecast_job",
)


class IngestRuns:
    """What ingesting a CAISO day takes: each raw feed's job, then `ingest_job` if they all
    succeeded (feeds have their own partitions, so their own jobs); read as one result."""

    def __init__(self, defs: dg.Definitions) -> None:
        self.defs = defs
        self.results: list = []

    def execute_in_process(self, **kwargs) -> IngestRuns:
        raise_on_error = kwargs.pop("raise_on_error", True)
        selection = kwargs.pop("asset_selection", None)
        self.results = [
            self.defs.resolve_job_def(name).execute_in_process(
                raise_on_error=raise_on_error, **kwargs
            )
            for name in RAW_JOBS
        ]
        if self.success:
            self.results.append(
                self.defs.resolve_job_def("ingest_job").execute_in_process(
                    raise_on_error=raise_on_error, **kwargs
                )
            )
        assert selection is None
        return self

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def all_events(self) -> list:
        return [e for r in self.results for e in r.all_events]

    def get_asset_check_evaluations(self) -> list:
        return [e for r in self.results for e in r.get_asset_check_evaluations()]


def _drop_partition(data: Path, table: str, day: dt.date) -> None:
    layer, dataset = table.split("/")
    path = Warehouse(data / "warehouse").partition_file(
        TableName(layer, dataset), {"region": "CAISO", "date": day.isoformat()}
    )
    Path(path).unlink()


def test_every_partition_materializes_and_every_check_passes(slice_run):
    outcome, _ = slice_run
    days = (END - START).days + 1
    assert outcome.partitions_failed == []
    assert outcome.partitions_ok == {
        "raw_caiso_outlook_demand_job": days,
        "raw_caiso_outlook_fuel_mix_job": days,
        "raw_gfs_regional_weather_forecast_job": days,
        "ingest_job": days,
        "day_ahead_job": DAY_AHEAD_DAYS,
        "cross_region_job": DAY_AHEAD_DAYS,
        "report_job": 1,
    }
    assert outcome.checks["failed"] == 0
    # one run per job over the window (a raw feed has a job of its own), one result per check
    # per run (a range's result fails if any of its days failed it). ingest: schema on 10 assets
    # (3 raw, 4 harmonized, 3 features) + completeness on 5 + plausible demand pass; history on
    # the 3 feature tables warns (the first 8 days' D-8..D-1 start before the window). day-ahead:
    # schema on 6 models, 7 forecasts, 2 schedules and 3 scores + history on the carbon profile
    # (D-15..D-2, inside the window) pass, while the 5 models (D-56..D-2) and the ensemble
    # (members of D-57..D-2) warn; cross-region: compute jobs' schema; the two reports
    assert outcome.runs == 7
    assert outcome.checks["passed"] == 16 + 19 + 1 + 2
    assert outcome.checks["warned"] == 3 + 6


def test_tables_read_back_with_the_right_shapes(slice_run):
    _, data = slice_run
    counts = _query(
        data,
        """select (select count(*) from raw.caiso_outlook_demand) as raw_demand,
                  (select count(*) from harmonized.grid_hourly) as grid,
                  (select count(*) from harmonized.carbon_intensity) as carbon,
                  (select count(*) from features.load_features) as feats,
                  (select count(*) from forecasts.load_day_ahead) as fc,
                  (select count(*) from forecasts.carbon_day_ahead) as cfc""",
    ).row(0, named=True)
    days = (END - START).days + 1
    assert counts["raw_demand"] == 288 * days
    assert counts["grid"] == counts["carbon"] == counts["feats"] == 24 * days
    assert counts["fc"] == counts["cfc"] == 24 * DAY_AHEAD_DAYS
    grid = _query(data, "select * from harmonized.grid_hourly where market_date = ?", [START])
    assert grid["demand_coverage"].min() == 1.0
    # a July day in California: demand between 20 and 50 GW, solar at noon > 5 GW
    assert 20_000 < grid["demand_mw"].min() < grid["demand_mw"].max() < 50_000
    assert grid["solar_mw"].max() > 5_000


def test_raw_rows_point_at_the_archived_payload(slice_run):
    _, data = slice_run
    row = _query(
        data,
        "select payload_sha256, source_url from raw.caiso_outlook_demand where market_date = ? limit 1",
        [START],
    ).row(0)
    blob = data / "raw_archive" / "caiso" / row[0][:2] / f"{row[0]}.body"
    assert blob.exists()
    assert row[1] == "https://www.caiso.com/outlook/history/20200701/demand.csv"


def test_model_trains_on_exactly_the_trailing_window(slice_run):
    _, data = slice_run
    for table in ("models.load_lightgbm", "models.load_mlx"):
        models = _query(data, f"select * from {table} order by market_date")
        first = models.row(0, named=True)
        assert first["market_date"] == FIRST_FORECAST
        assert first["train_first_date"] == START
        assert first["train_last_date"] == FIRST_FORECAST - dt.timedelta(days=2)
        assert first["training_days"] == MIN_TRAINING_DAYS
        artifact = Path(first["artifact_path"])
        assert artifact.exists() and artifact.is_relative_to(data / "models")
        assert hashlib.sha256(artifact.read_bytes()).hexdigest() == first["artifact_sha256"]


def test_ensemble_weights_are_learned_on_earlier_days_only(slice_run):
    _, data = slice_run
    weights = _query(data, "select * from models.load_ensemble order by market_date, quantile")
    assert weights.height == 3 * DAY_AHEAD_DAYS
    by_day = weights.group_by("market_date").agg(
        pl.col("validation_days").first(), pl.col("method").first(), pl.col("weight_lightgbm")
    )
    for row in by_day.iter_rows(named=True):
        # validation days are the scored days before D-1: none for the first two days
        expected = max(0, (row["market_date"] - FIRST_FORECAST).days - 1)
        assert row["validation_days"] == expected
        if expected < 3:
            assert row["method"].startswith("equal weights") and row["weight_lightgbm"] == [0.5] * 3
        else:
            assert row["method"].startswith("pinball-loss grid search")
    last = weights.filter(pl.col("market_date") == END)
    assert (last["pinball_ensemble_mw"] <= last["pinball_lightgbm_mw"] + 1e-9).all()
    assert (last["pinball_ensemble_mw"] <= last["pinball_mlx_mw"] + 1e-9).all()
    # the ensemble forecast is the weighted members (before sorting, which these never need)
    members = _query(
        data,
        """select e.demand_p50_mw as ens, l.demand_p50_mw as lgb, m.demand_p50_mw as mlx
           from forecasts.load_day_ahead e
           join forecasts.load_day_ahead_lightgbm l using (region, interval_start_utc)
           join forecasts.load_day_ahead_mlx m using (region, interval_start_utc)
           where e.market_date = ?""",
        [END],
    )
    w = last.filter(pl.col("quantile") == 0.5)["weight_lightgbm"][0]
    expected = w * members["lgb"] + (1 - w) * members["mlx"]
    assert (members["ens"] - expected).abs().max() < 1e-6


def test_forecasts_are_issued_before_the_day_and_scored(slice_run):
    _, data = slice_run
    fc = _query(data, "select * from forecasts.load_day_ahead")
    assert (fc["issued_at_utc"] < fc["interval_start_utc"]).all()
    summary = forecast_summary(load_scores(data / "warehouse"), "CAISO", START, END)["all"]
    assert summary.hours == 24 * DAY_AHEAD_DAYS
    assert set(summary.mape_pct) == {
        "ensemble",
        "lightgbm",
        "mlx",
        "operator_day_ahead",
        "seasonal_naive_7d",
    }
    assert all(0 < summary.mape_pct[f] < 10 for f in ("ensemble", "lightgbm", "mlx"))


def test_report_rolls_the_scored_days_up(slice_run):
    _, data = slice_run
    report = _query(data, "select * from evaluation.load_forecast_report")
    overall = report.filter(pl.col("period_kind") == "all")
    assert set(overall["forecaster"]) == {
        "ensemble",
        "lightgbm",
        "mlx",
        "operator_day_ahead",
        "seasonal_naive_7d",
    }
    assert (overall["days"] == DAY_AHEAD_DAYS).all()
    naive = overall.filter(pl.col("forecaster") == "seasonal_naive_7d").row(0, named=True)
    assert naive["rmae"] == pytest.approx(1.0) and naive["dm_stat_vs_naive"] is None
    ensemble = overall.filter(pl.col("forecaster") == "ensemble").row(0, named=True)
    assert 0 <= ensemble["p10_p90_coverage"] <= 1 and ensemble["pinball_mean_mw"] > 0
    assert 0 <= ensemble["dm_p_value_vs_naive"] <= 1
    assert set(report["period_kind"]) == {"all", "year", "month"}


def test_carbon_forecast_is_the_trained_model_scored_against_the_profile(slice_run):
    _, data = slice_run
    models = _query(data, "select * from models.carbon_lightgbm order by market_date")
    assert models.height == DAY_AHEAD_DAYS
    assert all(Path(p).exists() for p in models["artifact_path"])
    # the carbon models learn the intensity relative to its recent level (`models/carbon_lgbm`)
    from energy_assets.models.quantile_lgbm import load_model

    first = models.row(0, named=True)
    model = load_model(Path(first["artifact_path"]), first["artifact_sha256"])
    assert model.target_transform == "ratio" and model.baseline_rule == "each"
    baselines = ("carbon_lag_1d_gco2_per_kwh", "carbon_last_known_gco2_per_kwh")
    assert model.baseline_columns == baselines
    assert [m.baseline_columns for m in model.members] == [(b,) for b in baselines]
    forecast = _query(data, "select * from forecasts.carbon_day_ahead")
    assert set(forecast["model_version"]) == set(models["model_version"])
    profile = _query(data, "select * from forecasts.carbon_day_ahead_profile")
    assert profile.height == forecast.height == 24 * DAY_AHEAD_DAYS
    features = _query(data, "select * from features.carbon_features")
    assert features.height == 24 * ((END - START).days + 1)
    assert (features["available_at_utc"] <= features["issued_at_utc"]).all()
    report = _query(data, "select * from evaluation.carbon_forecast_report")
    overall = report.filter(pl.col("period_kind") == "all")
    assert set(overall["forecaster"]) == {
        "lightgbm",
        "profile",
        "seasonal_naive_7d",
        "lightgbm_direct",
        "seasonal_naive_7d_direct",
    }
    assert (overall["days"] == DAY_AHEAD_DAYS).all()
    by = {r["forecaster"]: r for r in overall.iter_rows(named=True)}
    assert 0 < by["lightgbm"]["mae_gco2_per_kwh"] < 60
    assert by["seasonal_naive_7d"]["rmae"] == pytest.approx(1.0)
    assert 0 <= by["lightgbm"]["dm_p_value_vs_profile"] <= 1


def test_dispatch_value_compares_realized_with_baseline_and_perfect_foresight(slice_run):
    _, data = slice_run
    value = _query(data, "select * from evaluation.dispatch_value order by market_date, schedule")
    assert value.height == 2 * DAY_AHEAD_DAYS
    house = value.filter(pl.col("schedule") == "household_load_shift").row(0, named=True)
    assert house["objective"] == "carbon"
    assert house["perfect_foresight_co2_kg"] <= house["realized_co2_kg"] + 1e-6
    assert house["regret_co2_kg"] >= -1e-6
    assert house["realized_co2_kg"] < house["baseline_co2_kg"]
    fleet = value.filter(pl.col("schedule") == "vpp_fleet_dispatch").row(0, named=True)
    assert fleet["realized_cost_usd"] < fleet["baseline_cost_usd"]
    # on the default cost objective the tariff is known the day before: knowing the actual
    # carbon would not have lowered the bill (up to the solver's carbon tie-break)
    assert fleet["objective"] == "cost" and fleet["perfect_foresight_cost_usd"] is not None
    assert abs(fleet["regret_cost_usd"]) < 0.01 * abs(fleet["realized_cost_usd"]) + 0.01


def test_compute_jobs_are_placed_in_cleaner_hours_than_run_now(slice_run):
    _, data = slice_run
    jobs = _query(
        data,
        """select p.*, c.carbon_p50_gco2_per_kwh as carbon from dispatch.compute_job_placement p
           join forecasts.carbon_day_ahead c
             on c.region = p.placed_region and c.interval_start_utc = p.start_utc
           where p.market_date = ?""",
        [FIRST_FORECAST],
    )
    assert jobs.height == 100
    assert (jobs["end_utc"] > jobs["start_utc"]).all()
    assert (jobs["placed_region"] == "CAISO").all()  # the only region with a carbon forecast yet
    # jobs with slack start where the forecast is cleaner than the day's average
    day_mean = _query(
        data,
        "select avg(carbon_p50_gco2_per_kwh) as m from forecasts.carbon_day_ahead where market_date = ?",
        [FIRST_FORECAST],
    )["m"][0]
    assert jobs.filter(pl.col("delay_hours") > 0)["carbon"].mean() < day_mean


def test_a_range_draws_the_plot_of_its_last_day_only(slice_run):
    _, data = slice_run
    for asset in ("household_load_shift", "vpp_fleet_dispatch"):
        drawn = sorted(p.name for p in (data / "plots" / asset / "CAISO").iterdir())
        assert drawn == [f"{END.isoformat()}.png"], asset


def _latest_metadata(instance: dg.DagsterInstance, key: list[str]) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(key))
    assert event is not None, key
    return event.asset_materialization.metadata


def test_results_are_tables_on_the_asset_page(slice_run, slice_instance):
    """The report's rows and a model's feature importances are table metadata (rendered on the
    asset's page), rounded; importances largest first."""
    _, data = slice_run
    report = _latest_metadata(slice_instance, ["evaluation", "load_forecast_report"])["results"]
    assert isinstance(report, dg.TableMetadataValue)
    stored = _query(data, "select * from evaluation.load_forecast_report")
    assert len(report.records) == stored.height
    types = {c.name: c.type for c in report.schema.columns}
    assert types["mape_pct"] == "float" and types["days"] == "int" and types["region"] == "string"
    assert all(r.data["mape_pct"] == round(r.data["mape_pct"], 3) for r in report.records)
    gains = _latest_metadata(slice_instance, ["models", "load_lightgbm"])["feature_importance_gain"]
    assert isinstance(gains, dg.TableMetadataValue)
    values = [r.data["gain"] for r in gains.records]
    assert values == sorted(values, reverse=True) and values[0] > 0
    assert sum(r.data["share_pct"] for r in gains.records) == pytest.approx(100, abs=0.5)


def test_household_schedule_saves_against_the_baseline(slice_run):
    _, data = slice_run
    household = household_summary(data / "warehouse", "CAISO", START, END)
    assert household["days"] == DAY_AHEAD_DAYS
    assert household["optimized_co2_kg"] < household["baseline_co2_kg"]


def test_vpp_fleet_dispatch_cycles_batteries_into_the_peak(slice_run):
    _, data = slice_run
    per_slot = _query(
        data,
        """select interval_start_utc, sum(net_import_kw) as net, sum(baseline_net_import_kw) as base,
                  sum(discharge_kw) as discharge, any_value(price_usd_per_kwh) as price,
                  count(*) as homes
           from dispatch.vpp_fleet_dispatch where market_date = ? group by 1 order by 1""",
        [FIRST_FORECAST],
    )
    assert per_slot.height == 96 and (per_slot["homes"] == 100).all()
    # net metering at the tariff: the dispatched fleet pays less than with idle batteries
    assert (per_slot["net"] * per_slot["price"]).sum() < (
        per_slot["base"] * per_slot["price"]
    ).sum()
    peak = per_slot.filter(pl.col("price") == pl.col("price").max())
    assert peak["discharge"].sum() > 0.5 * per_slot["discharge"].sum()


# --- bad input: a real payload replaced by broken bytes must fail clearly and keep what is stored


def _single_day_recordings(recordings: Path, tmp_path: Path, day: str) -> Path:
    folder = tmp_path / "recordings" / "caiso_outlook" / day
    folder.mkdir(parents=True)
    for name in ("demand.csv", "fuelsource.csv"):
        shutil.copy(recordings / "caiso_outlook" / day / name, folder / name)
    return tmp_path / "recordings"


@pytest.mark.parametrize(
    "broken",
    [
        b"",
        b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head></html>\n",
        "truncated",
    ],
    ids=["empty", "html-error-page", "cut-mid-line"],
)
def test_broken_payload_fails_clearly_and_keeps_stored_rows(recordings, tmp_path, broken):
    day = "20200701"
    recs = _single_day_recordings(recordings, tmp_path, day)
    data = tmp_path / "data"
    defs = build_definitions(default_resources(data, recs, "replay"))
    job = IngestRuns(defs)
    instance = dg.DagsterInstance.ephemeral()
    key = partition_key("CAISO", "2020-07-01")
    assert job.execute_in_process(partition_key=key, instance=instance, run_config=QUIET).success
    before = _query(data, "select * from raw.caiso_outlook_demand")

    target = recs / "caiso_outlook" / day / "demand.csv"
    if broken == "truncated":
        body = target.read_bytes()
        broken = body[: len(body) // 2 + 3]
    target.write_bytes(broken)
    result = job.execute_in_process(
        partition_key=key, instance=instance, run_config=QUIET, raise_on_error=False
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    error = failure.step_failure_data.error
    text = str(error.message) + "".join(str(c.message) for c in _causes(error))
    assert "caiso" in text and "2020-07-01|CAISO" in text
    assert "https://www.caiso.com/outlook/history/20200701/demand.csv" in text
    after = _query(data, "select * from raw.caiso_outlook_demand")
    assert after.equals(before)


def _causes(error):
    while error.cause is not None:
        error = error.cause
        yield error


def test_two_concurrent_writers_with_overlapping_windows_keep_every_partition_once(
    recordings, tmp_path
):
    """Two processes materialize overlapping windows into one warehouse at the same time (as two
    backfills, or the CLI beside a UI backfill, would): both succeed with no lock, and every
    partition is there once, whole."""
    script = tmp_path / "window.py"
    script.write_text(
        "import sys, dagster as dg\n"
        "from pathlib import Path\n"
        "from energy_assets.definitions import build_definitions\n"
        "from energy_assets.defs_support.resources import default_resources\n"
        "from energy_assets.partitions import partition_key\n"
        "from energy_assets.runner import QUIET\n"
        "defs = build_definitions(default_resources(Path(sys.argv[1]), Path(sys.argv[2]), 'replay'))\n"
        "jobs = ['raw_caiso_outlook_demand_job', 'raw_caiso_outlook_fuel_mix_job',"
        " 'raw_gfs_regional_weather_forecast_job', 'ingest_job']\n"
        "ok = True\n"
        "for day in sys.argv[3:]:\n"
        "    for name in jobs:\n"
        "        ok &= defs.resolve_job_def(name).execute_in_process(partition_key=partition_key("
        "'CAISO', day), instance=dg.DagsterInstance.ephemeral(), run_config=QUIET,"
        " raise_on_error=False).success\n"
        "sys.exit(0 if ok else 1)\n"
    )
    data = tmp_path / "data"
    days_a = ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"]
    days_b = ["2020-01-03", "2020-01-04", "2020-01-02", "2020-01-05"]
    procs = [
        subprocess.Popen([sys.executable, str(script), str(data), str(recordings), *days])
        for days in (days_a, days_b)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    expected = sorted(set(days_a + days_b))
    for table in ("raw.caiso_outlook_demand", "harmonized.grid_hourly", "features.load_features"):
        per_day = _query(
            data, f"select market_date, count(*) as n from {table} group by 1 order by 1"
        )
        assert [d.isoformat() for d in per_day["market_date"]] == expected, table
        # once each: 288 five-minute readings or 24 hours a day, no duplicates from two writers
        assert set(per_day["n"]) == ({288} if table.startswith("raw") else {24}), table
    leftovers = list((data / "warehouse").rglob("*.tmp"))
    assert leftovers == []


def test_dagster_definitions_validate(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster",
            "definitions",
            "validate",
            "-m",
            "energy_assets.definitions",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_first_partition_has_no_history_and_still_materializes(recordings, tmp_path):
    """Features for 2019-01-01 read a window (D-8..D-1) wholly before the first partition."""
    defs = build_definitions(default_resources(tmp_path, recordings, "replay"))
    result = IngestRuns(defs).execute_in_process(
        partition_key=partition_key("CAISO", "2019-01-01"),
        instance=dg.DagsterInstance.ephemeral(),
        run_config=QUIET,
    )
    assert result.success
    features = _query(tmp_path, "select * from features.load_features")
    assert features.height == 24
    assert features["lag_2d_mw"].is_null().all()
    assert features["operator_forecast_mw"].is_not_null().all()


def test_dst_and_short_days_materialize_with_completeness_warnings(recordings, tmp_path):
    """Spring-forward (23 h), fall-back (25 h, one hour unreported) and a day missing three
    readings of demand and of fuel mix: every run succeeds; incomplete days warn, not fail."""
    defs = build_definitions(default_resources(tmp_path, recordings, "replay"))
    job = IngestRuns(defs)
    instance = dg.DagsterInstance.ephemeral()
    warnings: dict[str, set[str]] = {}
    for day in ("2019-03-10", "2019-11-03", "2019-05-10"):
        result = job.execute_in_process(
            partition_key=partition_key("CAISO", day), instance=instance, run_config=QUIET
        )
        assert result.success
        warnings[day] = {
            e.asset_key.to_user_string()
            for e in result.get_asset_check_evaluations()
            if not e.passed
            and e.severity == dg.AssetCheckSeverity.WARN
            and e.check_name == "completeness"
        }
        # each day is ingested alone: its features' D-8..D-1 history is missing, and says so
        assert {
            e.asset_key.to_user_string()
            for e in result.get_asset_check_evaluations()
            if not e.passed and e.check_name == "history"
        } == {"features/load_features", "features/carbon_features", "features/carbon_features_utc"}
    hours = _query(
        tmp_path, "select market_date, count(*) as n from harmonized.grid_hourly group by 1"
    )
    assert dict(zip(hours["market_date"].cast(pl.Utf8), hours["n"], strict=True)) == {
        "2019-03-10": 23,
        "2019-11-03": 25,
        "2019-05-10": 24,
    }
    assert warnings["2019-03-10"] == set()
    assert warnings["2019-11-03"] == {
        "raw/caiso_outlook_demand",
        "raw/caiso_outlook_fuel_mix",
        "harmonized/grid_hourly",
    }
    assert warnings["2019-05-10"] == {
        "raw/caiso_outlook_demand",
        "raw/caiso_outlook_fuel_mix",
        "harmonized/grid_hourly",
    }


def test_unrecorded_day_fails_at_once_naming_the_url(tmp_path):
    """Replay of a day with no recording: a clear error naming the URL, and no step retries."""
    empty = tmp_path / "recordings"
    empty.mkdir()
    defs = build_definitions(default_resources(tmp_path / "data", empty, "replay"))
    result = IngestRuns(defs).execute_in_process(
        partition_key=partition_key("CAISO", "2021-03-01"),
        instance=dg.DagsterInstance.ephemeral(),
        run_config=QUIET,
        raise_on_error=False,
    )
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert {e.step_key for e in failures} == {
        "raw__caiso_outlook_demand",
        "raw__caiso_outlook_fuel_mix",
    }
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    message = failures[0].step_failure_data.error.message
    assert (
        "2021-03-01|CAISO" in message
        and "https://www.caiso.com/outlook/history/20210301/" in message
    )


def test_schedules_take_their_objective_and_forecast_quantile_from_config(slice_run, tmp_path):
    """The household on cost (time-of-use tariff) planning on the P90 carbon forecast, and the
    compute jobs on P90 under a CO2 cap, re-materialized from a copy of the slice's warehouse."""
    _, data = slice_run
    copy = _copy_warehouse(data, tmp_path / "data")
    defs = build_definitions(default_resources(copy, tmp_path / "no-recordings", "replay"))
    keys = [
        dg.AssetKey(["dispatch", "household_load_shift"]),
        dg.AssetKey(["dispatch", "compute_job_placement"]),
        dg.AssetKey(["dispatch", "vpp_fleet_dispatch"]),
        dg.AssetKey(["evaluation", "dispatch_value"]),
    ]
    household_ops = {
        "dispatch__household_load_shift": {
            "config": {"objective": "cost", "carbon_quantile": "p90"}
        },
        "dispatch__vpp_fleet_dispatch": {
            "config": {"objective": "carbon", "carbon_quantile": "p90", "n_homes": 10}
        },
    }
    jobs_ops = {
        "dispatch__compute_job_placement": {
            "config": {"carbon_quantile": "p90", "carbon_cap_kg": 1_000_000.0}
        }
    }
    result = defs.resolve_job_def("day_ahead_job").execute_in_process(
        partition_key=partition_key("CAISO", END),
        instance=dg.DagsterInstance.ephemeral(),
        run_config={**QUIET, "ops": household_ops},
        asset_selection=[keys[0], keys[2], keys[3]],
    )
    assert result.success
    cross = defs.resolve_job_def("cross_region_job").execute_in_process(
        partition_key=partition_key("CAISO", END),
        instance=dg.DagsterInstance.ephemeral(),
        run_config={**QUIET, "ops": jobs_ops},
    )
    assert cross.success
    meta = {
        m.asset_key: m.metadata
        for r in (result, cross)
        for m in (
            e.event_specific_data.materialization for e in r.get_asset_materialization_events()
        )
    }
    house = meta[keys[0]]
    assert house["objective_kind"].value == "cost" and house["objective_unit"].value == "USD"
    assert house["optimized_cost_usd"].value <= house["baseline_cost_usd"].value
    assert meta[keys[1]]["carbon_quantile"].value == "p90"
    fleet = meta[keys[2]]
    assert fleet["objective_kind"].value == "carbon" and fleet["num_homes"].value == 10
    # a day's own run shows its schedules' plots (a range draws only its last day's: below)
    for schedule in (house, fleet):
        assert schedule["schedule_plot"].value.startswith("![")
        assert Path(schedule["schedule_plot_path"].value).exists()
    plan = _query(
        copy,
        """select h.carbon_forecast_gco2_per_kwh as planned, c.carbon_p90_gco2_per_kwh as p90
           from dispatch.household_load_shift h join forecasts.carbon_day_ahead c
             on c.region = h.region and c.interval_start_utc = date_trunc('hour', h.interval_start_utc)
           where h.market_date = ?""",
        [END],
    )
    assert plan.height > 0 and (plan["planned"] - plan["p90"]).abs().max() < 1e-9
    # perfect foresight re-plans with the plan's own objective: no plan beats it on cost
    value = _query(copy, "select * from evaluation.dispatch_value where market_date = ?", [END])
    house_value = value.filter(pl.col("schedule") == "household_load_shift").row(0, named=True)
    assert house_value["objective"] == "cost"
    assert house_value["regret_cost_usd"] >= -1e-9
    assert house_value["realized_cost_usd"] <= house_value["baseline_cost_usd"] + 1e-9
    fleet_value = value.filter(pl.col("schedule") == "vpp_fleet_dispatch").row(0, named=True)
    assert fleet_value["objective"] == "carbon"
    assert fleet_value["perfect_foresight_co2_kg"] is not None


def test_real_corrupt_fuel_mix_day_is_rejected_naming_the_readings(recordings, tmp_path):
    """CAISO's recorded fuel mix for 2019-10-01 has impossible readings (small hydro 431,490 MW,
    natural gas -280,718 MW at 10:40): the raw asset refuses the day, saying which columns and
    how many rows, and stores nothing; the demand of the same day is kept."""
    defs = build_definitions(default_resources(tmp_path / "data", recordings, "replay"))
    result = IngestRuns(defs).execute_in_process(
        partition_key=partition_key("CAISO", "2019-10-01"),
        instance=dg.DagsterInstance.ephemeral(),
        run_config=QUIET,
        raise_on_error=False,
    )
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["raw__caiso_outlook_fuel_mix"]
    message = failures[0].step_failure_data.error.message
    assert "2019-10-01|CAISO" in message
    assert "natural_gas_mw" in message and "small_hydro_mw" in message
    stored = _query(tmp_path / "data", "select count(*) as n from raw.caiso_outlook_demand")
    assert stored["n"][0] == 288
    tables = {t.dataset for t in Warehouse(tmp_path / "data" / "warehouse").tables()}
    assert "caiso_outlook_fuel_mix" not in tables


def test_forecast_without_the_days_features_fails_clearly(slice_run, tmp_path):
    _, data = slice_run
    copy = _copy_warehouse(data, tmp_path / "data")
    _drop_partition(copy, "features/load_features", END)
    defs = build_definitions(default_resources(copy, tmp_path / "no-recordings", "replay"))
    result = defs.resolve_job_def("day_ahead_job").execute_in_process(
        partition_key=partition_key("CAISO", END),
        instance=dg.DagsterInstance.ephemeral(),
        run_config=QUIET,
        raise_on_error=False,
        asset_selection=[
            dg.AssetKey(["models", "load_mlx"]),
            dg.AssetKey(["forecasts", "load_day_ahead_mlx"]),
        ],
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == "forecasts__load_day_ahead_mlx"
    message = failure.step_failure_data.error.message
    assert (
        f"{END}|CAISO" in message and "upstream features/load_features has no partition" in message
    )
    assert "ingest_job" in message  # what to run


def test_carbon_forecast_and_job_placement_without_their_inputs_fail_clearly(slice_run, tmp_path):
    _, data = slice_run
    copy = _copy_warehouse(data, tmp_path / "data")
    _drop_partition(copy, "features/carbon_features", END)
    _drop_partition(copy, "forecasts/carbon_day_ahead", END)
    defs = build_definitions(default_resources(copy, tmp_path / "no-recordings", "replay"))
    key = partition_key("CAISO", END)
    for job, selection, step, expected in (
        (
            "day_ahead_job",
            [dg.AssetKey(["forecasts", "carbon_day_ahead"])],
            "forecasts__carbon_day_ahead",
            "upstream features/carbon_features has no partition",
        ),
        (
            "cross_region_job",
            None,
            "dispatch__compute_job_placement",
            "upstream forecasts/carbon_day_ahead has no partition",
        ),
    ):
        result = defs.resolve_job_def(job).execute_in_process(
            partition_key=key,
            instance=dg.DagsterInstance.ephemeral(),
            run_config=QUIET,
            raise_on_error=False,
            asset_selection=selection,
        )
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure)
        assert failure.step_key == step
        message = failure.step_failure_data.error.message
        assert key in message and expected in message


def test_command_line_runs_are_recorded_under_the_code_location(recordings, tmp_path):
    """The UI lists a run under its job and on the Overview timeline by its code-location
    origin: the command line's in-process runs carry the workspace's, like the daemon's."""
    instance = dg.DagsterInstance.ephemeral()
    day = dt.date(2020, 7, 1)
    outcome = materialize_window(day, day, "CAISO", instance, tmp_path, recordings, "replay")
    assert outcome.partitions_ok == {
        "raw_caiso_outlook_demand_job": 1,
        "raw_caiso_outlook_fuel_mix_job": 1,
        "raw_gfs_regional_weather_forecast_job": 1,
        "ingest_job": 1,
    }
    run = instance.get_run_by_id(outcome.run_ids[3])
    origin = run.remote_job_origin
    assert origin is not None
    assert (origin.location_name, origin.repository_origin.repository_name, origin.job_name) == (
        "energy_assets",
        "__repository__",
        "ingest_job",
    )
    assert run.tags["dagster/partition"] == "2020-07-01|CAISO"
    listed = instance.get_runs(
        dg.RunsFilter(
            job_name="ingest_job", tags={".dagster/repository": "__repository__@energy_assets"}
        )
    )
    assert [r.run_id for r in listed] == [run.run_id]


def _range_tags(first: dt.date, last: dt.date) -> dict[str, str]:
    """The tags a single-run backfill gives a run over a range of partitions."""
    return {
        "dagster/asset_partition_range_start": str(partition_key("CAISO", first)),
        "dagster/asset_partition_range_end": str(partition_key("CAISO", last)),
    }


def test_day_by_day_runs_give_what_the_ranges_gave(slice_run, recordings, tmp_path):
    """The slice ran each job once over its range (single-run backfill policy). Runs of one
    partition each, as a sensor or a click on one partition makes, give the same rows."""
    _, data = slice_run
    copy = _copy_warehouse(data, tmp_path / "data")
    tables = (
        "harmonized.grid_hourly",
        "harmonized.carbon_intensity",
        "features.load_features",
        "features.carbon_features",
        "models.load_ensemble",
        "forecasts.load_day_ahead",
        "forecasts.carbon_day_ahead",
        "evaluation.load_forecast_score",
        "evaluation.carbon_forecast_score",
    )
    before = {t: _query(copy, f"select * from {t} order by all") for t in tables}
    defs = build_definitions(default_resources(copy, recordings, "replay"))
    instance = dg.DagsterInstance.ephemeral()
    for job, first in (
        ("ingest_job", START + dt.timedelta(days=20)),
        ("day_ahead_job", FIRST_FORECAST),
    ):
        day = first
        while day <= END:
            result = defs.resolve_job_def(job).execute_in_process(
                partition_key=partition_key("CAISO", day),
                instance=instance,
                run_config=QUIET,
                raise_on_error=False,
            )
            assert result.success, (job, day)
            day += dt.timedelta(days=1)
    for table in tables:
        # equal to float summation order (polars sums a day's readings in parallel chunks). A
        # model's version is the hash of its artifact: a feature value that differs in its last
        # bit can move a LightGBM split threshold by as much, so the bytes (and the version) of a
        # booster whose forecasts agree to 1e-12 may differ; the versions are compared per day
        # as "one model per day" instead.
        after = _query(copy, f"select * from {table} order by all")
        versions = [c for c in after.columns if c == "model_version"]
        assert_frame_equal(
            after.drop(versions).sort(pl.all()),
            before[table].drop(versions).sort(pl.all()),
            check_exact=False,
            rel_tol=1e-12,
        )
        for frame in (after, before[table]):
            for version in versions:
                per_day = (
                    frame.group_by("region", "market_date", "forecaster", maintain_order=True)
                    if "forecaster" in frame.columns
                    else frame.group_by("region", "market_date")
                )
                assert (per_day.agg(pl.col(version).n_unique())[version] == 1).all(), table


def test_a_window_with_bad_days_runs_again_without_them(recordings, tmp_path):
    """2019-10-01 (impossible fuel-mix readings) and 10-02 (negative demand) are refused: the
    range 09-30..10-03 fails naming both and stores none of it; the command line then runs the
    days around them, each range once."""
    instance = dg.DagsterInstance.ephemeral()
    first, last = dt.date(2019, 9, 30), dt.date(2019, 10, 3)
    outcome = materialize_window(
        first, last, "CAISO", instance, tmp_path, recordings, "replay", report=False
    )
    # each raw feed's job refuses its own bad day; the other feed's day is then unusable too
    assert outcome.partitions_ok == {
        "raw_caiso_outlook_demand_job": 3,
        "raw_caiso_outlook_fuel_mix_job": 3,
        "raw_gfs_regional_weather_forecast_job": 4,
        "ingest_job": 2,
    }
    assert [(job, key) for job, key, _ in outcome.partitions_failed] == [
        ("raw_caiso_outlook_demand_job", "2019-10-02|CAISO"),
        ("raw_caiso_outlook_fuel_mix_job", "2019-10-01|CAISO"),
    ]
    messages = dict((key, message) for _, key, message in outcome.partitions_failed)
    assert "natural_gas_mw" in messages["2019-10-01|CAISO"]
    assert "demand_mw" in messages["2019-10-02|CAISO"]
    runs = [instance.get_run_by_id(run_id) for run_id in outcome.run_ids]
    # per feed: the range fails naming its bad day, then the days around it run (the weather
    # has no bad day: one run); then ingest runs the two days both grid feeds delivered (09-30
    # and 10-03), each a range of one
    assert [r.status for r in runs] == [
        dg.DagsterRunStatus.FAILURE,
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.FAILURE,
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.SUCCESS,
    ]
    assert runs[0].tags["dagster/asset_partition_range_start"] == "2019-09-30|CAISO"
    assert [r.tags.get("dagster/partition") for r in runs[-2:]] == [
        "2019-09-30|CAISO",
        "2019-10-03|CAISO",
    ]
    stored = _query(tmp_path, "select distinct market_date from harmonized.grid_hourly order by 1")
    assert stored["market_date"].to_list() == [first, last]


def test_a_backfill_range_missing_a_day_of_its_own_input_fails_naming_it(slice_run, tmp_path):
    _, data = slice_run
    copy = _copy_warehouse(data, tmp_path / "data")
    missing = END - dt.timedelta(days=1)
    _drop_partition(copy, "harmonized/operator_load_forecast", missing)
    defs = build_definitions(default_resources(copy, tmp_path / "no-recordings", "replay"))
    result = defs.resolve_job_def("ingest_job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        run_config=QUIET,
        raise_on_error=False,
        tags=_range_tags(END - dt.timedelta(days=3), END),
        asset_selection=[dg.AssetKey(["features", "load_features"])],
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message
    assert "upstream harmonized/operator_load_forecast has no partition" in message
    assert missing.isoformat() in message and "ingest_job" in message


def _models_of_two_days(slice_run, tmp_path: Path, names: tuple[str, ...], **cadence):
    """The models `names` over FIRST_FORECAST and the day after, on a copy of the slice's
    warehouse, with the model store's `cadence`: (the copy, the resources, the run's result)."""
    _, data = slice_run
    copy = _copy_warehouse(data, tmp_path / "data")
    resources = default_resources(copy, tmp_path / "no-recordings", "replay")
    resources["model_store"] = ModelStoreResource(root=str(tmp_path / "models"), **cadence)
    result = (
        build_definitions(resources)
        .resolve_job_def("day_ahead_job")
        .execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            run_config=QUIET,
            tags=_range_tags(FIRST_FORECAST, FIRST_FORECAST + dt.timedelta(days=1)),
            asset_selection=[dg.AssetKey(["models", name]) for name in names],
        )
    )
    assert result.success
    return copy, resources, result


def test_the_load_lightgbm_learns_from_its_own_window_and_mlx_from_d56(slice_run, tmp_path):
    """`load_training_days` sets the LightGBM's window (D-N..D-2, the days stored: two years by
    default, `LOAD_TRAINING_DAYS`), not the MLX model's (D-56..D-2): with 29 days, the LightGBM
    of the day after FIRST_FORECAST learns from D-29..D-2 while the MLX model learns from every
    stored day (START..D-2, one more)."""
    assert ModelStoreResource().load_training_days == LOAD_TRAINING_DAYS == 730
    after = FIRST_FORECAST + dt.timedelta(days=1)
    assert after - dt.timedelta(days=29) > START
    copy, _, _ = _models_of_two_days(
        slice_run, tmp_path, ("load_lightgbm", "load_mlx"), load_training_days=29
    )
    query = "select * from {} where market_date = ?"
    lightgbm = _query(copy, query.format("models.load_lightgbm"), [after]).row(0, named=True)
    mlx = _query(copy, query.format("models.load_mlx"), [after]).row(0, named=True)
    assert lightgbm["train_first_date"] == after - dt.timedelta(days=29)
    assert lightgbm["train_last_date"] == after - dt.timedelta(days=2)
    assert lightgbm["training_days"] == 28
    assert mlx["train_first_date"] == START
    assert mlx["training_days"] == 29


@pytest.mark.parametrize("young_history_days", [0, 10_000])
def test_the_load_lightgbm_keeps_its_own_cadence_and_the_models_every_day_while_young(
    slice_run, tmp_path, young_history_days
):
    """The load LightGBM is trained every `load_lightgbm_refit_every_days` (here 2:
    FIRST_FORECAST is a fit day, the day after reuses its model), the MLX model every
    `refit_every_days` (1); while the fit day's window holds fewer stored days than
    `load_lightgbm_young_history_days` (all of them, 10,000), the LightGBM is trained on the
    MLX model's cadence instead: each day on its own window."""
    assert ModelStoreResource().load_lightgbm_refit_every_days == LOAD_LIGHTGBM_REFIT_EVERY_DAYS
    assert ModelStoreResource().load_lightgbm_young_history_days == LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS
    assert fit_day(RegionDay("CAISO", FIRST_FORECAST), 2).market_date == FIRST_FORECAST
    after = FIRST_FORECAST + dt.timedelta(days=1)
    copy, _, _ = _models_of_two_days(
        slice_run,
        tmp_path,
        ("load_lightgbm", "load_mlx"),
        refit_every_days=1,
        load_lightgbm_refit_every_days=2,
        load_lightgbm_young_history_days=young_history_days,
    )

    def rows(table: str) -> list[dict]:
        return _query(
            copy,
            f"select * from {table} where market_date between ? and ? order by market_date",
            [FIRST_FORECAST, after],
        ).to_dicts()

    lightgbm, mlx = rows("models.load_lightgbm"), rows("models.load_mlx")
    assert mlx[0]["artifact_sha256"] != mlx[1]["artifact_sha256"]
    assert mlx[1]["train_last_date"] == after - dt.timedelta(days=2)
    if young_history_days == 0:
        assert lightgbm[1]["artifact_path"] == lightgbm[0]["artifact_path"]
        assert lightgbm[1]["artifact_sha256"] == lightgbm[0]["artifact_sha256"]
        assert lightgbm[1]["train_last_date"] == FIRST_FORECAST - dt.timedelta(days=2)
    else:
        assert lightgbm[1]["artifact_sha256"] != lightgbm[0]["artifact_sha256"]
        assert lightgbm[1]["artifact_path"].endswith(f"{after.isoformat()}.json")
        assert lightgbm[1]["train_last_date"] == after - dt.timedelta(days=2)


def test_models_refit_every_n_days_reuse_the_fit_days_model(slice_run, tmp_path):
    """`refit_every_days=2`: FIRST_FORECAST is a fit day (trained on its own D-56..D-2); the
    day after reuses its artifact, and its row says what it was trained on."""
    assert fit_day(RegionDay("CAISO", FIRST_FORECAST), 2).market_date == FIRST_FORECAST
    after = FIRST_FORECAST + dt.timedelta(days=1)
    copy, resources, _ = _models_of_two_days(
        slice_run,
        tmp_path,
        ("load_lightgbm", "load_mlx", "carbon_lightgbm"),
        refit_every_days=2,
        carbon_refit_every_days=2,
        carbon_young_history_days=0,
    )
    for table in ("models.load_lightgbm", "models.load_mlx", "models.carbon_lightgbm"):
        rows = _query(
            copy,
            f"select * from {table} where market_date >= ? order by market_date",
            [FIRST_FORECAST],
        )
        fit, reuse = rows.row(0, named=True), rows.row(1, named=True)
        assert fit["market_date"] == FIRST_FORECAST and reuse["market_date"] == after
        assert Path(fit["artifact_path"]).parent.parent.parent == tmp_path / "models"
        assert reuse["artifact_path"] == fit["artifact_path"]
        assert reuse["artifact_sha256"] == fit["artifact_sha256"]
        assert (
            reuse["train_last_date"]
            == fit["train_last_date"]
            == FIRST_FORECAST - dt.timedelta(days=2)
        )
    # the forecasts of the day after are made with the fit day's model
    forecast = (
        build_definitions(resources)
        .resolve_job_def("day_ahead_job")
        .execute_in_process(
            partition_key=partition_key("CAISO", after),
            instance=dg.DagsterInstance.ephemeral(),
            run_config=QUIET,
            asset_selection=[dg.AssetKey(["forecasts", "load_day_ahead_lightgbm"])],
        )
    )
    assert forecast.success


def test_carbon_models_keep_their_own_cadence_and_declare_d56_to_d2_as_history(slice_run, tmp_path):
    """The carbon models are trained every `carbon_refit_every_days` (28 by default), the load
    models every `refit_every_days` (1): each family's cadence is its own. A carbon window of
    730 days declares D-56..D-2 (55 days, as the load models') to the `history` check, not the
    two years before the region's first stored day."""
    assert ModelStoreResource().refit_every_days == 1
    assert (
        ModelStoreResource().carbon_refit_every_days,
        ModelStoreResource().carbon_training_days,
    ) == (28, 730)
    assert ModelStoreResource().carbon_young_history_days == CARBON_YOUNG_HISTORY_DAYS
    after = FIRST_FORECAST + dt.timedelta(days=1)
    copy, _, result = _models_of_two_days(
        slice_run,
        tmp_path,
        ("load_lightgbm", "carbon_lightgbm"),
        refit_every_days=1,
        carbon_refit_every_days=2,
        carbon_young_history_days=0,
    )

    def artifacts(table: str) -> list[str]:
        rows = _query(
            copy,
            f"select artifact_sha256 from {table} where market_date between ? and ?"
            " order by market_date",
            [FIRST_FORECAST, after],
        )
        return rows["artifact_sha256"].to_list()

    load, carbon = artifacts("models.load_lightgbm"), artifacts("models.carbon_lightgbm")
    assert len(load) == len(carbon) == 2
    assert load[0] != load[1]  # trained each day
    assert carbon[0] == carbon[1]  # the fit day's model, reused
    history = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key == dg.AssetKey(["models", "carbon_lightgbm"]) and e.check_name == "history"
    )
    # the range's first day (its shown day): features and intensity, 55 days each, stored from
    # START on (D-56..START-1 missing; the old window declared 730 days each)
    shown = history.metadata["shown_day_metadata"].value
    assert history.metadata["shown_day"].value == str(RegionDay("CAISO", FIRST_FORECAST))
    stored = (FIRST_FORECAST - dt.timedelta(days=2) - START).days + 1
    assert (shown["declared_days"], shown["loaded_days"]) == (2 * 55, 2 * stored)


@pytest.mark.parametrize("young_every", [1, 2])
def test_carbon_models_are_trained_more_often_while_the_stored_window_is_young(
    slice_run, tmp_path, young_every
):
    """Fit days every 4 (2020-07-28 for both days: its window is too short, 26 stored days)
    and a young window (`carbon_young_history_days` above any window): the fit days are every
    `young_every` days instead. Every day (1): the day after FIRST_FORECAST is trained on its own
    D-730..D-2, one day more than FIRST_FORECAST's. Every 2 days: it reuses FIRST_FORECAST's
    model (2020-07-30, a day of the 2-day grid)."""
    after = FIRST_FORECAST + dt.timedelta(days=1)
    assert fit_day(RegionDay("CAISO", after), 4).market_date == dt.date(2020, 7, 28)
    copy, _, _ = _models_of_two_days(
        slice_run,
        tmp_path,
        ("carbon_lightgbm",),
        carbon_refit_every_days=4,
        carbon_young_history_days=10_000,
        carbon_young_refit_every_days=young_every,
    )
    rows = _query(
        copy,
        "select * from models.carbon_lightgbm where market_date between ? and ?"
        " order by market_date",
        [FIRST_FORECAST, after],
    )
    first, second = rows.row(0, named=True), rows.row(1, named=True)
    assert first["artifact_path"].endswith(f"{FIRST_FORECAST.isoformat()}.json")
    if young_every == 1:
        assert second["artifact_sha256"] != first["artifact_sha256"]
        assert second["artifact_path"].endswith(f"{after.isoformat()}.json")
        assert second["train_last_date"] == after - dt.timedelta(days=2)
        assert second["training_days"] == first["training_days"] + 1
    else:
        assert second["artifact_path"] == first["artifact_path"]
        assert second["artifact_sha256"] == first["artifact_sha256"]
        assert second["train_last_date"] == FIRST_FORECAST - dt.timedelta(days=2)


@pytest.mark.parametrize(
    ("young_history_days", "refit_every", "member_every"),
    [(0, 2, 2), (10_000, 2, 2), (0, 1, 10)],
)
def test_the_utc_day_direct_model_trains_its_fuel_mix_member_once_its_window_is_a_year(
    slice_run, tmp_path, young_history_days, refit_every, member_every
):
    """Switched on (`carbon_fuel_mix`, off by default), `models/carbon_direct_utc_lightgbm`
    trains the fuel-mix member (each fuel's output) with a fit whose window holds
    `carbon_young_history_days` stored days (0: every fit), and says so in its metadata; a young
    fit (10,000) has none. On its own grid of fit days (`carbon_fuel_mix_refit_every_days`): a
    fit between keeps the member of that grid's latest fit (refit daily, the member every 10
    days: FIRST_FORECAST is on the 7-day grid, the day after keeps its member). The UTC-day
    forecast reads either."""
    assert ModelStoreResource().carbon_fuel_mix is False  # off by default
    after = FIRST_FORECAST + dt.timedelta(days=1)
    assert fit_day(RegionDay("CAISO", after), 10).market_date == FIRST_FORECAST
    copy, resources, result = _models_of_two_days(
        slice_run,
        tmp_path,
        ("carbon_direct_utc_lightgbm", "carbon_direct_lightgbm"),
        carbon_fuel_mix=True,
        carbon_fuel_mix_refit_every_days=member_every,
        carbon_refit_every_days=refit_every,
        carbon_young_history_days=young_history_days,
        carbon_young_refit_every_days=refit_every,
    )
    key = dg.AssetKey(["models", "carbon_direct_utc_lightgbm"])
    fits = [
        m.metadata
        for m in sorted(
            (e.materialization for e in result.get_asset_materialization_events()),
            key=lambda m: m.partition or "",
        )
        if m.asset_key == key and "fuel_mix" in m.metadata
    ]
    if refit_every == 1:  # both days are fits: the first trains the member, the second keeps it
        assert [f["fuel_mix"].value["trained"] for f in fits] == [True, False]
        kept = fits[1]["fuel_mix"].value
        assert kept["keeps_member_of"] == FIRST_FORECAST.isoformat()
        assert kept["fuels"] == fits[0]["fuel_mix"].value["fuels"]
        assert kept["rows"] == fits[0]["fuel_mix"].value["rows"]
    else:
        assert len(fits) == 1  # the fit day; the day after reuses its model
    fuel_mix = fits[0]["fuel_mix"].value
    if young_history_days == 0:
        assert fuel_mix["trained"] is True and fuel_mix["weight"] == FUEL_MIX_WEIGHT
        # CAISO's Outlook fuel mix: its gas, solar, wind, hydro, nuclear...
        assert {"natural_gas_mw", "solar_mw", "wind_mw"} <= set(fuel_mix["fuels"])
    else:
        assert fuel_mix["trained"] is False and "young window" in fuel_mix["why"]
    row = _query(
        copy, "select * from models.carbon_direct_utc_lightgbm where market_date = ?", [after]
    ).row(0, named=True)
    model = load_model(Path(row["artifact_path"]), row["artifact_sha256"])
    assert (model.partner is not None) == (young_history_days == 0)
    # the market-day direct model has no member
    direct = [
        m.materialization.metadata
        for m in result.get_asset_materialization_events()
        if m.materialization.asset_key == dg.AssetKey(["models", "carbon_direct_lightgbm"])
    ]
    assert direct and all("fuel_mix" not in m for m in direct)
    forecast = (
        build_definitions(resources)
        .resolve_job_def("day_ahead_job")
        .execute_in_process(
            partition_key=partition_key("CAISO", after),
            instance=dg.DagsterInstance.ephemeral(),
            run_config=QUIET,
            asset_selection=[dg.AssetKey(["forecasts", "carbon_direct_day_ahead_utc"])],
        )
    )
    assert forecast.success


def test_a_failed_range_runs_again_only_what_it_did_not_store(recordings, tmp_path):
    """2019-01-30's carbon models need 28 days and find 27 (2019-01-02 has no intensity): the
    day-ahead range 01-30..02-01 fails naming that day after its other steps stored all three
    days; the run of 01-31..02-01 after it builds only the failed steps' assets and those after
    them, and every day-ahead asset ends up stored for both days."""
    instance = dg.DagsterInstance.ephemeral()
    first, last = dt.date(2019, 1, 1), dt.date(2019, 2, 1)
    outcome = materialize_window(
        first,
        last,
        "CAISO",
        instance,
        tmp_path,
        recordings,
        "replay",
        report=False,
        cross_region=False,
    )
    assert [(job, key) for job, key, _ in outcome.partitions_failed] == [
        ("day_ahead_job", "2019-01-30|CAISO")
    ]
    assert outcome.partitions_ok["day_ahead_job"] == 2
    runs = [instance.get_run_by_id(run_id) for run_id in outcome.run_ids]
    day_ahead = [r for r in runs if r.job_name == "day_ahead_job"]
    assert [r.status for r in day_ahead] == [
        dg.DagsterRunStatus.FAILURE,
        dg.DagsterRunStatus.SUCCESS,
    ]
    failed_run, rerun = day_ahead
    assert failed_run.asset_selection is None
    rerun_keys = {"/".join(k.path) for k in rerun.asset_selection}
    assert "models/carbon_direct_lightgbm" in rerun_keys
    assert "forecasts/carbon_direct_day_ahead" in rerun_keys
    # stored by the failed run for every day of its range: not built again
    assert "features/load_features" not in rerun_keys
    assert "models/load_lightgbm" not in rerun_keys
    built_again = [
        e
        for e in instance.all_logs(rerun.run_id)
        if e.dagster_event is not None and e.dagster_event.is_step_materialization
    ]
    assert {e.dagster_event.asset_key.to_user_string() for e in built_again} == rerun_keys
    for table in ("forecasts.load_day_ahead", "forecasts.carbon_direct_day_ahead"):
        stored = _query(tmp_path, f"select distinct market_date from {table} order by 1")
        assert stored["market_date"].to_list()[-2:] == [dt.date(2019, 1, 31), last], table
