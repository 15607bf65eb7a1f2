"""Gradient descent w_{k+1} = R(w_k - eta grad L(w_k)) (optax; R the problem's retraction), time t = k eta."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import optax

from gflab._jax import jax_module
from gflab.dynamics.base import AbstractDynamics
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class GradientDescent(AbstractDynamics):
    """Full-batch GD (heavy-ball momentum optional) with a fixed step ``eta``.

    Time is ``t = k * eta`` so GD and gradient flow share save grids; it runs to ``t1``.
    """

    eta: float = 0.1
    momentum: float = 0.0
    t1: float = 1e3
    max_steps: int = eqx.field(static=True, default=10_000_000)

    def _optimizer(self) -> optax.GradientTransformation:
        return optax.sgd(self.eta, momentum=self.momentum)

    def init(self, problem: AbstractProblem, y0: Any) -> dict[str, Any]:
        return {"y": y0, "t": jnp.zeros(()), "k": jnp.zeros((), jnp.int64), "opt": self._optimizer().init(y0)}

    def step(
        self, problem: AbstractProblem, state: dict[str, Any], t_limit: jax.Array
    ) -> tuple[dict[str, Any], jax.Array, jax.Array]:
        grads = problem.gradient(state["y"])
        updates, opt_state = self._optimizer().update(grads, state["opt"], state["y"])
        k = state["k"] + 1
        y = problem.retract(optax.apply_updates(state["y"], updates))
        new_state = {"y": y, "t": k * self.eta, "k": k, "opt": opt_state}
        return new_state, jnp.array(True), jnp.array(False)

    def save_slack(self) -> float | jax.Array:
        return 0.5 * self.eta
