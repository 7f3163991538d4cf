"""EIA-930 (hourly, every US balancing authority) into the harmonized hourly tables.

EIA publishes hourly energy (MWh in the hour), which is the hour's mean power in MW: the values
go to the `_mw` columns as they are. Interval starts are already UTC (the parser turned EIA's
hour-ending labels into starts). Every hour of the local market day is present in the output
(23/24/25); an hour EIA did not publish stays null with coverage 0, never filled.

Fuel mapping (EIA-930 energy-source codes -> harmonized columns): COL -> coal, NG -> natural gas,
NUC -> nuclear, OIL -> oil, WAT -> hydro, SUN and SNB (solar with storage) -> solar, WND -> wind,
WNB (wind with storage) -> wind, GEO -> geothermal, BAT, PS (pumped storage, negative while
pumping), OES and UES (other and unknown storage) -> batteries (storage:
excluded from carbon intensity, as batteries are), OTH and UNK -> other. `net_imports_mw` is
minus EIA's total interchange (TI, positive for net exports).

The operator's day-ahead demand forecast (DF) carries no issue time. Every ISO issues its
day-ahead load forecast for its day-ahead market, which closes on the morning of D-1 (CAISO
10:00 PT, ERCOT 10:00 CT, PJM 10:30 ET, MISO 10:30 EST, ISO-NE 10:00 ET, NYISO 05:00 ET, SPP
09:30 CT), and publishes it on its own site by then; `issued_at_utc` is set to D-1 10:00 local,
the latest of those closes but PJM's and MISO's half hour. EIA's own instructions only require a
BA to post the forecast for D by 07:00 Eastern on D, so in live use the EIA copy itself may
arrive later: a forecast issued at D-1 12:00 local that uses it as a feature needs the
operator's own publication (the ISO providers), which is why the assumption is one constant
(`OPERATOR_FORECAST_ISSUE_HOUR_LOCAL`), documented in the README.

Implausible operator forecasts are dropped, not stored: an hour whose DF is outside the region's
plausible demand range (`Region.demand_mw_range`, e.g. PJM's 2015 DF of 42,144 MW against 106,560
MW of demand) is counted in the asset's metadata and left out, so nothing downstream scores or
learns from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from energy_assets.harmonize.caiso import operator_issue_time
from energy_assets.harmonize.grid import FUEL_COLUMNS, assemble_grid_hourly

OPERATOR_FORECAST_ISSUE_HOUR_LOCAL = 10
PROVIDER = "eia930"

# harmonized column <- EIA fuel columns (as the parser names them), summed
FUEL_SOURCES: Mapping[str, tuple[str, ...]] = {
    "coal_mw": ("coal_mw",),
    "natural_gas_mw": ("natural_gas_mw",),
    "nuclear_mw": ("nuclear_mw",),
    "oil_mw": ("oil_mw",),
    "hydro_mw": ("hydro_mw",),
    "solar_mw": ("solar_mw", "solar_with_storage_mw"),
    "wind_mw": ("wind_mw", "wind_with_storage_mw"),
    "geothermal_mw": ("geothermal_mw",),
    "biomass_mw": ("biomass_mw",),
    "batteries_mw": (
        "batteries_mw",
        "pumped_storage_mw",
        "other_storage_mw",
        "unknown_storage_mw",
    ),
    "other_mw": ("other_mw", "unknown_mw"),
}


def _summed(frame: pl.DataFrame, parts: tuple[str, ...]) -> pl.Expr:
    present = [c for c in parts if c in frame.columns]
    if not present:
        return pl.lit(None, dtype=pl.Float64)
    return (
        pl.when(pl.all_horizontal([pl.col(c).is_null() for c in present]))
        .then(None)
        .otherwise(pl.sum_horizontal([pl.col(c) for c in present]))
        .cast(pl.Float64)
    )


def demand_hourly(region_data: pl.DataFrame | None) -> pl.DataFrame:
    schema = {
        "interval_start_utc": pl.Datetime("us", "UTC"),
        "demand_mw": pl.Float64,
        "net_imports_mw": pl.Float64,
        "demand_coverage": pl.Float64,
    }
    if region_data is None or region_data.is_empty():
        return pl.DataFrame(schema=schema)
    interchange = (
        -pl.col("total_interchange_mw").cast(pl.Float64)
        if "total_interchange_mw" in region_data.columns
        else pl.lit(None, dtype=pl.Float64)
    )
    return region_data.select(
        "interval_start_utc",
        pl.col("demand_mw").cast(pl.Float64),
        interchange.alias("net_imports_mw"),
        pl.col("demand_mw").is_not_null().cast(pl.Float64).alias("demand_coverage"),
    )


def fuel_hourly(fuel: pl.DataFrame | None) -> pl.DataFrame:
    schema = {"interval_start_utc": pl.Datetime("us", "UTC")}
    schema |= {c: pl.Float64 for c in FUEL_COLUMNS} | {"fuel_mix_coverage": pl.Float64}
    if fuel is None or fuel.is_empty():
        return pl.DataFrame(schema=schema)
    out = fuel.select(
        "interval_start_utc",
        *[_summed(fuel, parts).alias(name) for name, parts in FUEL_SOURCES.items()],
    )
    return out.with_columns(
        pl.any_horizontal([pl.col(c).is_not_null() for c in FUEL_SOURCES])
        .cast(pl.Float64)
        .alias("fuel_mix_coverage")
    )


def grid_hourly(
    region: str,
    market_day: dt.date,
    tz: str,
    region_data: pl.DataFrame | None,
    fuel: pl.DataFrame | None,
) -> pl.DataFrame:
    """Hourly demand, net imports and generation by fuel for the market day; either input may be
    absent (None), its columns then null with coverage 0."""
    demand = demand_hourly(region_data)
    fuels = fuel_hourly(fuel)
    return assemble_grid_hourly(region, market_day, tz, demand, fuels)


def operator_load_forecast(
    region: str,
    market_day: dt.date,
    tz: str,
    region_data: pl.DataFrame,
    plausible_mw: tuple[float, float],
) -> tuple[pl.DataFrame, int]:
    """The BA's day-ahead demand forecast for the market day's hours, with its issue time, and
    the number of hours dropped as implausible (outside `plausible_mw`)."""
    low, high = plausible_mw
    forecast = region_data.filter(pl.col("day_ahead_forecast_mw").is_not_null())
    plausible = forecast.filter(pl.col("day_ahead_forecast_mw").is_between(low, high))
    issued = operator_issue_time(market_day, tz)
    frame = (
        plausible.select(
            pl.lit(region).alias("region"),
            pl.lit(market_day, dtype=pl.Date).alias("market_date"),
            "interval_start_utc",
            pl.col("day_ahead_forecast_mw").cast(pl.Float64).alias("forecast_demand_mw"),
            pl.lit(issued, dtype=pl.Datetime("us", "UTC")).alias("issued_at_utc"),
            pl.lit(PROVIDER).alias("provider"),
        )
        .filter(pl.col("issued_at_utc") < pl.col("interval_start_utc"))
        .sort("interval_start_utc")
    )
    return frame, forecast.height - plausible.height
