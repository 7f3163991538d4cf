"""Training rows for day-ahead load models: features joined to the actual hourly demand."""

from __future__ import annotations

import polars as pl

MIN_TARGET_COVERAGE = 0.9


def training_rows(
    features: pl.DataFrame, actuals: pl.DataFrame, min_coverage: float = MIN_TARGET_COVERAGE
) -> tuple[pl.DataFrame, pl.Series]:
    """(feature rows, demand_mw target) for the hours whose actual demand is known.

    An hour is a usable target when at least `min_coverage` of its 5-minute readings were present,
    so truncated days contribute only their complete hours.
    """
    if features.is_empty() or actuals.is_empty():
        return features.clear() if features.width else features, pl.Series(
            "demand_mw", [], pl.Float64
        )
    target = actuals.filter(
        pl.col("demand_mw").is_not_null() & (pl.col("demand_coverage") >= min_coverage)
    ).select("region", "interval_start_utc", "demand_mw")
    joined = features.join(target, on=["region", "interval_start_utc"], how="inner").sort(
        "interval_start_utc"
    )
    return joined.drop("demand_mw"), joined["demand_mw"]
