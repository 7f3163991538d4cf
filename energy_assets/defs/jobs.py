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
- `iso_prices_job`, `iso_forecasts_job`: `harmonized/lmp_hourly` and
  `harmonized/operator_forecasts` (group `iso`, `defs/iso.py`) for one region-day, from the
  ISOs' raw feeds stored.
- `iso_grid_job`: `harmonized/iso_grid_hourly` (group `iso`, `defs/iso_grid.py`) for one
  region-day, from the ISO's raw fuel-mix and load feeds stored.
- `iso_demand_reconciliation_job`: `reconciliation/iso_demand_vs_eia930` for one region-day
  (ISO-NE, NYISO, BPA), from `harmonized/iso_grid_hourly` and raw/eia930_region_data stored.
- `reconciliation_job`: `reconciliation/demand_outlook_vs_eia930` and
  `reconciliation/carbon_outlook_vs_eia930` for one region and market day, from the raw demand
  and fuel-mix feeds stored.
- `raw_<provider>_<feed>_schedule`: the market day a feed publishes (yesterday's; tomorrow's for a
  forecast) for every region the feed serves, at
  the provider's publication time (`energy_assets/automation.py`, `PUBLICATION`: CAISO 00:30
  Pacific, EIA-930 09:00 Eastern; the weather forecast for tomorrow at 14:00 UTC); running by
  default when `ENERGY_ASSETS_AUTOMATION=1`. The ISOs' own feeds have none: one sensor per ISO
  provider requests their new days instead (`defs/publication_sensors.py`).
- `pv_profile_job` (`defs/solar.py`): `harmonized/pv_profile` for one region (group `solar`,
  partitioned by region only: a PVWatts typical year), read by the VPP fleet with
  `pv_source: pvwatts`.
- `load_ingest_job`, `carbon_ingest_job`, `carbon_day_ahead_job`: the load and carbon slices of
  `ingest_job` and `day_ahead_job` (what `benchmark regions` runs).
- `published_carbon_ingest_job`, `published_carbon_day_ahead_job`: the carbon slice of a
  region whose carbon target is its operator's published intensity, on days without a grid
  (GB from 2023 offline).
- `daily_ingest_schedule`: 15:00 UTC, yesterday for every region (after EIA-930's 09:00 Eastern
  fetch). Stopped by default; with `ENERGY_ASSETS_AUTOMATION=1` the ingest and day-ahead layers
  run on their automation conditions instead.
- `day_ahead_sensor`: when both feature tables of a day (`features/load_features` and
  `features/carbon_features`) are materialized for a day that has day-ahead partitions, request
  `day_ahead_job` for the same region and day.
"""

import datetime as dt
import warnings
from zoneinfo import ZoneInfo

import dagster as dg

from energy_assets import automation
from energy_assets.defs import iso, iso_grid, prices
from energy_assets.defs.harmonized import GRID_PARTITIONS
from energy_assets.defs.raw import feed_regions, raw_key
from energy_assets.defs.reconciliation import CARBON_KEY as RECONCILED_CARBON
from energy_assets.defs.reconciliation import DEMAND_KEY as RECONCILED_DEMAND
from energy_assets.defs.reconciliation import ISO_DEMAND_KEY
from energy_assets.layers import DAY_AHEAD_LAYERS, INGEST_LAYERS, raw_job_name
from energy_assets.partitions import FIRST_DAY_AHEAD_DATE, partition_key
from energy_assets.sources.feeds import Feed
from energy_assets.sources.registry import FEEDS, ISO_PROVIDERS

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
# a module-level list, so that loading the defs folder finds every raw job (it reads lists, not
# dicts)
RAW_JOB_LIST = list(RAW_JOBS.values())

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups(*INGEST_GROUPS),
    description="Harmonize the stored raw feeds and build features for one region-day.",
)

CROSS_REGION = dg.AssetSelection.assets(*automation.CROSS_REGION_KEYS)
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


def _keys(*paths: str) -> dg.AssetSelection:
    return dg.AssetSelection.assets(*[dg.AssetKey(p.split("/")) for p in paths])


# The load and carbon slices of the ingest and day-ahead layers: what `benchmark regions` runs
# over the years where a region has one but not the other (EIA-930 demand to 2019-06, its fuel
# mix from 2019-01 in the offline history).
load_ingest_job = dg.define_asset_job(
    "load_ingest_job",
    selection=_keys(
        "harmonized/grid_hourly",
        "harmonized/operator_load_forecast",
        "harmonized/weather_hourly",
        "features/load_features",
    ),
    description="Harmonize the grid, the operator's forecast and the weather, build the load"
    " features, for one region-day (the load slice of ingest_job).",
)
carbon_ingest_job = dg.define_asset_job(
    "carbon_ingest_job",
    selection=_keys(
        "harmonized/grid_hourly",
        "harmonized/carbon_intensity",
        "harmonized/weather_hourly",
        "features/carbon_features",
        "features/carbon_features_utc",
    ),
    description="Harmonize the grid, the carbon intensity and the weather, build the carbon"
    " features, for one region-day (the carbon slice of ingest_job).",
)
carbon_day_ahead_job = dg.define_asset_job(
    "carbon_day_ahead_job",
    selection=_keys(
        "models/carbon_lightgbm",
        "models/carbon_direct_lightgbm",
        "models/carbon_direct_utc_lightgbm",
        "forecasts/carbon_day_ahead",
        "forecasts/carbon_direct_day_ahead",
        "forecasts/carbon_direct_day_ahead_utc",
        "forecasts/carbon_day_ahead_profile",
        "evaluation/carbon_forecast_score",
    ),
    description="Train, forecast and score day-ahead carbon intensity, lifecycle and direct"
    " (no load, no schedules), for one region-day.",
)

# The carbon slice of a region-day whose carbon target is the operator's own published
# intensity and whose grid is not stored (GB from 2023 offline: the Carbon Intensity API's file,
# no NESO demand; `harmonized/carbon_intensity`'s docstring says when it does without the
# grid): no grid step (it would fail, and skip the rest), and only the assets that region's
# target uses: our forecast of the published intensity and its score (no direct intensity, no
# seasonal profile, no UTC-day protocol: those are of our intensity).
published_carbon_ingest_job = dg.define_asset_job(
    "published_carbon_ingest_job",
    selection=_keys(
        "harmonized/carbon_intensity", "harmonized/weather_hourly", "features/carbon_features"
    ),
    description="Harmonize the published carbon intensity (without the grid) and the weather,"
    " build the carbon features, for one region-day of a region whose carbon target is its"
    " operator's published intensity (GB from 2023).",
)
published_carbon_day_ahead_job = dg.define_asset_job(
    "published_carbon_day_ahead_job",
    selection=_keys(
        "models/carbon_lightgbm", "forecasts/carbon_day_ahead", "evaluation/carbon_forecast_score"
    ),
    description="Train, forecast and score the day-ahead published carbon intensity (GB) against"
    " its seasonal naive and beside the operator's stored short-lead forecast, for one"
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
    selection=dg.AssetSelection.assets(RECONCILED_DEMAND, RECONCILED_CARBON),
    description="CAISO demand and carbon intensity, Today's Outlook against EIA-930, for one"
    " region-day (reads the raw demand and fuel-mix feeds stored).",
)


# The ISOs' own feeds harmonized (group `iso`, `defs/iso.py`): partitions of their own (the
# regions that have ISO price / forecast feeds), so a job each; the raw ISO feeds have theirs.
iso_prices_job = dg.define_asset_job(
    "iso_prices_job",
    selection=dg.AssetSelection.assets(iso.LMP_KEY),
    description="Hourly day-ahead and real-time LMPs per node (harmonized/lmp_hourly) for one"
    " region-day, from the ISO's raw LMP feeds stored.",
)
# The ISO's own demand and fuel mix, and its demand against EIA-930's: partitions of their
# own again (the regions with ISO fuel-mix / load feeds; the reconciliation: those of them with
# a demand feed and EIA-930), so a job each; reconciliation_job keeps its CAISO pair.
iso_grid_job = dg.define_asset_job(
    "iso_grid_job",
    selection=dg.AssetSelection.assets(iso_grid.ISO_GRID_KEY),
    description="The ISO's own demand and generation by fuel, hourly"
    " (harmonized/iso_grid_hourly), for one region-day, from the ISO's raw fuel-mix and load"
    " feeds stored.",
)
iso_demand_reconciliation_job = dg.define_asset_job(
    "iso_demand_reconciliation_job",
    selection=dg.AssetSelection.assets(ISO_DEMAND_KEY),
    description="The ISO's own demand against EIA-930's for one region-day"
    " (reconciliation/iso_demand_vs_eia930; reads harmonized/iso_grid_hourly and"
    " raw/eia930_region_data stored).",
)
iso_forecasts_job = dg.define_asset_job(
    "iso_forecasts_job",
    selection=dg.AssetSelection.assets(iso.FORECASTS_KEY),
    description="Every operator load / wind / solar forecast vintage"
    " (harmonized/operator_forecasts) for one region-day, from the ISO's raw forecast feeds"
    " stored.",
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
        prices.FLEET,
        prices.HOUSEHOLD,
        prices.FLEET_VALUE,
    ),
    description="Price features, models, member forecasts, ensemble, P10/P50/P90 forecast and"
    " score, and the fleet and the household planned on the forecast and valued at the actual"
    " prices, for market-days (after price_ingest_job for the days and their history).",
)
price_report_job = dg.define_asset_job(
    "price_report_job",
    selection=dg.AssetSelection.assets(prices.REPORT),
    description="Roll every scored price day up per market and forecaster (unpartitioned).",
)
PRICE_JOBS = (price_ingest_job, price_job, price_report_job)


_DAY_WORDS = {-2: "The day before yesterday's", -1: "Yesterday's", 0: "Today's", 1: "Tomorrow's"}


def _raw_schedule(feed: Feed, running: bool) -> dg.ScheduleDefinition:
    publication = automation.publication(feed.provider, feed.name)

    @dg.schedule(
        name=f"{raw_job_name(feed.provider, feed.name).removesuffix('_job')}_schedule",
        job=RAW_JOBS[feed.asset_name],
        cron_schedule=publication.cron,
        execution_timezone=publication.timezone,
        description=f"{_DAY_WORDS.get(publication.day_offset, 'The')} market day"
        f" of {feed.asset_name}, every region it serves: {publication.why}.",
        default_status=(
            dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED
        ),
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time.astimezone(ZoneInfo(publication.timezone))
        day = (tick.date() + dt.timedelta(days=publication.day_offset)).isoformat()
        for code in feed_regions(feed):
            key = partition_key(code, day)
            yield dg.RunRequest(run_key=f"{feed.asset_name}:{key}", partition_key=key)

    return _schedule


def raw_schedules(running: bool | None = None) -> list[dg.ScheduleDefinition]:
    """One schedule per feed; running by default when automation is on (`running` None: the
    `ENERGY_ASSETS_AUTOMATION` setting). The ISOs' own feeds have a sensor per provider instead
    (`defs/publication_sensors.py`: a cursor, catch-up after downtime), and so have the
    providers that publish every half-hour (`automation.HALF_HOURLY_PROVIDERS`)."""
    running = automation.enabled() if running is None else running
    sensed = set(ISO_PROVIDERS) | automation.HALF_HOURLY_PROVIDERS
    return [_raw_schedule(feed, running) for feed in FEEDS if feed.provider not in sensed]


RAW_SCHEDULES = raw_schedules()


@dg.schedule(job=ingest_job, cron_schedule="0 15 * * *", execution_timezone="UTC")
def daily_ingest_schedule(context: dg.ScheduleEvaluationContext):
    """Yesterday's market day, for every region served."""
    day = (context.scheduled_execution_time.date() - dt.timedelta(days=1)).isoformat()
    regions = GRID_PARTITIONS.get_partitions_def_for_dimension("region").get_partition_keys()
    for code in regions:
        key = partition_key(code, day)
        yield dg.RunRequest(run_key=f"ingest:{key}", partition_key=key)


_DAY_FEATURES = [
    dg.AssetKey(["features", "load_features"]),
    dg.AssetKey(["features", "carbon_features"]),
]


# Dagster 1.13 marks multi-asset sensors superseded by declarative automation, which this
# project also offers (off by default); the sensor stays for those who switch it on in the UI.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.SupersessionWarning)

    @dg.multi_asset_sensor(
        monitored_assets=_DAY_FEATURES, job=day_ahead_job, minimum_interval_seconds=60
    )
    def day_ahead_sensor(context: dg.MultiAssetSensorEvaluationContext):
        """Both feature tables of (region, D) landed: train, forecast, schedule and score (region, D).
        A day with only one of them so far (the other's step still running, or failed) waits."""
        requests, early = [], []
        records = context.latest_materialization_records_by_partition_and_asset()
        for key, by_asset in sorted(records.items()):
            if len(by_asset) < len(_DAY_FEATURES):
                continue
            context.advance_cursor(dict(by_asset))
            multi = dg.MultiPartitionKey(
                GRID_PARTITIONS.get_partition_key_from_str(key).keys_by_dimension
            )
            if multi.keys_by_dimension["date"] < FIRST_DAY_AHEAD_DATE:
                early.append(key)
                continue
            requests.append(dg.RunRequest(run_key=f"day_ahead:{key}", partition_key=multi))
        if requests:
            return requests
        if early:
            return dg.SkipReason(
                f"{', '.join(early)}: before the first day-ahead day {FIRST_DAY_AHEAD_DATE}"
            )
        return dg.SkipReason("no day with both feature tables new")
