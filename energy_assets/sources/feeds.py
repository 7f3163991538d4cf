"""The provider seam: what a provider module declares so the graph can ingest one of its feeds.

A provider is one module under `energy_assets/sources/` (fetch separate from a pure parse, no
Dagster imports) that declares a `FEEDS` tuple of `Feed`s, plus its entry in `registry.py` and the
region registry (`energy_assets/regions.py`, which says which regions it serves for which feed).
`energy_assets/defs/raw.py` turns every registered feed into the raw asset
`raw/<provider>_<feed>`: partitions (market day x the regions it serves, from `first_date`),
the verbatim archive of each payload, row provenance, the Pandera schema check, a DST-aware
completeness check and clear errors naming provider, URL and partition.

How a feed is read:

1. `request_key(region, day)` names the request that serves the day. Days of a backfill range
   sharing a key (a month of the EIA API, a bulk history file) share one fetch and one parse.
2. `fetch(source, region, day)` returns the payloads of that request: one HTTP response, every
   page of a paged API, or (offline) a history file read verbatim. `FeedSource` says which
   transport the run uses and where offline history lives.
3. `parse(payloads, day)` turns the payloads into rows in the provider's own terms (pure; a
   `PayloadError` for anything abnormal). A `payload_index` column, when present, says which
   payload each row came from (its archive hash then names that payload); otherwise the first.
4. `day_rows(rows, region, day)` keeps the market day's rows (by default, the rows whose
   `interval_start_utc` falls in the local market day of the region's time zone).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from energy_assets.regions import Region
from energy_assets.sources.http_client import FetchedPayload, HttpClient
from energy_assets.timeutil import market_day_bounds_utc


@dataclass(frozen=True)
class FeedSource:
    """Where a feed's payloads come from in this run: the HTTP client (its `mode` is `live`,
    `replay` or `record`), the folder of offline history files (`ENERGY_ASSETS_DATASETS`) and the
    API keys the run was given, by the environment variable they stand for (`EIA_API_KEY`); a
    provider falls back to that variable when its key is not here."""

    client: HttpClient
    datasets_dir: Path
    keys: Mapping[str, str] = field(default_factory=dict, repr=False)

    def key(self, env_var: str) -> str | None:
        """The key given for `env_var`, or None (the provider then reads the environment)."""
        return self.keys.get(env_var) or None

    @property
    def offline(self) -> bool:
        return self.client.mode == "replay"


def market_day_rows(rows: pl.DataFrame, region: Region, day: dt.date) -> pl.DataFrame:
    """The rows whose `interval_start_utc` falls inside the region's local market day."""
    start, end = market_day_bounds_utc(day, region.timezone)
    return rows.filter(pl.col("interval_start_utc").is_between(start, end, closed="left"))


def whole_payload(rows: pl.DataFrame, region: Region, day: dt.date) -> pl.DataFrame:
    """A payload that serves exactly one market day: all its rows."""
    return rows


def hours_in_market_day(region: Region, day: dt.date) -> int:
    """23, 24 or 25: the hours of the region's local market day."""
    start, end = market_day_bounds_utc(day, region.timezone)
    return int((end - start).total_seconds() // 3600)


@dataclass(frozen=True)
class Feed:
    provider: str  # registry name; the raw asset is raw/<provider>_<name>
    name: str
    description: str
    schema: type  # a Pandera DataFrameModel (energy_assets/schemas/raw.py)
    first_date: str  # the first market day the provider publishes
    request_key: Callable[[Region, dt.date], str]
    fetch: Callable[[FeedSource, Region, dt.date], list[FetchedPayload]]
    parse: Callable[[Sequence[FetchedPayload], dt.date], pl.DataFrame]
    day_rows: Callable[[pl.DataFrame, Region, dt.date], pl.DataFrame] = market_day_rows
    expected_rows: Callable[[Region, dt.date], int] | None = None
    # a row counts as present when any of these (a name or a regex) is non-null
    completeness_columns: str = "^.*_mw$"
    row_unit: str = "hours"  # what the completeness check counts (e.g. "5min_readings")

    @property
    def asset_name(self) -> str:
        return f"{self.provider}_{self.name}"


def history_payload(provider: str, path: Path, datasets_dir: Path) -> FetchedPayload:
    """An offline history file as a payload, read verbatim. Its URL names the file relative to the
    datasets folder (`datasets:eia930/CISO.csv`), so archives and rows do not depend on where the
    folder is mounted; `fetched_at` is the file's modification time."""
    body = path.read_bytes()
    try:
        shown = path.resolve().relative_to(datasets_dir.resolve()).as_posix()
    except ValueError:
        shown = path.name
    return FetchedPayload(
        provider=provider,
        url=f"datasets:{shown}",
        status=200,
        content_type="text/csv",
        body=body,
        fetched_at=dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC),
        sha256=hashlib.sha256(body).hexdigest(),
        transport="history",
    )
