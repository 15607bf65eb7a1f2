"""GD and Euler-Maruyama hand the stop rules the L and grad L their step computed: the final
loss and gradient norm are those of the final parameters, or the problem's own measure."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.dynamics import EulerMaruyama, GradientDescent
from gflab.problems.base import AbstractProblem
from gflab.problems.valley import Valley
from gflab.simulation import Stop, simulate


class Bowl(AbstractProblem):
    """L(w) = sum a_i w_i^4 / 4 + |w|^2 / 2, a per trajectory."""

    a: jax.Array

    def loss(self, w: jax.Array) -> jax.Array:
        return jnp.sum(self.a * w**4) / 4 + jnp.sum(w**2) / 2


class HalfMeasuredBowl(Bowl):
    """The same loss, whose stop rules read half the gradient norm (a problem's own measure,
    as a Riemannian norm would be)."""

    def loss_and_grad_norm(self, w: jax.Array) -> tuple[jax.Array, jax.Array]:
        value, grad = jax.value_and_grad(self.loss)(w)
        return value, 0.5 * jnp.linalg.norm(grad)


@pytest.mark.parametrize("problem_class", [Bowl, HalfMeasuredBowl])
def test_gd_with_momentum_reports_the_final_parameters_loss_and_norm(problem_class: type[Bowl]) -> None:
    a = jnp.array([0.5, 1.0, 2.0])
    problem = problem_class(a=a)
    start = jnp.array([[0.9, -0.4], [0.3, 0.8], [-0.6, 0.2]])
    traj = simulate(
        problem, GradientDescent(eta=0.05, momentum=0.5, t1=0.8), start, over=lambda p: p.a, y0_batched=True,
        stop=Stop(tol=0.0, gtol=0.0),
    )  # fmt: skip
    for i in range(3):
        expected = problem_class(a=a[i]).loss_and_grad_norm(jnp.asarray(traj.final_params[i]))
        np.testing.assert_allclose([traj.final_loss[i], traj.final_grad_norm[i]], expected, rtol=1e-13)


def test_euler_maruyama_reports_the_final_parameters_loss_and_norm() -> None:
    valley = Valley(eta=jnp.asarray(0.1), sigma=jnp.asarray(1.0), key=jax.random.key_data(jax.random.key(1)))
    start = {"x": jnp.linspace(-1.0, 1.0, 5), "y": jnp.linspace(0.5, -0.5, 5)}  # one trajectory of 5 particles
    traj = simulate(valley, EulerMaruyama(dt=0.01, t1=0.3), start, stop=Stop(tol=0.0, gtol=0.0))
    final = jax.tree.map(jnp.asarray, traj.final_params)
    np.testing.assert_allclose([traj.final_loss, traj.final_grad_norm], valley.loss_and_grad_norm(final), rtol=1e-13)
