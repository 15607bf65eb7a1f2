"""The front door: ``simulate(problem, dynamics, y0, save=..., stop=...) -> Trajectory``.

Every experiment goes through this function. One trajectory or an ensemble: name the
problem leaves that carry a leading ensemble axis with ``over`` (an ``eqx.tree_at``-style
selector), the dynamics' hyperparameters that differ per trajectory with ``dynamics_over``,
and/or pass ``y0_batched=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.console import progress_bar
from gflab.dynamics.base import AbstractDynamics
from gflab.dynamics.engine import run_ensemble
from gflab.dynamics.stop_rules import Stop
from gflab.errors import BadInput
from gflab.measure.verdicts import classify
from gflab.problems.base import AbstractProblem
from gflab.results import VERDICT_NAMES

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402

Observable = Callable[[Any, Any], jax.Array]  # (problem, params) -> array; any problem type


def loss(problem: AbstractProblem, params: Any) -> jax.Array:
    """The loss L(params): the observable recorded by default."""
    return problem.loss(params)


@dataclass(frozen=True)
class Save:
    """What to record: ``observables`` (name -> function of (problem, params), the model of
    diffrax's ``SubSaveAt(fn=...)``) at the save times ``ts``.

    ``ts`` is one increasing grid (T,) shared by every trajectory, or one row per trajectory
    (n, T) (for example GD runs whose time t = k eta differs with eta). Observables are
    compiled into the ensemble's program: pass module-level functions (or the same object
    each time) so that a second call reuses the compilation. The final state (parameters,
    loss, gradient norm, stop time) is always kept.
    """

    ts: Sequence[float] | np.ndarray = ()
    observables: Mapping[str, Observable] = field(default_factory=lambda: {"loss": loss})

    @staticmethod
    def logspace(t_min: float, t1: float, num: int = 30, include_zero: bool = True) -> Save:
        """Log-spaced save times from t_min to t1 (with t = 0 first), for dynamics spanning decades."""
        grid = np.geomspace(t_min, t1, num)
        return Save(ts=tuple(([0.0] if include_zero else []) + grid.tolist()))


@dataclass(frozen=True)
class _Observer:
    """Hashable bundle of observables (a stable static argument for the jitted engine)."""

    items: tuple[tuple[str, Observable], ...]

    def __call__(self, problem: AbstractProblem, y: Any) -> dict[str, jax.Array]:
        return {name: fn(problem, y) for name, fn in self.items}


@dataclass(frozen=True)
class Trajectory:
    """Result of :func:`simulate`; ensemble arrays have a leading trajectory axis.

    Attributes:
        ts: save times, shape (T,) (or (n, T) when given per trajectory).
        observations: name -> array (..., T, ...); after a stop the final value is repeated.
        saved_ts: the time of the state recorded at each save, (..., T): the save time itself
            (within the dynamics' slack) before a stop, the stop time after it. Interpolate
            crossings against these, not against ``ts``.
        final_params: parameters where the trajectory stopped.
        final_loss, final_grad_norm, t_final, steps: at the stop.
        reason: :class:`~gflab.results.StopReason` codes.
        verdict: :class:`~gflab.results.Verdict` codes (names in ``verdict_names``).
    """

    ts: np.ndarray
    observations: dict[str, np.ndarray]
    saved_ts: np.ndarray
    final_params: Any
    final_loss: np.ndarray
    final_grad_norm: np.ndarray
    t_final: np.ndarray
    steps: np.ndarray
    reason: np.ndarray
    verdict: np.ndarray

    @property
    def verdict_names(self) -> np.ndarray:
        return np.asarray(VERDICT_NAMES)[self.verdict]


def _ensemble_mask(tree: Any, over: Callable[[Any], Any] | None) -> Any:
    mask = jax.tree.map(lambda _: False, tree)
    if over is None:
        return mask
    selected = over(tree)
    count = len(selected) if isinstance(selected, tuple) else 1
    return eqx.tree_at(over, mask, replace=(True,) * count if isinstance(selected, tuple) else True)


def simulate(
    problem: AbstractProblem,
    dynamics: AbstractDynamics,
    y0: Any,
    *,
    save: Save = Save(),
    stop: Stop = Stop(),
    over: Callable[[Any], Any] | None = None,
    dynamics_over: Callable[[Any], Any] | None = None,
    y0_batched: bool = False,
    slots: int = 512,
    round_steps: int = 32,
    progress: bool = False,
    description: str = "simulate",
) -> Trajectory:
    """Run ``dynamics`` on ``problem`` from ``y0``; an ensemble if anything is batched.

    The Python float fields of the problem and the dynamics (step sizes, momenta, tolerances,
    ``t1``) and the stop thresholds are arguments of the compiled ensemble program, not
    constants in it: runs that differ only in them share one compilation
    (:func:`gflab.dynamics.stop_rules.traced_floats`).

    Args:
        problem: what is learned (an :class:`~gflab.problems.AbstractProblem`).
        dynamics: how it moves (:class:`~gflab.dynamics.GradientFlow`, ``GradientDescent``, ...).
        y0: initial parameters (pytree); leading ensemble axis if ``y0_batched``.
        save: record times and observables.
        stop: stop events and the thresholds used by the verdicts.
        over: selector of the problem leaves with a leading ensemble axis, e.g.
            ``lambda p: p.target``.
        dynamics_over: selector of the dynamics' hyperparameters that differ per trajectory,
            e.g. ``lambda d: (d.eta, d.t1)`` (each an array with the leading ensemble axis).
        slots: trajectories held at once per device (bounds memory).
        round_steps: step attempts between two refills of finished slots.
        progress: draw a rich progress bar on stderr.

    Returns:
        A :class:`Trajectory` (numpy arrays on the host).

    Example:
        >>> import jax.numpy as jnp
        >>> from gflab import simulate, GradientFlow, Stop
        >>> from gflab.problems import CurveFit, make_model
        >>> problem = CurveFit(make_model("linear", d=2), jnp.array([0.3, -0.2]))
        >>> traj = simulate(problem, GradientFlow(t1=100.0), jnp.zeros(2), stop=Stop(tol=1e-10))
        >>> str(traj.verdict_names)
        'learned'
    """
    ts = np.asarray(save.ts, dtype=np.float64)
    t1 = np.asarray(dynamics.t1, dtype=np.float64)
    if ts.ndim not in (1, 2) or np.any(np.diff(ts, axis=-1) <= 0) or (ts.size and np.any(ts[..., 0] < 0)):
        raise BadInput("save.ts", "must increase strictly from t >= 0 (one grid (T,) or one row per trajectory (n, T))")
    if slots < 1 or round_steps < 1:
        raise BadInput("slots, round_steps", f"must be positive (got slots={slots}, round_steps={round_steps})")
    model = (problem, dynamics)
    mask = (_ensemble_mask(problem, over), _ensemble_mask(dynamics, dynamics_over))
    batched, shared = eqx.partition(model, mask)
    batched_leaves = [np.asarray(x) for x in jax.tree_util.tree_leaves(batched)]
    y0_leaves = [np.asarray(x) for x in jax.tree_util.tree_leaves(y0)]
    sizes = {x.shape[0] for x in batched_leaves} | ({x.shape[0] for x in y0_leaves} if y0_batched else set())
    sizes |= {ts.shape[0]} if ts.ndim == 2 else set()
    if len(sizes) > 1:
        raise BadInput("ensemble", f"batched leaves disagree on the ensemble size: {sorted(sizes)}")
    single = not sizes
    n = 1 if single else sizes.pop()
    late = np.broadcast_to(ts[..., -1] > t1 * (1 + 1e-12), (n,)) if ts.size else np.zeros(n, bool)
    if late.any():
        row = int(np.argmax(late))
        last, limit = np.broadcast_to(ts[..., -1], (n,))[row], np.broadcast_to(t1, (n,))[row]
        raise BadInput("save.ts", f"must end by the final time t1 (trajectory {row}: last save {last:g} > t1 = {limit:g})")
    batched_rows = jax.tree.map(lambda x: np.asarray(x)[None] if single else np.asarray(x), batched)
    y0_rows = jax.tree.map(lambda x: np.asarray(x) if y0_batched else np.broadcast_to(np.asarray(x), (n,) + np.shape(x)), y0)
    ts_rows = ts if ts.ndim == 2 else np.broadcast_to(ts, (n, ts.size))
    observer = _Observer(tuple(save.observables.items()))

    with progress_bar(description, n, enabled=progress) as advance:
        result = run_ensemble(
            shared, batched_rows, ts_rows, y0_rows, n, stop, observer, slots=slots, round_steps=round_steps, on_progress=advance
        )
    verdict = classify(result.final_loss, result.final_grad_norm, result.reason, tol=stop.tol, gtol=stop.gtol)
    take = (lambda a: a[0]) if single else (lambda a: a)
    return Trajectory(
        ts=ts,
        observations={k: take(v) for k, v in result.observations.items()},
        saved_ts=take(result.saved_t),
        final_params=jax.tree.map(take, result.final_params),
        final_loss=take(result.final_loss),
        final_grad_norm=take(result.final_grad_norm),
        t_final=take(result.t_final),
        steps=take(result.steps),
        reason=take(result.reason),
        verdict=take(verdict),
    )


__all__ = ["Observable", "Save", "Stop", "Trajectory", "loss", "simulate"]
