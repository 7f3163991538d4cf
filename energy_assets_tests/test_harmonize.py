"""Harmonization and carbon intensity on real CAISO payloads."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from energy_assets.harmonize import caiso
from energy_assets.harmonize.carbon import (
    EMISSION_FACTORS_GCO2_PER_KWH,
    UNSPECIFIED_IMPORTS_GCO2_PER_KWH,
    carbon_intensity_from_mix,
)
from energy_assets.harmonize.grid import GRID_COLUMNS
from energy_assets.sources import caiso_outlook

TZ = "America/Los_Angeles"


def _day(recordings, day: dt.date):
    folder = recordings / "caiso_outlook" / day.strftime("%Y%m%d")
    demand = caiso_outlook.parse_demand((folder / "demand.csv").read_bytes(), day)
    fuel = caiso_outlook.parse_fuel_mix((folder / "fuelsource.csv").read_bytes(), day)
    return demand, fuel


@pytest.mark.parametrize(
    ("day", "hours"),
    [(dt.date(2020, 8, 14), 24), (dt.date(2019, 3, 10), 23), (dt.date(2019, 11, 3), 25)],
)
def test_grid_hourly_has_every_hour_of_the_market_day(recordings, day, hours):
    demand, fuel = _day(recordings, day)
    grid = caiso.grid_hourly("CAISO", day, TZ, demand, fuel)
    assert list(grid.columns) == list(GRID_COLUMNS)
    assert grid.height == hours
    assert grid["interval_start_utc"].is_unique().all()


def test_hourly_demand_is_the_mean_of_the_5_minute_readings(recordings):
    day = dt.date(2020, 8, 14)
    demand, fuel = _day(recordings, day)
    grid = caiso.grid_hourly("CAISO", day, TZ, demand, fuel)
    first_hour = demand.head(12)["demand_mw"].mean()
    assert grid["demand_mw"][0] == pytest.approx(first_hour)
    assert (grid["demand_coverage"] == 1.0).all()
    # hydro = small + large hydro, imports renamed
    first = fuel.head(12)
    assert grid["hydro_mw"][0] == pytest.approx(
        (first["small_hydro_mw"] + first["large_hydro_mw"]).mean()
    )
    assert grid["net_imports_mw"][0] == pytest.approx(first["imports_mw"].mean())


def test_fall_back_day_shows_the_missing_hour_with_zero_coverage(recordings):
    day = dt.date(2019, 11, 3)
    demand, fuel = _day(recordings, day)
    grid = caiso.grid_hourly("CAISO", day, TZ, demand, fuel)
    empty = grid.filter(pl.col("demand_coverage") == 0)
    assert empty.height == 1
    assert empty["demand_mw"].is_null().all()
    # the standard-time repeat of 01:00 (09:00 UTC) is the hour without readings
    assert empty["interval_start_utc"][0] == dt.datetime(2019, 11, 3, 9, tzinfo=dt.UTC)


def test_short_fuel_mix_day_gives_partial_coverage(recordings):
    day = dt.date(2019, 5, 10)  # 285 of 288 fuel-mix readings
    demand, fuel = _day(recordings, day)
    grid = caiso.grid_hourly("CAISO", day, TZ, demand, fuel)
    assert grid["fuel_mix_coverage"].min() < 1.0
    assert grid["fuel_mix_coverage"].sum() == pytest.approx(285 / 12)


@pytest.mark.parametrize(
    ("day", "fuel"),
    [
        (dt.date(2019, 1, 2), "natural_gas_mw"),
        (dt.date(2019, 3, 13), "geothermal_mw"),
        (dt.date(2019, 3, 26), "net_imports_mw"),
    ],
)
def test_a_fuel_left_empty_all_day_gives_no_intensity(recordings, day, fuel):
    """The recorded Outlook file leaves one fuel empty all day (2019-01-02: no natural gas, which
    made CAISO's direct intensity about 1 g/kWh and its ratio models' P90 thousands the
    following weeks): a partial mix is no reading, so no hour of the day gets an intensity."""
    demand, fuel_5min = _day(recordings, day)
    grid = caiso.grid_hourly("CAISO", day, TZ, demand, fuel_5min)
    assert grid[fuel].null_count() == grid.height
    assert (grid["fuel_mix_coverage"] == 0).all()
    carbon = carbon_intensity_from_mix(grid)
    assert carbon["carbon_gco2_per_kwh"].is_null().all()
    assert carbon["carbon_direct_gco2_per_kwh"].is_null().all()
    assert grid["demand_mw"].null_count() == 0  # the demand file is whole: it stays


def test_carbon_intensity_of_a_real_day_is_plausible(recordings):
    day = dt.date(2020, 8, 14)
    demand, fuel = _day(recordings, day)
    carbon = carbon_intensity_from_mix(caiso.grid_hourly("CAISO", day, TZ, demand, fuel))
    values = carbon["carbon_gco2_per_kwh"]
    assert values.null_count() == 0
    assert 100 < values.min() < values.max() < 450
    # midday solar makes noon cleaner than the evening peak (local 13:00 vs 20:00, PDT = UTC-7)
    by_hour = dict(zip(carbon["interval_start_utc"].dt.hour(), values, strict=True))
    assert by_hour[20] < by_hour[3]


def _mix(**mw) -> pl.DataFrame:
    row = {c: 0.0 for c in GRID_COLUMNS if c.endswith("_mw")}
    row.update(mw)
    return pl.DataFrame(
        [
            {
                "region": "X",
                "market_date": dt.date(2020, 1, 1),
                "interval_start_utc": dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
                **row,
                "demand_coverage": 1.0,
                "fuel_mix_coverage": 1.0,
            }
        ]
    )


def test_carbon_weights_factors_by_supply_and_excludes_batteries():
    carbon = carbon_intensity_from_mix(
        _mix(coal_mw=100.0, wind_mw=300.0, batteries_mw=500.0, solar_mw=-20.0)
    )
    expected = (100 * EMISSION_FACTORS_GCO2_PER_KWH["coal_mw"] + 300 * 11.0) / 400
    assert carbon["carbon_gco2_per_kwh"][0] == pytest.approx(expected)


def test_imports_use_the_unspecified_factor_and_exports_count_as_zero():
    imports = carbon_intensity_from_mix(_mix(nuclear_mw=100.0, net_imports_mw=100.0))
    assert imports["carbon_gco2_per_kwh"][0] == pytest.approx(
        (100 * 12.0 + 100 * UNSPECIFIED_IMPORTS_GCO2_PER_KWH) / 200
    )
    assert imports["imports_share"][0] == pytest.approx(0.5)
    exports = carbon_intensity_from_mix(_mix(nuclear_mw=100.0, net_imports_mw=-50.0))
    assert exports["carbon_gco2_per_kwh"][0] == pytest.approx(12.0)
    in_region = carbon_intensity_from_mix(
        _mix(nuclear_mw=100.0, net_imports_mw=100.0), imports_gco2_per_kwh=None
    )
    assert in_region["carbon_gco2_per_kwh"][0] == pytest.approx(12.0)


def test_hours_without_fuel_mix_have_no_intensity():
    frame = _mix(coal_mw=None).with_columns(fuel_mix_coverage=pl.lit(0.0))
    assert carbon_intensity_from_mix(frame)["carbon_gco2_per_kwh"].is_null().all()


def test_operator_forecast_is_issued_at_the_day_ahead_market_close(recordings):
    day = dt.date(2020, 8, 14)
    demand, _ = _day(recordings, day)
    forecast = caiso.operator_load_forecast("CAISO", day, TZ, demand)
    assert forecast.height == 24
    # D-1 10:00 PDT = 17:00 UTC
    assert (forecast["issued_at_utc"] == dt.datetime(2020, 8, 13, 17, tzinfo=dt.UTC)).all()


@pytest.mark.parametrize("ba", ["CISO", "ERCO", "ISNE", "MISO", "PJM"])
def test_direct_intensity_reproduces_the_eia930_carbon_data_set(datasets, ba) -> None:
    """`carbon_direct_gco2_per_kwh` is the quantity DACF's published MAPE is about: built from
    the harmonized fuel mix, it matches the data set's own `carbon_intensity` (two decimals) in
    every hour of 2019-01..2021-06."""

    from energy_assets.harmonize import eia930 as harmonize_eia930
    from energy_assets.harmonize.carbon import carbon_intensity_from_mix
    from energy_assets.sources import eia930

    body = (datasets / "carbon_eia930" / f"{ba}_direct_emissions.csv").read_bytes()
    raw = eia930.parse_history_fuel_mix(body)
    grid = harmonize_eia930.fuel_hourly(raw).with_columns(
        region=pl.lit(ba), market_date=pl.lit(dt.date(2020, 1, 1))
    )
    ours = carbon_intensity_from_mix(grid, None).join(
        raw.select("interval_start_utc", "published_direct_gco2_per_kwh"), on="interval_start_utc"
    )
    assert ours.height == 21_888
    difference = ours["carbon_direct_gco2_per_kwh"] - ours["published_direct_gco2_per_kwh"]
    assert difference.abs().max() <= 0.0051
