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
