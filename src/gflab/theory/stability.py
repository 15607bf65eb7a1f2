"""Linear stability of GD and SGD, and the drift of SGD's SDE along a valley of minima.

E, Ma, Wojtowytsch & Wu, "Towards a mathematical theory of machine learning" (talk and survey);
Wu, Ma & E 2018, "How SGD selects the global minima in over-parameterized learning"; Ma, Wu & E
2022 (the SDE near a manifold of minima); Cohen et al. 2021 (the edge of stability).

GD on a quadratic with Hessian H: the error along an eigenvector of eigenvalue lambda is
multiplied by (1 - eta lambda) per step, so GD converges iff eta < 2 / lambda_max. With
heavy-ball momentum beta (v <- beta v + grad, w <- w - eta v) the mode obeys
x_{k+1} = (1 + beta - eta lambda) x_k - beta x_{k-1}, stable iff 0 < eta lambda < 2 (1 + beta).

Near the valley f(x, y) = h(x) y^2 with SGD noise of covariance proportional to the Hessian,
y equilibrates to N(0, eta sigma^2 / 4) at every x, and x follows the gradient flow of
eta sigma^2 h(x) / 4: the noise drives it towards flatter minima (the quasi-static limit).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from typing import Any, Literal

import numpy as np

from gflab.theory.roots import first_root

PAPER = "E, Ma, Wojtowytsch & Wu, Towards a mathematical theory of machine learning (talk); Wu, Ma & E 2018"

Scheme = Literal["with-replacement", "without-replacement", "reshuffling"]
"""How SGD draws its batches of B of the n samples: B iid indices, B distinct indices (fresh
each step), or a random permutation per epoch cut into n / B consecutive batches."""

Flatness = Literal["quadratic", "cosh", "exponential"]
"""The profile h(x) of the valley f = h(x) y^2: 1 + x^2, cosh(x) or exp(x)."""


def gd_critical_step(lambda_max: float, momentum: float = 0.0) -> float:
    """Largest stable step 2 (1 + beta) / lambda_max."""
    return 2.0 * (1.0 + momentum) / lambda_max


def valley_equilibrium_variance(eta: Any, sigma: Any) -> Any:
    """E[y^2] = eta sigma^2 / 4: the stationary variance of y across the valley f = h(x) y^2
    (dy = -2 h y dt + sqrt(eta h) sigma dW, at every frozen x), and the coefficient of the
    quasi-static flow dx/dt = -(eta sigma^2 / 4) h'(x) along it."""
    return eta * sigma**2 / 4


def sgd_second_moment_factor(curvatures: np.ndarray, eta: float, batch: int, scheme: str) -> float:
    """Growth of E[theta^2] for SGD on f_i = a_i theta^2 / 2: per step for the iid schemes, per
    epoch (n / B steps) for random reshuffling.

    - with replacement: a_hat is the mean of B iid draws: E[(1 - eta a_hat)^2]
      = (1 - eta a)^2 + eta^2 s^2 / B (the talk's condition: this <= 1);
    - without replacement: Var(a_hat) = s^2 (n - B) / (B (n - 1)) (finite-population correction);
    - reshuffling: the batches of an epoch partition the samples, so the epoch factor is the mean
      over all partitions into blocks of size B of prod_b (1 - eta a_hat_b)^2 (exact enumeration).
    Here a = mean a_i and s^2 = mean a_i^2 - a^2.
    """
    a_i = np.asarray(curvatures, float)
    n, a, var = len(a_i), float(np.mean(a_i)), float(np.var(a_i))
    if scheme == "with-replacement":
        return (1 - eta * a) ** 2 + eta**2 * var / batch
    if scheme == "without-replacement":
        return (1 - eta * a) ** 2 + eta**2 * var * (n - batch) / (batch * (n - 1)) if n > 1 else (1 - eta * a) ** 2
    if scheme == "reshuffling":
        products = [
            np.prod([(1 - eta * np.mean(a_i[list(block)])) ** 2 for block in blocks])
            for blocks in _partitions(list(range(n)), batch)
        ]
        return float(np.mean(products))
    raise ValueError(f"unknown scheme {scheme!r}")


def _partitions(items: list[int], size: int) -> Iterator[list[tuple[int, ...]]]:
    """All partitions of ``items`` into unordered blocks of ``size`` (the first item anchors a block)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for others in combinations(rest, size - 1):
        remaining = [i for i in rest if i not in others]
        for tail in _partitions(remaining, size):
            yield [(first, *others), *tail]


def sgd_critical_step(curvatures: np.ndarray, batch: int, scheme: str) -> float:
    """The step eta > 0 where the second-moment factor crosses 1, by Brent's method (for the iid
    schemes it is eta_c = 2 a / (a^2 + Var(a_hat)), which the tests check)."""
    a_i = np.asarray(curvatures, float)
    grid = np.linspace(1e-6, 2.0 / float(np.min(a_i)) + 1.0, 801)  # the factor starts below 1 at eta -> 0
    return first_root(lambda e: sgd_second_moment_factor(a_i, e, batch, scheme) - 1.0, grid)


def second_moment_radius(jacobian: np.ndarray, eta: float, batch: int) -> float:
    """Growth rate of E[theta theta^T] for SGD (with replacement) linearised at an interpolating minimum.

    At a zero-loss minimum of L = (1/n) sum_i (f_i - y_i)^2 / 2 the per-sample Hessians are
    H_i = g_i g_i^T (g_i = grad f_i, the rows of ``jacobian``) and M = E[theta theta^T] obeys

        M <- T(M) = (I - eta H) M (I - eta H) + (eta^2 / B) ((1/n) sum_i H_i M H_i - H M H).

    T preserves the cone of PSD matrices and is self-adjoint for <A, B> = tr(AB), so its
    spectral radius is its largest eigenvalue (ARPACK, on symmetric n x n matrices in the row
    space of the Jacobian: the null directions, along the manifold of minima, are neutral).
    SGD is mean-square stable at the minimum iff the radius is <= 1. The talk's simplification
    lambda_max((I - eta H)^2 + eta^2 Sigma / B) <= 1, whose consequences are a <= 2 / eta and
    s <= sqrt(B) / eta, asks instead that E|theta|^2 never grows in one step from any M: that
    is sufficient, not necessary, for the radius to be <= 1.
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    n = jacobian.shape[0]
    _, singular, vt = np.linalg.svd(jacobian, full_matrices=False)
    g = jacobian @ vt[singular > singular[0] * 1e-12].T  # (n, r): rows in the row-space basis
    r = g.shape[1]
    h = g.T @ g / n
    a = np.eye(r) - eta * h

    def apply(vec: np.ndarray) -> np.ndarray:
        m = vec.reshape(r, r)
        m = 0.5 * (m + m.T)
        quad = np.sum((g @ m) * g, axis=1)  # g_i^T M g_i
        spread = (g.T * quad) @ g / n - h @ m @ h
        return (a @ m @ a + eta**2 / batch * spread).ravel()

    if r * r <= 256:  # small: the dense map (ARPACK needs k < dimension)
        dense = np.stack([apply(e) for e in np.eye(r * r)], axis=1)
        return float(np.linalg.eigvalsh(0.5 * (dense + dense.T))[-1])
    operator = LinearOperator((r * r, r * r), matvec=apply, dtype=float)
    start = np.eye(r).ravel()
    return float(eigsh(operator, k=1, which="LA", v0=start, tol=1e-10)[0][0])
