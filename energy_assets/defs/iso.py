"""The ISOs' own feeds harmonized (group `iso`): `harmonized/lmp_hourly` and
`harmonized/operator_forecasts`, region x market day, from the raw ISO feeds stored
(`registry.ISO_PROVIDERS`, served under the regions' feed key "iso"). The pure code is in
`energy_assets/harmonize/iso.py`. GB is among the forecast regions: NESO's day-ahead and 2-14
day demand forecasts (`sources/neso_forecasts.py`, registered with the ISO providers) give its
`harmonized/operator_forecasts` partitions; it has no LMP feed.

`harmonized/lmp_hourly` is not the price group's `harmonized/prices` (`defs/prices.py`): that
one is the epftoolbox benchmark's day-ahead market-clearing price per market and local hour
(24 a day, partitioned by market x day, read from a finished file). This one is every ISO's own
day-ahead and real-time LMP per node and hub, in UTC hours (23/24/25 a day), partitioned by
region x day like the rest of the grid graph: the two answer different questions and share
neither partitions nor nodes, so they stay apart.

Group `iso`, not `harmonized`: the ingest job and its daily schedule (every grid region, from
EIA-930's history) stay as they were; these tables have their own jobs (`iso_prices_job`,
`iso_forecasts_job`, `defs/jobs.py`).

A day whose raw feeds are all missing fails, naming each raw asset, the URL its request would
fetch, its job and the partition; nothing is stored (the stored partition is left unchanged).
A day with some feeds stored and others missing is built from what is stored, and its
`completeness` check (WARN) names the missing feeds with their URLs; for the prices it also
counts the market x node series that lack hours of the day.
"""

import dagster as dg
import polars as pl

from energy_assets.defs.raw import feed_regions, raw_key
from energy_assets.defs_support.ranges import RANGE_POLICY, per_region_day, read_days
from energy_assets.defs_support.resources import WarehouseResource
from energy_assets.defs_support.validation import (
    COMPLETENESS_CHECK,
    PARTITION_EXPR,
    check_specs,
    validated_output,
)
from energy_assets.harmonize import iso
from energy_assets.layers import raw_job_name
from energy_assets.partitions import RegionDay, partition_keys, region_day_partitions
from energy_assets.regions import region, regions_with
from energy_assets.schemas import iso as schemas
from energy_assets.sources.feeds import Feed, hours_in_market_day
from energy_assets.sources.registry import feed as registered_feed

GROUP = "iso"
LMP_KEY = dg.AssetKey(["harmonized", "lmp_hourly"])
FORECASTS_KEY = dg.AssetKey(["harmonized", "operator_forecasts"])


def _feeds_of(code: str, specs) -> list[Feed]:
    """The registered raw feeds of `specs` (price or forecast feeds) that `code` is served."""
    providers = region(code).providers_of("iso")
    return [registered_feed(s.provider, s.feed) for s in specs if s.provider in providers]


def _regions(specs) -> list[str]:
    return [code for code in regions_with("iso") if _feeds_of(code, specs)]


LMP_REGIONS = _regions(iso.PRICE_FEEDS)
FORECAST_REGIONS = _regions(iso.FORECAST_FEEDS)


def _first_date(regions: list[str], specs) -> str:
    return min(f.first_date for code in regions for f in _feeds_of(code, specs))


LMP_PARTITIONS = region_day_partitions(LMP_REGIONS, _first_date(LMP_REGIONS, iso.PRICE_FEEDS))
FORECAST_PARTITIONS = region_day_partitions(
    FORECAST_REGIONS, _first_date(FORECAST_REGIONS, iso.FORECAST_FEEDS)
)


def _deps(regions: list[str], specs) -> list[dg.AssetDep]:
    from energy_assets.partitions import same_day_mapping

    deps = {}
    for code in regions:
        for feed in _feeds_of(code, specs):
            key = raw_key(feed.provider, feed.name)
            deps[key] = dg.AssetDep(
                key, partition_mapping=same_day_mapping(feed_regions(feed), regions)
            )
    return list(deps.values())


def _describe(feed: Feed, rd: RegionDay) -> str:
    try:
        url = feed.request_key(region(rd.region), rd.market_date)
    except Exception as error:  # a request that cannot even be named (a missing setting)
        url = f"(no URL: {error})"
    return (
        f"raw/{feed.asset_name} ({feed.provider}, {url}; {raw_job_name(feed.provider, feed.name)})"
    )


def _read(context, warehouse: WarehouseResource, specs, rd: RegionDay):
    """The stored raw rows of the day per (provider, feed), and the feeds not stored."""
    stored: dict[tuple[str, str], pl.DataFrame] = {}
    missing: list[Feed] = []
    for feed in _feeds_of(rd.region, specs):
        frame, absent = read_days(
            context, warehouse, raw_key(feed.provider, feed.name), rd.region, [rd.market_date]
        )
        if absent or frame.is_empty():
            missing.append(feed)
        else:
            stored[(feed.provider, feed.name)] = frame
    if not stored:
        raise dg.Failure(
            f"partition {rd}: none of {context.asset_key.to_user_string()}'s raw feeds is stored"
            " for the day: "
            + "; ".join(_describe(f, rd) for f in missing)
            + ". Materialize one for that day first (its job, or the raw asset in the UI);"
            " nothing was computed and the stored partition was left unchanged.",
            metadata={
                "failed_partitions": [str(rd)],
                "missing_feeds": [f"raw/{f.asset_name}" for f in missing],
            },
            allow_retries=False,
        )
    return stored, missing


def _completeness(
    rd: RegionDay, stored, missing: list[Feed], extra: dict | None = None, ok: bool = True
) -> dg.AssetCheckResult:
    passed = not missing and ok
    described = [_describe(f, rd) for f in missing]
    return dg.AssetCheckResult(
        check_name=COMPLETENESS_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"partition {rd}: every raw feed is stored"
            if not missing
            else f"partition {rd}: built without " + "; ".join(described)
        ),
        metadata={
            "feeds_stored": sorted(f"raw/{p}_{n}" for p, n in stored),
            "feeds_missing": described,
            **(extra or {}),
        },
    )


@dg.asset(
    key=LMP_KEY,
    group_name=GROUP,
    partitions_def=LMP_PARTITIONS,
    deps=_deps(LMP_REGIONS, iso.PRICE_FEEDS),
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(LMP_KEY, completeness=True),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def lmp_hourly(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Hourly locational marginal prices per market (`day_ahead`, `real_time`) and node, the
    ISO's total LMP in USD/MWh, from its own feeds (CAISO OASIS, PJM Data Miner, NYISO MIS,
    SPP portal). Real-time 5-minute prices are averaged to the hour, never summed (`intervals`
    counts them). Not the epftoolbox `harmonized/prices` (see the module)."""
    rd = partition_keys(context)
    stored, missing = _read(context, warehouse, iso.PRICE_FEEDS, rd)
    frame = iso.lmp_hourly(rd.region, rd.market_date, stored)
    hours = hours_in_market_day(region(rd.region), rd.market_date)
    whole, series = iso.lmp_series_completeness(frame, hours)
    yield from validated_output(
        context, frame, schemas.LmpHourly, {"providers": sorted({p for p, _ in stored})}
    )
    yield _completeness(
        rd,
        stored,
        missing,
        {"hours_in_day": hours, "series": series, "series_with_every_hour": whole},
        ok=whole == series,
    )


@dg.asset(
    key=FORECASTS_KEY,
    group_name=GROUP,
    partitions_def=FORECAST_PARTITIONS,
    deps=_deps(FORECAST_REGIONS, iso.FORECAST_FEEDS),
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(FORECASTS_KEY, completeness=True),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def operator_forecasts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Every load, wind and solar forecast vintage the ISO publishes, hourly MW, with
    `issued_at_utc` where the payload states it and `vintage` otherwise (CAISO's market run,
    NYISO's posting day). The partition holds what the raw feeds' partition of the day holds:
    the hours of the day, or every hour a forecast issued that day covers (`harmonize/iso.py`,
    `FORECAST_FEEDS`)."""
    rd = partition_keys(context)
    stored, missing = _read(context, warehouse, iso.FORECAST_FEEDS, rd)
    frame = iso.operator_forecasts(rd.region, rd.market_date, stored)
    yield from validated_output(
        context, frame, schemas.OperatorForecasts, {"providers": sorted({p for p, _ in stored})}
    )
    yield _completeness(
        rd, stored, missing, {"vintages": frame.select(iso.FORECAST_KEYS).n_unique()}
    )
