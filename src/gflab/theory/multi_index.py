"""Predictions for Gaussian multi-index models under the correlation loss on the sphere.

Simsek, Bendjeddou & Hsu (2024), "Learning Gaussian multi-index models with gradient flow:
time complexity and directional convergence". Notation: teacher
f*(x) = sum_j sigma*(v_j.x), student neurons w_i on the unit sphere, correlation
phi(t) = sum_p c_p c*_p t^p (Mehler), loss L = -sum_{i,j} phi(w_i.v_j).

- Search phase: from w(0) uniform on S^{d-1} the overlaps are of order d^(-1/2); with
  information exponent p* the time to reach overlap 1/2 grows like d^((p*-2)/2) for p* >= 3
  (the overlap obeys dm/dt ~ m^(p*-1)), like log d for p* = 2. For one index vector the
  overlap obeys dm/dt = phi'(m) (1 - m^2) exactly, so each neuron's search time is a quadrature
  of its initial overlap (:func:`search_time`).
- Directional convergence (orthonormal v_j): each neuron converges to the index vector of its
  largest initial overlap (largest positive one for odd phi; largest in absolute value, with
  its sign, for even phi). For odd phi a neuron with all overlaps negative finds none
  (probability 2^-k).
- Coverage: the choices of different neurons are independent, each index vector with the same
  probability q = (1 - q0) / k (q0 = 2^-k for odd phi, 0 for even). By inclusion-exclusion,
  P(all k found by n neurons) = sum_{i=0}^k (-1)^i C(k, i) (1 - i q)^n, which for q0 = 0 is the
  occupancy probability k! S(n, k) / k^n (Stirling numbers of the second kind).
- Threshold (equal overlaps v_i.v_j = beta): at w = sum v_j / |sum v_j| all overlaps equal
  m = sqrt((1 + (k-1) beta) / k); the Riemannian Hessian on the difference directions
  sum a_j v_j (sum a_j = 0) is k m phi'(m) - (1 - beta) phi''(m), so the point turns from a
  saddle into a minimum at the root beta_c of k m phi'(m) = (1 - beta) phi''(m); for
  phi(t) = t^p this is beta_c = c / (c + k) with c = p - 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from gflab.theory.roots import first_root

PAPER = "Simsek, Bendjeddou & Hsu 2024, Learning Gaussian multi-index models with gradient flow"


def search_exponent(information_exponent: int) -> float:
    """Predicted exponent a in (time to overlap 1/2) ~ d^a; 0 stands for log d (p* <= 2)."""
    return max(information_exponent - 2, 0) / 2


def search_time(phi: np.ndarray, m0: float, level: float = 0.5) -> float:
    """Time for one neuron (k = 1) to reach overlap ``level`` from m0 under the spherical flow:
    t = int_{m0}^{level} dm / (phi'(m) (1 - m^2)); ``inf`` when phi' vanishes on the way
    (for phi = t^3 from m0 <= 0 the overlap creeps up to 0 and stops there). For even phi pass
    |m0|: the flow is symmetric under m -> -m.

    >>> t = search_time(np.array([0, 0, 0, 1.0]), 0.1)  # phi = t^3: (1/m - atanh m) / 3 between the ends
    >>> round(t, 12) == round((1 / 0.1 - 2 - math.atanh(0.1) + math.atanh(0.5)) / 3, 12)
    True
    """
    slope = np.polynomial.Polynomial(phi).deriv()
    if m0 >= level:
        return 0.0
    roots = slope.roots()
    real = roots[np.abs(roots.imag) < 1e-12].real
    if slope(m0) <= 0.0 or np.any((real >= m0) & (real <= level)):
        return math.inf
    from scipy.integrate import quad  # scipy on use: the claims import this module at start-up

    value, _ = quad(lambda m: 1.0 / (slope(m) * (1.0 - m * m)), m0, level, epsabs=0.0, epsrel=1e-12, limit=200)
    return float(value)


def none_probability(k: int, phi_parity: str) -> float:
    """Probability that a random neuron has no nearest index vector: 2^-k for odd phi, else 0."""
    return 2.0**-k if phi_parity == "odd" else 0.0


def coverage_probability(n: int, k: int, q_none: float = 0.0) -> float:
    """P(every one of k index vectors is chosen by at least one of n independent neurons), each
    neuron choosing none with probability q_none and each vector with (1 - q_none) / k."""
    q = (1.0 - q_none) / k
    from scipy.special import comb  # scipy on use: the claims import this module at start-up

    return float(sum((-1) ** i * comb(k, i, exact=True) * (1.0 - i * q) ** n for i in range(k + 1)))


def occupancy_probability(n: int, k: int) -> float:
    """k! S(n, k) / k^n, exactly in integers (the even-phi coverage probability)."""
    from scipy.special import stirling2  # scipy on use: the claims import this module at start-up

    return float(math.factorial(k) * int(stirling2(n, k, exact=True)) / k**n)


def neurons_for_coverage(k: int, probability: float = 0.9, q_none: float = 0.0) -> int:
    """Smallest n with coverage_probability(n, k, q_none) >= probability (grows like k log k)."""
    n = k
    while coverage_probability(n, k, q_none) < probability:
        n += 1
    return n


def equal_overlap(k: int, beta: float) -> float:
    """m = v_j . w at the average point w = sum v_j / |sum v_j| when all v_i.v_j = beta."""
    return math.sqrt((1.0 + (k - 1) * beta) / k)


def _gap(phi: np.ndarray, k: int) -> Callable[[float], float]:
    """beta -> :func:`threshold_gap` (phi's derivatives taken once)."""
    poly = np.polynomial.Polynomial(phi)
    first, second = poly.deriv(1), poly.deriv(2)

    def gap(beta: float) -> float:
        m = equal_overlap(k, beta)
        return float(k * m * first(m) - (1.0 - beta) * second(m))

    return gap


def threshold_gap(phi: np.ndarray, k: int, beta: float) -> float:
    """k m phi'(m) - (1 - beta) phi''(m): the Riemannian Hessian's eigenvalue on the difference
    directions at the average point (positive: minimum; negative: saddle)."""
    return _gap(phi, k)(beta)


def beta_critical(phi: np.ndarray, k: int) -> float:
    """The root beta_c in (0, 1) of :func:`threshold_gap` (first sign change on a fine grid).

    >>> round(beta_critical(np.array([0, 0, 0, 1.0]), 4), 12)  # phi = t^3: c / (c + k) = 1/5
    0.2
    """
    return first_root(_gap(phi, k), np.linspace(0.0, 1.0 - 1e-9, 2001))


def beta_critical_power(p: int, k: int) -> float:
    """beta_c = c / (c + k), c = p - 2, for phi(t) = t^p."""
    return (p - 2) / (p - 2 + k)
