"""One conformance table for every dynamics (as optax does for its optimisers): each reaches
the known minimum of a quadratic, keeps float64, and returns the same shapes."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from gflab import GradientDescent, GradientFlow, Save, Stop, simulate
from gflab.dynamics import AbstractDynamics
from gflab.problems import AbstractProblem

CENTRE = np.array([0.5, -1.0, 2.0])


class ShiftedQuadratic(AbstractProblem):
    """L(w) = 1/2 sum_i s_i (w_i - c_i)^2: unique minimum w = c, L = 0."""

    scales: jnp.ndarray
    centre: jnp.ndarray

    def loss(self, params: jnp.ndarray) -> jnp.ndarray:
        return 0.5 * jnp.sum(self.scales * (params - self.centre) ** 2)


TABLE = [
    GradientFlow(t1=200.0),
    GradientFlow(t1=200.0, solver="dopri5"),
    GradientFlow(t1=200.0, solver="bosh3"),
    GradientFlow(t1=200.0, solver="dopri8"),
    GradientDescent(eta=0.3, t1=200.0),
    GradientDescent(eta=0.3, momentum=0.5, t1=200.0),
]


@pytest.mark.parametrize(
    "dynamics", TABLE, ids=lambda d: f"{type(d).__name__}-{getattr(d, 'solver', getattr(d, 'momentum', ''))}"
)
def test_reaches_the_known_minimum_in_float64(dynamics: AbstractDynamics) -> None:
    problem = ShiftedQuadratic(jnp.array([1.0, 2.0, 0.5]), jnp.asarray(CENTRE))
    traj = simulate(problem, dynamics, jnp.zeros(3), save=Save(ts=(0.0, 1.0, 10.0)), stop=Stop(tol=1e-9))
    assert traj.verdict_names == "learned"
    np.testing.assert_allclose(traj.final_params, CENTRE, atol=1e-4)  # loss < 1e-9
    assert traj.final_params.dtype == np.float64
    assert traj.observations["loss"].shape == (3,)
    assert traj.observations["loss"][0] == pytest.approx(float(problem.loss(jnp.zeros(3))))
    assert np.all(np.diff(traj.observations["loss"]) <= 0)  # descent: the loss never rises here
