"""Which provider's raw feeds build a region's harmonized tables on a given market day.

A region lists its providers per feed in order of preference (`energy_assets/regions.py`); the
first whose feeds publish the day (the feed's `first_date`) builds it. Each provider that can
build the grid tables has a `GridSource` here: the raw feeds it reads (`raw/<provider>_<feed>`),
which of them a day cannot do without, and its pure harmonize functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import polars as pl

from energy_assets import settings
from energy_assets.harmonize import caiso, eia930, gb
from energy_assets.harmonize.carbon import UNSPECIFIED_IMPORTS_GCO2_PER_KWH
from energy_assets.regions import Region
from energy_assets.sources.registry import feed as registered_feed

Inputs = Mapping[str, pl.DataFrame | None]


@dataclass(frozen=True)
class GridSource:
    provider: str
    feeds: tuple[str, ...]  # raw feeds read: raw/<provider>_<feed>
    required: tuple[tuple[str, ...], ...]  # a day needs at least one feed of each group
    grid_hourly: Callable[[Region, dt.date, Inputs], pl.DataFrame]
    operator_feed: str
    # -> (forecast rows, hours dropped as implausible)
    operator_load_forecast: Callable[[Region, dt.date, pl.DataFrame], tuple[pl.DataFrame, int]]
    # the factor for net imports in carbon intensity (None: production-based, imports ignored)
    imports_gco2_per_kwh: float | None
    # whether its grid carries a fuel mix (NESO's does not: GB's intensity is never ours from it)
    fuel_mix: bool = True

    @property
    def first_date(self) -> dt.date:
        return min(
            dt.date.fromisoformat(registered_feed(self.provider, f).first_date) for f in self.feeds
        )


def _caiso_grid(region: Region, day: dt.date, inputs: Inputs) -> pl.DataFrame:
    return caiso.grid_hourly(
        region.code, day, region.timezone, inputs["demand"], inputs["fuel_mix"]
    )


def _caiso_operator(region: Region, day: dt.date, demand: pl.DataFrame):
    return caiso.operator_load_forecast(region.code, day, region.timezone, demand), 0


def _eia_grid(region: Region, day: dt.date, inputs: Inputs) -> pl.DataFrame:
    return eia930.grid_hourly(
        region.code, day, region.timezone, inputs.get("region_data"), inputs.get("fuel_type")
    )


def _eia_operator(region: Region, day: dt.date, region_data: pl.DataFrame):
    return eia930.operator_load_forecast(
        region.code, day, region.timezone, region_data, region.demand_mw_range
    )


def _neso_grid(region: Region, day: dt.date, inputs: Inputs) -> pl.DataFrame:
    return gb.grid_hourly(region.code, day, region.timezone, inputs.get("demand"))


def _no_operator_forecast(region: Region, day: dt.date, demand: pl.DataFrame):
    raise ValueError("NESO's historic demand carries no operator day-ahead forecast")


GRID_SOURCES: Mapping[str, GridSource] = MappingProxyType(
    {
        "caiso_outlook": GridSource(
            provider="caiso_outlook",
            feeds=("demand", "fuel_mix"),
            required=(("demand",), ("fuel_mix",)),
            grid_hourly=_caiso_grid,
            operator_feed="demand",
            operator_load_forecast=_caiso_operator,
            imports_gco2_per_kwh=UNSPECIFIED_IMPORTS_GCO2_PER_KWH,
        ),
        "eia930": GridSource(
            provider="eia930",
            feeds=("region_data", "fuel_type"),
            # demand, or the fuel mix alone (the carbon history outlasts the demand history)
            required=(("region_data", "fuel_type"),),
            grid_hourly=_eia_grid,
            operator_feed="region_data",
            operator_load_forecast=_eia_operator,
            imports_gco2_per_kwh=None,
        ),
        # GB: demand and interconnector flows, no fuel mix (`harmonize/gb.py`); GB lists no
        # operator-forecast provider, so `operator_load_forecast` is never asked of it
        "neso": GridSource(
            provider="neso",
            feeds=("demand",),
            required=(("demand",),),
            grid_hourly=_neso_grid,
            operator_feed="demand",
            operator_load_forecast=_no_operator_forecast,
            imports_gco2_per_kwh=None,
            fuel_mix=False,
        ),
    }
)

# Providers that publish a region's carbon intensity themselves (the registry's
# "carbon_intensity" feed), and the raw feed that holds it: set beside ours in
# `harmonized/carbon_intensity` (`published_gco2_per_kwh`).
PUBLISHED_INTENSITY_FEEDS: Mapping[str, str] = MappingProxyType({"uk_carbon_intensity": "national"})
# ... and the raw feed of its generation mix (percent by fuel), from which ours is computed on a
# day whose grid has no fuel mix (GB: NESO publishes none); live only
PUBLISHED_MIX_FEEDS: Mapping[str, str] = MappingProxyType({"uk_carbon_intensity": "generation_mix"})


def published_intensity_provider(region: Region, day: dt.date) -> str | None:
    """The region's first provider of its own published intensity that publishes `day`."""
    for provider in region.providers_of("carbon_intensity"):
        feed = PUBLISHED_INTENSITY_FEEDS.get(provider)
        if feed is not None and registered_feed(provider, feed).first_date <= day.isoformat():
            return provider
    return None


def published_without_fuel_mix(region: Region, day: dt.date) -> str | None:
    """The provider of the region's own published intensity for `day` when the region's grid
    provider for the day carries no fuel mix (GB from 2023: the Carbon Intensity API beside
    NESO's demand), else None. On such a day our intensity cannot come from the grid, so
    `harmonized/carbon_intensity` is built from the published intensity alone where the day's
    grid is not stored (offline: NESO's demand files end in 2020)."""
    published = published_intensity_provider(region, day)
    source = grid_source(region, "grid", day)
    if published is None or (source is not None and source.fuel_mix):
        return None
    return published


def grid_source(region: Region, feed: str, day: dt.date) -> GridSource | None:
    """The provider that builds `feed` ("grid" or "operator_load_forecast") for the day: the
    region's first, in the registry's order or the one `ENERGY_ASSETS_GRID_PROVIDERS` puts first
    for it (`settings.grid_provider_preference`, e.g. `CAISO=eia930` to build CAISO's tables
    from EIA-930 on days CAISO's own feed also serves)."""
    preferred = settings.grid_provider_preference().get(region.code)
    providers = region.providers_of(feed)
    if preferred in providers:
        providers = (preferred, *[p for p in providers if p != preferred])
    for provider in providers:
        source = GRID_SOURCES.get(provider)
        if source is not None and day >= source.first_date:
            return source
    return None


WEATHER_FEED = "weather_forecast"  # the feed every weather provider declares


def weather_provider(region: Region, day: dt.date) -> str | None:
    """The region's first weather provider (registry order) that publishes `day`, or None."""
    for provider in region.providers_of("weather"):
        if registered_feed(provider, WEATHER_FEED).first_date <= day.isoformat():
            return provider
    return None
