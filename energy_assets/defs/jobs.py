"""Jobs, the schedules and the sensor.

- `raw_<provider>_<feed>_job`: one raw feed for one region and market day (feeds have their own
  partitions: the regions their provider serves, from its first day), one job per feed.
- `ingest_job`: harmonized -> features for one region and market day, from the raw feeds stored.
- `day_ahead_job`: model -> forecasts -> dispatch -> evaluation for one region and market day.
- `load_day_ahead_job`: the load part of `day_ahead_job` (models, forecasts, score).
- `cross_region_job`: decisions that read every region's forecasts of the day (compute jobs).
- `report_job`: `evaluation/load_forecast_report` and `evaluation/carbon_forecast_report`,
  every scored day rolled up.
- `price_ingest_job`, `price_job`, `price_report_job`: the day-ahead price assets (group
  `prices`, partitioned by market day x market, `defs/prices.py`): raw -> harmonized; features
  -> models -> forecasts -> score; the report.
- `reconciliation_job`: `reconciliation/demand_outlook_vs_eia930` for one region and market day,
  from the two raw demand feeds stored.
- `raw_<provider>_<feed>_schedule`: every morning, yesterday's market day for every region the
  feed serves (06:00 UTC, after the Pacific day has ended); `daily_ingest_schedule` half an hour
  later, yesterday for every region.
- `day_ahead_sensor`: when `features/carbon_features` (the last asset of an ingest run, built
  from `features/load_features`) is materialized for a day that has day-ahead partitions,
  request `day_ahead_job` for the same region and day.
"""

import datetime as dt

import dagster as dg

from energy_assets.defs import prices
from energy_assets.defs.harmonized import GRID_PARTITIONS
from energy_assets.defs.raw import feed_regions, raw_key
from energy_assets.defs.reconciliation import DEMAND_KEY as RECONCILED_DEMAND
from energy_assets.layers import DAY_AHEAD_LAYERS, INGEST_LAYERS, raw_job_name
from energy_assets.partitions import FIRST_DAY_AHEAD_DATE, partition_key
from energy_assets.sources.feeds import Feed
from energy_assets.sources.registry import FEEDS

INGEST_GROUPS = tuple(layer for layer in INGEST_LAYERS if layer != "raw")
DAY_AHEAD_GROUPS = DAY_AHEAD_LAYERS

RAW_JOBS = {
    feed.asset_name: dg.define_asset_job(
        raw_job_name(feed.provider, feed.name),
        selection=dg.AssetSelection.assets(raw_key(feed.provider, feed.name)),
        description=f"Fetch, archive and parse {feed.provider} {feed.name} for one region-day.",
    )
    for feed in FEEDS
}

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups(*INGEST_GROUPS),
    description="Harmonize the stored raw feeds and build features for one region-day.",
)

CROSS_REGION = dg.AssetSelection.assets(dg.AssetKey(["dispatch", "compute_job_placement"]))
REPORTS = dg.AssetSelection.assets(
    dg.AssetKey(["evaluation", "load_forecast_report"]),
    dg.AssetKey(["evaluation", "carbon_forecast_report"]),
)

day_ahead_job = dg.define_asset_job(
    "day_ahead_job",
    selection=dg.AssetSelection.groups(*DAY_AHEAD_GROUPS) - CROSS_REGION - REPORTS,
    description="Train, forecast, schedule and score one region-day.",
)

# The load slice of the day-ahead layers (models, forecasts, score): what `benchmark regions`
# runs over years where a region has demand but no fuel mix (EIA-930 before 2019).
LOAD_DAY_AHEAD = dg.AssetSelection.assets(
    *[
        dg.AssetKey(path)
        for path in (
            ["models", "load_lightgbm"],
            ["models", "load_mlx"],
            ["forecasts", "load_day_ahead_lightgbm"],
            ["forecasts", "load_day_ahead_mlx"],
            ["models", "load_ensemble"],
            ["forecasts", "load_day_ahead"],
            ["evaluation", "load_forecast_score"],
        )
    ]
)

load_day_ahead_job = dg.define_asset_job(
    "load_day_ahead_job",
    selection=LOAD_DAY_AHEAD,
    description="Train, forecast and score day-ahead load (no carbon, no schedules) for one"
    " region-day.",
)

cross_region_job = dg.define_asset_job(
    "cross_region_job",
    selection=CROSS_REGION,
    description="Decisions over every region's day-ahead forecasts (compute-job placement); run "
    "after day_ahead_job has run for every region of the day.",
)

report_job = dg.define_asset_job(
    "report_job",
    selection=REPORTS,
    description="Roll every scored day up per region, year and month (unpartitioned).",
)

reconciliation_job = dg.define_asset_job(
    "reconciliation_job",
    selection=dg.AssetSelection.assets(RECONCILED_DEMAND),
    description="CAISO demand, Today's Outlook against EIA-930, for one region-day (reads both"
    " raw demand feeds stored).",
)


# The price assets have their own partitions (market day x market): jobs of their own.
price_ingest_job = dg.define_asset_job(
    "price_ingest_job",
    selection=dg.AssetSelection.assets(prices.RAW, prices.PRICES, prices.EXOGENOUS),
    description="Read, archive and harmonize a market's day-ahead prices and exogenous"
    " forecasts for market-days (a range in one run: the file is parsed once).",
)
price_job = dg.define_asset_job(
    "price_job",
    selection=dg.AssetSelection.assets(
        prices.FEATURES,
        prices.LEAR,
        prices.LIGHTGBM,
        prices.MLX,
        prices.MEMBERS,
        prices.ENSEMBLE,
        prices.DAY_AHEAD,
        prices.SCORE,
    ),
    description="Price features, models, member forecasts, ensemble, P10/P50/P90 forecast and"
    " score for market-days (after price_ingest_job for the days and their history).",
)
price_report_job = dg.define_asset_job(
    "price_report_job",
    selection=dg.AssetSelection.assets(prices.REPORT),
    description="Roll every scored price day up per market and forecaster (unpartitioned).",
)
PRICE_JOBS = (price_ingest_job, price_job, price_report_job)


def _raw_schedule(feed: Feed) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{raw_job_name(feed.provider, feed.name).removesuffix('_job')}_schedule",
        job=RAW_JOBS[feed.asset_name],
        cron_schedule="0 6 * * *",
        execution_timezone="UTC",
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        day = (context.scheduled_execution_time.date() - dt.timedelta(days=1)).isoformat()
        for code in feed_regions(feed):
            key = partition_key(code, day)
            yield dg.RunRequest(run_key=f"{feed.asset_name}:{key}", partition_key=key)

    return _schedule


RAW_SCHEDULES = [_raw_schedule(feed) for feed in FEEDS]


@dg.schedule(job=ingest_job, cron_schedule="30 6 * * *", execution_timezone="UTC")
def daily_ingest_schedule(context: dg.ScheduleEvaluationContext):
    """Yesterday's market day, for every region served."""
    day = (context.scheduled_execution_time.date() - dt.timedelta(days=1)).isoformat()
    regions = GRID_PARTITIONS.get_partitions_def_for_dimension("region").get_partition_keys()
    for code in regions:
        key = partition_key(code, day)
        yield dg.RunRequest(run_key=f"ingest:{key}", partition_key=key)


@dg.asset_sensor(
    # carbon_features reads load_features: once it lands, both feature tables of the day exist
    asset_key=dg.AssetKey(["features", "carbon_features"]),
    job=day_ahead_job,
    minimum_interval_seconds=60,
)
def day_ahead_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """Features for (region, D) landed: train, forecast, schedule and score (region, D)."""
    key = asset_event.dagster_event.partition if asset_event.dagster_event else None
    if key is None:
        return dg.SkipReason("materialization without a partition")
    multi = dg.MultiPartitionKey(GRID_PARTITIONS.get_partition_key_from_str(key).keys_by_dimension)
    if multi.keys_by_dimension["date"] < FIRST_DAY_AHEAD_DATE:
        return dg.SkipReason(f"{key}: before the first day-ahead day {FIRST_DAY_AHEAD_DATE}")
    return dg.RunRequest(run_key=f"day_ahead:{key}", partition_key=multi)
