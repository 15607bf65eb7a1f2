"""Rank-H CP decompositions of an order-3 tensor, fitted by gradient flow on the squared Frobenius loss.

Yarotsky, Golikov & Gusev 2025, "Gradient Flow Through Diagram Expansions: Learning Regimes and
Explicit Solutions" (the model and its regimes). Parameters (A, B, C), each of shape (H, p); the
model T_hat = scale sum_h a_h (x) b_h (x) c_h and the loss L = 1/2 |T_hat - T|_F^2. ``scale`` =
1 / sqrt(H) with unit-variance factors is the NTK (lazy) scaling; scale = 1 with small factors is
the free, small-initialisation regime.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from gflab._jax import jax_module
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class Factors(NamedTuple):
    """The CP factors a_h, b_h, c_h as rows of (H, p) arrays (JAX arrays, or numpy ones for starts)."""

    a: Any
    b: Any
    c: Any


def cp_tensor(factors: Factors, weights: jax.Array) -> jax.Array:
    """T_hat = sum_h w_h a_h (x) b_h (x) c_h, shape (p, p, p) (w_h = scale, or 0 for an absent component)."""
    return jnp.einsum("h,hi,hj,hk->ijk", weights, factors.a, factors.b, factors.c)


class CPDecomposition(AbstractProblem):
    """L(A, B, C) = 1/2 |sum_h w_h a_h (x) b_h (x) c_h - T|_F^2.

    ``weights`` w_h is the scale (1/sqrt(H) for the NTK scaling, 1 for the free one) on the H
    components present and 0 on padding, so that ensembles over H share one array shape: a padded
    component gets no gradient and never moves.
    """

    target: jax.Array  # (p, p, p)
    weights: jax.Array  # (H_max,)

    def loss(self, factors: Factors) -> jax.Array:
        return 0.5 * jnp.sum((cp_tensor(factors, self.weights) - self.target) ** 2)


def tangent_kernel(factors: Factors, weights: np.ndarray | jax.Array) -> np.ndarray:
    """K = J J^T, J the Jacobian of vec(T_hat) in the factors, (p^3, p^3):

    K[ijk, i'j'k'] = sum_h w_h^2 (d_ii' b_j b_j' c_k c_k' + a_i a_i' d_jj' c_k c_k' + a_i a_i' b_j b_j' d_kk').
    """
    aa, bb, cc = (np.einsum("hi,hj->hij", np.asarray(x), np.asarray(x)) for x in factors)  # x_h x_h^T
    w2 = np.asarray(weights, dtype=float) ** 2
    eye = np.eye(aa.shape[1])
    kernel = (
        np.einsum("h,ad,hbe,hcf->abcdef", w2, eye, bb, cc, optimize=True)
        + np.einsum("h,had,be,hcf->abcdef", w2, aa, eye, cc, optimize=True)
        + np.einsum("h,had,hbe,cf->abcdef", w2, aa, bb, eye, optimize=True)
    )
    size = aa.shape[1] ** 3
    return kernel.reshape(size, size)


def linearised_loss(kernel: np.ndarray, residual: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """L_lin(t) = 1/2 |exp(-K t) r_0|^2 (K symmetric positive semi-definite)."""
    eigenvalues, vectors = np.linalg.eigh(kernel)
    coefficients = vectors.T @ residual.ravel()
    return 0.5 * np.sum((np.exp(-np.outer(ts, eigenvalues)) * coefficients) ** 2, axis=1)


def random_factors(h: int, p: int, sigma: float, seeds: int, seed: int) -> Factors:
    """``seeds`` draws of factors with iid N(0, sigma^2) entries, each (seeds, H, p) (numpy)."""
    rng = np.random.default_rng(seed)
    return Factors(*(sigma * rng.normal(size=(seeds, h, p)) for _ in range(3)))
