"""GD stability on quadratics: the measured critical step and its bracketing."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.problems.quadratic import Quadratic, random_hessian


def test_quadratic_gradient_and_spectrum() -> None:
    h = random_hessian(6, 0.5, 4.0, seed=1)
    np.testing.assert_allclose(np.linalg.eigvalsh(h), np.geomspace(0.5, 4.0, 6), rtol=1e-12)
    problem = Quadratic(hessian=jnp.asarray(h), minimum=jnp.ones(6), scale=jnp.asarray(0.3))
    w = jax.random.normal(jax.random.key(0), (6,))
    np.testing.assert_allclose(problem.gradient(w), jax.grad(problem.loss)(w), rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_critical_step_small(momentum: float) -> None:
    e = get_experiment("gd-stability")
    result = e.run(e.validate({"dim": 8, "n_quadratics": 2, "steps": 2000, "rounds": 3, "momentum": momentum}))
    assert result.metrics["max_relative_error"] < 0.01
    measured, predicted = (np.asarray(result.metrics["critical_step"][k]) for k in ("measured", "predicted"))
    assert predicted[1] == pytest.approx(predicted[0] / 2)  # lambda_max doubles across the two quadratics
    assert np.all(np.abs(measured / predicted - 1) < 0.01)


def test_grid_that_misses_the_critical_step_is_bad_input() -> None:
    e = get_experiment("gd-stability")
    with pytest.raises(BadInput, match="eta_low"):
        e.run(e.validate({"dim": 4, "n_quadratics": 1, "steps": 100, "eta_low": 1e-4, "eta_high": 1e-3}))
