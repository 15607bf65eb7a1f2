"""Gradient descent w_{k+1} = R(w_k - eta grad L(w_k)) (optax; R the problem's retraction), time t = k eta."""

from __future__ import annotations

from typing import Any, NamedTuple

import equinox as eqx
import optax

from gflab._jax import jax_module
from gflab.dynamics.base import AbstractDynamics, carried_loss_and_grad_norm
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class GDState(NamedTuple):
    """Parameters ``y`` at time ``t = k eta`` after ``k`` steps, with ``L(y)`` and ``grad L(y)``
    (computed once per step, for the next step and the stop rules); ``opt`` is optax's state,
    which holds the step size and momentum (``inject_hyperparams``)."""

    y: Any
    t: jax.Array
    k: jax.Array
    opt: Any
    loss: jax.Array
    grad: Any


def heavy_ball(eta: Any, momentum: Any) -> optax.GradientTransformation:
    """Heavy ball v <- g + momentum v, update -eta v, with eta and momentum in the optimiser's
    state (``optax.inject_hyperparams``): arrays that may differ per trajectory under vmap."""
    return optax.inject_hyperparams(optax.sgd)(learning_rate=eta, momentum=momentum)


class GradientDescent(AbstractDynamics):
    """Full-batch GD (heavy-ball momentum optional) with a fixed step ``eta``.

    Time is ``t = k * eta`` for every discrete dynamics of gflab, so GD and gradient flow
    share save grids; it runs to ``t1``. ``eta``, ``momentum`` and ``t1`` may be arrays with a
    leading ensemble axis (``simulate(..., dynamics_over=lambda d: (d.eta, d.t1))``): one
    step size per trajectory in one compiled ensemble.
    """

    eta: float | jax.Array = 0.1
    momentum: float | jax.Array = 0.0
    t1: float | jax.Array = 1e3
    max_steps: int = eqx.field(static=True, default=10_000_000)

    def init(self, problem: AbstractProblem, y0: Any) -> GDState:
        opt = heavy_ball(self.eta, self.momentum).init(y0)
        loss, grad = problem.value_and_gradient(y0)
        return GDState(y=y0, t=jnp.zeros(()), k=jnp.zeros((), jnp.int64), opt=opt, loss=loss, grad=grad)

    def step(self, problem: AbstractProblem, state: GDState, t_limit: jax.Array) -> tuple[GDState, jax.Array, jax.Array]:
        updates, opt = heavy_ball(self.eta, self.momentum).update(state.grad, state.opt, state.y)
        k = state.k + 1
        y = problem.retract(optax.apply_updates(state.y, updates))
        loss, grad = problem.value_and_gradient(y)
        return GDState(y=y, t=k * self.eta, k=k, opt=opt, loss=loss, grad=grad), jnp.array(True), jnp.array(False)

    def loss_and_grad_norm(self, problem: AbstractProblem, state: GDState) -> tuple[jax.Array, jax.Array]:
        return carried_loss_and_grad_norm(problem, state.y, state.loss, state.grad)

    def save_slack(self) -> float | jax.Array:
        return 0.5 * self.eta
