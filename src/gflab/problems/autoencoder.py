"""The weight-tied linear autoencoder f(x) = W^T W x, W in R^(m x d), under the square loss.

Golikov, Gusev & Yarotsky, "A prism hierarchy of learning regimes in large linear autoencoders".
With P = W^T W and data covariance C (the population covariance Sigma, or the sample covariance
X^T X / n of a training set), the loss is

    L(W) = 1/2 E|x - P x|^2 = 1/2 tr((I - P) C (I - P))
         = 1/2 (tr C - 2 tr B + tr(A B)),   A = W W^T,  B = W C W^T  (both m x m),

and its gradient is grad L = B W + A W C - 2 W C (the m x m Gram matrices keep every product
at O(m^2 d) for a diagonal C). The closed forms are in :mod:`gflab.theory.autoencoder`.
"""

from __future__ import annotations

import numpy as np

from gflab._jax import jax_module
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class TiedAutoencoder(AbstractProblem):
    """L(W) = 1/2 tr((I - W^T W) C (I - W^T W)) for W of shape (m, d).

    ``covariance`` C is a scalar (C = c I: the isotropic population), a vector (a diagonal C:
    an anisotropic population in its eigenbasis) or a (d, d) matrix (a sample covariance);
    its shape selects the formula at trace time.
    """

    covariance: jax.Array  # (), (d,) or (d, d)

    def loss(self, w: jax.Array) -> jax.Array:
        return self.value_and_gradient(w)[0]

    def gradient(self, w: jax.Array) -> jax.Array:
        return self.value_and_gradient(w)[1]

    def value_and_gradient(self, w: jax.Array) -> tuple[jax.Array, jax.Array]:
        """One Gram matrix A = W W^T serves both (the isotropic case: two m^2 d products in all)."""
        c, d = self.covariance, w.shape[1]
        a = w @ w.T
        if c.ndim == 0:  # C = c I: B = c A and grad L = 2 c (A W - W)
            return 0.5 * c * (d - 2.0 * jnp.trace(a) + jnp.sum(a * a)), 2.0 * c * (a @ w - w)
        wc = w @ c if c.ndim == 2 else w * c
        b = wc @ w.T
        trace_c = jnp.trace(c) if c.ndim == 2 else jnp.sum(c)
        return 0.5 * (trace_c - 2.0 * jnp.trace(b) + jnp.sum(a * b)), b @ w + a @ wc - 2.0 * wc


def initial_weights(m: int, d: int, s: float, seeds: int, seed: int) -> np.ndarray:
    """``seeds`` draws of W_0 with iid N(0, s^2 / d) entries, shape (seeds, m, d)."""
    key = jax.random.key(seed)
    return np.asarray(s / np.sqrt(d) * jax.random.normal(key, (seeds, m, d)))
