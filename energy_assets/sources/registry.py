"""Every provider the graph ingests: one entry per provider module (its `FEEDS`).

Adding a provider: its module under `energy_assets/sources/` (fetch, pure parse, `FEEDS`), one
entry here, the regions it serves in `energy_assets/regions.py`, and its class in the contract
test (`energy_assets_tests/test_source_contracts.py`). `energy_assets/defs/raw.py` makes each
feed a raw asset; nothing else names the provider. A provider partitioned by market instead
of region (day-ahead price files) goes in `MARKET_PROVIDERS` and `defs/prices.py`.
"""

from __future__ import annotations

from types import MappingProxyType

from energy_assets.sources import (
    bpa,
    caiso_oasis,
    caiso_outlook,
    caiso_renewables_watch,
    eia930,
    epftoolbox,
    ercot,
    gfs_regional,
    isone,
    miso,
    neso,
    neso_forecasts,
    nyiso,
    pjm,
    spp,
    uk_carbon_intensity,
)
from energy_assets.sources.feeds import Feed

# The ISOs' own feeds: prices, fuel mix, load and operator forecasts in each ISO's terms. Their
# regions serve them under the feed key "iso" (`energy_assets/regions.py`), which no grid
# harmonizer reads: the tables built from them are `defs/iso.py`'s (`harmonized/lmp_hourly`,
# `harmonized/operator_forecasts`).
ISO_PROVIDERS = MappingProxyType(
    {
        "caiso_oasis": caiso_oasis.FEEDS,
        "caiso_renewables_watch": caiso_renewables_watch.FEEDS,
        "isone": isone.FEEDS,
        "pjm": pjm.FEEDS,
        "ercot": ercot.FEEDS,
        "nyiso": nyiso.FEEDS,
        "spp": spp.FEEDS,
        "miso": miso.FEEDS,
        "bpa": bpa.FEEDS,
        # GB's system operator: its demand forecasts go to harmonized/operator_forecasts too
        "neso_forecasts": neso_forecasts.FEEDS,
    }
)

PROVIDERS = MappingProxyType(
    {
        "caiso_outlook": caiso_outlook.FEEDS,
        "eia930": eia930.FEEDS,
        "gfs_regional": gfs_regional.FEEDS,
        "neso": neso.FEEDS,
        "uk_carbon_intensity": uk_carbon_intensity.FEEDS,
        **ISO_PROVIDERS,
    }
)

FEEDS: tuple[Feed, ...] = tuple(feed for feeds in PROVIDERS.values() for feed in feeds)


# Providers whose feeds are partitioned by market (a price market's file) rather than by grid
# region: `energy_assets/defs/prices.py` makes each such feed its raw asset.
MARKET_PROVIDERS = MappingProxyType({"epftoolbox": epftoolbox.FEEDS})


def feed(provider: str, name: str) -> Feed:
    for candidate in PROVIDERS.get(provider, ()):
        if candidate.name == name:
            return candidate
    raise KeyError(f"no feed {name!r} of provider {provider!r}")
