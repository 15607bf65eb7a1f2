"""The networks family at small sizes, and the limits it relies on."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.dynamics import GradientFlow
from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.problems.networks import TwoLayerNet, dataset, init_params
from gflab.simulation import Stop, simulate


def _run(name: str, params: dict) -> dict:  # type: ignore[type-arg]
    e = get_experiment(name)
    return e.run(e.validate(params)).metrics  # type: ignore[no-any-return]


@pytest.mark.slow
def test_ntk_vs_meanfield_small_orders_the_three_regimes() -> None:
    """Relative first-layer movement: conventional (O(m^-2)) < NTK (O(m^-1/2)) < mean-field
    (O(1)) at every width; the NTK and mean-field exponents within 0.1 of theirs already at
    m = 40 .. 160 (the conventional one approaches -2 only at larger m)."""
    m = _run(
        "ntk-vs-meanfield",
        {
            "n_samples": 6,
            "d": 3,
            "widths": [40, 160],
            "seeds": 1,
            "horizon": 6,
            "mean_field_time": 20,
            "save_points": 8,
            "test_points": 50,
        },
    )
    move = m["movement_median"]
    for w in ("40", "160"):
        assert move["conventional"][w] < move["ntk"][w] < move["mean-field"][w]
    slope = {s: m["movement_exponent"][s]["slope"] for s in ("conventional", "ntk", "mean-field")}
    assert slope["conventional"] < slope["ntk"] == pytest.approx(-0.5, abs=0.1)
    assert slope["mean-field"] == pytest.approx(0.0, abs=0.1)
    assert m["rate_error_widest"]["conventional"] < 0.2  # the loss decays like exp(-2 m lambda_n t)


@pytest.mark.slow
def test_random_feature_flow_converges_to_the_least_squares_limit() -> None:
    """The random-features-rate experiment uses the t -> infinity limit of gradient flow on a
    (minimum-norm least squares, from a(0) = 0); here the flow itself reaches it."""
    x, y = dataset("teacher", 40, d=3)
    params, frozen = init_params(jax.random.key(0), 3, 5, "random-features")
    net = TwoLayerNet(x=jnp.asarray(x), y=jnp.asarray(y), frozen=frozen, sigma="erf", scaling="random-features")
    traj = simulate(net, GradientFlow(rtol=1e-10, atol=1e-12, t1=1e5), params, stop=Stop(tol=0.0, gtol=1e-11))
    features = np.asarray(jax.scipy.special.erf(jnp.asarray(x) @ frozen.T))
    best = np.linalg.lstsq(features, y, rcond=None)[0]
    np.testing.assert_allclose(traj.final_params["a"], best, rtol=1e-6, atol=1e-8)


def test_random_features_rate_small_is_within_the_theorem() -> None:
    """The trained model is within the direct approximation theorem's ||f*||_H^2 / m, and below
    the theorem's own construction a_j = a*(w_j)."""
    m = _run("random-features-rate", {"widths": [8, 32], "draws": 4, "train_points": 400, "test_points": 400})
    assert m["best_times_m_over_norm"] <= 1.0
    assert m["mean_error"]["best"]["32"] < m["mean_error"]["monte_carlo"]["32"]


@pytest.mark.slow
def test_random_features_monte_carlo_error_falls_like_one_over_m() -> None:
    fit = _run("random-features-rate", {"widths": [8, 64], "draws": 8, "train_points": 2000, "test_points": 2000})["exponent"]
    assert fit["monte_carlo"]["low"] <= -1.0 <= fit["monte_carlo"]["high"]


@pytest.mark.slow
def test_gradient_variance_small_obeys_the_lemma_exactly() -> None:
    """On the midpoint grid the cosines are exactly orthonormal, so Var_M <= Q / M holds exactly."""
    m = _run("gradient-variance", {"grid": 16, "family_sizes": [2, 4, 8], "thetas": 2, "fit_from": 2})
    assert m["orthonormality_error"] < 1e-12
    assert m["max_ratio"] <= 1.0
    with pytest.raises(BadInput, match="grid"):
        _run("gradient-variance", {"grid": 8, "family_sizes": [2, 64]})
