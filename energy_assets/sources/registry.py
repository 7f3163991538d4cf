"""Every provider the graph ingests: one entry per provider module (its `FEEDS`).

Adding a provider: its module under `energy_assets/sources/` (fetch, pure parse, `FEEDS`), one
entry here, the regions it serves in `energy_assets/regions.py`, and its class in the contract
test (`energy_assets_tests/test_source_contracts.py`). `energy_assets/defs/raw.py` makes each
feed a raw asset; nothing else names the provider.
"""

from __future__ import annotations

from types import MappingProxyType

from energy_assets.sources import caiso_outlook, eia930, gfs_regional
from energy_assets.sources.feeds import Feed

PROVIDERS = MappingProxyType(
    {
        "caiso_outlook": caiso_outlook.FEEDS,
        "eia930": eia930.FEEDS,
        "gfs_regional": gfs_regional.FEEDS,
    }
)

FEEDS: tuple[Feed, ...] = tuple(feed for feeds in PROVIDERS.values() for feed in feeds)


def feed(provider: str, name: str) -> Feed:
    for candidate in PROVIDERS.get(provider, ()):
        if candidate.name == name:
            return candidate
    raise KeyError(f"no feed {name!r} of provider {provider!r}")
