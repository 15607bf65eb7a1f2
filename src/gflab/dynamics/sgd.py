"""Stochastic gradient descent on mini-batches: w_{k+1} = R(w_k - eta grad L_B(w_k)), t = k eta.

The problem supplies the batches: ``sample_batch(key, size, step)`` (``step`` = k, for schemes
that walk through epochs) and ``batch_loss(params, batch)``
(an unbiased estimate of its loss), and its data stream's ``key`` as raw uint32 key data
(``jax.random.key_data``: ensembles pass keys through numpy; batch it with ``over`` to
give every trajectory of an ensemble its own stream). R is ``problem.retract`` (renormalisation
on the sphere). Time t = k eta matches gradient flow as eta -> 0 and the batch grows.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import equinox as eqx
import optax

from gflab._jax import jax_module
from gflab.dynamics.base import AbstractDynamics
from gflab.dynamics.gd import heavy_ball
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class SGDState(NamedTuple):
    """Parameters ``y`` at time ``t = k eta`` after ``k`` steps, the batch stream's ``key``
    and optax's state (holding the step size and momentum)."""

    y: Any
    t: jax.Array
    k: jax.Array
    key: jax.Array
    opt: Any


class SGD(AbstractDynamics):
    """Mini-batch SGD (heavy-ball momentum optional) with step ``eta`` and ``batch_size``.

    ``eta``, ``momentum`` and ``t1`` may differ per trajectory (arrays selected with
    ``simulate(..., dynamics_over=...)``); ``batch_size`` fixes the shape of a batch, so it is
    one per compiled ensemble.
    """

    eta: float | jax.Array = 0.01
    batch_size: int = eqx.field(static=True, default=64)
    momentum: float | jax.Array = 0.0
    t1: float | jax.Array = 1e3
    max_steps: int = eqx.field(static=True, default=100_000_000)

    def init(self, problem: AbstractProblem, y0: Any) -> SGDState:
        key = problem.key  # type: ignore[attr-defined]
        opt = heavy_ball(self.eta, self.momentum).init(y0)
        return SGDState(y=y0, t=jnp.zeros(()), k=jnp.zeros((), jnp.int64), key=key, opt=opt)

    def step(self, problem: AbstractProblem, state: SGDState, t_limit: jax.Array) -> tuple[SGDState, jax.Array, jax.Array]:
        key, sub = jax.random.split(state.key)
        batch = problem.sample_batch(sub, self.batch_size, state.k)  # type: ignore[attr-defined]
        grads = jax.grad(problem.batch_loss)(state.y, batch)  # type: ignore[attr-defined]
        updates, opt = heavy_ball(self.eta, self.momentum).update(grads, state.opt, state.y)
        k = state.k + 1
        y = problem.retract(optax.apply_updates(state.y, updates))
        return SGDState(y=y, t=k * self.eta, k=k, key=key, opt=opt), jnp.array(True), jnp.array(False)

    def save_slack(self) -> float | jax.Array:
        return 0.5 * self.eta
