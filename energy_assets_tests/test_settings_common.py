"""What the settings comparisons share: the warehouse, one region's rows, the window's coverage."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from energy_assets.benchmarks.settings_common import coverage_line, open_warehouse, region_rows

DAYS = [dt.date(2020, 7, 1) + dt.timedelta(days=k) for k in range(10)]


def test_coverage_names_the_missing_days():
    rows = pl.DataFrame({"market_date": [d for d in DAYS if d.day not in (3, 4)]})
    line = coverage_line("PJM", "features/carbon_features_utc", rows, DAYS)
    assert line == (
        "PJM    features/carbon_features_utc: 8 of 10 days; missing 2020-07-03, 2020-07-04"
        " (not scored)"
    )
    assert coverage_line("PJM", "t", pl.DataFrame({"market_date": DAYS}), DAYS).endswith(
        "10 of 10 days"
    )
    line = coverage_line("PJM", "t", pl.DataFrame({"market_date": DAYS[:2]}), DAYS)
    assert "2 of 10 days" in line and "and 3 more" in line


def test_missing_warehouse_and_unknown_region_are_named(tmp_path):
    with pytest.raises(
        SystemExit, match=r"carbon-settings: no warehouse in .* \(run benchmark x first\)"
    ):
        open_warehouse(tmp_path, "carbon-settings", "benchmark x")
    (tmp_path / "warehouse").mkdir()
    warehouse = open_warehouse(tmp_path, "load-settings", "benchmark x")
    with pytest.raises(SystemExit, match='load-settings: unknown region "PJM\' or 1=1"'):
        region_rows(warehouse, "features/load_features", "PJM' or 1=1", "load-settings")
