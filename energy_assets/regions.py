"""The region registry: every grid region the project knows, with what each feed needs.

`timezone` is the clock of the region's market (operating) day. Most ISOs use local prevailing
time; MISO settles on Eastern Standard Time all year (a fixed offset, `Etc/GMT+5`).
`providers` maps a feed to the providers that serve it for this region, in order of preference
(a provider is a module under `energy_assets/sources/`, registered in `sources/registry.py`): for
a market day, the harmonized tables use the first provider that publishes that day (its feeds'
`first_date`), e.g. CAISO's grid comes from CAISO's own Today's Outlook from 2019 on and from
EIA-930 before. A region with no provider for a feed gets no partitions for that feed's assets.
`first_date` is the first market day of data for the region (the earliest of its providers).
`demand_mw_range` is the plausible hourly system demand, used by the physical-bounds checks.
`fuels` are the generation columns its providers publish (harmonized names).
`carbon_target` is the `harmonized/carbon_intensity` column the region's carbon slice learns,
forecasts and is scored on (`models/carbon_lightgbm`, `forecasts/carbon_day_ahead`,
`evaluation/carbon_forecast_score`): our lifecycle intensity from the fuel mix
(`carbon_gco2_per_kwh`, every US region), or, for a region whose grid feed carries no fuel mix
but whose operator publishes an intensity of its own, that published intensity
(`published_gco2_per_kwh`, GB: the Carbon Intensity API's, its method: direct, imports counted,
never our lifecycle or direct number; see `features/carbon.py` and `evaluation/carbon_score.py`
for the columns and forecaster names that keep it apart).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# `Region.carbon_target`: ours (the US regions) or the operator's published intensity (GB)
OUR_CARBON_TARGET = "carbon_gco2_per_kwh"
PUBLISHED_CARBON_TARGET = "published_gco2_per_kwh"


@dataclass(frozen=True)
class WeatherPoint:
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    timezone: str
    holiday_country: str
    holiday_subdivision: str | None
    eia_ba_code: str | None
    demand_mw_range: tuple[float, float]
    weather_points: tuple[WeatherPoint, ...]
    providers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    first_date: str = "2015-07-01"
    fuels: tuple[str, ...] = ()
    carbon_target: str = OUR_CARBON_TARGET

    def providers_of(self, feed: str) -> tuple[str, ...]:
        return self.providers.get(feed, ())

    def eia_respondent(self) -> str:
        """The EIA-930 respondent code (`eia_ba_code`); KeyError for a region without one."""
        if self.eia_ba_code is None:
            raise KeyError(f"region {self.code} has no EIA balancing-authority code")
        return self.eia_ba_code


def _points(*points: tuple[str, float, float]) -> tuple[WeatherPoint, ...]:
    return tuple(WeatherPoint(name, lat, lon) for name, lat, lon in points)


# Feeds: "grid" (demand and generation by fuel), "operator_load_forecast", "price",
# "carbon_intensity" (published by the provider), "weather", "iso" (the ISO's own feeds: LMPs,
# fuel mix, load and its forecasts in the ISO's terms, `registry.ISO_PROVIDERS`; read by
# `defs/iso.py`, never by the grid harmonizers).
_REGIONS = (
    Region(
        code="CAISO",
        name="California ISO",
        timezone="America/Los_Angeles",
        holiday_country="US",
        holiday_subdivision="CA",
        eia_ba_code="CISO",
        demand_mw_range=(10_000, 60_000),
        weather_points=_points(
            ("Los Angeles", 34.05, -118.24),
            ("San Francisco", 37.77, -122.42),
            ("Sacramento", 38.58, -121.49),
            ("Fresno", 36.74, -119.79),
            ("San Diego", 32.72, -117.16),
        ),
        providers=MappingProxyType(
            {
                "grid": ("caiso_outlook", "eia930"),
                "operator_load_forecast": ("caiso_outlook", "eia930"),
                "weather": ("gfs_regional",),
                "iso": ("caiso_oasis", "caiso_renewables_watch"),
            }
        ),
    ),
    Region(
        code="ERCOT",
        name="Electric Reliability Council of Texas",
        timezone="America/Chicago",
        holiday_country="US",
        holiday_subdivision="TX",
        eia_ba_code="ERCO",
        demand_mw_range=(20_000, 95_000),
        weather_points=_points(
            ("Houston", 29.76, -95.37),
            ("Dallas", 32.78, -96.80),
            ("Austin", 30.27, -97.74),
            ("San Antonio", 29.42, -98.49),
        ),
        providers=MappingProxyType(
            {
                "grid": ("eia930",),
                "operator_load_forecast": ("eia930",),
                "weather": ("gfs_regional",),
                "iso": ("ercot",),
            }
        ),
    ),
    Region(
        code="PJM",
        name="PJM Interconnection",
        timezone="America/New_York",
        holiday_country="US",
        holiday_subdivision=None,
        eia_ba_code="PJM",
        demand_mw_range=(50_000, 170_000),
        weather_points=_points(
            ("Philadelphia", 39.95, -75.17),
            ("Chicago", 41.88, -87.63),
            ("Washington", 38.91, -77.04),
            ("Columbus", 39.96, -83.00),
        ),
        providers=MappingProxyType(
            {
                "grid": ("eia930",),
                "operator_load_forecast": ("eia930",),
                "weather": ("gfs_regional",),
                "iso": ("pjm",),
            }
        ),
    ),
    Region(
        code="NYISO",
        name="New York ISO",
        timezone="America/New_York",
        holiday_country="US",
        holiday_subdivision="NY",
        eia_ba_code="NYIS",
        demand_mw_range=(10_000, 35_000),
        weather_points=_points(
            ("New York", 40.71, -74.01), ("Albany", 42.65, -73.76), ("Buffalo", 42.89, -78.88)
        ),
        providers=MappingProxyType(
            {
                "grid": ("eia930",),
                "operator_load_forecast": ("eia930",),
                "iso": ("nyiso",),
            }
        ),
    ),
    Region(
        code="ISONE",
        name="ISO New England",
        timezone="America/New_York",
        holiday_country="US",
        holiday_subdivision="MA",
        eia_ba_code="ISNE",
        demand_mw_range=(8_000, 30_000),
        weather_points=_points(
            ("Boston", 42.36, -71.06), ("Hartford", 41.76, -72.69), ("Portland ME", 43.66, -70.26)
        ),
        providers=MappingProxyType(
            {
                "grid": ("eia930",),
                "operator_load_forecast": ("eia930",),
                "weather": ("gfs_regional",),
                "iso": ("isone",),
            }
        ),
    ),
    Region(
        code="MISO",
        name="Midcontinent ISO",
        timezone="Etc/GMT+5",  # Eastern Standard Time all year
        holiday_country="US",
        holiday_subdivision=None,
        eia_ba_code="MISO",
        demand_mw_range=(50_000, 135_000),
        weather_points=_points(
            ("Minneapolis", 44.98, -93.27),
            ("Indianapolis", 39.77, -86.16),
            ("Detroit", 42.33, -83.05),
            ("New Orleans", 29.95, -90.07),
        ),
        providers=MappingProxyType(
            {
                "grid": ("eia930",),
                "operator_load_forecast": ("eia930",),
                "weather": ("gfs_regional",),
                "iso": ("miso",),
            }
        ),
    ),
    Region(
        code="SPP",
        name="Southwest Power Pool",
        timezone="America/Chicago",
        holiday_country="US",
        holiday_subdivision=None,
        eia_ba_code="SWPP",
        demand_mw_range=(20_000, 60_000),
        weather_points=_points(
            ("Oklahoma City", 35.47, -97.52), ("Wichita", 37.69, -97.34), ("Omaha", 41.26, -95.93)
        ),
        providers=MappingProxyType(
            {
                "grid": ("eia930",),
                "operator_load_forecast": ("eia930",),
                "iso": ("spp",),
            }
        ),
    ),
    Region(
        code="BPA",
        name="Bonneville Power Administration",
        timezone="America/Los_Angeles",
        holiday_country="US",
        holiday_subdivision="OR",
        eia_ba_code="BPAT",
        demand_mw_range=(3_000, 13_000),
        weather_points=_points(("Portland", 45.52, -122.68), ("Seattle", 47.61, -122.33)),
        providers=MappingProxyType(
            {
                "grid": ("eia930",),
                "operator_load_forecast": ("eia930",),
                "iso": ("bpa",),
            }
        ),
    ),
    Region(
        code="GB",
        name="Great Britain (national)",
        timezone="Europe/London",
        holiday_country="GB",
        holiday_subdivision="ENG",
        eia_ba_code=None,
        demand_mw_range=(12_000, 60_000),
        weather_points=_points(
            ("London", 51.51, -0.13), ("Birmingham", 52.49, -1.89), ("Glasgow", 55.86, -4.25)
        ),
        # NESO publishes no day-ahead forecast in its history files: no operator forecast for
        # the features; its live demand forecasts (every vintage) are served under "iso", for
        # `harmonized/operator_forecasts` (`sources/neso_forecasts.py`)
        providers=MappingProxyType(
            {
                "grid": ("neso",),
                "carbon_intensity": ("uk_carbon_intensity",),
                "iso": ("neso_forecasts",),
            }
        ),
        first_date="2009-01-01",
        # no fuel mix in NESO's files: GB's carbon slice learns the Carbon Intensity API's own
        # published intensity (its method, not ours), in columns of its own
        carbon_target=PUBLISHED_CARBON_TARGET,
    ),
    # GB nations as the GB Carbon Intensity API publishes them (regionid 15, 16, 17). No feed
    # serves them as regions of their own: their rows are in GB's raw/uk_carbon_intensity_regional.
    Region(
        code="GB-ENG",
        name="England",
        timezone="Europe/London",
        holiday_country="GB",
        holiday_subdivision="ENG",
        eia_ba_code=None,
        demand_mw_range=(8_000, 50_000),
        weather_points=_points(("London", 51.51, -0.13), ("Manchester", 53.48, -2.24)),
    ),
    Region(
        code="GB-SCT",
        name="Scotland",
        timezone="Europe/London",
        holiday_country="GB",
        holiday_subdivision="SCT",
        eia_ba_code=None,
        demand_mw_range=(1_000, 8_000),
        weather_points=_points(("Glasgow", 55.86, -4.25), ("Aberdeen", 57.15, -2.09)),
    ),
    Region(
        code="GB-WLS",
        name="Wales",
        timezone="Europe/London",
        holiday_country="GB",
        holiday_subdivision="WLS",
        eia_ba_code=None,
        demand_mw_range=(500, 5_000),
        weather_points=_points(("Cardiff", 51.48, -3.18)),
    ),
)

REGIONS: Mapping[str, Region] = MappingProxyType({r.code: r for r in _REGIONS})


def region(code: str) -> Region:
    try:
        return REGIONS[code]
    except KeyError:
        raise KeyError(f"unknown region {code!r}; known: {', '.join(REGIONS)}") from None


def regions_served_by(provider: str, feed: str | None = None) -> list[str]:
    """Region codes whose `feed` (any feed if None) is served by `provider`, in registry order."""
    return [
        r.code
        for r in _REGIONS
        if any(
            provider in providers
            for name, providers in r.providers.items()
            if feed is None or name == feed
        )
    ]


def regions_with(feed: str) -> list[str]:
    """Region codes with at least one provider for `feed`, in registry order."""
    return [r.code for r in _REGIONS if r.providers_of(feed)]


def regions_learning(carbon_target: str, codes: list[str] | None = None) -> list[str]:
    """Region codes (of `codes`, default every region) whose carbon slice learns `carbon_target`."""
    return [
        r.code
        for r in _REGIONS
        if r.carbon_target == carbon_target and (codes is None or r.code in codes)
    ]
