"""Day-ahead prices in the graph (`defs/prices.py`) on the real PJM file (through the datasets
setting): bad market files fail naming file, row and column; a short window materializes from
the file to the report; the assets call the benchmark's own functions (one implementation)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import replace
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest
import yaml

from energy_assets.benchmarks import epf
from energy_assets.definitions import build_definitions
from energy_assets.defs import prices
from energy_assets.defs_support.resources import HttpResource, default_resources
from energy_assets.features import price as price_features
from energy_assets.models import price_ensemble, price_lgbm, price_linear, price_mlx
from energy_assets.partitions import RegionDay, partition_key
from energy_assets.recorded_runs import execute_recorded
from energy_assets.runner import QUIET
from energy_assets.schemas import prices as schemas
from energy_assets.sources import epftoolbox
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.warehouse import Warehouse

PJM = epftoolbox.market("PJM")


@pytest.fixture(scope="module")
def pjm_body(datasets: Path) -> bytes:
    path = datasets / PJM.file
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path.read_bytes()


def _lines(body: bytes, days: int) -> list[str]:
    lines = body.decode().splitlines()
    return lines[: 1 + 24 * days]


def _parse(lines: list[str]) -> None:
    body = ("\n".join(lines) + "\n").encode()
    epftoolbox.parse_market_file(body, "datasets:epftoolbox/BAD.csv", n_exog=2)


# --- bad input: file, row and column named; never a silent shift of days ------------------------


def test_the_real_file_parses_whole(pjm_body: bytes) -> None:
    rows = epftoolbox.parse([_payload(pjm_body)], PJM)
    assert rows.columns == [
        "market_date",
        "hour",
        "interval_start_local",
        "price_usd_per_mwh",
        "system_load_forecast_mw",
        "zonal_comed_load_forecast_mw",
        "source_row",
    ]
    assert rows["market_date"].min() == dt.date(2013, 1, 1)
    assert rows["market_date"].max() == dt.date(2018, 12, 24)
    first = rows.row(0, named=True)
    assert first["price_usd_per_mwh"] == pytest.approx(25.464211)
    assert first["system_load_forecast_mw"] == 85049.0 and first["source_row"] == 1


def _payload(body: bytes) -> FetchedPayload:
    return FetchedPayload(
        provider="epftoolbox",
        url="datasets:epftoolbox/PJM.csv",
        status=200,
        content_type="text/csv",
        body=body,
        fetched_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        sha256=hashlib.sha256(body).hexdigest(),
        transport="history",
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        # a gap: one hour missing
        (
            lambda ls: ls[:31] + ls[32:],
            r"gap between 2013-01-02 05:00:00 .* column 0 .*rows 30-31, lines 31-32",
        ),
        # a DST fall-back hour written twice (the same label repeated)
        (
            lambda ls: ls[:26] + [ls[26]] + ls[26:],
            r"the same hour twice: a DST hour\?\) between 2013-01-02 01:00:00 and 2013-01-02"
            r" 01:00:00 in column 0 \('Date'\) \(rows 26-27, lines 27-28\)",
        ),
        # a missing exogenous column
        (
            lambda ls: [",".join(x.split(",")[:3]) for x in ls],
            r"header \(line 1\) has 1 exogenous column\(s\), the market has 2: column 3"
            r" \(exogenous 2\) is missing",
        ),
        # text in a numeric column
        (
            lambda ls: ls[:10] + [ls[10].rsplit(",", 1)[0] + ",n/a"] + ls[11:],
            r"column 3 \('Zonal COMED load foecast'\) row 10 is missing or not a number"
            r" \(line 11: 'n/a'\)",
        ),
        # a number missing
        (
            lambda ls: ls[:5] + [ls[5].split(",", 1)[0] + ",,1,2"] + ls[6:],
            r"column 1 \('Zonal COMED price'\) row 5 is missing or not a number \(line 6: empty\)",
        ),
        # too few days for a window
        (lambda ls: ls[: 1 + 24 * 5], r"only 5 days \(rows 1-120\); need at least 9"),
        # the last day cut short at a line boundary
        (lambda ls: ls[:-3], r"not a whole number of days .* rows 457-477"),
    ],
    ids=["gap", "dst_duplicate", "missing_exogenous", "text", "missing_value", "few_days", "cut"],
)
def test_bad_market_files_name_file_row_and_column(pjm_body: bytes, mutate, message) -> None:
    lines = _lines(pjm_body, 20)
    with pytest.raises(PayloadError, match=message) as info:
        _parse(mutate(lines))
    assert "datasets:epftoolbox/BAD.csv" in str(info.value)


def test_a_file_with_other_days_than_declared_is_refused(pjm_body: bytes) -> None:
    body = ("\n".join(_lines(pjm_body, 20)) + "\n").encode()
    with pytest.raises(PayloadError, match=r"covers 2013-01-01..2013-01-20, the market PJM"):
        epftoolbox.parse([_payload(body)], PJM)


def test_the_raw_asset_fails_naming_provider_file_partition_row_and_column(
    pjm_body: bytes, tmp_path: Path
) -> None:
    lines = _lines(pjm_body, 20)
    bad = lines[:10] + [lines[10].rsplit(",", 1)[0] + ",n/a"] + lines[11:]
    target = tmp_path / "datasets" / PJM.file
    target.parent.mkdir(parents=True)
    target.write_text("\n".join(bad) + "\n")
    http = HttpResource(transport="replay", datasets_dir=str(tmp_path / "datasets"))
    with pytest.raises(dg.Failure) as failure:
        prices._read_file(http, RegionDay("PJM", dt.date(2013, 1, 5)))
    text = failure.value.description or ""
    for part in (
        "epftoolbox",
        "2013-01-05|PJM",
        "datasets:epftoolbox/PJM.csv",
        "row 10",
        "column 3",
    ):
        assert part in text, text


# --- one implementation -----------------------------------------------------------------------


def test_the_benchmark_runs_through_the_shared_modules() -> None:
    assert epf.LinearSpec is price_linear.LinearSpec
    assert epf.LGBMSpec is price_lgbm.LGBMSpec and epf.MLPSpec is price_mlx.MLPSpec
    assert epf.day_features is price_features.day_features
    assert epf.ensemble_forecasts is price_ensemble.ensemble_forecasts
    assert isinstance(epf._make_task(epf.BenchmarkConfig(), "lear_56"), price_linear.LinearTask)
    assert isinstance(epf._make_task(epf.BenchmarkConfig(), "lgbm_364"), price_lgbm.LGBMTask)
    assert isinstance(epf._make_task(epf.BenchmarkConfig(), "mlp_1456"), price_mlx.MLPTask)


# --- the assets, end to end on a short window --------------------------------------------------

INGEST = ("2016-11-10", "2016-12-31")
DAYS = ("2016-12-26", "2016-12-30")  # the published forecasts start on 2016-12-27
SMALL = {
    "lear_windows": [28, 42],
    "lgbm_windows": [28],
    "lgbm_rounds": 10,
    "mlp_windows": [28, 42],
    "mlp_hidden": [8],
    "mlp_members": 2,
    "mlp_skip_members": 1,
    "mlp_init_epochs": 2,
    "mlp_daily_days": 28,
}
RUN_CONFIG = {
    **QUIET,
    "ops": {
        **{
            f"models__{n}": {"config": SMALL} for n in ("price_lear", "price_lightgbm", "price_mlx")
        },
        "models__price_ensemble": {
            "config": {"window_days": 3, "min_days": 2, "calibration_days": 3}
        },
    },
}


@pytest.fixture(scope="module")
def built(tmp_path_factory, datasets):
    if not (datasets / PJM.file).is_file():
        pytest.skip("PJM.csv not found")
    data = tmp_path_factory.mktemp("data")
    defs = build_definitions(default_resources(data, None, "replay"))
    instance = dg.DagsterInstance.ephemeral()
    for job, (first, last), config in (
        ("price_ingest_job", INGEST, QUIET),
        ("price_job", DAYS, RUN_CONFIG),
    ):
        result = execute_recorded(
            defs.resolve_job_def(job),
            instance,
            partition_range=(partition_key("PJM", first), partition_key("PJM", last)),
            run_config=config,
        )
        assert result.success, [
            e.step_failure_data.error.message for e in result.all_events if e.is_step_failure
        ]
    report = execute_recorded(defs.resolve_job_def("price_report_job"), instance, run_config=QUIET)
    assert report.success
    return defs, instance, Warehouse(data / "warehouse")


def _table(warehouse: Warehouse, name: str) -> pl.DataFrame:
    frame = warehouse.query(f"select * from {name} order by all")
    return frame.with_columns(pl.selectors.datetime(time_zone="*").dt.convert_time_zone("UTC"))


def test_price_assets_appear_for_pjm_in_their_own_group(built) -> None:
    defs, _, _ = built
    graph = defs.resolve_asset_graph()
    keys = {k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "prices"}
    assert {prices.RAW, prices.PRICES, prices.DAY_AHEAD, prices.REPORT} <= keys
    assert {prices.FLEET, prices.HOUSEHOLD, prices.FLEET_VALUE} <= keys
    assert len(keys) == 15
    node = graph.get(prices.DAY_AHEAD)
    assert node.partitions_def.get_partitions_def_for_dimension("region").get_partition_keys() == [
        "PJM"
    ]
    dates = node.partitions_def.get_partitions_def_for_dimension("date")
    assert dates.get_first_partition_key() == "2013-02-05"
    assert dates.get_last_partition_key() == "2018-12-24"


def test_harmonized_prices_and_exogenous_forecasts(built, pjm_body: bytes) -> None:
    _, _, warehouse = built
    table = _table(warehouse, "harmonized.prices")
    schemas.MarketPrices.validate(table)
    assert table.height == 24 * 52
    assert set(table["currency"]) == {"USD"} and set(table["zone"]) == {"COMED"}
    line = next(x for x in pjm_body.decode().splitlines() if x.startswith("2016-12-26 17:00:00"))
    hour = table.filter((pl.col("market_date") == dt.date(2016, 12, 26)) & (pl.col("hour") == 17))
    assert hour["price_usd_per_mwh"][0] == float(line.split(",")[1])
    exog = _table(warehouse, "harmonized.price_exogenous_forecasts")
    assert exog.height == 2 * 24 * 52
    issued = exog.filter(pl.col("market_date") == dt.date(2016, 12, 26))["issued_at_utc"]
    # D-1 10:00 Eastern (EST: UTC-5)
    assert set(issued) == {dt.datetime(2016, 12, 25, 15, tzinfo=dt.UTC)}
    raw = _table(warehouse, "raw.epftoolbox_prices")
    assert raw["payload_sha256"].n_unique() == 52  # each day's slice archived


def test_features_are_the_benchmarks_day_vector(built, pjm_body: bytes) -> None:
    _, _, warehouse = built
    features = _table(warehouse, "features.price_features").filter(
        pl.col("market_date") == dt.date(2016, 12, 28)
    )
    market = epf.market_from_frame(epftoolbox.parse_market_file(pjm_body, "PJM"), "PJM")
    d = int(np.flatnonzero(market.dates == np.datetime64("2016-12-28"))[0])
    expected = epf.day_features(market.prices, market.exog, np.array([d]))[0]
    np.testing.assert_array_equal(price_features.day_vector_from_frame(features, 2), expected)


def test_models_forecast_as_the_benchmark_code_does(built, pjm_body: bytes) -> None:
    """Rolling origin: the LEAR member of D is the benchmark's task for D (same code, same
    days before D, its LASSO warm-started from the day before as in the benchmark's single
    pass over the days), and every model trained before D."""
    _, _, warehouse = built
    models = _table(warehouse, "models.price_lear")
    schemas.PriceModel.validate(models)
    assert (models["train_last_date"] < models["market_date"]).all()
    members = _table(warehouse, "forecasts.price_day_ahead_members")
    market = epf.market_from_frame(epftoolbox.parse_market_file(pjm_body, "PJM"), "PJM")
    raw = price_features.padded_day_features(market)
    task = price_linear.LinearTask(price_linear.LinearSpec(), 28)
    first, last = (dt.date.fromisoformat(day) for day in DAYS)
    for k in range((last - first).days + 1):
        day = first + dt.timedelta(days=k)
        d = int(np.flatnonzero(market.dates == np.datetime64(day))[0])
        expected = task.forecast(market, raw, d)  # one task over the days, as the benchmark
        got = members.filter((pl.col("market_date") == day) & (pl.col("member") == "lear_28")).sort(
            "hour"
        )["price_usd_per_mwh"]
        np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-9, err_msg=str(day))
    cold = price_linear.LinearTask(price_linear.LinearSpec(), 28).forecast(market, raw, d)
    assert not np.array_equal(cold, expected)  # the warm start is what made them equal
    assert set(members["member"]) == {"lear_28", "lear_42", "lgbm_28", "mlp_28", "mlp_42"}


def test_networks_stored_under_other_settings_are_fitted_anew(pjm_body: bytes) -> None:
    """A day's MLP artifact from other settings (ReLU, the default before SiLU) is not
    warm-started as if it were the spec's: the next day fits new networks of the spec."""
    frame = epftoolbox.parse_market_file(pjm_body, "datasets:epftoolbox/PJM.csv", n_exog=2)
    market = price_features.market_from_frame(frame, "PJM")
    raw = price_features.padded_day_features(market)
    small = dict(windows=(56,), hidden=(4,), members=2, skip_members=1, init_epochs=2)
    small["daily_days"] = 7
    relu = price_mlx.MLPTask(price_mlx.MLPSpec(**small, activation="relu"), 56)
    before = relu.fit(market, raw, 100)
    assert {m.config.activation for m in before.models} == {"relu"}

    same = price_mlx.MLPTask(price_mlx.MLPSpec(**small, activation="relu"), 56)
    same.resume(before.models, 100)
    warm = same.fit(market, raw, 101)
    assert [m.epochs_trained for m in warm.models] == [3, 3]  # 2 initial + 1 daily

    silu = price_mlx.MLPTask(price_mlx.MLPSpec(**small, activation="silu"), 56)
    relu_again = relu.fit(market, raw, 100).models  # fresh ReLU networks of day 100
    silu.resume(relu_again, 100)
    fresh = silu.fit(market, raw, 101)
    assert {m.config.activation for m in fresh.models} == {"silu"}
    assert [m.epochs_trained for m in fresh.models] == [2, 2]


def test_the_exogenous_forecasts_can_be_standardised_without_the_asinh() -> None:
    """ "linear" leaves the load forecasts' scale (x - median) / (1.4826 MAD); prices keep the
    asinh; a Scaler pickled before the field existed reads as the asinh it was fitted with."""
    rng = np.random.default_rng(0)
    prices, exog = rng.gamma(4, 8, (60, 24)), rng.normal(9e4, 1e4, (60, 24, 2))
    asinh = price_features.Scaler.fit(prices, exog)
    linear = price_features.Scaler.fit(prices, exog, "linear")
    load = np.array([6e4, 9e4, 1.3e5])
    z = (load - linear.e_med[0]) / linear.e_mad[0]
    np.testing.assert_allclose(linear.exog(load, 0), z)
    np.testing.assert_allclose(asinh.exog(load, 0), np.arcsinh(z))
    np.testing.assert_allclose(linear.price(prices[:2]), asinh.price(prices[:2]))
    old = object.__new__(price_features.Scaler)  # what unpickling a pre-field Scaler builds
    old.__dict__.update({k: v for k, v in vars(asinh).items() if k != "exog_transform"})
    np.testing.assert_allclose(old.exog(load, 0), np.arcsinh(z))
    with pytest.raises(ValueError, match="unknown exogenous transform 'log'"):
        price_features.Scaler.fit(prices, exog, "log")


def test_a_series_mostly_at_one_value_is_scaled_by_its_mean_deviation() -> None:
    """A solar forecast is zero at night, so its MAD is 0: it is scaled by the mean absolute
    deviation instead (its standardised values stay in single figures, not millions), while a
    load forecast keeps its MAD."""
    rng = np.random.default_rng(0)
    solar = np.clip(np.sin((np.arange(24) - 6) / 12 * np.pi), 0, None) * rng.uniform(
        2e3, 9e3, (60, 1)
    )
    load = rng.normal(9e4, 1e4, (60, 24))
    sc = price_features.Scaler.fit(rng.gamma(4, 8, (60, 24)), np.stack([load, solar], 2), "linear")
    dev = np.abs(load - np.median(load))
    assert sc.e_mad[0] == pytest.approx(np.median(dev) * 1.4826)
    assert sc.e_mad[1] == pytest.approx(np.abs(solar - np.median(solar)).mean() * 1.2533)
    assert np.abs(sc.exog(solar, 1)).max() < 10


def test_the_linear_lear_is_not_wrecked_by_a_solar_forecast(pjm_body: bytes) -> None:
    """PJM with its second exogenous series replaced by a solar-shaped one (zero at night): the
    LEAR on standardised exogenous forecasts forecasts as well as on asinh-transformed ones
    (with the MAD as the scale, 1e-3 for this series, it was 36 % worse)."""
    frame = epftoolbox.parse_market_file(pjm_body, "datasets:epftoolbox/PJM.csv", n_exog=2)
    pjm = price_features.market_from_frame(frame, "PJM")
    rng = np.random.default_rng(0)
    exog = pjm.exog.copy()
    exog[:, :, 1] = np.clip(np.sin((np.arange(24) - 6) / 12 * np.pi), 0, None) * rng.uniform(
        2e3, 9e3, (pjm.n_days, 1)
    )
    market = replace(pjm, exog=exog)
    raw = price_features.padded_day_features(market)
    days = range(1200, 1230)
    spec = price_linear.LinearSpec(windows=(364,))
    mae = {}
    for transform in ("linear", "asinh"):
        task = price_linear.LinearTask(replace(spec, exog_transform=transform), 364)
        forecast = np.array([task.forecast(market, raw, d) for d in days])
        mae[transform] = float(np.abs(forecast - market.prices[list(days)]).mean())
    assert mae["linear"] < 1.1 * mae["asinh"], mae


def test_a_glitch_in_a_load_forecast_does_not_send_the_linear_lear_to_thousands(
    pjm_body: bytes,
) -> None:
    """One hour of PJM's load forecast ten times too high (z ~ 55): standardised values grow
    only as the asinh beyond 8 robust standard deviations, so the LEAR's forecast of that day
    stays near the day's (it was 689 $/MWh for an actual 37 without the bound); within the
    bound the values are the plain standardisation."""
    frame = epftoolbox.parse_market_file(pjm_body, "datasets:epftoolbox/PJM.csv", n_exog=2)
    pjm = price_features.market_from_frame(frame, "PJM")
    day = 1800
    exog = pjm.exog.copy()
    exog[day, 12, 0] *= 10
    glitched = replace(pjm, exog=exog)
    spec = price_linear.LinearSpec(windows=(364,))
    clean = price_linear.LinearTask(spec, 364).forecast(
        pjm, price_features.padded_day_features(pjm), day
    )
    forecast = price_linear.LinearTask(spec, 364).forecast(
        glitched, price_features.padded_day_features(glitched), day
    )
    assert forecast.max() < 1.5 * clean.max(), (forecast.max(), clean.max())
    z = np.array([-20.0, -8.0, 3.0, 8.0, 9.0, 55.0])
    bounded = price_features.bounded_linear(z)
    np.testing.assert_array_equal(bounded[1:4], z[1:4])
    np.testing.assert_allclose(
        bounded[[0, 4, 5]], [-8 - np.arcsinh(12), 8 + np.arcsinh(1), 8 + np.arcsinh(47)]
    )


def test_a_glitched_load_hour_is_named_on_the_lear_page(pjm_body: bytes) -> None:
    """The LEAR asset names D's exogenous values beyond the bound, the largest over its windows,
    in a warning (series, hour, day, value, robust standard deviations) and in its metadata;
    an ordinary PJM day has none."""
    from types import SimpleNamespace

    frame = epftoolbox.parse_market_file(pjm_body, "datasets:epftoolbox/PJM.csv", n_exog=2)
    pjm = price_features.market_from_frame(frame, "PJM")
    day = 1800
    assert price_features.exogenous_beyond_bound(pjm, day, (56, 364)) == []
    exog = pjm.exog.copy()
    exog[day, 12, 0] *= 10
    glitched = replace(pjm, exog=exog)
    [item] = price_features.exogenous_beyond_bound(glitched, day, (364,))
    assert (item["series"], item["hour"], item["value"]) == (1, 12, exog[day, 12, 0])
    assert item["z"] > price_features.LINEAR_EXOG_BOUND and item["window_days"] == 364
    warnings: list[str] = []
    rd = RegionDay("PJM", dt.date.fromisoformat(str(pjm.dates[day])))
    context = SimpleNamespace(
        asset_key=prices.LEAR, partition_key=str(rd), log=SimpleNamespace(warning=warnings.append)
    )
    found = prices._exogenous_beyond_bound(context, rd, glitched, day, (56, 364))
    assert [(f["series"], f["hour"]) for f in found] == [(1, 12)]
    assert found[0]["column"] == "system_load_forecast_mw"  # as the Events tab shows it
    assert found[0]["window_days"] == 56  # the window where it stands out most
    [message] = warnings
    assert f"models/price_lear partition {rd}" in message
    assert f"system_load_forecast_mw at hour 12 of {rd.market_date}" in message
    assert "Check the market file" in message


def test_the_lear_load_transform_is_run_config() -> None:
    """The launchpad's `lear_exog_transform` reaches the LEAR models (default: the spec's)."""
    assert prices._lear_spec(prices.PriceModelsConfig()).exog_transform == "linear"
    config = prices.PriceModelsConfig(lear_exog_transform="asinh")
    assert prices._lear_spec(config).exog_transform == "asinh"
    job = build_definitions().resolve_job_def("price_job")  # what the launchpad validates
    ops = {"ops": {"models__price_lear": {"config": {"lear_exog_transform": "asinh"}}}}
    dg.validate_run_config(job, ops)
    ops["ops"]["models__price_lear"]["config"]["lear_exog_transform"] = "log"
    with pytest.raises(dg.DagsterInvalidConfigError, match="lear_exog_transform"):
        dg.validate_run_config(job, ops)


def test_lasso_stored_on_other_features_is_not_warm_started(pjm_body: bytes) -> None:
    """The day before's LASSO is the next day's start only if it was fitted on the same
    features: a fit on asinh-transformed load forecasts does not start one on standardised
    ones (its coefficients belong to other inputs)."""
    frame = epftoolbox.parse_market_file(pjm_body, "datasets:epftoolbox/PJM.csv", n_exog=2)
    market = price_features.market_from_frame(frame, "PJM")
    raw = price_features.padded_day_features(market)
    spec = price_linear.LinearSpec(windows=(56,), methods=("lasso",), max_iter=5)
    asinh_fit = price_linear.LinearTask(replace(spec, exog_transform="asinh"), 56).fit(
        market, raw, 100
    )
    assert asinh_fit.scaler.exog_transform == "asinh"
    same = price_linear.LinearTask(replace(spec, exog_transform="asinh"), 56)
    same.resume(asinh_fit)
    assert same.coef is asinh_fit.coefs["lasso"]
    other = price_linear.LinearTask(spec, 56)
    other.resume(asinh_fit)
    assert other.coef is None
    np.testing.assert_array_equal(
        other.forecast(market, raw, 101),
        price_linear.LinearTask(spec, 56).forecast(market, raw, 101),
    )


def test_model_pages_show_what_the_models_were_trained_with(built) -> None:
    """Each model family's materialization carries its spec as `training` metadata: the run
    config's sizes, and the defaults (the benchmark's) for what the config does not set."""
    _, instance, _ = built
    training = {
        key: instance.get_latest_materialization_event(key)
        .asset_materialization.metadata["training"]
        .value
        for key in (prices.LEAR, prices.LIGHTGBM, prices.MLX)
    }
    assert training[prices.LEAR]["windows"] == [28, 42]
    assert training[prices.LEAR]["exog_transform"] == "linear"
    lear = instance.get_latest_materialization_event(prices.LEAR).asset_materialization
    assert "exogenous_beyond_bound" not in lear.metadata  # ordinary days: nothing to name
    lgbm = training[prices.LIGHTGBM]
    assert lgbm["rounds"] == 10 and lgbm["windows"] == [28]
    assert lgbm["params"]["learning_rate"] == price_lgbm.LGBMSpec().params["learning_rate"]
    mlp = training[prices.MLX]
    assert (mlp["members"], mlp["skip_members"], mlp["hidden"]) == (2, 1, [8])
    assert mlp["daily_learning_rate"] == price_mlx.MLPSpec().daily_learning_rate


def test_the_day_ahead_forecast_and_its_scores(built) -> None:
    _, instance, warehouse = built
    ensemble = _table(warehouse, "models.price_ensemble")
    sums = ensemble.group_by("market_date").agg(pl.col("weight").sum())
    np.testing.assert_allclose(sums["weight"].to_numpy(), 1.0)
    # the first day has no past member forecasts: equal weights, persistence calibration
    first = ensemble.filter(pl.col("market_date") == dt.date(2016, 12, 26))
    assert set(first["calibration"]) == {"persistence"}
    np.testing.assert_allclose(first["weight"].to_numpy(), 1 / 3)
    assert set(ensemble.filter(pl.col("market_date") == dt.date(2016, 12, 30))["calibration"]) == {
        "ensemble"
    }
    forecast = _table(warehouse, "forecasts.price_day_ahead")
    schemas.PriceDayAhead.validate(forecast)
    assert forecast.height == 5 * 24
    assert (forecast["issued_at_utc"].dt.date() < forecast["market_date"]).all()
    scores = _table(warehouse, "evaluation.price_forecast_score")
    schemas.PriceForecastScore.validate(scores)
    assert {"ensemble", "lear", "lgbm_28", "mlp", "naive"} <= set(scores["forecaster"])
    published = scores.filter(pl.col("forecaster") == "published_dnn_ensemble")
    assert sorted(published["market_date"]) == [
        dt.date(2016, 12, 27) + dt.timedelta(days=k) for k in range(4)
    ]
    report = _table(warehouse, "evaluation.price_forecast_report")
    schemas.PriceForecastReport.validate(report)
    ens = report.filter(pl.col("forecaster") == "ensemble").row(0, named=True)
    assert ens["days"] == 5 and ens["hours"] == 120
    assert 0 < ens["mae_usd_per_mwh"] < 15 and 0 <= ens["p10_p90_coverage"] <= 1
    assert ens["dm_vs_naive_stat"] is not None and ens["dm_vs_published_stat"] is not None
    event = instance.get_latest_materialization_event(prices.REPORT)
    metadata = event.asset_materialization.metadata
    assert metadata["results"].value.records and "dagster/column_schema" in metadata


# --- the fleet on the price forecast ------------------------------------------------------------


def test_the_fleet_planned_on_the_forecast_and_valued_at_the_actual_prices(built) -> None:
    _, instance, warehouse = built
    plan = _table(warehouse, "dispatch.vpp_fleet_price_dispatch")
    schemas.VppFleetPriceDispatch.validate(plan)
    assert plan.height == 5 * 100 * 96  # 5 days x 100 homes x 96 slots (no DST day)
    assert plan["interval_start_utc"].dtype == pl.Datetime("us", "UTC")
    assert set(plan["price_quantile"]) == {"p50"}
    # each slot planned on the P50 of its local clock hour (EST: UTC-5)
    forecast = _table(warehouse, "forecasts.price_day_ahead")
    day = dt.date(2016, 12, 28)
    p50 = forecast.filter(pl.col("market_date") == day).sort("hour")["price_p50_usd_per_mwh"]
    slots = plan.filter((pl.col("market_date") == day) & (pl.col("home_id") == "home-0000")).sort(
        "interval_start_utc"
    )
    assert slots["interval_start_utc"][0] == dt.datetime(2016, 12, 28, 5, tzinfo=dt.UTC)
    np.testing.assert_allclose(
        slots["price_planned_usd_per_mwh"].to_numpy(), np.repeat(p50.to_numpy(), 4)
    )
    house = _table(warehouse, "dispatch.household_price_load_shift")
    schemas.HouseholdPriceLoadShift.validate(house)
    assert set(house["plan"]) == {"optimized", "baseline"} and house["market_date"].n_unique() == 5
    value = _table(warehouse, "evaluation.price_dispatch_value")
    schemas.PriceDispatchValue.validate(value)
    for (d, schedule), rows in value.group_by("market_date", "schedule"):
        by = {r["plan"]: r for r in rows.iter_rows(named=True)}
        assert by["baseline"]["value_usd"] == 0
        best = by["perfect_foresight"]["value_usd"]
        assert all(r["value_usd"] <= best + 0.02 for r in by.values()), (d, schedule)
        # the plan is the stored one, settled at D's actual prices
        assert by["ensemble_p50"]["planned_on"] == "forecasts/price_day_ahead P50"
        # the published DNN forecast starts on 2016-12-27
        assert ("published_dnn_ensemble" in by) == (d >= dt.date(2016, 12, 27))
    assert set(value["schedule"]) == {"vpp_fleet_price_dispatch", "household_price_load_shift"}
    assert value.height == 2 * (3 + 4 * 4)
    event = instance.get_latest_materialization_event(prices.FLEET_VALUE)
    assert "values" in event.asset_materialization.metadata


def test_the_fleet_without_its_price_forecast_fails_naming_the_partition(built) -> None:
    defs, instance, _ = built
    key = partition_key("PJM", "2016-12-31")  # ingested, no price forecast made
    for asset in (prices.FLEET, prices.HOUSEHOLD, prices.FLEET_VALUE):
        result = defs.resolve_job_def("price_job").execute_in_process(
            partition_key=key,
            instance=instance,
            run_config=QUIET,
            raise_on_error=False,
            asset_selection=[asset],
        )
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure)
        message = failure.step_failure_data.error.message
        assert "2016-12-31|PJM" in message and "price_job" in message, message
        missing = (
            "dispatch/vpp_fleet_price_dispatch"
            if asset == prices.FLEET_VALUE
            else "forecasts/price_day_ahead"
        )
        assert f"no {missing} for PJM 2016-12-31" in message, message


def test_the_fleet_plans_on_a_risk_averse_quantile_by_config(built) -> None:
    defs, instance, warehouse = built
    day = dt.date(2016, 12, 30)
    result = defs.resolve_job_def("price_job").execute_in_process(
        partition_key=partition_key("PJM", day.isoformat()),
        instance=instance,
        run_config={
            **QUIET,
            "ops": {
                "dispatch__vpp_fleet_price_dispatch": {"config": {"price_quantile": "p90"}},
                "dispatch__household_price_load_shift": {"config": {"price_quantile": "p10"}},
            },
        },
        raise_on_error=False,
        asset_selection=[prices.FLEET, prices.HOUSEHOLD, prices.FLEET_VALUE],
    )
    assert result.success
    plan = _table(warehouse, "dispatch.vpp_fleet_price_dispatch").filter(
        pl.col("market_date") == day
    )
    assert set(plan["price_quantile"]) == {"p90"}
    p90 = (
        _table(warehouse, "forecasts.price_day_ahead")
        .filter(pl.col("market_date") == day)
        .sort("hour")["price_p90_usd_per_mwh"]
        .to_numpy()
    )
    home = plan.filter(pl.col("home_id") == "home-0000").sort("interval_start_utc")
    np.testing.assert_allclose(home["price_planned_usd_per_mwh"].to_numpy(), np.repeat(p90, 4))
    value = _table(warehouse, "evaluation.price_dispatch_value").filter(
        pl.col("market_date") == day
    )
    plans = {(r["schedule"], r["plan"]) for r in value.iter_rows(named=True)}
    assert ("vpp_fleet_price_dispatch", "ensemble_p90") in plans
    assert ("household_price_load_shift", "ensemble_p10") in plans
    assert not any(p == "ensemble_p50" for _, p in plans)


def test_the_readme_price_run_config_is_valid_for_price_job(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text[text.index("### Day-ahead prices") :]
    block = re.search(r"```yaml\n(ops:\n.*?)```", section, re.S)
    assert block, "README's prices section has no run config example"
    ops = yaml.safe_load(block.group(1))["ops"]
    assert {"dispatch__vpp_fleet_price_dispatch", "dispatch__household_price_load_shift"} <= set(
        ops
    )
    defs = build_definitions(default_resources(tmp_path, None, "replay"))
    dg.validate_run_config(defs.resolve_job_def("price_job"), {"ops": ops})
