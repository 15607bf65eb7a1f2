"""Runs of the exact overlap chain of spherical online SGD (:mod:`gflab.problems.single_index_sgd`)
through :func:`gflab.simulate`: a stepper whose one step is one draw of fresh data (one SGD step,
or ``reuse`` steps on the same sample), time t = SGD steps taken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.dynamics.base import AbstractDynamics
from gflab.problems.base import AbstractProblem
from gflab.problems.single_index_sgd import ReducedSphericalSGD, initial_state, overlap
from gflab.simulation import Save, Stop, Trajectory, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

LARGE_BATCH = 256  # batches above this are drawn in pieces of this size
SMALL_BATCH = 16  # below this, the chain takes BLOCK draws per engine step
BLOCK = 64
LARGE_BLOCK = 8  # draws per engine step for larger batches (the engine's per-step work amortised)


class ChainState(NamedTuple):
    y: Any
    t: jax.Array
    key: jax.Array


class OverlapChain(AbstractDynamics):
    """Transitions of an exact overlap chain (:class:`ReducedSphericalSGD`, time in SGD steps, or
    :class:`gflab.problems.committee_chain.CommitteeChain`, time steps / d: the problem's
    ``clock``) up to the time ``t1`` (per trajectory); ``stride`` is the time one transition
    advances (block times reuse steps)."""

    t1: float | jax.Array = 1e6
    stride: float = eqx.field(static=True, default=1.0)
    max_steps: int = eqx.field(static=True, default=2_000_000_000)

    def init(self, problem: AbstractProblem, y0: Any) -> ChainState:
        return ChainState(y=y0, t=jnp.zeros(()), key=problem.key)  # type: ignore[attr-defined]

    def step(self, problem: AbstractProblem, state: ChainState, t_limit: jax.Array) -> tuple[ChainState, jax.Array, jax.Array]:
        key, sub = jax.random.split(state.key)
        y = problem.transition(sub, state.y)  # type: ignore[attr-defined]
        return ChainState(y=y, t=problem.clock(y), key=key), jnp.array(True), jnp.array(False)  # type: ignore[attr-defined]

    def save_slack(self) -> float | jax.Array:
        return 0.5 * self.stride


@dataclass(frozen=True)
class ChainRuns:
    """One ensemble: trajectory i at dimension ``d[i]``, rate ``gamma[i]``, batch ``batch[i]``,
    start overlap ``m0[i]``, horizon ``t1[i]`` (SGD steps) and loss ``square[i]`` (True: the
    square loss, False: the correlation loss)."""

    d: np.ndarray
    gamma: np.ndarray
    batch: np.ndarray
    m0: np.ndarray
    t1: np.ndarray
    square: np.ndarray

    @staticmethod
    def concatenate(parts: list[ChainRuns]) -> ChainRuns:
        return ChainRuns(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("d", "gamma", "batch", "m0", "t1", "square")))


def run_chain(
    runs: ChainRuns,
    *,
    degree: int,
    threshold: float,
    seed: int,
    stream: int = 0,
    max_batch: int | None = None,
    reuse: int = 1,
    ts: np.ndarray | None = None,
    stop_at_recovery: bool = True,
) -> Trajectory:
    """The ensemble through :func:`simulate`; ``final_params["hit"]`` is each trajectory's first
    (fractional) step with |m| >= threshold (NOT_REACHED by its ``t1``). ``stream`` numbers
    ensembles drawn from one seed; ``max_batch`` (at least the largest batch of ``runs``) fixes the
    compiled chain, so that ensembles of equal size with different batches share one compilation."""
    n = len(runs.d)
    base = jax.random.fold_in(jax.random.key(seed), stream)
    keys = jax.vmap(lambda i: jax.random.key_data(jax.random.fold_in(base, i)))(jnp.arange(n))
    largest = max(int(np.max(runs.batch)), max_batch or 1)
    block = BLOCK if largest <= SMALL_BATCH else LARGE_BLOCK
    problem = ReducedSphericalSGD(
        key=keys,
        d=jnp.asarray(runs.d, jnp.float64),
        gamma=jnp.asarray(runs.gamma, jnp.float64),
        batch_size=jnp.asarray(runs.batch, jnp.int64),
        autocorrelation=jnp.asarray(runs.square, jnp.float64),
        threshold=threshold,
        degree=degree,
        reuse=reuse,
        chunk=largest if reuse > 1 else min(largest, LARGE_BATCH),  # a reused batch is drawn whole
        max_batch=largest,
        block=block,
    )
    save = Save(ts=np.asarray(ts), observables={"m": overlap}) if ts is not None else Save(ts=(), observables={"m": overlap})
    return simulate(
        problem,
        OverlapChain(t1=jnp.asarray(runs.t1, jnp.float64), stride=block * reuse),
        initial_state(jnp.asarray(runs.m0)),
        y0_batched=True,
        over=lambda p: (p.key, p.d, p.gamma, p.batch_size, p.autocorrelation),
        dynamics_over=lambda dyn: dyn.t1,
        save=save,
        stop=Stop(tol=1.0 - threshold if stop_at_recovery else None, bound=1e15),  # the step count is a leaf: no bound on it
        round_steps=1024,
    )


__all__ = ["ChainRuns", "OverlapChain", "run_chain"]
