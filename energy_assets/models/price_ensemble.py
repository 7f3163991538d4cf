"""The price ensemble: convex weights fitted on past days only, and its calibrated quantiles.

One implementation for `benchmark epf` and `models/price_ensemble` / `forecasts/price_day_ahead`
(`energy_assets/defs/prices.py`). `ensemble_forecasts` weighs day i on days [i - window, i);
`ensemble_inputs` combines each family's window mean (`lear`, `lgbm`, `mlp`) and the single
models; `residual_quantiles` turns past days' out-of-sample ensemble errors into P10/P90
offsets (`band_offsets`: never inside P50), and `rolling_band_offsets` does so for every day of
a run from the days before it.
"""

from __future__ import annotations

import math

import numpy as np

from energy_assets.features.price import HOURS

# The ensemble's defaults, for the benchmark (`BenchmarkConfig`) and the assets
# (`PriceEnsembleConfig`): chosen on the validation year (`benchmarks/epf.py`).
WINDOW_DAYS = 56  # days of past forecasts the weights are fitted on
SHRINK = 0.5  # fraction of the way from the fitted weights to equal weights
MIN_DAYS = 7  # equal weights (and no calibrated band) until this many past days exist
CALIBRATION_DAYS = 56  # past days whose ensemble errors give the P10/P90 offsets


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


def residual_quantiles(
    actual: np.ndarray, forecast: np.ndarray, quantiles: tuple[float, ...] = (0.1, 0.9)
) -> dict[float, float]:
    """Empirical quantiles of actual - forecast over past days' hours (pooled over hours): the
    offsets that give P10/P90 the coverage those days had. NaN hours are left out."""
    err = (np.asarray(actual) - np.asarray(forecast)).ravel()
    err = err[~np.isnan(err)]
    if err.size == 0:
        raise ValueError("no past errors to calibrate quantiles on")
    return {q: float(np.quantile(err, q)) for q in quantiles}


def band_offsets(actual: np.ndarray, forecast: np.ndarray) -> tuple[float, float]:
    """(P10 offset <= 0, P90 offset >= 0) from past days' errors: `residual_quantiles`, with
    P10 never above and P90 never below P50."""
    q = residual_quantiles(actual, forecast)
    return min(q[0.1], 0.0), max(q[0.9], 0.0)


def rolling_band_offsets(
    actual: np.ndarray, forecast: np.ndarray, window: int, min_days: int
) -> np.ndarray:
    """Day i's (P10, P90) offsets from the errors of days [i - window, i) only (never i or
    later), as `models/price_ensemble` calibrates each day; NaN with fewer than `min_days`."""
    out = np.full((forecast.shape[0], 2), np.nan)
    for i in range(forecast.shape[0]):
        lo = max(0, i - window)
        if i - lo >= min_days:
            out[i] = band_offsets(actual[lo:i], forecast[lo:i])
    return out
