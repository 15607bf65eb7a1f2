"""Closed forms of seed 001: occupancy law, beta_c, and the Hessian gap against autodiff."""

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


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 6), st.floats(0.0, 0.95), st.sampled_from([3, 4]))
def test_threshold_gap_is_the_autodiff_riemannian_hessian(k: int, beta: float, p: int) -> None:
    phi = np.zeros(p + 1)
    phi[p] = 1.0
    phi[1] = 0.3  # a first-order term: the closed form holds for any phi
    closed = min(
        theory.threshold_gap(phi, k, beta),
        k * theory.equal_overlap(k, beta) * np.polynomial.Polynomial(phi).deriv()(theory.equal_overlap(k, beta)),
    )
    assert hessian_gap(phi, k, beta) == pytest.approx(closed, abs=1e-9)


def test_search_exponent() -> None:
    assert [theory.search_exponent(p) for p in (1, 2, 3, 4, 6)] == [0, 0, 0.5, 1.0, 2.0]
