"""Stochastic gradient descent on mini-batches: w_{k+1} = R(w_k - eta grad L_B(w_k)), t = k eta.

The problem supplies the batches: ``sample_batch(key, size, step)`` (``step`` = k, for schemes
that walk through epochs) and ``batch_loss(params, batch)``
(an unbiased estimate of its loss), and its data stream's ``key`` as raw uint32 key data
(``jax.random.key_data``: ensembles pass keys through numpy; batch it with ``over`` to
give every trajectory of an ensemble its own stream). R is ``problem.retract`` (renormalisation
on the sphere). Time t = k eta matches gradient flow as eta -> 0 and the batch grows.
"""

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


class SGD(AbstractDynamics):
    """Mini-batch SGD (heavy-ball momentum optional) with step ``eta`` and ``batch_size``."""

    eta: float = 0.01
    batch_size: int = eqx.field(static=True, default=64)
    momentum: float = 0.0
    t1: float = 1e3
    max_steps: int = eqx.field(static=True, default=100_000_000)

    def _optimizer(self) -> optax.GradientTransformation:
        return optax.sgd(self.eta, momentum=self.momentum or None)

    def init(self, problem: AbstractProblem, y0: Any) -> dict[str, Any]:
        key = problem.key  # type: ignore[attr-defined]
        return {"y": y0, "t": jnp.zeros(()), "k": jnp.zeros((), jnp.int64), "key": key, "opt": self._optimizer().init(y0)}

    def step(
        self, problem: AbstractProblem, state: dict[str, Any], t_limit: jax.Array
    ) -> tuple[dict[str, Any], jax.Array, jax.Array]:
        key, sub = jax.random.split(state["key"])
        batch = problem.sample_batch(sub, self.batch_size, state["k"])  # type: ignore[attr-defined]
        grads = jax.grad(problem.batch_loss)(state["y"], batch)  # type: ignore[attr-defined]
        updates, opt_state = self._optimizer().update(grads, state["opt"], state["y"])
        k = state["k"] + 1
        y = problem.retract(optax.apply_updates(state["y"], updates))
        return {"y": y, "t": k * self.eta, "k": k, "key": key, "opt": opt_state}, jnp.array(True), jnp.array(False)

    def save_slack(self) -> float | jax.Array:
        return 0.5 * self.eta
