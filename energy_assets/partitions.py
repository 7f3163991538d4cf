"""The one place partitions are defined: market `date` (daily) x `region`.

`date` is the region's local market (operating) day; `timeutil.market_day_bounds_utc` turns it
into a UTC window with the region's time zone. The date dimension starts on 2019-01-01 (the first
recorded day) and runs one day past today (`end_offset=1`) so day-ahead assets for tomorrow exist.

Every partition that exists must be materializable, so each asset's `region` dimension lists only
the regions its provider(s) serve (`regions.regions_served_by`). Where an asset reads another with
a different region list, `region_mapping` maps the dimension explicitly.

Read keys with `partition_keys(context)`, never by splitting the key string.

Windows of days, and the order a backfill builds them in. Features read D-8..D-1 of the grid,
models train on D-56..D-2, the ensemble weighs the members' forecasts of D-57..D-2. Declared to
Dagster as time-window partition mappings, these windows made a UI backfill build what nobody
asked for: Dagster's asset backfill carries the selected days downstream through every mapping
(a model window D-56..D-2 turns a 7-day selection into 62 days of models, forecasts and scores),
then runs the implied partitions on inputs that do not exist. So an asset that reads a window
declares to Dagster only `same_day_mapping`, the same market day of what it reads (a selection of
days X..Y is carried downstream as exactly X..Y), and reads the window itself from the warehouse
(`WarehouseResource.read_days`), saying which declared days were missing (every window reader's
`history` check, the models' training-days failure). A day whose own inputs are missing fails
naming them (`defs_support/warehouse.py`).

The order comes from ranges. Every region-day asset has a single-run backfill policy
(`defs_support/ranges.py`): a backfill of X..Y runs each layer as one run whose steps each cover the whole
range, in the graph's order, so when the features of X..Y are built every grid day of X..Y is
already stored (an earlier step), and when the models are built every feature day is (an earlier
run). `region_days(context)` lists a step's days; the IO manager writes each day's file.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from functools import cache
from typing import NamedTuple

import dagster as dg

DATE_DIMENSION = "date"
REGION_DIMENSION = "region"
FIRST_DATE = "2015-07-01"  # the first day of EIA-930 history; each feed has its own
# Day-ahead assets (models, forecasts, dispatch, evaluation) need a training history: their
# first market day leaves MIN_TRAINING_DAYS of data (D-2 and earlier) after FIRST_DATE, so that
# every one of their partitions can be filled.
MIN_TRAINING_DAYS = 28
FIRST_DAY_AHEAD_DATE = (
    dt.date.fromisoformat(FIRST_DATE) + dt.timedelta(days=MIN_TRAINING_DAYS + 1)
).isoformat()


@cache
def _daily(first_date: str) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=first_date, end_offset=1)


@cache
def _region_day_partitions(
    regions: tuple[str, ...], first_date: str
) -> dg.MultiPartitionsDefinition:
    return dg.MultiPartitionsDefinition(
        {
            DATE_DIMENSION: _daily(first_date),
            REGION_DIMENSION: dg.StaticPartitionsDefinition(list(regions)),
        }
    )


def region_day_partitions(
    regions: Sequence[str], first_date: str = FIRST_DATE
) -> dg.MultiPartitionsDefinition:
    """Market date x region, for exactly these regions (shared by every asset with the same list)."""
    if not regions:
        raise ValueError("a region-day partitioned asset needs at least one region")
    return _region_day_partitions(tuple(regions), first_date)


def day_ahead_partitions(regions: Sequence[str]) -> dg.MultiPartitionsDefinition:
    """Partitions of models, forecasts, dispatch and evaluation: from FIRST_DAY_AHEAD_DATE on."""
    return region_day_partitions(regions, FIRST_DAY_AHEAD_DATE)


@cache
def market_day_partitions(
    markets: tuple[str, ...], first_date: str, last_date: str
) -> dg.MultiPartitionsDefinition:
    """Market day x market, for price markets (`sources/epftoolbox.py`): the days of the
    markets' files only, first_date..last_date (a file's data end; no partition past them).
    The market is the `region` dimension, so the warehouse layout, range steps and backfills
    work as for every region-day asset."""
    if not markets:
        raise ValueError("a market-day partitioned asset needs at least one market")
    end = (dt.date.fromisoformat(last_date) + dt.timedelta(days=1)).isoformat()
    return dg.MultiPartitionsDefinition(
        {
            DATE_DIMENSION: dg.DailyPartitionsDefinition(start_date=first_date, end_date=end),
            REGION_DIMENSION: dg.StaticPartitionsDefinition(list(markets)),
        }
    )


def window_days(
    market_date: dt.date, start_offset: int, end_offset: int, first_date: str = FIRST_DATE
) -> list[dt.date]:
    """The days D+start_offset..D+end_offset that exist as partitions (none before first_date):
    what a `day_window_mapping(start_offset, end_offset)` input declares it reads."""
    first = dt.date.fromisoformat(first_date)
    days = (market_date + dt.timedelta(days=k) for k in range(start_offset, end_offset + 1))
    return [d for d in days if d >= first]


class RegionDay(NamedTuple):
    region: str
    market_date: dt.date

    def __str__(self) -> str:
        """The partition key as Dagster writes it (and the UI shows it): `date|region`."""
        return f"{self.market_date.isoformat()}|{self.region}"


def partition_keys(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> RegionDay:
    keys = context.partition_key.keys_by_dimension  # type: ignore[union-attr]
    return RegionDay(keys[REGION_DIMENSION], dt.date.fromisoformat(keys[DATE_DIMENSION]))


def region_days(context: dg.AssetExecutionContext) -> list[RegionDay]:
    """Every (region, day) the step materializes, in date order: one, or a backfill's range."""
    definition = context.assets_def.partitions_def
    out = []
    for key in context.partition_keys:
        multi = key if isinstance(key, dg.MultiPartitionKey) else None
        if multi is None:
            multi = definition.get_partition_key_from_str(key)  # type: ignore[union-attr]
        by = multi.keys_by_dimension
        out.append(RegionDay(by[REGION_DIMENSION], dt.date.fromisoformat(by[DATE_DIMENSION])))
    _refuse_collapsed_range(context, len(out))
    return sorted(out, key=lambda rd: (rd.market_date, rd.region))


RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def _refuse_collapsed_range(context: dg.AssetExecutionContext, keys: int) -> None:
    """A backfill launched from a job's page over a range of multi-partition keys gets one run
    tagged with the range and with the first key's dimension tags, which win: the run would
    build the first day only and the backfill report success for all (dagster-io/dagster#28861,
    Dagster 1.13). Fail instead, saying how to launch it."""
    tags = context.run.tags
    first, last = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if first and last and first != last and keys == 1:
        raise dg.Failure(
            f"{context.asset_key.to_user_string()}: this run was launched for the range"
            f" {first}..{last} but Dagster gave it the one partition {context.partition_key}"
            " (a job-page backfill of multi-partitioned assets over a range,"
            " dagster-io/dagster#28861). Nothing was built. Launch the backfill from the asset"
            " graph or the asset's page (select the assets, Materialize, choose the partitions),"
            " or with `energy-assets backfill`.",
            allow_retries=False,
        )


def partition_label(context) -> str:
    """The step's partition as the UI shows it: a key, or `first..last` for a range."""
    if context.has_partition_key:
        return str(context.partition_key)
    if context.has_partition_key_range:
        key_range = context.partition_key_range
        return f"{key_range.start}..{key_range.end}"
    return "(unpartitioned)"


def partition_key(region: str, market_date: dt.date | str) -> dg.MultiPartitionKey:
    day = market_date if isinstance(market_date, str) else market_date.isoformat()
    return dg.MultiPartitionKey({DATE_DIMENSION: day, REGION_DIMENSION: region})


def _region_dimension_mapping(
    upstream_regions: Sequence[str] | None, downstream_regions: Sequence[str] | None
) -> dg.PartitionMapping:
    if upstream_regions is None or list(upstream_regions) == list(downstream_regions or []):
        return dg.IdentityPartitionMapping()
    common = [r for r in downstream_regions or [] if r in upstream_regions]
    return dg.StaticPartitionMapping({r: r for r in common})


def day_window_mapping(
    start_offset: int,
    end_offset: int,
    upstream_regions: Sequence[str] | None = None,
    downstream_regions: Sequence[str] | None = None,
) -> dg.MultiPartitionMapping:
    """Same region, market days D+start_offset .. D+end_offset (inclusive) of the upstream asset.

    E.g. `day_window_mapping(-56, -2)` gives the model for day D the 55 days D-56..D-2.
    """
    with warnings.catch_warnings():  # both are stable in use; marked beta by Dagster 1.13
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _window_mapping(start_offset, end_offset, upstream_regions, downstream_regions)


def _window_mapping(
    start_offset: int,
    end_offset: int,
    upstream_regions: Sequence[str] | None,
    downstream_regions: Sequence[str] | None,
) -> dg.MultiPartitionMapping:
    return dg.MultiPartitionMapping(
        {
            DATE_DIMENSION: dg.DimensionPartitionMapping(
                DATE_DIMENSION,
                dg.TimeWindowPartitionMapping(
                    start_offset=start_offset,
                    end_offset=end_offset,
                    allow_nonexistent_upstream_partitions=True,
                ),
            ),
            REGION_DIMENSION: dg.DimensionPartitionMapping(
                REGION_DIMENSION, _region_dimension_mapping(upstream_regions, downstream_regions)
            ),
        }
    )


def same_day_mapping(
    upstream_regions: Sequence[str] | None = None, downstream_regions: Sequence[str] | None = None
) -> dg.MultiPartitionMapping:
    """Same market day and region, explicit about a differing region list."""
    return day_window_mapping(0, 0, upstream_regions, downstream_regions)


def all_regions_same_day_mapping() -> dg.MultiPartitionMapping:
    """Same market day, every region of the upstream asset (for decisions across regions)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.MultiPartitionMapping(
            {
                DATE_DIMENSION: dg.DimensionPartitionMapping(
                    DATE_DIMENSION, dg.TimeWindowPartitionMapping(start_offset=0, end_offset=0)
                ),
                REGION_DIMENSION: dg.DimensionPartitionMapping(
                    REGION_DIMENSION, dg.AllPartitionMapping()
                ),
            }
        )
