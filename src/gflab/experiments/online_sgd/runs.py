"""Shared runs of the online_sgd family: the overlap ODE and the finite-d SGD ensembles, both
through :func:`gflab.simulate`, recorded as vectors of the independent order parameters
(upper triangle of Q, R, a: :func:`gflab.problems.committee.overlap_entries`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gflab._jax import jax_module
from gflab.dynamics import SGD, GradientFlow
from gflab.errors import BadInput
from gflab.experiments.online_sgd.chain import BLOCK, LARGE_BATCH, LARGE_BLOCK, SMALL_BATCH, OverlapChain
from gflab.experiments.online_sgd.specs import Simulation
from gflab.problems.committee import OnlineCommittee, OverlapODE, embed_overlaps, ode_entries, sgd_entries
from gflab.problems.committee_chain import CommitteeChain, chain_entries, initial_overlaps
from gflab.results import VERDICT_NAMES
from gflab.simulation import Save, Stop, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

BOUND = 1e4  # overlaps beyond this: the run diverged (eta beyond the ODE's stability)


@dataclass(frozen=True)
class Setup:
    """Teacher (T, b), start (Q0, R0, a0), rates and activations shared by the ODE and SGD."""

    T: np.ndarray
    b: np.ndarray
    Q0: np.ndarray
    R0: np.ndarray
    a0: np.ndarray
    eta: float
    eta_a: float = 0.0
    batch_size: int = 1
    noise: float = 0.0
    weight_decay: float = 0.0
    student: str = "erf"
    teacher: str = "erf"
    method: str = "closed"


def entry_names(K: int, M: int) -> list[str]:
    """Names of the entries of :func:`gflab.problems.committee.overlap_entries`."""
    rows, cols = np.triu_indices(K)
    return (
        [f"Q{i + 1}{j + 1}" for i, j in zip(rows, cols, strict=True)]
        + [f"R{i + 1}{n + 1}" for i in range(K) for n in range(M)]
        + [f"a{i + 1}" for i in range(K)]
    )


def ode_problem(s: Setup, variance: float = 1.0) -> OverlapODE:
    return OverlapODE(
        T=jnp.asarray(s.T),
        b=jnp.asarray(s.b),
        eta=s.eta,
        eta_a=s.eta_a,
        batch_size=float(s.batch_size),
        noise=s.noise,
        weight_decay=s.weight_decay,
        student=s.student,
        teacher=s.teacher,
        method=s.method,  # type: ignore[arg-type]
        variance=variance,
    )


def start(s: Setup) -> dict[str, jax.Array]:
    return {"Q": jnp.asarray(s.Q0), "R": jnp.asarray(s.R0), "a": jnp.asarray(s.a0)}


def run_ode(s: Setup, ts: np.ndarray, rtol: float, atol: float) -> tuple[np.ndarray, str]:
    """The overlap ODE from (Q0, R0, a0): entries (T, E) at ``ts`` and the verdict (``diverged``
    when the overlaps leave |.| < BOUND)."""
    traj = simulate(
        ode_problem(s),
        GradientFlow(rtol=rtol, atol=atol, t1=float(ts[-1])),
        start(s),
        save=Save(ts=ts, observables={"entries": ode_entries}),
        stop=Stop(bound=BOUND),
    )
    return np.asarray(traj.observations["entries"]), str(traj.verdict_names)


def run_sgd(
    s: Setup, d: int, seeds: int, ts: np.ndarray, seed: int, *, reuse: int = 1, simulation: Simulation = "network"
) -> tuple[np.ndarray, np.ndarray]:
    """``seeds`` one-pass SGD runs at dimension d, each from its own random frame with exactly
    the overlaps (Q0, R0, T) and its own batch stream: entries (seeds, T, E) at times ``ts``
    (t = steps / d) and the verdict names. ``simulation="chain"`` runs the same SGD by its exact
    overlap chain (:mod:`gflab.problems.committee_chain`; fresh batches only)."""
    if simulation == "chain":
        if reuse != 1:
            raise BadInput("reuse", "the overlap chain draws a fresh batch per step: reuse 1 only (or simulation network)")
        return run_chain_sgd(s, d, seeds, ts, seed)
    K = len(s.Q0)
    rng = np.random.default_rng([seed, d])
    omega = np.block([[s.Q0, s.R0], [s.R0.T, s.T]])
    rows = np.stack([embed_overlaps(omega, d, rng) for _ in range(seeds)])
    base = jax.random.key(seed + 7919 * d)
    keys = jax.vmap(lambda i: jax.random.key_data(jax.random.fold_in(base, i)))(jnp.arange(seeds))
    problem = OnlineCommittee(
        V=jnp.asarray(rows[:, K:]),
        b=jnp.asarray(s.b),
        key=keys,
        noise=s.noise,
        weight_decay=s.weight_decay,
        lr_ratio=s.eta_a / s.eta,
        student=s.student,
        teacher=s.teacher,
        reuse=reuse,
    )
    y0 = {"w": jnp.asarray(rows[:, :K]), "a": jnp.tile(jnp.asarray(s.a0), (seeds, 1))}
    traj = simulate(
        problem,
        SGD(eta=s.eta / d, batch_size=s.batch_size, t1=s.eta * float(ts[-1])),  # SGD's time k eta/d = eta t
        y0,
        y0_batched=True,
        over=lambda p: (p.V, p.key),
        save=Save(ts=s.eta * ts, observables={"entries": sgd_entries}),
        stop=Stop(bound=BOUND),
        slots=64,
    )
    return np.asarray(traj.observations["entries"]), np.asarray(traj.verdict_names)


def chain_block(batch: int, save_steps: np.ndarray) -> int:
    """Steps per chain transition: many for small batches (the engine's per-step work amortised),
    and a divisor of every save step, so that saves fall on the exact step."""
    cap = BLOCK if batch <= SMALL_BATCH else LARGE_BLOCK if batch <= LARGE_BATCH else 1
    return math.gcd(cap, *(int(k) for k in save_steps))


def run_chain_sgd(s: Setup, d: int, seeds: int, ts: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`run_sgd` by the exact overlap chain: the same law at a cost independent of d (times
    ``ts`` rounded to whole steps)."""
    steps = np.round(np.asarray(ts) * d)
    block = chain_block(s.batch_size, steps)
    base = jax.random.key(seed + 7919 * d)
    keys = jax.vmap(lambda i: jax.random.key_data(jax.random.fold_in(base, i)))(jnp.arange(seeds))
    problem = CommitteeChain(
        T=jnp.asarray(s.T),
        b=jnp.asarray(s.b),
        key=keys,
        d=float(d),
        eta=s.eta,
        eta_a=s.eta_a,
        batch_size=s.batch_size,
        noise=s.noise,
        weight_decay=s.weight_decay,
        student=s.student,
        teacher=s.teacher,
        chunk=min(s.batch_size, LARGE_BATCH),
        max_batch=s.batch_size,
        block=block,
    )
    tile = lambda x: jnp.tile(jnp.asarray(x), (seeds,) + (1,) * np.ndim(x))  # noqa: E731
    traj = simulate(
        problem,
        OverlapChain(t1=float(steps[-1] / d), stride=block / d),
        initial_overlaps(tile(s.Q0), tile(s.R0), tile(s.a0)),
        y0_batched=True,
        over=lambda p: p.key,
        save=Save(ts=steps / d, observables={"entries": chain_entries}),
        stop=Stop(bound=BOUND),
    )
    return np.asarray(traj.observations["entries"]), np.asarray(traj.verdict_names)


def verdict_counts(names: Any) -> dict[str, int]:
    values = np.atleast_1d(np.asarray(names))
    return {v: int(np.sum(values == v)) for v in VERDICT_NAMES if np.any(values == v)}


def compare(ode: np.ndarray, sims: dict[int, np.ndarray]) -> dict[str, Any]:
    """z-scores of the mean over seeds against the ODE at the largest d (times t > 0, entries
    that move), and each run's root-mean-square distance from the ODE per d."""
    largest = max(sims)
    runs = sims[largest]
    mean, se = runs.mean(0), runs.std(0, ddof=1) / np.sqrt(len(runs))
    moving = se[1:] > 0
    z = np.abs(mean[1:] - ode[1:])[moving] / se[1:][moving]
    distances = {d: np.sqrt(np.mean((x[:, 1:] - ode[None, 1:]) ** 2, axis=(1, 2))) for d, x in sims.items()}
    return {"largest_d": largest, "max_z": float(np.max(z)), "mean_z": float(np.mean(z)), "distances": distances}
