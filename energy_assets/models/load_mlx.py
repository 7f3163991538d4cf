"""MLX quantile load forecaster: an MLP on the same hourly features as the LightGBM model.

Pure module: polars/numpy in, MW out; no Dagster, no I/O except `save_load_mlx` /
`load_load_mlx`.

- Inputs: `feature_columns` of `features.load` that are known in at least `MIN_KNOWN_SHARE` of
  the training rows (the others, e.g. the weather before a region's weather feed begins or in
  the first weeks after, are left out of that fit); missing values filled with the training
  mean of the known values and each input standardized by the known values' mean and spread
  (the kept columns and fill values travel in the artifact). An MLP cannot skip missing inputs
  the way LightGBM does: a column it never saw filled would reach it unscaled, and one filled
  in most rows would reach it magnified (measured: CAISO's MLX forecasts of January 2019, the
  first month of its weather feed, 7.4 % MAPE against 1.7 % without the weather).
- Target: load divided by the operator's day-ahead forecast where the row has one, else by the
  mean training load (as the LightGBM model's "ratio" transform; measured better than MW on
  CAISO, see `quantile_lgbm`). The network learns P10/P50/P90 of that ratio with the pinball
  loss; predictions are multiplied back and sorted per row.
- Architecture: `MLXForecaster` with one hidden layer of 32 and a seed ensemble of 4 members
  trained as one batched network, regularized by Gaussian input noise (see `DEFAULT_CONFIG`). Why this and not a sequence model: the day-ahead features
  already carry the trailing week (D-2, D-3, D-7 lags, 7-day same-hour mean, D-2 daily stats)
  and the operator's forecast; on ~1.3k training rows per day a sequence model has too little
  data, and the MLP trains in well under a second on the Linux CPU wheel (reference BLAS).
  Measured on CAISO 2019 it beat the LightGBM model on P50 MAPE and pinball loss.

Artifacts: the `MLXForecaster` `.npz` with the feature columns, fill values and baseline in
its config, written atomically and identified by the SHA-256 of its bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from energy_assets.atomic import write_atomic
from energy_assets.models.mlx_forecaster import MLXConfig, MLXForecaster
from energy_assets.models.quantile_lgbm import QUANTILES, quantile_column

__all__ = [
    "DEFAULT_CONFIG",
    "LoadMLXModel",
    "load_load_mlx",
    "predict_load_mlx",
    "save_load_mlx",
    "train_load_mlx",
]

BASELINE_COLUMN = "operator_forecast_mw"
# the share of training rows a feature column must be known in to be learnt from
MIN_KNOWN_SHARE = 0.5

# Chosen on CAISO 2019 only (rolling origin, 56-day window; 30 days every 4th from 2019-03-01,
# checked on 30 days every 4th from 2019-07-02), as P50 MAPE / mean P10+P90 pinball (MW):
#   LightGBM (quantile_lgbm defaults)                     1.86 % / 118    1.79 % / 160
#   64-32, 60 epochs of 64, no noise                       2.34 % / 224    (overfits: coverage 0.22)
#   32, 30 epochs of 128, weight decay 1e-2, noise 0.5     1.81 % / 107
#   same, noise 1.0                                        1.77 % / 101    1.67 % / 125
#   same, noise 2.0 (chosen)                               1.72 % / 105    1.56 % / 110
# Gaussian input noise (in standardized units) is the regularizer that mattered: ~1.3k rows a
# day are few for a network.
# Epochs 30 -> 20, chosen on 2016-07..2017-06 with `benchmark load-settings --fit-cost` (8
# regions, every third day, P50 MAPE summed): 30 epochs 16.80, 20 epochs 16.76 (better in six
# regions of eight), 0.29 -> 0.19 s of CPU a fit on the Linux CPU wheel (its reference BLAS
# makes a fit's cost its epochs). On CAISO with the weather, after the regions window, 20 was
# a little worse: 2019-07..12 1.789 -> 1.806 %, 2020 2.131 -> 2.139 %.
DEFAULT_CONFIG = MLXConfig(
    hidden=(32,),
    n_members=4,
    epochs=20,
    batch_size=128,
    learning_rate=3e-3,
    weight_decay=1e-2,
    input_noise=2.0,
    loss="pinball",
    quantiles=QUANTILES,
    seed=0,
)


@dataclass
class LoadMLXModel:
    forecaster: MLXForecaster
    feature_columns: list[str]
    fill_values: list[float]
    baseline_fallback_mw: float

    @property
    def quantiles(self) -> tuple[float, ...]:
        return self.forecaster.config.quantiles


def _inputs(features: pl.DataFrame, columns: Sequence[str], fill: Sequence[float]) -> np.ndarray:
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise ValueError(f"features lack columns {missing}")
    x = features.select([pl.col(c).cast(pl.Float64) for c in columns]).to_numpy()
    x = np.asarray(x, dtype=np.float64)
    return np.where(np.isnan(x), np.asarray(fill, dtype=np.float64)[None, :], x)


def _baseline(features: pl.DataFrame, fallback: float) -> np.ndarray:
    if BASELINE_COLUMN not in features.columns:
        return np.full(features.height, fallback)
    base = features[BASELINE_COLUMN].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return np.where(np.isfinite(base) & (base > 0), base, fallback)


def train_load_mlx(
    features: pl.DataFrame,
    target: pl.Series,
    feature_columns: Sequence[str],
    config: MLXConfig = DEFAULT_CONFIG,
) -> LoadMLXModel:
    """Fit the quantile MLP on the rows whose target (MW) is known."""
    y = target.cast(pl.Float64).fill_null(np.nan).to_numpy()
    keep = np.isfinite(y) & (y > 0)
    if not keep.any():
        raise ValueError("no rows with a positive target to train on")
    rows = features.filter(pl.Series(keep))
    y = y[keep]
    raw = rows.select([pl.col(c).cast(pl.Float64) for c in feature_columns]).to_numpy()
    known = ~np.isnan(raw)
    # a column known in too few rows is not learnt from (a region without an operator forecast
    # has its forecast and the ratios to it null throughout; the weather before its feed)
    used = known.mean(axis=0) >= MIN_KNOWN_SHARE
    if not used.any():
        raise ValueError(f"no feature column is known in {MIN_KNOWN_SHARE:.0%} of the rows")
    columns = [c for c, u in zip(feature_columns, used, strict=True) if u]
    raw, known = raw[:, used], known[:, used]
    values = np.where(known, raw, 0.0)
    counts = known.sum(axis=0)
    means = values.sum(axis=0) / counts
    spread = np.sqrt((np.where(known, raw - means, 0.0) ** 2).sum(axis=0) / counts)
    fill = [float(m) for m in means]
    fallback = float(y.mean())
    x = _inputs(rows, columns, fill)
    ratio = y / _baseline(rows, fallback)
    forecaster = MLXForecaster(
        config,
        extra={
            "feature_columns": columns,
            "fill_values": fill,
            "baseline_fallback_mw": fallback,
            "training_rows": int(len(y)),
        },
    )
    forecaster.fit(x, ratio, x_scale=(means, spread))
    return LoadMLXModel(forecaster, columns, fill, fallback)


def predict_load_mlx(model: LoadMLXModel, features: pl.DataFrame) -> pl.DataFrame:
    """P10/P50/P90 (MW) per feature row, columns `p10`, `p50`, `p90`, quantiles sorted per row."""
    names = [quantile_column(q) for q in model.quantiles]
    if features.height == 0:
        return pl.DataFrame(schema={n: pl.Float64 for n in names})
    x = _inputs(features, model.feature_columns, model.fill_values)
    ratio = model.forecaster.predict(x)  # (n, Q): one target, Q quantiles
    mw = np.sort(ratio * _baseline(features, model.baseline_fallback_mw)[:, None], axis=1)
    return pl.DataFrame({n: mw[:, i] for i, n in enumerate(names)})


def save_load_mlx(model: LoadMLXModel, path: Path) -> str:
    """Write the model atomically; return the SHA-256 (hex) of the file."""
    payload = model.forecaster.to_bytes()
    write_atomic(path, payload)
    return hashlib.sha256(payload).hexdigest()


def load_load_mlx(path: Path, expected_sha256: str | None = None) -> LoadMLXModel:
    """Read a model written by `save_load_mlx`; `ValueError` on a SHA-256 mismatch."""
    payload = Path(path).read_bytes()
    digest = hashlib.sha256(payload).hexdigest()
    if expected_sha256 is not None and digest != expected_sha256.lower():
        raise ValueError(f"sha256 mismatch for {path}: expected {expected_sha256}, got {digest}")
    forecaster = MLXForecaster.from_bytes(payload, str(path))
    extra = forecaster.config.extra
    return LoadMLXModel(
        forecaster,
        list(extra["feature_columns"]),
        [float(v) for v in extra["fill_values"]],
        float(extra["baseline_fallback_mw"]),
    )
