"""Two-layer networks and the edge-of-stability experiment at small sizes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.experiments.stability.edge_of_stability import Sharpness
from gflab.measure.hessian import dense_hessian
from gflab.problems.networks import TwoLayerNet, dataset, init_params


@pytest.mark.parametrize("scaling", ["conventional", "ntk", "mean-field", "random-features"])
def test_scalings_and_their_parameters(scaling: str) -> None:
    x, y = dataset("teacher", 30, d=4)
    params, frozen = init_params(jax.random.key(0), 4, 6, scaling)  # type: ignore[arg-type]
    net = TwoLayerNet(x=jnp.asarray(x), y=jnp.asarray(y), frozen=frozen, scaling=scaling)  # type: ignore[arg-type]
    assert set(params) == ({"a"} if scaling == "random-features" else {"a", "w"})
    if scaling in ("conventional", "random-features"):
        assert float(net.loss(params)) == pytest.approx(0.5 * float(np.mean(y**2)))  # a(0) = 0
    expected = np.tanh(x @ np.asarray(frozen).T) @ np.asarray(params["a"]) / {"mean-field": 6, "ntk": np.sqrt(6)}.get(scaling, 1)
    np.testing.assert_allclose(net.predict(params, jnp.asarray(x)), expected, rtol=1e-12)
    np.testing.assert_allclose(float(net.loss(params)), 0.5 * np.mean((expected - y) ** 2), rtol=1e-12)


def test_data_sets_and_bad_names() -> None:
    x, y = dataset("digits", 50)
    assert x.shape == (50, 64) and set(np.unique(y)) <= {-1.0, 1.0} and x.max() <= 1.0
    with pytest.raises(BadInput, match="data"):
        dataset("cifar", 10)
    x, y = dataset("cosine", 2000, d=2)
    assert x.min() >= 0 and x.max() <= 1 and np.mean(y**2) == pytest.approx(1.0, abs=0.1)  # unit L2 norm
    x, y = dataset("barron", 2000, d=3)
    assert x.shape == (2000, 3) and np.all(np.isfinite(y)) and 0 < np.std(y) < 1


@pytest.mark.slow
def test_sharpness_observable_is_the_top_eigenvalue_of_the_dense_hessian() -> None:
    x, y = dataset("teacher", 12, d=2)
    params, frozen = init_params(jax.random.key(1), 2, 3, "ntk")
    net = TwoLayerNet(x=jnp.asarray(x), y=jnp.asarray(y), frozen=frozen, sigma="tanh", scaling="ntk")
    exact = np.linalg.eigvalsh(dense_hessian(net.loss, params))[-1]
    assert float(jax.jit(Sharpness(9))(net, params)) == pytest.approx(exact, rel=1e-8)  # 9 parameters: a full Krylov space
    assert Sharpness(9) == Sharpness(9) and hash(Sharpness(9)) == hash(Sharpness(9))  # one compilation per matvecs


@pytest.mark.slow
def test_edge_of_stability_small() -> None:
    """The sharpness never ends above 2/eta (Cohen et al. 2021's bound, within 5%); the large
    step ends at the edge (within 5%); the small step stays within O(eta) of the gradient flow,
    and the large one leaves it only after the flow's sharpness has crossed 2/eta."""
    e = get_experiment("edge-of-stability")
    result = e.run(e.validate({"n_samples": 100, "width": 8, "etas": [0.05, 0.2], "steps": 800, "save_points": 5, "matvecs": 10}))
    m = result.metrics
    assert m["max_ratio"] <= 1.05
    assert m["edge_steps"] == [0.2] and m["edge_worst_gap"] <= 0.05
    flow = m["flow"]
    assert flow["final_distance"]["0.05"] < 0.05 < flow["final_distance"]["0.2"]
    assert flow["flow_crosses_2_over_eta_at"]["0.2"] <= flow["gd_reaches_2_over_eta_at"]["0.2"]
