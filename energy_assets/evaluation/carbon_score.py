"""Score day-ahead carbon-intensity forecasts for one region and market day (pure).

Lifecycle intensity (`carbon_gco2_per_kwh`): the LightGBM quantile model (`lightgbm`, what the
schedules read), the seasonal-profile baseline (`profile`: quantiles of the same local hour over
D-15..D-2) and the seasonal naive (`seasonal_naive_7d`: the same local hour 7 days before).
Direct intensity (`carbon_direct_gco2_per_kwh`, the quantity of the published day-ahead carbon
benchmarks): its LightGBM model (`lightgbm_direct`) and seasonal naive
(`seasonal_naive_7d_direct`). Same hours for the forecasters of each intensity; the metrics are
`energy_assets/evaluation/scoring.py`'s, in gCO2eq/kWh. A region-day whose direct forecast is
not given (None) is scored on the lifecycle intensity only.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from energy_assets.evaluation.scoring import (
    Target,
    join_quantile_forecasts,
    score_day,
    score_schema,
)

MIN_ACTUAL_COVERAGE = 0.9
NAIVE = "seasonal_naive_7d"
CARBON = Target(
    name="carbon",
    unit="gco2_per_kwh",
    squared_unit="gco2_per_kwh_squared",
    models=("lightgbm", "profile"),
    others=(NAIVE,),
    naive=NAIVE,
    references=(("naive", NAIVE), ("profile", "profile")),
)
NAIVE_DIRECT = "seasonal_naive_7d_direct"
CARBON_DIRECT = Target(
    name="carbon_direct",
    unit="gco2_per_kwh",
    squared_unit="gco2_per_kwh_squared",
    models=("lightgbm_direct",),
    others=(NAIVE_DIRECT,),
    naive=NAIVE_DIRECT,
    # the report has the same columns for both; there is no direct profile, so its "vs
    # profile" test is empty
    references=(("naive", NAIVE_DIRECT), ("profile", "profile_direct")),
)
TARGETS = (CARBON, CARBON_DIRECT)
FORECASTERS = (*CARBON.forecasters, *CARBON_DIRECT.forecasters)
SCHEMA = score_schema(CARBON)


def score_carbon_forecasts(
    region: str,
    market_date: dt.date,
    lightgbm: pl.DataFrame,
    profile: pl.DataFrame,
    actuals: pl.DataFrame,
    features: pl.DataFrame,
    direct: pl.DataFrame | None = None,
    min_coverage: float = MIN_ACTUAL_COVERAGE,
) -> pl.DataFrame:
    """One row per forecaster; `actuals` are `harmonized/carbon_intensity` rows of the day,
    `features` the day's `features/carbon_features` (for the seasonal naives) and `direct` the
    day's `forecasts/carbon_direct_day_ahead`."""
    scores = [
        score_day(
            CARBON,
            region,
            market_date,
            _joined(
                actuals,
                features,
                {"lightgbm": lightgbm, "profile": profile},
                "carbon",
                NAIVE,
                min_coverage,
            ),
        )
    ]
    if direct is not None:
        joined = _joined(
            actuals,
            features,
            {"lightgbm_direct": direct},
            "carbon_direct",
            NAIVE_DIRECT,
            min_coverage,
        )
        scores.append(score_day(CARBON_DIRECT, region, market_date, joined))
    return pl.concat(scores, how="vertical_relaxed")


def _joined(
    actuals: pl.DataFrame,
    features: pl.DataFrame,
    models: dict[str, pl.DataFrame],
    prefix: str,
    naive: str,
    min_coverage: float,
) -> pl.DataFrame:
    """One row per hour with a covered actual `<prefix>_gco2_per_kwh`, each model's quantiles
    and the seasonal naive (the same hour a week before)."""
    target = f"{prefix}_gco2_per_kwh"
    joined = actuals.filter(
        pl.col(target).is_not_null() & (pl.col("coverage") >= min_coverage)
    ).select("interval_start_utc", pl.col(target).alias("actual"))
    return (
        join_quantile_forecasts(joined, models, prefix + "_{}_gco2_per_kwh")
        .join(
            features.select(
                "interval_start_utc", pl.col(f"{prefix}_lag_7d_gco2_per_kwh").alias(naive)
            ),
            on="interval_start_utc",
        )
        .drop_nulls()
        .filter(pl.col("actual") > 0)
    )
