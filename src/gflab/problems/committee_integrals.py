"""Gaussian integrals of committee machines: the expectations I2, I3, I4, J2 over the local
fields of Gaussian inputs that drive the overlap equations of one-pass SGD (Saad & Solla 1995;
Goldt et al. 2019), and the population error.

They come in closed form (``integrals="closed"``) for erf activations (Saad & Solla's arcsine
formulas) and for polynomial ones (he0 .. he12: a Gauss-Hermite rule exact for their degree),
and by quadrature for any activation (``integrals="quadrature"``): a polar Gauss-Legendre rule
on the 2-D marginals, split at the rays where an activation's argument vanishes (to rounding for
relu), and quasi-Monte-Carlo for the 4-D ones (about 1e-4; the tests measure both against Monte
Carlo and the closed forms).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any, Literal

import numpy as np

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.hermite import ACTIVATIONS
from gflab.theory import overlaps as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

Method = Literal["closed", "quadrature"]
CLOSED_FORM_MESSAGE = "closed forms exist for erf/erf-ss pairs and polynomial pairs (he0 .. he12) only"


def _erf_ss(z: Any) -> Any:
    return jax.scipy.special.erf(z / math.sqrt(2.0))


# gflab's activations, and Saad & Solla's g(x) = erf(x / sqrt 2)
COMMITTEE_ACTIVATIONS: dict[str, Callable[[Any], Any]] = {**ACTIVATIONS, "erf-ss": _erf_ss}


def committee_activation(name: str, field: str = "sigma") -> Callable[[Any], Any]:
    """The activation ``name``; :class:`BadInput` naming ``field`` otherwise."""
    if name not in COMMITTEE_ACTIVATIONS:
        raise BadInput(field, f"unknown activation {name!r}; accepted: {', '.join(COMMITTEE_ACTIVATIONS)}")
    return COMMITTEE_ACTIVATIONS[name]


def polynomial_degree(name: str) -> int | None:
    """The degree p of a polynomial activation (gflab's normalised Hermite h_p, named ``hep``),
    None for any other activation."""
    return int(name.removeprefix("he")) if name.startswith("he") and name in COMMITTEE_ACTIVATIONS else None


def is_erf_pair(student: str, teacher: str) -> bool:
    """True when both activations are erf-type (Saad & Solla's arcsine closed forms)."""
    return student in theory.ERF_SCALES and teacher in theory.ERF_SCALES


def is_polynomial_pair(student: str, teacher: str) -> bool:
    """True when both activations are polynomials (integrals exact by Gauss-Hermite)."""
    return polynomial_degree(student) is not None and polynomial_degree(teacher) is not None


def has_closed_form(student: str, teacher: str) -> bool:
    """True when the integrals of (student, teacher) are exact: both erf-type or both polynomial."""
    return is_erf_pair(student, teacher) or is_polynomial_pair(student, teacher)


def activation_derivative(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """g' elementwise (autodiff)."""
    return jnp.vectorize(jax.grad(fn))


def _closed_integrals(C: jax.Array, K: int, student: str, teacher: str) -> theory.Integrals:
    """Erf-type integrals for different scales s_i: G on D C D (D = diag s), then a factor s_k
    per g' and 1/s_j per bare z_j."""
    n = C.shape[0]
    s = jnp.asarray([theory.ERF_SCALES[student]] * K + [theory.ERF_SCALES[teacher]] * (n - K))
    ints = theory.erf_integrals(C * s[:, None] * s[None, :], K, 1.0, jnp)
    sk = s[:K]
    return theory.Integrals(
        I2=ints.I2,
        I3=ints.I3 * (sk[:, None, None] / s[None, :, None]),
        I4=ints.I4 * (sk[:, None, None, None] * sk[None, :, None, None]),
        J2=ints.J2 * sk[:, None] * sk[None, :],
    )


@cache
def _sobol_normals(dims: int, log2_points: int) -> np.ndarray:
    """2^log2_points scrambled Sobol points (fixed seed) mapped to N(0, I_dims): a deterministic
    quasi-Monte-Carlo rule, its error about 1e-4 at 2^16 points for the 4-D integrals here."""
    from scipy.stats import norm, qmc

    u = qmc.Sobol(dims, scramble=True, seed=0).random_base2(log2_points)
    return norm.ppf(u)


@cache
def _polar_rule(
    panel_nodes: int = 32, radial_panels: int = 8, radial_nodes: int = 16
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes on [0, 1] for the angular panels, and radial nodes r with weights
    r e^{-r^2/2} on [0, 12] (composite Gauss-Legendre; the mass beyond 12 is e^-72)."""
    x, w = np.polynomial.legendre.leggauss(panel_nodes)
    unit, unit_w = 0.5 * (x + 1), 0.5 * w
    xr, wr = np.polynomial.legendre.leggauss(radial_nodes)
    edges = np.linspace(0.0, 12.0, radial_panels + 1)
    mid, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * np.diff(edges)
    r = (mid[:, None] + half[:, None] * xr[None]).ravel()
    r_w = (half[:, None] * wr[None]).ravel() * r * np.exp(-0.5 * r * r)
    return np.stack([unit, unit_w]), r, r_w


def _expect2(C: jax.Array, idx: np.ndarray, integrand: Callable[[jax.Array, jax.Array], jax.Array]) -> jax.Array:
    """E[integrand(z_a, z_b)] for every row (a, b) of ``idx`` (N, 2), (z_a, z_b) ~ N(0, C[idx, idx]).

    Polar coordinates of the whitened xi (z = S xi): E = (1/2pi) int dtheta int r e^{-r^2/2} dr.
    The angular integral is split at the four rays where z_a = 0 or z_b = 0, so activations with a
    kink or jump at 0 (relu, its derivative) are integrated piecewise smoothly: to rounding for
    relu, and exponentially fast for smooth ones."""
    (unit, unit_w), r, r_w = (jnp.asarray(a) for a in _polar_rule())
    cov = C[idx[:, :, None], idx[:, None, :]]
    e, v = jnp.linalg.eigh(cov)
    root = v * jnp.sqrt(jnp.clip(e, 0.0))[:, None, :]  # (N, 2, 2), rows s_a, s_b
    phase = jnp.arctan2(root[:, :, 1], root[:, :, 0])  # z_a = r |s_a| cos(theta - phase_a)
    kinks = jnp.sort(jnp.mod(jnp.concatenate([phase + 0.5 * math.pi, phase - 0.5 * math.pi], axis=1), 2 * math.pi), axis=1)
    ends = jnp.concatenate([kinks[:, 1:], kinks[:, :1] + 2 * math.pi], axis=1)
    width = ends - kinks  # (N, 4) panels covering the circle
    theta = (kinks[:, :, None] + width[:, :, None] * unit[None, None]).reshape(len(idx), -1)
    theta_w = (width[:, :, None] * unit_w[None, None]).reshape(len(idx), -1) / (2 * math.pi)
    direction = jnp.stack([jnp.cos(theta), jnp.sin(theta)], axis=-1)  # (N, A, 2)
    unit_z = jnp.einsum("nAq,npq->nAp", direction, root)  # z / r
    z = unit_z[:, :, None, :] * r[None, None, :, None]  # (N, A, R, 2)
    values = integrand(z[..., 0], z[..., 1])
    return jnp.einsum("nAR,nA,R->n", values, theta_w, r_w)


Integrand = Callable[..., jax.Array]
Expectation = Callable[[np.ndarray, Integrand], jax.Array]  # (idx (N, m), integrand) -> (N,)


@cache
def _hermite_rule(dims: int, points: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss-Hermite rule for E[p(xi)], xi ~ N(0, I_dims): nodes (dims, points^dims) and
    weights (probabilists' weight, normalised by sqrt(2 pi) per dimension); exact for every
    polynomial of degree <= 2 points - 1 in each variable."""
    x, w = np.polynomial.hermite_e.hermegauss(points)
    grid = np.meshgrid(*([x] * dims), indexing="ij")
    weights = np.prod(np.meshgrid(*([w / math.sqrt(2.0 * math.pi)] * dims), indexing="ij"), axis=0)
    return np.stack([axis.ravel() for axis in grid]), weights.ravel()


def _expect_polynomial(C: jax.Array, idx: np.ndarray, integrand: Integrand, points: int) -> jax.Array:
    """E[integrand(z_a, z_b, ..)] for every row of ``idx`` (N, m), z ~ N(0, C[idx, idx]), exact
    (to rounding) when the integrand is a polynomial of degree <= 2 points - 1.

    With z = S xi (S S^T the marginal covariance, any factor: an eigenvector one, so singular
    marginals such as (z_k, z_k) are fine) the integrand is a polynomial in xi ~ N(0, I_m) of the
    same total degree, which the tensor Gauss-Hermite rule :func:`_hermite_rule` integrates
    exactly. Built here because numpy and scipy supply only the 1-D rule (``hermegauss``) and no
    package in gflab's environment integrates polynomials against a general, possibly singular
    Gaussian covariance, batched over marginals and traceable by JAX."""
    nodes, weights = (jnp.asarray(a) for a in _hermite_rule(idx.shape[1], points))
    cov = C[idx[:, :, None], idx[:, None, :]]
    e, v = jnp.linalg.eigh(cov)
    root = v * jnp.sqrt(jnp.clip(e, 0.0))[:, None, :]  # (N, m, m)
    z = jnp.einsum("nmq,qP->nmP", root, nodes)
    return integrand(*(z[:, a] for a in range(idx.shape[1]))) @ weights


def _committee_functions(student: str, teacher: str) -> tuple[Callable[[jax.Array, np.ndarray], jax.Array], Callable[[Any], Any]]:
    """(f, g'): f(z, who) applies g where ``who`` (one flag per leading row of z) marks a student
    index and g* elsewhere; g' is the student's derivative."""
    g, gs = committee_activation(student), committee_activation(teacher)

    def f(z: jax.Array, who: np.ndarray) -> jax.Array:
        mask = jnp.asarray(who).reshape((-1,) + (1,) * (z.ndim - 1))
        return jnp.where(mask, g(z), gs(z))

    return f, activation_derivative(g)


def _i2(C: jax.Array, K: int, student: str, teacher: str, expect: Expectation) -> jax.Array:
    """I2[i, j] = E[f_i(z_i) f_j(z_j)] by a 2-D rule ``expect``."""
    n = C.shape[0]
    f, _ = _committee_functions(student, teacher)
    pairs = np.array([(i, j) for i in range(n) for j in range(n)])
    who = pairs < K
    return expect(pairs, lambda za, zb: f(za, who[:, 0]) * f(zb, who[:, 1])).reshape(n, n)


def _two_point_integrals(
    C: jax.Array, K: int, student: str, teacher: str, expect: Expectation
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(I2, I3, J2) by a 2-D rule ``expect`` on the marginals. I3 is reduced to 2-D by regressing
    the bare z_j on (z_k, z_i) (exact for Gaussians): E[g'(z_k) z_j f(z_i)] =
    beta_1 E[g'(z_k) z_k f(z_i)] + beta_2 E[g'(z_k) z_i f(z_i)], beta = C_j,(k,i) C_(k,i)^+."""
    n = C.shape[0]
    f, dg = _committee_functions(student, teacher)
    ki = np.array([(k, i) for k in range(K) for i in range(n)])
    who = ki[:, 1] < K
    on_k = expect(ki, lambda zk, zi: dg(zk) * zk * f(zi, who))  # E[g'(z_k) z_k f(z_i)]
    on_i = expect(ki, lambda zk, zi: dg(zk) * zi * f(zi, who))  # E[g'(z_k) z_i f(z_i)]
    beta = jnp.einsum("mqj,mqp->mjp", C[ki], jnp.linalg.pinv(C[ki[:, :, None], ki[:, None, :]], hermitian=True))
    i3 = (beta[..., 0] * on_k[:, None] + beta[..., 1] * on_i[:, None]).reshape(K, n, n).transpose(0, 2, 1)
    kl = np.array([(k, l) for k in range(K) for l in range(K)])  # noqa: E741
    j2 = expect(kl, lambda za, zb: dg(za) * dg(zb)).reshape(K, K)
    return _i2(C, K, student, teacher, expect), i3, j2


def _polynomial_points(student: str, teacher: str) -> tuple[int, int]:
    """Gauss-Hermite points per dimension that make the 2-D and 4-D rules exact for degrees
    p = deg g, q = max(deg g, deg g*): the 2-D integrands have degree <= 2q (I2; p + q for I3's
    g' z f, 2p - 2 for J2), I4's g' g' f f degree 2(p - 1) + 2q; n points are exact to 2n - 1."""
    p = polynomial_degree(student) or 0
    q = max(p, polynomial_degree(teacher) or 0)
    return q + 1, max(1, p + q)


def _polynomial_integrals(C: jax.Array, K: int, student: str, teacher: str) -> theory.Integrals:
    """The four integral tensors for polynomial g, g*, exact to rounding (Gauss-Hermite,
    :func:`_expect_polynomial`): I2, I3, J2 on the 2-D marginals, I4 on the 4-D marginals
    (z_k, z_l, z_i, z_j), (p + q)^4 nodes each."""
    n = C.shape[0]
    points2, points4 = _polynomial_points(student, teacher)
    i2, i3, j2 = _two_point_integrals(C, K, student, teacher, lambda idx, h: _expect_polynomial(C, idx, h, points2))
    f, dg = _committee_functions(student, teacher)
    klij = np.array(list(np.ndindex(K, K, n, n)))
    who = klij < K

    def integrand(zk: jax.Array, zl: jax.Array, zi: jax.Array, zj: jax.Array) -> jax.Array:
        return dg(zk) * dg(zl) * f(zi, who[:, 2]) * f(zj, who[:, 3])

    i4 = _expect_polynomial(C, klij, integrand, points4).reshape(K, K, n, n)
    return theory.Integrals(I2=i2, I3=i3, I4=i4, J2=j2)


def _quadrature_integrals(C: jax.Array, K: int, student: str, teacher: str, log2_points: int) -> theory.Integrals:
    """The four integral tensors by quadrature: I2, I3, J2 by the polar rule :func:`_expect2`
    (:func:`_two_point_integrals`), I4 by a quasi-Monte-Carlo (scrambled Sobol, 2^log2_points
    points of the joint Gaussian; a tensor Gauss-Hermite rule converges far slower here: erf
    saturates and relu kinks, 16^4 nodes leave errors of 1e-2)."""
    n = C.shape[0]
    i2, i3, j2 = _two_point_integrals(C, K, student, teacher, lambda idx, h: _expect2(C, idx, h))
    g, gs = committee_activation(student), committee_activation(teacher)
    dg = activation_derivative(g)
    # Cholesky (jittered for singular Omega): smooth in C, so the rule is too between the rare
    # steps where a node crosses a kink (an eigenvector frame would flip and reorder)
    root = jnp.linalg.cholesky(C + 1e-12 * jnp.eye(n))
    z = jnp.asarray(_sobol_normals(n, log2_points)) @ root.T  # (P, n) ~ N(0, C)
    fz = jnp.concatenate([g(z[:, :K]), gs(z[:, K:])], axis=1)
    dz = dg(z[:, :K])
    i4 = jnp.einsum("sk,sl,si,sj->klij", dz, dz, fz, fz) / z.shape[0]
    return theory.Integrals(I2=i2, I3=i3, I4=i4, J2=j2)


def integrals(
    C: jax.Array, K: int, student: str, teacher: str, method: Method = "closed", log2_points: int = 16
) -> theory.Integrals:
    """The Gaussian integrals of the overlap equations at the covariance C of (lambda, nu):
    ``closed`` is exact (erf-type or polynomial pairs only), ``quadrature`` takes any pair."""
    if method == "quadrature":
        return _quadrature_integrals(C, K, student, teacher, log2_points)
    if not has_closed_form(student, teacher):
        raise BadInput("integrals", f"{CLOSED_FORM_MESSAGE} (got {student}, {teacher}); use quadrature")
    if is_erf_pair(student, teacher):
        return _closed_integrals(C, K, student, teacher)
    return _polynomial_integrals(C, K, student, teacher)


def _relu_i2(C: jax.Array) -> jax.Array:
    """E[relu(z_a) relu(z_b)] = sqrt(C_aa C_bb) (sin th + (pi - th) cos th) / (2 pi), cos th = rho
    (Cho & Saul 2009, the arc-cosine kernel of degree 1)."""
    s = jnp.sqrt(jnp.diagonal(C))
    rho = jnp.clip(C / (s[:, None] * s[None, :]), -1.0, 1.0)
    th = jnp.arccos(rho)
    return s[:, None] * s[None, :] * (jnp.sin(th) + (math.pi - th) * rho) / (2 * math.pi)


def population_error(
    Q: jax.Array, R: jax.Array, a: jax.Array, T: jax.Array, b: jax.Array, student: str, teacher: str
) -> jax.Array:
    """eps_g from the overlaps: closed form for erf-type and relu pairs, exact Gauss-Hermite for
    polynomial pairs, 2-D quadrature otherwise."""
    C = theory.covariance(Q, R, T, jnp)
    K = Q.shape[0]
    if is_erf_pair(student, teacher):
        i2 = _closed_integrals(C, K, student, teacher).I2
    elif student == teacher == "relu":
        i2 = _relu_i2(C)
    elif is_polynomial_pair(student, teacher):
        points = _polynomial_points(student, teacher)[0]
        i2 = _i2(C, K, student, teacher, lambda idx, h: _expect_polynomial(C, idx, h, points))
    else:
        i2 = _i2(C, K, student, teacher, lambda idx, h: _expect2(C, idx, h))
    c = jnp.concatenate([a, -b])
    return 0.5 * c @ i2 @ c


__all__ = [
    "CLOSED_FORM_MESSAGE",
    "COMMITTEE_ACTIVATIONS",
    "Method",
    "activation_derivative",
    "committee_activation",
    "has_closed_form",
    "integrals",
    "is_erf_pair",
    "is_polynomial_pair",
    "polynomial_degree",
    "population_error",
]
