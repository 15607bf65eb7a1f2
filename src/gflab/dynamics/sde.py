"""Euler-Maruyama for the SDE limit of SGD: dX = -grad L(X) dt + D(X) dW (Li, Tai & E 2017; Wu, Ma & E 2018), t = k dt.

X_{k+1} = X_k - dt grad L(X_k) + sqrt(dt) D(X_k) xi_k, xi_k ~ N(0, I) shaped like X. The problem
supplies ``diffusion(params, xi)`` = D(X) xi (the talk's sqrt(eta) D, its noise scale included)
and its noise stream's ``key`` as raw uint32 key data (batch it with ``over`` for independent
ensembles). Written here rather than with diffrax's SDE solvers because the ensemble engine is a
stepper whose trajectories draw fresh increments from their own key each step (diffrax's
Brownian paths are objects fixed per solve); the scheme is diffrax's Euler on the same increments.
Strong order 1/2, weak order 1: an Ornstein-Uhlenbeck coordinate with rate k gets stationary
variance s^2 / (2k) (1 - k dt / 2)^-1, a relative bias k dt / 2.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import equinox as eqx

from gflab._jax import jax_module
from gflab.dynamics.base import AbstractDynamics, carried_loss_and_grad_norm
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class EMState(NamedTuple):
    """Parameters ``y`` at time ``t = k dt`` after ``k`` steps, the noise stream's ``key``,
    and ``L(y)``, ``grad L(y)`` (computed once per step, for the drift and the stop rules)."""

    y: Any
    t: jax.Array
    k: jax.Array
    key: jax.Array
    loss: jax.Array
    grad: Any


class EulerMaruyama(AbstractDynamics):
    """Euler-Maruyama with the fixed step ``dt`` up to ``t1`` (either may differ per trajectory)."""

    dt: float | jax.Array = 1e-3
    t1: float | jax.Array = 1.0
    max_steps: int = eqx.field(static=True, default=100_000_000)

    def init(self, problem: AbstractProblem, y0: Any) -> EMState:
        key = problem.key  # type: ignore[attr-defined]
        loss, grad = problem.value_and_gradient(y0)
        return EMState(y=y0, t=jnp.zeros(()), k=jnp.zeros((), jnp.int64), key=key, loss=loss, grad=grad)

    def step(self, problem: AbstractProblem, state: EMState, t_limit: jax.Array) -> tuple[EMState, jax.Array, jax.Array]:
        key, sub = jax.random.split(state.key)
        leaves, treedef = jax.tree.flatten(state.y)
        xi = jax.tree.unflatten(
            treedef,
            [jax.random.normal(k, x.shape, x.dtype) for k, x in zip(jax.random.split(sub, len(leaves)), leaves, strict=True)],
        )
        noise = problem.diffusion(state.y, xi)  # type: ignore[attr-defined]
        y = jax.tree.map(lambda x, g, n: x - self.dt * g + jnp.sqrt(self.dt) * n, state.y, state.grad, noise)
        k = state.k + 1
        loss, grad = problem.value_and_gradient(y)
        return EMState(y=y, t=k * self.dt, k=k, key=key, loss=loss, grad=grad), jnp.array(True), jnp.array(False)

    def loss_and_grad_norm(self, problem: AbstractProblem, state: EMState) -> tuple[jax.Array, jax.Array]:
        return carried_loss_and_grad_norm(problem, state.y, state.loss, state.grad)

    def save_slack(self) -> float | jax.Array:
        return 0.5 * self.dt
