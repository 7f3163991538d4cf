"""LightGBM price model on (day, hour) rows, retrained every day on a trailing window.

One implementation for `benchmark epf` and `models/price_lightgbm`
(`energy_assets/defs/prices.py`). `LGBMTask(spec, window).fit(market, raw, D)` trains on the
trailing `window` days before D and returns an `LGBMFit`; `LGBMFit.predict(day_vector, dow,
n_exog)` forecasts D's 24 prices from D's day vector alone (`features.price.day_features`: every
input of D's (day, hour) rows is one of its blocks), so the forecast asset needs only the
model and the day's features.

A member trains one booster per target of `spec.targets` on the same rows (by default the
transformed price's change from D-1, "delta", and its level, "level") and forecasts the mean
of their prices: on the validation year the two together were better than either
(`benchmarks/epf.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from energy_assets.features.price import (
    EXOG_LAGS,
    HOURS,
    MAX_LAG,
    PRICE_LAGS,
    Market,
    Scaler,
    long_features,
)


@dataclass(frozen=True)
class LGBMSpec:
    """LightGBM on (day, hour) rows; one booster per window, recalibrated daily."""

    windows: tuple[int, ...] = (364, 1092)
    rounds: int = 70  # at learning rate 0.14: as accurate as 150 at 0.1 for half the time
    params: dict[str, Any] = field(
        default_factory=lambda: {
            # squared error: on the validation year as good as L1 (ensemble 2.1086 / 2.1097),
            # better on price spikes, cheaper (benchmarks/epf.py)
            "objective": "l2",
            "learning_rate": 0.14,
            "num_leaves": 31,
            "min_data_in_leaf": 40,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.7,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            "max_bin": 63,
        }
    )
    # one booster each, prices averaged: "level": the transformed price; "delta": minus the
    # transformed D-1 price
    targets: tuple[str, ...] = ("delta", "level")
    scaling: str = "fixed"  # "fixed" or "window" (see _LGBMTask)


def query_rows(scaler: Scaler, day_vector: np.ndarray, dow: int, n_exog: int) -> np.ndarray:
    """D's 24 (day, hour) rows (`long_features`) from D's raw day vector, transformed."""
    n_p = len(PRICE_LAGS) * HOURS
    pt = np.full((MAX_LAG + 1, HOURS), np.nan)
    for k, lag in enumerate(PRICE_LAGS):
        pt[MAX_LAG - lag] = scaler.price(day_vector[k * HOURS : (k + 1) * HOURS])
    et = np.full((MAX_LAG + 1, HOURS, n_exog), np.nan)
    width = len(EXOG_LAGS) * HOURS
    for j in range(n_exog):
        block = day_vector[n_p + j * width : n_p + (j + 1) * width]
        for k, lag in enumerate(EXOG_LAGS):
            et[MAX_LAG - lag, :, j] = scaler.exog(block[k * HOURS : (k + 1) * HOURS], j)
    dows = np.full(MAX_LAG + 1, int(dow), dtype=np.int64)
    X, _ = long_features(pt, et, dows, np.array([MAX_LAG]))
    return X


def _base(X: np.ndarray, target: str) -> np.ndarray | float:
    """What a target is relative to: column 0 is price_d1 (transformed) for "delta"."""
    if target not in ("delta", "level"):
        raise ValueError(f"unknown LightGBM target {target!r}")
    return X[:, 0] if target == "delta" else 0.0


def _dataset_params(params: dict[str, Any]) -> dict[str, Any]:
    """What a Dataset must be built with: its bins, and linear trees if the booster fits them
    (LightGBM cannot add them to a Dataset built without; the process aborts)."""
    out = {"max_bin": params.get("max_bin", 255), "verbosity": -1}
    if params.get("linear_tree"):
        out["linear_tree"] = True
    return out


@dataclass
class LGBMFit:
    """The trained boosters (one per target), and the transform their rows were built with."""

    scaler: Scaler
    boosters: dict[str, Any]  # target -> lightgbm.Booster
    training_days: int

    def predict(self, day_vector: np.ndarray, dow: int, n_exog: int) -> np.ndarray:
        """D's 24 prices: the mean of the targets' boosters' prices."""
        xq = query_rows(self.scaler, day_vector, dow, n_exog)
        prices = [
            self.scaler.price_inverse(booster.predict(xq) + _base(xq, target))
            for target, booster in self.boosters.items()
        ]
        return np.mean(prices, axis=0)


class LGBMTask:
    """Daily LightGBM retrain on the trailing window.

    scaling "window": the asinh transform is re-fitted on each day's window (features rebuilt
    daily); "fixed": one transform fitted on the history before the first forecast day
    (`origin`), so the (day, hour) rows and their LightGBM bins are built once and each day
    trains on a row subset (bins from pre-forecast rows only).
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

    def fit(self, m: Market, raw: np.ndarray, D: int) -> LGBMFit:
        if self.spec.scaling == "fixed":
            return self._fit_fixed(m, D)
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
        params = self._params()
        boosters = {}
        for target in self.spec.targets:
            ds = lgb.Dataset(X, y - _base(X, target), params=_dataset_params(params))
            boosters[target] = lgb.train(params, ds, num_boost_round=self.spec.rounds)
        return LGBMFit(sc, boosters, len(days))

    def _fit_fixed(self, m: Market, D: int) -> LGBMFit:
        import lightgbm as lgb

        if self._fixed is None or self._fixed["first"] > D:
            first = D if self.origin is None else min(self.origin, D)
            hist = np.arange(max(MAX_LAG, first - 1456), first)
            sc = Scaler.fit(m.prices[hist], m.exog[hist])
            pt = sc.price(m.prices)
            et = np.stack([sc.exog(m.exog[:, :, j], j) for j in range(m.n_exog)], axis=2)
            days = np.arange(MAX_LAG, m.n_days)
            X, _ = long_features(pt, et, m.dow, days)
            params = self._params()
            dp = _dataset_params(params)
            n_hist = (first - MAX_LAG) * HOURS  # rows of days before the first forecast day
            full = {}
            for target in self.spec.targets:
                y = pt[days].reshape(-1) - _base(X, target)
                ref = lgb.Dataset(X[:n_hist], y[:n_hist], params=dp, free_raw_data=False)
                full[target] = lgb.Dataset(
                    X, y, params=dp, reference=ref, free_raw_data=False
                ).construct()
            self._fixed = {"first": first, "sc": sc, "full": full, "params": params}
        f = self._fixed
        lo = max(MAX_LAG, D - self.window)
        rows = np.arange((lo - MAX_LAG) * HOURS, (D - MAX_LAG) * HOURS)
        boosters = {
            target: lgb.train(f["params"], full.subset(rows), num_boost_round=self.spec.rounds)
            for target, full in f["full"].items()
        }
        return LGBMFit(f["sc"], boosters, D - lo)

    def forecast(self, m: Market, raw: np.ndarray, D: int) -> np.ndarray:
        return self.fit(m, raw, D).predict(raw[D], int(m.dow[D]), m.n_exog)
