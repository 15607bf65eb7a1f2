"""GD stability on quadratics: the measured critical step, and a bracket that holds it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.problems.quadratic import Quadratic, random_hessian


def _run(params: dict) -> dict:  # type: ignore[type-arg]
    e = get_experiment("gd-stability")
    return e.run(e.validate(params)).metrics  # type: ignore[no-any-return]


def test_quadratic_gradient_and_spectrum() -> None:
    h = random_hessian(6, 0.5, 4.0, seed=1)
    np.testing.assert_allclose(np.linalg.eigvalsh(h), np.geomspace(0.5, 4.0, 6), rtol=1e-12)
    problem = Quadratic(hessian=jnp.asarray(h), minimum=jnp.ones(6))
    w = jax.random.normal(jax.random.key(0), (6,))
    np.testing.assert_allclose(problem.gradient(w), jax.grad(problem.loss)(w), rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.0, pytest.param(0.5, marks=pytest.mark.slow)])
def test_bracket_holds_the_critical_step(momentum: float) -> None:
    """lambda_max = 10: eta_c = 2 (1 + beta) / 10. A short run (1000 steps) with a narrow final
    bracket (5 rounds): deciding stability by L(K) < L(0) called steps up to ~2e-4 above eta_c
    stable (the top mode holds little of the start, its slow growth hidden by the others'
    decay), so the bracket missed eta_c; the loss over the last half, L(K) <= L(K/2), does not."""
    m = _run({"d": 8, "n_quadratics": 2, "steps": 1000, "rounds": 5, "momentum": momentum})
    low, high = (np.asarray(m["bracket"][k]) for k in ("low", "high"))
    measured, predicted = (np.asarray(m["critical_step"][k]) for k in ("measured", "predicted"))
    assert np.all((low <= predicted) & (predicted <= high)), (low, predicted, high)
    assert m["max_relative_error"] <= 0.5 * m["bracket_relative_width"]
    assert measured[1] / measured[0] == pytest.approx(0.5, rel=m["bracket_relative_width"])  # lambda_max doubles


@pytest.mark.slow
def test_grid_that_misses_the_critical_step_is_bad_input() -> None:
    with pytest.raises(BadInput, match="eta_low"):
        _run({"d": 4, "n_quadratics": 1, "steps": 100, "eta_low": 1e-4, "eta_high": 1e-3})
