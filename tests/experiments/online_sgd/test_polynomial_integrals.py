"""The exact (Gauss-Hermite) Gaussian integrals of the overlap equations for polynomial
activations: against Monte Carlo, against the polar quadrature, and against Mehler's formula."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.hermite import hermite_table
from gflab.problems.committee_integrals import integrals

K = 2
jit_integrals = jax.jit(integrals, static_argnums=(1, 2, 3, 4, 5))


def _covariance(seed: int, n: int = 4) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(n, n)) * 0.5
    return a @ a.T + 0.2 * np.eye(n)


def _correlation(seed: int, n: int = 4) -> np.ndarray:
    C = _covariance(seed, n)
    s = np.sqrt(np.diag(C))
    return C / np.outer(s, s)


def _h(p: int, z: np.ndarray) -> np.ndarray:
    return hermite_table(p, z)[p]


def _dh(p: int, z: np.ndarray) -> np.ndarray:
    """h_p' = sqrt(p) h_{p-1} (normalised probabilists' Hermite)."""
    return math.sqrt(p) * _h(p - 1, z) if p else np.zeros_like(z)


def test_polynomial_closed_forms_against_monte_carlo() -> None:
    """Student he2, teacher he3: I2, I3, I4, J2 within 5 standard errors of a 200,000-sample
    Monte-Carlo estimate on a random covariance."""
    p, q = 2, 3
    C = _covariance(0, n=K + 1)
    exact_ints = jit_integrals(jnp.asarray(C), K, f"he{p}", f"he{q}", "closed")
    z = np.random.default_rng(1).multivariate_normal(np.zeros(len(C)), C, size=200_000)
    f = np.concatenate([_h(p, z[:, :K]), _h(q, z[:, K:])], axis=1)
    d = _dh(p, z[:, :K])
    n = len(C)
    pairs = {
        "I2": (f, f, (n, n)),
        "I3": (d, (z[:, :, None] * f[:, None, :]).reshape(len(z), -1), (K, n, n)),
        "I4": (
            (d[:, :, None] * d[:, None, :]).reshape(len(z), -1),
            (f[:, :, None] * f[:, None, :]).reshape(len(z), -1),
            (K, K, n, n),
        ),
        "J2": (d, d, (K, K)),
    }
    for name, (a, b, shape) in pairs.items():
        mean = a.T @ b / len(z)  # sample mean of a_s (x) b_s, and its standard error
        se = np.sqrt(np.maximum((a**2).T @ b**2 / len(z) - mean**2, 0.0) / len(z))
        exact = np.asarray(getattr(exact_ints, name))
        assert np.all(np.abs(exact - mean.reshape(shape)) <= 5 * se.reshape(shape) + 1e-12), name


@pytest.mark.slow  # ~2-4 s: compiling the polar rule
def test_polynomial_closed_forms_match_the_polar_quadrature() -> None:
    """I2, I3 and J2 agree with the polar Gauss-Legendre rule (accurate to rounding for smooth
    integrands) to 1e-11; mixed degrees (student he3, teacher he1)."""
    C = jnp.asarray(_covariance(2))
    closed = jit_integrals(C, K, "he3", "he1", "closed")
    quad = jit_integrals(C, K, "he3", "he1", "quadrature", 4)  # I4 (QMC, 2^4 points) unused
    for name in ("I2", "I3", "J2"):
        assert float(jnp.max(jnp.abs(getattr(closed, name) - getattr(quad, name)))) < 1e-11, name


@pytest.mark.parametrize("p", [1, 4])
@settings(max_examples=4, deadline=None)
@given(st.integers(0, 10_000))
def test_mehler_and_linear_invariants(p: int, seed: int) -> None:
    """Unit variances, g = g* = h_p: I2 = C^p and J2 = p C^(p-1) entrywise (Mehler,
    E[h_p(z_a) h_q(z_b)] = delta_pq C_ab^p); for h_1 (g' = 1) I4[k, l, i, j] = C_ij and
    I3[k, j, i] = C_ji exactly."""
    C = _correlation(seed)
    ints = jit_integrals(jnp.asarray(C), K, f"he{p}", f"he{p}", "closed")
    assert np.max(np.abs(np.asarray(ints.I2) - C**p)) < 1e-12
    assert np.max(np.abs(np.asarray(ints.J2) - p * C[:K, :K] ** (p - 1))) < 1e-12
    if p == 1:
        assert np.max(np.abs(np.asarray(ints.I4) - C[None, None])) < 1e-12
        assert np.max(np.abs(np.asarray(ints.I3) - C.T[None])) < 1e-12


@pytest.mark.parametrize(
    "params",
    [
        {"sigma": "he3", "sigma_star": "erf"},  # mixed: neither erf-like nor polynomial pair
        {"sigma": "tanh", "sigma_star": "tanh"},
        {"sigma": "he12", "sigma_star": "he12", "K": 8, "M": 4},  # the exact I4 would not fit
    ],
)
def test_closed_integrals_are_refused_outside_erf_and_polynomial_pairs(params: dict) -> None:
    with pytest.raises(BadInput, match=r"overlap-ode\.integrals"):
        get_experiment("overlap-ode").validate({**params, "integrals": "closed"})
    with pytest.raises(BadInput, match="integrals"):
        integrals(jnp.asarray(_covariance(3)), K, "tanh", "he2", "closed")


def test_polynomial_pair_is_accepted_with_closed_integrals() -> None:
    spec = get_experiment("overlap-ode").validate({"sigma": "he2", "sigma_star": "he3", "integrals": "closed"})
    assert spec.integrals == "closed"
