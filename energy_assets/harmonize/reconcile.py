"""Cross-source reconciliation: one quantity as two providers publish it, hour by hour.

`demand_reconciliation` sets a region's system demand from CAISO's Today's Outlook (5-minute
readings, averaged per UTC hour with their coverage) beside EIA-930's hourly demand (MWh in the
hour = mean MW) for the same hour. EIA labels its hours by their END; the raw EIA rows already
carry interval STARTS (`sources/eia930.parse_history_demand` and the API parser shifted them), so
both sides are joined on the UTC hour start as they are.

Every hour of the local market day is a row (23, 24 or 25, `harmonize.grid.hour_grid`). An hour
is compared when both sides have a value: an hour without Outlook readings (coverage 0) or
without an EIA value keeps its one side, with `difference_mw` and `difference_pct` null, and is
not counted in the day's summary. Nothing is filled.

`difference_mw` = EIA minus Outlook; `difference_pct` = that difference in % of the Outlook's
value (the operator's own meter data is the reference). `reconciliation_summary` rolls a day up:
hours compared, MAPE % (mean |difference_pct|), MAE MW, the largest |difference_pct| and the bias
% (mean signed difference_pct: positive where EIA reads higher).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import polars as pl

from energy_assets.harmonize import caiso, eia930
from energy_assets.harmonize.carbon import carbon_intensity_from_mix
from energy_assets.harmonize.grid import hour_grid, hourly_means

OUTLOOK_READINGS_PER_HOUR = 12  # 5-minute data

RECONCILIATION_COLUMNS = (
    "region",
    "market_date",
    "interval_start_utc",
    "outlook_demand_mw",
    "outlook_coverage",
    "eia_demand_mw",
    "difference_mw",
    "difference_pct",
)


def demand_reconciliation(
    region: str,
    market_day: dt.date,
    tz: str,
    outlook_5min: pl.DataFrame,
    eia_hourly: pl.DataFrame,
) -> pl.DataFrame:
    """Every hour of the local market day: the Outlook's hourly mean demand (and the share of its
    12 readings present), EIA's demand for the same UTC hour start, their difference in MW and
    in % of the Outlook. Columns `RECONCILIATION_COLUMNS`, sorted by hour.

    `outlook_5min`: `interval_start_utc`, `demand_mw` (raw/caiso_outlook_demand rows).
    `eia_hourly`: `interval_start_utc` (hour START), `demand_mw` (raw/eia930_region_data rows).
    """
    outlook = hourly_means(
        outlook_5min.select("interval_start_utc", "demand_mw"),
        ["demand_mw"],
        OUTLOOK_READINGS_PER_HOUR,
        "outlook_coverage",
    ).rename({"demand_mw": "outlook_demand_mw"})
    frame = _beside_eia(
        region, market_day, tz, outlook, "outlook_demand_mw", "outlook_coverage", eia_hourly
    )
    return frame.select(RECONCILIATION_COLUMNS).sort("interval_start_utc")


def _beside_eia(
    region: str,
    market_day: dt.date,
    tz: str,
    reference: pl.DataFrame,
    reference_mw: str,
    coverage: str,
    eia_hourly: pl.DataFrame,
) -> pl.DataFrame:
    """Every hour of the market day: the `reference` frame's hourly demand (`reference_mw`, its
    `coverage` 0 where the hour is missing) beside EIA-930's for the same UTC hour start
    (`eia_demand_mw`), EIA minus the reference in MW and in % of the reference (an hour of 0 MW
    on the reference side, never seen, has no percentage)."""
    eia = eia_hourly.select(
        pl.col("interval_start_utc").cast(pl.Datetime("us", "UTC")),
        pl.col("demand_mw").cast(pl.Float64).alias("eia_demand_mw"),
    )
    difference = pl.col("eia_demand_mw") - pl.col(reference_mw)
    return (
        hour_grid(region, market_day, tz)
        .join(reference, on="interval_start_utc", how="left")
        .join(eia, on="interval_start_utc", how="left")
        .with_columns(
            pl.col(coverage).fill_null(0.0),
            difference_mw=difference,
            difference_pct=pl.when(pl.col(reference_mw) > 0).then(
                100.0 * difference / pl.col(reference_mw)
            ),
        )
    )


@dataclass(frozen=True)
class ReconciliationSummary:
    """A day's agreement between the two sources (None where no hour was compared)."""

    hours: int  # hours of the market day
    hours_compared: int  # hours with both sides present
    mape_pct: float | None  # mean |EIA - Outlook| / Outlook, %
    mae_mw: float | None  # mean |EIA - Outlook|, MW
    max_abs_pct: float | None  # largest |EIA - Outlook| / Outlook of the day, %
    bias_pct: float | None  # mean (EIA - Outlook) / Outlook, % (positive: EIA higher)

    def as_dict(self) -> dict[str, int | float | None]:
        return asdict(self)


def reconciliation_summary(frame: pl.DataFrame) -> ReconciliationSummary:
    """The day's summary of a `demand_reconciliation` frame: only hours with both sides count."""
    compared = frame.filter(pl.col("difference_pct").is_not_null())
    if compared.is_empty():
        return ReconciliationSummary(frame.height, 0, None, None, None, None)
    pct = compared["difference_pct"]
    return ReconciliationSummary(
        hours=frame.height,
        hours_compared=compared.height,
        mape_pct=float(pct.abs().mean()),  # type: ignore[arg-type]
        mae_mw=float(compared["difference_mw"].abs().mean()),  # type: ignore[arg-type]
        max_abs_pct=float(pct.abs().max()),  # type: ignore[arg-type]
        bias_pct=float(pct.mean()),  # type: ignore[arg-type]
    )


CARBON_RECONCILIATION_COLUMNS = (
    "region",
    "market_date",
    "interval_start_utc",
    "outlook_carbon_direct_gco2_per_kwh",
    "eia_carbon_direct_gco2_per_kwh",
    "outlook_carbon_gco2_per_kwh",
    "eia_carbon_gco2_per_kwh",
    "outlook_coverage",
    "eia_coverage",
    "difference_direct_gco2_per_kwh",
    "difference_direct_pct",
)


def carbon_reconciliation(
    region: str,
    market_day: dt.date,
    tz: str,
    outlook_fuel_5min: pl.DataFrame,
    eia_fuel: pl.DataFrame,
) -> pl.DataFrame:
    """Every hour of the local market day: the carbon intensity of in-region generation from
    CAISO's Today's Outlook fuel mix (hourly means of the 5-minute readings) beside the same
    intensity from EIA-930's hourly generation by fuel (CISO), both by the graph's own
    factor tables (`harmonize/carbon.py`): direct and lifecycle, production-based (imports not
    counted on either side, since EIA's fuel-type data has no imports), with each side's
    coverage. `difference_*` is EIA minus Outlook of the DIRECT intensity (the quantity the
    carbon forecasts are scored on), in gCO2eq/kWh and in % of the Outlook's. An hour one side
    lacks keeps the other and is not compared. Columns `CARBON_RECONCILIATION_COLUMNS`.

    `outlook_fuel_5min`: raw/caiso_outlook_fuel_mix rows; `eia_fuel`: raw/eia930_fuel_type rows.
    """
    empty_demand = pl.DataFrame(
        schema={"interval_start_utc": pl.Datetime("us", "UTC"), "demand_mw": pl.Float64}
    )
    sides = {
        "outlook": caiso.grid_hourly(region, market_day, tz, empty_demand, outlook_fuel_5min),
        "eia": eia930.grid_hourly(region, market_day, tz, None, eia_fuel),
    }
    frame = hour_grid(region, market_day, tz)
    for side, grid in sides.items():
        carbon = carbon_intensity_from_mix(grid, imports_gco2_per_kwh=None).select(
            "interval_start_utc",
            pl.col("carbon_direct_gco2_per_kwh").alias(f"{side}_carbon_direct_gco2_per_kwh"),
            pl.col("carbon_gco2_per_kwh").alias(f"{side}_carbon_gco2_per_kwh"),
            pl.col("coverage").fill_null(0.0).alias(f"{side}_coverage"),
        )
        frame = frame.join(carbon, on="interval_start_utc", how="left")
    outlook = pl.col("outlook_carbon_direct_gco2_per_kwh")
    difference = pl.col("eia_carbon_direct_gco2_per_kwh") - outlook
    return (
        frame.with_columns(
            pl.col("outlook_coverage").fill_null(0.0),
            pl.col("eia_coverage").fill_null(0.0),
            difference_direct_gco2_per_kwh=difference,
            difference_direct_pct=pl.when(outlook > 0).then(100.0 * difference / outlook),
        )
        .select(CARBON_RECONCILIATION_COLUMNS)
        .sort("interval_start_utc")
    )


ISO_RECONCILIATION_COLUMNS = (
    "region",
    "market_date",
    "interval_start_utc",
    "provider",
    "iso_demand_mw",
    "iso_demand_coverage",
    "eia_demand_mw",
    "difference_mw",
    "difference_pct",
)


def iso_demand_reconciliation(
    region: str,
    market_day: dt.date,
    tz: str,
    iso_hourly: pl.DataFrame,
    eia_hourly: pl.DataFrame,
) -> pl.DataFrame:
    """Every hour of the local market day: the ISO's own hourly demand (a
    `harmonize/iso_grid.iso_grid_hourly` frame: `interval_start_utc`, `demand_mw`,
    `demand_coverage`, `provider`) beside EIA-930's demand for the same UTC hour start
    (raw/eia930_region_data rows), EIA minus ISO in MW and in % of the ISO's value (the
    operator's own meter data is the reference, as for the Outlook). An hour one side lacks keeps
    the other and is not compared. Columns `ISO_RECONCILIATION_COLUMNS`, sorted by hour; the
    day's summary is `reconciliation_summary`'s."""
    provider = iso_hourly["provider"].drop_nulls().first() if iso_hourly.height else None
    iso = iso_hourly.select(
        pl.col("interval_start_utc").cast(pl.Datetime("us", "UTC")),
        pl.col("demand_mw").cast(pl.Float64).alias("iso_demand_mw"),
        pl.col("demand_coverage").cast(pl.Float64).alias("iso_demand_coverage"),
    )
    frame = _beside_eia(
        region, market_day, tz, iso, "iso_demand_mw", "iso_demand_coverage", eia_hourly
    ).with_columns(provider=pl.lit(provider, dtype=pl.String))
    return frame.select(ISO_RECONCILIATION_COLUMNS).sort("interval_start_utc")
