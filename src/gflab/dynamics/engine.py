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
from typing import Any, NamedTuple

import equinox as eqx
import numpy as np

from gflab._jax import LONG_RUNNING, jax_module
from gflab.dynamics.base import AbstractDynamics
from gflab.dynamics.stop_rules import NEEDS_CONCRETE, Limits, Stop, traced_floats
from gflab.problems.base import AbstractProblem
from gflab.results import StopReason

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec  # noqa: E402


def _where(mask: jax.Array, new: Any, old: Any) -> Any:
    def pick(a: jax.Array, b: jax.Array) -> jax.Array:
        return jnp.where(mask.reshape(mask.shape + (1,) * (a.ndim - mask.ndim)), a, b)

    return jax.tree.map(pick, new, old)


def _first_bad(values: jax.Array, bound: jax.Array) -> jax.Array:
    return ~jnp.isfinite(values) | (jnp.abs(values) > bound)


Model = tuple[AbstractProblem, AbstractDynamics]
Event = Callable[[Any, Any], jax.Array]
Observer = Callable[[AbstractProblem, Any], dict[str, jax.Array]]


class Carry(NamedTuple):
    """The slots' state between rounds; every field has a leading slot axis (host arrays
    before the first round, device arrays after)."""

    batched: Any  # the slot's rows of the (problem, dynamics) leaves that vary per trajectory
    ts: Any  # (slots, T + 1) the slot's save times, inf-padded
    state: Any  # the dynamics' state
    buf: dict[str, Any]  # (slots, T, ...) observations on the save grid
    saved_t: Any  # (slots, T) the time of the state recorded at each save
    j: Any  # index of the next save
    active: Any
    steps: Any
    reason: Any
    loss: Any
    gnorm: Any


def _advance_local(
    shared: Model,
    limits: Limits,
    event: Event | None,
    carry: Carry,
    fresh: jax.Array,
    new_batched: Any,
    new_ts: jax.Array,
    new_y0: Any,
    round_steps: int,
    observe: Observer,
) -> Carry:
    """Refill the ``fresh`` slots, then run up to ``round_steps`` attempts on every slot."""
    tol, gtol, bound = limits
    n_slots, n_save = carry.ts.shape[0], carry.ts.shape[1] - 1
    max_steps = shared[1].max_steps

    def model_of(batched: Any) -> Model:
        problem, dynamics = eqx.combine(batched, shared)
        return problem, dynamics

    def per_slot(fn: Callable[..., Any], batched: Any, *args: Any) -> Any:
        """``fn(problem, dynamics, *args)`` for every slot."""
        return jax.vmap(lambda b, *a: fn(*model_of(b), *a), axis_size=n_slots)(batched, *args)

    batched = _where(fresh, new_batched, carry.batched)
    # Most rounds refill no slot: skip the (vmapped, so every slot's) initialisation then; an
    # init may be costly (the adiabatic limit relaxes sigma there for up to 160 descent steps).
    init_state = jax.lax.cond(
        jnp.any(fresh),
        lambda: _where(fresh, per_slot(lambda p, d, y: d.init(p, y), new_batched, new_y0), carry.state),
        lambda: carry.state,
    )
    zero = jnp.zeros_like(carry.j)
    c = carry._replace(
        batched=batched,
        ts=jnp.where(fresh[:, None], new_ts, carry.ts),
        state=init_state,
        j=jnp.where(fresh, zero, carry.j),
        active=carry.active | fresh,
        steps=jnp.where(fresh, zero, carry.steps),
        reason=jnp.where(fresh, StopReason.RUNNING, carry.reason),
    )
    slack = per_slot(lambda p, d: jnp.asarray(d.save_slack(), jnp.float64), batched)
    t1 = per_slot(lambda p, d: jnp.asarray(d.t1, jnp.float64), batched)
    slot_rows = jnp.arange(n_slots)

    def record(
        c: Carry, buf: dict[str, jax.Array], saved_t: jax.Array, mask: jax.Array
    ) -> tuple[dict[str, jax.Array], jax.Array]:
        """Write the current observations (and the state's time) where ``mask`` (slots, T) is set."""
        obs = per_slot(lambda p, d, y: observe(p, y), c.batched, c.state.y)
        buf = {k: _where(mask, obs[k][:, None], buf[k]) for k in buf}
        return buf, jnp.where(mask, c.state.t[:, None], saved_t)

    def body(loop: tuple[Any, Carry]) -> tuple[Any, Carry]:
        i, c = loop
        t = c.state.t
        j = c.j
        # (a) the pending save times already reached (recorded after (b)): a fixed-step dynamics
        # (GD, SGD, Euler-Maruyama) may pass several in one step; each gets the first state within slack
        due = c.active[:, None] & (c.ts[:, :n_save] <= (t + slack)[:, None]) & (jnp.arange(n_save)[None] >= j[:, None])
        j = j + jnp.sum(due, axis=1)
        # (b) stop events at the current state
        loss, gnorm = per_slot(lambda p, d, s: d.loss_and_grad_norm(p, s), c.batched, c.state)
        y_bad = jax.vmap(lambda y: jnp.any(jnp.asarray([jnp.any(_first_bad(x, bound)) for x in jax.tree_util.tree_leaves(y)])))(
            c.state.y
        )
        reason = jnp.full_like(c.reason, StopReason.RUNNING)
        reason = jnp.where(c.steps >= max_steps, StopReason.MAX_STEPS, reason)
        reason = jnp.where(t >= t1 - slack, StopReason.REACHED_T1, reason)
        reason = jnp.where(gnorm < gtol, StopReason.GRAD_BELOW_GTOL, reason)
        if event is not None:
            fired = per_slot(lambda p, d, y: event(p, y), c.batched, c.state.y)
            reason = jnp.where(fired, StopReason.EVENT, reason)
        reason = jnp.where(loss < tol, StopReason.LOSS_BELOW_TOL, reason)
        reason = jnp.where(
            y_bad | _first_bad(loss, bound) | _first_bad(gnorm, bound) | (c.reason == StopReason.DIVERGED),
            StopReason.DIVERGED,
            reason,
        )
        stopping = c.active & (reason != StopReason.RUNNING) & ((j >= n_save) | (reason != StopReason.REACHED_T1))
        buf, saved_t = c.buf, c.saved_t
        if n_save:
            # One record of the current state for both: the saves due now (a) and, after a
            # stop, every later save, which holds the state at the stop with the stop's time
            # (one copy of the observables in the compiled program, not two).
            mask = due | (stopping[:, None] & (jnp.arange(n_save)[None] >= j[:, None]))
            buf, saved_t = jax.lax.cond(jnp.any(mask), lambda: record(c, buf, saved_t, mask), lambda: (buf, saved_t))
        active = c.active & ~stopping
        # (c) one attempted step for every still active slot
        t_limit = jnp.minimum(c.ts[slot_rows, j], t1)
        new_state, _, failed = per_slot(lambda p, d, s, tl: d.step(p, s, tl), c.batched, c.state, t_limit)
        c = c._replace(
            state=_where(active, new_state, c.state),
            buf=buf,
            saved_t=saved_t,
            j=jnp.where(stopping, n_save, j),
            active=active,
            steps=c.steps + active,
            reason=jnp.where(stopping, reason, jnp.where(active & failed, StopReason.DIVERGED, c.reason)),
            loss=jnp.where(stopping, loss, c.loss),
            gnorm=jnp.where(stopping, gnorm, c.gnorm),
        )
        return i + 1, c

    _, c = jax.lax.while_loop(lambda loop: (loop[0] < round_steps) & jnp.any(loop[1].active), body, (0, c))
    return c


@eqx.filter_jit(compiler_options=LONG_RUNNING)  # type: ignore[call-overload]  # passed on to jax.jit; not in equinox's stubs
def _advance(
    shared: Model,
    limits: Limits,
    event: Event | None,
    carry: Carry,
    fresh: jax.Array,
    new_batched: Any,
    new_ts: jax.Array,
    new_y0: Any,
    round_steps: int,
    observe: Observer,
    mesh: Mesh,
) -> Carry:
    """:func:`_advance_local` on every device at once, each on its own share of the slots.

    One program (one compile) for all devices; each device runs its own while loop, so a
    device whose slots are all finished stops early. With one device there is no
    ``shard_map`` (dynamics that cannot be sharded run this way). Slot arrays are split on their first
    axis; the shared leaves of the problem and the dynamics are replicated. Compiled with
    :data:`gflab._jax.LONG_RUNNING` (XLA's optimisation level 3; gflab's default is 1, for the
    many short-lived programs): the rounds are where an ensemble spends its time.
    """
    if mesh.devices.size == 1:
        return _advance_local(shared, limits, event, carry, fresh, new_batched, new_ts, new_y0, round_steps, observe)
    arrays, static = eqx.partition((shared, limits), eqx.is_array)

    def local(arrays: Any, carry: Any, fresh: Any, new_batched: Any, new_ts: Any, new_y0: Any) -> Any:
        shared, limits = eqx.combine(arrays, static)
        return _advance_local(shared, limits, event, carry, fresh, new_batched, new_ts, new_y0, round_steps, observe)

    slots, replicated = PartitionSpec("slots"), PartitionSpec()
    sharded = jax.shard_map(
        local, mesh=mesh, in_specs=(replicated, slots, slots, slots, slots, slots), out_specs=slots, check_vma=False
    )
    return sharded(arrays, carry, fresh, new_batched, new_ts, new_y0)


# Shapes of the observations and of the dynamics' state, by the ensemble's structure: tracing
# init and the observables again on every call costs seconds for large curve models.
_SHAPES: dict[Any, tuple[Any, Any]] = {}


def _output_shapes(shared: Model, first_b: Any, first_y: Any, observe: Observer) -> tuple[Any, Any]:
    """``(observations, state)`` shapes of one trajectory, traced once per structure."""

    def shapes(fn: Callable[..., Any]) -> Any:
        return jax.eval_shape(lambda b, y: jax.vmap(lambda bb, yy: fn(*eqx.combine(bb, shared), yy))(b, y), first_b, first_y)

    def trace() -> tuple[Any, Any]:
        return shapes(lambda p, d, y: observe(p, y)), shapes(lambda p, d, y: d.init(p, y))

    leaves, treedef = jax.tree_util.tree_flatten((shared, first_b, first_y))
    # non-array leaves by type and value (1 == 1.0 == True, yet they trace to different dtypes)
    signature = tuple(
        (tuple(x.shape), str(x.dtype), getattr(x, "weak_type", False)) if eqx.is_array(x) else (type(x), x) for x in leaves
    )
    key = (treedef, signature, observe)
    try:
        hash(key)
    except TypeError:  # an unhashable static field: no caching
        return trace()
    if key not in _SHAPES:
        if len(_SHAPES) >= 256:
            _SHAPES.clear()
        _SHAPES[key] = trace()
    return _SHAPES[key]


@dataclass
class EnsembleResult:
    """Host arrays, one row per trajectory."""

    observations: dict[str, np.ndarray]
    saved_t: np.ndarray
    final_params: Any
    final_loss: np.ndarray
    final_grad_norm: np.ndarray
    t_final: np.ndarray
    steps: np.ndarray
    reason: np.ndarray


def run_ensemble(
    shared: Model,
    batched_rows: Any,
    ts_rows: np.ndarray,
    y0_rows: Any,
    n: int,
    stop: Stop,
    observe: Observer,
    *,
    slots: int = 512,
    round_steps: int = 32,
    on_progress: Callable[[int], None] | None = None,
) -> EnsembleResult:
    """Run ``n`` trajectories; row ``i`` is the (problem, dynamics) pair ``batched_rows[i]``
    combined with ``shared``, saved at ``ts_rows[i]``, started from ``y0_rows[i]``.

    ``batched_rows``, ``ts_rows`` (n, T) and ``y0_rows`` have leading axis ``n`` (numpy
    arrays; broadcast views are fine: only the rows of a round are copied). Work is spread
    over all local devices; each holds up to ``slots`` trajectories at a time.
    """
    dynamics = shared[1]
    n_devices = max(1, min(len(jax.local_devices()), math.ceil(n / slots))) if dynamics.shardable() else 1
    mesh = Mesh(np.asarray(jax.local_devices()[:n_devices]), ("slots",))
    # Every round's inputs carry the same sharding, so all rounds share one executable
    # (host arrays on the first round and sharded outputs later would compile twice).
    by_slot = NamedSharding(mesh, PartitionSpec("slots"))
    per_device = min(slots, math.ceil(n / n_devices))
    total = per_device * n_devices
    n_save = ts_rows.shape[1]

    first_b = jax.tree.map(lambda a: a[:1], batched_rows)
    first_y = jax.tree.map(lambda a: a[:1], y0_rows)
    # Float hyperparameters as arguments of the program (traced_floats), unless the problem or the
    # dynamics needs one as a Python number: then they stay part of the program's key.
    static_floats = shared
    shared = traced_floats(shared)
    try:
        obs_shape, state_shape = _output_shapes(shared, first_b, first_y, observe)
    except NEEDS_CONCRETE:
        shared = static_floats
        obs_shape, state_shape = _output_shapes(shared, first_b, first_y, observe)
    limits, event = stop.limits(), stop.event
    rows_of = lambda tree: jax.tree.map(lambda a: np.zeros((total,) + a.shape[1:], a.dtype), tree)  # noqa: E731
    carry = Carry(
        batched=rows_of(first_b),
        ts=np.full((total, n_save + 1), np.inf),
        state=rows_of(state_shape),
        # No save times: no buffers (an empty output's sharding would differ from its input's).
        buf={k: np.zeros((total, n_save) + v.shape[1:], v.dtype) for k, v in obs_shape.items()} if n_save else {},
        saved_t=np.zeros((total, n_save)),
        j=np.zeros(total, np.int64),
        active=np.zeros(total, bool),
        steps=np.zeros(total, np.int64),
        reason=np.zeros(total, np.int64),
        loss=np.zeros(total),
        gnorm=np.zeros(total),
    )

    out_obs = {k: np.zeros((n, n_save) + v.shape[1:], v.dtype) for k, v in obs_shape.items()}
    out_saved_t = np.zeros((n, n_save))
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
        new_ts = np.concatenate([ts_rows[rows], np.full((total, 1), np.inf)], axis=1)
        fresh_d, new_b, new_ts, new_y = jax.device_put((fresh, new_b, new_ts, new_y), by_slot)
        try:
            carry = _advance(shared, limits, event, carry, fresh_d, new_b, new_ts, new_y, round_steps, observe, mesh)
        except NEEDS_CONCRETE:
            if shared is static_floats:
                raise
            shared = static_floats  # raised while tracing the first round: nothing has run yet
            carry = _advance(shared, limits, event, carry, fresh_d, new_b, new_ts, new_y, round_steps, observe, mesh)
        active = np.asarray(carry.active)
        done = (owner >= 0) & ~active
        if not done.any():
            continue
        rows = owner[done]
        for name, buf in carry.buf.items():
            out_obs[name][rows] = np.asarray(buf)[done]
        out_saved_t[rows] = np.asarray(carry.saved_t)[done]
        for dst, src in zip(jax.tree_util.tree_leaves(out_y), jax.tree_util.tree_leaves(carry.state.y), strict=True):
            dst[rows] = np.asarray(src)[done]
        out["loss"][rows] = np.asarray(carry.loss)[done]
        out["gnorm"][rows] = np.asarray(carry.gnorm)[done]
        out["t"][rows] = np.asarray(carry.state.t)[done]
        out["steps"][rows] = np.asarray(carry.steps)[done]
        out["reason"][rows] = np.asarray(carry.reason)[done]
        owner[done] = -1
        finished += int(done.sum())
        if on_progress is not None:
            on_progress(int(done.sum()))
    return EnsembleResult(out_obs, out_saved_t, out_y, out["loss"], out["gnorm"], out["t"], out["steps"], out["reason"])
