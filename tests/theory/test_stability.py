"""Linear stability: the GD critical step against the iteration's spectral radius, the SGD
second-moment map at an interpolating minimum against its dense Kronecker form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab.theory.stability import gd_critical_step, second_moment_radius, sgd_second_moment_factor


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_gd_critical_step_is_where_the_heavy_ball_iteration_stops_contracting(momentum: float) -> None:
    """The top mode's iteration (x_{k+1}, x_k) = [[1 + beta - eta lambda, -beta], [1, 0]] (x_k, x_{k-1})
    has spectral radius < 1 just below the critical step and > 1 just above it, for every mode."""
    lambdas = np.geomspace(0.1, 10.0, 7)
    eta_c = gd_critical_step(lambdas[-1], momentum)

    def radius(eta: float) -> float:
        return max(
            float(np.max(np.abs(np.linalg.eigvals(np.array([[1 + momentum - eta * lam, -momentum], [1.0, 0.0]])))))
            for lam in lambdas
        )

    assert radius(eta_c * (1 - 1e-6)) < 1 < radius(eta_c * (1 + 1e-6))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 6), p=st.integers(1, 9), batch=st.integers(1, 4), eta=st.floats(0.05, 1.5))
def test_radius_is_the_top_eigenvalue_of_the_dense_second_moment_map(seed: int, n: int, p: int, batch: int, eta: float) -> None:
    g = np.random.default_rng(seed).normal(size=(n, p))
    hs = np.einsum("ij,ik->ijk", g, g)  # H_i = g_i g_i^T
    h = hs.mean(axis=0)
    a = np.eye(p) - eta * h
    # vec(X M X) = (X kron X) vec(M) for symmetric X
    dense = np.kron(a, a) + eta**2 / batch * (np.mean([np.kron(x, x) for x in hs], axis=0) - np.kron(h, h))
    exact = np.linalg.eigvalsh(0.5 * (dense + dense.T))
    # the null directions of g (if p > n) are neutral: eigenvalue 1, excluded by the row-space restriction
    rank = np.linalg.matrix_rank(g)
    radius = second_moment_radius(g, eta, batch)
    if rank == p:
        assert radius == pytest.approx(exact[-1], rel=1e-7, abs=1e-9)
    else:
        assert radius <= exact[-1] + 1e-9


def test_one_parameter_radius_is_the_talks_factor() -> None:
    """P = 1: H_i = g_i^2 =: a_i and T is the factor (1 - eta a)^2 + eta^2 s^2 / B."""
    g = np.random.default_rng(3).normal(size=(7, 1))
    for batch in (1, 2, 5):
        factor = sgd_second_moment_factor(g[:, 0] ** 2, 0.3, batch, "with-replacement")
        assert second_moment_radius(g, 0.3, batch) == pytest.approx(factor, rel=1e-10)
