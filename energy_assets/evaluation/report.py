"""Roll day scores (`evaluation/*_forecast_score`) up per region and period (pure).

Periods: the whole window (`all`), each year and each month. Means are exact over hours (from
the per-day sums), rMAE is against the target's seasonal naive on the same hours, and the
Diebold-Mariano test compares each forecaster's daily MAE with each reference's over the
period's days (H1: the forecaster is more accurate): for load the seasonal naive and the
operator's forecast, for carbon the seasonal naive and the seasonal profile.
"""

from __future__ import annotations

import polars as pl

from energy_assets.evaluation.metrics import diebold_mariano
from energy_assets.evaluation.scoring import Target

_PERIODS = {
    "all": pl.lit("all"),
    "year": pl.col("market_date").dt.strftime("%Y"),
    "month": pl.col("market_date").dt.strftime("%Y-%m"),
}


def _test_columns(target: Target) -> dict[str, pl.DataType]:
    out: dict[str, pl.DataType] = {}
    for label, _ in target.references:
        out[f"dm_stat_vs_{label}"] = pl.Float64
        out[f"dm_p_value_vs_{label}"] = pl.Float64
    return out


def report_schema(target: Target) -> dict[str, pl.DataType]:
    u = target.unit
    return {
        "region": pl.Utf8,
        "period": pl.Utf8,
        "period_kind": pl.Utf8,
        "forecaster": pl.Utf8,
        "days": pl.Int64,
        "hours": pl.Int64,
        f"mae_{u}": pl.Float64,
        f"rmse_{u}": pl.Float64,
        "mape_pct": pl.Float64,
        "smape_pct": pl.Float64,
        "rmae": pl.Float64,
        f"pinball_mean_{u}": pl.Float64,
        "p10_p90_coverage": pl.Float64,
        **_test_columns(target),
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


def rollup(scores: pl.DataFrame, target: Target) -> pl.DataFrame:
    """`scores`: day-score rows of `target` (any regions and days)."""
    u, u2 = target.unit, target.squared_unit
    schema = report_schema(target)
    tests_schema = {k: schema[k] for k in ("region", "period", "forecaster")} | _test_columns(
        target
    )
    scored = scores.filter(pl.col("hours") > 0).with_columns(
        daily_mae=pl.col(f"abs_error_sum_{u}") / pl.col("hours")
    )
    if scored.is_empty():
        return pl.DataFrame(schema=schema)
    naive_abs = scored.filter(pl.col("forecaster") == target.naive).select(
        "region", "market_date", pl.col(f"abs_error_sum_{u}").alias("naive_abs_sum")
    )
    scored = scored.join(naive_abs, on=["region", "market_date"], how="left")
    pinball = [f"pinball_{p}_sum_{u}" for p in ("p10", "p50", "p90")]
    frames = []
    for kind, expr in _PERIODS.items():
        grouped = scored.with_columns(period=expr, period_kind=pl.lit(kind))
        hours = pl.col("hours").sum()
        sums = grouped.group_by("region", "period", "period_kind", "forecaster").agg(
            days=pl.col("market_date").n_unique().cast(pl.Int64),
            hours=hours,
            **{
                f"mae_{u}": pl.col(f"abs_error_sum_{u}").sum() / hours,
                f"rmse_{u}": (pl.col(f"squared_error_sum_{u2}").sum() / hours).sqrt(),
                f"pinball_mean_{u}": pl.sum_horizontal(pl.col(c).sum() for c in pinball)
                / (3 * hours),
            },
            mape_pct=pl.col("abs_pct_error_sum").sum() / hours,
            smape_pct=pl.col("sym_pct_error_sum").sum() / hours,
            rmae=pl.col(f"abs_error_sum_{u}").sum() / pl.col("naive_abs_sum").sum(),
            p10_p90_coverage=pl.col("hours_in_p10_p90").sum() / hours,
            has_quantiles=pl.col("hours_in_p10_p90").is_not_null().all(),
        )
        sums = sums.with_columns(
            [
                pl.when(pl.col("has_quantiles")).then(pl.col(c)).otherwise(None).alias(c)
                for c in (f"pinball_mean_{u}", "p10_p90_coverage")
            ]
        ).drop("has_quantiles")
        tests = []
        for (region, period), days in grouped.group_by("region", "period"):
            for forecaster in days["forecaster"].unique().to_list():
                row = {"region": region, "period": period, "forecaster": forecaster}
                for label, reference in target.references:
                    stat, p_value = _dm(days, forecaster, reference)
                    row |= {f"dm_stat_vs_{label}": stat, f"dm_p_value_vs_{label}": p_value}
                tests.append(row)
        tests_frame = pl.DataFrame(tests, schema=tests_schema)
        frames.append(sums.join(tests_frame, on=["region", "period", "forecaster"], how="left"))
    return (
        pl.concat(frames, how="vertical_relaxed")
        .select([pl.col(c).cast(t) for c, t in schema.items()])
        .sort("region", "period_kind", "period", "forecaster")
    )
