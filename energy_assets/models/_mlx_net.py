"""The batched MLP behind `mlx_forecaster.MLXForecaster` (imports MLX at module level).

Kept apart so that `mlx_forecaster` (and `MLXConfig`, used at import time by `load_mlx`) can be
imported without loading MLX: the Dagster code location imports those modules in every run
process, and MLX is only needed once a forecaster is built, trained or loaded.
"""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn
import numpy as np

ACTIVATIONS = {"relu": nn.relu, "gelu": nn.gelu, "silu": nn.silu, "tanh": mx.tanh}


class BatchedMLP(nn.Module):
    """`members` MLPs evaluated together: x (B, in) -> (members, B, out)."""

    def __init__(
        self,
        sizes: list[int],
        members: int,
        activation: str,
        rng: np.random.Generator,
        linear_skip: bool = False,
    ):
        super().__init__()
        self.activation = activation
        self.linear_skip = linear_skip
        if linear_skip:  # a direct linear map input -> output, added to the MLP (starts at 0)
            self.skip = mx.zeros((members, sizes[0], sizes[-1]))
        self.layers = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            # He-uniform for the hidden layers, Glorot-uniform for the output layer.
            last = len(self.layers) == len(sizes) - 2
            limit = np.sqrt(6.0 / (fan_in + fan_out)) if last else np.sqrt(6.0 / fan_in)
            w = rng.uniform(-limit, limit, size=(members, fan_in, fan_out)).astype(np.float32)
            b = np.zeros((members, 1, fan_out), dtype=np.float32)
            self.layers.append({"w": mx.array(w), "b": mx.array(b)})

    def __call__(self, x: mx.array) -> mx.array:
        act = ACTIVATIONS[self.activation]
        h = x[None]
        for i, layer in enumerate(self.layers):
            h = h @ layer["w"] + layer["b"]
            if i < len(self.layers) - 1:
                h = act(h)
        if self.linear_skip:
            h = h + x[None] @ self.skip
        return h
