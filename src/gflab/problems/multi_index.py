"""Gaussian multi-index problems on the sphere with exact population losses.

Simsek, Bendjeddou & Hsu 2024, "Learning Gaussian multi-index models with gradient flow: time
complexity and directional convergence": teacher f*(x) = sum_j sigma*(v_j.x), student neurons
on the unit sphere, population losses through the correlation function phi of
:mod:`gflab.hermite` (Mehler). Neurons live on the unit sphere. Each loss below depends on the parameters only through
inner products, so it is written as a function of ``w / |w|``: its Euclidean gradient at a
unit w is then the Riemannian gradient (I - w w^T) grad, the flow keeps |w| = 1 exactly in
continuous time (the solver to its tolerance), and gflab's plain gradient flow is the
spherical flow without a projection step.

Exact dimension reduction: the gradient of such a loss lies in span(parameters, index
vectors), so the flow never leaves span(W(0), V). In an orthonormal basis of that span the
same problem runs in dimension rank(W(0), V) instead of d; :func:`span_coordinates` builds it,
and :func:`sphere_start` samples a uniform start directly in the reduced coordinates of one
neuron (its first k coordinates along V and the norm of the rest).
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.hermite import ACTIVATIONS
from gflab.problems.base import AbstractProblem

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def polynomial(coefficients: jax.Array, t: jax.Array) -> jax.Array:
    """sum_p coefficients[p] t^p (Horner)."""
    return jnp.polyval(coefficients[::-1], t)


def unit_rows(w: jax.Array) -> jax.Array:
    return w / jnp.linalg.norm(w, axis=-1, keepdims=True)


def index_vectors(k: int, beta: float = 0.0) -> np.ndarray:
    """k unit vectors (rows, in an orthonormal basis of their span) with v_i.v_j = beta (i != j).

    Rows of the Cholesky factor of the Gram matrix (1 - beta) I + beta 1 1^T, which is positive
    definite for -1/(k-1) < beta < 1.
    """
    low = -1.0 / (k - 1) if k > 1 else -np.inf
    if not low < beta < 1.0:
        raise BadInput("beta", f"must lie in ({low:g}, 1) for k = {k} (got {beta})")
    gram = (1.0 - beta) * np.eye(k) + beta * np.ones((k, k))
    return np.linalg.cholesky(gram)


def embed(vectors: np.ndarray, dim: int) -> np.ndarray:
    """Pad rows with zeros to ``dim`` coordinates (the span of V is the first k axes)."""
    out = np.zeros(vectors.shape[:-1] + (dim,))
    out[..., : vectors.shape[-1]] = vectors
    return out


def sphere_start(key: jax.Array, d: int, k: int, shape: tuple[int, ...] = ()) -> jax.Array:
    """Reduced coordinates (a_1..a_k, rho) of w uniform on S^{d-1}, shape ``shape + (k + 1,)``.

    a = first k coordinates, rho = norm of the other d - k: a = g / s, rho = r / s with
    g ~ N(0, I_k), r^2 ~ chi^2_{d-k}, s^2 = |g|^2 + r^2 (exactly the law of w, without drawing d numbers).
    """
    if d <= k:
        raise BadInput("d", f"must exceed k = {k} (got {d})")
    kg, kr = jax.random.split(key)
    g = jax.random.normal(kg, shape + (k,))
    r = jnp.sqrt(2.0 * jax.random.gamma(kr, (d - k) / 2.0, shape))
    s = jnp.sqrt(jnp.sum(g**2, axis=-1) + r**2)
    return jnp.concatenate([g / s[..., None], (r / s)[..., None]], axis=-1)


def full_start(key: jax.Array, d: int, shape: tuple[int, ...] = ()) -> jax.Array:
    """w uniform on S^{d-1}, shape ``shape + (d,)``."""
    return unit_rows(jax.random.normal(key, shape + (d,)))


def full_from_reduced(reduced: np.ndarray, d: int, key: jax.Array) -> np.ndarray:
    """A full-d point with the given reduced coordinates (the rest along a random direction of
    the last d - k axes): the inverse of the reduction, for cross-checks."""
    k = reduced.shape[-1] - 1
    direction = np.asarray(unit_rows(jax.random.normal(key, reduced.shape[:-1] + (d - k,))))
    return np.concatenate([reduced[..., :k], reduced[..., k:] * direction], axis=-1)


def span_coordinates(w0: np.ndarray, index: np.ndarray, rtol: float = 1e-12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orthonormal basis B (rows) of span(rows of w0, rows of index) and both in it:
    ``(w0 @ B.T, index @ B.T, B)``. Exact: the flow of an inner-product loss stays in the span."""
    stacked = np.concatenate([np.asarray(index, float), np.asarray(w0, float).reshape(-1, index.shape[-1])])
    _, s, vt = np.linalg.svd(stacked, full_matrices=False)
    basis = vt[s > rtol * s[0]]
    return np.asarray(w0) @ basis.T, np.asarray(index) @ basis.T, basis


class SphereCorrelation(AbstractProblem):
    """Population correlation loss of neurons on the sphere (Simsek, Bendjeddou & Hsu 2024):

    L(w) = -E[f(x) f*(x)] = -sum_i sum_j phi(u_i . v_j), u_i = w_i / |w_i|,

    with f = sum_i sigma(w_i.x), f* = sum_j sigma*(v_j.x), phi(t) = sum_p c_p c*_p t^p.
    Parameters: one neuron (D,) or a network (n, D); neurons do not interact.
    """

    index: jax.Array  # (k, D) index vectors v_j
    phi: jax.Array  # ascending coefficients of phi
    independent_rows: ClassVar[bool] = True

    def overlaps(self, w: jax.Array) -> jax.Array:
        return unit_rows(w) @ self.index.T

    def loss(self, w: jax.Array) -> jax.Array:
        return -jnp.sum(polynomial(self.phi, self.overlaps(w)))

    def gradient(self, w: jax.Array) -> jax.Array:
        return self.value_and_gradient(w)[1]

    def value_and_gradient(self, w: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Closed form, the loss from the same overlaps: with r_i = |w_i|, u_i = w_i / r_i,
        M = U V^T, A = phi'(M),
        grad_{w_i} L = -(A V)_i / r_i + (sum_j A_ij M_ij) w_i / r_i^2  (tangent to the sphere)."""
        norms = jnp.linalg.norm(w, axis=-1, keepdims=True)
        m = (w @ self.index.T) / norms
        a = polynomial(jnp.arange(1, self.phi.shape[0]) * self.phi[1:], m) if self.phi.shape[0] > 1 else jnp.zeros_like(m)
        # The small (rows x k) and (rows x 1) factors first: one pass over w for the output.
        grad = -(a / norms) @ self.index + (jnp.sum(a * m, axis=-1, keepdims=True) / norms**2) * w
        return -jnp.sum(polynomial(self.phi, m)), grad

    def retract(self, w: jax.Array) -> jax.Array:
        return unit_rows(w)


def correlation_samples(w: jax.Array, index: jax.Array, x: jax.Array, sigma: str, sigma_star: str) -> jax.Array:
    """-f(x) f*(x) per sample row of x: f = sum_i sigma(u_i.x), f* = sum_j sigma*(v_j.x)."""
    student = jnp.sum(ACTIVATIONS[sigma](x @ unit_rows(jnp.atleast_2d(w)).T), axis=-1)
    teacher = jnp.sum(ACTIVATIONS[sigma_star](x @ index.T), axis=-1)
    return -student * teacher


class OnlineSphereCorrelation(SphereCorrelation):
    """The correlation problem seen through fresh Gaussian batches (online SGD).

    ``loss`` and the ``overlaps`` stay the exact population values (for monitoring); SGD descends
    ``batch_loss``, the empirical correlation loss of x_1..x_B ~ N(0, I_d), unbiased for it.
    Needs the full d (fresh samples fill every direction: no reduction)."""

    key: jax.Array  # the data stream: raw uint32 key data (jax.random.key_data), numpy-convertible for ensembles
    sigma: str = eqx.field(static=True, default="he3")
    sigma_star: str = eqx.field(static=True, default="he3")

    def sample_batch(self, key: jax.Array, size: int, step: jax.Array) -> jax.Array:
        return jax.random.normal(key, (size, self.index.shape[-1]))

    def batch_loss(self, w: jax.Array, x: jax.Array) -> jax.Array:
        return jnp.mean(correlation_samples(w, self.index, x, self.sigma, self.sigma_star))


class SampleSphereCorrelation(AbstractProblem):
    """The empirical correlation loss on a fixed sample X (m x d): finite-sample effects.

    ``loss`` is the empirical mean over all of X (gradient flow and GD minimise it); SGD draws
    mini-batches of rows of X (with replacement)."""

    index: jax.Array  # (k, d)
    data: jax.Array  # (m, d)
    key: jax.Array
    sigma: str = eqx.field(static=True, default="he3")
    sigma_star: str = eqx.field(static=True, default="he3")

    def loss(self, w: jax.Array) -> jax.Array:
        return self.batch_loss(w, self.data)

    def overlaps(self, w: jax.Array) -> jax.Array:
        """m_ij = u_i . v_j."""
        return unit_rows(w) @ self.index.T

    def retract(self, w: jax.Array) -> jax.Array:
        return unit_rows(w)

    def sample_batch(self, key: jax.Array, size: int, step: jax.Array) -> jax.Array:
        return self.data[jax.random.randint(key, (size,), 0, self.data.shape[0])]

    def batch_loss(self, w: jax.Array, x: jax.Array) -> jax.Array:
        return jnp.mean(correlation_samples(w, self.index, x, self.sigma, self.sigma_star))


class SphereMSE(AbstractProblem):
    """Population squared loss of the same network (student-student terms included):

    L(w) = 1/2 E[(f - f*)^2] = 1/2 sum_{i,l} phi_ss(u_i.u_l) - sum_{i,j} phi_st(u_i.v_j)
           + 1/2 sum_{j,l} phi_tt(v_j.v_l),

    phi_ss = sum c_p^2 t^p, phi_st = sum c_p c*_p t^p, phi_tt = sum c*_p^2 t^p (Mehler).
    """

    index: jax.Array  # (k, D)
    phi_ss: jax.Array
    phi_st: jax.Array
    phi_tt: jax.Array

    def overlaps(self, w: jax.Array) -> jax.Array:
        return unit_rows(w) @ self.index.T

    def loss(self, w: jax.Array) -> jax.Array:
        u = unit_rows(jnp.atleast_2d(w))
        student = polynomial(self.phi_ss, u @ u.T)
        cross = polynomial(self.phi_st, u @ self.index.T)
        teacher = polynomial(self.phi_tt, self.index @ self.index.T)
        return 0.5 * jnp.sum(student) - jnp.sum(cross) + 0.5 * jnp.sum(teacher)

    def retract(self, w: jax.Array) -> jax.Array:
        return unit_rows(w)


def overlaps(problem: SphereCorrelation | SampleSphereCorrelation | SphereMSE, w: jax.Array) -> jax.Array:
    """Observable: the overlaps m_ij = u_i . v_j of the neurons with the index vectors."""
    return problem.overlaps(w)


__all__ = [
    "OnlineSphereCorrelation",
    "SampleSphereCorrelation",
    "SphereCorrelation",
    "SphereMSE",
    "embed",
    "full_from_reduced",
    "full_start",
    "index_vectors",
    "overlaps",
    "polynomial",
    "span_coordinates",
    "sphere_start",
    "unit_rows",
]
