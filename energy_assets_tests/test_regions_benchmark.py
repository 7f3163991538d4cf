"""`benchmark regions`' table and last line, and the main job's default windows."""

from __future__ import annotations

import datetime as dt
import os

import polars as pl
import pytest

from energy_assets.benchmarks.regions import (
    CARBON_TABLES,
    _region_tables,
    carbon_table,
    last_line,
    region_table,
)
from energy_assets.cli import build_parser, default_windows
from energy_assets.warehouse import TableName, Warehouse


def _scores(region: str, ours: float, operator: float, days: int = 10) -> pl.DataFrame:
    """Day scores in the `evaluation/load_forecast_score` layout: constant errors per day."""
    from energy_assets.evaluation.load_score import SCHEMA

    rows = []
    for k in range(days):
        for forecaster, ape in (
            ("ensemble", ours),
            ("lightgbm", ours),
            ("mlx", ours),
            ("operator_day_ahead", operator),
            ("seasonal_naive_7d", 10.0),
        ):
            row = {c: None for c in SCHEMA}
            row |= {
                "region": region,
                "market_date": dt.date(2018, 1, 1) + dt.timedelta(days=k),
                "forecaster": forecaster,
                "hours": 24,
                "abs_error_sum_mw": 24 * ape * 100.0 * (1 + 0.1 * (k % 3)),
                "squared_error_sum_mw2": 24 * (ape * 100.0) ** 2,
                "abs_pct_error_sum": 24 * ape,
                "sym_pct_error_sum": 24 * ape,
            }
            rows.append(row)
    return pl.DataFrame(rows, schema=SCHEMA)


def test_last_line_counts_regions_beating_their_operator():
    scores = pl.concat([_scores("PJM", 2.0, 3.0), _scores("ERCOT", 3.0, 2.5)])
    table = region_table(scores, {"PJM": 10.0, "ERCOT": 12.0})
    assert table["ensemble_mape_pct"].to_list() == [2.0, 3.0]
    assert table["operator_mape_pct"].to_list() == [3.0, 2.5]
    assert table["published_operator_mape_pct"].to_list() == [3.59, 2.53]
    assert last_line(table, 61.4) == (
        "regions load_beats_operator=1/2 carbon_beats_dacf=0/0 hours=480 seconds=61"
    )


def test_main_job_default_windows_and_repeatable_regions():
    args = build_parser(["run"]).parse_args(["run"])
    assert args.region is None
    windows = default_windows(("CAISO", "ERCOT", "PJM"), None, None)
    assert windows == {
        "CAISO": (dt.date(2020, 7, 1), dt.date(2020, 8, 31)),
        "ERCOT": (dt.date(2019, 5, 1), dt.date(2019, 6, 30)),
        "PJM": (dt.date(2019, 5, 1), dt.date(2019, 6, 30)),
    }
    args = build_parser(["run"]).parse_args(
        ["run", "--region", "MISO", "--region", "SPP", "--start", "2018-01-01"]
    )
    assert default_windows(args.region, args.start, args.end) == {
        "MISO": (dt.date(2018, 1, 1), dt.date(2019, 6, 30)),
        "SPP": (dt.date(2018, 1, 1), dt.date(2019, 6, 30)),
    }


def _carbon_tables(day: dt.date) -> dict[str, pl.DataFrame]:
    """One day of each stored table the carbon half reads: the market-day forecast off by 10 %
    every hour, the UTC-day one by 2 %, the naive by 20 %."""
    hours = [dt.datetime.combine(day, dt.time(h), dt.UTC) for h in range(24)]
    base = {"market_date": [day] * 24, "interval_start_utc": hours}
    market = pl.DataFrame(
        {
            **base,
            "issued_at_utc": [hours[0] - dt.timedelta(hours=7)] * 24,
            "carbon_direct_p50_gco2_per_kwh": [110.0] * 24,
        }
    )
    utc = pl.DataFrame(
        {**base, "issued_at_utc": [hours[0]] * 24, "carbon_direct_p50_gco2_per_kwh": [102.0] * 24}
    )
    lifecycle = market.rename({"carbon_direct_p50_gco2_per_kwh": "carbon_p50_gco2_per_kwh"})
    actuals = pl.DataFrame(
        {
            **base,
            "carbon_gco2_per_kwh": [100.0] * 24,
            "carbon_direct_gco2_per_kwh": [100.0] * 24,
            "coverage": [1.0] * 24,
        }
    )
    features = pl.DataFrame(
        {
            **base,
            "issued_at_utc": [hours[0] - dt.timedelta(hours=7)] * 24,
            "carbon_direct_lag_7d_gco2_per_kwh": [120.0] * 24,
        }
    )
    return {
        "forecasts.carbon_direct_day_ahead": market,
        "forecasts.carbon_direct_day_ahead_utc": utc,
        "forecasts.carbon_day_ahead": lifecycle,
        "harmonized.carbon_intensity": actuals,
        "features.carbon_features": features,
    }


def test_carbon_table_scores_each_protocol_on_its_own_forecasts():
    day = dt.date(2021, 3, 1)
    table = carbon_table({"PJM": _carbon_tables(day)}, {"PJM": 12.0}, day, day)
    row = table.row(0, named=True)
    assert abs(row["direct_mape_pct"] - 10.0) < 1e-9  # the market-day forecast
    assert abs(row["direct_mape_utc_pct"] - 2.0) < 1e-9  # the UTC-day forecast, not a regrouping
    assert abs(row["naive_direct_mape_pct"] - 20.0) < 1e-9
    assert abs(row["lifecycle_mape_pct"] - 10.0) < 1e-9 and row["hours"] == row["utc_hours"] == 24
    line = last_line(
        pl.DataFrame(
            schema={
                "ensemble_mape_pct": pl.Float64,
                "operator_mape_pct": pl.Float64,
                "hours": pl.Int64,
            }
        ),
        30.0,
        table,
    )
    assert line == "regions load_beats_operator=0/0 carbon_beats_dacf=1/1 hours=24 seconds=30"


def test_load_work_keeps_the_load_slice_warehouse_where_asked(monkeypatch, tmp_path, capsys):
    from energy_assets.benchmarks import regions

    seen = {}

    def fake_run_regions(start, end, names, recordings, history_days, work=None, **options):
        seen["work"] = work
        seen["refit"] = options["refit_every_days"]
        return _scores("PJM", 2.0, 3.0), {"PJM": 1.0}

    monkeypatch.setattr(regions, "run_regions", fake_run_regions)
    argv = ["benchmark", "regions", "--region", "PJM", "--skip-carbon"]
    regions.main(build_parser(argv).parse_args([*argv, "--load-work", str(tmp_path / "w")]))
    assert seen["work"] == tmp_path / "w"
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith("regions load_beats_operator=1/1 carbon_beats_dacf=0/0")
    )
    assert seen["refit"] == regions.LOAD_REFIT_EVERY_DAYS
    regions.main(build_parser(argv).parse_args([*argv, "--load-refit-every", "7"]))
    assert seen["work"] is None  # a temporary folder, removed at the end
    assert seen["refit"] == 7


def test_slice_settings_hold_for_its_runs_only(monkeypatch):
    from energy_assets.benchmarks.regions import _environment

    monkeypatch.setenv("ENERGY_ASSETS_REFIT_EVERY_DAYS", "3")
    monkeypatch.delenv("ENERGY_ASSETS_CARBON_TRAINING_DAYS", raising=False)
    settings = {"ENERGY_ASSETS_REFIT_EVERY_DAYS": "7", "ENERGY_ASSETS_CARBON_TRAINING_DAYS": "9"}
    with pytest.raises(RuntimeError), _environment(settings):
        assert os.environ["ENERGY_ASSETS_REFIT_EVERY_DAYS"] == "7"
        assert os.environ["ENERGY_ASSETS_CARBON_TRAINING_DAYS"] == "9"
        raise RuntimeError("a failed run")
    assert os.environ["ENERGY_ASSETS_REFIT_EVERY_DAYS"] == "3"
    assert "ENERGY_ASSETS_CARBON_TRAINING_DAYS" not in os.environ


def test_carbon_tables_are_read_per_region_from_its_own_partitions(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse")
    days = [dt.date(2021, 1, 1) + dt.timedelta(days=k) for k in range(4)]
    for name in CARBON_TABLES:
        for region in ("PJM", "MISO"):
            for day in days:
                warehouse.write(
                    TableName(*name.split(".")),
                    {"region": region, "date": day.isoformat()},
                    pl.DataFrame({"region": [region], "market_date": [day], "value": [1.0]}),
                )
    tables = _region_tables(warehouse, ["PJM"], dt.date(2021, 1, 2), dt.date(2021, 1, 2))
    assert list(tables) == ["PJM"] and set(tables["PJM"]) == set(CARBON_TABLES)
    for frame in tables["PJM"].values():
        assert frame["region"].unique().to_list() == ["PJM"]
        # the window's days and one either side
        assert sorted(frame["market_date"].to_list()) == days[:3]


def test_regions_backfill_two_at_a_time_into_one_warehouse(recordings, datasets, tmp_path, capfd):
    """`--workers 2`: two regions at once, each in its own process and instance, both into the
    same warehouse, every line naming its region."""
    import re

    from energy_assets.benchmarks.regions import run_carbon

    first, last = dt.date(2019, 3, 9), dt.date(2019, 3, 10)  # 03-10: 23 hours
    tables, seconds = run_carbon(
        first, last, ["PJM", "ERCOT"], recordings, work=tmp_path, workers=2
    )
    assert list(seconds) == ["PJM", "ERCOT"] and all(s > 0 for s in seconds.values())
    out = capfd.readouterr().out  # the workers print to the inherited descriptor
    for region in ("PJM", "ERCOT"):
        assert re.search(rf"^\[{region}\] {region} carbon: \d+ s, 0 region-days failed$", out, re.M)
        intensity = tables[region]["harmonized.carbon_intensity"]
        assert intensity.group_by("market_date").len().sort("market_date").rows() == [
            (first, 24),
            (last, 23),
        ]
