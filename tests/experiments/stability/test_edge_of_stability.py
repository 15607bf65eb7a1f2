"""Two-layer networks and the edge-of-stability experiment at small sizes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.problems.networks import TwoLayerNet, dataset, init_params


@pytest.mark.parametrize("scaling", ["conventional", "ntk", "mean-field", "random-features"])
def test_scalings_and_their_parameters(scaling: str) -> None:
    x, y = dataset("teacher", 30, d=4)
    params, frozen = init_params(jax.random.key(0), 4, 6, scaling)  # type: ignore[arg-type]
    net = TwoLayerNet(x=jnp.asarray(x), y=jnp.asarray(y), frozen=frozen, scale=jnp.asarray(2.0), scaling=scaling)  # type: ignore[arg-type]
    assert set(params) == ({"a"} if scaling == "random-features" else {"a", "w"})
    assert float(net.loss(params)) == pytest.approx(2.0 * float(net.unscaled_loss(params)))
    if scaling == "conventional":
        assert float(net.unscaled_loss(params)) == pytest.approx(0.5 * float(np.mean(y**2)))  # a(0) = 0
    expected = np.tanh(x @ np.asarray(frozen).T) @ np.asarray(params["a"]) / {"mean-field": 6, "ntk": np.sqrt(6)}.get(scaling, 1)
    np.testing.assert_allclose(net.predict(params, jnp.asarray(x)), expected, rtol=1e-12)


def test_digits_are_bundled_and_bad_names_rejected() -> None:
    x, y = dataset("digits", 50)
    assert x.shape == (50, 64) and set(np.unique(y)) <= {-1.0, 1.0} and x.max() <= 1.0
    with pytest.raises(BadInput, match="data"):
        dataset("cifar", 10)
    x, y = dataset("cosine", 2000, d=2)
    assert x.min() >= 0 and x.max() <= 1 and np.mean(y**2) == pytest.approx(1.0, abs=0.1)  # unit L2 norm
    x, y = dataset("barron", 2000, d=3)
    assert x.shape == (2000, 3) and np.all(np.isfinite(y)) and 0 < np.std(y) < 1


def test_edge_of_stability_small() -> None:
    e = get_experiment("edge-of-stability")
    result = e.run(e.validate({"n": 100, "width": 8, "etas": [0.05, 0.2], "steps": 800, "save_points": 5, "matvecs": 10}))
    rows = result.metrics["table"]
    assert [r["eta"] for r in rows] == [0.05, 0.2]
    assert all(r["two_over_eta"] == pytest.approx(2 / r["eta"]) for r in rows)
    assert result.metrics["max_ratio"] is not None and result.metrics["max_ratio"] < 1.2
    assert "sharpness" in result.figures
