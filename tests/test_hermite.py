"""Hermite engine: exact coefficients, known values, Parseval, and Mehler against Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from gflab.errors import BadInput
from gflab.hermite import correlation_polynomial, expand, hermite_table, information_exponent, parity


def gaussian_mean(fn) -> float:  # type: ignore[no-untyped-def]
    return quad(lambda z: fn(z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), -40, 40, epsabs=1e-14, limit=200)[0]


@pytest.mark.parametrize("p", range(13))
def test_normalised_hermite_is_a_unit_coefficient(p: int) -> None:
    e = expand(f"he{p}")
    expected = np.zeros(p + 1)
    expected[p] = 1.0
    np.testing.assert_allclose(e.coefficients, expected, atol=1e-12)
    assert e.second_moment == pytest.approx(1.0, abs=1e-12)
    assert e.information_exponent() == (p if p else None)


def test_monomials_have_their_hermite_coefficients() -> None:
    # z^3 = He_3 + 3 He_1 = sqrt(6) h_3 + 3 h_1;  z^4 = sqrt(24) h_4 + 6 sqrt(2) h_2 + 3
    np.testing.assert_allclose(expand(lambda z: z**3).coefficients, [0, 3, 0, math.sqrt(6)], atol=1e-12)
    np.testing.assert_allclose(expand(lambda z: z**4).coefficients, [3, 0, 6 * math.sqrt(2), 0, math.sqrt(24)], atol=1e-11)


def test_relu_known_coefficients() -> None:
    e = expand("relu", max_degree=64)
    s2pi = math.sqrt(2 * math.pi)
    np.testing.assert_allclose(
        e.coefficients[:5], [1 / s2pi, 0.5, 1 / (2 * math.sqrt(math.pi)), 0.0, -1 / (s2pi * math.sqrt(24))], atol=1e-13
    )
    assert e.second_moment == pytest.approx(0.5, abs=1e-13)
    assert not e.converged and 0 < e.tail < 1e-3  # relu's tail decays like P^(-3/2): reported, not hidden


def test_tanh_and_erf_against_stein_identities() -> None:
    # c_p = E[sigma^(p)(z)] / sqrt(p!)
    sech2 = lambda z: 1 / math.cosh(z) ** 2  # noqa: E731
    tanh3 = lambda z: 4 * sech2(z) * math.tanh(z) ** 2 - 2 * sech2(z) ** 2  # noqa: E731
    c = expand("tanh").coefficients
    assert c[1] == pytest.approx(gaussian_mean(sech2), abs=1e-12)
    assert c[3] == pytest.approx(gaussian_mean(tanh3) / math.sqrt(6), abs=1e-12)
    c = expand("erf").coefficients
    assert c[1] == pytest.approx(2 / math.sqrt(3 * math.pi), abs=1e-13)
    assert c[3] == pytest.approx(2 / math.sqrt(math.pi) * (-2 / (3 * math.sqrt(3))) / math.sqrt(6), abs=1e-13)


@pytest.mark.parametrize("name", ["tanh", "erf", "sigmoid", "sin"])
def test_parseval_smooth_activations(name: str) -> None:
    e = expand(name, tol=1e-10)
    assert e.converged
    assert np.sum(e.coefficients**2) == pytest.approx(e.second_moment, abs=1e-10)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=1, max_size=9))
def test_expansion_of_a_hermite_sum_is_exact(coefficients: list[float]) -> None:
    a = np.array(coefficients)
    e = expand(lambda z: np.tensordot(a, hermite_table(len(a) - 1, z), axes=1), tol=1e-20, max_degree=16)
    padded = np.zeros(17)
    padded[: len(e.coefficients)] = e.coefficients
    np.testing.assert_allclose(padded[: len(a)], a, atol=1e-10)
    np.testing.assert_allclose(padded[len(a) :], 0.0, atol=1e-10)
    assert e.second_moment == pytest.approx(float(np.sum(a**2)), abs=1e-9)


def test_information_exponent_and_parity() -> None:
    assert information_exponent(np.array([1.0, 0.0, 0.0, 2.0])) == 3
    assert expand("relu").information_exponent() == 1
    assert parity(np.array([5.0, 0, 0, 1])) == "odd"
    assert parity(np.array([0, 0, 1.0, 0, 1])) == "even"
    assert parity(np.array([0, 1.0, 1.0])) == "mixed"


def test_unknown_activation_is_bad_input() -> None:
    with pytest.raises(BadInput, match="accepted: relu"):
        expand("swish")


def _pair(d: int, t: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    u = rng.normal(size=d)
    u /= np.linalg.norm(u)
    e = rng.normal(size=d)
    e -= (e @ u) * u
    e /= np.linalg.norm(e)
    return u, t * u + math.sqrt(1 - t * t) * e


def test_mehler_identity_by_monte_carlo() -> None:
    rng = np.random.default_rng(0)
    n, t = 400_000, 0.6
    u, v = _pair(6, t, rng)
    x = rng.normal(size=(n, 6))
    hu, hv = hermite_table(4, x @ u), hermite_table(4, x @ v)
    for p in range(5):
        for q in range(5):
            estimate = np.mean(hu[p] * hv[q])
            se = np.std(hu[p] * hv[q]) / math.sqrt(n)
            assert abs(estimate - (t**p if p == q else 0.0)) < 5 * se + 1e-12, (p, q)


def test_correlation_polynomial_by_monte_carlo() -> None:
    rng = np.random.default_rng(1)
    n, t = 400_000, -0.35
    u, v = _pair(5, t, rng)
    x = rng.normal(size=(n, 5))
    phi = correlation_polynomial(expand("tanh").coefficients, expand("relu").coefficients)
    samples = np.tanh(x @ u) * np.maximum(x @ v, 0)
    assert abs(np.mean(samples) - np.polynomial.polynomial.polyval(t, phi)) < 5 * np.std(samples) / math.sqrt(n)


def test_link_coefficients_of_polynomials_are_exact_and_match_monte_carlo() -> None:
    from gflab.hermite import link_coefficients

    # z1^2 z2 = (sqrt2 h_2(z1) + 1) h_1(z2)
    a = link_coefficients(lambda z: z[..., 0] ** 2 * z[..., 1], r=2, degree=4)
    assert a.keys() == {(2, 1), (0, 1)}
    assert a[(2, 1)] == pytest.approx(math.sqrt(2), abs=1e-12)
    assert a[(0, 1)] == pytest.approx(1.0, abs=1e-12)
    # a smooth non-polynomial link: coefficients by quadrature against Monte Carlo
    g = lambda z: np.tanh(z[..., 0] + 0.5 * z[..., 1])  # noqa: E731
    b = link_coefficients(g, r=2, degree=3, points=60)
    z = np.random.default_rng(4).normal(size=(400_000, 2))
    samples = g(z) * hermite_table(1, z[:, 0])[1]
    assert abs(b[(1, 0)] - np.mean(samples)) < 5 * np.std(samples) / math.sqrt(len(samples))
