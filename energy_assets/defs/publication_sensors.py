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
from energy_assets.sources.feeds import Feed
from energy_assets.sources.registry import ISO_PROVIDERS

CATCH_UP_DAYS = 7
MINIMUM_INTERVAL_S = 600


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


def publication_sensor(provider: str, running: bool) -> dg.SensorDefinition:
    feeds = ISO_PROVIDERS[provider]
    jobs = [RAW_JOBS[f.asset_name] for f in feeds]

    @dg.sensor(
        name=f"{provider}_publication_sensor",
        jobs=jobs,
        minimum_interval_seconds=MINIMUM_INTERVAL_S,
        default_status=(
            dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED
        ),
        description=f"Each new (region, market day) of {provider}'s raw feeds once published"
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
                for day in days:
                    key = partition_key(code, day.isoformat())
                    requests.append(
                        dg.RunRequest(
                            run_key=f"{feed.asset_name}:{key}",
                            job_name=raw_job_name(feed.provider, feed.name),
                            partition_key=key,
                        )
                    )
                done[code] = through.isoformat()
        context.update_cursor(json.dumps(cursor, sort_keys=True))
        if skipped:
            context.log.warning(
                "not requested (older than the catch-up window; backfill them): "
                + "; ".join(skipped)
            )
        if requests:
            return requests
        return dg.SkipReason(
            f"no new market day of {provider} published by {now:%Y-%m-%d %H:%M} UTC"
        )

    return _sensor


def publication_sensors(running: bool | None = None) -> list[dg.SensorDefinition]:
    """One sensor per ISO provider; running by default when automation is on (`running` None:
    the `ENERGY_ASSETS_AUTOMATION` setting)."""
    running = automation.enabled() if running is None else running
    return [publication_sensor(provider, running) for provider in ISO_PROVIDERS]


PUBLICATION_SENSORS = publication_sensors()
