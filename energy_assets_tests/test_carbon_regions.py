"""The carbon slice of every region with a fuel mix and a weather feed, on the real history files:
features horizon-safe at both issue protocols, with the day's weather; and the protocol scoring."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from energy_assets.evaluation.carbon_protocols import protocol_mape
from energy_assets.features.carbon import (
    FEATURE_COLUMNS,
    FUEL_MW_COLUMNS,
    SHARE_COLUMNS,
    WEATHER_FEATURES,
    build_carbon_features,
)
from energy_assets.features.load import build_load_features, forecast_issue_time
from energy_assets.harmonize import eia930 as harmonize_eia930
from energy_assets.harmonize.carbon import carbon_intensity_from_mix
from energy_assets.harmonize.weather import weather_hourly
from energy_assets.regions import region, regions_with
from energy_assets.sources import eia930, gfs_regional
from energy_assets.timeutil import market_day_bounds_utc

DAY = dt.date(2020, 3, 9)  # the day after the spring clock change (a 23-hour D-1 in the US)


def _harmonized(datasets, code: str, days: list[dt.date]):
    """The region's harmonized grid, carbon intensity and weather for `days`, from the files."""
    reg = region(code)
    ba = reg.eia_ba_code
    fuel = eia930.parse_history_fuel_mix(
        (datasets / "carbon_eia930" / f"{ba}_direct_emissions.csv").read_bytes()
    )
    weather = gfs_regional.parse_history(
        (datasets / "carbon_eia930" / f"{ba}_weather_forecast.csv").read_bytes()
    )
    grids, carbons, weathers = [], [], []
    for day in days:
        start, end = market_day_bounds_utc(day, reg.timezone)
        in_day = pl.col("interval_start_utc").is_between(start, end, closed="left")
        grid = harmonize_eia930.grid_hourly(code, day, reg.timezone, None, fuel.filter(in_day))
        grids.append(grid)
        carbons.append(carbon_intensity_from_mix(grid, None))
        weathers.append(
            weather_hourly(code, day, reg.timezone, weather.filter(in_day), "gfs_regional")
        )
    return pl.concat(grids), pl.concat(carbons), pl.concat(weathers)


@pytest.mark.parametrize("code", regions_with("weather"))
@pytest.mark.parametrize("protocol", ["market_day", "utc_day"])
def test_carbon_features_are_horizon_safe_with_the_days_weather(datasets, code, protocol):
    reg = region(code)
    days = [DAY + dt.timedelta(days=k) for k in range(-10, 2)]
    grid, carbon, weather = _harmonized(datasets, code, days)
    if protocol == "market_day":
        tz, issued_at = reg.timezone, forecast_issue_time(DAY, reg.timezone)
    else:
        tz, issued_at = "UTC", dt.datetime.combine(DAY, dt.time(0), dt.UTC)
    calendar = build_load_features(
        DAY, code, tz, reg.holiday_country, reg.holiday_subdivision, grid, None, issued_at
    )
    rows = build_carbon_features(calendar, carbon, grid, tz, weather)
    assert rows.height == 24
    assert (rows["available_at_utc"] <= rows["issued_at_utc"]).all()
    assert (rows["issued_at_utc"] == issued_at).all()
    for column in WEATHER_FEATURES.values():
        if column in ("weather_shortwave_radiation_w_per_m2", "weather_precipitation_mm_per_h"):
            continue  # the files' copied 09 UTC step is null, never filled
        assert rows[column].null_count() == 0, column
    assert rows["carbon_direct_lag_7d_gco2_per_kwh"].null_count() == 0
    known = rows["carbon_direct_lag_1d_gco2_per_kwh"].is_not_null().sum()
    # the D-1 lag exists only for hours of D-1 that had ended at the issue: the whole of D-1 on
    # UTC days; on market days local hours 0-11 (02:00 did not exist on 2020-03-08 where the
    # clocks changed; MISO settles on a fixed offset)
    start, _ = market_day_bounds_utc(DAY - dt.timedelta(days=1), reg.timezone)
    morning = int((forecast_issue_time(DAY, reg.timezone) - start).total_seconds() // 3600)
    assert known == (24 if protocol == "utc_day" else morning)
    # the latest hour known at the issue is the one that ended at it, on either clock
    last_hour = carbon.filter(pl.col("interval_start_utc") == issued_at - dt.timedelta(hours=1))[
        "carbon_direct_gco2_per_kwh"
    ]
    assert rows["carbon_direct_last_known_gco2_per_kwh"].unique().to_list() == last_hour.to_list()
    for column in SHARE_COLUMNS:
        if column.startswith("coal") and code == "ISONE":
            continue  # ISO-NE burns next to no coal: its share is 0 or null
        assert rows[column].is_not_null().any(), column
    shares = rows.select(c for c in SHARE_COLUMNS if c.endswith("last_known_fraction"))
    assert 0.5 < sum(shares.row(0)[i] or 0.0 for i in range(shares.width)) <= 1.0 + 1e-9
    assert rows["weather_temperature_change_1d_c"].null_count() == 0
    # nothing of D: a forecast built on D's own intensity would score perfectly
    d = carbon.filter(pl.col("interval_start_utc").is_in(rows["interval_start_utc"].to_list()))
    assert not rows.join(d, on="interval_start_utc")["carbon_direct_lag_1d_gco2_per_kwh"].equals(
        rows.join(d, on="interval_start_utc")["carbon_direct_gco2_per_kwh"]
    )


def _forecast_rows(issued: dt.datetime, days: list[dt.date], value) -> pl.DataFrame:
    rows = []
    for day in days:
        for hour in range(24):
            start = dt.datetime.combine(day, dt.time(hour), dt.UTC)
            rows.append(
                {
                    "market_date": day,
                    "interval_start_utc": start,
                    "issued_at_utc": issued,
                    "f": value(start),
                }
            )
    return pl.DataFrame(rows)


def test_protocol_mape_scores_each_protocols_days_and_refuses_late_forecasts():
    days = [dt.date(2021, 1, 1), dt.date(2021, 1, 2)]
    forecasts = _forecast_rows(
        dt.datetime(2020, 12, 31, 17, tzinfo=dt.UTC), days, lambda t: 110.0 if t.hour < 6 else 100.0
    )
    actuals = forecasts.select(
        "interval_start_utc", pl.lit(100.0).alias("a"), pl.lit(1.0).alias("coverage")
    )
    mape, hours = protocol_mape(forecasts, actuals, "f", "a", days[0], days[0], "utc_day")
    assert (round(mape, 6), hours) == (round(6 / 24 * 10, 6), 24)
    # an hour whose actual is not covered well enough is left out of every protocol
    thin = actuals.with_columns(
        coverage=pl.when(pl.col("interval_start_utc").dt.hour() == 0).then(0.5).otherwise(1.0)
    )
    assert protocol_mape(forecasts, thin, "f", "a", days[0], days[0], "market_day")[1] == 23
    late = forecasts.with_columns(
        issued_at_utc=pl.col("interval_start_utc").dt.truncate("1d") + dt.timedelta(hours=1)
    )
    with pytest.raises(ValueError, match="issued after 00:00 UTC"):
        protocol_mape(late, actuals, "f", "a", days[0], days[1], "utc_day")


@pytest.mark.parametrize("code", ["CAISO", "ERCOT"])
@pytest.mark.parametrize("protocol", ["market_day", "utc_day"])
def test_each_fuels_output_features_are_what_was_known_at_the_issue(datasets, code, protocol):
    reg = region(code)
    days = [DAY + dt.timedelta(days=k) for k in range(-3, 2)]
    grid, carbon, weather = _harmonized(datasets, code, days)
    if protocol == "market_day":
        tz, issued_at = reg.timezone, forecast_issue_time(DAY, reg.timezone)
    else:
        tz, issued_at = "UTC", dt.datetime.combine(DAY, dt.time(0), dt.UTC)
    calendar = build_load_features(
        DAY, code, tz, reg.holiday_country, reg.holiday_subdivision, grid, None, issued_at
    )
    rows = build_carbon_features(calendar, carbon, grid, tz, weather)
    assert set(FUEL_MW_COLUMNS) <= set(rows.columns)
    assert set(FUEL_MW_COLUMNS).isdisjoint(FEATURE_COLUMNS)  # the intensity models' own inputs
    assert (rows["available_at_utc"] <= rows["issued_at_utc"]).all()
    # D-1's same hour, where it had ended at the issue, is the grid's own reading of that hour
    lag = rows.select("interval_start_utc", "natural_gas_lag_1d_mw").drop_nulls()
    hours = 24 if protocol == "utc_day" else 12
    assert abs(lag.height - hours) <= 1  # MISO-like fixed offsets aside, the clock change
    readings = grid.select(
        (pl.col("interval_start_utc") + dt.timedelta(days=1)).alias("interval_start_utc"),
        "natural_gas_mw",
    )
    if protocol == "utc_day":
        joined = lag.join(readings, on="interval_start_utc")
        assert joined.height == lag.height
        assert (joined["natural_gas_lag_1d_mw"] - joined["natural_gas_mw"]).abs().max() < 1e-6
    # the latest hour known is the one that ended at the issue
    last = grid.filter(pl.col("interval_start_utc") == issued_at - dt.timedelta(hours=1))
    assert rows["wind_last_known_mw"].unique().to_list() == [max(float(last["wind_mw"][0]), 0.0)]
    # D-1's mean is over its hours known at the issue only
    known = grid.filter(
        (pl.col("market_date") == DAY - dt.timedelta(days=1))
        & (pl.col("interval_start_utc") < issued_at)
    )
    if protocol == "market_day":
        assert rows["solar_mean_1d_known_mw"][0] == pytest.approx(
            known["solar_mw"].clip(lower_bound=0.0).mean()
        )
    # a fuel the region does not report is null, never 0
    absent = [c for c in ("geothermal_mw", "biomass_mw") if c not in grid.columns]
    for fuel in absent:
        assert rows[f"{fuel.removesuffix('_mw')}_lag_1d_mw"].null_count() == 24


def test_fuel_output_features_are_null_without_a_grid(datasets):
    reg = region("CAISO")
    issued_at = forecast_issue_time(DAY, reg.timezone)
    grid, carbon, weather = _harmonized(datasets, "CAISO", [DAY - dt.timedelta(days=1), DAY])
    calendar = build_load_features(
        DAY,
        "CAISO",
        reg.timezone,
        reg.holiday_country,
        reg.holiday_subdivision,
        grid,
        None,
        issued_at,
    )
    rows = build_carbon_features(calendar, carbon, None, reg.timezone, weather)
    assert rows.select(FUEL_MW_COLUMNS).null_count().row(0) == (24,) * len(FUEL_MW_COLUMNS)
