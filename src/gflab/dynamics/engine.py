"""The ensemble engine: many trajectories of one stepper, in fixed slots refilled on the fly.

Why not ``jax.vmap(diffrax.diffeqsolve)``: a vmapped adaptive solve runs until its slowest
member finishes and keeps stepping the finished ones; on this kind of ensemble (stop times
spread over decades) it measured ~30 trajectories/s with a 34 s compile. Here each device
holds ``slots`` trajectories; every round advances all of them ``round_steps`` attempts
(each with its own step size), then finished trajectories are harvested on the host and
their slots refilled from the queue, so the working set stays full and compiles once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.dynamics.base import AbstractDynamics
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec  # noqa: E402

# Why a trajectory stopped.
RUNNING, LOSS_BELOW_TOL, GRAD_BELOW_GTOL, DIVERGED, REACHED_T1, MAX_STEPS, EVENT = range(7)


@dataclass(frozen=True)
class Stop:
    """Stop events: ``loss < tol`` (learned), ``|grad| < gtol`` (critical point), divergence
    (non-finite, or any of loss, |grad|, |params| beyond ``bound``), and ``event(problem,
    params) -> bool`` (an experiment's own condition, e.g. an overlap reached). None switches
    one off. ``event`` is part of the compiled program's key: give a hashable object that
    compares by value (a frozen dataclass), not a fresh lambda, to reuse compilations."""

    tol: float | None = None
    gtol: float | None = None
    bound: float = 1e8
    event: Callable[[Any, Any], jax.Array] | None = None


def _where(mask: jax.Array, new: Any, old: Any) -> Any:
    def pick(a: jax.Array, b: jax.Array) -> jax.Array:
        return jnp.where(mask.reshape(mask.shape + (1,) * (a.ndim - mask.ndim)), a, b)

    return jax.tree.map(pick, new, old)


def _first_bad(values: jax.Array, bound: float) -> jax.Array:
    return ~jnp.isfinite(values) | (jnp.abs(values) > bound)


def _advance_local(
    shared: AbstractProblem,
    dynamics: AbstractDynamics,
    stop: Stop,
    ts: jax.Array,
    carry: dict[str, Any],
    fresh: jax.Array,
    new_batched: Any,
    new_y0: Any,
    round_steps: int,
    observe: Callable[[AbstractProblem, Any], dict[str, jax.Array]],
) -> dict[str, Any]:
    """Refill the ``fresh`` slots, then run up to ``round_steps`` attempts on every slot."""
    tol, gtol, bound = stop.tol, stop.gtol, stop.bound
    n_save = ts.shape[0]
    slack = dynamics.save_slack()
    ts_pad = jnp.concatenate([ts, jnp.full((1,), jnp.inf)])  # ts_pad[n_save]: no save pending

    def problem_of(batched: Any) -> AbstractProblem:
        return eqx.combine(batched, shared)

    batched = _where(fresh, new_batched, carry["batched"])
    init_state = jax.vmap(lambda b, y: dynamics.init(problem_of(b), y))(new_batched, new_y0)
    state = _where(fresh, init_state, carry["state"])
    zero = jnp.zeros_like(carry["j"])
    c = {
        "batched": batched,
        "state": state,
        "buf": carry["buf"],
        "j": jnp.where(fresh, zero, carry["j"]),
        "active": carry["active"] | fresh,
        "steps": jnp.where(fresh, zero, carry["steps"]),
        "reason": jnp.where(fresh, RUNNING, carry["reason"]),
        "loss": carry["loss"],
        "gnorm": carry["gnorm"],
    }

    def observe_all(c: dict[str, Any]) -> dict[str, jax.Array]:
        return jax.vmap(lambda b, y: observe(problem_of(b), y))(c["batched"], c["state"]["y"])

    def write(buf: dict[str, jax.Array], obs: dict[str, jax.Array], slot_mask: jax.Array) -> dict[str, jax.Array]:
        return {k: _where(slot_mask, obs[k][:, None], buf[k]) for k in buf}

    def body(loop: tuple[Any, dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
        i, c = loop
        t = c["state"]["t"]
        j = c["j"]
        # (a) record the pending save time once reached
        hit = c["active"] & (t >= ts_pad[j] - slack)
        if n_save:
            buf = jax.lax.cond(
                jnp.any(hit),
                lambda: write(c["buf"], observe_all(c), hit[:, None] & (jnp.arange(n_save)[None] == j[:, None])),
                lambda: c["buf"],
            )
        else:
            buf = c["buf"]
        j = j + hit
        # (b) stop events at the current state
        loss, gnorm = jax.vmap(lambda b, s: dynamics.loss_and_grad_norm(problem_of(b), s))(c["batched"], c["state"])
        y_bad = jax.vmap(lambda y: jnp.any(jnp.asarray([jnp.any(_first_bad(x, bound)) for x in jax.tree_util.tree_leaves(y)])))(
            c["state"]["y"]
        )
        reason = jnp.full_like(c["reason"], RUNNING)
        reason = jnp.where(c["steps"] >= dynamics.max_steps, MAX_STEPS, reason)
        reason = jnp.where(t >= dynamics.t1 - slack, REACHED_T1, reason)
        if gtol is not None:
            reason = jnp.where(gnorm < gtol, GRAD_BELOW_GTOL, reason)
        event = stop.event
        if event is not None:
            fired = jax.vmap(lambda b, y: event(problem_of(b), y))(c["batched"], c["state"]["y"])
            reason = jnp.where(fired, EVENT, reason)
        if tol is not None:
            reason = jnp.where(loss < tol, LOSS_BELOW_TOL, reason)
        reason = jnp.where(
            y_bad | _first_bad(loss, bound) | _first_bad(gnorm, bound) | (c["reason"] == DIVERGED), DIVERGED, reason
        )
        stopping = c["active"] & (reason != RUNNING) & ((j >= n_save) | (reason != REACHED_T1))
        if n_save:
            buf = jax.lax.cond(
                jnp.any(stopping),
                lambda: write(buf, observe_all(c), stopping[:, None] & (jnp.arange(n_save)[None] >= j[:, None])),
                lambda: buf,
            )
        active = c["active"] & ~stopping
        # (c) one attempted step for every still active slot
        t_limit = jnp.minimum(ts_pad[j], dynamics.t1)
        new_state, _, failed = jax.vmap(lambda b, s, tl: dynamics.step(problem_of(b), s, tl))(c["batched"], c["state"], t_limit)
        c = {
            "batched": c["batched"],
            "state": _where(active, new_state, c["state"]),
            "buf": buf,
            "j": jnp.where(stopping, n_save, j),
            "active": active,
            "steps": c["steps"] + active,
            "reason": jnp.where(stopping, reason, jnp.where(active & failed, DIVERGED, c["reason"])),
            "loss": jnp.where(stopping, loss, c["loss"]),
            "gnorm": jnp.where(stopping, gnorm, c["gnorm"]),
        }
        return i + 1, c

    _, c = jax.lax.while_loop(lambda loop: (loop[0] < round_steps) & jnp.any(loop[1]["active"]), body, (0, c))
    return c


@eqx.filter_jit
def _advance(
    shared: AbstractProblem,
    dynamics: AbstractDynamics,
    stop: Stop,
    ts: jax.Array,
    carry: dict[str, Any],
    fresh: jax.Array,
    new_batched: Any,
    new_y0: Any,
    round_steps: int,
    observe: Callable[[AbstractProblem, Any], dict[str, jax.Array]],
    mesh: Mesh,
) -> dict[str, Any]:
    """:func:`_advance_local` on every device at once, each on its own share of the slots.

    One program (one compile) for all devices; each device runs its own while loop, so a
    device whose slots are all finished stops early. With one device there is no
    ``shard_map`` (dynamics that cannot be sharded run this way). Slot arrays are split on their first
    axis; the problem's shared arrays and the save grid are replicated.
    """
    if mesh.devices.size == 1:
        return _advance_local(shared, dynamics, stop, ts, carry, fresh, new_batched, new_y0, round_steps, observe)
    arrays, static = eqx.partition((shared, dynamics), eqx.is_array)

    def local(arrays: Any, ts: jax.Array, carry: Any, fresh: Any, new_batched: Any, new_y0: Any) -> Any:
        shared_, dynamics_ = eqx.combine(arrays, static)
        return _advance_local(shared_, dynamics_, stop, ts, carry, fresh, new_batched, new_y0, round_steps, observe)

    slots, replicated = PartitionSpec("slots"), PartitionSpec()
    sharded = jax.shard_map(
        local, mesh=mesh, in_specs=(replicated, replicated, slots, slots, slots, slots), out_specs=slots, check_vma=False
    )
    return sharded(arrays, ts, carry, fresh, new_batched, new_y0)


@dataclass
class EnsembleResult:
    """Host arrays, one row per trajectory."""

    observations: dict[str, np.ndarray]
    final_params: Any
    final_loss: np.ndarray
    final_grad_norm: np.ndarray
    t_final: np.ndarray
    steps: np.ndarray
    reason: np.ndarray


def run_ensemble(
    shared: AbstractProblem,
    batched_rows: Any,
    y0_rows: Any,
    n: int,
    dynamics: AbstractDynamics,
    ts: np.ndarray,
    stop: Stop,
    observe: Callable[[AbstractProblem, Any], dict[str, jax.Array]],
    *,
    slots: int = 512,
    round_steps: int = 32,
    on_progress: Callable[[int], None] | None = None,
) -> EnsembleResult:
    """Run ``n`` trajectories; row ``i`` uses ``batched_rows[i]`` combined with ``shared``.

    ``batched_rows`` and ``y0_rows`` are pytrees of numpy arrays with leading axis ``n``.
    Work is spread over all local devices; each holds up to ``slots`` trajectories at a time.
    """
    n_devices = max(1, min(len(jax.local_devices()), math.ceil(n / slots))) if dynamics.shardable() else 1
    mesh = Mesh(np.asarray(jax.local_devices()[:n_devices]), ("slots",))
    # Every round's inputs carry the same sharding, so all rounds share one executable
    # (host arrays on the first round and sharded outputs later would compile twice).
    by_slot = NamedSharding(mesh, PartitionSpec("slots"))
    per_device = min(slots, math.ceil(n / n_devices))
    total = per_device * n_devices
    ts_dev = jnp.asarray(ts, dtype=jnp.float64)

    first_b = jax.tree.map(lambda a: a[:1], batched_rows)
    first_y = jax.tree.map(lambda a: a[:1], y0_rows)
    obs_shape = jax.eval_shape(lambda b, y: jax.vmap(lambda bb, yy: observe(eqx.combine(bb, shared), yy))(b, y), first_b, first_y)
    state_shape = jax.eval_shape(
        lambda b, y: jax.vmap(lambda bb, yy: dynamics.init(eqx.combine(bb, shared), yy))(b, y), first_b, first_y
    )
    rows_of = lambda tree: jax.tree.map(lambda a: np.zeros((total,) + a.shape[1:], a.dtype), tree)  # noqa: E731
    carry: Any = {
        "batched": rows_of(first_b),
        "state": rows_of(state_shape),
        # No save times: no buffers (an empty output's sharding would differ from its input's).
        "buf": {k: np.zeros((total, len(ts)) + v.shape[1:], v.dtype) for k, v in obs_shape.items()} if len(ts) else {},
        "j": np.zeros(total, np.int64),
        "active": np.zeros(total, bool),
        "steps": np.zeros(total, np.int64),
        "reason": np.zeros(total, np.int64),
        "loss": np.zeros(total),
        "gnorm": np.zeros(total),
    }

    out_obs = {k: np.zeros((n, len(ts)) + v.shape[1:], v.dtype) for k, v in obs_shape.items()}
    out_y = jax.tree.map(lambda a: np.zeros((n,) + a.shape[1:], a.dtype), first_y)
    out = {
        name: np.zeros(n, dtype)
        for name, dtype in [("loss", float), ("gnorm", float), ("t", float), ("steps", np.int64), ("reason", np.int64)]
    }
    carry = jax.device_put(carry, by_slot)  # once: later rounds' carry is already in place
    owner = np.full(total, -1)
    active = np.zeros(total, bool)
    next_row = 0
    finished = 0
    while finished < n:
        free = np.flatnonzero(~active)[: n - next_row]
        fresh = np.zeros(total, bool)
        fresh[free] = True
        rows = np.zeros(total, np.int64)
        rows[free] = np.arange(next_row, next_row + len(free))
        owner[free] = rows[free]
        next_row += len(free)
        new_b = jax.tree.map(lambda a, rows=rows: a[rows], batched_rows)
        new_y = jax.tree.map(lambda a, rows=rows: a[rows], y0_rows)
        fresh_d, new_b, new_y = jax.device_put((fresh, new_b, new_y), by_slot)
        carry = _advance(shared, dynamics, stop, ts_dev, carry, fresh_d, new_b, new_y, round_steps, observe, mesh)
        active = np.asarray(carry["active"])
        done = (owner >= 0) & ~active
        if not done.any():
            continue
        rows = owner[done]
        for name, buf in carry["buf"].items():
            out_obs[name][rows] = np.asarray(buf)[done]
        for dst, src in zip(jax.tree_util.tree_leaves(out_y), jax.tree_util.tree_leaves(carry["state"]["y"]), strict=True):
            dst[rows] = np.asarray(src)[done]
        out["loss"][rows] = np.asarray(carry["loss"])[done]
        out["gnorm"][rows] = np.asarray(carry["gnorm"])[done]
        out["t"][rows] = np.asarray(carry["state"]["t"])[done]
        out["steps"][rows] = np.asarray(carry["steps"])[done]
        out["reason"][rows] = np.asarray(carry["reason"])[done]
        owner[done] = -1
        finished += int(done.sum())
        if on_progress is not None:
            on_progress(int(done.sum()))
    return EnsembleResult(out_obs, out_y, out["loss"], out["gnorm"], out["t"], out["steps"], out["reason"])
