"""The seed-001 experiments at small sizes: their metrics hold the theory's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from gflab.experiments import get_experiment
from gflab.experiments.multi_index.directional_convergence import NONE, covered, limits, nearest


def run(name: str, **params):  # type: ignore[no-untyped-def]
    experiment = get_experiment(name)
    return experiment.run(experiment.validate(params))


def test_search_phase_reduced_and_full_flows_agree() -> None:
    params = dict(d_values=[16, 64], seeds=6, sigma="he4", sigma_star="he4", save_points=200, t1=1e5)
    reduced = run("search-phase", **params)
    full = run("search-phase", **params, flow="full")
    # same law of starts, different draws: medians agree in order of magnitude, exponent near 1
    for d in ("16", "64"):
        assert 0.2 < reduced.metrics["median_time"][d] / full.metrics["median_time"][d] < 5
    assert reduced.metrics["predicted_exponent"] == 1.0
    assert set(reduced.figures) == {"search_time"}
    assert np.all(reduced.table["search_time"] > 0)


def test_directional_convergence_small() -> None:
    result = run("directional-convergence", d=128, k=3, n=4, seeds=30, coverage_ks=[2], coverage_pool=60)
    m = result.metrics
    assert m["to_nearest"]["fraction"] == 1.0
    assert m["no_nearest_predicted"] == pytest.approx(1 / 8)
    assert 0 <= m["coverage"]["low"] <= m["coverage"]["fraction"] <= m["coverage"]["high"] <= 1
    assert "coverage" in result.figures


def test_nearest_limits_and_coverage_helpers() -> None:
    start = np.array([[0.1, -0.3], [-0.1, -0.2], [0.05, 0.2]])
    assert nearest(start, "odd").tolist() == [0, NONE, 1]
    assert nearest(start, "even").tolist() == [1, 1, 1]
    final = np.array([[0.999, 0.0], [0.0, -0.995], [0.3, 0.3]])
    assert limits(final, "odd", 0.99).tolist() == [0, NONE, NONE]
    assert limits(final, "even", 0.99).tolist() == [0, 1, NONE]
    assert covered(np.array([0, 1, 1, 1, NONE, 0]), k=2, n=2).tolist() == [True, False, False]


def test_beta_threshold_small() -> None:
    result = run("beta-threshold", ks=[3], rounds=2, grid=9, plot_betas=4, seeds=2, d=32)
    row = result.metrics["thresholds"]["3"]
    assert row["predicted"] == pytest.approx(1 / 4)
    assert abs(row["hessian"] - row["predicted"]) < 1e-9
    assert abs(row["flow"] - row["predicted"]) < 0.99 / 64  # two rounds of an 8-interval grid


def test_directional_convergence_mse_networks_small() -> None:
    """The MSE option integrates whole networks in span(W(0), V); the reduction keeps every
    inner product, so the initial overlaps are those of the full-d draw."""
    from gflab.experiments.multi_index.directional_convergence import _padded_span

    w = np.random.default_rng(0).normal(size=(3, 40))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    reduced = _padded_span(w, 2, 3 + 2)
    np.testing.assert_allclose(_padded_span(np.stack([w, w]), 2, 5)[1], reduced)  # batched over networks
    np.testing.assert_allclose(reduced @ reduced.T, w @ w.T, atol=1e-12)
    np.testing.assert_allclose(reduced[:, :2], w[:, :2])
    e = get_experiment("directional-convergence")
    spec = e.validate({"loss": "mse", "d": 40, "k": 2, "n": 3, "seeds": 4, "coverage_pool": 0, "t1": 1e4})
    m = e.run(spec).metrics
    assert m["neurons"] == 12 and 0 <= m["coverage"]["fraction"] <= 1
