"""Day-ahead electricity price forecasting benchmark (Lago et al. 2021, epftoolbox protocol).

    uv run python -m energy_assets.benchmarks.epf --data PJM.csv [--published FORECASTS.csv]
        [--out DIR] [--test-days 728] [--threads 2] [--tune] [--smoke]

Data: an epftoolbox market CSV read by position (col 0 timestamp, col 1 price, cols 2..
exogenous day-ahead forecasts, any names), hourly, 24 values a day, no gaps (`load_epf_csv`).

Protocol: the last `--test-days` days (728 = the 2 years of the paper) are the test period. For
each test day D every model is recalibrated on prices up to D-1 and exogenous forecasts up to D,
then forecasts D's 24 hours. Nothing is fitted on D or later; `test_no_look_ahead` perturbs the
prices of D onwards and checks that every forecast for D, the ensemble included, is unchanged.

Features (`day_features`, `long_features`): prices of D-1, D-2, D-3, D-7; each exogenous
forecast for D, D-1, D-7; day of week. The linear models and the MLP take the whole day vector
(96 + 72 k values + 7 dummies, k = number of exogenous series) and output 24 prices; LightGBM
takes (day, hour) rows: same-hour lags, D-1 mean/max/min/last hour, D-7 mean, exogenous D value,
D mean and max, D-1/D-7 same hour and the D-minus-D-1/D-7 differences, day of week, hour.
Prices and exogenous series go through the variance-stabilising transform
asinh((x - median) / (1.4826 MAD)) of Uniejewski et al. (2018), fitted on the training window
(per day for the linear models and the MLP, once before the first forecast day for LightGBM).

Models (each recalibrated every day; names as in the outputs):

- `lear_<w>`: LEAR-style linear model - one ridge regression per hour on the transformed day
  vector, trailing windows w = 56, 84, 364, 1092, 1456 days (LEAR uses 56/84/1092/1456 and a
  LASSO; a FISTA LASSO is here too, `LinearSpec(method="lasso")`, but ridge was as accurate on the
  validation year at a twentieth of the time). Penalty = 16 days' worth: ridge_days / n_days.
  `lear` = the mean over the windows.
- `lgbm_<w>`: LightGBM, L1 objective, target = transformed price minus transformed D-1 price
  (trees cannot extrapolate levels), 150 rounds, learning rate 0.1, 31 leaves, min 40 rows a
  leaf, feature/bagging fractions 0.8/0.7, 63 bins; retrained from scratch every day on the
  trailing w = 364 and 1092 days (1456 cannot be validated - only ~1090 days precede the
  validation year - and costs a third more; LightGBM is most of the run time). `lgbm` = mean.
- `mlp`: `energy_assets.models.mlx_forecaster.MLXForecaster`, day vector -> 24 transformed prices,
  hidden layers (64, 32) ReLU, L1 loss, Adam, 4 members (2 plain MLPs, 2 with a linear
  input->output skip; their mean). Fitted once on the 1456 days before the first forecast day
  (40 epochs, lr 1e-3), then each day warm-started for one epoch (lr 3e-4) on the latest 364 days.
- `ensemble`: convex combination of `lear`, `lgbm`, `mlp`. The weights for day D minimise the MAE
  over the 56 days before D (forecasts of earlier days, all out of sample; the run starts 28
  warm-up days before the test period, and the weights are equal until 7 past days exist), then
  are shrunk halfway towards equal weights (the "forecast combination puzzle": fitted weights are
  noisy). Never fitted on D or later.

Metrics (per model and for the published forecasts with `--published`, on the same hours): MAE,
RMSE, sMAPE (epftoolbox definition, percent) and rMAE = MAE / MAE of the weekly naive forecast
as epftoolbox `rMAE(..., m='W')` computes it: the naive forecast of a day is the same hour one
week earlier, built from the test period's own prices, so its MAE is taken over the test days
8..n (with 7 test days or fewer, from D-7 before the period).

Hyperparameters were chosen on the year before the test period (validation 2015-12-28 ..
2016-12-26 for PJM, training data before each validation day only; the test period was cut off
first) - `--tune` re-runs that comparison (`tune`, `tuning_candidates`). Validation-year MAE
($/MWh) that decided the choices (PJM):

- ridge vs LASSO (FISTA) at their best penalties: window 364: 2.36 vs 2.31, 1092: 2.45 vs 2.42
  on 61 days; ridge ~15 ms a day, LASSO ~130 ms. Ridge penalty: the best per window was
  0.3/0.1/0.03/0.01 for 56/84/364/1092 days, i.e. about 16 / n_days.
- LightGBM (61 days, window 1092): 100 rounds/15 leaves 2.40; 100/31 2.36; 150/31 2.32;
  200 rounds at lr 0.05/31 leaves 2.31 at 1.3x the time; L2 objective 2.32; delta target better
  than level (2.19 vs 2.23 on 31 days); fixed vs per-day transform equal (2.40 vs 2.38) but the
  fixed one builds the rows and bins once.
- MLP (first 120 validation days): (64, 32) 2.39, (128, 64) 2.50, 80 initial epochs 2.45,
  2 daily epochs 2.44, weight decay 2.45, Huber 2.45, no daily update 2.46, linear skip 2.26.
  On the whole year the skip MLP was better alone (2.43 vs 2.56) but the plain one helped the
  ensemble more; half of each was best in the ensemble.
- Ensemble (whole validation year): equal weights 2.157, fitted on 28 / 56 days 2.157 / 2.155,
  shrunk halfway 2.145 / 2.143 (with the plain MLP).

Outputs (`--out`, default `data/benchmarks/epf/<file stem>/`): `forecasts.csv` (ts, actual,
every model, the family means, ensemble) and `metrics.json` (scores, published scores, config,
seconds, load average); the last line printed is
`ensemble MAE=<x> sMAPE=<x>% rMAE=<x> hours=<n> seconds=<s>`.

Result on PJM (728 test days, 17,472 hours; 2-core machine, `--threads 2`, shared with other
jobs for most of the run): ensemble MAE 2.819 $/MWh, sMAPE 11.34%, rMAE 0.446 in 685 s; `lear`
2.968, `lgbm` 3.018, `mlp` 3.000. Published (same hours): DNN ensemble 2.862 / 11.33% / 0.452,
LEAR ensemble 3.013 / 11.98% / 0.476.

Compute: `--threads N` runs the base models in N single-threaded processes (MLX on its default
device: CPU with `mlx[cpu]`, whose bundled reference BLAS makes matmuls ~2 GFLOP/s - the reason
the MLP is small).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from energy_assets.evaluation.metrics import mae, rmse, smape

__all__ = [
    "BenchmarkConfig",
    "LGBMSpec",
    "LinearSpec",
    "MLPSpec",
    "Market",
    "configure_parser",
    "day_features",
    "load_epf_csv",
    "main",
    "market_from_frame",
    "rolling_forecasts",
    "run",
    "tune",
]

HOURS = 24
MAX_LAG = 7  # the oldest lag used by the features (D-7)


# ============================================================================ data
def load_epf_csv(path: str | Path) -> pl.DataFrame:
    """Read an epftoolbox market CSV by position: col 0 timestamp, col 1 price, cols 2.. exogenous.

    Returns columns `ts` (datetime), `price`, `exog_1..exog_k` (float64). Raises `ValueError`
    naming the file when the data are not hourly, complete days of 24 hours without gaps.
    """
    path = Path(path)
    try:
        raw = pl.read_csv(path, infer_schema_length=0)  # everything as text; cast below
    except (OSError, pl.exceptions.PolarsError) as error:
        raise ValueError(f"{path}: cannot read as CSV ({error})") from error
    if raw.width < 2:
        raise ValueError(
            f"{path}: expected at least 2 columns (timestamp, price[, exogenous...]), got {raw.width}"
        )
    if raw.height == 0:
        raise ValueError(f"{path}: no rows")
    names = raw.columns
    ts_text = raw.get_column(names[0]).str.strip_chars()
    ts = ts_text.str.to_datetime(strict=False, time_unit="us")
    bad = ts.is_null()
    if bad.any():
        first = int(bad.arg_max())
        raise ValueError(
            f"{path}: column 0 ({names[0].strip()!r}) row {first + 1} is not a timestamp: {ts_text[first]!r}"
        )
    out = {"ts": ts}
    for i, name in enumerate(names[1:]):
        col = raw.get_column(name).str.strip_chars().cast(pl.Float64, strict=False)
        bad = col.is_null() | col.is_nan()
        if bad.any():
            first = int(bad.arg_max())
            raise ValueError(
                f"{path}: column {i + 1} ({name.strip()!r}) row {first + 1} is missing or not a number"
            )
        out["price" if i == 0 else f"exog_{i}"] = col
    frame = pl.DataFrame(out)
    step = frame.get_column("ts").diff().drop_nulls()
    hour = np.timedelta64(1, "h")
    steps = step.to_numpy()
    if (steps != hour).any():
        first = int(np.flatnonzero(steps != hour)[0])
        prev, nxt = frame["ts"][first], frame["ts"][first + 1]
        kind = "gap" if steps[first] > hour else "duplicate or out-of-order timestamp"
        raise ValueError(
            f"{path}: not hourly without gaps: {kind} between {prev} and {nxt} (rows {first + 1}-{first + 2})"
        )
    first_ts = frame["ts"][0]
    if (first_ts.hour, first_ts.minute, first_ts.second) != (0, 0, 0):
        raise ValueError(f"{path}: the first timestamp {first_ts} is not midnight (24 per day)")
    if frame.height % HOURS:
        raise ValueError(
            f"{path}: {frame.height} rows is not a whole number of days of 24 hours (last day incomplete)"
        )
    if frame.height // HOURS <= MAX_LAG + 1:
        raise ValueError(f"{path}: only {frame.height // HOURS} days; need more than {MAX_LAG + 1}")
    return frame


@dataclass(frozen=True)
class Market:
    """A market as day arrays: `prices` (days, 24), `exog` (days, 24, k), `dates` (days,)."""

    name: str
    dates: np.ndarray  # datetime64[D]
    prices: np.ndarray
    exog: np.ndarray

    @property
    def n_days(self) -> int:
        return int(self.prices.shape[0])

    @property
    def n_exog(self) -> int:
        return int(self.exog.shape[2])

    @property
    def dow(self) -> np.ndarray:
        """Day of week, Monday 0 .. Sunday 6."""
        return ((self.dates.astype("datetime64[D]").astype(np.int64) + 3) % 7).astype(np.int64)


def market_from_frame(frame: pl.DataFrame, name: str = "market") -> Market:
    """The output of `load_epf_csv` as day arrays."""
    n = frame.height // HOURS
    exog_cols = [c for c in frame.columns if c.startswith("exog_")]
    prices = frame.get_column("price").to_numpy().astype(np.float64).reshape(n, HOURS)
    if exog_cols:
        exog = (
            frame.select(exog_cols).to_numpy().astype(np.float64).reshape(n, HOURS, len(exog_cols))
        )
    else:
        exog = np.zeros((n, HOURS, 0))
    dates = frame.get_column("ts").to_numpy()[::HOURS].astype("datetime64[D]")
    return Market(name=name, dates=dates, prices=prices, exog=exog)


# ============================================================================ features
# Day-level (LEAR-style) feature vector of day d: prices of D-1, D-2, D-3, D-7 (4 x 24), each
# exogenous forecast for D, D-1, D-7 (3 x 24 per series), day-of-week dummies (7).
PRICE_LAGS = (1, 2, 3, 7)
EXOG_LAGS = (0, 1, 7)


def day_features(prices: np.ndarray, exog: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Raw day feature rows for `days` (each >= 7): (len(days), 96 + 72 k) without dummies.

    Row d reads prices of days d-1, d-2, d-3, d-7 only and exogenous forecasts of d, d-1, d-7:
    `prices` may end at day d-1 (a shorter array than `exog`).
    """
    days = np.asarray(days, dtype=np.int64)
    if days.size and days.min() < MAX_LAG:
        raise ValueError(f"feature rows need day index >= {MAX_LAG}")
    parts = [prices[days - lag] for lag in PRICE_LAGS]
    for j in range(exog.shape[2]):
        parts.extend(exog[days - lag, :, j] for lag in EXOG_LAGS)
    return np.concatenate(parts, axis=1)


def _dummies(dow: np.ndarray) -> np.ndarray:
    return np.eye(7)[dow]


@dataclass(frozen=True)
class Scaler:
    """Variance-stabilising transform asinh((x - median) / (1.4826 MAD)) (Uniejewski et al. 2018).

    One (median, MAD) for prices and one per exogenous series, from the training window.
    """

    p_med: float
    p_mad: float
    e_med: np.ndarray
    e_mad: np.ndarray

    @staticmethod
    def fit(prices: np.ndarray, exog: np.ndarray) -> Scaler:
        p = prices.ravel()
        p_med = float(np.median(p))
        p_mad = float(np.median(np.abs(p - p_med)) * 1.4826)
        e = exog.reshape(-1, exog.shape[-1])
        e_med = np.median(e, axis=0)
        e_mad = np.median(np.abs(e - e_med), axis=0) * 1.4826
        scale = max(abs(p_med), 1.0)
        return Scaler(
            p_med,
            max(p_mad, 1e-3 * scale),
            e_med,
            np.maximum(e_mad, 1e-3 * np.maximum(np.abs(e_med), 1.0)),
        )

    def price(self, x: np.ndarray) -> np.ndarray:
        return np.arcsinh((x - self.p_med) / self.p_mad)

    def price_inverse(self, y: np.ndarray) -> np.ndarray:
        return self.p_med + self.p_mad * np.sinh(y)

    def exog(self, x: np.ndarray, j: int) -> np.ndarray:
        return np.arcsinh((x - self.e_med[j]) / self.e_mad[j])

    def day_rows(self, raw: np.ndarray, n_exog: int) -> np.ndarray:
        """Transform raw `day_features` rows (price block then one block per exog series)."""
        out = np.empty_like(raw)
        n_p = len(PRICE_LAGS) * HOURS
        out[:, :n_p] = self.price(raw[:, :n_p])
        width = len(EXOG_LAGS) * HOURS
        for j in range(n_exog):
            sl = slice(n_p + j * width, n_p + (j + 1) * width)
            out[:, sl] = self.exog(raw[:, sl], j)
        return out


def long_features(
    pt: np.ndarray, et: np.ndarray, dow: np.ndarray, days: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Per (day, hour) rows for gradient boosting, from transformed prices/exog.

    `pt` (transformed prices) needs rows up to max(days)-1 only; `et` up to max(days).
    Columns: same-hour prices D-1/D-2/D-3/D-7, D-1 mean/max/min and last hour, per exogenous
    series its D value (same hour), D daily mean and max, D-1 and D-7 same hour and the
    differences D - D-1 and D - D-7; day of week and hour.
    """
    days = np.asarray(days, dtype=np.int64)
    n = days.size
    cols: list[np.ndarray] = []
    names: list[str] = []

    def add(name: str, values: np.ndarray) -> None:
        names.append(name)
        cols.append(np.broadcast_to(values, (n, HOURS)).reshape(-1))

    for lag in PRICE_LAGS:
        add(f"price_d{lag}", pt[days - lag])
    prev = pt[days - 1]
    add("price_d1_mean", prev.mean(axis=1, keepdims=True))
    add("price_d1_max", prev.max(axis=1, keepdims=True))
    add("price_d1_min", prev.min(axis=1, keepdims=True))
    add("price_d1_last", prev[:, -1:])
    add("price_d7_mean", pt[days - 7].mean(axis=1, keepdims=True))
    for j in range(et.shape[2]):
        e0, e1, e7 = et[days, :, j], et[days - 1, :, j], et[days - 7, :, j]
        add(f"exog{j + 1}_d0", e0)
        add(f"exog{j + 1}_d0_mean", e0.mean(axis=1, keepdims=True))
        add(f"exog{j + 1}_d0_max", e0.max(axis=1, keepdims=True))
        add(f"exog{j + 1}_d1", e1)
        add(f"exog{j + 1}_d7", e7)
        add(f"exog{j + 1}_d0_minus_d1", e0 - e1)
        add(f"exog{j + 1}_d0_minus_d7", e0 - e7)
    add("dow", dow[days][:, None].astype(np.float64))
    add("hour", np.arange(HOURS, dtype=np.float64)[None, :])
    return np.stack(cols, axis=1), names


# ============================================================================ models
@dataclass(frozen=True)
class LinearSpec:
    """LEAR-style linear model: 24 per-hour regressions on the transformed day vector."""

    windows: tuple[int, ...] = (56, 84, 364, 1092, 1456)
    method: str = "ridge"  # "ridge" (closed form) or "lasso" (FISTA, warm-started day to day)
    ridge_days: float = 16.0  # ridge penalty on the mean squared error: ridge_days / n_days
    alpha: float = 0.003  # lasso penalty
    max_iter: int = 300
    tol: float = 1e-5


@dataclass(frozen=True)
class LGBMSpec:
    """LightGBM on (day, hour) rows; one booster per window, recalibrated daily."""

    windows: tuple[int, ...] = (364, 1092)
    rounds: int = 150
    params: dict[str, Any] = field(
        default_factory=lambda: {
            "objective": "l1",
            "learning_rate": 0.1,
            "num_leaves": 31,
            "min_data_in_leaf": 40,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.7,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            "max_bin": 63,
        }
    )
    target: str = "delta"  # "level": transformed price; "delta": minus transformed D-1 price
    scaling: str = "fixed"  # "fixed" or "window" (see _LGBMTask)


@dataclass(frozen=True)
class MLPSpec:
    """MLX MLP day vector -> 24 prices, warm-started day to day."""

    window: int = 1456  # days of the initial fit and of the daily scaler
    hidden: tuple[int, ...] = (64, 32)
    members: int = 4
    init_epochs: int = 40
    daily_days: int = 364  # most recent days revisited every day
    daily_epochs: int = 1
    learning_rate: float = 1e-3
    daily_learning_rate: float = 3e-4
    loss: str = "l1"
    weight_decay: float = 0.0
    input_noise: float = 0.0
    skip_members: int = 2  # members with a linear input->output skip (the others plain)
    batch_size: int = 32
    seed: int = 0


@dataclass(frozen=True)
class BenchmarkConfig:
    linear: LinearSpec | None = field(default_factory=LinearSpec)
    lgbm: LGBMSpec | None = field(default_factory=LGBMSpec)
    mlp: MLPSpec | None = field(default_factory=MLPSpec)
    ensemble_window: int = 56  # days of past forecasts the ensemble weights are fitted on
    ensemble_shrink: float = 0.5  # fraction of the way from the fitted weights to equal weights
    ensemble_min_days: int = 7  # equal weights until this many past days are available
    warmup_days: int = 28  # days forecast before the test period (not scored) for the ensemble


def _lasso_fista(
    G: np.ndarray, c: np.ndarray, alpha: float, b0: np.ndarray, max_iter: int, tol: float
) -> np.ndarray:
    """min_b 0.5 b'Gb - c'b + alpha |b|_1 for each column of c (accelerated proximal gradient)."""
    lip = float(np.linalg.eigvalsh(G)[-1]) if G.shape[0] <= 64 else _power_iteration(G)
    lip = max(lip, 1e-12)
    thr = alpha / lip
    b = b0.copy()
    z = b.copy()
    t = 1.0
    for _ in range(max_iter):
        grad = G @ z - c
        u = z - grad / lip
        b_new = np.sign(u) * np.maximum(np.abs(u) - thr, 0.0)
        t_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        z = b_new + ((t - 1.0) / t_new) * (b_new - b)
        done = np.max(np.abs(b_new - b)) < tol
        b, t = b_new, t_new
        if done:
            break
    return b


def _power_iteration(G: np.ndarray, iters: int = 30) -> float:
    v = np.ones(G.shape[0]) / math.sqrt(G.shape[0])
    lam = 0.0
    for _ in range(iters):
        w = G @ v
        lam = float(np.linalg.norm(w))
        if lam == 0:
            return 0.0
        v = w / lam
    return lam * 1.01


class _LinearTask:
    def __init__(self, spec: LinearSpec, window: int):
        self.spec, self.window = spec, window
        self.coef: np.ndarray | None = None

    def forecast(self, m: Market, raw: np.ndarray, D: int) -> np.ndarray:
        days = np.arange(max(MAX_LAG, D - self.window), D)
        sc = Scaler.fit(m.prices[days], m.exog[days])
        X = np.concatenate([sc.day_rows(raw[days], m.n_exog), _dummies(m.dow[days])], axis=1)
        Y = sc.price(m.prices[days])
        x = np.concatenate([sc.day_rows(raw[D : D + 1], m.n_exog), _dummies(m.dow[[D]])], axis=1)
        xm, ym = X.mean(axis=0), Y.mean(axis=0)
        Xc, Yc = X - xm, Y - ym
        n = X.shape[0]
        G = Xc.T @ Xc / n
        c = Xc.T @ Yc / n
        if self.spec.method == "ridge":
            lam = self.spec.ridge_days / n
            b = np.linalg.solve(G + lam * np.eye(G.shape[0]), c)
        elif self.spec.method == "lasso":
            b0 = self.coef if self.coef is not None else np.zeros_like(c)
            b = _lasso_fista(G, c, self.spec.alpha, b0, self.spec.max_iter, self.spec.tol)
            self.coef = b
        else:
            raise ValueError(f"unknown linear method {self.spec.method!r}")
        return sc.price_inverse(ym + (x - xm) @ b)[0]


class _LGBMTask:
    """Daily LightGBM retrain on the trailing window.

    scaling "window": the asinh transform is re-fitted on each day's window (features rebuilt
    daily); "fixed": one transform fitted on the history before the first forecast day, so the
    (day, hour) rows and their LightGBM bins are built once and each day trains on a row subset
    (bins from pre-forecast rows only).
    """

    def __init__(self, spec: LGBMSpec, window: int, seed: int = 0):
        self.spec, self.window, self.seed = spec, window, seed
        self.origin: int | None = None  # first forecast day of the run (fixed transform)
        self._fixed: dict[str, Any] | None = None

    def _params(self) -> dict[str, Any]:
        return {
            **self.spec.params,
            "num_threads": 1,
            "deterministic": True,
            "force_row_wise": True,  # ~10% faster than col-wise here (27 features)
            "verbosity": -1,
            "seed": self.seed,
        }

    def _base(self, X: np.ndarray) -> np.ndarray | float:
        # column 0 is price_d1 (transformed): the "delta" target is relative to it
        return X[:, 0] if self.spec.target == "delta" else 0.0

    def forecast(self, m: Market, raw: np.ndarray, D: int) -> np.ndarray:
        if self.spec.scaling == "fixed":
            return self._forecast_fixed(m, D)
        import lightgbm as lgb

        days = np.arange(max(MAX_LAG, D - self.window), D)
        sc = Scaler.fit(m.prices[days], m.exog[days])
        lo = days[0] - MAX_LAG
        # Transformed prices up to D-1 only, exogenous forecasts up to D (index shifted by lo).
        pt = sc.price(m.prices[lo:D])
        et = np.stack([sc.exog(m.exog[lo : D + 1, :, j], j) for j in range(m.n_exog)], axis=2)
        dow = m.dow[lo : D + 1]
        X, _ = long_features(pt, et, dow, days - lo)
        y = pt[days - lo].reshape(-1)
        xq, _ = long_features(pt, et, dow, np.array([D - lo]))
        params = self._params()
        ds = lgb.Dataset(X, y - self._base(X), params={"max_bin": params.get("max_bin", 255)})
        booster = lgb.train(params, ds, num_boost_round=self.spec.rounds)
        return sc.price_inverse(booster.predict(xq) + self._base(xq))

    def _forecast_fixed(self, m: Market, D: int) -> np.ndarray:
        import lightgbm as lgb

        if self._fixed is None or self._fixed["first"] > D:
            first = D if self.origin is None else min(self.origin, D)
            hist = np.arange(max(MAX_LAG, first - 1456), first)
            sc = Scaler.fit(m.prices[hist], m.exog[hist])
            pt = sc.price(m.prices)
            et = np.stack([sc.exog(m.exog[:, :, j], j) for j in range(m.n_exog)], axis=2)
            days = np.arange(MAX_LAG, m.n_days)
            X, _ = long_features(pt, et, m.dow, days)
            y = pt[days].reshape(-1) - self._base(X)
            params = self._params()
            dp = {"max_bin": params.get("max_bin", 255), "verbosity": -1}
            n_hist = (first - MAX_LAG) * HOURS  # rows of days before the first forecast day
            ref = lgb.Dataset(X[:n_hist], y[:n_hist], params=dp, free_raw_data=False)
            full = lgb.Dataset(X, y, params=dp, reference=ref, free_raw_data=False).construct()
            self._fixed = {"first": first, "sc": sc, "X": X, "full": full, "params": params}
        f = self._fixed
        lo = max(MAX_LAG, D - self.window)
        rows = np.arange((lo - MAX_LAG) * HOURS, (D - MAX_LAG) * HOURS)
        booster = lgb.train(f["params"], f["full"].subset(rows), num_boost_round=self.spec.rounds)
        xq = f["X"][(D - MAX_LAG) * HOURS : (D - MAX_LAG + 1) * HOURS]
        return f["sc"].price_inverse(booster.predict(xq) + self._base(xq))


class _MLPTask:
    """MLX MLPs day vector -> 24 transformed prices: fitted once, then warm-started daily.

    `members - skip_members` plain MLPs and `skip_members` MLPs with a linear input->output
    skip; the forecast is the mean over all members.
    """

    def __init__(self, spec: MLPSpec):
        self.spec = spec
        self.models: list[Any] = []
        self.last_day: int | None = None

    def _xy(self, m: Market, raw: np.ndarray, sc: Scaler, days: np.ndarray):
        X = np.concatenate([sc.day_rows(raw[days], m.n_exog), _dummies(m.dow[days])], axis=1)
        return X, sc.price(m.prices[days])

    def forecast(self, m: Market, raw: np.ndarray, D: int) -> np.ndarray:
        from energy_assets.models.mlx_forecaster import MLXForecaster

        s = self.spec
        days = np.arange(max(MAX_LAG, D - s.window), D)
        sc = Scaler.fit(m.prices[days], m.exog[days])
        if not self.models or self.last_day is None or self.last_day + 1 != D:
            X, Y = self._xy(m, raw, sc, days)
            groups = [(s.members - s.skip_members, False), (s.skip_members, True)]
            self.models = [
                MLXForecaster(
                    hidden=s.hidden,
                    n_members=n,
                    epochs=s.init_epochs,
                    batch_size=s.batch_size,
                    learning_rate=s.learning_rate,
                    weight_decay=s.weight_decay,
                    loss=s.loss,
                    input_noise=s.input_noise,
                    linear_skip=skip,
                    seed=s.seed + i,
                ).fit(X, Y)
                for i, (n, skip) in enumerate(groups)
                if n > 0
            ]
        elif s.daily_epochs > 0:
            X, Y = self._xy(m, raw, sc, days[-s.daily_days :])
            for model in self.models:
                model.fit(
                    X,
                    Y,
                    epochs=s.daily_epochs,
                    warm_start=True,
                    learning_rate=s.daily_learning_rate,
                )
        self.last_day = D
        x, _ = self._xy(m, raw, sc, np.array([D]))
        preds = [model.predict(x, members=True) for model in self.models]
        return sc.price_inverse(np.concatenate(preds, axis=0).mean(axis=0))[0]


def _make_task(config: BenchmarkConfig, name: str):
    family, _, window = name.partition("_")
    if family == "lear" and config.linear is not None:
        return _LinearTask(config.linear, int(window))
    if family == "lgbm" and config.lgbm is not None:
        return _LGBMTask(config.lgbm, int(window))
    if family == "mlp" and config.mlp is not None:
        return _MLPTask(config.mlp)
    raise ValueError(f"unknown or disabled model {name!r}")


def task_names(config: BenchmarkConfig) -> list[str]:
    """Base forecasters: `lear_<window>`, `lgbm_<window>`, `mlp`."""
    names: list[str] = []
    if config.linear is not None:
        names += [f"lear_{w}" for w in config.linear.windows]
    if config.lgbm is not None:
        names += [f"lgbm_{w}" for w in config.lgbm.windows]
    if config.mlp is not None:
        names.append("mlp")
    return names


def _run_task(
    config: BenchmarkConfig, name: str, market: Market, days: Sequence[int], origin: int
) -> tuple[str, np.ndarray, float]:
    """Forecast `days` (increasing) with one base model, recalibrated for each day.

    `origin` is the first forecast day of the whole run (<= days[0]): LightGBM fits its fixed
    transform and bins on the days before it, so a run split into day chunks gives the same
    forecasts as one pass.
    """
    began = time.perf_counter()
    task = _make_task(config, name)
    if isinstance(task, _LGBMTask):
        task.origin = origin
    raw = day_features(market.prices, market.exog, np.arange(MAX_LAG, market.n_days))
    raw = np.concatenate([np.full((MAX_LAG, raw.shape[1]), np.nan), raw], axis=0)
    out = np.empty((len(days), HOURS))
    for i, D in enumerate(days):
        out[i] = task.forecast(market, raw, int(D))
    return name, out, time.perf_counter() - began


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _jobs(names: list[str], days: list[int], workers: int) -> list[tuple[str, list[int]]]:
    """(model, days) jobs, longest first; LightGBM (stateless, the costliest) split in chunks."""
    jobs: list[tuple[str, list[int]]] = []
    for name in sorted(names, key=_cost_rank):
        chunks = 2 * workers if name.startswith("lgbm") and workers > 1 else 1
        for part in np.array_split(np.asarray(days), chunks):
            if part.size:
                jobs.append((name, part.tolist()))
    return jobs


def rolling_forecasts(
    market: Market,
    days: Sequence[int],
    config: BenchmarkConfig,
    workers: int = 0,
    log: Callable[[str], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Every base model's forecasts (len(days), 24) for `days`; CPU seconds per model.

    Each model recalibrates for day D on data up to D-1 (exogenous forecasts up to D). With
    `workers >= 1` the models (LightGBM in day chunks when workers > 1) run in that many
    single-threaded processes (BLAS threads pinned to 1: oversubscribed BLAS threads slow the
    small solves down many times on a busy machine); 0 runs them here, one after the other.
    The forecasts do not depend on `workers`.
    """
    names = task_names(config)
    days = [int(d) for d in days]
    origin = days[0]
    parts: dict[str, list[np.ndarray]] = {n: [] for n in names}
    seconds: dict[str, float] = dict.fromkeys(names, 0.0)

    def collect(name: str, fc: np.ndarray, sec: float, n_days: int) -> None:
        parts[name].append(fc)
        seconds[name] += sec
        if log:
            log(f"  {name}: {n_days} days in {sec:.1f} s")

    if workers <= 0:
        for name in names:
            _, fc, sec = _run_task(config, name, market, days, origin)
            collect(name, fc, sec, len(days))
        return {n: parts[n][0] for n in names}, seconds
    import multiprocessing as mp

    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k in _THREAD_VARS})
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            jobs = _jobs(names, days, workers)
            futures = [pool.submit(_run_task, config, n, market, d, origin) for n, d in jobs]
            # chunks of one model come back in day order (submitted in order, collected in order)
            for (name, d), fut in zip(jobs, futures, strict=True):
                _, fc, sec = fut.result()
                collect(name, fc, sec, len(d))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {n: np.concatenate(parts[n], axis=0) for n in names}, seconds


def _cost_rank(name: str) -> tuple[int, int]:
    """Longest-first scheduling: MLP, long-window LightGBM, ..., short linear."""
    family, _, window = name.partition("_")
    w = int(window) if window else 0
    return ({"mlp": 0, "lgbm": 1, "lear": 2}[family], -w)


# ============================================================================ ensemble
def simplex_l1_weights(F: np.ndarray, y: np.ndarray, iters: int = 300) -> np.ndarray:
    """Convex weights w (sum 1, >= 0) minimising mean |F w - y| (exponentiated subgradient)."""
    n, k = F.shape
    w = np.full(k, 1.0 / k)
    scale = float(np.mean(np.abs(y - F.mean(axis=1)))) + 1e-9
    best_w, best = w.copy(), float(np.mean(np.abs(F @ w - y)))
    for it in range(iters):
        r = F @ w - y
        g = F.T @ np.sign(r) / n
        eta = 2.0 / (scale * math.sqrt(it + 1.0))
        w = w * np.exp(-eta * (g - g.max()))
        w /= w.sum()
        obj = float(np.mean(np.abs(F @ w - y)))
        if obj < best:
            best, best_w = obj, w.copy()
    return best_w


def ensemble_forecasts(
    forecasts: dict[str, np.ndarray],
    actual: np.ndarray,
    window: int,
    shrink: float = 0.0,
    min_days: int = 7,
) -> tuple[np.ndarray, np.ndarray]:
    """Ensemble of day i with convex weights fitted on days [i - window, i) only (never i or later).

    The weights minimise the MAE over the (up to `window`) past days, then move a fraction
    `shrink` towards equal weights. With fewer than `min_days` past days, or window 0, the
    weights are equal. Returns (forecast (days, 24), weights (days, models)).
    """
    names = list(forecasts)
    k = len(names)
    stack = np.stack([forecasts[n] for n in names], axis=2)  # (days, 24, models)
    n_days = stack.shape[0]
    equal = np.full(k, 1.0 / k)
    out = np.empty((n_days, HOURS))
    weights = np.empty((n_days, k))
    for i in range(n_days):
        lo = max(0, i - window)
        if window > 0 and i - lo >= min_days:
            w = simplex_l1_weights(stack[lo:i].reshape(-1, k), actual[lo:i].reshape(-1))
            w = (1.0 - shrink) * w + shrink * equal
        else:
            w = equal
        weights[i] = w
        out[i] = stack[i] @ w
    return out, weights


def family_means(forecasts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Mean over the windows of each family with more than one member (`lear`, `lgbm`)."""
    groups: dict[str, list[np.ndarray]] = {}
    for name, fc in forecasts.items():
        family, _, window = name.partition("_")
        if window:
            groups.setdefault(family, []).append(fc)
    return {f: np.mean(fcs, axis=0) for f, fcs in groups.items() if len(fcs) > 1}


def ensemble_inputs(forecasts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What the ensemble combines: each family's window mean (or its single model), and the MLP."""
    means = family_means(forecasts)
    out: dict[str, np.ndarray] = {}
    for name, fc in forecasts.items():
        family = name.partition("_")[0]
        if family in means:
            out.setdefault(family, means[family])
        else:
            out[name] = fc
    return out


# ============================================================================ metrics
def weekly_naive_mae(market: Market, test_days: np.ndarray) -> tuple[float, str]:
    """Denominator of rMAE: MAE of the weekly naive forecast (price of the same hour of D-7).

    As epftoolbox `rMAE(..., m='W')`: computed on the test period's own prices, over its days 8..n
    (the first week has no naive forecast inside the period). With 7 or fewer test days the naive
    forecast of every test day reads D-7 from before the period.
    """
    actual = market.prices[test_days]
    if len(test_days) > 7:
        return mae(actual[7:], actual[:-7]), "epftoolbox m='W' (test days 8..n, D-7 same hour)"
    return mae(actual, market.prices[test_days - 7]), "D-7 same hour over all test days"


def score(actual: np.ndarray, forecast: np.ndarray, naive_mae: float) -> dict[str, float]:
    a, f = np.asarray(actual).ravel(), np.asarray(forecast).ravel()
    m = mae(a, f)
    return {
        "mae": m,
        "rmse": rmse(a, f),
        "smape": smape(a, f),
        "rmae": m / naive_mae,
        "hours": int(np.sum(~np.isnan(a) & ~np.isnan(f))),
    }


def published_metrics(
    path: str | Path, ts: np.ndarray, actual: np.ndarray, naive_mae: float
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Scores of the published forecasts (epftoolbox CSV, index column = datetime) on our hours."""
    path = Path(path)
    pub = pl.read_csv(path, infer_schema_length=0)
    first = pub.columns[0]
    pub = pub.with_columns(
        pl.col(first).str.strip_chars().str.to_datetime(time_unit="us").alias("ts")
    ).drop(first)
    pub = pub.with_columns([pl.col(c).cast(pl.Float64) for c in pub.columns if c != "ts"])
    ours = pl.DataFrame({"ts": ts, "actual": actual.ravel()}).with_columns(
        pl.col("ts").cast(pl.Datetime("us"))
    )
    joined = ours.join(pub, on="ts", how="inner")
    info: dict[str, Any] = {"path": str(path), "hours_matched": joined.height}
    if joined.height == 0:
        return {}, info
    a = joined.get_column("actual").to_numpy()
    cols = [c for c in pub.columns if c != "ts"]
    if "Real price" in cols:
        info["max_abs_diff_real_price"] = float(
            np.max(np.abs(joined.get_column("Real price").to_numpy() - a))
        )
        cols.remove("Real price")
    return {c: score(a, joined.get_column(c).to_numpy(), naive_mae) for c in cols}, info


# ============================================================================ tuning
VALIDATION_DAYS = 364


def validation_market(market: Market, test_days: int) -> Market:
    """The market without its test period (whose last `VALIDATION_DAYS` days validate choices)."""
    keep = market.n_days - test_days
    return Market(
        name=f"{market.name}-pretest",
        dates=market.dates[:keep],
        prices=market.prices[:keep],
        exog=market.exog[:keep],
    )


def tuning_candidates() -> dict[str, BenchmarkConfig]:
    """Model variants compared on the validation year, one family at a time (first = default)."""
    base = BenchmarkConfig()
    lin, lgbm, mlp = base.linear, base.lgbm, base.mlp
    only = {"linear": None, "lgbm": None, "mlp": None}

    def linear(**kw: Any) -> BenchmarkConfig:
        return replace(base, **{**only, "linear": replace(lin, **kw)})

    def boost(**kw: Any) -> BenchmarkConfig:
        return replace(base, **{**only, "lgbm": replace(lgbm, **kw)})

    def net(**kw: Any) -> BenchmarkConfig:
        return replace(base, **{**only, "mlp": replace(mlp, **kw)})

    return {
        "lear default": linear(),
        "lear ridge_days=4": linear(ridge_days=4.0),
        "lear ridge_days=64": linear(ridge_days=64.0),
        "lgbm default": boost(),
        "lgbm 100 rounds": boost(rounds=100),
        "lgbm level target": boost(target="level"),
        "mlp default": net(),
        "mlp no skip": net(skip_members=0),
        "mlp all skip": net(skip_members=mlp.members),
        "mlp hidden 128,64": net(hidden=(128, 64)),
    }


def tune(
    market: Market,
    test_days: int,
    workers: int = 0,
    candidates: dict[str, BenchmarkConfig] | None = None,
    log: Callable[[str], None] | None = print,
    validation_days: int = VALIDATION_DAYS,
) -> dict[str, float]:
    """Validation-year MAE of each candidate, and of ensemble variants of the defaults.

    The test period is cut off first, so nothing of it is seen; the validation period is the
    last `VALIDATION_DAYS` days before it, each forecast with data up to the day before.
    Returns {label: MAE}; the labels "lear default", "lgbm default" and "mlp default" must be
    among the candidates for the ensemble variants (window / shrinkage) to be scored.
    """
    pre = validation_market(market, test_days)
    cands = candidates or tuning_candidates()
    config = BenchmarkConfig()
    days, first = _forecast_days(pre, validation_days, config.warmup_days)
    keep = days >= first
    actual = pre.prices[days]
    if log:
        log(f"validation {pre.dates[first]}..{pre.dates[-1]} ({validation_days} days)")
    results: dict[str, float] = {}
    defaults: dict[str, np.ndarray] = {}
    for label, cfg in cands.items():
        began = time.perf_counter()
        base, _ = rolling_forecasts(pre, days, cfg, workers)
        fam = {**base, **family_means(base)}
        if label.endswith(" default"):
            defaults.update({k.partition("_")[0]: v for k, v in ensemble_inputs(base).items()})
        for name, fc in fam.items():
            results[f"{label}: {name}"] = mae(actual[keep], fc[keep])
        if log:
            scores = ", ".join(f"{n} {results[f'{label}: {n}']:.3f}" for n in fam)
            log(f"  {label} ({time.perf_counter() - began:.0f} s): {scores}")
    if {"lear", "lgbm", "mlp"} <= set(defaults):
        inputs = {k: defaults[k] for k in ("lear", "lgbm", "mlp")}
        for window, shrink in [(0, 0.0), (28, 0.0), (56, 0.0), (28, 0.5), (56, 0.5), (91, 0.5)]:
            ens, _ = ensemble_forecasts(inputs, actual, window, shrink, config.ensemble_min_days)
            label = f"ensemble window={window} shrink={shrink}"
            results[label] = mae(actual[keep], ens[keep])
            if log:
                log(f"  {label}: {results[label]:.3f}")
    return results


# ============================================================================ run
def smoke_config() -> BenchmarkConfig:
    """Tiny models: the full pipeline in seconds (tests, CI)."""
    return BenchmarkConfig(
        linear=LinearSpec(windows=(56, 364)),
        lgbm=LGBMSpec(windows=(56,), rounds=10),
        mlp=MLPSpec(
            window=364, hidden=(8,), members=2, skip_members=1, init_epochs=2, daily_days=28
        ),
        ensemble_window=3,
        ensemble_min_days=2,
        warmup_days=3,
    )


def _forecast_days(market: Market, test_days: int, warmup: int) -> tuple[np.ndarray, int]:
    if test_days < 1:
        raise ValueError("--test-days must be >= 1")
    first_test = market.n_days - test_days
    first = first_test - warmup
    if first < MAX_LAG + 28:
        raise ValueError(
            f"{market.name}: {market.n_days} days cannot hold {test_days} test days, {warmup}"
            f" warm-up days and {MAX_LAG + 28} days of history"
        )
    return np.arange(first, market.n_days), first_test


def evaluate_market(
    market: Market,
    test_days: int,
    config: BenchmarkConfig,
    workers: int = 0,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Rolling forecasts for the last `test_days` days, the ensemble, and their scores.

    `workers`: processes for the base models (0 = this process), see `rolling_forecasts`.
    """
    days, first_test = _forecast_days(market, test_days, config.warmup_days)
    base, seconds = rolling_forecasts(market, days, config, workers, log)
    actual_all = market.prices[days]
    inputs = ensemble_inputs(base)
    ens, weights = ensemble_forecasts(
        inputs, actual_all, config.ensemble_window, config.ensemble_shrink, config.ensemble_min_days
    )
    keep = days >= first_test
    models = {**base, **family_means(base), "ensemble": ens}
    models = {n: fc[keep] for n, fc in models.items()}
    test = days[keep]
    naive, naive_desc = weekly_naive_mae(market, test)
    actual = market.prices[test]
    return {
        "test_days": test,
        "actual": actual,
        "forecasts": models,
        "ensemble_inputs": list(inputs),
        "ensemble_weights": weights[keep],
        "scores": {n: score(actual, fc, naive) for n, fc in models.items()},
        "naive_mae": naive,
        "naive": naive_desc,
        "seconds": seconds,
    }


def _default_out(data: Path) -> Path:
    from energy_assets import settings

    return settings.data_dir() / "benchmarks" / "epf" / data.stem


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Options of `energy-assets benchmark epf` (also `python -m energy_assets.benchmarks.epf`)."""
    parser.add_argument("--data", required=True, type=Path, help="epftoolbox market CSV")
    parser.add_argument(
        "--published", type=Path, help="published forecasts CSV (epftoolbox) to score alongside"
    )
    parser.add_argument(
        "--out", type=Path, help="output folder (default data/benchmarks/epf/<file stem>/)"
    )
    parser.add_argument("--test-days", type=int, default=728, help="last N days are the test set")
    parser.add_argument("--threads", type=int, default=2, help="parallel model processes")
    parser.add_argument(
        "--tune",
        action="store_true",
        help="instead: score the tuning candidates on the year before the test period (long)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny models (pipeline check in seconds)"
    )
    parser.add_argument("--quiet", action="store_true", help="no per-model progress lines")
    return parser


def _table(scores: dict[str, dict[str, float]]) -> list[str]:
    lines = [
        f"{'model':<22} {'MAE':>7} {'RMSE':>7} {'sMAPE%':>7} {'rMAE':>6} {'hours':>6}",
    ]
    for name, s in scores.items():
        lines.append(
            f"{name:<22} {s['mae']:7.3f} {s['rmse']:7.3f} {s['smape']:7.2f} {s['rmae']:6.3f} {s['hours']:6d}"
        )
    return lines


def run(args: argparse.Namespace) -> int:
    """Run the benchmark (see module doc); prints a table and the summary line last."""
    began = time.perf_counter()
    load_start = os.getloadavg()
    config = smoke_config() if getattr(args, "smoke", False) else BenchmarkConfig()
    try:
        if args.threads < 1:
            raise ValueError("--threads must be >= 1")
        frame = load_epf_csv(args.data)
        market = market_from_frame(frame, Path(args.data).stem)
        _forecast_days(market, args.test_days, config.warmup_days)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    log = None if getattr(args, "quiet", False) else (lambda msg: print(msg, flush=True))
    if getattr(args, "tune", False):
        tune(market, args.test_days, workers=args.threads, log=print)
        return 0
    if log:
        log(
            f"{market.name}: {market.n_days} days, {market.n_exog} exogenous series; test = last"
            f" {args.test_days} days; models {task_names(config)}; {args.threads} processes"
        )
    result = evaluate_market(market, args.test_days, config, args.threads, log)
    seconds = time.perf_counter() - began
    out = Path(args.out) if args.out else _default_out(Path(args.data))
    out.mkdir(parents=True, exist_ok=True)
    test = result["test_days"]
    ts = (
        (
            market.dates[test].astype("datetime64[h]")[:, None]
            + np.arange(HOURS).astype("timedelta64[h]")
        )
        .ravel()
        .astype("datetime64[us]")
    )
    columns: dict[str, Any] = {"ts": ts, "actual": result["actual"].ravel()}
    columns.update({n: fc.ravel() for n, fc in result["forecasts"].items()})
    pl.DataFrame(columns).with_columns(pl.col("ts").cast(pl.Datetime("us"))).write_csv(
        out / "forecasts.csv", datetime_format="%Y-%m-%d %H:%M:%S"
    )
    published: dict[str, dict[str, float]] = {}
    published_info: dict[str, Any] = {}
    if getattr(args, "published", None):
        published, published_info = published_metrics(
            args.published, ts, result["actual"], result["naive_mae"]
        )
    metrics = {
        "market": market.name,
        "data": str(args.data),
        "test_period": [str(market.dates[test[0]]), str(market.dates[test[-1]])],
        "test_days": len(test),
        "models": result["scores"],
        "published": published,
        "published_info": published_info,
        "rmae_naive": result["naive"],
        "naive_mae": result["naive_mae"],
        "ensemble": {
            "inputs": result["ensemble_inputs"],
            "window_days": config.ensemble_window,
            "mean_weights": dict(
                zip(
                    result["ensemble_inputs"],
                    result["ensemble_weights"].mean(axis=0).round(4).tolist(),
                    strict=True,
                )
            ),
        },
        "config": asdict(config),
        "model_seconds": result["seconds"],
        "seconds": seconds,
        "processes": args.threads,
        "cpu_count": os.cpu_count(),
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str) + "\n")
    print()
    for line in _table(result["scores"]):
        print(line)
    if published:
        print("published:")
        for line in _table(published)[1:]:
            print(line)
    print(f"outputs in {out}")
    e = result["scores"]["ensemble"]
    print(
        f"ensemble MAE={e['mae']:.3f} sMAPE={e['smape']:.2f}% rMAE={e['rmae']:.3f}"
        f" hours={e['hours']} seconds={seconds:.0f}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = configure_parser(
        argparse.ArgumentParser(prog="python -m energy_assets.benchmarks.epf", description=__doc__)
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
