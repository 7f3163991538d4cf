"""Each table's Pandera model rejects the frames it must reject."""

from __future__ import annotations

import datetime as dt

import pandera.errors
import polars as pl
import pytest

from energy_assets.harmonize.grid import FUEL_COLUMNS
from energy_assets.schemas.evaluation import LoadForecastScore
from energy_assets.schemas.forecasts import LoadDayAhead
from energy_assets.schemas.harmonized import GridHourly, OperatorLoadForecast
from energy_assets.schemas.models import TrainedModel

T0 = dt.datetime(2020, 8, 14, 7, tzinfo=dt.UTC)
UTC = pl.Datetime("us", "UTC")


def _grid(**overrides) -> pl.DataFrame:
    row = {
        "region": "CAISO",
        "market_date": dt.date(2020, 8, 14),
        "interval_start_utc": T0,
        "demand_mw": 30_000.0,
        **{c: 1_000.0 for c in (*FUEL_COLUMNS, "net_imports_mw")},
        "demand_coverage": 1.0,
        "fuel_mix_coverage": 1.0,
    }
    row.update(overrides)
    return pl.DataFrame([row], schema_overrides={"interval_start_utc": UTC})


def _rejects(model, frame: pl.DataFrame, what: str) -> None:
    with pytest.raises(pandera.errors.SchemaErrors) as caught:
        model.validate(frame, lazy=True)
    checks = " ".join(str(c) for c in caught.value.failure_cases["check"].to_list())
    assert what in checks, checks


def test_valid_grid_row_passes():
    GridHourly.validate(_grid(), lazy=True)


def test_naive_timestamps_are_rejected():
    frame = _grid().with_columns(pl.col("interval_start_utc").dt.replace_time_zone(None))
    _rejects(GridHourly, frame, "Datetime")


def test_negative_demand_is_rejected():
    _rejects(GridHourly, _grid(demand_mw=-5.0), "greater_than_or_equal_to")


def test_coverage_above_one_is_rejected():
    _rejects(GridHourly, _grid(demand_coverage=1.2), "less_than_or_equal_to")


def test_duplicate_hours_are_rejected():
    _rejects(GridHourly, pl.concat([_grid(), _grid()]), "multiple_fields_uniqueness")


def test_unknown_columns_are_rejected():
    _rejects(GridHourly, _grid().with_columns(extra=pl.lit(1)), "column_in_schema")


def test_forecast_issued_after_its_interval_is_rejected():
    frame = pl.DataFrame(
        [
            {
                "region": "CAISO",
                "market_date": dt.date(2020, 8, 14),
                "interval_start_utc": T0,
                "forecast_demand_mw": 30_000.0,
                "issued_at_utc": T0 + dt.timedelta(hours=1),
                "provider": "caiso",
            }
        ],
        schema_overrides={"interval_start_utc": UTC, "issued_at_utc": UTC},
    )
    _rejects(OperatorLoadForecast, frame, "issued_at_utc must precede")


def test_crossed_quantiles_are_rejected():
    frame = pl.DataFrame(
        [
            {
                "region": "CAISO",
                "market_date": dt.date(2020, 8, 14),
                "interval_start_utc": T0,
                "issued_at_utc": T0 - dt.timedelta(hours=20),
                "model_version": "abcdef123456",
                "demand_p10_mw": 31_000.0,
                "demand_p50_mw": 30_000.0,
                "demand_p90_mw": 32_000.0,
            }
        ],
        schema_overrides={"interval_start_utc": UTC, "issued_at_utc": UTC},
    )
    _rejects(LoadDayAhead, frame, "ordered")


def test_model_trained_on_its_own_day_is_rejected():
    frame = pl.DataFrame(
        [
            {
                "region": "CAISO",
                "market_date": dt.date(2020, 8, 14),
                "model_version": "abcdef123456",
                "artifact_path": "/x.json",
                "artifact_sha256": "0" * 64,
                "training_rows": 100,
                "training_days": 28,
                "train_first_date": dt.date(2020, 7, 1),
                "train_last_date": dt.date(2020, 8, 14),
                "trained_at_utc": T0,
            }
        ],
        schema_overrides={"trained_at_utc": UTC},
    )
    _rejects(TrainedModel, frame, "training data must end before the market day")


def test_unknown_forecaster_is_rejected():
    frame = pl.DataFrame(
        [
            {
                "region": "CAISO",
                "market_date": dt.date(2020, 8, 14),
                "forecaster": "crystal_ball",
                "hours": 24,
                **{
                    c: None
                    for c in (
                        "mae_mw",
                        "mape_pct",
                        "abs_error_sum_mw",
                        "abs_pct_error_sum",
                        "pinball_p10_mw",
                        "pinball_p90_mw",
                        "p10_p90_coverage",
                    )
                },
            }
        ],
        schema_overrides={
            c: pl.Float64
            for c in (
                "mae_mw",
                "mape_pct",
                "abs_error_sum_mw",
                "abs_pct_error_sum",
                "pinball_p10_mw",
                "pinball_p90_mw",
                "p10_p90_coverage",
            )
        },
    )
    _rejects(LoadForecastScore, frame, "isin")
