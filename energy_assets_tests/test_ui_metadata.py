"""What the asset pages show: numbers rounded by unit, forecasts' hours as a table."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl

from energy_assets import ui_metadata


def test_numbers_are_rounded_to_what_they_mean():
    rounded = ui_metadata.rounded(
        {
            "peak_p50_mw": 31234.567,
            "mean_p50_gco2_per_kwh": 231.456,
            "mape_pct_CAISO_ensemble": 3.14159,
            "dm_p_value_vs_naive": 0.000123456,
            "baseline_cost_usd": 12.3456,
            "gap": 0.0123456,
            "solver_status": "OPTIMAL",
            "jobs": 12,
        }
    )
    assert rounded == {
        "peak_p50_mw": 31235,
        "mean_p50_gco2_per_kwh": 231.5,
        "mape_pct_CAISO_ensemble": 3.14,
        "dm_p_value_vs_naive": 0.000123,
        "baseline_cost_usd": 12.35,
        "gap": 0.0123,
        "solver_status": "OPTIMAL",
        "jobs": 12,
    }


def _forecast(day: dt.date, hours: int) -> pl.DataFrame:
    start = dt.datetime(day.year, day.month, day.day, 7, tzinfo=dt.UTC)  # local midnight, PDT
    starts = [start + dt.timedelta(hours=h) for h in range(hours)]
    return pl.DataFrame(
        {
            "region": ["CAISO"] * hours,
            "interval_start_utc": starts,
            "demand_p10_mw": [20000.4 + h for h in range(hours)],
            "demand_p50_mw": [22000.5 + h for h in range(hours)],
            "demand_p90_mw": [float("nan")] + [24000.0] * (hours - 1),
        },
        schema_overrides={"interval_start_utc": pl.Datetime("us", "UTC")},
    )


def test_a_forecast_shows_its_hours_on_the_local_clock_beside_the_operator():
    """2020-11-01 in California has 25 hours: its two 01:00s are told apart by the zone."""
    frame = _forecast(dt.date(2020, 11, 1), 25)
    operator = frame.select("interval_start_utc").with_columns(
        operator_forecast_mw=pl.Series([21000.7] * 24 + [None], dtype=pl.Float64)
    )
    value = ui_metadata.forecast_hours(frame, operator=operator)
    assert isinstance(value, dg.TableMetadataValue)
    columns = {c.name: c.type for c in value.schema.columns}
    assert columns == {
        "interval_start_local": "string",
        "p10_mw": "int",
        "p50_mw": "int",
        "p90_mw": "int",
        "operator_forecast_mw": "int",
    }
    rows = [r.data for r in value.records]
    assert len(rows) == 25
    assert rows[0] == {
        "interval_start_local": "2020-11-01 00:00 PDT",
        "p10_mw": 20000,
        "p50_mw": 22000,  # 22000.5 rounds to even
        "p90_mw": None,  # NaN: an empty cell
        "operator_forecast_mw": 21001,
    }
    assert [r["interval_start_local"][11:] for r in rows[1:3]] == ["01:00 PDT", "01:00 PST"]
    assert rows[-1]["operator_forecast_mw"] is None


def test_a_carbon_forecast_keeps_one_decimal():
    frame = pl.DataFrame(
        {
            "region": ["PJM"],
            "interval_start_utc": [dt.datetime(2019, 5, 1, 4, tzinfo=dt.UTC)],
            "carbon_p10_gco2_per_kwh": [401.26],
            "carbon_p50_gco2_per_kwh": [430.04],
            "carbon_p90_gco2_per_kwh": [455.55],
        }
    )
    (row,) = ui_metadata.forecast_hours(frame).records
    assert row.data == {
        "interval_start_local": "2019-05-01 00:00 EDT",
        "p10_gco2_per_kwh": 401.3,
        "p50_gco2_per_kwh": 430.0,
        "p90_gco2_per_kwh": 455.6,
    }
