"""The correlation-loss experiments at small sizes, their measurements against the closed forms
of Simsek, Bendjeddou & Hsu 2024."""

from __future__ import annotations

import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.experiments.base import Result
from gflab.experiments.multi_index.directional_convergence import NONE, _padded_span, covered, limits, nearest
from gflab.theory import multi_index as theory


def run(name: str, **params: object) -> Result:
    experiment = get_experiment(name)
    return experiment.run(experiment.validate(params))


def _search_time_errors(p: int, flow: str) -> np.ndarray:
    """Relative errors of the measured search times of sigma = sigma* = he_p (k = 1) against
    each neuron's exact time from its initial overlap (inf where none is predicted)."""
    result = run("search-phase", d_values=[16, 64], seeds=8, sigma=f"he{p}", sigma_star=f"he{p}", t1=1e5, flow=flow)
    phi = np.zeros(p + 1)
    phi[p] = 1.0
    m0 = result.table["initial_best_overlap"].to_numpy()  # |m| for even phi: the flow is symmetric
    exact = np.array([theory.search_time(phi, m) for m in m0])
    measured = result.table["search_time"].to_numpy()
    assert np.array_equal(np.isfinite(measured), np.isfinite(exact))  # he3 from m0 < 0: stuck at m = 0
    return np.abs(measured[np.isfinite(exact)] / exact[np.isfinite(exact)] - 1.0)


@pytest.mark.slow
def test_search_times_are_the_exact_one_neuron_times() -> None:
    """k = 1: the overlap obeys dm/dt = phi'(m) (1 - m^2), so each neuron's search time is a
    quadrature of its start. The run stops at the crossing, which is read between the last save
    and the stop (read against the save grid instead, it comes out late by up to one save
    interval, 3.5%)."""
    assert np.max(_search_time_errors(3, "reduced")) < 2e-3


@pytest.mark.slow
@pytest.mark.parametrize(("p", "flow"), [(4, "reduced"), (3, "full"), (4, "full")])
def test_search_times_of_the_full_flow_and_of_he4(p: int, flow: str) -> None:
    assert np.max(_search_time_errors(p, flow)) < 2e-3


def test_directional_convergence_small() -> None:
    """Every neuron ends at its nearest index vector; exactly those with all overlaps negative
    (odd phi) find none; the coverage of networks of 4 covers the occupancy law."""
    result = run("directional-convergence", d=128, k=3, n_neurons=4, seeds=30, coverage_pool=0)
    m, table = result.metrics, result.table
    assert m["to_nearest"]["fraction"] == 1.0
    np.testing.assert_array_equal(table["found"] == NONE, table["predicted"] == NONE)
    assert m["coverage"]["low"] <= m["coverage_predicted"] <= m["coverage"]["high"]


def test_nearest_limits_and_coverage_helpers() -> None:
    start = np.array([[0.1, -0.3], [-0.1, -0.2], [0.05, 0.2]])
    assert nearest(start, "odd").tolist() == [0, NONE, 1]
    assert nearest(start, "even").tolist() == [1, 1, 1]
    final = np.array([[0.999, 0.0], [0.0, -0.995], [0.3, 0.3]])
    assert limits(final, "odd", 0.99).tolist() == [0, NONE, NONE]
    assert limits(final, "even", 0.99).tolist() == [0, 1, NONE]
    assert covered(np.array([0, 1, 1, 1, NONE, 0]), k=2, n=2).tolist() == [True, False, False]


def test_mixed_phi_is_bad_input() -> None:
    experiment = get_experiment("directional-convergence")
    with pytest.raises(BadInput, match="mixed"):
        experiment.run(experiment.validate({"sigma": "relu", "sigma_star": "relu", "seeds": 1, "coverage_pool": 0}))


@pytest.mark.slow
def test_beta_threshold_small() -> None:
    result = run("beta-threshold", ks=[3], rounds=2, grid=9, plot_betas=4, seeds=2, d=32)
    row = result.metrics["thresholds"]["3"]
    beta_c = theory.beta_critical_power(3, 3)  # c / (c + k), c = p - 2
    assert abs(row["hessian"] - beta_c) < 1e-9
    assert abs(row["flow"] - beta_c) < 0.99 / 64  # two rounds of an 8-interval grid


def test_mse_networks_are_run_in_the_span_of_their_start() -> None:
    """The MSE option integrates whole networks in span(W(0), V); the reduction keeps every
    inner product, so the initial overlaps are those of the full-d draw."""
    w = np.random.default_rng(0).normal(size=(3, 40))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    reduced = _padded_span(w, 2, 3 + 2)
    np.testing.assert_allclose(_padded_span(np.stack([w, w]), 2, 5)[1], reduced)  # batched over networks
    np.testing.assert_allclose(reduced @ reduced.T, w @ w.T, atol=1e-12)
    np.testing.assert_allclose(reduced[:, :2], w[:, :2])


@pytest.mark.slow
def test_mse_network_of_one_neuron_is_the_correlation_flow() -> None:
    """One neuron and sigma = sigma*: the MSE loss is the correlation loss plus a constant, so each
    lone neuron ends at its nearest index vector, or at none exactly when none is predicted."""
    result = run("directional-convergence", loss="mse", d=40, k=2, n_neurons=1, seeds=24, coverage_pool=0, t1=1e4)
    assert result.metrics["to_nearest"]["fraction"] == 1.0
    np.testing.assert_array_equal(result.table["found"] == NONE, result.table["predicted"] == NONE)
