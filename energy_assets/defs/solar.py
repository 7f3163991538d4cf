"""harmonized/pv_profile: the PV output of a home at each region's location over a typical year,
per kW installed (NREL PVWatts v8, `sources/pvwatts.py`), for the VPP fleet (`pv_source:
pvwatts`, `defs/dispatch.py`). Group `solar`, built by `pv_profile_job`; never automated.

Partitions: one per region (a static list: every region of the registry with weather points),
not region x market day. A typical year does not depend on the day: one PVWatts request per
region serves every market day of every year, so its natural unit (as for every provider that
serves many days per request) is the region, stored once (8760 rows, in the warehouse under
`harmonized/pv_profile/key=<region>/`). Region-day partitions would repeat the same request and
the same 8760 values for every day. The fleet maps the
typical year onto its market day's slots itself (`optimize/fleet_profiles.pv_from_typical_year`).
Because these partitions differ from the grid's, the asset has its own group and job (a job, or
a backfill, takes one partitions definition) and the fleet reads it from the warehouse when a run
asks for it (no declared dependency: the fleet's default runs, automation and backfills are
exactly as before).

Live (`transport: live`, `NREL_API_KEY`): one v8 request at the region's first weather point
(its main city) for `PvProfileConfig`'s system, archived verbatim (`data/raw_archive/pvwatts/`,
URL without the key). Offline (`replay`, the default): a recorded v8 response for that URL when
one exists under the recordings folder (record mode writes one), else the one PVWatts recording
there, the calculator's hourly export for Denver CO (39.73 N, 105.18 W; a 4 kW open-rack
system, 20 degrees, south) stands in for EVERY region: its shape and yield are Denver's, moved
in time by the longitude difference to the region's site (4 minutes per degree) so that noon
stays noon. Such rows say so (`location_proxy`, `profile_*_deg` against `site_*_deg`) and the
run logs a warning. Nothing is invented for a region: offline PV is Denver's climate on the
region's clock, fit for exercising the fleet, not for a region's PV yield.
"""

import datetime as dt
import hashlib
from enum import StrEnum

import dagster as dg
import polars as pl

from energy_assets.defs_support.resources import (
    ArchiveResource,
    HttpResource,
    WarehouseResource,
)
from energy_assets.defs_support.validation import check_specs, validated_output
from energy_assets.defs_support.warehouse import pv_profile_partition
from energy_assets.optimize.day_problems import SLOT_MINUTES
from energy_assets.optimize.fleet_profiles import pv_from_typical_year
from energy_assets.regions import REGIONS, Region, region
from energy_assets.schemas.solar import PvProfile
from energy_assets.sources import pvwatts
from energy_assets.sources.errors import FetchError, PayloadError, SourceError
from energy_assets.sources.http_client import FetchedPayload, HttpClient
from energy_assets.warehouse import TableName, Warehouse

GROUP = "solar"
PV_PROFILE = dg.AssetKey(["harmonized", "pv_profile"])
PV_REGIONS = [code for code, r in REGIONS.items() if r.weather_points]
PV_PARTITIONS = dg.StaticPartitionsDefinition(PV_REGIONS)


class PvSource(StrEnum):
    """Where a fleet's PV shape comes from (`pv_source` of the fleet dispatch assets): the one
    real household's PV (the default), or the region's PVWatts typical year
    (`harmonized/pv_profile`) x each home's kWp."""

    household = "household"
    pvwatts = "pvwatts"


class ModuleType(StrEnum):
    """PVWatts `module_type`."""

    standard = "standard"
    premium = "premium"
    thin_film = "thin_film"


class ArrayType(StrEnum):
    """PVWatts `array_type`."""

    open_rack = "open_rack"
    roof_mount = "roof_mount"
    one_axis = "one_axis"
    one_axis_backtracking = "one_axis_backtracking"
    two_axis = "two_axis"


class PvDataset(StrEnum):
    """PVWatts `dataset`: the NSRDB typical year (the Americas), or international stations."""

    nsrdb = "nsrdb"
    intl = "intl"


class PvProfileConfig(dg.Config):
    """The home system PVWatts simulates (live; offline the recording's own system is used): 1 kW
    DC (the profile is per kW), `module_type`, `losses_pct` (PVWatts' default 14.08), fixed roof
    mount, `tilt_deg` 20, facing south (`azimuth_deg` 180), weather `dataset` (`nsrdb`; `intl`
    for sites the NSRDB does not cover, e.g. possibly GB's: not checked here)."""

    module_type: ModuleType = ModuleType.standard
    array_type: ArrayType = ArrayType.roof_mount
    losses_pct: float = 14.08
    tilt_deg: float = 20.0
    azimuth_deg: float = 180.0
    dataset: PvDataset = PvDataset.nsrdb

    def system(self) -> pvwatts.PvSystem:
        return pvwatts.PvSystem(
            system_capacity_kw=1.0,
            module_type=self.module_type.value,
            losses_pct=self.losses_pct,
            array_type=self.array_type.value,
            tilt_deg=self.tilt_deg,
            azimuth_deg=self.azimuth_deg,
            dataset=self.dataset.value,
        )


def site(the_region: Region) -> tuple[float, float]:
    """The home's location for a region: its first weather point (the registry's main city)."""
    point = the_region.weather_points[0]
    return point.latitude, point.longitude


def recorded_export(client: HttpClient) -> FetchedPayload:
    """The recorded calculator export as a payload, read verbatim; its URL names the file
    relative to the recordings folder (`recordings:pvlib/...`)."""
    path = client.recordings_dir / pvwatts.RECORDED_EXPORT
    body = path.read_bytes()
    return FetchedPayload(
        provider=pvwatts.PROVIDER,
        url=f"recordings:{pvwatts.RECORDED_EXPORT}",
        status=200,
        content_type="text/csv",
        body=body,
        fetched_at=dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC),
        sha256=hashlib.sha256(body).hexdigest(),
        transport="recording",
    )


def _fetch(
    context, http: HttpResource, the_region: Region, system: pvwatts.PvSystem
) -> FetchedPayload:
    lat, lon = site(the_region)
    with http.client() as client:
        if client.mode == "replay":
            try:
                return pvwatts.fetch_typical_year(client, lat, lon, None, system)
            except FetchError:
                context.log.warning(
                    f"harmonized/pv_profile {the_region.code}: no recorded PVWatts response for"
                    f" {lat}, {lon}; offline, the recorded calculator export for Denver CO"
                    f" ({pvwatts.RECORDED_EXPORT}) stands in for this region (a location proxy)"
                )
                return recorded_export(client)
        key = http.api_keys().get(pvwatts.API_KEY_ENV) or pvwatts.api_key_from_env()
        return pvwatts.fetch_typical_year(client, lat, lon, key, system)


def profile_rows(
    year: pvwatts.TypicalYear, the_region: Region, payload_sha256: str, payload: FetchedPayload
) -> pl.DataFrame:
    """The typical year as `PvProfile` rows for the region. A profile simulated elsewhere than
    the region's site (more than 1 degree away) is a location proxy: its clock is moved by the
    longitude difference so that its hours stand at the same sun position at the site."""
    lat, lon = site(the_region)
    proxy = (
        abs(year.latitude_deg - lat) > pvwatts.MAX_STATION_OFFSET_DEG
        or abs(year.longitude_deg - lon) > pvwatts.MAX_STATION_OFFSET_DEG
    )
    offset = year.utc_offset_h + ((lon - year.longitude_deg) / 15.0 if proxy else 0.0)
    return year.frame.select(
        pl.lit(the_region.code).alias("region"),
        *pvwatts.COLUMNS,
        pl.lit(offset, dtype=pl.Float64).alias("utc_offset_h"),
        pl.lit(lat, dtype=pl.Float64).alias("site_latitude_deg"),
        pl.lit(lon, dtype=pl.Float64).alias("site_longitude_deg"),
        pl.lit(year.latitude_deg, dtype=pl.Float64).alias("profile_latitude_deg"),
        pl.lit(year.longitude_deg, dtype=pl.Float64).alias("profile_longitude_deg"),
        pl.lit(proxy).alias("location_proxy"),
        pl.lit(year.system_capacity_kw, dtype=pl.Float64).alias("dc_system_kw"),
        pl.lit(year.source).alias("profile_source"),
        pl.lit(payload_sha256).alias("payload_sha256"),
        pl.lit(payload.url).alias("source_url"),
        pl.lit(payload.fetched_at, dtype=pl.Datetime("us", "UTC")).alias("fetched_at_utc"),
    )


@dg.asset(
    key=PV_PROFILE,
    group_name=GROUP,
    partitions_def=PV_PARTITIONS,
    metadata={"provider": pvwatts.PROVIDER},
    check_specs=check_specs(PV_PROFILE),
    kinds={"duckdb", "polars"},
)
def pv_profile(
    context: dg.AssetExecutionContext,
    config: PvProfileConfig,
    http: HttpResource,
    archive: ArchiveResource,
):
    """PV output of a home at the region's location (its first weather point) over a typical
    year, kW AC per kW DC installed, hourly: NREL PVWatts v8 (NSRDB typical year), one row per
    hour of the year on the site's local standard time (`utc_offset_h`). Offline, the one
    recorded PVWatts export (Denver CO) stands in for every region (`location_proxy`; see the
    module docstring). Read by `dispatch/vpp_fleet_dispatch` when its `pv_source` is `pvwatts`."""
    the_region = region(context.partition_key)
    try:
        system = config.system()
    except ValueError as error:
        raise dg.Failure(f"harmonized/pv_profile: {error}", allow_retries=False) from error
    try:
        payload = _fetch(context, http, the_region, system)
    except FetchError as error:
        raise dg.Failure(
            description=f"pvwatts, partition {the_region.code}: {error}",
            metadata={"source_url": error.url, "http_status": error.status},
            allow_retries=error.status == 429 or (error.status or 0) >= 500,
        ) from error
    except (pvwatts.MissingApiKeyError, FileNotFoundError) as error:
        raise dg.Failure(
            description=f"pvwatts, partition {the_region.code}: {error}", allow_retries=False
        ) from error
    stored = archive.archive().put_fetched(payload)
    lat, lon = site(the_region)
    try:
        if payload.url.startswith("recordings:"):
            year = pvwatts.read_calculator_export(
                payload.body, pvwatts.RECORDED_EXPORT_UTC_OFFSET_H
            )
        else:
            year = pvwatts.parse_v8(payload.body, system.system_capacity_kw, (lat, lon))
    except PayloadError as error:
        problem = SourceError(
            pvwatts.PROVIDER,
            payload.url,
            f"{the_region.code} (site {lat}, {lon})",
            str(error),
        )
        raise dg.Failure(
            description=str(problem),
            metadata={"source_url": payload.url, "payload_sha256": stored.sha256},
            allow_retries=False,
        ) from problem
    frame = profile_rows(year, the_region, stored.sha256, payload)
    proxy = bool(frame["location_proxy"][0])
    metadata = {
        "source_url": payload.url,
        "transport": payload.transport,
        "payload_sha256": stored.sha256,
        "payload_path": dg.MetadataValue.path(str(stored.path)),
        "profile_source": year.source,
        "site": f"{the_region.weather_points[0].name} ({lat}, {lon})",
        "profile_location": f"{year.latitude_deg}, {year.longitude_deg}",
        "location_proxy": proxy,
        "utc_offset_h": round(float(frame["utc_offset_h"][0]), 3),
        "annual_kwh_per_kw": round(float(frame["pv_kw_per_kw"].sum()), 1),
        "capacity_factor_pct": round(100 * year.capacity_factor, 2),
        "stated_capacity_factor_pct": year.capacity_factor_pct,
    }
    yield from validated_output(context, frame, PvProfile, metadata)


def pvwatts_slots(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, code: str, slots: list
) -> tuple[list[float], dict]:
    """PV per kW installed for a day's 15-minute `slots` from the stored `harmonized/pv_profile`
    of region `code`, and what it was (metadata); a failure naming the partition and the job when
    it is not stored. Read by the fleet dispatch assets when `pv_source` is `pvwatts`."""
    what = f"{context.asset_key.to_user_string()} partition {context.partition_key}"
    if code not in PV_REGIONS:
        raise dg.Failure(
            f"{what}: pv_source is pvwatts, but {code} is not a region with a location"
            f" ({PV_PROFILE.to_user_string()} has partitions {', '.join(PV_REGIONS)})",
            allow_retries=False,
        )
    frame, missing = Warehouse(warehouse.root).read(
        TableName(*PV_PROFILE.path), [pv_profile_partition(code)]
    )
    if missing or not frame.height:
        raise dg.Failure(
            f"{what}: pv_source is pvwatts, but {PV_PROFILE.to_user_string()} has no partition"
            f" for {code} (never materialized, or its run failed). Materialize it first"
            f" (pv_profile_job, partition {code}), or run with pv_source: household.",
            allow_retries=False,
        )
    frame = frame.sort("hour_of_year")
    if frame["hour_of_year"].to_list() != list(range(pvwatts.HOURS)):
        raise dg.Failure(
            f"{what}: {PV_PROFILE.to_user_string()} for {code} is not the 8760 hours of a"
            " typical year; re-materialize it",
            allow_retries=False,
        )
    first = frame.row(0, named=True)
    values = pv_from_typical_year(
        frame["pv_kw_per_kw"].to_numpy(), first["utc_offset_h"], slots, SLOT_MINUTES
    )
    if first["location_proxy"]:
        context.log.warning(
            f"{what}: the PV profile of {code} was simulated at"
            f" {first['profile_latitude_deg']}, {first['profile_longitude_deg']}, not at the"
            " region's site (a location proxy: offline, the recorded Denver export)"
        )
    return values, {
        "pv_profile_source": first["profile_source"],
        "pv_profile_location": f"{first['profile_latitude_deg']}, {first['profile_longitude_deg']}",
        "pv_profile_location_proxy": bool(first["location_proxy"]),
        "pv_profile_payload_sha256": first["payload_sha256"],
    }


pv_profile_job = dg.define_asset_job(
    "pv_profile_job",
    selection=dg.AssetSelection.assets(PV_PROFILE),
    description="PVWatts typical-year PV profile (per kW installed) for one region.",
)
