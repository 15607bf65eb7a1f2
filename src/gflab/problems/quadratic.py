"""Quadratics with a known spectrum: the model problems of the linear stability of GD and SGD.

E, Ma, Wojtowytsch & Wu, "Towards a mathematical theory of machine learning" (linear stability
of GD); Wu, Ma & E 2018, "How SGD selects the global minima in over-parameterized learning"
(the SGD conditions). The closed forms are in :mod:`gflab.theory.stability`.

- :class:`Quadratic`: L(w) = (w - w*)^T H (w - w*) / 2; GD with step eta multiplies the error
  along an eigenvector of H of eigenvalue lambda by 1 - eta lambda per step.
- :class:`QuadraticFamily`: the per-sample losses f_i(theta) = a_i theta^2 / 2 (i = 1..n) of
  one scalar parameter, seen by mini-batch SGD through one of three batch schemes.
"""

from __future__ import annotations

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.problems.base import AbstractProblem
from gflab.theory.stability import Scheme

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class Quadratic(AbstractProblem):
    """L(w) = (w - w*)^T H (w - w*) / 2 with a symmetric ``hessian`` H and ``minimum`` w*."""

    hessian: jax.Array  # (P, P) symmetric
    minimum: jax.Array  # (P,)

    def loss(self, w: jax.Array) -> jax.Array:
        x = w - self.minimum
        return 0.5 * x @ self.hessian @ x

    def gradient(self, w: jax.Array) -> jax.Array:
        return self.hessian @ (w - self.minimum)


def random_hessian(dim: int, lambda_min: float, lambda_max: float, seed: int) -> np.ndarray:
    """Q diag(lambda) Q^T with lambda log-spaced in [lambda_min, lambda_max], Q Haar (from seed)."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return (q * np.geomspace(lambda_min, lambda_max, dim)) @ q.T


class QuadraticFamily(AbstractProblem):
    """Per-sample losses f_i(theta) = a_i theta^2 / 2 (i = 1..n) of one scalar theta; the loss
    is their mean a theta^2 / 2 (a = mean a_i).

    Batches of size B (:data:`gflab.theory.stability.Scheme`): ``with-replacement`` (B iid
    indices), ``without-replacement`` (B distinct indices, fresh each step), ``reshuffling``
    (a permutation per epoch, drawn from ``key`` and the epoch number, cut into n/B
    consecutive batches). ``key`` (raw uint32 key data) is the trajectory's stream of batches:
    an ensemble of independent SGD runs batches it with ``over``.
    """

    curvatures: jax.Array  # (n,)
    key: jax.Array  # raw uint32 key data: the stream of batches
    scheme: Scheme = eqx.field(static=True, default="with-replacement")

    def loss(self, theta: jax.Array) -> jax.Array:
        return 0.5 * jnp.mean(self.curvatures) * jnp.sum(theta**2)

    def sample_batch(self, key: jax.Array, size: int, step: jax.Array) -> jax.Array:
        n = self.curvatures.shape[0]
        if self.scheme == "with-replacement":
            return jax.random.randint(key, (size,), 0, n)
        if self.scheme == "without-replacement":
            return jax.random.permutation(key, n)[:size]
        per_epoch = n // size
        order = jax.random.permutation(jax.random.fold_in(jax.random.wrap_key_data(self.key), step // per_epoch), n)
        return jax.lax.dynamic_slice_in_dim(order, (step % per_epoch) * size, size)

    def batch_loss(self, theta: jax.Array, batch: jax.Array) -> jax.Array:
        return 0.5 * jnp.mean(self.curvatures[batch]) * jnp.sum(theta**2)
