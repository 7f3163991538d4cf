"""Hourly carbon intensity of electricity from the generation mix.

Method: generation-weighted mean of lifecycle emission factors over every source that supplies
the region in the hour, in gCO2eq per kWh:

    carbon_gco2_per_kwh = sum_f max(gen_f, 0) * EF_f / sum_f max(gen_f, 0)

Lifecycle factors (median values, IPCC AR5 WG3 Annex III, 2014, table A.III.2), gCO2eq/kWh:
coal 820, natural gas (combined cycle) 490, biomass (dedicated) 230, solar PV (utility) 48,
geothermal 38, hydro 24, nuclear 12, wind (onshore) 11. Oil is not in that table: 650, the value
commonly used for oil-fired plants (as Electricity Maps does). `other` (unidentified) is 700.

Batteries are excluded: discharge re-delivers energy already counted when it was generated, and
charging is load, not supply. Negative readings (solar at night, charging) count as zero supply.

Imports: counted as a supply source at the emission factor of unspecified power that California
law assigns to imports of unknown origin (CARB Mandatory Reporting Regulation, 0.428 tCO2/MWh =
428 g/kWh). It is a direct (combustion) factor, used here because the origin of imported power is
not in the feed; net exports (negative imports) count as zero. Pass `imports_gco2_per_kwh=None` to
measure in-region generation only.

Direct intensity (`carbon_direct_gco2_per_kwh`), beside it: combustion-only factors (coal 760,
natural gas 370, oil 406, other 575 gCO2/kWh; every other source 0), the EIA-930 carbon data
set's and its papers' (CarbonCast, DACF), over in-region generation (imports not counted,
batteries excluded). It is the quantity the published day-ahead carbon benchmarks score, and it
reproduces the data set's own values to 0.005 g in every hour of 2019-01..2021-06
(`test_harmonize.py`).
"""

from __future__ import annotations

from types import MappingProxyType

import polars as pl

EMISSION_FACTORS_GCO2_PER_KWH = MappingProxyType(
    {
        "coal_mw": 820.0,
        "natural_gas_mw": 490.0,
        "oil_mw": 650.0,
        "biomass_mw": 230.0,
        "solar_mw": 48.0,
        "geothermal_mw": 38.0,
        "hydro_mw": 24.0,
        "nuclear_mw": 12.0,
        "wind_mw": 11.0,
        "other_mw": 700.0,
    }
)
# Direct (combustion-only) factors of the EIA-930 carbon data set and its papers (CarbonCast,
# DACF: Maji et al. 2022), gCO2eq/kWh; every other source counts 0. `carbon_direct_gco2_per_kwh`
# uses them production-based (imports not counted, as the papers do) so that it is the quantity
# their published day-ahead MAPE is about.
DIRECT_EMISSION_FACTORS_GCO2_PER_KWH = MappingProxyType(
    {"coal_mw": 760.0, "natural_gas_mw": 370.0, "oil_mw": 406.0, "other_mw": 575.0}
)
# the generation the direct intensity is averaged over: every fuel above (not imports)
DIRECT_SUPPLY_COLUMNS = tuple(EMISSION_FACTORS_GCO2_PER_KWH)
UNSPECIFIED_IMPORTS_GCO2_PER_KWH = 428.0
METHOD = "lifecycle IPCC AR5 medians; imports at CARB unspecified-power factor; batteries excluded"


def carbon_intensity_from_mix(
    grid_hourly: pl.DataFrame,
    imports_gco2_per_kwh: float | None = UNSPECIFIED_IMPORTS_GCO2_PER_KWH,
) -> pl.DataFrame:
    """`region, market_date, interval_start_utc, carbon_gco2_per_kwh,
    carbon_direct_gco2_per_kwh, supply_mw, imports_share, coverage`.

    `carbon_direct_gco2_per_kwh` is the direct intensity of in-region generation (the direct
    factors above over the generation sources, imports and batteries not counted). Hours with
    no fuel-mix readings get null intensities (and `supply_mw` null).
    """
    factors = dict(EMISSION_FACTORS_GCO2_PER_KWH)
    if imports_gco2_per_kwh is not None:
        factors["net_imports_mw"] = imports_gco2_per_kwh
    present = [c for c in factors if c in grid_hourly.columns]

    def supply(c: str) -> pl.Expr:
        return pl.col(c).fill_null(0.0).clip(lower_bound=0.0)

    supply_mw = pl.sum_horizontal([supply(c) for c in present])
    emissions = pl.sum_horizontal([supply(c) * factors[c] for c in present])
    imports = supply("net_imports_mw") if "net_imports_mw" in present else pl.lit(0.0)
    generation = [c for c in DIRECT_SUPPLY_COLUMNS if c in grid_hourly.columns]
    generated_mw = pl.sum_horizontal([supply(c) for c in generation])
    direct = pl.sum_horizontal(
        [supply(c) * DIRECT_EMISSION_FACTORS_GCO2_PER_KWH.get(c, 0.0) for c in generation]
    )
    no_data = (pl.col("fuel_mix_coverage") <= 0) | (supply_mw <= 0)
    return grid_hourly.select(
        "region",
        "market_date",
        "interval_start_utc",
        pl.when(no_data).then(None).otherwise(emissions / supply_mw).alias("carbon_gco2_per_kwh"),
        pl.when(no_data | (generated_mw <= 0))
        .then(None)
        .otherwise(direct / generated_mw)
        .alias("carbon_direct_gco2_per_kwh"),
        pl.when(no_data).then(None).otherwise(supply_mw).alias("supply_mw"),
        pl.when(no_data).then(None).otherwise(imports / supply_mw).alias("imports_share"),
        pl.col("fuel_mix_coverage").alias("coverage"),
    )
