"""Multi-output MLP forecaster on MLX (pure: numpy in, numpy out; no Dagster, no I/O but save/load).

`MLXForecaster` maps one feature vector per sample (e.g. everything known about a day) to
`n_outputs` targets at once (e.g. the day's 24 hourly prices). It trains `n_members`
independent MLPs side by side as one batched network (weights of shape `(members, in, out)`),
so a seed ensemble costs about as much as one network on a CPU, and predicts their mean.

- Inputs and targets are standardized with the mean/std of the data given to the first `fit`
  (kept on warm-started fits, so a model recalibrated every day sees one fixed input scale).
  Domain transforms (e.g. asinh of prices) belong to the caller.
- Architecture: `hidden` fully connected layers (ReLU/GELU/SiLU/tanh), linear output; with
  `linear_skip=True` a direct linear input->output map is added (starts at zero), so the net
  learns "linear model + nonlinear correction".
- Training: Adam(W), mini-batches, L1 (default), L2 or Huber loss, optional Gaussian input noise;
  or the pinball loss over `quantiles`, one output per target and quantile.
  `fit(..., warm_start=True)` continues from the current weights and optimizer state: a few
  epochs per day recalibrate a daily model cheaply.
- Determinism: initial weights, shuffling and noise come from the `seed` (numpy and MLX
  generators seeded explicitly), so two forecasters built and fitted the same way predict the
  same numbers on one machine and backend.
- Device: the MLX default device is left alone (CPU with `mlx[cpu]`, GPU with Metal/CUDA builds).
  The Linux `mlx[cpu]` wheel bundles the reference (netlib) BLAS: matmuls run at ~2 GFLOP/s,
  some 30x below numpy's OpenBLAS, so keep CPU networks small.

Artifacts: `save(path)` writes one `.npz` (weights, scalers and a JSON config string; no
pickle); `MLXForecaster.load(path)` restores a forecaster that predicts identically.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from energy_assets.atomic import write_atomic

if TYPE_CHECKING:
    import mlx.core as mx
    import mlx.optimizers as optim

    from energy_assets.models._mlx_net import BatchedMLP

__all__ = ["MLXConfig", "MLXForecaster"]

_FORMAT = "energy_assets.mlx_forecaster"
_FORMAT_VERSION = 1
_LOSSES = ("l1", "l2", "huber", "pinball")
# The keys of `_mlx_net.ACTIVATIONS`; MLX itself is imported only where a network is built, run
# or restored, so that `MLXConfig` (and this module) import without it.
_ACTIVATIONS = ("relu", "gelu", "silu", "tanh")


@dataclass
class MLXConfig:
    """Hyperparameters of an `MLXForecaster` (all JSON-serialisable)."""

    hidden: tuple[int, ...] = (256, 128)
    n_members: int = 4
    epochs: int = 60
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    loss: str = "l1"
    huber_delta: float = 1.0
    activation: str = "relu"
    input_noise: float = 0.0
    linear_skip: bool = False
    seed: int = 0
    quantiles: tuple[float, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.hidden = tuple(int(h) for h in self.hidden)
        self.quantiles = tuple(float(q) for q in self.quantiles)
        if self.loss not in _LOSSES:
            raise ValueError(f"loss must be one of {_LOSSES}, got {self.loss!r}")
        if (self.loss == "pinball") != bool(self.quantiles):
            raise ValueError("quantiles are given exactly when loss is 'pinball'")
        if any(not 0.0 < q < 1.0 for q in self.quantiles) or list(self.quantiles) != sorted(
            set(self.quantiles)
        ):
            raise ValueError(f"quantiles must be increasing and in (0, 1), got {self.quantiles}")
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}")
        if self.n_members < 1 or self.batch_size < 1 or self.epochs < 0:
            raise ValueError("n_members and batch_size must be >= 1, epochs >= 0")
        if any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden sizes must be >= 1, got {self.hidden}")


class MLXForecaster:
    """Seed-ensemble of multi-output MLPs with standardized inputs/targets (see module doc)."""

    def __init__(self, config: MLXConfig | None = None, **overrides: Any):
        base = asdict(config) if config is not None else {}
        base.update(overrides)
        self.config = MLXConfig(**base)
        self._model: BatchedMLP | None = None
        self._optimizer: optim.Optimizer | None = None
        self._step = None
        self._rng = np.random.default_rng(self.config.seed)
        self.x_mean: np.ndarray | None = None
        self.x_std: np.ndarray | None = None
        self.y_mean: np.ndarray | None = None
        self.y_std: np.ndarray | None = None
        self.epochs_trained = 0

    # ------------------------------------------------------------------ public API
    @property
    def is_fitted(self) -> bool:
        return self._model is not None

    @property
    def n_inputs(self) -> int:
        self._require_fitted()
        return int(self.x_mean.shape[0])

    @property
    def n_outputs(self) -> int:
        self._require_fitted()
        return int(self.y_mean.shape[0])

    def fit(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        epochs: int | None = None,
        warm_start: bool = False,
        learning_rate: float | None = None,
        x_scale: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> MLXForecaster:
        """Train on X (n, inputs) -> Y (n, outputs); `warm_start` continues the current model.
        `x_scale` (mean, std per input) replaces the inputs' own on a new fit: for inputs
        whose missing values were filled, the statistics of the known values (a column filled
        with its mean has a smaller spread than its values, and would magnify them)."""
        import mlx.core as mx

        X, Y = self._check_xy(X, Y)
        cfg = self.config
        if not (warm_start and self.is_fitted):
            self._init(X, Y)
            if x_scale is not None:
                mean, std = (np.asarray(v, dtype=np.float64) for v in x_scale)
                if mean.shape != (X.shape[1],) or std.shape != (X.shape[1],):
                    raise ValueError(f"x_scale for {X.shape[1]} inputs expected")
                self.x_mean, self.x_std = mean, np.where(std > 1e-12, std, 1.0)
        elif X.shape[1] != self.n_inputs or Y.shape[1] != self.n_outputs:
            raise ValueError(
                f"warm start with {X.shape[1]} inputs / {Y.shape[1]} outputs; the model has"
                f" {self.n_inputs} / {self.n_outputs}"
            )
        if learning_rate is not None:
            self._optimizer.learning_rate = learning_rate
        xs = mx.array(((X - self.x_mean) / self.x_std).astype(np.float32))
        ys = mx.array(((Y - self.y_mean) / self.y_std).astype(np.float32))
        n = X.shape[0]
        bs = min(cfg.batch_size, n)
        n_batches = max(1, n // bs)
        for _ in range(cfg.epochs if epochs is None else epochs):
            # an epoch's batches gathered and noised at once: the same draws in the same order
            # as batch by batch (numpy's generator fills arrays sequentially), fewer calls
            order = mx.array(self._rng.permutation(n)[: n_batches * bs].astype(np.uint32))
            x_epoch, y_epoch = xs[order], ys[order]
            if cfg.input_noise > 0:
                noise = self._rng.standard_normal((n_batches * bs, X.shape[1]))
                x_epoch = x_epoch + cfg.input_noise * mx.array(noise.astype(np.float32))
            for b in range(n_batches):
                self._step(x_epoch[b * bs : (b + 1) * bs], y_epoch[b * bs : (b + 1) * bs])
            mx.eval(self._model.parameters(), self._optimizer.state)
            self.epochs_trained += 1
        return self

    @property
    def outputs_per_target(self) -> int:
        """1, or the number of quantiles with the pinball loss."""
        return max(1, len(self.config.quantiles))

    def predict(self, X: np.ndarray, *, members: bool = False) -> np.ndarray:
        """Predictions (n, outputs): the members' mean, or (members, n, outputs) if `members`.

        With the pinball loss each target has one column per quantile, target-major:
        `[t0 q0, t0 q1, ..., t1 q0, ...]` (members' quantiles averaged: Vincentization).
        """
        import mlx.core as mx

        self._require_fitted()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"X must be (n, {self.n_inputs}), got {X.shape}")
        out = self._model(mx.array(((X - self.x_mean) / self.x_std).astype(np.float32)))
        per = self.outputs_per_target
        y = np.array(out, dtype=np.float64) * np.repeat(self.y_std, per) + np.repeat(
            self.y_mean, per
        )
        return y if members else y.mean(axis=0)

    def save(self, path: str | Path) -> Path:
        """Write weights, scalers and config to one `.npz` file atomically; returns the path."""
        path = Path(path)
        write_atomic(path, self.to_bytes())
        return path

    def to_bytes(self) -> bytes:
        """The `.npz` document `save` writes (weights, scalers, JSON config; no pickle)."""
        self._require_fitted()
        meta = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "config": asdict(self.config),
            "epochs_trained": self.epochs_trained,
        }
        arrays: dict[str, np.ndarray] = {
            "meta": np.array(json.dumps(meta)),
            "x_mean": self.x_mean,
            "x_std": self.x_std,
            "y_mean": self.y_mean,
            "y_std": self.y_std,
        }
        for i, layer in enumerate(self._model.layers):
            arrays[f"w{i}"] = np.array(layer["w"])
            arrays[f"b{i}"] = np.array(layer["b"])
        if self.config.linear_skip:
            arrays["skip"] = np.array(self._model.skip)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def load(cls, path: str | Path) -> MLXForecaster:
        """Restore a forecaster written by `save` (predictions identical to the saved one)."""
        return cls.from_bytes(Path(path).read_bytes(), str(path))

    @classmethod
    def from_bytes(cls, payload: bytes, name: str = "payload") -> MLXForecaster:
        """Restore a forecaster from the bytes of `to_bytes`; `name` labels errors."""
        import mlx.core as mx

        path = name
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != _FORMAT:
                raise ValueError(f"{path} is not an MLXForecaster artifact")
            if meta.get("version") != _FORMAT_VERSION:
                raise ValueError(f"{path}: unsupported version {meta.get('version')}")
            self = cls(MLXConfig(**meta["config"]))
            self.x_mean, self.x_std = data["x_mean"], data["x_std"]
            self.y_mean, self.y_std = data["y_mean"], data["y_std"]
            self._build(self.n_inputs_from(data), self.y_mean.shape[0] * self.outputs_per_target)
            for i, layer in enumerate(self._model.layers):
                layer["w"] = mx.array(data[f"w{i}"])
                layer["b"] = mx.array(data[f"b{i}"])
            if self.config.linear_skip:
                self._model.skip = mx.array(data["skip"])
            self.epochs_trained = int(meta.get("epochs_trained", 0))
        mx.eval(self._model.parameters())
        return self

    @staticmethod
    def n_inputs_from(data: Any) -> int:
        return int(data["x_mean"].shape[0])

    # ------------------------------------------------------------------ internals
    def _require_fitted(self) -> None:
        if self._model is None:
            raise RuntimeError("MLXForecaster is not fitted")

    @staticmethod
    def _check_xy(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        if Y.ndim == 1:
            Y = Y[:, None]
        if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0] or X.shape[0] == 0:
            raise ValueError(f"X (n, inputs) and Y (n, outputs) expected, got {X.shape}, {Y.shape}")
        if not (np.isfinite(X).all() and np.isfinite(Y).all()):
            raise ValueError("X and Y must be finite (no NaN/inf)")
        return X, Y

    def _init(self, X: np.ndarray, Y: np.ndarray) -> None:
        self._rng = np.random.default_rng(self.config.seed)
        self.x_mean = X.mean(axis=0)
        self.x_std = np.where(X.std(axis=0) > 1e-12, X.std(axis=0), 1.0)
        self.y_mean = Y.mean(axis=0)
        self.y_std = np.where(Y.std(axis=0) > 1e-12, Y.std(axis=0), 1.0)
        self.epochs_trained = 0
        self._build(X.shape[1], Y.shape[1] * self.outputs_per_target)

    def _build(self, n_in: int, n_out: int) -> None:
        import mlx.core as mx
        import mlx.nn as nn
        import mlx.optimizers as optim

        from energy_assets.models._mlx_net import BatchedMLP

        cfg = self.config
        mx.random.seed(cfg.seed)
        sizes = [n_in, *cfg.hidden, n_out]
        self._model = BatchedMLP(sizes, cfg.n_members, cfg.activation, self._rng, cfg.linear_skip)
        if cfg.weight_decay > 0:
            self._optimizer = optim.AdamW(
                learning_rate=cfg.learning_rate, weight_decay=cfg.weight_decay
            )
        else:
            self._optimizer = optim.Adam(learning_rate=cfg.learning_rate)
        model, optimizer = self._model, self._optimizer
        loss_name, delta = cfg.loss, cfg.huber_delta
        levels = mx.array(np.asarray(cfg.quantiles, dtype=np.float32))
        per_target = self.outputs_per_target

        def loss_fn(m: BatchedMLP, x: mx.array, y: mx.array) -> mx.array:
            if loss_name == "pinball":
                out = m(x)
                pred = out.reshape(*out.shape[:2], -1, per_target)  # (members, B, targets, Q)
                miss = y[None, :, :, None] - pred
                return mx.maximum(levels * miss, (levels - 1.0) * miss).mean(axis=(1, 2, 3)).sum()
            err = m(x) - y[None]
            if loss_name == "l1":
                per = mx.abs(err)
            elif loss_name == "l2":
                per = err * err
            else:
                a = mx.abs(err)
                per = mx.where(a <= delta, 0.5 * err * err, delta * (a - 0.5 * delta))
            # Sum over members (independent networks), mean over samples and outputs.
            return per.mean(axis=(1, 2)).sum()

        loss_and_grad = nn.value_and_grad(model, loss_fn)
        optimizer.init(model.trainable_parameters())
        state = [model.state, optimizer.state]

        def step(x: mx.array, y: mx.array) -> mx.array:
            loss, grads = loss_and_grad(model, x, y)
            optimizer.update(model, grads)
            return loss

        self._step = mx.compile(step, inputs=state, outputs=state)
