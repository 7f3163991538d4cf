"""Day-ahead carbon-intensity MAPE under two issue protocols (pure).

- **market day** (ours): the forecast of each hour of the region's local market day D, issued at
  D-1 12:00 local; scored over the market days of the window.
- **UTC day** (the published carbon benchmarks': CarbonCast, DACF, EnsembleCI): forecasts issued
  at 00:00 UTC for the 24 hours of the UTC day. Our forecasts are regrouped by the UTC day of each
  hour and every one is checked to have been issued at or before 00:00 UTC of that day (ours are
  issued 4-8 hours before it in US time zones, and the hours of a UTC day that fall in the next
  local day were issued a day earlier still), so the comparison holds our forecasts to a longer
  lead than the benchmark's, never a shorter one.

Hours are scored where the actual intensity is published with at least `min_coverage` of its
readings and is above zero; both protocols use the same rule.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

MIN_COVERAGE = 0.9


def protocol_mape(
    forecasts: pl.DataFrame,
    actuals: pl.DataFrame,
    forecast_column: str,
    actual_column: str,
    first_day: dt.date,
    last_day: dt.date,
    protocol: str,
    min_coverage: float = MIN_COVERAGE,
) -> tuple[float | None, int]:
    """(MAPE %, hours scored) of `forecast_column` against `actual_column` for the days
    `first_day..last_day` of `protocol` ("market_day" or "utc_day").

    `forecasts`: forecast rows (`market_date`, `interval_start_utc`, `issued_at_utc`, the
    column); `actuals`: `harmonized/carbon_intensity` rows (`interval_start_utc`, `coverage`,
    the column). One region."""
    if protocol not in ("market_day", "utc_day"):
        raise ValueError(f"protocol must be market_day or utc_day, not {protocol!r}")
    joined = forecasts.select(
        "market_date", "interval_start_utc", "issued_at_utc", pl.col(forecast_column).alias("f")
    ).join(
        actuals.filter(
            (pl.col("coverage") >= min_coverage)
            & pl.col(actual_column).is_not_null()
            & (pl.col(actual_column) > 0)
        ).select("interval_start_utc", pl.col(actual_column).alias("a")),
        on="interval_start_utc",
    )
    if protocol == "market_day":
        day = pl.col("market_date")
    else:
        day = pl.col("interval_start_utc").dt.date()
        midnight = pl.col("interval_start_utc").dt.truncate("1d")
        late = joined.filter(pl.col("issued_at_utc") > midnight)
        if late.height:
            raise ValueError(
                f"{late.height} forecasts were issued after 00:00 UTC of their hour's day"
                f" (first: {late['interval_start_utc'][0]}): not the UTC-day protocol"
            )
    scored = joined.filter(day.is_between(first_day, last_day)).drop_nulls("f")
    if scored.is_empty():
        return None, 0
    mape = scored.select(((pl.col("f") - pl.col("a")).abs() / pl.col("a")).mean() * 100).item()
    return float(mape), scored.height
