"""Hermite analysis on Gaussian data: coefficients of activations, information exponent, Mehler.

Basis: the normalised probabilists' Hermite polynomials h_p = He_p / sqrt(p!), orthonormal
under z ~ N(0, 1). An activation sigma in L2(N(0,1)) expands as sigma = sum_p c_p h_p with
c_p = E[sigma(z) h_p(z)] and Parseval E[sigma^2] = sum_p c_p^2.

Mehler: for unit u, v and x ~ N(0, I_d), E[h_p(u.x) h_q(v.x)] = delta_pq (u.v)^p, hence
E[sigma(u.x) tau(v.x)] = phi(u.v) with phi(t) = sum_p c_p(sigma) c_p(tau) t^p
(the correlation function used by every population loss in :mod:`gflab.problems.multi_index`).

Names accepted where an activation is asked for (``sigma``, ``sigma_star``): relu, tanh, erf,
sigmoid, sin, and he0 .. he12 (the normalised h_p).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gflab._jax import jax_module
from gflab.errors import BadInput

Activation = Callable[[Any], Any]


def _hermite_values(degree: int, x: Any, ones_like: Callable[[Any], Any]) -> list[Any]:
    """[h_0(x), .., h_degree(x)] by the three-term recurrence of the normalised basis,
    h_{p+1}(x) = (x h_p(x) - sqrt(p) h_{p-1}(x)) / sqrt(p + 1), in numpy or JAX."""
    values = [ones_like(x), x]
    for p in range(1, degree):
        values.append((x * values[p] - math.sqrt(p) * values[p - 1]) / math.sqrt(p + 1))
    return values[: degree + 1]


def hermite_table(degree: int, x: np.ndarray) -> np.ndarray:
    """h_0(x) .. h_degree(x), shape (degree + 1, *x.shape) (numpy)."""
    return np.stack(_hermite_values(degree, np.asarray(x, dtype=np.float64), np.ones_like))


def _relu(z: Any) -> Any:
    return jax_module().nn.relu(z)


def _tanh(z: Any) -> Any:
    return jax_module().numpy.tanh(z)


def _erf(z: Any) -> Any:
    return jax_module().scipy.special.erf(z)


def _sigmoid(z: Any) -> Any:
    return jax_module().nn.sigmoid(z)


def _sin(z: Any) -> Any:
    return jax_module().numpy.sin(z)


def _normalised_hermite(p: int) -> Activation:
    return lambda z: _hermite_values(p, z, jax_module().numpy.ones_like)[p]


# JAX functions (traceable inside losses; numpy arrays in, JAX arrays out). Each fetches JAX
# when called, so that importing this module does not: spec validators read ACTIVATION_NAMES.
ACTIVATIONS: dict[str, Activation] = {
    "relu": _relu,
    "tanh": _tanh,
    "erf": _erf,
    "sigmoid": _sigmoid,
    "sin": _sin,
    **{f"he{p}": _normalised_hermite(p) for p in range(13)},
}
ACTIVATION_NAMES: tuple[str, ...] = tuple(ACTIVATIONS)


def _numpy_activation(name: str) -> Activation:
    """The numpy twin of a registered activation (same values to rounding): expansions by name
    run in spec validation, which must not import JAX."""
    from scipy import special  # on use

    twins: dict[str, Activation] = {
        "relu": lambda z: np.maximum(z, 0.0),
        "tanh": np.tanh,
        "erf": special.erf,
        "sigmoid": special.expit,
        "sin": np.sin,
    }
    if name in twins:
        return twins[name]
    p = int(name.removeprefix("he"))
    return lambda z: _hermite_values(p, z, np.ones_like)[p]


def activation(name: str, field: str = "sigma") -> Activation:
    """The activation registered as ``name``; :class:`BadInput` naming ``field`` otherwise."""
    if name not in ACTIVATIONS:
        raise BadInput(field, f"unknown activation {name!r}; accepted: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def _gaussian_quadrature(max_degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for E[g(z)], z ~ N(0,1): composite Gauss-Legendre.

    Why not Gauss-Hermite: activations with a kink at 0 (relu) converge slowly under it.
    Panels of width 1/2 have a boundary at 0, so piecewise-smooth integrands with kinks at
    multiples of 1/2 are integrated to rounding. The range [-L, L] holds the mass of
    h_p^2 phi for p <= max_degree (it lives in |z| < 2 sqrt(p)) with 12 more units of margin.
    """
    half_width = math.ceil(2.0 * math.sqrt(max_degree + 1) + 12.0)
    edges = np.arange(-half_width, half_width + 0.5, 0.5)
    nodes, weights = np.polynomial.legendre.leggauss(24)
    mid, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * np.diff(edges)
    z = (mid[:, None] + half[:, None] * nodes[None]).ravel()
    w = (half[:, None] * weights[None]).ravel() * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return z, w


@dataclass(frozen=True)
class HermiteExpansion:
    """sigma ~ sum_{p <= degree} c_p h_p, with the L2 mass left out (``tail``) reported.

    Attributes:
        coefficients: c_0 .. c_degree in the normalised basis.
        second_moment: E[sigma(z)^2].
        tail: E[sigma^2] - sum_{p <= degree} c_p^2 (Parseval), the truncation error in L2^2.
        tol: the tail asked for; ``converged`` says whether the degree cap allowed it.
    """

    coefficients: np.ndarray
    second_moment: float
    tail: float
    tol: float

    @property
    def degree(self) -> int:
        return len(self.coefficients) - 1

    @property
    def converged(self) -> bool:
        return self.tail <= self.tol

    def information_exponent(self, atol: float = 1e-12) -> int | None:
        """Lowest p >= 1 with |c_p| > atol (None when sigma is constant up to the degree)."""
        return information_exponent(self.coefficients, atol)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return np.tensordot(self.coefficients, hermite_table(self.degree, z), axes=1)


def expand(
    fn: Activation | str, *, tol: float = 1e-12, max_degree: int = 64, coefficient_atol: float = 1e-14
) -> HermiteExpansion:
    """Hermite coefficients of ``fn`` (a name or any numpy/JAX-traceable callable).

    The degree is the smallest P with tail(P) <= tol, capped at ``max_degree``; trailing
    coefficients below ``coefficient_atol`` are dropped (they are quadrature noise).

    >>> e = expand("he3")
    >>> e.degree, e.information_exponent(), round(float(e.coefficients[3]), 12)
    (3, 3, 1.0)
    """
    if isinstance(fn, str):
        activation(fn)  # BadInput for an unknown name
    func = _numpy_activation(fn) if isinstance(fn, str) else fn
    z, w = _gaussian_quadrature(max_degree)
    values = np.asarray(func(z), dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise BadInput("sigma", "activation is not finite on the quadrature nodes")
    second = float(np.sum(w * values**2))
    coefficients = hermite_table(max_degree, z) @ (w * values)
    coefficients[np.abs(coefficients) < coefficient_atol] = 0.0
    # tail(P) = (mass beyond max_degree) + sum_{p > P} c_p^2, summed from the top: second -
    # cumsum would cancel catastrophically and lose a small last coefficient below ulp(second).
    beyond = max(second - float(np.sum(coefficients**2)), 0.0)
    tails = beyond + np.append(np.cumsum(coefficients[::-1] ** 2)[::-1][1:], 0.0)
    met = np.nonzero(tails <= tol)[0]
    degree = int(met[0]) if met.size else max_degree
    kept = coefficients[: degree + 1]
    while len(kept) > 1 and kept[-1] == 0.0:
        kept = kept[:-1]
    return HermiteExpansion(coefficients=kept, second_moment=second, tail=float(tails[degree]), tol=tol)


def link_coefficients(
    g: Callable[[Any], Any], r: int, degree: int, *, points: int = 40, atol: float = 1e-12
) -> dict[tuple[int, ...], float]:
    """Coefficients a_alpha = E[g(z) h_alpha(z)], z ~ N(0, I_r), |alpha| <= degree, of a link
    g: R^r -> R (called on an array (..., r)), by tensor Gauss-Hermite quadrature.

    Exact for polynomial g of degree < 2 points - degree; for general smooth g its error decays
    with ``points`` (r small: points^r evaluations). The result feeds
    :func:`gflab.problems.subspace.link_tensors`.

    >>> a = link_coefficients(lambda z: z[..., 0] + z[..., 0] * z[..., 1], r=2, degree=3)
    >>> {k: round(v, 12) for k, v in a.items()}
    {(1, 0): 1.0, (1, 1): 1.0}
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(points)
    weights = weights / math.sqrt(2.0 * math.pi)
    grids = np.meshgrid(*([nodes] * r), indexing="ij")
    z = np.stack([grid.ravel() for grid in grids], axis=-1)
    w = np.prod(np.meshgrid(*([weights] * r), indexing="ij"), axis=0).ravel()
    values = np.asarray(g(z), dtype=np.float64)
    table = hermite_table(degree, z)  # (degree + 1, N, r)
    out: dict[tuple[int, ...], float] = {}
    for alpha in np.ndindex(*([degree + 1] * r)):
        if sum(alpha) <= degree:
            basis = np.prod([table[k][:, i] for i, k in enumerate(alpha)], axis=0)
            a = float(np.sum(w * values * basis))
            if abs(a) > atol:
                out[tuple(int(k) for k in alpha)] = a
    return out


def information_exponent(coefficients: np.ndarray, atol: float = 1e-12) -> int | None:
    """Lowest p >= 1 with |c_p| > atol."""
    nonzero = np.nonzero(np.abs(np.asarray(coefficients)[1:]) > atol)[0]
    return int(nonzero[0]) + 1 if nonzero.size else None


def correlation_polynomial(sigma: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """phi(t) = E[sigma(u.x) tau(v.x)] at t = u.v (Mehler): coefficients c_p(sigma) c_p(tau),
    ascending in p."""
    n = min(len(sigma), len(tau))
    product = np.asarray(sigma[:n]) * np.asarray(tau[:n])
    return product if n else np.zeros(1)


def parity(polynomial: np.ndarray, atol: float = 1e-14) -> str:
    """'even', 'odd' or 'mixed' (ignoring the constant term, which has no gradient)."""
    coefficients = np.asarray(polynomial)
    odd = np.any(np.abs(coefficients[1::2]) > atol)
    even = np.any(np.abs(coefficients[2::2]) > atol)
    return "mixed" if odd and even else ("odd" if odd else "even")


__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_NAMES",
    "HermiteExpansion",
    "activation",
    "correlation_polynomial",
    "expand",
    "hermite_table",
    "information_exponent",
    "link_coefficients",
    "parity",
]
