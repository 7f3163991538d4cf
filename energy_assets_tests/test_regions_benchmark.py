"""`benchmark regions`' table and last line, and the main job's default windows."""

from __future__ import annotations

import datetime as dt

import polars as pl

from energy_assets.benchmarks.regions import last_line, region_table
from energy_assets.cli import build_parser, default_windows


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
