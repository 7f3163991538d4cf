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
    nyiso,
    pjm,
    spp,
    uk_carbon_intensity,
)
from energy_assets.sources.feeds import Feed

PROVIDERS = MappingProxyType(
    {
        "caiso_outlook": caiso_outlook.FEEDS,
        "eia930": eia930.FEEDS,
        "gfs_regional": gfs_regional.FEEDS,
        "neso": neso.FEEDS,
        "uk_carbon_intensity": uk_carbon_intensity.FEEDS,
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


# Providers whose feeds are built and parsed (their contract test runs on every recording of
# them) but are not raw assets yet: no region in `energy_assets/regions.py` serves them, and
# `defs/raw.py` needs at least one region per feed (a feed in PROVIDERS that no region serves
# fails to load the definitions), as does a publication time in `automation.PUBLICATION`. A
# provider moves to PROVIDERS once both are set.
PARSED_ONLY = MappingProxyType(
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
    }
)
