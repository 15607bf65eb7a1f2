"""The Gaussian integrals of the overlap equations: closed forms and quadrature against Monte
Carlo, and the symmetric plateau derived in gflab.theory.overlaps against the ODE's drift."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import erf

from gflab.problems.committee_integrals import integrals
from gflab.theory import overlaps as theory

K = 2
jit_integrals = jax.jit(integrals, static_argnums=(1, 2, 3, 4))


def _covariance(seed: int, n: int = 4) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(n, n)) * 0.6
    return a @ a.T + 0.2 * np.eye(n)


def _monte_carlo(C: np.ndarray, g, dg, samples: int, seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Sample means and standard errors of I2, I3, I4, J2 (g = g* = g)."""
    z = np.random.default_rng(seed).multivariate_normal(np.zeros(len(C)), C, size=samples)
    f, d = g(z), dg(z[:, :K])
    terms = [
        np.einsum("si,sj->sij", f, f),
        np.einsum("sk,sj,si->skji", d, z, f),
        np.einsum("sk,sl,si,sj->sklij", d, d, f, f),
        np.einsum("sk,sl->skl", d, d),
    ]
    return [t.mean(0) for t in terms], [t.std(0) / math.sqrt(samples) for t in terms]


def _erf_ss(z: np.ndarray) -> np.ndarray:
    return erf(z / math.sqrt(2))


def _erf_ss_prime(z: np.ndarray) -> np.ndarray:
    return math.sqrt(2 / math.pi) * np.exp(-(z**2) / 2)


def test_erf_closed_forms_against_monte_carlo() -> None:
    """Saad & Solla's I2, I3, I4 and J2 (g = erf(x/sqrt2)) within 5 standard errors of a
    100,000-sample Monte-Carlo estimate on a random covariance."""
    C = _covariance(0)
    closed = theory.erf_integrals(C, K)
    means, errors = _monte_carlo(C, _erf_ss, _erf_ss_prime, 100_000, 1)
    for name, exact, mean, se in zip(closed._fields, closed, means, errors, strict=True):
        assert np.all(np.abs(exact - mean) <= 5 * se + 1e-12), name


@pytest.mark.slow
def test_gflab_erf_scaling_against_monte_carlo() -> None:
    """gflab's erf(z) = G(sqrt2 z): the rescaled closed forms against Monte Carlo."""
    C = _covariance(2)
    closed = integrals(jnp.asarray(C), K, "erf", "erf", "closed")
    means, errors = _monte_carlo(C, erf, lambda z: 2 / math.sqrt(math.pi) * np.exp(-(z**2)), 200_000, 3)
    for name, exact, mean, se in zip(closed._fields, closed, means, errors, strict=True):
        assert np.all(np.abs(np.asarray(exact) - mean) <= 5 * se + 1e-12), name


@pytest.mark.slow
@settings(max_examples=3, deadline=None)
@given(st.integers(0, 10_000))
def test_quadrature_matches_closed_form_for_erf(seed: int) -> None:
    """Polar rule (I2, I3, J2) to 1e-10; quasi-Monte-Carlo I4 to 5e-4."""
    C = jnp.asarray(_covariance(seed))
    closed = jit_integrals(C, K, "erf", "erf", "closed")
    quad = jit_integrals(C, K, "erf", "erf", "quadrature")
    for name in ("I2", "I3", "J2"):
        assert float(jnp.max(jnp.abs(getattr(closed, name) - getattr(quad, name)))) < 1e-10, name
    assert float(jnp.max(jnp.abs(closed.I4 - quad.I4))) < 5e-4


@pytest.mark.slow
def test_relu_quadrature_against_arc_cosine_kernel_and_monte_carlo() -> None:
    """relu: I2 against the arc-cosine kernel to 1e-10 (the polar rule is split at the kinks);
    I3, J2 and I4 within 5 standard errors of Monte Carlo (plus 5e-4 for the QMC I4)."""
    C = _covariance(4)
    quad = jit_integrals(jnp.asarray(C), K, "relu", "relu", "quadrature")
    s = np.sqrt(np.diag(C))
    rho = np.clip(C / np.outer(s, s), -1, 1)
    th = np.arccos(rho)
    arc_cosine = np.outer(s, s) * (np.sin(th) + (np.pi - th) * rho) / (2 * np.pi)
    assert np.max(np.abs(np.asarray(quad.I2) - arc_cosine)) < 1e-10
    means, errors = _monte_carlo(C, lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float), 400_000, 5)
    for name, slack in (("I3", 0.0), ("J2", 0.0), ("I4", 5e-4)):
        i = quad._fields.index(name)
        assert np.all(np.abs(np.asarray(quad[i]) - means[i]) <= 5 * errors[i] + slack), name


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_plateau_closed_form_is_a_fixed_point_of_the_drift(k: int) -> None:
    """The derived plateau (Q = 1/(2K-1), R = 1/sqrt(K(2K-1)) everywhere) makes the eta -> 0
    drift vanish, and its eps_g is K/6 - (K^2/pi) arcsin(1/(2K))."""
    q, r = theory.plateau_point(k)
    Q, R, T, ones = np.full((k, k), q), np.full((k, k), r), np.eye(k), np.ones(k)
    ints = theory.erf_integrals(theory.covariance(Q, R, T), k)
    dQ, dR, _ = theory.drift(Q, R, ones, ones, ints, theory.Rates(variance=0.0))
    assert np.max(np.abs(dQ)) < 1e-14 and np.max(np.abs(dR)) < 1e-14
    assert abs(theory.generalisation_error(ints, ones, ones) - theory.plateau_error(k)) < 1e-14
    # and it is not a fixed point away from the derived values
    ints = theory.erf_integrals(theory.covariance(1.1 * Q, R, T), k)
    assert np.max(np.abs(theory.drift(1.1 * Q, R, ones, ones, ints, theory.Rates(variance=0.0))[0])) > 1e-4
