"""EPF benchmark (epftoolbox protocol) on the real PJM file: loading, no look-ahead, a short run."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from energy_assets.benchmarks import epf

PJM_ROWS = 52_416


@pytest.fixture(scope="module")
def pjm_path(datasets: Path) -> Path:
    path = datasets / "epftoolbox" / "PJM.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


@pytest.fixture(scope="module")
def pjm(pjm_path: Path) -> pl.DataFrame:
    return epf.load_epf_csv(pjm_path)


def test_load_pjm_by_position(pjm: pl.DataFrame) -> None:
    assert pjm.columns == ["ts", "price", "exog_1", "exog_2"]
    assert pjm.height == PJM_ROWS
    assert str(pjm["ts"][0]) == "2013-01-01 00:00:00"
    assert str(pjm["ts"][-1]) == "2018-12-24 23:00:00"
    assert pjm["price"][0] == pytest.approx(25.464211)
    assert pjm["exog_1"][0] == pytest.approx(85049.0)
    assert pjm["exog_2"][0] == pytest.approx(11509.0)
    market = epf.market_from_frame(pjm, "PJM")
    assert market.prices.shape == (2184, 24) and market.exog.shape == (2184, 24, 2)
    assert market.dow[0] == 1  # 2013-01-01 was a Tuesday


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _pjm_lines(pjm_path: Path, days: int) -> tuple[str, list[str]]:
    lines = pjm_path.read_text().splitlines()
    return lines[0], lines[1 : 1 + 24 * days]


def test_other_market_headers_load_unchanged(pjm_path: Path, tmp_path: Path) -> None:
    # Three exogenous series and different names: read by position all the same.
    _, rows = _pjm_lines(pjm_path, 20)
    rows = [r + f",{i}" for i, r in enumerate(rows)]
    path = _write(tmp_path / "XX.csv", "datetime,Price,Exogenous 1,Exogenous 2,Exogenous 3", rows)
    frame = epf.load_epf_csv(path)
    assert frame.columns == ["ts", "price", "exog_1", "exog_2", "exog_3"]
    assert frame.height == 480
    assert frame["exog_3"][5] == 5.0
    # and only a price column works too
    path = _write(tmp_path / "YY.csv", "when,price", [",".join(r.split(",")[:2]) for r in rows])
    assert epf.load_epf_csv(path).columns == ["ts", "price"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda rows: rows[:30] + rows[31:], r"gap between 2013-01-02 05:00:00"),
        (lambda rows: rows[:30] + [rows[29]] + rows[30:], r"duplicate or out-of-order"),
        (lambda rows: rows[:-5], r"not a whole number of days"),
        (lambda rows: rows[3:], r"first timestamp .* is not midnight"),
        (lambda rows: [r.split(",")[0] for r in rows], r"column 1 .* row 1 is missing"),
        (lambda rows: rows[:7] + ["2013-01-01 07:00:00,,1,2"] + rows[8:], r"column 1 .* row 8"),
        (lambda rows: ["x" + rows[0]] + rows[1:], r"row 1 is not a timestamp"),
    ],
)
def test_malformed_files_raise(pjm_path: Path, tmp_path: Path, mutate, message: str) -> None:
    header, rows = _pjm_lines(pjm_path, 20)
    path = _write(tmp_path / "bad.csv", header, mutate(rows))
    with pytest.raises(ValueError, match=message) as info:
        epf.load_epf_csv(path)
    assert "bad.csv" in str(info.value)


def test_missing_price_column(pjm_path: Path, tmp_path: Path) -> None:
    _, rows = _pjm_lines(pjm_path, 20)
    path = _write(tmp_path / "dates.csv", "Date", [r.split(",")[0] for r in rows])
    with pytest.raises(ValueError, match=r"dates\.csv: expected at least 2 columns"):
        epf.load_epf_csv(path)


def test_half_hourly_is_not_hourly(tmp_path: Path) -> None:
    ts = np.arange(np.datetime64("2020-01-01T00:00"), np.datetime64("2020-01-21T00:00"), 30)
    rows = [f"{str(t).replace('T', ' ')}:00,{i % 50}.0,1.0" for i, t in enumerate(ts)]
    path = _write(tmp_path / "half.csv", "Date,Price,Load", rows)
    with pytest.raises(ValueError, match=r"half\.csv: not hourly"):
        epf.load_epf_csv(path)


def test_no_look_ahead(pjm: pl.DataFrame) -> None:
    """Forecasts (every model and the ensemble) for day D do not change when prices of D.. change."""
    market = epf.market_from_frame(pjm.head(24 * 420), "PJM-head")
    cfg = epf.smoke_config()
    test_days = 3
    first_test = market.n_days - test_days
    rng = np.random.default_rng(0)
    prices = market.prices.copy()
    prices[first_test:] = prices[first_test:] * 3 + 50 * rng.standard_normal(
        prices[first_test:].shape
    )
    perturbed = epf.Market(market.name, market.dates, prices, market.exog)
    a = epf.evaluate_market(market, test_days, cfg)
    b = epf.evaluate_market(perturbed, test_days, cfg)
    assert set(a["forecasts"]) >= {"lear_56", "lgbm_56", "mlp_364", "mlp", "lear", "ensemble"}
    for name in a["forecasts"]:
        np.testing.assert_array_equal(
            a["forecasts"][name][0], b["forecasts"][name][0], err_msg=name
        )
    # ...while the next day's forecasts do use D's prices (the check has teeth)
    assert not np.array_equal(a["forecasts"]["lear_56"][1], b["forecasts"]["lear_56"][1])
    # features of day d read prices of d-1.. only: a price array ending at d-1 is enough
    d = 400
    full = epf.day_features(market.prices, market.exog, np.array([d]))
    short = epf.day_features(market.prices[:d], market.exog[: d + 1], np.array([d]))
    np.testing.assert_array_equal(full, short)


def test_parallel_chunked_run_equals_sequential(pjm: pl.DataFrame) -> None:
    """--threads 2 (LightGBM split in day chunks, spawned processes) gives the same forecasts."""
    market = epf.market_from_frame(pjm.head(24 * 400), "PJM-head")
    cfg = epf.smoke_config()
    days = list(range(390, 400))
    one, _ = epf.rolling_forecasts(market, days, cfg, workers=0)
    two, seconds = epf.rolling_forecasts(market, days, cfg, workers=2)
    assert list(one) == list(two) == list(seconds)
    for name in one:
        np.testing.assert_allclose(one[name], two[name], rtol=1e-6, atol=1e-6, err_msg=name)


def test_the_lear_transform_is_chosen_per_file_before_the_test_period(pjm: pl.DataFrame) -> None:
    """Each file chooses the LEAR family's exogenous transform on its own validation year: the
    lower MAE there wins; the test period's prices play no part;
    a file too short for a validation year keeps the spec's transform and says why."""
    market = epf.market_from_frame(pjm.head(24 * 420), "PJM-head")
    config = replace(epf.smoke_config(), linear=epf.LinearSpec(windows=(56,), methods=("ridge",)))
    chosen, why = epf.choose_lear_exog_transform(market, 20, config, validation_days=28)
    maes = why["lear_family_mae"]
    assert set(maes) == {"linear", "asinh"} and chosen == min(maes, key=maes.get)
    assert why["validation_period"] == [str(market.dates[372]), str(market.dates[399])]
    prices = market.prices.copy()
    prices[400:] *= 5  # the test period: never seen by the choice
    again = epf.choose_lear_exog_transform(
        epf.Market(market.name, market.dates, prices, market.exog), 20, config, validation_days=28
    )
    assert again == (chosen, why)
    prices[372:400] = np.where(np.arange(24) < 12, 20.0, 80.0)  # another validation year...
    other = epf.choose_lear_exog_transform(
        epf.Market(market.name, market.dates, prices, market.exog), 20, config, validation_days=28
    )
    assert other[1]["lear_family_mae"] != maes  # ...is what decides
    short = epf.market_from_frame(pjm.head(24 * 60), "PJM-short")
    kept, reason = epf.choose_lear_exog_transform(short, 20, config, validation_days=28)
    assert kept == "linear" and "no validation year" in reason["reason"]


def test_tune_scores_candidates_before_the_test_period(pjm: pl.DataFrame) -> None:
    market = epf.market_from_frame(pjm.head(24 * 400), "PJM-head")
    smoke = epf.smoke_config()
    only = {"linear": None, "lgbm": None, "mlp": None}
    candidates = {
        f"{family} default": replace(smoke, **{**only, key: getattr(smoke, key)})
        for family, key in (("lear", "linear"), ("lgbm", "lgbm"), ("mlp", "mlp"))
    }
    pre = epf.validation_market(market, 20)
    assert pre.n_days == 380 and pre.dates[-1] == market.dates[379]
    scores = epf.tune(market, 20, candidates=candidates, log=None, validation_days=3)
    assert "lear default: lear" in scores and "mlp default: mlp" in scores
    assert "ensemble window=56 shrink=0.5" in scores
    assert all(0 < v < 30 for v in scores.values())


def test_ensemble_weights_use_only_past_days() -> None:
    rng = np.random.default_rng(1)
    actual = rng.normal(size=(10, 24))
    good, bad = actual + 0.01, actual + rng.normal(size=(10, 24))
    fc, weights = epf.ensemble_forecasts({"good": good, "bad": bad}, actual, window=3, min_days=3)
    np.testing.assert_allclose(weights[:3], 0.5)
    assert (weights[3:, 0] > 0.9).all()
    np.testing.assert_allclose(fc[5], weights[5, 0] * good[5] + weights[5, 1] * bad[5])
    _, shrunk = epf.ensemble_forecasts(
        {"good": good, "bad": bad}, actual, 3, shrink=0.5, min_days=3
    )
    np.testing.assert_allclose(shrunk[3:], 0.5 * weights[3:] + 0.25)
    # changing day 5's actuals changes no weight of days <= 5
    actual2 = actual.copy()
    actual2[5] += 100
    _, weights2 = epf.ensemble_forecasts({"good": good, "bad": bad}, actual2, window=3, min_days=3)
    np.testing.assert_array_equal(weights[:6], weights2[:6])


def test_short_run_end_to_end(pjm_path: Path, tmp_path: Path, datasets: Path, capsys) -> None:
    parser = epf.configure_parser(argparse.ArgumentParser())
    published = (
        datasets / "epftoolbox" / "published_forecasts" / "Forecasts_PJM_DNN_LEAR_ensembles.csv"
    )
    argv = ["--data", str(pjm_path), "--out", str(tmp_path / "out"), "--test-days", "3"]
    argv += ["--threads", "1", "--smoke", "--quiet"]
    if published.is_file():
        argv += ["--published", str(published)]
    assert epf.run(parser.parse_args(argv)) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(
        r"ensemble MAE=\d+\.\d+ sMAPE=\d+\.\d+% rMAE=\d+\.\d+ hours=72 seconds=\d+", lines[-1]
    ), lines[-1]
    forecasts = pl.read_csv(tmp_path / "out" / "forecasts.csv")
    assert forecasts.height == 72
    assert forecasts.columns[:2] == ["ts", "actual"] and forecasts.columns[-1] == "ensemble"
    assert forecasts["ts"][0] == "2018-12-22 00:00:00"
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["test_days"] == 3
    for name in ("ensemble", "mlp", "lgbm_56", "lear"):
        m = metrics["models"][name]
        assert set(m) == {"mae", "rmse", "smape", "rmae", "hours"} and m["hours"] == 72
        assert 0 < m["mae"] < 30
    q = metrics["ensemble_quantiles"]
    assert q["hours"] == 72 and q["below_p10"] <= q["below_p50"] <= q["below_p90"]
    assert 0 < q["pinball"] < 30
    assert any(line.startswith("ensemble P10/P50/P90") for line in lines)
    assert metrics["exogenous_beyond_bound"] == []  # PJM's forecasts: nothing compressed
    choice = metrics["lear_exog_transform"]
    assert choice["chosen"] == metrics["config"]["linear"]["exog_transform"]
    assert set(choice["lear_family_mae"]) == {"linear", "asinh"}
    assert choice["validation_period"][1] == "2018-12-21"  # the day before the test period
    if published.is_file():
        assert metrics["published_info"]["hours_matched"] == 72
        assert metrics["published_info"]["max_abs_diff_real_price"] < 1e-6
        assert "DNN Ensemble" in metrics["published"]


def test_a_glitch_in_the_test_period_is_named(pjm_path: Path, tmp_path: Path, capsys) -> None:
    """An hour of the system load forecast ten times too high on a test day: the run names it
    (printed and in metrics.json) as compressed in the linear models."""
    lines = pjm_path.read_text().splitlines()[: 1 + 24 * 420]
    row = 1 + 24 * 418 + 12  # day 418 (a test day of 3), hour 12
    fields = lines[row].split(",")
    fields[2] = str(float(fields[2]) * 10)
    lines[row] = ",".join(fields)
    glitched = tmp_path / "PJM-glitch.csv"
    glitched.write_text("\n".join(lines) + "\n")
    argv = ["--data", str(glitched), "--out", str(tmp_path / "out"), "--test-days", "3"]
    argv += ["--threads", "1", "--smoke", "--quiet", "--lear-exog", "linear"]
    assert epf.main(argv) == 0
    out = capsys.readouterr().out
    day = fields[0][:10]
    # fields[2]: the file's column 2 counted from 0, as the parser's errors count
    named = f"series 1 (the file's column 2, counted from 0 as in its errors) at {day} hour 12"
    named += f", {float(fields[2]):,.0f}"
    assert named in out, out
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    [item] = metrics["exogenous_beyond_bound"]
    assert (item["date"], item["series"], item["hour"]) == (day, 1, 12) and item["z"] > 8


def test_cli_errors_are_clear(tmp_path: Path, capsys) -> None:
    bad = _write(tmp_path / "tiny.csv", "d,p", ["2020-01-01 00:00:00,1"])
    assert epf.main(["--data", str(bad), "--out", str(tmp_path)]) == 2
    assert "tiny.csv" in capsys.readouterr().err


def test_band_offsets_use_only_past_days() -> None:
    rng = np.random.default_rng(2)
    actual = rng.normal(size=(40, 24))
    forecast = actual + rng.normal(size=(40, 24))
    offsets = epf.rolling_band_offsets(actual, forecast, window=10, min_days=5)
    assert np.isnan(offsets[:5]).all() and not np.isnan(offsets[5:]).any()
    assert (offsets[5:, 0] <= 0).all() and (offsets[5:, 1] >= 0).all()
    # day 20's offsets are the quantiles of the errors of days 10..19
    errors = (actual[10:20] - forecast[10:20]).ravel()
    np.testing.assert_allclose(offsets[20], np.quantile(errors, [0.1, 0.9]))
    # changing day 20's actuals changes no offset of days <= 20
    changed = actual.copy()
    changed[20] += 100
    again = epf.rolling_band_offsets(changed, forecast, window=10, min_days=5)
    np.testing.assert_array_equal(again[:21], offsets[:21])
    assert not np.array_equal(again[21], offsets[21])
