"""raw/*: provider payloads archived verbatim, plus the parsed rows in the provider's own terms.

One asset per registered feed (`energy_assets/sources/registry.py`): `raw/<provider>_<feed>` is
built by `raw_asset` from the feed's declaration in its provider module
(`energy_assets/sources/<provider>.py`, `FEEDS`), which is where its code lives.

Each row carries the sha256 of the payload it came from (the blob is under
`data/raw_archive/<provider>/`), the URL and when it was fetched, so any table downstream can be
rebuilt offline and audited. Re-materializing a partition replaces it whole.
"""

import inspect
import sys
import warnings
from pathlib import Path

import dagster as dg
import polars as pl

from energy_assets.defs_support.ranges import RANGE_POLICY, once_per_step, per_region_day
from energy_assets.defs_support.resources import ArchiveResource, HttpResource
from energy_assets.defs_support.validation import (
    PARTITION_EXPR,
    check_specs,
    completeness_result,
    validated_output,
)
from energy_assets.partitions import RegionDay, partition_keys, region_day_partitions
from energy_assets.regions import region, regions_served_by
from energy_assets.sources.errors import FetchError, PayloadError, SourceError
from energy_assets.sources.feeds import Feed, FeedSource
from energy_assets.sources.registry import FEEDS

FETCH_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)


def raw_key(provider: str, feed: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", f"{provider}_{feed}"])


def feed_regions(feed: Feed) -> list[str]:
    return regions_served_by(feed.provider)


def feed_partitions(feed: Feed) -> dg.MultiPartitionsDefinition:
    return region_day_partitions(feed_regions(feed), feed.first_date)


class _Request:
    """A feed's request for a step: its payloads archived, and their rows parsed once."""

    def __init__(self, feed: Feed, payloads: list, stored: list, rows: pl.DataFrame) -> None:
        self.feed = feed
        self.payloads = payloads
        self.stored = stored
        self.rows = rows


def _request(feed: Feed, http: HttpResource, archive: ArchiveResource, rd: RegionDay) -> _Request:
    the_region = region(rd.region)
    try:
        with http.client() as client:
            source = FeedSource(client, http.datasets(), keys=http.api_keys())
            payloads = feed.fetch(source, the_region, rd.market_date)
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
    except (FileNotFoundError, KeyError) as error:
        raise dg.Failure(
            description=f"{feed.provider} {feed.name}, partition {rd}: {error}",
            allow_retries=False,
        ) from error
    if not payloads:
        raise dg.Failure(
            description=f"{feed.provider} {feed.name}, partition {rd}: the request returned"
            " no payload",
            allow_retries=False,
        )
    archived = archive.archive()
    stored = [archived.put_fetched(p) for p in payloads]
    try:
        rows = feed.parse(payloads, rd.market_date)
    except PayloadError as error:
        # A bad payload is not transient: fail without the fetch retries, naming what was wrong.
        problem = SourceError(feed.provider, payloads[0].url, str(rd), str(error))
        raise dg.Failure(
            description=str(problem),
            metadata={"source_url": payloads[0].url, "payload_sha256": stored[0].sha256},
            allow_retries=False,
        ) from problem
    return _Request(feed, payloads, stored, rows)


def _with_provenance(rows: pl.DataFrame, request: _Request, rd: RegionDay) -> pl.DataFrame:
    """Each row names the payload it came from: `payload_index` (when the parse says) or the
    first payload of the request."""
    if "payload_index" in rows.columns:
        index = pl.col("payload_index")
        pick = lambda values, dtype: pl.lit(pl.Series(values, dtype=dtype)).gather(index)  # noqa: E731
    else:
        pick = lambda values, dtype: pl.lit(values[0], dtype=dtype)  # noqa: E731
    payloads = request.payloads
    out = rows.with_columns(
        region=pl.lit(rd.region),
        market_date=pl.lit(rd.market_date, dtype=pl.Date),
        payload_sha256=pick([s.sha256 for s in request.stored], pl.String),
        source_url=pick([p.url for p in payloads], pl.String),
        fetched_at_utc=pick([p.fetched_at for p in payloads], pl.Datetime("us", "UTC")),
    )
    return out.drop("payload_index", strict=False)


def _completeness(feed: Feed, rows: pl.DataFrame, rd: RegionDay) -> dg.AssetCheckResult:
    """Readings present vs expected for the market day (e.g. 288 five-minute readings, 276/300 on
    DST days; 24 hours, 23/25); a reading counts when any of the feed's columns is non-null."""
    assert feed.expected_rows is not None
    expected = feed.expected_rows(region(rd.region), rd.market_date)
    present = rows.filter(pl.any_horizontal(pl.col(feed.completeness_columns).is_not_null()))
    return completeness_result(expected, present.height, feed.row_unit)


def _code_reference(feed: Feed) -> dict:
    """The asset's page links to the provider module that declares the feed (its code)."""
    module = sys.modules[feed.parse.__module__]
    path = Path(inspect.getsourcefile(module) or "")
    with warnings.catch_warnings():  # both marked beta by Dagster 1.13
        warnings.simplefilter("ignore", dg.BetaWarning)
        reference = dg.LocalFileCodeReference(file_path=str(path), line_number=1)
        return {
            "dagster/code_references": dg.CodeReferencesMetadataValue(code_references=[reference])
        }


def raw_asset(feed: Feed) -> dg.AssetsDefinition:
    """The raw asset of one feed: fetch (or read the offline history), archive verbatim, parse,
    keep the market day's rows with their provenance, validate, check completeness."""
    key = raw_key(feed.provider, feed.name)

    @dg.asset(
        key=key,
        description=feed.description,
        group_name="raw",
        partitions_def=feed_partitions(feed),
        metadata={
            "partition_expr": PARTITION_EXPR,
            "provider": feed.provider,
            "first_date": feed.first_date,
            **_code_reference(feed),
        },
        check_specs=check_specs(key, completeness=feed.expected_rows is not None),
        retry_policy=FETCH_RETRY,
        kinds={"duckdb", "polars"},
        backfill_policy=RANGE_POLICY,
    )
    @per_region_day()
    def _raw(context: dg.AssetExecutionContext, http: HttpResource, archive: ArchiveResource):
        rd = partition_keys(context)
        request_key = (feed.asset_name, feed.request_key(region(rd.region), rd.market_date))
        request = once_per_step(context, request_key, lambda: _request(feed, http, archive, rd))
        day = feed.day_rows(request.rows, region(rd.region), rd.market_date)
        rows = _with_provenance(day, request, rd)
        first, stored = request.payloads[0], request.stored[0]
        metadata = {
            "source_url": dg.MetadataValue.url(first.url)
            if first.url.startswith("http")
            else first.url,
            "payload_sha256": stored.sha256,
            "payload_bytes": stored.size_bytes,
            "payload_path": dg.MetadataValue.path(str(stored.path)),
            "payloads": len(request.payloads),
            "http_status": first.status,
            "fetched_at_utc": first.fetched_at.isoformat(),
            "transport": first.transport,
        }
        yield from validated_output(context, rows, feed.schema, metadata)
        if feed.expected_rows is not None:
            yield _completeness(feed, rows, rd)

    return _raw


RAW_ASSETS = [raw_asset(feed) for feed in FEEDS]
