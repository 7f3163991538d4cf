"""Which hours of demand are implausible: outside the region's plausible range, or stuck.

A reading outside `Region.demand_mw_range` (the registry's bounds for the system's hourly
demand) cannot be the system's demand. A value repeated unchanged for `STUCK_HOURS` or more
consecutive hours is a frozen feed, not demand (real system demand changes every hour; EIA-930's
SWPP series is stuck at one value for runs of up to 382 hours). Both are reported, never
changed: the harmonized table keeps what the provider published, and the check says which hours
to distrust.
"""

from __future__ import annotations

import polars as pl

STUCK_HOURS = 4


def implausible_demand_hours(
    grid: pl.DataFrame, demand_mw_range: tuple[float, float]
) -> pl.DataFrame:
    """The hours of `grid` (`interval_start_utc`, `demand_mw`) whose demand is out of range or
    part of a run of `STUCK_HOURS`+ equal readings, with the reason."""
    low, high = demand_mw_range
    frame = grid.select("interval_start_utc", "demand_mw").sort("interval_start_utc")
    run = (pl.col("demand_mw") != pl.col("demand_mw").shift(1)).fill_null(True).cum_sum()
    frame = frame.with_columns(run_length=pl.len().over(run))
    return (
        frame.filter(pl.col("demand_mw").is_not_null())
        .select(
            "interval_start_utc",
            "demand_mw",
            pl.when(~pl.col("demand_mw").is_between(low, high))
            .then(pl.lit(f"outside {low:,.0f}..{high:,.0f} MW"))
            .when(pl.col("run_length") >= STUCK_HOURS)
            .then(pl.format("the same value for {} hours", pl.col("run_length")))
            .alias("reason"),
        )
        .filter(pl.col("reason").is_not_null())
    )
