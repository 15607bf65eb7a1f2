"""The dynamics abstraction: one step of one trajectory; the engine lifts it to ensembles."""

from __future__ import annotations

import abc
from typing import Any

import equinox as eqx

from gflab._jax import jax_module
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

State = Any


class AbstractDynamics(eqx.Module):
    """How parameters move. A dynamics is a stepper: ``init`` then repeated ``step``.

    The state is a NamedTuple with at least the fields ``y`` (parameters) and ``t`` (time).
    ``step`` advances one trajectory by at most up to ``t_limit`` (a save time or the final
    time) and reports whether the attempt was accepted and whether it failed irrecoverably.
    Array fields (a step size, ``t1``) may carry a leading ensemble axis: the engine hands
    every trajectory its own row (``simulate(..., dynamics_over=...)``).
    """

    t1: eqx.AbstractVar[float | jax.Array]
    max_steps: eqx.AbstractVar[int]

    @abc.abstractmethod
    def init(self, problem: AbstractProblem, y0: Any) -> State:
        """State at t = 0."""

    @abc.abstractmethod
    def step(self, problem: AbstractProblem, state: State, t_limit: jax.Array) -> tuple[State, jax.Array, jax.Array]:
        """``(new_state, accepted, failed)`` for one attempted step ending no later than t_limit."""

    def loss_and_grad_norm(self, problem: AbstractProblem, state: State) -> tuple[jax.Array, jax.Array]:
        """``(L, |grad L|)`` at the state (for stop rules); subclasses may reuse work."""
        return problem.loss_and_grad_norm(state.y)

    def shardable(self) -> bool:
        """Whether the engine may split the ensemble over devices with ``shard_map``."""
        return True

    @abc.abstractmethod
    def save_slack(self) -> float | jax.Array:
        """How close (in time) a state must be to a save time to be recorded there."""


def carried_loss_and_grad_norm(problem: AbstractProblem, y: Any, loss: jax.Array, grad: Any) -> tuple[jax.Array, jax.Array]:
    """``(L, |grad L|)`` from a step's carried ``L(y)`` and ``grad L(y)`` (an explicit step
    computes them for its next step anyway, so the stop rules cost nothing), unless the
    problem measures its own (a Riemannian gradient norm, say): then that."""
    if type(problem).loss_and_grad_norm is not AbstractProblem.loss_and_grad_norm:
        return problem.loss_and_grad_norm(y)
    return loss, jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree_util.tree_leaves(grad)))
