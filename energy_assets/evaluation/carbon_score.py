"""Score day-ahead carbon-intensity forecasts for one region and market day (pure).

Lifecycle intensity (`carbon_gco2_per_kwh`): the LightGBM quantile model (`lightgbm`, what the
schedules read), the seasonal-profile baseline (`profile`: quantiles of the same local hour over
D-15..D-2) and the seasonal naive (`seasonal_naive_7d`: the same local hour 7 days before).
Direct intensity (`carbon_direct_gco2_per_kwh`, the quantity of the published day-ahead carbon
benchmarks): its LightGBM model (`lightgbm_direct`) and seasonal naive
(`seasonal_naive_7d_direct`). Same hours for the forecasters of each intensity; the metrics are
`energy_assets/evaluation/scoring.py`'s, in gCO2eq/kWh. A region-day whose direct forecast is
not given (None) is scored on the lifecycle intensity only.

A region whose carbon target is the operator's own published intensity (GB,
`Region.carbon_target`) is scored on it instead (`CARBON_PUBLISHED`,
`score_published_carbon_forecasts`): our forecast, its seasonal naive and the API's stored
short-lead forecast, each named apart from ours.
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
# A region whose carbon slice learns the operator's own published intensity (GB:
# `Region.carbon_target`): the actual is `published_gco2_per_kwh`, our LightGBM forecast of it
# (`forecasts/carbon_day_ahead` of that region) is `lightgbm_published`, its seasonal naive
# `seasonal_naive_7d_published` (`published_lag_7d_gco2_per_kwh`), and beside them the API's own
# stored forecast of the hour (`published_forecast_gco2_per_kwh`), `api_forecast_short_lead`:
# the API's latest forecast before the half-hour, a lead of minutes to hours, NOT a day-ahead
# forecast as issued (`sources/uk_carbon_intensity.py`). Named apart from ours so no roll-up
# mixes the API's method with our lifecycle intensity.
NAIVE_PUBLISHED = "seasonal_naive_7d_published"
API_SHORT_LEAD = "api_forecast_short_lead"
CARBON_PUBLISHED = Target(
    name="carbon_published",
    unit="gco2_per_kwh",
    squared_unit="gco2_per_kwh_squared",
    models=("lightgbm_published",),
    others=(NAIVE_PUBLISHED, API_SHORT_LEAD),
    naive=NAIVE_PUBLISHED,
    # the report's second test column is "vs profile": there is no published profile, so it
    # is empty (the API's short-lead forecast is no day-ahead reference to test against)
    references=(("naive", NAIVE_PUBLISHED), ("profile", "profile_published")),
)
TARGETS = (CARBON, CARBON_DIRECT, CARBON_PUBLISHED)
FORECASTERS = (
    *CARBON.forecasters,
    *CARBON_DIRECT.forecasters,
    *CARBON_PUBLISHED.forecasters,
)
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


def score_published_carbon_forecasts(
    region: str,
    market_date: dt.date,
    lightgbm: pl.DataFrame,
    actuals: pl.DataFrame,
    features: pl.DataFrame,
    min_coverage: float = MIN_ACTUAL_COVERAGE,
) -> pl.DataFrame:
    """`CARBON_PUBLISHED`'s rows for a region whose carbon target is the published intensity:
    our day-ahead forecast of it (`lightgbm`, the day's `forecasts/carbon_day_ahead`), its
    seasonal naive (the same hour a week before, `published_lag_7d_gco2_per_kwh` of the day's
    features) and the API's stored short-lead forecast (`published_forecast_gco2_per_kwh` of
    `actuals`), on the same hours: those with a published actual covering `min_coverage` of the
    hour and a value from all three."""
    joined = actuals.filter(
        pl.col("published_gco2_per_kwh").is_not_null()
        & (pl.col("published_coverage") >= min_coverage)
    ).select(
        "interval_start_utc",
        pl.col("published_gco2_per_kwh").alias("actual"),
        pl.col("published_forecast_gco2_per_kwh").alias(API_SHORT_LEAD),
    )
    joined = (
        join_quantile_forecasts(joined, {"lightgbm_published": lightgbm}, "carbon_{}_gco2_per_kwh")
        .join(
            features.select(
                "interval_start_utc",
                pl.col("published_lag_7d_gco2_per_kwh").alias(NAIVE_PUBLISHED),
            ),
            on="interval_start_utc",
        )
        .drop_nulls()
        .filter(pl.col("actual") > 0)
    )
    return score_day(CARBON_PUBLISHED, region, market_date, joined)
