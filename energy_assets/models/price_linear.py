"""LEAR-style linear price model: 24 per-hour regressions on the transformed day vector.

One implementation for `benchmark epf` and `models/price_lear` (`energy_assets/defs/prices.py`).
`LinearTask(spec, window).fit(market, raw, D)` fits on the trailing `window` days before D
(prices up to D-1, exogenous forecasts up to D) and returns a `LinearFit`, whose `predict`
gives D's 24 prices; `forecast` is both (what the benchmark calls every day).

A member fits each of `spec.methods` on the same rows (a closed-form ridge and a FISTA LASSO by
default) and forecasts the mean of their prices: on the validation year the two together were
better than either (`benchmarks/epf.py`). The LASSO is warm-started from the day before's
coefficients (`LinearTask.resume` hands them over from a stored fit made on the same features).

Prices enter and leave through the asinh transform; the exogenous forecasts (load) are only
standardised (`spec.exog_transform = "linear"`, `features.price.Scaler`): the transformed
price, about the log of a high price, is then linear in the load, and a forecast can climb as
steeply as prices do when the load nears the top of the supply stack. On the validation year
the linear family went from 2.221 to 2.171 $/MWh and the ensemble from 2.1045 to 2.0843, on
the year before it from 3.480 to 3.376 and 3.389 to 3.359 (`benchmarks/epf.py`).

The linear algebra runs with BLAS on one thread (`threadpoolctl`): with two, OpenBLAS sums in
another order, and the LASSO, warm-started day after day, carried the difference to 7e-4 of a
price on a 10-day run; one thread gives the same forecasts in the benchmark's worker
processes (pinned to one), in-process and in the price assets, on any machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from energy_assets.features.price import MAX_LAG, Market, Scaler, dummies


@dataclass(frozen=True)
class LinearSpec:
    """LEAR-style linear model: 24 per-hour regressions on the transformed day vector."""

    windows: tuple[int, ...] = (56, 84, 364, 1092, 1456)
    # each fitted on the same rows, prices averaged: "ridge" (closed form), "lasso" (FISTA,
    # warm-started day to day)
    methods: tuple[str, ...] = ("ridge", "lasso")
    ridge_days: float = 16.0  # ridge penalty on the mean squared error: ridge_days / n_days
    alpha: float = 0.003  # lasso penalty
    max_iter: int = 300
    tol: float = 1e-5
    # "linear": exogenous forecasts standardised only; "asinh": as the prices (LEAR's choice)
    exog_transform: str = "linear"


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


@dataclass(frozen=True)
class LinearFit:
    """A fitted linear model: the transform, the centring and, per method, the coefficients
    (features x 24)."""

    scaler: Scaler
    x_mean: np.ndarray
    y_mean: np.ndarray
    coefs: dict[str, np.ndarray]  # method -> coefficients
    training_days: int

    def predict(self, day_vector: np.ndarray, dow: int, n_exog: int) -> np.ndarray:
        """D's 24 prices from D's raw day vector (`day_features`) and day of week: the mean of
        the methods' prices."""
        x = np.concatenate(
            [self.scaler.day_rows(day_vector[None, :], n_exog), dummies(np.array([dow]))], axis=1
        )
        with threadpool_limits(limits=1, user_api="blas"):
            prices = [
                self.scaler.price_inverse(self.y_mean + (x - self.x_mean) @ coef)[0]
                for coef in self.coefs.values()
            ]
        return np.mean(prices, axis=0)


class LinearTask:
    def __init__(self, spec: LinearSpec, window: int):
        self.spec, self.window = spec, window
        self.coef: np.ndarray | None = None  # the LASSO's last coefficients (warm start)

    def resume(self, previous: LinearFit) -> None:
        """Warm-start the LASSO from the fit of the day before (a stored artifact), if that fit
        was made on the same features (a fit stored before `exog_transform` existed was made
        on asinh-transformed exogenous forecasts)."""
        scaler = getattr(previous, "scaler", None)
        if getattr(scaler, "exog_transform", "asinh") != self.spec.exog_transform:
            self.coef = None
            return
        self.coef = getattr(previous, "coefs", {}).get("lasso")

    def fit(self, m: Market, raw: np.ndarray, D: int) -> LinearFit:
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(m, raw, D)

    def _fit(self, m: Market, raw: np.ndarray, D: int) -> LinearFit:
        days = np.arange(max(MAX_LAG, D - self.window), D)
        sc = Scaler.fit(m.prices[days], m.exog[days], self.spec.exog_transform)
        X = np.concatenate([sc.day_rows(raw[days], m.n_exog), dummies(m.dow[days])], axis=1)
        Y = sc.price(m.prices[days])
        xm, ym = X.mean(axis=0), Y.mean(axis=0)
        Xc, Yc = X - xm, Y - ym
        n = X.shape[0]
        G = Xc.T @ Xc / n
        c = Xc.T @ Yc / n
        coefs: dict[str, np.ndarray] = {}
        for method in self.spec.methods:
            if method == "ridge":
                lam = self.spec.ridge_days / n
                coefs[method] = np.linalg.solve(G + lam * np.eye(G.shape[0]), c)
            elif method == "lasso":
                b0 = self.coef if self.coef is not None else np.zeros_like(c)
                b = _lasso_fista(G, c, self.spec.alpha, b0, self.spec.max_iter, self.spec.tol)
                coefs[method] = self.coef = b
            else:
                raise ValueError(f"unknown linear method {method!r}")
        return LinearFit(sc, xm, ym, coefs, int(n))

    def forecast(self, m: Market, raw: np.ndarray, D: int) -> np.ndarray:
        return self.fit(m, raw, D).predict(raw[D], int(m.dow[D]), m.n_exog)
