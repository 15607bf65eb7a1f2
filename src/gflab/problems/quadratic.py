"""Quadratics with a known Hessian: L(w) = scale/2 (w - w*)^T H (w - w*) (seed 004, GD stability).

``scale`` multiplies the whole loss: GD with step 1 on it is GD with step ``scale`` on the
unscaled loss, so an ensemble over steps is an ensemble over this (batchable) leaf.
"""

from __future__ import annotations

import numpy as np

from gflab._jax import jax_module
from gflab.problems.base import AbstractProblem

jax_module()
import jax  # noqa: E402


class Quadratic(AbstractProblem):
    hessian: jax.Array  # (P, P) symmetric
    minimum: jax.Array  # (P,)
    scale: jax.Array  # () the step of GD with step 1 on this loss

    def loss(self, w: jax.Array) -> jax.Array:
        x = w - self.minimum
        return 0.5 * self.scale * x @ self.hessian @ x

    def gradient(self, w: jax.Array) -> jax.Array:
        return self.scale * (self.hessian @ (w - self.minimum))


def random_hessian(dim: int, lambda_min: float, lambda_max: float, seed: int) -> np.ndarray:
    """Q diag(lambda) Q^T with lambda log-spaced in [lambda_min, lambda_max], Q Haar (from seed)."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return (q * np.geomspace(lambda_min, lambda_max, dim)) @ q.T
