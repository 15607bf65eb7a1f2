"""Multi-index regression over subspaces: the two-timescale Grassmannian loss and the planted loss.

Bietti, Bruna & Pillaud-Vivien 2023, "On learning Gaussian multi-index models with gradient
flow". Target y = g(V^T x), V (d x r) orthonormal, x ~ N(0, I_d); the student is a subspace
W (d x r orthonormal). Rows convention here: W and V are (r, D) with orthonormal rows, and
M = W V^T (r x r) holds the overlaps.

Links (named in :data:`gflab.theory.subspace.LINKS`) are polynomials in the orthonormal
Hermite basis, g = sum_alpha a_alpha h_alpha(z), h_alpha(z) = prod_i h_{alpha_i}(z_i). Group by degree l = |alpha| into symmetric tensors
T_l in (R^r)^{(x) l}: for every index tuple with counts alpha, T_l[tuple] = a_alpha
sqrt(alpha! / l!). Then ||T_l||^2 = sum_{|alpha| = l} a_alpha^2 = E[g_l^2].

Two-timescale loss (the link fitted infinitely fast: predictor E[y | W^T x]):

    L(M) = E[y^2] - E[E[y | W^T x]^2] = sum_{l>=1} ||T_l||^2 - ||M^{(x) l} T_l||^2,

M acting on every mode. Proof sketch: with u = W^T x, z = V^T x, z | u ~ N(M^T u, I - M^T M),
so the generating function of the Hermite tensors obeys
E[exp(<t, z> - |t|^2/2) | u] = exp(<M t, u> - |M t|^2/2); matching powers of t,
E[He_l(z) | u] = (M^T)^{(x) l} He_l(u), hence E[y | u] = sum_l <M^{(x) l} T_l, H_l(u)> with
H_l = He_l / sqrt(l!), and E[<A, H_l(u)> <B, H_m(u)>] = delta_lm <A, B> for symmetric A, B.
The loss is invariant under W -> Q W (Q orthogonal): it is a function of the subspace.

Planted loss (the link known and fixed): E[(g(W^T x) - g(V^T x))^2]
    = 2 sum_{l>=1} (||T_l||^2 - <T_l, M^{(x) l} T_l>), since E[He_l(u) (x) He_l(z)] = l! M^{(x) l}.

Parameters are orthonormalised inside the loss by W -> (3 I - W W^T) W / 2, whose derivative
at orthonormal W is Delta - sym(Delta W^T) W: the plain gradient is then the Riemannian
(Stiefel, embedded metric) gradient, which for the invariant two-timescale loss is the
Grassmann gradient G (I - W^T W); the flow keeps W W^T = I to the solver's tolerance.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.hermite import hermite_table
from gflab.problems.base import AbstractProblem
from gflab.theory.subspace import Link, link_rank

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def link_tensors(coefficients: Link) -> tuple[np.ndarray, ...]:
    """(T_1, .., T_L), T_l of shape (r,) * l (the constant T_0 has no gradient and is dropped)."""
    r = link_rank(coefficients)
    degree = max(sum(alpha) for alpha in coefficients)
    tensors = [np.zeros((r,) * order) for order in range(1, degree + 1)]
    for alpha, a in coefficients.items():
        if len(alpha) != r or min(alpha) < 0:
            raise BadInput("link", f"multi-index {alpha} does not have {r} non-negative entries")
        order = sum(alpha)
        if order == 0:
            continue
        value = a * math.sqrt(math.prod(math.factorial(k) for k in alpha) / math.factorial(order))
        letters = [i for i, k in enumerate(alpha) for _ in range(k)]
        for index in set(itertools.permutations(letters)):
            tensors[order - 1][index] = value
    return tuple(tensors)


def link_values(coefficients: Link, z: np.ndarray) -> np.ndarray:
    """g(z) for z of shape (..., r) (for Monte-Carlo cross-checks)."""
    degree = max(max(alpha) for alpha in coefficients)
    table = hermite_table(degree, z)  # (degree + 1, ..., r)
    out = np.zeros(z.shape[:-1])
    for alpha, a in coefficients.items():
        out += a * np.prod([table[k][..., i] for i, k in enumerate(alpha)], axis=0)
    return out


def every_mode(m: jax.Array, tensor: jax.Array) -> jax.Array:
    """(M^{(x) l} T)[i_1..i_l] = sum_j M[i_1, j_1] .. M[i_l, j_l] T[j_1..j_l]."""
    for _ in range(tensor.ndim):
        tensor = jnp.tensordot(tensor, m, axes=([0], [1]))  # contract the leading mode, append the new one
    return tensor


def orthonormalised(w: jax.Array) -> jax.Array:
    """(3 I - W W^T) W / 2: equal to W on orthonormal rows, with the derivative of the polar factor there."""
    eye = jnp.eye(w.shape[0], dtype=w.dtype)
    return 0.5 * (3.0 * eye - w @ w.T) @ w


class _SubspaceProblem(AbstractProblem):
    index: jax.Array  # V, (r, D) orthonormal rows
    tensors: tuple[jax.Array, ...]

    def overlaps(self, w: jax.Array) -> jax.Array:
        """M = W V^T."""
        return orthonormalised(w) @ self.index.T

    def retract(self, w: jax.Array) -> jax.Array:
        return orthonormalised(orthonormalised(w))  # |W W^T - I| = e -> O(e^2) per application


class GrassmannTwoTimescale(_SubspaceProblem):
    """L(M) = sum_l ||T_l||^2 - ||M^{(x) l} T_l||^2 (the link learned infinitely fast)."""

    def loss(self, w: jax.Array) -> jax.Array:
        m = self.overlaps(w)
        return sum(jnp.sum(t**2) - jnp.sum(every_mode(m, t) ** 2) for t in self.tensors)  # type: ignore[return-value]


class PlantedStiefel(_SubspaceProblem):
    """L(M) = 2 sum_l (||T_l||^2 - <T_l, M^{(x) l} T_l>) (the link known and fixed)."""

    def loss(self, w: jax.Array) -> jax.Array:
        m = self.overlaps(w)
        return 2.0 * sum(jnp.sum(t**2) - jnp.sum(t * every_mode(m, t)) for t in self.tensors)  # type: ignore[return-value]


def subspace_distance(m: np.ndarray) -> np.ndarray:
    """|sin Theta|_F between span W and span V from M = W V^T: sqrt(r - |M|_F^2)."""
    r = m.shape[-1]
    return np.sqrt(np.maximum(r - np.sum(m**2, axis=(-2, -1)), 0.0))


def stiefel_start(key: jax.Array, r: int, d: int, shape: tuple[int, ...] = ()) -> jax.Array:
    """W with orthonormal rows, uniform (Haar) on the Stiefel manifold: QR of a Gaussian matrix."""
    g = jax.random.normal(key, shape + (d, r))
    q, upper = jnp.linalg.qr(g)
    q = q * jnp.sign(jnp.diagonal(upper, axis1=-2, axis2=-1))[..., None, :]
    return jnp.swapaxes(q, -1, -2)


def reduced_start(key: jax.Array, r: int, d: int, shape: tuple[int, ...] = ()) -> jax.Array:
    """Haar W in coordinates of span(V, W): (.., r, 2r), V being the first r axes.

    W = [A, B] with A = W V^T (r x r) and B (r x (d - r)); B's row space is r-dimensional, so
    B = C Q with C = (B B^T)^{1/2} in an orthonormal basis Q of it; the reduced W is [A, C].
    The law of A (and the whole flow) is that of the full Haar start in dimension d.
    """
    if d < 2 * r:
        raise BadInput("d", f"must be at least 2 r = {2 * r} (got {d})")
    w = stiefel_start(key, r, d, shape)
    a, b = w[..., :r], w[..., r:]
    gram = b @ jnp.swapaxes(b, -1, -2)
    vals, vecs = jnp.linalg.eigh(gram)
    c = (vecs * jnp.sqrt(jnp.maximum(vals, 0.0))[..., None, :]) @ jnp.swapaxes(vecs, -1, -2)
    return jnp.concatenate([a, c], axis=-1)


def overlaps(problem: _SubspaceProblem, w: jax.Array) -> jax.Array:
    """Observable: the overlap matrix M = W V^T of the subspace with the index space."""
    return problem.overlaps(w)


def singular_values(problem: _SubspaceProblem, w: jax.Array) -> jax.Array:
    """Observable: the singular values of M (the cosines of the principal angles)."""
    return jnp.linalg.svd(problem.overlaps(w), compute_uv=False)
