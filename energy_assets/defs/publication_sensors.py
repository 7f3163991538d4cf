"""One sensor per ISO provider (`registry.ISO_PROVIDERS`): `<provider>_publication_sensor`
requests the raw runs of each new (region, market day) once the provider has published it.

The other providers' raw feeds run on schedules (`defs/jobs.py`, `raw_<provider>_<feed>_schedule`)
at their publication times. For the ISO providers a sensor replaces those schedules (they have
none), because a schedule only requests the day of its tick: a tick missed while the daemon was
down is a day never fetched, and nothing says so. The sensor instead:

- evaluates at most every `MINIMUM_INTERVAL_S` and, per feed, works out the latest market day
  the provider has published by now (`automation.publication`: its cron's time of day on the
  provider's clock, with the feed's `day_offset`: ERCOT's AS reports two days after their day,
  MISO's forecast the same day);
- keeps a cursor (JSON: feed -> region -> the last market day requested), so nothing is
  requested twice, also across daemon restarts (run keys `<feed>:<partition>` guard again);
- catches up: after downtime, every day after the cursor up to the published one is requested,
  at most `CATCH_UP_DAYS` back (older gaps are a backfill's job: the skip reason says so); the
  first evaluation requests only the latest published day (history is a backfill, not a tick).

Providers that publish every half-hour (`automation.HALF_HOURLY_PROVIDERS`: the GB Carbon
Intensity API) get `half_hourly_sensor` instead of a daily schedule; see its docstring.

Running by default with `ENERGY_ASSETS_AUTOMATION=1`, stopped otherwise (as the schedules).
"""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import dagster as dg

from energy_assets import automation
from energy_assets.defs.jobs import RAW_JOBS
from energy_assets.defs.raw import feed_regions
from energy_assets.layers import raw_job_name
from energy_assets.partitions import partition_key
from energy_assets.regions import region
from energy_assets.sources.feeds import Feed
from energy_assets.sources.registry import ISO_PROVIDERS, PROVIDERS

CATCH_UP_DAYS = 7
MINIMUM_INTERVAL_S = 600
HALF_HOUR = dt.timedelta(minutes=30)
HALF_HOURLY_INTERVAL_S = 300  # evaluated every 5 minutes: a half-hour is requested within 5


def _daily_time(cron: str) -> dt.time:
    """The time of day of a daily cron (`M H * * *`)."""
    minute, hour, *rest = cron.split()
    if rest != ["*", "*", "*"] or not (minute.isdigit() and hour.isdigit()):
        raise ValueError(f"a publication sensor needs a daily cron 'M H * * *', got {cron!r}")
    return dt.time(int(hour), int(minute))


def published_day(feed: Feed, now: dt.datetime) -> dt.date:
    """The latest market day of `feed` its provider has published at `now`: the day its last
    publication time (the cron's time of day, on the provider's clock) fetches."""
    publication = automation.publication(feed.provider, feed.name)
    local = now.astimezone(ZoneInfo(publication.timezone))
    tick = (
        local.date()
        if local.time() >= _daily_time(publication.cron)
        else local.date() - (dt.timedelta(days=1))
    )
    return tick + dt.timedelta(days=publication.day_offset)


def _days(after: dt.date | None, through: dt.date, first: dt.date) -> tuple[list[dt.date], int]:
    """The days to request after the cursor day `after` through `through` (at most
    CATCH_UP_DAYS), and how many older days were skipped."""
    start = through if after is None else after + dt.timedelta(days=1)
    earliest = max(first, through - dt.timedelta(days=CATCH_UP_DAYS - 1))
    skipped = max(0, (min(earliest, through + dt.timedelta(days=1)) - start).days)
    start = max(start, earliest)
    return [start + dt.timedelta(days=i) for i in range((through - start).days + 1)], skipped


def _provider_sensor(provider: str, running: bool, interval_s: int, description: str):
    """The `@dg.sensor` of `<provider>_publication_sensor`: the provider's raw jobs, its
    interval and default status."""
    return dg.sensor(
        name=f"{provider}_publication_sensor",
        jobs=[RAW_JOBS[f.asset_name] for f in PROVIDERS[provider]],
        minimum_interval_seconds=interval_s,
        default_status=(
            dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED
        ),
        description=description,
    )


def _run_request(feed: Feed, code: str, day: dt.date, run_key: str) -> dg.RunRequest:
    """The raw run of `feed` for (`code`, `day`); `run_key` may hold `{key}` (the partition)."""
    key = partition_key(code, day.isoformat())
    return dg.RunRequest(
        run_key=run_key.format(key=key),
        job_name=raw_job_name(feed.provider, feed.name),
        partition_key=key,
    )


def _outcome(context, cursor: dict, requests: list, skipped: list[str], nothing: str):
    """Store the cursor, warn of the days skipped, and return the requests (or why none)."""
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    if skipped:
        context.log.warning(
            "not requested (older than the catch-up window; backfill them): " + "; ".join(skipped)
        )
    return requests or dg.SkipReason(nothing)


def publication_sensor(provider: str, running: bool) -> dg.SensorDefinition:
    feeds = ISO_PROVIDERS[provider]

    @_provider_sensor(
        provider,
        running,
        MINIMUM_INTERVAL_S,
        f"Each new (region, market day) of {provider}'s raw feeds once published"
        f" ({automation.publication(provider).why}); a cursor so nothing is requested twice,"
        f" catching up to {CATCH_UP_DAYS} days after downtime.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        now = automation._clock()
        cursor: dict[str, dict[str, str]] = json.loads(context.cursor) if context.cursor else {}
        requests, skipped = [], []
        for feed in feeds:
            through = published_day(feed, now)
            first = dt.date.fromisoformat(feed.first_date)
            done = cursor.setdefault(feed.asset_name, {})
            for code in feed_regions(feed):
                after = dt.date.fromisoformat(done[code]) if code in done else None
                if through < first or (after is not None and after >= through):
                    continue
                days, older = _days(after, through, first)
                if older:
                    skipped.append(f"{feed.asset_name} {code}: {older} day(s) before {days[0]}")
                run_key = f"{feed.asset_name}:{{key}}"
                requests += [_run_request(feed, code, day, run_key) for day in days]
                done[code] = through.isoformat()
        return _outcome(
            context,
            cursor,
            requests,
            skipped,
            f"no new market day of {provider} published by {now:%Y-%m-%d %H:%M} UTC",
        )

    return _sensor


def half_hour_slot(now: dt.datetime) -> dt.datetime:
    """The UTC half-hour `now` falls in (its start)."""
    now = now.astimezone(dt.UTC)
    return now.replace(minute=now.minute - now.minute % 30, second=0, microsecond=0)


def _open_days(code: str, now: dt.datetime) -> list[dt.date]:
    """The market days of `code` still taking half-hours at `now`: the local day of the last
    published half-hour (the one that ended by now) and today's (two around local midnight)."""
    zone = region(code).timezone
    last = (half_hour_slot(now) - HALF_HOUR).astimezone(ZoneInfo(zone)).date()
    today = now.astimezone(ZoneInfo(zone)).date()
    return sorted({last, today})


def half_hourly_sensor(provider: str, running: bool) -> dg.SensorDefinition:
    """`<provider>_publication_sensor` for a provider that publishes every half-hour (the GB
    Carbon Intensity API: each half-hour's actual intensity and generation mix follow it).

    A (region, market day) partition of such a feed grows through its day, so one request per
    day (the ISO sensors' rule) would either wait a whole day or store a partial day for good.
    This sensor requests two kinds of run, per feed and region the feed serves:

    - the OPEN days (the local day of the last half-hour published, and today: two just after
      local midnight): at most once per UTC half-hour slot. The cursor keeps the slot last
      requested, and the run key names the slot (`<feed>:<partition>@<YYYY-MM-DDTHHMM>Z`), so a
      partition is re-fetched at most once per half-hour and never twice for the same one,
      also across daemon restarts; each run replaces the partition with the day so far;
    - each FINISHED day (its last half-hour published) once more, whole, under the run key
      `<feed>:<partition>` (the ISO sensors' key); the cursor keeps the last finished day
      requested. After downtime it catches up at most `CATCH_UP_DAYS` finished days (older
      gaps are a backfill's job; the log says so); the first evaluation requests only the
      latest finished day.

    It replaces the provider's daily raw schedules (`defs/jobs.raw_schedules`), whose one
    request a day would duplicate the finished-day run. Evaluated every
    `HALF_HOURLY_INTERVAL_S`: a half-hour is requested within minutes of its publication."""
    feeds = PROVIDERS[provider]

    @_provider_sensor(
        provider,
        running,
        HALF_HOURLY_INTERVAL_S,
        f"{provider}'s raw feeds as the provider publishes them, every half-hour:"
        " the open market day(s) at most once per half-hour, each finished day once more;"
        f" a cursor so nothing is requested twice, catching up to {CATCH_UP_DAYS} finished"
        " days after downtime.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        now = automation._clock()
        slot = half_hour_slot(now)
        stamp = f"{slot:%Y-%m-%dT%H%M}Z"
        cursor: dict[str, dict[str, dict[str, str]]] = (
            json.loads(context.cursor) if context.cursor else {}
        )
        requests, skipped = [], []
        for feed in feeds:
            first = dt.date.fromisoformat(feed.first_date)
            done = cursor.setdefault(feed.asset_name, {})
            for code in feed_regions(feed):
                state = done.setdefault(code, {})
                open_days = [d for d in _open_days(code, now) if d >= first]
                finished = _open_days(code, now)[0] - dt.timedelta(days=1)
                after = state.get("finished")
                after_day = dt.date.fromisoformat(after) if after else None
                if finished >= first and (after_day is None or after_day < finished):
                    days, older = _days(after_day, finished, first)
                    if older:
                        skipped.append(f"{feed.asset_name} {code}: {older} day(s) before {days[0]}")
                    run_key = f"{feed.asset_name}:{{key}}"
                    requests += [_run_request(feed, code, day, run_key) for day in days]
                    state["finished"] = finished.isoformat()
                if open_days and state.get("slot") != stamp:
                    run_key = f"{feed.asset_name}:{{key}}@{stamp}"
                    requests += [_run_request(feed, code, day, run_key) for day in open_days]
                    state["slot"] = stamp
        return _outcome(
            context,
            cursor,
            requests,
            skipped,
            f"{provider}: the half-hour from {slot:%Y-%m-%d %H:%M} UTC is already requested",
        )

    return _sensor


def publication_sensors(running: bool | None = None) -> list[dg.SensorDefinition]:
    """One sensor per ISO provider and per half-hourly provider (`half_hourly_sensor`);
    running by default when automation is on (`running` None: the `ENERGY_ASSETS_AUTOMATION`
    setting)."""
    running = automation.enabled() if running is None else running
    return [publication_sensor(provider, running) for provider in ISO_PROVIDERS] + [
        half_hourly_sensor(provider, running)
        for provider in sorted(automation.HALF_HOURLY_PROVIDERS)
    ]


PUBLICATION_SENSORS = publication_sensors()
