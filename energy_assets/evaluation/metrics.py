"""Forecast scores on numpy arrays (pure).

Every metric drops the positions where any of its inputs is NaN (or None), and raises
`ValueError` when the inputs differ in length or no valid position is left. Units: `mae`,
`rmse` and `pinball_loss` are in the unit of the data (MW, $/MWh, ...); `mape` and `smape` are
percent; `rmae` and `interval_coverage` are ratios.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "diebold_mariano",
    "interval_coverage",
    "mae",
    "mape",
    "pinball_loss",
    "rmae",
    "rmse",
    "smape",
]

ArrayLike = np.ndarray | Sequence[float]


def _valid(*arrays: ArrayLike) -> list[np.ndarray]:
    """As float arrays, restricted to the positions where all are finite-or-inf (not NaN)."""
    arrs = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    lengths = {a.shape[0] for a in arrs}
    if len(lengths) != 1:
        raise ValueError(f"length mismatch: {[a.shape[0] for a in arrs]}")
    mask = np.ones(arrs[0].shape[0], dtype=bool)
    for a in arrs:
        mask &= ~np.isnan(a)
    if not mask.any():
        raise ValueError("no valid (non-NaN) pairs")
    return [a[mask] for a in arrs]


def mae(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute error."""
    a, f = _valid(actual, forecast)
    return float(np.mean(np.abs(a - f)))


def rmse(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Root mean squared error."""
    a, f = _valid(actual, forecast)
    return float(np.sqrt(np.mean((a - f) ** 2)))


def mape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute percentage error, percent: mean(|a - f| / |a|) * 100, zero actuals skipped."""
    a, f = _valid(actual, forecast)
    nonzero = a != 0
    if not nonzero.any():
        raise ValueError("no non-zero actuals")
    a, f = a[nonzero], f[nonzero]
    return float(np.mean(np.abs(a - f) / np.abs(a)) * 100.0)


def smape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Symmetric MAPE, percent, as in epftoolbox: mean(2 |a - f| / (|a| + |f|)) * 100.

    A position where both actual and forecast are 0 is a perfect forecast and scores 0
    (epftoolbox would give NaN there). Range 0..200.
    """
    a, f = _valid(actual, forecast)
    denom = np.abs(a) + np.abs(f)
    num = 2.0 * np.abs(a - f)
    terms = np.divide(num, denom, out=np.zeros_like(num), where=denom != 0)
    return float(np.mean(terms) * 100.0)


def rmae(actual: ArrayLike, forecast: ArrayLike, naive: ArrayLike) -> float:
    """Relative MAE: MAE(forecast) / MAE(naive) over the positions where all three are known.

    Below 1 the forecast beats the naive one. Raises if the naive forecast is perfect (MAE 0).
    """
    a, f, n = _valid(actual, forecast, naive)
    naive_mae = float(np.mean(np.abs(a - n)))
    if naive_mae == 0:
        raise ValueError("naive forecast has zero MAE; rMAE undefined")
    return float(np.mean(np.abs(a - f))) / naive_mae


def pinball_loss(actual: ArrayLike, q_forecast: ArrayLike, q: float) -> float:
    """Mean pinball (quantile) loss of a forecast of quantile `q` (0 < q < 1).

    Per position: q * (a - f) if a >= f else (1 - q) * (f - a).
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1), got {q}")
    a, f = _valid(actual, q_forecast)
    diff = a - f
    return float(np.mean(np.maximum(q * diff, (q - 1.0) * diff)))


def interval_coverage(actual: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> float:
    """Fraction of actuals inside the closed interval [lo, hi] (e.g. P10-P90: ideally 0.8)."""
    a, low, high = _valid(actual, lo, hi)
    return float(np.mean((a >= low) & (a <= high)))


def diebold_mariano(loss_reference: ArrayLike, loss_model: ArrayLike) -> tuple[float, float]:
    """One-sided Diebold-Mariano test on per-period losses (e.g. each day's mean absolute error
    over its hours, the epftoolbox "multivariate" version): H1 is that the model is more
    accurate than the reference. d_t = loss_reference_t - loss_model_t,
    DM = mean(d) / sqrt(var(d) / n), p = 1 - Phi(DM). Returns (DM, p); a small p means the
    model is significantly better. Raises when fewer than 2 periods or d is constant.
    """
    ref, model = _valid(loss_reference, loss_model)
    d = ref - model
    n = d.shape[0]
    if n < 2:
        raise ValueError("the Diebold-Mariano test needs at least 2 periods")
    variance = float(np.var(d, ddof=0))
    if variance == 0:
        raise ValueError("loss differential is constant; Diebold-Mariano undefined")
    stat = float(np.mean(d) / math.sqrt(variance / n))
    return stat, 0.5 * math.erfc(stat / math.sqrt(2.0))
