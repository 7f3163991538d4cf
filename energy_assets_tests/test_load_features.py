"""Day-ahead load features: DST-aware hours, exact lags, holidays, and no look-ahead."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from energy_assets.features import load as load_features
from energy_assets.features.load import (
    FEATURE_COLUMNS,
    IDENTIFIER_COLUMNS,
    build_load_features,
    forecast_issue_time,
    market_day_hours,
)
from energy_assets.features.weather import WEATHER_COLUMNS

TZ = "America/Los_Angeles"
LA = ZoneInfo(TZ)
REGION = "CAISO"
UTC_DT = pl.Datetime("us", "UTC")


def code(day: date, hour_local: int, fold: int = 0) -> float:
    """A value that names its source: (days since 2019-01-01) * 100 + local hour (+ 0.5 for
    the second of a repeated fall-back hour)."""
    return (day - date(2019, 1, 1)).days * 100.0 + hour_local + 0.5 * fold


def grid_rows(days: list[date], value=code, coverage: float = 1.0) -> pl.DataFrame:
    """`harmonized/grid_hourly`-shaped rows for whole local days."""
    rows = []
    for day in days:
        seen: set[int] = set()
        for start in market_day_hours(day, TZ):
            hour = start.astimezone(LA).hour
            fold = int(hour in seen)
            seen.add(hour)
            rows.append(
                {
                    "region": REGION,
                    "market_date": day,
                    "interval_start_utc": start,
                    "demand_mw": value(day, hour, fold),
                    "solar_mw": -1.0e9,  # generation columns must be ignored
                    "demand_coverage": coverage,
                }
            )
    return pl.DataFrame(rows).with_columns(pl.col("interval_start_utc").cast(UTC_DT))


def days_before(market_day: date, first: int, last: int) -> list[date]:
    return [market_day - timedelta(days=k) for k in range(last, first - 1, -1)]


def features_for(market_day: date, history=None, operator=None, issued_at=None, **kw):
    issued_at = issued_at or forecast_issue_time(market_day, TZ)
    return build_load_features(
        market_day, REGION, TZ, "US", "CA", history, operator, issued_at, **kw
    )


def local_at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), LA).astimezone(UTC)


def test_issue_time_is_previous_local_noon():
    assert forecast_issue_time(date(2019, 3, 10), TZ) == datetime(2019, 3, 9, 20, tzinfo=UTC)
    assert forecast_issue_time(date(2019, 11, 3), TZ) == datetime(2019, 11, 2, 19, tzinfo=UTC)
    assert forecast_issue_time(date(2019, 7, 2), TZ, 9) == datetime(2019, 7, 1, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("market_day", "n_hours", "hours_local"),
    [
        (date(2019, 3, 10), 23, [0, 1, *range(3, 24)]),
        (date(2019, 7, 1), 24, list(range(24))),
        (date(2019, 11, 3), 25, [0, 1, 1, *range(2, 24)]),
    ],
)
def test_one_row_per_hour_of_the_local_day(market_day, n_hours, hours_local):
    f = features_for(market_day, grid_rows(days_before(market_day, 1, 8)))
    assert f.height == n_hours
    assert f.columns == [*IDENTIFIER_COLUMNS, *FEATURE_COLUMNS]
    assert set(WEATHER_COLUMNS) <= set(FEATURE_COLUMNS)  # the models learn from the weather
    starts = f["interval_start_utc"].to_list()
    assert starts[0] == datetime.combine(market_day, time(0), LA).astimezone(UTC)
    assert all(b - a == timedelta(hours=1) for a, b in zip(starts, starts[1:], strict=False))
    next_midnight = datetime.combine(market_day + timedelta(days=1), time(0), LA)
    assert starts[-1] + timedelta(hours=1) == next_midnight.astimezone(UTC)
    assert f["hour_local"].to_list() == hours_local
    assert f["market_date"].unique().to_list() == [market_day]
    assert f.schema["interval_start_utc"] == UTC_DT
    assert f.schema["available_at_utc"] == UTC_DT


@pytest.mark.parametrize("market_day", [date(2019, 7, 10), date(2019, 3, 12), date(2019, 11, 5)])
def test_lags_are_the_right_source_values(market_day):
    f = features_for(market_day, grid_rows(days_before(market_day, 1, 10)))
    hist_days = {k: market_day - timedelta(days=k) for k in range(1, 11)}
    per_hour: dict[tuple[date, int], list[float]] = {}
    for day in hist_days.values():
        seen: set[int] = set()
        for start in market_day_hours(day, TZ):
            h = start.astimezone(LA).hour
            per_hour.setdefault((day, h), []).append(code(day, h, int(h in seen)))
            seen.add(h)

    def source(k: int, h: int) -> float | None:
        vals = per_hour.get((hist_days[k], h))
        return sum(vals) / len(vals) if vals else None

    for row in f.iter_rows(named=True):
        h = row["hour_local"]
        assert row["lag_2d_mw"] == source(2, h)
        assert row["lag_3d_mw"] == source(3, h)
        assert row["lag_7d_mw"] == source(7, h)
        window = [v for k in range(2, 9) if (v := source(k, h)) is not None]
        assert row["mean_7d_same_hour_mw"] == pytest.approx(sum(window) / len(window))
        d2 = [v for (day, _), vals in per_hour.items() if day == hist_days[2] for v in vals]
        assert row["daily_mean_2d_mw"] == pytest.approx(sum(d2) / len(d2))
        assert row["daily_max_2d_mw"] == max(d2)
        assert row["operator_forecast_mw"] is None


def test_spring_forward_lag_hour_missing_is_null():
    # D-2 = 2019-03-10 has no 02:00 local: D's 02:00 lag_2d is null, not a neighbour's value.
    f = features_for(date(2019, 3, 12), grid_rows(days_before(date(2019, 3, 12), 1, 8)))
    row = f.filter(pl.col("hour_local") == 2).row(0, named=True)
    assert row["lag_2d_mw"] is None
    assert row["lag_3d_mw"] == code(date(2019, 3, 9), 2)


def test_fall_back_repeated_hour_is_averaged_in_lags():
    f = features_for(date(2019, 11, 5), grid_rows(days_before(date(2019, 11, 5), 1, 8)))
    row = f.filter(pl.col("hour_local") == 1).row(0, named=True)
    d2 = date(2019, 11, 3)
    assert row["lag_2d_mw"] == (code(d2, 1, 0) + code(d2, 1, 1)) / 2


def test_nothing_available_after_issue_time_leaks():
    market_day = date(2019, 11, 3)  # a 25-hour day, to make it harder
    issued_at = forecast_issue_time(market_day, TZ)
    d1 = market_day - timedelta(days=1)

    def value(day: date, hour: int, fold: int) -> float:
        if day >= d1:  # all of D-1 and D: sentinels, each distinct
            return 7.0e9 + (day - d1).days * 1.0e6 + hour * 10 + fold
        return code(day, hour, fold)

    history = grid_rows([*days_before(market_day, 1, 9), market_day], value=value)
    sentinels = set(history.filter(pl.col("demand_mw") >= 7.0e9)["demand_mw"].to_list())
    assert len(sentinels) == 24 + 25
    # D-1 morning is known at issue time; the rest of D-1 and all of D are not.
    assert (
        history.filter(
            (pl.col("interval_start_utc") + pl.duration(hours=1) > issued_at)
            & (pl.col("demand_mw") >= 7.0e9)
        ).height
        == 12 + 25
    )

    for issue in (issued_at, issued_at + timedelta(days=2)):  # even a misuse can't see D
        f = features_for(market_day, history, issued_at=issue)
        assert f.height == 25
        for col in FEATURE_COLUMNS:
            values = [v for v in f[col].to_list() if v is not None]
            assert not sentinels.intersection(values), col
            assert all(abs(v) < 1.0e9 for v in values), col  # no blend with a sentinel either
        assert (f["available_at_utc"] <= f["issued_at_utc"]).all()


def test_availability_filter_not_convention():
    # With an issue time of D-2 22:30 local, D-2's hours from 22:00 on end after it: no lag.
    market_day = date(2019, 7, 10)
    d2 = market_day - timedelta(days=2)
    issued_at = datetime.combine(d2, time(22, 30), LA)
    f = features_for(market_day, grid_rows(days_before(market_day, 1, 8)), issued_at=issued_at)
    late = f.filter(pl.col("hour_local") >= 22)
    early = f.filter(pl.col("hour_local") < 22)
    assert late["lag_2d_mw"].null_count() == late.height
    assert early["lag_2d_mw"].null_count() == 0
    assert (f["available_at_utc"] <= issued_at.astimezone(UTC)).all()
    # 22 of 24 hours of D-2 known: enough (80 %) for the daily stats.
    assert f["daily_max_2d_mw"][0] == code(d2, 21)


def test_available_at_is_latest_input():
    market_day = date(2019, 7, 10)
    history = grid_rows(days_before(market_day, 1, 8))
    f = features_for(market_day, history)
    end_of_d2 = datetime.combine(market_day - timedelta(days=1), time(0), LA).astimezone(UTC)
    assert f["available_at_utc"].unique().to_list() == [end_of_d2]

    op_issue = local_at(market_day - timedelta(days=1), 9)
    operator = operator_rows(market_day, op_issue, 30_000.0)
    f = features_for(market_day, history, operator)
    assert f["available_at_utc"].unique().to_list() == [op_issue]

    # No data at all: calendar-only rows are known at issue time.
    f = features_for(market_day, None, None)
    assert (f["available_at_utc"] == f["issued_at_utc"]).all()
    assert f.select(load_features.LAG_COLUMNS).null_count().row(0) == (f.height,) * 6


def operator_rows(market_day: date, issued: datetime, base: float) -> pl.DataFrame:
    starts = market_day_hours(market_day, TZ)
    return pl.DataFrame(
        {
            "region": [REGION] * len(starts),
            "market_date": [market_day] * len(starts),
            "interval_start_utc": starts,
            "forecast_demand_mw": [base + i for i in range(len(starts))],
            "issued_at_utc": [issued] * len(starts),
        }
    ).with_columns(pl.col("interval_start_utc", "issued_at_utc").cast(UTC_DT))


def test_operator_forecast_latest_vintage_before_issue_time():
    market_day = date(2019, 7, 10)
    d1 = market_day - timedelta(days=1)
    early = operator_rows(market_day, local_at(d1, 6), 20_000.0)
    timely = operator_rows(market_day, local_at(d1, 9), 30_000.0)
    late = operator_rows(market_day, local_at(d1, 15), 90_000.0)  # after our 12:00 issue
    f = features_for(market_day, None, pl.concat([late, timely, early]))
    assert f["operator_forecast_mw"].to_list() == [30_000.0 + i for i in range(24)]


def test_late_operator_forecast_is_dropped():
    market_day = date(2019, 7, 10)
    late = operator_rows(market_day, local_at(market_day - timedelta(days=1), 15), 90_000.0)
    f = features_for(market_day, grid_rows(days_before(market_day, 1, 8)), late)
    assert f["operator_forecast_mw"].null_count() == 24
    assert (f["available_at_utc"] <= f["issued_at_utc"]).all()


def test_other_regions_and_low_coverage_ignored():
    market_day = date(2019, 7, 10)
    history = grid_rows(days_before(market_day, 1, 8))
    other = history.with_columns(pl.lit("ERCOT").alias("region"), pl.lit(1.0e9).alias("demand_mw"))
    poor = grid_rows([market_day - timedelta(days=2)], coverage=0.25)
    good = history.filter(pl.col("market_date") != market_day - timedelta(days=2))
    f = features_for(market_day, pl.concat([good, poor, other]))
    assert f["lag_2d_mw"].null_count() == 24  # D-2 hours had 25 % coverage
    assert f["daily_mean_2d_mw"].null_count() == 24
    assert f["lag_3d_mw"].null_count() == 0
    assert f["lag_3d_mw"].max() < 1.0e9


def test_guard_raises_if_an_input_is_later_than_issue_time(monkeypatch):
    market_day = date(2019, 7, 10)
    issued_at = forecast_issue_time(market_day, TZ)
    late_issue = issued_at + timedelta(hours=3)
    real = load_features._operator_for_day

    def leaky(operator_forecast, region, issued_at):  # pretend the filter was forgotten
        return real(operator_forecast, region, late_issue)

    monkeypatch.setattr(load_features, "_operator_for_day", leaky)
    late = operator_rows(market_day, late_issue, 90_000.0)
    with pytest.raises(ValueError, match="look-ahead"):
        features_for(market_day, None, late)


@pytest.mark.parametrize(
    ("market_day", "holiday", "weekend"),
    [
        (date(2019, 7, 4), 1, 0),  # Independence Day (Thursday)
        (date(2019, 11, 28), 1, 0),  # Thanksgiving (Thursday)
        (date(2019, 7, 5), 0, 0),
        (date(2019, 7, 6), 0, 1),
    ],
)
def test_calendar_and_holidays(market_day, holiday, weekend):
    f = features_for(market_day)
    assert f["is_holiday"].unique().to_list() == [holiday]
    assert f["is_weekend"].unique().to_list() == [weekend]
    assert f["weekday"][0] == market_day.weekday()
    assert f["month"][0] == market_day.month
    assert f["day_of_year"][0] == market_day.timetuple().tm_yday
    assert f["hour_sin"].is_between(-1, 1).all()
    noon = f.filter(pl.col("hour_local") == 6).row(0, named=True)
    assert noon["hour_sin"] == pytest.approx(1.0)
    assert noon["hour_cos"] == pytest.approx(0.0, abs=1e-12)


def test_naive_issue_time_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        features_for(date(2019, 7, 10), issued_at=datetime(2019, 7, 9, 12))


def operator_history_rows(days: list[date], forecast, issued=None) -> pl.DataFrame:
    """`harmonized/operator_load_forecast` rows for whole local days, each hour's forecast
    `forecast(day, hour_local, fold)`, issued D-1 10:00 local unless `issued` says."""
    frames = []
    for day in days:
        starts = market_day_hours(day, TZ)
        seen: set[int] = set()
        values = []
        for start in starts:
            hour = start.astimezone(LA).hour
            values.append(forecast(day, hour, int(hour in seen)))
            seen.add(hour)
        at = issued(day) if issued else local_at(day - timedelta(days=1), 10)
        frames.append(
            operator_rows(day, at, 0.0).with_columns(
                pl.Series("forecast_demand_mw", values, dtype=pl.Float64)
            )
        )
    return pl.concat(frames)


def test_operator_error_features_are_the_right_ratios():
    market_day = date(2019, 7, 10)
    d1, d2 = market_day - timedelta(days=1), market_day - timedelta(days=2)
    history = grid_rows(days_before(market_day, 1, 8))
    # the operator forecast 2 % below on D-2, 5 % above on D-1's morning
    factor = {d2: 1 / 1.02, d1: 1.05}
    past = operator_history_rows([d2, d1], lambda day, h, fold: code(day, h, fold) * factor[day])
    today = operator_rows(market_day, local_at(d1, 10), 30_000.0)
    f = features_for(market_day, history, today, operator_history=past)
    assert f["demand_to_operator_ratio_2d"].unique().to_list() == [pytest.approx(1.02)]
    assert f["demand_to_operator_ratio_1d_known"].unique().to_list() == [pytest.approx(1 / 1.05)]
    assert f["demand_to_operator_ratio_latest"].unique().to_list() == [pytest.approx(1 / 1.05)]
    assert f["demand_to_operator_ratio_2d_same_hour"].to_list() == [pytest.approx(1.02)] * 24
    row = f.filter(pl.col("hour_local") == 5).row(0, named=True)
    assert row["lag_2d_to_operator_ratio"] == pytest.approx(code(d2, 5) / (30_000.0 + 5))
    assert row["lag_7d_to_operator_ratio"] == pytest.approx(
        code(market_day - timedelta(days=7), 5) / (30_000.0 + 5)
    )
    assert row["mean_7d_same_hour_to_operator_ratio"] == pytest.approx(
        row["mean_7d_same_hour_mw"] / (30_000.0 + 5)
    )
    # D-1's morning (00..11 local) is known at the 12:00 issue; its latest hour is 11:00
    assert f["available_at_utc"].unique().to_list() == [local_at(d1, 12)]


def test_operator_error_sees_only_what_is_known_at_issue():
    market_day = date(2019, 7, 10)
    d1, d2 = market_day - timedelta(days=1), market_day - timedelta(days=2)
    history = grid_rows(days_before(market_day, 1, 8))

    # D-1's forecast is exact before 12:00 local, and off by a factor of 10 afterwards: only
    # the hours known at issue may count, and the latest of them is 11:00
    def forecast(day: date, hour: int, fold: int) -> float:
        return code(day, hour, fold) * (1.0 if day == d2 or hour < 12 else 10.0)

    past = operator_history_rows([d2, d1], forecast)
    f = features_for(market_day, history, None, operator_history=past)
    assert f["demand_to_operator_ratio_1d_known"][0] == pytest.approx(1.0)
    assert f["demand_to_operator_ratio_latest"][0] == pytest.approx(1.0)
    assert f["lag_2d_to_operator_ratio"].null_count() == 24  # no forecast for D: no ratio

    # a vintage of D-1's forecast issued after our issue time is not used
    late = operator_history_rows(
        [d1], lambda day, h, fold: 1.0, issued=lambda day: local_at(market_day - timedelta(1), 13)
    )
    f = features_for(market_day, history, None, operator_history=pl.concat([past, late]))
    assert f["demand_to_operator_ratio_1d_known"][0] == pytest.approx(1.0)

    # fewer than MIN_KNOWN_HOURS of D-1 known (issued at 04:30): no D-1 ratio; D-2 still counts
    early = local_at(d1, 4) + timedelta(minutes=30)
    f = features_for(market_day, history, None, issued_at=early, operator_history=past)
    assert f["demand_to_operator_ratio_1d_known"].null_count() == 24
    assert f["demand_to_operator_ratio_latest"][0] == pytest.approx(1.0)
    assert f["demand_to_operator_ratio_2d"][0] == pytest.approx(1.0)
    assert (f["available_at_utc"] <= f["issued_at_utc"]).all()


def test_operator_error_on_a_spring_forward_day_and_without_history():
    market_day = date(2019, 3, 12)  # D-2 is 2019-03-10, 23 hours
    d1, d2 = market_day - timedelta(days=1), market_day - timedelta(days=2)
    history = grid_rows(days_before(market_day, 1, 8))
    past = operator_history_rows([d2, d1], lambda day, h, fold: code(day, h, fold) / 1.1)
    f = features_for(market_day, history, None, operator_history=past)
    assert f["demand_to_operator_ratio_2d"][0] == pytest.approx(1.1)
    same_hour = f.filter(pl.col("hour_local") == 2)["demand_to_operator_ratio_2d_same_hour"]
    assert same_hour.to_list() == [None]  # 02:00 did not exist on D-2
    # D-2's forecast for fewer than 80 % of its hours: no daily ratio
    sparse = past.filter(
        (pl.col("market_date") != d2) | (pl.col("interval_start_utc") < local_at(d2, 12))
    )
    f = features_for(market_day, history, None, operator_history=sparse)
    assert f["demand_to_operator_ratio_2d"].null_count() == f.height
    # no operator history at all: the group is null, the rest unchanged
    f = features_for(market_day, history, None)
    assert f.select(load_features.OPERATOR_ERROR_COLUMNS).null_count().row(0) == (f.height,) * 4


def test_a_zero_demand_hour_gives_ratios_the_schema_accepts():
    # NYISO 2017-04-26 20:00 UTC is stored as 0 MW (grid_hourly's plausibility check warns on
    # it): its lags and their ratios to the operator's forecast are 0, not a failed range
    from energy_assets.schemas.features import LoadFeatures

    market_day = date(2019, 7, 10)
    d7 = market_day - timedelta(days=7)
    history = grid_rows(
        days_before(market_day, 1, 8),
        value=lambda day, h, fold: 0.0 if (day, h) == (d7, 13) else code(day, h, fold),
    )
    today = operator_rows(market_day, local_at(market_day - timedelta(days=1), 10), 30_000.0)
    f = features_for(market_day, history, today)
    assert f.filter(pl.col("hour_local") == 13)["lag_7d_to_operator_ratio"].to_list() == [0.0]
    LoadFeatures.validate(f)
