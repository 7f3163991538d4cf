"""MLX MLP price model: day vector -> 24 transformed prices, fitted once, then warm-started daily.

One implementation for `benchmark epf` and `models/price_mlx` (`energy_assets/defs/prices.py`).
One member per calibration window of `spec.windows` (`mlp_<window>`: its initial fit and its
daily transform use that many days), each a mean over `spec.members` networks.
`MLPTask(spec, window).fit(market, raw, D)` returns an `MLPFit` (the transform of D's window
and the networks); its `predict(day_vector, dow, n_exog)` forecasts D from D's features alone.
The task keeps its networks between consecutive days (warm start); `MLPTask.resume` hands it
the networks of day D-1 (the asset's artifact of the day before), so a day-by-day run
continues as the benchmark's single pass does.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np

from energy_assets.features.price import MAX_LAG, Market, Scaler, dummies


@dataclass(frozen=True)
class MLPSpec:
    """MLX MLP day vector -> 24 prices, warm-started day to day."""

    windows: tuple[int, ...] = (364, 728, 1092, 1456)  # days of the initial fit and the scaler
    hidden: tuple[int, ...] = (64, 32)
    members: int = 8  # networks per window (their mean is the member's forecast)
    init_epochs: int = 40
    daily_days: int = 364  # most recent days revisited every day
    daily_epochs: int = 1
    learning_rate: float = 1e-3
    daily_learning_rate: float = 3e-4
    loss: str = "l1"
    weight_decay: float = 0.0
    input_noise: float = 0.0
    # SiLU rather than ReLU: worse alone on the validation year but its errors differ more from
    # the other families', the ensemble 2.1045 against 2.1086 (benchmarks/epf.py)
    activation: str = "silu"
    skip_members: int = 4  # networks with a linear input->output skip (the others plain)
    batch_size: int = 32
    seed: int = 0


@dataclass
class MLPFit:
    """The day's transform and the fitted members (their forecast is the mean over members)."""

    scaler: Scaler
    models: list[Any]  # MLXForecaster
    training_days: int

    def predict(self, day_vector: np.ndarray, dow: int, n_exog: int) -> np.ndarray:
        x = np.concatenate(
            [self.scaler.day_rows(day_vector[None, :], n_exog), dummies(np.array([dow]))], axis=1
        )
        preds = [model.predict(x, members=True) for model in self.models]
        return self.scaler.price_inverse(np.concatenate(preds, axis=0).mean(axis=0))[0]

    def to_bytes(self) -> bytes:
        return pickle.dumps(
            {
                "scaler": self.scaler,
                "models": [m.to_bytes() for m in self.models],
                "training_days": self.training_days,
            }
        )

    @staticmethod
    def from_bytes(payload: bytes) -> MLPFit:
        from energy_assets.models.mlx_forecaster import MLXForecaster

        doc = pickle.loads(payload)
        models = [MLXForecaster.from_bytes(b) for b in doc["models"]]
        return MLPFit(doc["scaler"], models, doc["training_days"])


class MLPTask:
    """MLX MLPs day vector -> 24 transformed prices: fitted once, then warm-started daily.

    `members - skip_members` plain MLPs and `skip_members` MLPs with a linear input->output
    skip; the forecast is the mean over all members.
    """

    def __init__(self, spec: MLPSpec, window: int):
        self.spec, self.window = spec, window
        self.models: list[Any] = []
        self.last_day: int | None = None

    def resume(self, models: list[Any], last_day: int) -> None:
        """Continue from the members fitted for day `last_day` (warm start on `last_day` + 1)."""
        self.models, self.last_day = list(models), last_day

    def _resumable(self) -> bool:
        """Whether the networks held are of the spec's shape and activation: a day's networks
        stored under other settings (e.g. ReLU before the SiLU default, another `hidden`) are
        fitted anew, never warm-started under the new settings' name."""
        s = self.spec
        return all(
            tuple(model.config.hidden) == tuple(s.hidden)
            and model.config.activation == s.activation
            for model in self.models
        )

    def _xy(self, m: Market, raw: np.ndarray, sc: Scaler, days: np.ndarray):
        X = np.concatenate([sc.day_rows(raw[days], m.n_exog), dummies(m.dow[days])], axis=1)
        return X, sc.price(m.prices[days])

    def fit(self, m: Market, raw: np.ndarray, D: int) -> MLPFit:
        from energy_assets.models.mlx_forecaster import MLXForecaster

        s = self.spec
        days = np.arange(max(MAX_LAG, D - self.window), D)
        sc = Scaler.fit(m.prices[days], m.exog[days])
        if (
            not self.models
            or self.last_day is None
            or self.last_day + 1 != D
            or not self._resumable()
        ):
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
                    activation=s.activation,
                    linear_skip=skip,
                    seed=s.seed + self.window + i,
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
        return MLPFit(sc, self.models, len(days))

    def forecast(self, m: Market, raw: np.ndarray, D: int) -> np.ndarray:
        return self.fit(m, raw, D).predict(raw[D], int(m.dow[D]), m.n_exog)
