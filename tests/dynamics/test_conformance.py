"""One conformance table for every dynamics (as optax does for its optimisers): each reaches
the known minimum of a quadratic, keeps float64, honours a per-trajectory hyperparameter, and
compiles once per (dynamics, shapes)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab import SGD, GradientDescent, GradientFlow, Save, Stop, simulate
from gflab.dynamics import AbstractDynamics, EulerMaruyama
from gflab.problems import AbstractProblem

CENTRE = np.array([0.5, -1.0, 2.0])
CURVATURES = np.array([[1.0, 2.0, 0.5], [0.5, 1.0, 1.5], [1.5, 3.0, 1.0], [1.0, 2.0, 1.0]])  # four samples


class SampledQuadratic(AbstractProblem):
    """L(w) = mean_i 1/2 sum_j a_ij (w_j - c_j)^2 over four samples i, all minimal at w = c.

    Every sample's loss vanishes at c (interpolation), so SGD converges to c exactly; the
    diffusion D(w) xi = noise (w - c) * xi vanishes there too, so Euler-Maruyama does as well.
    """

    centre: jax.Array
    key: jax.Array  # raw key data of the batch / noise stream
    noise: float = 0.3

    def loss(self, params: jax.Array) -> jax.Array:
        return 0.5 * jnp.sum(jnp.mean(jnp.asarray(CURVATURES), axis=0) * (params - self.centre) ** 2)

    def sample_batch(self, key: jax.Array, size: int, step: jax.Array) -> jax.Array:
        return jax.random.randint(key, (size,), 0, CURVATURES.shape[0])

    def batch_loss(self, params: jax.Array, batch: jax.Array) -> jax.Array:
        return 0.5 * jnp.sum(jnp.mean(jnp.asarray(CURVATURES)[batch], axis=0) * (params - self.centre) ** 2)

    def diffusion(self, params: jax.Array, xi: jax.Array) -> jax.Array:
        return self.noise * (params - self.centre) * xi


# (dynamics, selector of a hyperparameter batched per trajectory, its per-trajectory values)
Row = tuple[AbstractDynamics, Callable[[Any], Any] | None, Callable[[Any, np.ndarray], AbstractDynamics] | None]
TABLE: list[Row] = [
    (GradientFlow(t1=200.0), None, None),
    (GradientFlow(t1=200.0, solver="dopri5"), None, None),
    (GradientFlow(t1=200.0, solver="bosh3"), None, None),
    (GradientFlow(t1=200.0, solver="dopri8"), None, None),
    (GradientDescent(eta=0.3, t1=200.0), lambda d: d.eta, lambda d, v: GradientDescent(eta=jnp.asarray(v), t1=200.0)),
    (
        GradientDescent(eta=0.3, momentum=0.5, t1=200.0),
        lambda d: d.momentum,
        lambda d, v: GradientDescent(eta=0.3, momentum=jnp.asarray(v), t1=200.0),
    ),
    (SGD(eta=0.2, batch_size=2, t1=200.0), lambda d: d.eta, lambda d, v: SGD(eta=jnp.asarray(v), batch_size=2, t1=200.0)),
    (
        SGD(eta=0.2, batch_size=2, momentum=0.5, t1=200.0),
        lambda d: d.momentum,
        lambda d, v: SGD(eta=0.2, batch_size=2, momentum=jnp.asarray(v), t1=200.0),
    ),
    (EulerMaruyama(dt=0.05, t1=200.0), lambda d: d.dt, lambda d, v: EulerMaruyama(dt=jnp.asarray(v), t1=200.0)),
]
BATCHED_VALUES = np.array([0.1, 0.2, 0.4])


def _name(row: Row) -> str:
    dynamics = row[0]
    if isinstance(dynamics, GradientFlow):
        return f"flow-{dynamics.solver}"
    if isinstance(dynamics, EulerMaruyama):
        return "euler-maruyama"
    return f"{type(dynamics).__name__}-momentum={getattr(dynamics, 'momentum', 0.0)}"


def _problem(seed: int = 0) -> SampledQuadratic:
    return SampledQuadratic(jnp.asarray(CENTRE), jax.random.key_data(jax.random.key(seed)))


@pytest.mark.parametrize("row", TABLE, ids=_name)
def test_reaches_the_known_minimum_in_float64(row: Row) -> None:
    dynamics = row[0]
    problem = _problem()
    traj = simulate(problem, dynamics, jnp.zeros(3), save=Save(ts=(0.0, 1.0, 10.0)), stop=Stop(tol=1e-9))
    assert traj.verdict_names == "learned"
    np.testing.assert_allclose(traj.final_params, CENTRE, atol=1e-4)  # loss < 1e-9
    assert traj.final_params.dtype == np.float64
    assert traj.observations["loss"].shape == (3,)
    assert traj.observations["loss"][0] == pytest.approx(float(problem.loss(jnp.zeros(3))))
    assert traj.observations["loss"][-1] < 1e-2 * traj.observations["loss"][0]


@pytest.mark.slow
@pytest.mark.parametrize("row", [r for r in TABLE if r[1] is not None], ids=_name)
def test_a_hyperparameter_batched_per_trajectory_equals_separate_runs(row: Row) -> None:
    """One ensemble with one value per trajectory gives each trajectory the numbers of its own run."""
    _, select, with_value = row
    assert select is not None and with_value is not None
    problem = _problem()
    batched = with_value(row[0], BATCHED_VALUES)
    ensemble = simulate(problem, batched, jnp.zeros(3), dynamics_over=select, save=Save(ts=(0.0, 1.0, 5.0)))
    for i, value in enumerate(BATCHED_VALUES):
        single = simulate(problem, with_value(row[0], np.float64(value)), jnp.zeros(3), save=Save(ts=(0.0, 1.0, 5.0)))
        np.testing.assert_allclose(ensemble.observations["loss"][i], single.observations["loss"], rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(ensemble.final_params[i], single.final_params, rtol=1e-12, atol=1e-15)


@pytest.mark.slow
@pytest.mark.parametrize("row", TABLE, ids=_name)
def test_one_compile_per_dynamics_and_shapes(row: Row, caplog: pytest.LogCaptureFixture) -> None:
    """A second ensemble of the same shapes (other targets, other starts) reuses the executable."""
    dynamics = row[0]
    simulate(_problem(0), dynamics, jnp.zeros(3), save=Save(ts=(0.0, 1.0)))
    with jax.log_compiles(), caplog.at_level(logging.WARNING, logger="jax"):
        simulate(_problem(1), dynamics, jnp.ones(3), save=Save(ts=(0.0, 2.0)))
    assert not [r for r in caplog.messages if "jit(_advance)" in r]
