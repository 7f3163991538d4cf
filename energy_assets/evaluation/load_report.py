"""Roll `evaluation/load_forecast_score` days up per region and period (pure).

Periods: the whole window (`all`), each year and each month. Means are exact over hours (from
the per-day sums), rMAE is against the seasonal naive on the same hours, and the
Diebold-Mariano test compares each forecaster's daily MAE with the seasonal naive's and the
operator's over the period's days (H1: the forecaster is more accurate).
"""

from __future__ import annotations

import polars as pl

from energy_assets.evaluation.load_score import NAIVE, OPERATOR
from energy_assets.evaluation.metrics import diebold_mariano

SCHEMA = {
    "region": pl.Utf8,
    "period": pl.Utf8,
    "period_kind": pl.Utf8,
    "forecaster": pl.Utf8,
    "days": pl.Int64,
    "hours": pl.Int64,
    "mae_mw": pl.Float64,
    "rmse_mw": pl.Float64,
    "mape_pct": pl.Float64,
    "smape_pct": pl.Float64,
    "rmae": pl.Float64,
    "pinball_mean_mw": pl.Float64,
    "p10_p90_coverage": pl.Float64,
    "dm_stat_vs_naive": pl.Float64,
    "dm_p_value_vs_naive": pl.Float64,
    "dm_stat_vs_operator": pl.Float64,
    "dm_p_value_vs_operator": pl.Float64,
}

_PERIODS = {
    "all": pl.lit("all"),
    "year": pl.col("market_date").dt.strftime("%Y"),
    "month": pl.col("market_date").dt.strftime("%Y-%m"),
}


def _dm(days: pl.DataFrame, forecaster: str, reference: str) -> tuple[float | None, float | None]:
    if forecaster == reference:
        return None, None
    pivot = (
        days.filter(pl.col("forecaster").is_in([forecaster, reference]))
        .pivot(on="forecaster", index="market_date", values="daily_mae")
        .drop_nulls()
    )
    if forecaster not in pivot.columns or reference not in pivot.columns:
        return None, None
    try:
        return diebold_mariano(pivot[reference].to_numpy(), pivot[forecaster].to_numpy())
    except ValueError:
        return None, None


def rollup(scores: pl.DataFrame) -> pl.DataFrame:
    """`scores`: rows of `evaluation/load_forecast_score` (any regions and days)."""
    scored = scores.filter(pl.col("hours") > 0).with_columns(
        daily_mae=pl.col("abs_error_sum_mw") / pl.col("hours")
    )
    if scored.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    naive_abs = scored.filter(pl.col("forecaster") == NAIVE).select(
        "region", "market_date", pl.col("abs_error_sum_mw").alias("naive_abs_sum")
    )
    scored = scored.join(naive_abs, on=["region", "market_date"], how="left")
    frames = []
    for kind, expr in _PERIODS.items():
        grouped = scored.with_columns(period=expr, period_kind=pl.lit(kind))
        sums = grouped.group_by("region", "period", "period_kind", "forecaster").agg(
            days=pl.col("market_date").n_unique().cast(pl.Int64),
            hours=pl.col("hours").sum(),
            mae_mw=pl.col("abs_error_sum_mw").sum() / pl.col("hours").sum(),
            rmse_mw=(pl.col("squared_error_sum_mw2").sum() / pl.col("hours").sum()).sqrt(),
            mape_pct=pl.col("abs_pct_error_sum").sum() / pl.col("hours").sum(),
            smape_pct=pl.col("sym_pct_error_sum").sum() / pl.col("hours").sum(),
            rmae=pl.col("abs_error_sum_mw").sum() / pl.col("naive_abs_sum").sum(),
            pinball_mean_mw=(
                pl.col("pinball_p10_sum_mw").sum()
                + pl.col("pinball_p50_sum_mw").sum()
                + pl.col("pinball_p90_sum_mw").sum()
            )
            / (3 * pl.col("hours").sum()),
            p10_p90_coverage=pl.col("hours_in_p10_p90").sum() / pl.col("hours").sum(),
            has_quantiles=pl.col("hours_in_p10_p90").is_not_null().all(),
        )
        sums = sums.with_columns(
            [
                pl.when(pl.col("has_quantiles")).then(pl.col(c)).otherwise(None).alias(c)
                for c in ("pinball_mean_mw", "p10_p90_coverage")
            ]
        ).drop("has_quantiles")
        tests = []
        for (region, period), days in grouped.group_by("region", "period"):
            for forecaster in days["forecaster"].unique().to_list():
                naive_stat, naive_p = _dm(days, forecaster, NAIVE)
                operator_stat, operator_p = _dm(days, forecaster, OPERATOR)
                tests.append(
                    {
                        "region": region,
                        "period": period,
                        "forecaster": forecaster,
                        "dm_stat_vs_naive": naive_stat,
                        "dm_p_value_vs_naive": naive_p,
                        "dm_stat_vs_operator": operator_stat,
                        "dm_p_value_vs_operator": operator_p,
                    }
                )
        tests_frame = pl.DataFrame(
            tests,
            schema={k: SCHEMA[k] for k in ("region", "period", "forecaster", *list(SCHEMA)[-4:])},
        )
        frames.append(sums.join(tests_frame, on=["region", "period", "forecaster"], how="left"))
    return (
        pl.concat(frames, how="vertical_relaxed")
        .select([pl.col(c).cast(t) for c, t in SCHEMA.items()])
        .sort("region", "period_kind", "period", "forecaster")
    )
