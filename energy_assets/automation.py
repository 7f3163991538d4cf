"""Automation that runs itself, and freshness that shows when it did not: all of it turned on
by one setting, `ENERGY_ASSETS_AUTOMATION=1` (default off: tests, the command line and the
offline main job run exactly what they are asked to).

When on (`energy_assets/definitions.py` applies it to every asset spec, so no asset file names
it):

- raw: each feed's schedule (`defs/jobs.py`) runs on its own, at its provider's publication time
  (`PUBLICATION`), fetching yesterday's market day for every region the feed serves.
- every other region-day asset (harmonized, features, reconciliation, models, forecasts,
  dispatch, evaluation scores) is `ON_INPUTS`: Dagster's `AutomationCondition.eager()` over the
  recent market days: a day is built once its declared inputs of that day are stored, and again
  when they change.
- `dispatch/compute_job_placement` (reads every region's forecast of the day) and the
  unpartitioned reports run once a day at fixed UTC times, after every region's forecasts are due
  (`ONCE_EVERY_REGION_IS_DUE`, `DAILY_ROLLUP`).
- the PVWatts typical-year profile (group `solar`, `ON_DEMAND_GROUPS`) is built when a user asks
  (`pv_profile_job`): no condition, no freshness check (a typical year is never late).
- every other asset gets a `freshness` check, run hourly by the same automation: failed (severity
  WARN) while a region's due market day is not stored, with a table of every region, the day due,
  its deadline in the region's own clock and when it landed (`DEADLINES`).

Deadlines are what this graph can meet, not the operational day-ahead deadline: a forecast for D
is issued as of D-1 12:00 local (`features/load.py`), but its features wait for D's grid
(declared same-day inputs, see `partitions.py`), which the providers publish on D+1. So the
forecast for D is due D+1, not D-1 14:00.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import dagster as dg

from energy_assets.partitions import DATE_DIMENSION, REGION_DIMENSION, partition_key
from energy_assets.regions import region

AUTOMATION_ENV = "ENERGY_ASSETS_AUTOMATION"


def enabled() -> bool:
    """`ENERGY_ASSETS_AUTOMATION` is 1 / true / yes / on."""
    return os.environ.get(AUTOMATION_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Deadline:
    """Market day D must be stored by D + `days_after` at `local_time`, on the region's clock."""

    days_after: int
    local_time: dt.time

    def due_day(self, now: dt.datetime, timezone: str) -> dt.date:
        """The latest market day whose deadline has passed at `now`."""
        local = now.astimezone(ZoneInfo(timezone))
        passed_today = local.time() >= self.local_time
        return local.date() - dt.timedelta(days=self.days_after + (0 if passed_today else 1))

    def deadline(self, day: dt.date, timezone: str) -> dt.datetime:
        when = day + dt.timedelta(days=self.days_after)
        return dt.datetime.combine(when, self.local_time, ZoneInfo(timezone))

    def __str__(self) -> str:
        return f"D{self.days_after:+d} {self.local_time:%H:%M} local"


@dataclass(frozen=True)
class Publication:
    """When a provider's market day D is out, when we fetch it, and when it must be stored."""

    cron: str  # the raw schedules' cron, in `timezone`
    timezone: str
    deadline: Deadline
    why: str
    # the market day a tick fetches, relative to the tick's date in `timezone`: -1 yesterday's
    # (published after the day), +1 tomorrow's (a forecast, fetched before our issue time)
    day_offset: int = -1


PUBLICATION = {
    "caiso_outlook": Publication(
        cron="30 0 * * *",
        timezone="America/Los_Angeles",
        deadline=Deadline(1, dt.time(2)),
        why="Today's Outlook's CSVs grow every 5 minutes through the Pacific day: complete"
        " after local midnight",
    ),
    "eia930": Publication(
        cron="0 9 * * *",
        timezone="America/New_York",
        deadline=Deadline(1, dt.time(12)),
        why="Form EIA-930 has balancing authorities post the prior day's hourly demand, net"
        " generation and interchange by 07:00 Eastern; EIA's API serves it after",
    ),
    "gfs_regional": Publication(
        cron="0 14 * * *",
        timezone="UTC",
        deadline=Deadline(-1, dt.time(12)),
        why="a weather FORECAST for tomorrow's market day, fetched at 14:00 UTC (06:00 Pacific,"
        " 09:00-10:00 Eastern): before every US region's issue time, D-1 12:00 local",
        day_offset=1,
    ),
    "neso": Publication(
        cron="0 9 * * *",
        timezone="Europe/London",
        deadline=Deadline(1, dt.time(12)),
        why="the NESO data portal's Demand Data Update carries the previous settlement day's"
        " outturn by the morning (updated through the day)",
    ),
    "uk_carbon_intensity": Publication(
        cron="0 6 * * *",
        timezone="Europe/London",
        deadline=Deadline(1, dt.time(12)),
        why="the Carbon Intensity API's actual for a half-hour follows the half-hour; the whole"
        " previous day is in by the morning",
    ),
    # the ISOs' own feeds (registry.ISO_PROVIDERS): the times each ISO posts the previous day
    "caiso_oasis": Publication(
        cron="0 2 * * *",
        timezone="America/Los_Angeles",
        deadline=Deadline(1, dt.time(4)),
        why="OASIS serves the day-ahead market's prices and forecasts the day before, and the"
        " real-time market's 5-minute prices as they clear: yesterday's are whole after midnight",
    ),
    "caiso_renewables_watch": Publication(
        cron="0 2 * * *",
        timezone="America/Los_Angeles",
        deadline=Deadline(1, dt.time(4)),
        why="the Daily Renewables Watch file of a day is posted the morning after it; CAISO"
        " replaces it when its data are revised",
    ),
    "isone": Publication(
        cron="0 2 * * *",
        timezone="America/New_York",
        deadline=Deadline(1, dt.time(6)),
        why="ISO Express web services hold the previous day's load, fuel mix and every forecast"
        " vintage of it after the day ends",
    ),
    "nyiso": Publication(
        cron="0 2 * * *",
        timezone="America/New_York",
        deadline=Deadline(1, dt.time(6)),
        why="NYISO's MIS posts each day's CSVs (prices, load, fuel mix, forecasts) through the"
        " day; the day's files are final shortly after midnight Eastern",
    ),
    "pjm": Publication(
        cron="0 3 * * *",
        timezone="America/New_York",
        deadline=Deadline(1, dt.time(8)),
        why="Data Miner 2 carries yesterday's day-ahead and real-time LMPs, fuel mix and"
        " forecast vintages after the day ends (its real-time prices verified later)",
    ),
    "spp": Publication(
        cron="0 3 * * *",
        timezone="America/Chicago",
        deadline=Deadline(1, dt.time(8)),
        why="the Marketplace portal's day-ahead LMP file is posted the day before, the"
        " real-time balancing market's daily file after the day",
    ),
    "ercot": Publication(
        cron="0 3 * * *",
        timezone="America/Chicago",
        deadline=Deadline(1, dt.time(8)),
        why="ERCOT's public API lists every load, wind and solar forecast vintage posted on a"
        " day (hourly): the day's are all there after midnight Central",
    ),
    "bpa": Publication(
        cron="0 4 * * *",
        timezone="America/Los_Angeles",
        deadline=Deadline(1, dt.time(8)),
        why="BPA's balancing-authority file carries the last days' 5-minute load, generation"
        " and interchange; yesterday is whole after midnight Pacific",
    ),
    "miso": Publication(
        cron="0 20 * * *",
        timezone="Etc/GMT+5",
        deadline=Deadline(0, dt.time(23)),
        why="MISO's wind and solar forecast is today's run, not kept as history: fetched the"
        " same day (its partition is the issue day)",
        day_offset=0,
    ),
    "neso_forecasts": Publication(
        cron="0 18 * * *",
        timezone="Europe/London",
        deadline=Deadline(-1, dt.time(20)),
        why="NESO publishes its day-ahead and 2-14 day demand forecasts daily between 16:15 and"
        " 17:00 UK time: at 18:00 every vintage of tomorrow's target day is out (its partition"
        " is the target day)",
        day_offset=1,
    ),
}

# Providers that publish every half-hour: a half-hourly publication sensor requests their raw
# feeds (the day so far, once per half-hour; each finished day once more) instead of a daily
# schedule (`defs/publication_sensors.py`, `half_hourly_sensor`)
HALF_HOURLY_PROVIDERS = frozenset({"uk_carbon_intensity"})

# Feeds published on a schedule of their own, unlike their provider's other feeds (by asset name)
FEED_PUBLICATION = {
    "ercot_as_reports": Publication(
        cron="0 6 * * *",
        timezone="America/Chicago",
        deadline=Deadline(2, dt.time(12)),
        why="ERCOT posts the 2-Day Ancillary Services Reports of operating day D two days later"
        " (D+2)",
        day_offset=-2,
    ),
}


def publication(provider: str, feed_name: str | None = None) -> Publication:
    """When a feed publishes: its own entry (`FEED_PUBLICATION`) or its provider's."""
    own = FEED_PUBLICATION.get(f"{provider}_{feed_name}") if feed_name else None
    return own or PUBLICATION[provider]


CHECK = "freshness"
CHECK_CRON = "5 * * * *"  # freshness checks run hourly, just after the hour's deadlines

# a region-day asset's deadline, by layer (its group); raw assets' come from PUBLICATION
DEADLINES = {
    "harmonized": Deadline(1, dt.time(13)),
    "features": Deadline(1, dt.time(13)),
    "reconciliation": Deadline(1, dt.time(13)),
    "models": Deadline(1, dt.time(15)),
    "forecasts": Deadline(1, dt.time(15)),
    "dispatch": Deadline(1, dt.time(16)),
    "evaluation": Deadline(1, dt.time(16)),
    # the ISOs' own harmonized tables (defs/iso.py): after their raw feeds (D+1 04:00-08:00)
    "iso": Deadline(1, dt.time(12)),
}

# assets that read every region's forecast of the day: run once a day, when every region's
# forecasts are due, not when their own region's lands
CROSS_REGION_KEYS = (dg.AssetKey(["dispatch", "compute_job_placement"]),)
CROSS_REGION_CRON = "0 21 * * *"  # UTC: after 15:00 local in every US region, DST or not
CROSS_REGION_DEADLINE = Deadline(1, dt.time(18))
ROLLUP_CRON = "0 22 * * *"  # UTC, the unpartitioned reports
ROLLUP_DEADLINE = dt.time(23)  # UTC: a report is fresh if built in the day before the last one

# how far back (from the end of the date dimension, which runs one day past today) automation
# looks: market day D is built on D+1, three days before that end
RECENT = dt.timedelta(days=3)
_RECENT_DAYS = dg.AutomationCondition.in_latest_time_window(RECENT)

ON_INPUTS = (
    dg.AutomationCondition.eager()
    .replace("in_latest_time_window", _RECENT_DAYS)
    .with_label("eager, recent days")
)
ONCE_EVERY_REGION_IS_DUE = (
    _RECENT_DAYS
    & dg.AutomationCondition.cron_tick_passed(CROSS_REGION_CRON).since_last_handled()
    & dg.AutomationCondition.missing()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label(f"once a day ({CROSS_REGION_CRON} UTC), recent days not built")
DAILY_ROLLUP = (
    dg.AutomationCondition.cron_tick_passed(ROLLUP_CRON).since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label(f"daily ({ROLLUP_CRON} UTC)")


# groups built when a user asks, never by automation and never late: the PVWatts typical-year
# profile (`defs/solar.py`, one live request per region; nothing reads it unless a run asks)
ON_DEMAND_GROUPS = frozenset({"solar"})


def condition_for(spec: dg.AssetSpec) -> dg.AutomationCondition | None:
    if spec.group_name == "raw":
        return None  # the raw schedules (defs/jobs.py) fetch on the providers' times
    if spec.group_name in ON_DEMAND_GROUPS:
        return None
    if spec.key in CROSS_REGION_KEYS:
        return ONCE_EVERY_REGION_IS_DUE
    if spec.partitions_def is None:
        return DAILY_ROLLUP
    return ON_INPUTS


def with_conditions(spec: dg.AssetSpec) -> dg.AssetSpec:
    condition = condition_for(spec)
    return spec if condition is None else spec.replace_attributes(automation_condition=condition)


def _raw_deadline(key: dg.AssetKey) -> Deadline:
    from energy_assets.sources.registry import FEEDS

    for feed in FEEDS:
        if key.path[-1] == feed.asset_name:
            return publication(feed.provider, feed.name).deadline
    raise KeyError(f"no feed for raw asset {key.to_user_string()}")


def deadline_for(key: dg.AssetKey, group: str | None) -> Deadline | None:
    """A region-day asset's deadline; None for an unpartitioned one (see `ROLLUP_DEADLINE`)."""
    if group == "raw":
        return _raw_deadline(key)
    if key in CROSS_REGION_KEYS:
        return CROSS_REGION_DEADLINE
    return DEADLINES.get(group or "")


def _clock() -> dt.datetime:
    """Now (the tests freeze it)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class _Target:
    key: dg.AssetKey
    deadline: Deadline | None  # None: unpartitioned, due daily by ROLLUP_DEADLINE (UTC)
    regions: tuple[str, ...] = ()
    first_date: dt.date | None = None


# groups built from a finished file, never late: no freshness check (the epftoolbox prices)
REPLAY_ONLY_GROUPS = frozenset({"prices"})


def _targets(assets: Iterable[dg.AssetsDefinition]) -> list[_Target]:
    out = []
    for assets_def in assets:
        for key in assets_def.keys:
            spec = assets_def.specs_by_key[key]
            if spec.group_name in REPLAY_ONLY_GROUPS | ON_DEMAND_GROUPS:
                continue
            partitions = spec.partitions_def
            if partitions is None:
                out.append(_Target(key, None))
                continue
            if not isinstance(partitions, dg.MultiPartitionsDefinition):
                continue
            deadline = deadline_for(key, spec.group_name)
            if deadline is None:
                continue
            days = partitions.get_partitions_def_for_dimension(DATE_DIMENSION)
            regions = partitions.get_partitions_def_for_dimension(REGION_DIMENSION)
            out.append(
                _Target(
                    key,
                    deadline,
                    tuple(regions.get_partition_keys()),
                    days.start.date(),  # type: ignore[attr-defined]
                )
            )
    return out


def _landed(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str | None):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=key, asset_partitions=[partition] if partition is not None else None
        ),
        limit=1,
    ).records
    return dt.datetime.fromtimestamp(records[0].timestamp, dt.UTC) if records else None


def _local(when: dt.datetime | None, timezone: str) -> str:
    return "" if when is None else when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def region_day_result(
    instance: dg.DagsterInstance, target: _Target, now: dt.datetime
) -> dg.AssetCheckResult:
    """Failed while any region's due market day (per the deadline) is not stored."""
    deadline = target.deadline
    assert deadline is not None
    rows, late = [], []
    for code in target.regions:
        zone = region(code).timezone
        day = deadline.due_day(now, zone)
        if target.first_date is not None and day < target.first_date:
            continue
        landed = _landed(instance, target.key, str(partition_key(code, day.isoformat())))
        due = deadline.deadline(day, zone)
        status = "late" if landed is None else ("on time" if landed <= due else "landed late")
        if landed is None:
            late.append(f"{code} {day.isoformat()} (due {_local(due, zone)})")
        rows.append(
            dg.TableRecord(
                {
                    "region": code,
                    "market_day": day.isoformat(),
                    "due_local": _local(due, zone),
                    "status": status,
                    "stored_local": _local(landed, zone),
                }
            )
        )
    description = (
        f"Not stored by {deadline}: " + "; ".join(late)
        if late
        else f"Every region's market day due by {deadline} is stored."
    )
    return dg.AssetCheckResult(
        asset_key=target.key,
        check_name=CHECK,
        passed=not late,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "deadline": str(deadline),
            "regions": dg.MetadataValue.table(
                rows,
                schema=dg.TableSchema(
                    columns=[
                        dg.TableColumn("region", "string"),
                        dg.TableColumn("market_day", "string", description="D"),
                        dg.TableColumn("due_local", "string", description="the region's clock"),
                        dg.TableColumn("status", "string"),
                        dg.TableColumn("stored_local", "string", description="when it landed"),
                    ]
                ),
            ),
            "late_regions": len(late),
        },
    )


def rollup_result(
    instance: dg.DagsterInstance, target: _Target, now: dt.datetime
) -> dg.AssetCheckResult:
    """Failed while an unpartitioned asset has not been built since the deadline before last."""
    due = dt.datetime.combine(now.astimezone(dt.UTC).date(), ROLLUP_DEADLINE, dt.UTC)
    if due > now:
        due -= dt.timedelta(days=1)
    since = due - dt.timedelta(days=1)
    landed = _landed(instance, target.key, None)
    passed = landed is not None and landed >= since
    return dg.AssetCheckResult(
        asset_key=target.key,
        check_name=CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"Built {landed:%Y-%m-%d %H:%M} UTC, within the day before {due:%Y-%m-%d %H:%M} UTC."
            if passed
            else f"Not built between {since:%Y-%m-%d %H:%M} and {due:%Y-%m-%d %H:%M} UTC"
            f" (daily at {ROLLUP_CRON} UTC)."
        ),
        metadata={"last_built_utc": landed.strftime("%Y-%m-%d %H:%M") if landed else "never"},
    )


def freshness_checks(assets: Sequence[dg.AssetsDefinition]) -> dg.AssetChecksDefinition:
    """One `freshness` check per asset (one op, any subset of them per run), run hourly by the
    automation sensor (`CHECK_CRON`)."""
    targets = {t.key: t for t in _targets(assets)}
    every_hour = dg.AutomationCondition.cron_tick_passed(CHECK_CRON)
    specs = [
        dg.AssetCheckSpec(
            CHECK,
            asset=key,
            description=(
                f"Each region's market day D is stored by {t.deadline} (the region's clock)."
                if t.deadline
                else f"Built in the day before each {ROLLUP_DEADLINE:%H:%M} UTC."
            ),
            automation_condition=every_hour,
        )
        for key, t in targets.items()
    ]

    @dg.multi_asset_check(specs=specs, can_subset=True, name="freshness_checks")
    def _freshness(context):  # an AssetCheckExecutionContext (a string annotation is refused)
        now = _clock()
        for check_key in context.selected_asset_check_keys:
            target = targets[check_key.asset_key]
            if target.deadline is None:
                yield rollup_result(context.instance, target, now)
            else:
                yield region_day_result(context.instance, target, now)

    return _freshness


def automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """Evaluates every automation condition (assets and freshness checks); running by default."""
    return dg.AutomationConditionSensorDefinition(
        "energy_assets_automation",
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=60,
    )


def apply(
    assets: Sequence[dg.AssetsDefinition],
) -> tuple[list[dg.AssetsDefinition], dg.AssetChecksDefinition, dg.SensorDefinition]:
    """`assets` with their automation conditions, their freshness checks, the sensor."""
    automated = [a.map_asset_specs(with_conditions) for a in assets]
    return automated, freshness_checks(automated), automation_sensor()
