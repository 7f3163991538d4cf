"""raw/*: provider payloads archived verbatim, plus the parsed rows in the provider's own terms.

Each row carries the sha256 of the payload it came from (the blob is under
`data/raw_archive/<provider>/`), the URL and when it was fetched, so any table downstream can be
rebuilt offline and audited. Re-materializing a partition replaces it whole.
"""

from collections.abc import Callable

import dagster as dg
import polars as pl

from energy_assets.defs.ranges import RANGE_POLICY, once_per_step, per_region_day
from energy_assets.defs.resources import ArchiveResource, HttpResource
from energy_assets.defs.validation import (
    PARTITION_EXPR,
    check_specs,
    completeness_result,
    validated_output,
)
from energy_assets.partitions import partition_keys, region_day_partitions
from energy_assets.regions import regions_served_by
from energy_assets.schemas import raw as schemas
from energy_assets.sources import caiso_outlook
from energy_assets.sources.errors import FetchError, PayloadError, SourceError

CAISO_OUTLOOK_REGIONS = regions_served_by("caiso_outlook", "grid")
CAISO_OUTLOOK_PARTITIONS = region_day_partitions(CAISO_OUTLOOK_REGIONS)

FETCH_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)


def _fetch_parse_archive(
    context: dg.AssetExecutionContext,
    http: HttpResource,
    archive: ArchiveResource,
    url: str,
    parse: Callable,
) -> tuple[pl.DataFrame, dict]:
    rd = partition_keys(context)
    payload, stored = once_per_step(context, url, lambda: _fetch_archive(http, archive, rd, url))
    try:
        rows = parse(payload.body, rd.market_date)
    except PayloadError as error:
        # A bad payload is not transient: fail without the fetch retries, naming what was wrong.
        problem = SourceError(payload.provider, payload.url, str(rd), str(error))
        raise dg.Failure(
            description=str(problem),
            metadata={"source_url": payload.url, "payload_sha256": stored.sha256},
            allow_retries=False,
        ) from problem
    rows = rows.with_columns(
        region=pl.lit(rd.region),
        market_date=pl.lit(rd.market_date, dtype=pl.Date),
        payload_sha256=pl.lit(stored.sha256),
        source_url=pl.lit(payload.url),
        fetched_at_utc=pl.lit(payload.fetched_at, dtype=pl.Datetime("us", "UTC")),
    )
    metadata = {
        "source_url": dg.MetadataValue.url(payload.url),
        "payload_sha256": stored.sha256,
        "payload_bytes": stored.size_bytes,
        "payload_path": dg.MetadataValue.path(str(stored.path)),
        "http_status": payload.status,
        "fetched_at_utc": payload.fetched_at.isoformat(),
        "transport": payload.transport,
    }
    return rows, metadata


def _fetch_archive(http: HttpResource, archive: ArchiveResource, rd, url: str):
    """Fetch `url` and archive the payload verbatim: (payload, stored blob). Once per step and
    URL (`once_per_step`): a provider serving many days per request is fetched once per range."""
    try:
        with http.client() as client:
            payload = client.get(caiso_outlook.PROVIDER, url)
    except FetchError as error:
        # The client already retried 429/5xx and timeouts; retry the step later (RetryPolicy)
        # only when the failure can be transient: not in replay, and not a definite 4xx.
        definite = http.transport == "replay" or (
            error.status is not None and 400 <= error.status < 500 and error.status != 429
        )
        raise dg.Failure(
            description=f"partition {rd}: {error}",
            metadata={"source_url": error.url, "http_status": error.status},
            allow_retries=not definite,
        ) from error
    stored = archive.archive().put(
        provider=payload.provider,
        body=payload.body,
        url=payload.url,
        status=payload.status,
        content_type=payload.content_type,
        fetched_at=payload.fetched_at,
        transport=payload.transport,
    )
    return payload, stored


def _completeness(rows: pl.DataFrame, market_day, columns: str = "^.*_mw$") -> dg.AssetCheckResult:
    """5-minute readings present vs expected for the market day (288, or 276/300 on DST days);
    a reading counts when any of `columns` (a name or regex) is non-null."""
    expected = caiso_outlook.expected_intervals(market_day)
    present = rows.filter(pl.any_horizontal(pl.col(columns).is_not_null())).height
    return completeness_result(expected, present, "5min_readings")


_DEMAND_KEY = dg.AssetKey(["raw", "caiso_outlook_demand"])
_FUEL_KEY = dg.AssetKey(["raw", "caiso_outlook_fuel_mix"])


@dg.asset(
    key=_DEMAND_KEY,
    group_name="raw",
    partitions_def=CAISO_OUTLOOK_PARTITIONS,
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_DEMAND_KEY, completeness=True),
    retry_policy=FETCH_RETRY,
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def caiso_outlook_demand(
    context: dg.AssetExecutionContext, http: HttpResource, archive: ArchiveResource
):
    """CAISO Today's Outlook `demand.csv` for one market day: 5-minute system demand, CAISO's
    day-ahead and hour-ahead load forecasts, in MW, Pacific clock converted to UTC."""
    rd = partition_keys(context)
    rows, metadata = _fetch_parse_archive(
        context, http, archive, caiso_outlook.demand_url(rd.market_date), caiso_outlook.parse_demand
    )
    yield from validated_output(context, rows, schemas.CaisoOutlookDemand, metadata)
    yield _completeness(rows, rd.market_date, "demand_mw")  # actual demand, not the forecasts


@dg.asset(
    key=_FUEL_KEY,
    group_name="raw",
    partitions_def=CAISO_OUTLOOK_PARTITIONS,
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_FUEL_KEY, completeness=True),
    retry_policy=FETCH_RETRY,
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def caiso_outlook_fuel_mix(
    context: dg.AssetExecutionContext, http: HttpResource, archive: ArchiveResource
):
    """CAISO Today's Outlook `fuelsource.csv` for one market day: 5-minute generation by fuel in
    MW (solar, wind, geothermal, biomass, biogas, small/large hydro, coal, nuclear, natural gas,
    batteries, imports, other)."""
    rd = partition_keys(context)
    rows, metadata = _fetch_parse_archive(
        context,
        http,
        archive,
        caiso_outlook.fuel_mix_url(rd.market_date),
        caiso_outlook.parse_fuel_mix,
    )
    yield from validated_output(context, rows, schemas.CaisoOutlookFuelMix, metadata)
    yield _completeness(rows, rd.market_date)
