"""Each ISO's own demand and generation by fuel (group `iso`): `harmonized/iso_grid_hourly`,
region x market day, from the raw ISO feeds stored (ISO-NE genfuelmix and hourlysysload, PJM
gen_by_fuel, NYISO rtfuelmix and pal, CAISO's Daily Renewables Watch, BPA's balancing-authority
file; `harmonize/iso_grid.GRID_FEEDS`). The pure code, with the fuel mapping per provider, is in
`energy_assets/harmonize/iso_grid.py`.

Not `harmonized/grid_hourly`: that table holds ONE source per region (EIA-930, or CAISO's
Outlook) and feeds the carbon and load graph; this one sets the ISO's own numbers beside it, in
the same columns, for comparison (`reconciliation/iso_demand_vs_eia930`,
`defs/reconciliation.py`) and for reading the ISO's own mix. Its job is `iso_grid_job`.

Bad input as in `defs/iso.py`: a day whose raw feeds are all missing fails, naming each raw
asset, the URL its request would fetch, its job and the partition; nothing is stored. A day with
some feeds stored and others missing is built from what is stored, and its `completeness` check
(WARN) names the missing feeds with their URLs; it also fails when a fuel label is not in the
provider's mapping (its MW went to `other_mw`).
"""

import dagster as dg

from energy_assets.defs import iso as iso_defs
from energy_assets.defs_support.ranges import RANGE_POLICY, per_region_day
from energy_assets.defs_support.resources import WarehouseResource
from energy_assets.defs_support.validation import PARTITION_EXPR, check_specs, validated_output
from energy_assets.harmonize import iso_grid
from energy_assets.partitions import partition_keys, region_day_partitions
from energy_assets.regions import region
from energy_assets.schemas.iso import IsoGridHourly

GROUP = iso_defs.GROUP
ISO_GRID_KEY = dg.AssetKey(["harmonized", "iso_grid_hourly"])

# one entry per raw feed (BPA's one file is both its fuel mix and its demand)
RAW_GRID_FEEDS = tuple({(s.provider, s.feed): s for s in iso_grid.GRID_FEEDS}.values())
ISO_GRID_REGIONS = iso_defs._regions(RAW_GRID_FEEDS)
ISO_GRID_PARTITIONS = region_day_partitions(
    ISO_GRID_REGIONS, iso_defs._first_date(ISO_GRID_REGIONS, RAW_GRID_FEEDS)
)


@dg.asset(
    key=ISO_GRID_KEY,
    group_name=GROUP,
    partitions_def=ISO_GRID_PARTITIONS,
    deps=iso_defs._deps(ISO_GRID_REGIONS, RAW_GRID_FEEDS),
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(ISO_GRID_KEY, completeness=True),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def iso_grid_hourly(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """The ISO's own demand and generation by fuel, hourly MW in UTC hours (23/24/25 a day), in
    `harmonized/grid_hourly`'s columns, with `provider` and the raw feeds behind demand and fuel
    mix. Sub-hourly readings (NYISO and BPA 5-minute, ISO-NE's re-estimates) are averaged to the
    hour as power, never summed; the fuel mapping per provider is documented in
    `harmonize/iso_grid.py`. Demand is null where the ISO has no demand feed (PJM, CAISO's
    Renewables Watch)."""
    rd = partition_keys(context)
    stored, missing = iso_defs._read(context, warehouse, RAW_GRID_FEEDS, rd)
    frame = iso_grid.iso_grid_hourly(rd.region, rd.market_date, region(rd.region).timezone, stored)
    unmapped = iso_grid.unmapped_fuels(stored)
    yield from validated_output(
        context,
        frame,
        IsoGridHourly,
        {
            "provider": frame["provider"][0],
            "hours_with_demand": int(frame["demand_mw"].is_not_null().sum()),
            "hours_with_fuel_mix": int((frame["fuel_mix_coverage"] > 0).sum()),
        },
    )
    check = iso_defs._completeness(
        rd,
        stored,
        missing,
        {"unmapped_fuels": dg.MetadataValue.json(unmapped)},
        ok=not unmapped,
    )
    if unmapped:  # say why it fails also when every feed is stored
        check = dg.AssetCheckResult(
            check_name=check.check_name,
            passed=False,
            severity=check.severity,
            description=f"{check.description}; fuel labels outside the mapping, counted in"
            f" other_mw: {', '.join(unmapped)}",
            metadata=check.metadata,
        )
    yield check
