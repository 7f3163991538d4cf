"""Great Britain into the harmonized hourly tables: NESO demand and the GB Carbon Intensity API.

Both publish half-hours (UTC starts, `sources/neso.py`, `sources/uk_carbon_intensity.py`); the
harmonized tables are hourly, so each UTC hour is the MEAN of its two half-hours:

- demand is power (MW averaged over the half-hour): the hour's mean MW is the mean of the two
  half-hours' MW (= the hour's MWh), never their sum (which would double it). `demand_mw` is
  NESO's national demand (ND): the demand met by transmission-connected generation, so the
  output of embedded (distribution-connected) wind and solar is NOT in it; it is the series
  NESO's own demand forecasts are made for. `net_imports_mw` is the hour's mean of the summed
  interconnector flows (import positive). NESO's files carry no fuel mix: every fuel column is
  null and `fuel_mix_coverage` 0. Our intensity (`harmonize/carbon.py` factors) then comes from
  the Carbon Intensity API's generation mix where it is stored (live; `intensity_from_generation_
  mix`: shares of generation, imports not counted), else it is null, never invented.
- intensity is a rate (gCO2/kWh): the hour's value is the mean of the half-hours' intensities,
  unweighted (the API publishes no energy per half-hour; weighting by ND would move an hour by
  well under 1 %). `published_gco2_per_kwh` is the API's `actual`, `published_forecast_...` its
  stored forecast. An `actual` of 0 is a fault (no GB half-hour is carbon-free: 5 such in 2023,
  beside forecasts of 89-185) and is dropped before the mean, counted in `zero_actuals`.

A missing half-hour is not filled: the hour's coverage says how many of its two readings were
present (0, 0.5 or 1), and an hour with none stays null. On the clock-change days the local day
has 23 or 25 hours (46 or 50 half-hours), all in UTC, so nothing is repeated or skipped.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from energy_assets.harmonize.caiso import operator_issue_time
from energy_assets.harmonize.grid import assemble_grid_hourly, hour_grid, hourly_means

HALF_HOURS_PER_HOUR = 2
PUBLISHED_COLUMNS = (
    "published_gco2_per_kwh",
    "published_forecast_gco2_per_kwh",
    "published_coverage",
)


def _readings(raw: pl.DataFrame | None, columns: dict[str, str]) -> pl.DataFrame:
    schema = {
        "interval_start_utc": pl.Datetime("us", "UTC"),
        **dict.fromkeys(columns.values(), pl.Float64),
    }
    if raw is None or raw.is_empty():
        return pl.DataFrame(schema=schema)
    return raw.select(
        "interval_start_utc",
        *[pl.col(src).cast(pl.Float64).alias(dst) for src, dst in columns.items()],
    )


def grid_hourly(region: str, day: dt.date, tz: str, demand: pl.DataFrame | None) -> pl.DataFrame:
    """`harmonized/grid_hourly` rows for a GB market day from `raw/neso_demand` rows."""
    readings = _readings(
        demand,
        {"national_demand_mw": "demand_mw", "interconnector_net_import_mw": "net_imports_mw"},
    )
    demand_hourly = hourly_means(
        readings.select("interval_start_utc", "demand_mw"),
        ["demand_mw"],
        HALF_HOURS_PER_HOUR,
        "demand_coverage",
    )
    imports = hourly_means(
        readings.select("interval_start_utc", "net_imports_mw"),
        ["net_imports_mw"],
        HALF_HOURS_PER_HOUR,
        "_imports_coverage",
    ).drop("_imports_coverage")
    fuel = imports.with_columns(fuel_mix_coverage=pl.lit(0.0))
    return assemble_grid_hourly(region, day, tz, demand_hourly, fuel)


def published_intensity_hourly(
    region: str, day: dt.date, tz: str, national: pl.DataFrame | None
) -> tuple[pl.DataFrame, int]:
    """Every hour of the market day with the API's published intensity (mean of the hour's
    half-hours), its stored forecast and `published_coverage`; and the count of zero actuals
    dropped. `national`: `raw/uk_carbon_intensity_national` rows (None: none published)."""
    readings = _readings(
        national,
        {
            "actual_gco2_per_kwh": "published_gco2_per_kwh",
            "forecast_gco2_per_kwh": "published_forecast_gco2_per_kwh",
        },
    )
    zeros = int((readings["published_gco2_per_kwh"] == 0).sum())
    readings = readings.with_columns(
        pl.when(pl.col("published_gco2_per_kwh") > 0).then(pl.col("published_gco2_per_kwh"))
    )
    actual = hourly_means(
        readings.select("interval_start_utc", "published_gco2_per_kwh"),
        ["published_gco2_per_kwh"],
        HALF_HOURS_PER_HOUR,
        "published_coverage",
    )
    forecast = hourly_means(
        readings.select("interval_start_utc", "published_forecast_gco2_per_kwh"),
        ["published_forecast_gco2_per_kwh"],
        HALF_HOURS_PER_HOUR,
        "_forecast_coverage",
    ).drop("_forecast_coverage")
    frame = (
        hour_grid(region, day, tz)
        .join(actual, on="interval_start_utc", how="left")
        .join(forecast, on="interval_start_utc", how="left")
        .with_columns(pl.col("published_coverage").fill_null(0.0))
    )
    return frame.select("interval_start_utc", *PUBLISHED_COLUMNS).sort("interval_start_utc"), zeros


def no_operator_forecast(region: str, day: dt.date, tz: str) -> pl.DataFrame:
    """`harmonized/operator_load_forecast` rows of a region-day no operator forecast serves
    (GB: NESO's history files carry none): every hour with `forecast_demand_mw` null and
    `provider` "none", so the load slice reads "no operator forecast" and never waits for a
    feed that does not exist. `issued_at_utc` is the time one would have been issued (D-1 10:00
    local, as for the US operators); nothing was."""
    return hour_grid(region, day, tz).select(
        "region",
        "market_date",
        "interval_start_utc",
        forecast_demand_mw=pl.lit(None, dtype=pl.Float64),
        issued_at_utc=pl.lit(operator_issue_time(day, tz), dtype=pl.Datetime("us", "UTC")),
        provider=pl.lit("none"),
    )


# the Carbon Intensity API's fuels -> harmonized fuel columns; imports are not generation and
# are left out of ours (production-based, as on EIA-930 days)
MIX_FUELS = {
    "biomass_pct": "biomass_mw",
    "coal_pct": "coal_mw",
    "gas_pct": "natural_gas_mw",
    "nuclear_pct": "nuclear_mw",
    "other_pct": "other_mw",
    "hydro_pct": "hydro_mw",
    "solar_pct": "solar_mw",
    "wind_pct": "wind_mw",
}


def intensity_from_generation_mix(
    region: str, day: dt.date, tz: str, mix: pl.DataFrame | None
) -> pl.DataFrame:
    """OUR intensity of GB generation from the Carbon Intensity API's generation mix (percent by
    fuel, `raw/uk_carbon_intensity_generation_mix`): the factors of `harmonize/carbon.py`
    (lifecycle and direct) weighted by the shares of generation, imports not counted; each hour
    the mean of its half-hours' intensities. Columns of `carbon_intensity_from_mix`;
    `supply_mw` is null (the API gives shares, not MW), `imports_share` the hour's mean import
    share of the mix, `coverage` the share of the hour's half-hours with a mix."""
    from energy_assets.harmonize.carbon import carbon_intensity_from_mix

    hours = hour_grid(region, day, tz)
    empty = mix is None or mix.is_empty()
    if not empty:
        present = pl.any_horizontal([pl.col(c).is_not_null() for c in MIX_FUELS])
        half_hours = mix.select(
            "interval_start_utc",
            *[pl.col(src).alias(dst) for src, dst in MIX_FUELS.items()],
            pl.when(present).then(1.0).otherwise(0.0).alias("fuel_mix_coverage"),
            (pl.col("imports_pct") / 100).alias("_imports"),
        ).with_columns(region=pl.lit(region), market_date=pl.lit(day, dtype=pl.Date))
        per_half_hour = carbon_intensity_from_mix(half_hours, None).with_columns(
            half_hours["_imports"]
        )
        hourly = (
            per_half_hour.with_columns(hour=pl.col("interval_start_utc").dt.truncate("1h"))
            .group_by("hour")
            .agg(
                pl.col("carbon_gco2_per_kwh").mean(),
                pl.col("carbon_direct_gco2_per_kwh").mean(),
                pl.col("_imports").mean().alias("imports_share"),
                (pl.col("carbon_gco2_per_kwh").is_not_null().sum() / HALF_HOURS_PER_HOUR)
                .clip(0.0, 1.0)
                .alias("coverage"),
            )
            .rename({"hour": "interval_start_utc"})
        )
        hours = hours.join(hourly, on="interval_start_utc", how="left")
    else:
        hours = hours.with_columns(
            carbon_gco2_per_kwh=pl.lit(None, dtype=pl.Float64),
            carbon_direct_gco2_per_kwh=pl.lit(None, dtype=pl.Float64),
            imports_share=pl.lit(None, dtype=pl.Float64),
            coverage=pl.lit(0.0),
        )
    return hours.select(
        "region",
        "market_date",
        "interval_start_utc",
        "carbon_gco2_per_kwh",
        "carbon_direct_gco2_per_kwh",
        supply_mw=pl.lit(None, dtype=pl.Float64),
        imports_share="imports_share",
        coverage=pl.col("coverage").fill_null(0.0),
    ).sort("interval_start_utc")
