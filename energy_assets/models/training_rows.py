"""Training rows for day-ahead models: feature rows joined to the actual hourly target."""

from __future__ import annotations

import polars as pl

MIN_TARGET_COVERAGE = 0.9


def training_rows(
    features: pl.DataFrame,
    actuals: pl.DataFrame,
    min_coverage: float = MIN_TARGET_COVERAGE,
    *,
    target: str = "demand_mw",
    coverage: str = "demand_coverage",
) -> tuple[pl.DataFrame, pl.Series]:
    """(feature rows, `target` series) for the hours whose actual `target` is known.

    An hour is a usable target when its `coverage` column says at least `min_coverage` of its
    5-minute readings were present, so truncated days contribute only their complete hours.
    Defaults: demand (`harmonized/grid_hourly`); carbon intensity (`harmonized/carbon_intensity`)
    is `target="carbon_gco2_per_kwh", coverage="coverage"`.
    """
    if features.is_empty() or actuals.is_empty():
        return features.clear() if features.width else features, pl.Series(target, [], pl.Float64)
    usable = actuals.filter(
        pl.col(target).is_not_null() & (pl.col(coverage) >= min_coverage)
    ).select("region", "interval_start_utc", target)
    joined = features.join(usable, on=["region", "interval_start_utc"], how="inner").sort(
        "interval_start_utc"
    )
    return joined.drop(target), joined[target]
