"""Model registry tables: one row per trained model artifact."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp


class TrainedModel(pa.DataFrameModel):
    region: str
    market_date: pl.Date
    model_version: str = pa.Field(str_length=12)
    artifact_path: str
    artifact_sha256: str = pa.Field(str_length=64)
    training_rows: pl.Int64 = pa.Field(gt=0)
    training_days: pl.Int64 = pa.Field(gt=0)
    train_first_date: pl.Date
    train_last_date: pl.Date
    trained_at_utc: UtcTimestamp

    class Config:
        unique = ["region", "market_date"]
        strict = True

    @pa.dataframe_check(error="training data must end before the market day (rolling origin)")
    def trained_before_day(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("train_last_date") < pl.col("market_date"))


class EnsembleWeights(pa.DataFrameModel):
    """Per-quantile weights of the LightGBM and MLX load forecasts for one region and day."""

    region: str
    market_date: pl.Date
    quantile: pl.Float64 = pa.Field(isin=[0.1, 0.5, 0.9])
    validation_days: pl.Int64 = pa.Field(ge=0)
    validation_hours: pl.Int64 = pa.Field(ge=0)
    pinball_lightgbm_mw: pl.Float64 = pa.Field(ge=0, nullable=True)
    pinball_mlx_mw: pl.Float64 = pa.Field(ge=0, nullable=True)
    pinball_ensemble_mw: pl.Float64 = pa.Field(ge=0, nullable=True)
    weight_lightgbm: pl.Float64 = pa.Field(ge=0, le=1)
    band_scale: pl.Float64 = pa.Field(gt=0.5, lt=2.0)
    pinball_calibrated_mw: pl.Float64 = pa.Field(ge=0, nullable=True)
    method: str
    weight_mlx: pl.Float64 = pa.Field(ge=0, le=1)

    class Config:
        unique = ["region", "market_date", "quantile"]
        strict = True

    @pa.dataframe_check(error="the two weights of a quantile must sum to 1")
    def weights_sum_to_one(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            ((pl.col("weight_lightgbm") + pl.col("weight_mlx")) - 1.0).abs() < 1e-9
        )

    @pa.dataframe_check(error="the band is only widened: P10 scaled down, P90 up, P50 never")
    def band_only_widens(cls, data: pa.PolarsData) -> pl.LazyFrame:
        q, b = pl.col("quantile"), pl.col("band_scale")
        return data.lazyframe.select(
            pl.when(q < 0.5).then(b <= 1.0).when(q > 0.5).then(b >= 1.0).otherwise(b == 1.0)
        )

    @pa.dataframe_check(error="the ensemble can do no worse on its validation days than a member")
    def no_worse_than_members(cls, data: pa.PolarsData) -> pl.LazyFrame:
        best_member = pl.min_horizontal("pinball_lightgbm_mw", "pinball_mlx_mw")
        return data.lazyframe.select(
            pl.col("pinball_ensemble_mw").is_null()
            | (pl.col("pinball_ensemble_mw") <= best_member + 1e-9)
        )
