"""Horizon-safe day-ahead load features: one row per hour of a region's market day D.

Our day-ahead load forecast for market day D is issued at D-1 12:00 local time
(`forecast_issue_time`). Every feature row only uses inputs that were available at that
instant, and says when its latest input became available (`available_at_utc`):

- an hourly actual (`harmonized/grid_hourly.demand_mw`) for the hour starting at h becomes
  available at h + 1 h (the end of the interval);
- an operator load forecast becomes available at its `issued_at_utc`.

The availability rule is enforced by filtering, not by convention: history rows whose interval
ends after the issue time, and any history for D itself or later, are dropped before any feature
is computed; operator forecast vintages issued after our issue time are dropped (the latest
vintage issued at or before it is used). A final check raises `ValueError` if any row's
`available_at_utc` is later than its `issued_at_utc`.

Features (units: MW for load, local clock for calendar):

- calendar: `hour_local` (0-23, local clock hour; on a fall-back day hour 1 appears twice, on a
  spring-forward day hour 2 is absent), `weekday` (0 = Monday), `month`, `day_of_year`,
  `hour_sin`/`hour_cos`, `doy_sin`/`doy_cos`, `is_weekend`, `is_holiday` (python `holidays`
  for the region's country/subdivision, on the local date; 0/1 integers);
- lags: `lag_2d_mw`, `lag_3d_mw`, `lag_7d_mw` (demand at the same local clock hour on D-2, D-3,
  D-7; a repeated fall-back hour is averaged; null when missing), `mean_7d_same_hour_mw` (mean
  over D-8..D-2 of the same local hour, of what is available), `daily_mean_2d_mw` and
  `daily_max_2d_mw` (over the hours of D-2; null unless at least 80 % of D-2's hours are there);
- `operator_forecast_mw`: the operator's day-ahead forecast for the hour (null when absent);
- the operator's recent error, from its forecasts for D-2 and D-1 (`operator_history`, the
  vintages issued by our issue time) against the demand known then, as ratios of demand to
  forecast: `demand_to_operator_ratio_2d` (summed over D-2's hours, null unless at least 80 %
  of them have both), `demand_to_operator_ratio_1d_known` (over the hours of D-1 known at the
  issue, null below `MIN_KNOWN_HOURS`), `demand_to_operator_ratio_latest` (the latest hour of
  D-1 known) and `demand_to_operator_ratio_2d_same_hour` (the same local hour of D-2). An
  operator's error persists from one day to the next when its weather forecast is off;
- the lags relative to the operator's forecast for the hour, in the units the models learn in
  (demand / operator forecast): `lag_2d_to_operator_ratio`, `lag_7d_to_operator_ratio`,
  `mean_7d_same_hour_to_operator_ratio` (null without a forecast).

  Both groups were chosen on 2016-07..2017-06 (EIA-930, all eight US regions, every third day,
  rolling origin on D-56..D-2 as the models train), before the window `benchmark regions`
  scores; `energy-assets benchmark load-settings` reruns the comparison
  (`benchmarks/load_settings.py`) and the README gives the figures;
- the day-ahead weather forecast of the hour and its change from D-1's (`WEATHER_COLUMNS`,
  `features/weather.py`: temperature, dew point, wind, shortwave radiation, precipitation; null
  where the region has no weather feed that day: the models learn around a missing input, see
  `models/load_mlx.py`). Adopted after the comparison `benchmark load-settings` reruns
  (`with_weather`) on CAISO's 2019-07..12, with 2020 held out (no weather before 2019
  offline); the README gives the figures.

Hours whose `demand_coverage` is below `min_coverage` (default 0.5, i.e. fewer than half of the
5-minute readings were present) are treated as missing.

Pure functions: no Dagster, no I/O.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import polars as pl

from energy_assets.features.weather import WEATHER_COLUMNS, with_weather

__all__ = [
    "FEATURE_COLUMNS",
    "IDENTIFIER_COLUMNS",
    "WITHOUT_WEATHER_COLUMNS",
    "build_load_features",
    "forecast_issue_time",
    "join_same_hour_lags",
    "market_day_hours",
    "per_local_hour",
    "same_hour_mean",
    "same_hour_on",
    "stamp_availability",
    "usable_history",
]

HOUR = timedelta(hours=1)
UTC_DTYPE = pl.Datetime("us", "UTC")

IDENTIFIER_COLUMNS: list[str] = [
    "region",
    "market_date",
    "interval_start_utc",
    "issued_at_utc",
    "available_at_utc",
]

CALENDAR_COLUMNS: list[str] = [
    "hour_local",
    "weekday",
    "month",
    "day_of_year",
    "hour_sin",
    "hour_cos",
    "doy_sin",
    "doy_cos",
    "is_weekend",
    "is_holiday",
]

LAG_COLUMNS: list[str] = [
    "lag_2d_mw",
    "lag_3d_mw",
    "lag_7d_mw",
    "mean_7d_same_hour_mw",
    "daily_mean_2d_mw",
    "daily_max_2d_mw",
]

OPERATOR_ERROR_COLUMNS: list[str] = [
    "demand_to_operator_ratio_2d",
    "demand_to_operator_ratio_1d_known",
    "demand_to_operator_ratio_latest",
    "demand_to_operator_ratio_2d_same_hour",
]

# lag column -> its ratio to the operator's forecast for the hour
RELATIVE_LAGS: dict[str, str] = {
    "lag_2d_mw": "lag_2d_to_operator_ratio",
    "lag_7d_mw": "lag_7d_to_operator_ratio",
    "mean_7d_same_hour_mw": "mean_7d_same_hour_to_operator_ratio",
}

# the columns before the weather was adopted (`benchmark load-settings`' `both` set)
WITHOUT_WEATHER_COLUMNS: list[str] = [
    *CALENDAR_COLUMNS,
    *LAG_COLUMNS,
    "operator_forecast_mw",
    *OPERATOR_ERROR_COLUMNS,
    *RELATIVE_LAGS.values(),
]
FEATURE_COLUMNS: list[str] = [*WITHOUT_WEATHER_COLUMNS, *WEATHER_COLUMNS]

# The same-hour lags by how many days back they look.
_LAG_DAYS = {"lag_2d_mw": 2, "lag_3d_mw": 3, "lag_7d_mw": 7}
_MEAN_WINDOW_DAYS = range(2, 9)  # D-2 .. D-8
_DAILY_STATS_DAY = 2
_DAILY_MIN_FRACTION = 0.8
# the fewest hours of D-1 known at the issue that make `demand_to_operator_ratio_1d_known`
# (half of the 12 hours a noon issue knows)
MIN_KNOWN_HOURS = 6


def _as_utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


def forecast_issue_time(market_day: date, tz: str, issue_hour_local: int = 12) -> datetime:
    """When our day-ahead forecast for `market_day` is issued: D-1 at `issue_hour_local` local
    time, returned as an aware UTC datetime."""
    if not 0 <= issue_hour_local <= 23:
        raise ValueError(f"issue_hour_local must be 0..23, got {issue_hour_local}")
    local = datetime.combine(market_day - timedelta(days=1), time(issue_hour_local), ZoneInfo(tz))
    return local.astimezone(UTC)


def _local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """First UTC instant of the local day (robust to zones whose DST switch is at midnight)."""
    candidate = datetime.combine(day, time(0), tz).astimezone(UTC)
    # If local midnight does not exist, the first instant of the day is the transition itself.
    while candidate.astimezone(tz).date() < day:
        candidate += timedelta(minutes=30)
    while (candidate - timedelta(minutes=30)).astimezone(tz).date() == day:
        candidate -= timedelta(minutes=30)
    return candidate


def market_day_hours(market_day: date, tz: str) -> list[datetime]:
    """UTC start of every hour of the local market day (23, 24 or 25 of them)."""
    zone = ZoneInfo(tz)
    start = _local_midnight_utc(market_day, zone)
    end = _local_midnight_utc(market_day + timedelta(days=1), zone)
    n = round((end - start) / HOUR)
    return [start + i * HOUR for i in range(n)]


def _empty_history() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "local_date": pl.Date,
            "hour_local": pl.Int8,
            "value": pl.Float64,
            "avail": UTC_DTYPE,
        }
    )


def usable_history(
    history: pl.DataFrame | None,
    market_day: date,
    region: str,
    tz: str,
    issued_at: datetime,
    min_coverage: float,
    value_column: str = "demand_mw",
    coverage_column: str = "demand_coverage",
) -> pl.DataFrame:
    """Hourly `value_column` readings known at `issued_at` (the hour has ended by then, its
    market day is before D, its `coverage_column` is at least `min_coverage`), as `local_date`,
    `hour_local`, `value` and `avail` (when the reading became available)."""
    if history is None or history.height == 0:
        return _empty_history()
    missing = {"interval_start_utc", value_column} - set(history.columns)
    if missing:
        raise ValueError(f"history lacks columns {sorted(missing)}")
    h = history
    if "region" in h.columns:
        h = h.filter(pl.col("region") == region)
    if "market_date" in h.columns:
        # History for D (the target) or later must never be used, whatever its timestamps say.
        h = h.filter(pl.col("market_date") < market_day)
    if coverage_column in h.columns:
        h = h.filter(pl.col(coverage_column).fill_null(0.0) >= min_coverage)
    ts = pl.col("interval_start_utc").cast(UTC_DTYPE)
    local = ts.dt.convert_time_zone(tz)
    h = h.select(
        local.dt.date().alias("local_date"),
        local.dt.hour().cast(pl.Int8).alias("hour_local"),
        pl.col(value_column).cast(pl.Float64).alias("value"),
        (ts + pl.duration(hours=1)).alias("avail"),
    ).filter(
        pl.col("value").is_not_null()
        & pl.col("value").is_not_nan()
        & (pl.col("avail") <= issued_at)
        & (pl.col("local_date") < market_day)
    )
    return h


def per_local_hour(history: pl.DataFrame) -> pl.DataFrame:
    """One value per (local date, local clock hour) of `usable_history` rows: the repeated
    fall-back hour is averaged. Sorted, so that later means add up in the same order every
    time (reproducible to the last bit)."""
    return (
        history.group_by("local_date", "hour_local")
        .agg(pl.col("value").mean(), pl.col("avail").max())
        .sort("local_date", "hour_local")
    )


def same_hour_on(per_hour: pl.DataFrame, day: date, name: str) -> pl.DataFrame:
    """`hour_local`, the value of each local hour on `day` as `name`, and `_avail_<name>`."""
    return per_hour.filter(pl.col("local_date") == day).select(
        "hour_local", pl.col("value").alias(name), pl.col("avail").alias(f"_avail_{name}")
    )


def join_same_hour_lags(
    rows: pl.DataFrame, per_hour: pl.DataFrame, market_day: date, lags: dict[str, int]
) -> tuple[pl.DataFrame, list[str]]:
    """Join, for each `name: days` of `lags`, the value of the same local hour `days` before
    `market_day` as `name`; returns the rows and the names of their availability columns."""
    for name, days in lags.items():
        rows = rows.join(
            same_hour_on(per_hour, market_day - timedelta(days=days), name),
            on="hour_local",
            how="left",
        )
    return rows, [f"_avail_{name}" for name in lags]


def same_hour_mean(per_hour: pl.DataFrame, days: list[date], name: str) -> pl.DataFrame:
    """`hour_local`, the mean of each local hour over `days` (what is there) as `name`, and
    `_avail_<name>`."""
    return (
        per_hour.filter(pl.col("local_date").is_in(days))
        .group_by("hour_local")
        .agg(pl.col("value").mean().alias(name), pl.col("avail").max().alias(f"_avail_{name}"))
    )


def _operator_for_day(
    operator_forecast: pl.DataFrame | None, region: str, issued_at: datetime
) -> pl.DataFrame:
    """Latest operator forecast vintage per interval that was issued at or before `issued_at`."""
    schema = {
        "interval_start_utc": UTC_DTYPE,
        "operator_forecast_mw": pl.Float64,
        "op_avail": UTC_DTYPE,
    }
    if operator_forecast is None or operator_forecast.height == 0:
        return pl.DataFrame(schema=schema)
    missing = {"interval_start_utc", "forecast_demand_mw", "issued_at_utc"} - set(
        operator_forecast.columns
    )
    if missing:
        raise ValueError(f"operator_forecast lacks columns {sorted(missing)}")
    f = operator_forecast
    if "region" in f.columns:
        f = f.filter(pl.col("region") == region)
    f = (
        f.select(
            pl.col("interval_start_utc").cast(UTC_DTYPE),
            pl.col("forecast_demand_mw").cast(pl.Float64).alias("operator_forecast_mw"),
            pl.col("issued_at_utc").cast(UTC_DTYPE).alias("op_avail"),
        )
        # A vintage without an issue time cannot be shown to be available: drop it.
        .filter(
            pl.col("op_avail").is_not_null()
            & (pl.col("op_avail") <= issued_at)
            & pl.col("operator_forecast_mw").is_not_null()
            & pl.col("operator_forecast_mw").is_not_nan()
        )
        .sort("interval_start_utc", "op_avail")
        .group_by("interval_start_utc", maintain_order=True)
        .last()
    )
    return f


@cache
def _holidays_of_year(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    # building a `holidays` calendar costs ~1 s; a backfill asks for the same year every day
    import holidays  # ~0.1 s to import: not paid by code that never builds load features

    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year).keys())


def _holiday_dates(country: str, subdiv: str | None, years: set[int]) -> set[date]:
    return set().union(*(_holidays_of_year(country, subdiv, y) for y in years))


def build_load_features(
    market_day: date,
    region: str,
    tz: str,
    holiday_country: str,
    holiday_subdiv: str | None,
    history: pl.DataFrame | None,
    operator_forecast: pl.DataFrame | None,
    issued_at: datetime,
    *,
    operator_history: pl.DataFrame | None = None,
    weather: pl.DataFrame | None = None,
    min_coverage: float = 0.5,
) -> pl.DataFrame:
    """Feature rows for every hour of `market_day` in `region`, horizon-safe at `issued_at`.

    `history`: `harmonized/grid_hourly` rows for days before D (any window; D-8..D-1 covers
    every feature). Rows for D or later, or whose interval ends after `issued_at`, are ignored.
    `operator_forecast`: `harmonized/operator_load_forecast` rows for D (may be None or empty);
    `operator_history`: its rows for D-2..D-1 (the operator's recent error; None: those
    features are null). Vintages issued after `issued_at` are ignored in both. `weather`:
    `harmonized/weather_hourly` rows of D-1 and D (None: the weather columns are null).
    """
    issued_at = _as_utc(issued_at, "issued_at")
    hours = market_day_hours(market_day, tz)

    rows = pl.DataFrame({"interval_start_utc": pl.Series(hours, dtype=UTC_DTYPE)})
    local = pl.col("interval_start_utc").dt.convert_time_zone(tz)
    doy_len = 366.0 if _is_leap(market_day.year) else 365.0
    holiday_set = _holiday_dates(holiday_country, holiday_subdiv, {market_day.year})
    is_holiday = int(market_day in holiday_set)
    weekday = market_day.weekday()
    doy = market_day.timetuple().tm_yday
    rows = rows.with_columns(
        pl.lit(region, dtype=pl.Utf8).alias("region"),
        pl.lit(market_day, dtype=pl.Date).alias("market_date"),
        pl.lit(issued_at, dtype=UTC_DTYPE).alias("issued_at_utc"),
        local.dt.hour().cast(pl.Int8).alias("hour_local"),
        pl.lit(weekday, dtype=pl.Int8).alias("weekday"),
        pl.lit(market_day.month, dtype=pl.Int8).alias("month"),
        pl.lit(doy, dtype=pl.Int16).alias("day_of_year"),
    ).with_columns(
        (pl.col("hour_local").cast(pl.Float64) * (2 * math.pi / 24)).sin().alias("hour_sin"),
        (pl.col("hour_local").cast(pl.Float64) * (2 * math.pi / 24)).cos().alias("hour_cos"),
        pl.lit(math.sin(2 * math.pi * (doy - 1) / doy_len)).alias("doy_sin"),
        pl.lit(math.cos(2 * math.pi * (doy - 1) / doy_len)).alias("doy_cos"),
        pl.lit(int(weekday >= 5), dtype=pl.Int8).alias("is_weekend"),
        pl.lit(is_holiday, dtype=pl.Int8).alias("is_holiday"),
    )

    hist = usable_history(history, market_day, region, tz, issued_at, min_coverage)
    per_hour = per_local_hour(hist)

    rows, avail_cols = join_same_hour_lags(rows, per_hour, market_day, _LAG_DAYS)

    window = [market_day - timedelta(days=d) for d in _MEAN_WINDOW_DAYS]
    rows = rows.join(
        same_hour_mean(per_hour, window, "mean_7d_same_hour_mw"), on="hour_local", how="left"
    )
    avail_cols.append("_avail_mean_7d_same_hour_mw")

    stats_day = market_day - timedelta(days=_DAILY_STATS_DAY)
    day_rows = hist.filter(pl.col("local_date") == stats_day)
    expected = len(market_day_hours(stats_day, tz))
    if day_rows.height > 0 and day_rows.height >= math.ceil(_DAILY_MIN_FRACTION * expected):
        daily_mean = float(day_rows["value"].mean())  # type: ignore[arg-type]
        daily_max = float(day_rows["value"].max())  # type: ignore[arg-type]
        daily_avail = day_rows["avail"].max()
    else:
        daily_mean = daily_max = None
        daily_avail = None
    rows = rows.with_columns(
        pl.lit(daily_mean, dtype=pl.Float64).alias("daily_mean_2d_mw"),
        pl.lit(daily_max, dtype=pl.Float64).alias("daily_max_2d_mw"),
        pl.lit(daily_avail, dtype=UTC_DTYPE).alias("_avail_daily"),
    )
    avail_cols.append("_avail_daily")

    op = _operator_for_day(operator_forecast, region, issued_at)
    rows = rows.join(op, on="interval_start_utc", how="left")
    avail_cols.append("op_avail")
    forecast = pl.col("operator_forecast_mw")
    rows = rows.with_columns(
        pl.when(forecast > 0).then(pl.col(lag) / forecast).alias(ratio)
        for lag, ratio in RELATIVE_LAGS.items()
    )

    rows, error_avail = _join_operator_error(
        rows, per_hour, operator_history, market_day, region, tz, issued_at
    )
    avail_cols.extend(error_avail)

    rows = with_weather(rows, weather)

    rows = stamp_availability(rows, avail_cols, f"feature rows for {region} {market_day}")
    return rows.sort("interval_start_utc").select(*IDENTIFIER_COLUMNS, *FEATURE_COLUMNS)


def _join_operator_error(
    rows: pl.DataFrame,
    per_hour: pl.DataFrame,
    operator_history: pl.DataFrame | None,
    market_day: date,
    region: str,
    tz: str,
    issued_at: datetime,
) -> tuple[pl.DataFrame, list[str]]:
    """`OPERATOR_ERROR_COLUMNS` joined to `rows`: demand (`per_hour`, known at the issue)
    against the operator's forecast for the same local hours of D-2 and D-1 (the vintages issued
    by `issued_at`); returns the rows and their availability columns."""
    op = _operator_for_day(operator_history, region, issued_at)
    local = pl.col("interval_start_utc").dt.convert_time_zone(tz)
    # one forecast per (local date, local hour), as `per_hour` has one demand
    op_per_hour = per_local_hour(
        op.select(
            local.dt.date().alias("local_date"),
            local.dt.hour().cast(pl.Int8).alias("hour_local"),
            pl.col("operator_forecast_mw").alias("value"),
            pl.col("op_avail").alias("avail"),
        )
    ).rename({"value": "operator_forecast_mw", "avail": "op_avail"})
    both = (
        op_per_hour.join(per_hour, on=["local_date", "hour_local"])
        .filter(pl.col("operator_forecast_mw") > 0)
        .with_columns(pl.max_horizontal("avail", "op_avail").alias("avail"))
        .sort("local_date", "hour_local")
    )
    two_days_before = market_day - timedelta(days=2)
    day_2 = both.filter(pl.col("local_date") == two_days_before)
    day_1 = both.filter(pl.col("local_date") == market_day - timedelta(days=1))
    needed_2d = math.ceil(_DAILY_MIN_FRACTION * len(market_day_hours(two_days_before, tz)))

    def ratio(frame: pl.DataFrame, enough: bool) -> tuple[float | None, datetime | None]:
        if not enough or frame.is_empty():
            return None, None
        value = float(frame["value"].sum() / frame["operator_forecast_mw"].sum())
        return value, frame["avail"].max()  # type: ignore[return-value]

    daily = {
        "demand_to_operator_ratio_2d": ratio(day_2, day_2.height >= needed_2d),
        "demand_to_operator_ratio_1d_known": ratio(day_1, day_1.height >= MIN_KNOWN_HOURS),
        "demand_to_operator_ratio_latest": ratio(day_1.tail(1), True),
    }
    rows = rows.with_columns(
        column
        for name, (value, avail) in daily.items()
        for column in (
            pl.lit(value, dtype=pl.Float64).alias(name),
            pl.lit(avail, dtype=UTC_DTYPE).alias(f"_avail_{name}"),
        )
    )
    same_hour = day_2.select(
        "hour_local",
        (pl.col("value") / pl.col("operator_forecast_mw")).alias(
            "demand_to_operator_ratio_2d_same_hour"
        ),
        pl.col("avail").alias("_avail_demand_to_operator_ratio_2d_same_hour"),
    )
    rows = rows.join(same_hour, on="hour_local", how="left")
    return rows, [f"_avail_{name}" for name in OPERATOR_ERROR_COLUMNS]


def stamp_availability(rows: pl.DataFrame, avail_columns: list[str], what: str) -> pl.DataFrame:
    """`available_at_utc` = the latest of `avail_columns` (a row with no data input, calendar
    only, is known at its issue time); `ValueError` naming `what` if any row's inputs became
    available after its `issued_at_utc`."""
    rows = rows.with_columns(
        pl.max_horizontal(avail_columns)
        .fill_null(pl.col("issued_at_utc"))
        .alias("available_at_utc")
    )
    leaks = rows.filter(pl.col("available_at_utc") > pl.col("issued_at_utc"))
    if leaks.height:
        raise ValueError(
            f"look-ahead: {leaks.height} {what} use inputs available after"
            f" {leaks['issued_at_utc'][0].isoformat()}"
        )
    return rows


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
