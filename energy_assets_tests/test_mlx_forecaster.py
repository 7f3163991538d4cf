"""MLX multi-output MLP forecaster: shapes, determinism, save/load, learns a pattern."""

from __future__ import annotations

import numpy as np
import pytest

from energy_assets.models.mlx_forecaster import MLXConfig, MLXForecaster


def synthetic_days(n: int = 400, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Day vectors -> 24 'prices': a daily shape scaled by a level plus a nonlinear load effect."""
    rng = np.random.default_rng(seed)
    level = 30 + 5 * rng.standard_normal(n)
    load = rng.standard_normal((n, 3))
    shape = np.sin(np.linspace(0, 2 * np.pi, 24))
    Y = (
        level[:, None] * (1 + 0.3 * shape)
        + 4 * np.tanh(load[:, :1]) * (1 + shape)
        + load[:, 1:2] ** 2
    )
    X = np.concatenate([level[:, None] + rng.standard_normal((n, 1)), load], axis=1)
    return X, Y + 0.3 * rng.standard_normal(Y.shape)


SMALL = {"hidden": (32, 16), "n_members": 2, "epochs": 30, "batch_size": 32, "learning_rate": 3e-3}


def test_fit_predict_shapes() -> None:
    X, Y = synthetic_days(120)
    model = MLXForecaster(**{**SMALL, "epochs": 2}).fit(X[:100], Y[:100])
    assert model.is_fitted and model.n_inputs == 4 and model.n_outputs == 24
    assert model.predict(X[100:]).shape == (20, 24)
    assert model.predict(X[100:], members=True).shape == (2, 20, 24)
    with pytest.raises(ValueError):
        model.predict(X[:, :3])
    with pytest.raises(ValueError):
        model.fit(X, Y[:10])
    with pytest.raises(RuntimeError):
        MLXForecaster().predict(X)


def test_deterministic_with_seed_and_warm_start() -> None:
    X, Y = synthetic_days(150)
    a = MLXForecaster(**{**SMALL, "epochs": 3}, seed=11).fit(X, Y)
    b = MLXForecaster(MLXConfig(**{**SMALL, "epochs": 3}, seed=11)).fit(X, Y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    a.fit(X[:50], Y[:50], epochs=2, warm_start=True)
    b.fit(X[:50], Y[:50], epochs=2, warm_start=True)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    c = MLXForecaster(**{**SMALL, "epochs": 3}, seed=12).fit(X, Y)
    assert not np.array_equal(
        c.predict(X), MLXForecaster(**{**SMALL, "epochs": 3}, seed=11).fit(X, Y).predict(X)
    )


def test_save_load_roundtrip(tmp_path) -> None:
    X, Y = synthetic_days(150)
    model = MLXForecaster(
        **{**SMALL, "epochs": 3}, loss="huber", activation="gelu", linear_skip=True
    ).fit(X, Y)
    path = model.save(tmp_path / "sub" / "mlp.npz")
    loaded = MLXForecaster.load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.config == model.config
    # a loaded model can keep training (warm start)
    loaded.fit(X, Y, epochs=1, warm_start=True)
    (tmp_path / "bad.npz").write_bytes(b"not an npz")
    with pytest.raises(Exception):  # noqa: B017 - any load error is fine, as long as it raises
        MLXForecaster.load(tmp_path / "bad.npz")


def test_learns_pattern_better_than_naive() -> None:
    X, Y = synthetic_days(600)
    train, test = slice(0, 500), slice(500, 600)
    model = MLXForecaster(**SMALL, seed=0).fit(X[train], Y[train])
    err = np.abs(model.predict(X[test]) - Y[test]).mean()
    naive = np.abs(Y[train].mean(axis=0) - Y[test]).mean()  # climatology per output
    assert err < 0.5 * naive, (err, naive)


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        MLXConfig(loss="mape")
    with pytest.raises(ValueError):
        MLXConfig(hidden=(0,))
    with pytest.raises(ValueError):
        MLXForecaster(activation="swish")


def test_pinball_loss_gives_ordered_quantiles_per_target(tmp_path) -> None:
    X, Y = synthetic_days(300)
    model = MLXForecaster(**SMALL, loss="pinball", quantiles=(0.1, 0.5, 0.9)).fit(X[:240], Y[:240])
    out = model.predict(X[240:])
    assert out.shape == (60, 24 * 3)  # target-major: [t0 q10, t0 q50, t0 q90, t1 q10, ...]
    q = out.reshape(60, 24, 3)
    inside = (Y[240:] >= q[..., 0]) & (Y[240:] <= q[..., 2])
    assert (q[..., 0] < q[..., 2]).mean() > 0.95
    assert 0.5 < inside.mean() < 0.98
    again = MLXForecaster.load(model.save(tmp_path / "q.npz"))
    np.testing.assert_array_equal(again.predict(X[240:]), out)
    with pytest.raises(ValueError, match="quantiles"):
        MLXConfig(loss="pinball")
    with pytest.raises(ValueError, match="quantiles"):
        MLXConfig(loss="l1", quantiles=(0.5,))
    with pytest.raises(ValueError, match="increasing"):
        MLXConfig(loss="pinball", quantiles=(0.9, 0.1))
