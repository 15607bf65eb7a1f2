"""Quadratics with a known Hessian: L(w) = scale/2 (w - w*)^T H (w - w*) (seed 004, GD stability).

``scale`` multiplies the whole loss: GD with step 1 on it is GD with step ``scale`` on the
unscaled loss, so an ensemble over steps is an ensemble over this (batchable) leaf.
"""

from __future__ import annotations

from typing import Literal

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.problems.base import AbstractProblem

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


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


Scheme = Literal["with-replacement", "without-replacement", "reshuffling"]


class QuadraticFamily(AbstractProblem):
    """Per-sample losses f_i(theta) = a_i theta^2 / 2 (i = 1..n) seen by ``paths`` independent SGD
    runs at once: the parameter is theta in R^paths, one coordinate per run.

    Batches of size B: ``with-replacement`` (B iid indices), ``without-replacement`` (B distinct
    indices, fresh each step), ``reshuffling`` (a random permutation per epoch, cut into n/B
    consecutive batches). ``loss`` is the full-batch loss summed over runs, times ``scale``
    (the SGD step when SGD runs with step 1)."""

    curvatures: jax.Array  # (n,)
    key: jax.Array  # raw uint32 key data: the stream of batches
    scale: jax.Array  # ()
    paths: int = eqx.field(static=True, default=1)
    scheme: Scheme = eqx.field(static=True, default="with-replacement")

    def loss(self, theta: jax.Array) -> jax.Array:
        return 0.5 * self.scale * jnp.mean(self.curvatures) * jnp.sum(theta**2)

    def sample_batch(self, key: jax.Array, size: int, step: jax.Array) -> jax.Array:
        n = self.curvatures.shape[0]
        if self.scheme == "with-replacement":
            return jax.random.randint(key, (self.paths, size), 0, n)
        if self.scheme == "without-replacement":
            return jax.vmap(lambda k: jax.random.permutation(k, n)[:size])(jax.random.split(key, self.paths))
        per_epoch = n // size
        epoch_key = jax.random.fold_in(jax.random.wrap_key_data(self.key), step // per_epoch)
        order = jax.vmap(lambda k: jax.random.permutation(k, n))(jax.random.split(epoch_key, self.paths))
        return jax.lax.dynamic_slice_in_dim(order, (step % per_epoch) * size, size, axis=1)

    def batch_loss(self, theta: jax.Array, batch: jax.Array) -> jax.Array:
        return 0.5 * self.scale * jnp.sum(jnp.mean(self.curvatures[batch], axis=1) * theta**2)
