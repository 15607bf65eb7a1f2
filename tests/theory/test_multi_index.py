"""Closed forms of Simsek, Bendjeddou & Hsu 2024: occupancy law, beta_c, the Hessian gap
against autodiff, and the one-neuron search time."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab.experiments.multi_index.beta_threshold import hessian_gap
from gflab.theory import multi_index as theory


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 8), st.integers(0, 30))
def test_coverage_without_none_is_the_stirling_occupancy(k: int, extra: int) -> None:
    n = k + extra
    assert theory.coverage_probability(n, k) == pytest.approx(theory.occupancy_probability(n, k), rel=1e-9, abs=1e-12)


def test_coverage_with_a_none_cell_small_case() -> None:
    # k = 2, n = 2: both neurons must pick different vectors: 2 q^2 with q = (1 - q0) / 2
    q0 = 0.25
    assert theory.coverage_probability(2, 2, q0) == pytest.approx(2 * ((1 - q0) / 2) ** 2)
    assert theory.coverage_probability(1, 2, q0) == 0.0


def test_coverage_by_sampling_choices() -> None:
    rng = np.random.default_rng(0)
    k, n, q0, reps = 4, 9, 1 / 16, 200_000
    picks = rng.choice(k + 1, size=(reps, n), p=[(1 - q0) / k] * k + [q0])
    hit = np.zeros((reps, k + 1), bool)
    np.put_along_axis(hit, picks, True, axis=1)
    measured = hit[:, :k].all(axis=1).mean()
    assert abs(measured - theory.coverage_probability(n, k, q0)) < 5 * math.sqrt(0.25 / reps)


@pytest.mark.parametrize("p", [3, 4, 5, 6])
@pytest.mark.parametrize("k", [2, 3, 4, 8, 10])
def test_beta_critical_of_a_power_is_c_over_c_plus_k(p: int, k: int) -> None:
    phi = np.zeros(p + 1)
    phi[p] = 1.0
    assert theory.beta_critical(phi, k) == pytest.approx(theory.beta_critical_power(p, k), abs=1e-12)


def _check_hessian_gap(k: int, beta: float, p: int) -> None:
    """The autodiff Riemannian Hessian's smallest eigenvalue at the average point is the smaller
    of the closed-form gap (difference directions) and k m phi'(m) (the symmetric direction)."""
    phi = np.zeros(p + 1)
    phi[p] = 1.0
    phi[1] = 0.3  # a first-order term: the closed form holds for any phi
    closed = min(
        theory.threshold_gap(phi, k, beta),
        k * theory.equal_overlap(k, beta) * np.polynomial.Polynomial(phi).deriv()(theory.equal_overlap(k, beta)),
    )
    assert hessian_gap(phi, k, beta) == pytest.approx(closed, abs=1e-9)


@settings(max_examples=10, deadline=None)
@given(st.floats(0.0, 0.95))
def test_threshold_gap_is_the_autodiff_riemannian_hessian(beta: float) -> None:
    _check_hessian_gap(3, beta, 4)


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(st.integers(2, 6), st.floats(0.0, 0.95), st.sampled_from([3, 4]))
def test_threshold_gap_is_the_autodiff_riemannian_hessian_for_every_k(k: int, beta: float, p: int) -> None:
    _check_hessian_gap(k, beta, p)


def test_search_time_of_phi_t4_is_its_antiderivative() -> None:
    # dm/dt = 4 m^3 (1 - m^2): t = F(1/2) - F(m0), F(m) = (-1 / (2 m^2) + log m - log(1 - m^2) / 2) / 4
    antiderivative = lambda m: (-0.5 / m**2 + math.log(m) - 0.5 * math.log(1 - m * m)) / 4  # noqa: E731
    for m0 in (0.01, 0.1, 0.3):
        assert theory.search_time(np.array([0, 0, 0, 0, 1.0]), m0) == pytest.approx(
            antiderivative(0.5) - antiderivative(m0), rel=1e-10
        )


@pytest.mark.parametrize("p", [3, 4, 5, 6])
def test_search_time_from_a_uniform_start_scales_with_the_search_exponent(p: int) -> None:
    """From m0 = d^(-1/2), the exact one-neuron search time grows like d^((p - 2) / 2)."""
    phi = np.zeros(p + 1)
    phi[p] = 1.0
    d = np.array([1e6, 1e8])
    times = [theory.search_time(phi, 1 / math.sqrt(x)) for x in d]
    slope = math.log(times[1] / times[0]) / math.log(d[1] / d[0])
    assert slope == pytest.approx(theory.search_exponent(p), abs=1e-3)


def test_search_time_is_infinite_where_phi_prime_vanishes() -> None:
    # phi = t^3 from m0 < 0: dm/dt = 3 m^2 (1 - m^2) > 0 but the overlap only creeps up to 0
    assert theory.search_time(np.array([0, 0, 0, 1.0]), -0.1) == math.inf
    assert math.isfinite(theory.search_time(np.array([0, 0.2, 0, 1.0]), -0.1))  # a linear term carries it across
