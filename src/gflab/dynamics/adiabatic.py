"""The adiabatic (lambda -> infinity) limit of a two-timescale gradient flow, as a dynamics.

For a family of curves Gamma_u and the model Phi(u, v) = Gamma(u, sigma_0 + lambda v), the
flow of L = 1/2 |Phi - f|^2 is lambda^2 faster in v than in u. As lambda -> infinity
(Tikhonov), sigma sits at a local minimum of d(sigma) = |Gamma(u, sigma) - f| and moves with
it, while u moves at the envelope rate

    du/dt = -(Gamma - f) . dGamma/du                                    (*)

(Yarotsky 2024, "Learnability of high-dimensional targets by two-parameter models and
gradient flow", the argument of Theorem 6). u never turns back while (*) is positive, so
the slow path is the branch of nearest points followed in u, and time only reparametrises
it: :class:`AdiabaticLimit` takes t = u. Where (*) would vanish with d > 0 the flow stalls
at a spurious minimum: trapped.

Why by hand (no ODE solver): the branch is followed on a grid of u by descent steps on
d(sigma)^2 from the previous point (:func:`relax`). Integrating the full flow in t is
stiff for the hierarchical model (level n holds ~(2m)^-n of the sigma interval). Each step
moves Gamma by at most ~``cap`` in target space and is accepted only if it lowers d, so the
iterate slides downhill and cannot hop over a barrier into a neighbouring basin, as the
fast flow could not either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.dynamics.base import AbstractDynamics
from gflab.errors import BadInput
from gflab.problems.base import AbstractProblem
from gflab.problems.curves import AbstractCurveFamily, CurveFit

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

Curve = Callable[[jax.Array, jax.Array], jax.Array]
HALVINGS = 20  # the Gauss-Newton step is tried at 1, 1/4, ..., 4^-19 of its length
START_ITERATIONS = 4  # at the first u, sigma relaxes uncapped for this many times ``iterations``
FINAL_ITERATIONS = 16  # at t1 the deformation stops and sigma relaxes for this many times ``iterations``
UNCAPPED = 1e300  # a cap that never binds (the first relaxation may jump to its basin's minimum)
TINY_SPEED2 = 1e-300  # floor of |dGamma/dsigma|^2 (a tooth's tip has speed 0)
#: The ``gtol`` that reads exactly the stalls: the grad norm reported is du/dt = 0 once u
#: stalls, and any positive speed, however small, keeps u moving in the limit.
STALLED = float(np.finfo(np.float64).tiny)
LOSS_SLACK = 1e-12  # an adaptive step is refused where the loss grew by more than this, relatively


def descend(
    curve: Curve, target: jax.Array, u: jax.Array, s: jax.Array, cap: float | jax.Array, xtol: float
) -> tuple[jax.Array, jax.Array]:
    """One descent step on d(sigma)^2 / 2 at fixed u: ``(new sigma, how far Gamma moved)``
    (0 where the tangential residual |(Gamma - f) . t| is at most ``xtol``: stationary).

    It takes the better of two candidates that lower d and move Gamma by at most 2 ``cap``:
    the Newton step, and the Gauss-Newton step (the foot of the perpendicular on the tangent,
    curvature ignored) backtracked by quarters. Newton alone converges quadratically but is
    fooled where the curve turns sharply just ahead (a rounded corner before a nearly flat
    stretch): its quadratic model puts the minimum an ulp away while d keeps falling beyond
    the corner. The backtracking is a ``while_loop``: under vmap a batch runs only as many
    trials as its slowest member needs.
    """
    one = jnp.ones_like(s)
    (point, speed), (_, bend) = jax.jvp(lambda q: jax.jvp(lambda p: curve(u, p), (q,), (one,)), (s,), (one,))
    r = point - target
    speed2 = jnp.maximum(speed @ speed, TINY_SPEED2)
    slope, curvature = r @ speed, speed2 + r @ bend  # L_sigma, L_sigma_sigma
    limit = cap / jnp.sqrt(speed2)
    newton_step = jnp.clip(slope / jnp.maximum(curvature, speed2), -limit, limit)
    gauss_step = jnp.clip(slope / speed2, -limit, limit)

    State = tuple[jax.Array, jax.Array, jax.Array, jax.Array, jax.Array]

    def trial(count: jax.Array, step: jax.Array) -> State:
        """(count, candidate, its change of d^2 (exact in rounding), how far Gamma moved,
        whether acceptable)."""
        candidate = jnp.clip(s - step, 0.0, 1.0)
        moved_by = curve(u, candidate) - point
        change, length = moved_by @ (moved_by + 2.0 * r), jnp.sqrt(moved_by @ moved_by)
        # Gamma really moved at most 2 cap: where the speed nearly vanishes (a tooth's
        # tip) the first-order cap alone lets a step land on another tooth.
        return count, candidate, change, length, (change < 0.0) & (length <= 2.0 * cap)

    def untried(state: State) -> jax.Array:
        count, *_, ok = state
        return ~ok & (count < HALVINGS)

    def backtrack(state: State) -> State:
        return trial(state[0] + 1, 0.25 ** state[0] * gauss_step)

    stationary = jnp.abs(slope) <= xtol * jnp.sqrt(speed2)
    _, by_newton, newton_change, newton_length, newton_ok = trial(jnp.asarray(0), newton_step)
    newton_ok = newton_ok & ~stationary
    zero = jnp.asarray(0.0)
    _, by_gauss, gauss_change, gauss_length, gauss_ok = jax.lax.while_loop(
        untried, backtrack, (jnp.asarray(0), s, zero, zero, stationary)
    )
    gauss_ok = gauss_ok & ~stationary
    take_gauss = gauss_ok & (~newton_ok | (gauss_change < newton_change))
    candidate = jnp.where(take_gauss, by_gauss, jnp.where(newton_ok, by_newton, s))
    return candidate, jnp.where(take_gauss, gauss_length, jnp.where(newton_ok, newton_length, 0.0))


def relax(
    curve: Curve, target: jax.Array, u: jax.Array, sigma: jax.Array, iterations: jax.Array | int, cap: float, xtol: float
) -> jax.Array:
    """Up to ``iterations`` :func:`descend` steps at fixed u; stops once a step moves Gamma
    by at most ``xtol`` (stationary included). A ``while_loop``: under vmap a batch runs as
    many steps as its slowest member needs (:class:`AdiabaticLimit` steps one descent at a
    time instead)."""

    def unconverged(state: tuple[jax.Array, jax.Array, jax.Array]) -> jax.Array:
        count, _, moved = state
        return (count < iterations) & (moved > xtol)

    def iterate(state: tuple[jax.Array, jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array, jax.Array]:
        count, s, _ = state
        return (count + 1, *descend(curve, target, u, s, cap, xtol))

    _, sigma, _ = jax.lax.while_loop(unconverged, iterate, (jnp.asarray(0), sigma, jnp.asarray(jnp.inf)))
    return sigma


def settle(
    curve: Curve, target: jax.Array, u: jax.Array, sigma: jax.Array, iterations: int, cap: float, xtol: float
) -> jax.Array:
    """:func:`relax` uncapped (up to ``START_ITERATIONS`` x ``iterations`` steps: the first
    relaxation may jump to its basin's minimum), then capped (up to ``iterations``), in one
    loop: one copy of :func:`descend` in the compiled program instead of two."""
    first = START_ITERATIONS * iterations
    State = tuple[jax.Array, jax.Array, jax.Array, jax.Array]

    def unsettled(state: State) -> jax.Array:
        count, capped, _, moved = state
        return ~(capped & ((count >= iterations) | (moved <= xtol)))

    def iterate(state: State) -> State:
        count, capped, s, moved = state
        switch = ~capped & ((count >= first) | (moved <= xtol))
        capped = capped | switch
        count = jnp.where(switch, 0, count)
        return (count + 1, capped, *descend(curve, target, u, s, jnp.where(capped, cap, UNCAPPED), xtol))

    start = (jnp.asarray(0), jnp.asarray(False), sigma, jnp.asarray(jnp.inf))
    return jax.lax.while_loop(unsettled, iterate, start)[2]


def _family(problem: AbstractProblem) -> tuple[Curve, jax.Array]:
    """The curve Gamma(u, sigma) and the target f of a :class:`CurveFit` of a curve family."""
    if not (isinstance(problem, CurveFit) and isinstance(problem.model, AbstractCurveFamily)):
        raise BadInput(
            "problem", f"AdiabaticLimit moves a CurveFit of a curve family (AbstractCurveFamily); got {type(problem).__name__}"
        )
    return problem.model.curve, problem.target


def envelope_rate(problem: CurveFit, params: jax.Array) -> jax.Array:
    """Observable: du/dt = -(Gamma - f) . dGamma/du at w = (u, sigma), the slow variable's
    rate (*) in the limit; u stalls where it is <= 0 with the target not reached."""
    curve, target = _family(problem)
    return _loss_and_rate(curve, target, params[0], params[1])[1]


def tangential_residual(problem: CurveFit, params: jax.Array) -> jax.Array:
    """Observable: (Gamma - f) . t with t the unit tangent dGamma/dsigma / |dGamma/dsigma|;
    0 on the branch of nearest points."""
    curve, target = _family(problem)
    u, sigma = params[0], params[1]
    point, speed = jax.jvp(lambda s: curve(u, s), (sigma,), (jnp.ones_like(sigma),))
    return ((point - target) @ speed) / jnp.sqrt(speed @ speed)


class AdiabaticState(NamedTuple):
    """``y = (u, sigma)``, the last relaxed point, at time ``t = u``, with its ``loss`` and
    envelope ``rate``; ``trial = (u', sigma')``: sigma relaxing at the next u' (``descents``
    steps so far, Gamma moved by ``travel`` in all; equal to ``y`` once relaxed); ``k`` steps
    in u after the first u, ``start``; ``h`` the next step in u of adaptive steps
    (``move_tol``). Stop rules, events and saves read only the relaxed point."""

    y: jax.Array
    t: jax.Array
    k: jax.Array
    start: jax.Array
    trial: jax.Array
    descents: jax.Array
    loss: jax.Array
    rate: jax.Array
    travel: jax.Array
    h: jax.Array


def _loss_and_rate(curve: Curve, target: jax.Array, u: jax.Array, sigma: jax.Array) -> tuple[jax.Array, jax.Array]:
    """1/2 |Gamma - f|^2 and the envelope rate (*) at (u, sigma)."""
    point, drift = jax.jvp(lambda v: curve(v, sigma), (u,), (jnp.ones_like(u),))
    r = point - target
    return 0.5 * jnp.sum(r**2), -(r @ drift)


class AdiabaticLimit(AbstractDynamics):
    """The lambda -> infinity limit of gradient flow on Phi(u, v) = Gamma(u, sigma_0 + lambda v).

    Runs on a :class:`~gflab.problems.curves.CurveFit` whose model is a curve family
    (:class:`~gflab.problems.curves.AbstractCurveFamily`, parameters w = (u, sigma)), from
    y0 = (u_0, sigma_start). Time is u. ``init`` relaxes sigma at u_0 (``START_ITERATIONS``
    x ``iterations`` uncapped descent steps, then ``iterations`` capped ones); then sigma
    relaxes at each point of the grid u_k = u_0 + k h, h = (u_0 + du) - u_0 (the step
    ``numpy.arange`` takes: the grid is ``np.arange(u_0, t1, du)``, to an ulp where XLA fuses
    the multiply-add) from the previous point, by at most ``iterations`` capped descent steps.
    Each ``step`` is one descent step (the engine's step count and ``max_steps`` count them),
    moving u on once sigma has converged: in an ensemble every trajectory takes the descent
    steps it needs, where a relaxation loop per grid point would make every trajectory wait for
    the slowest. The state's ``y`` is always a relaxed point (a run stopped by ``max_steps``
    mid-relaxation ends at the last one).
    The grid point within du/2 of ``t1`` is replaced by t1, where the deformation stops and
    sigma relaxes completely (``FINAL_ITERATIONS`` x ``iterations``).

    **Adaptive steps** (``move_tol`` set): u advances by h, from ``du`` up to ``du_max``
    (clipped to the next save time and to t1), sigma relaxing from the last relaxed point as
    on the grid. A step longer than du is accepted only where nothing happened over it: the
    descents moved Gamma by at most ``move_tol`` in all, the loss at u' is not above the loss
    at u and u still moves at u' (du/dt > 0); h then doubles where they moved it by at most
    ``move_tol`` / 2. Otherwise u' is tried again from y over max(h / 4, du). A step of du is
    the fixed grid's and is taken whatever it finds. Only the two ends of a long step are
    compared: a stall that begins and ends inside it (du/dt < 0 on a stretch shorter than h,
    the loss back below its start at u') is not seen, so a long step is as fine as the grid
    only where the nearest point rests; ``du_max`` bounds what can be skipped, and the
    benchmark checks the verdicts against the fixed grid.

    Stop rules and verdicts read ``(L, du/dt)`` (:meth:`loss_and_grad_norm`): learned where
    L < tol, trapped where u stalls (``Stop(gtol=STALLED)``), undecided at t1. A target that
    the curve sweeps through is met between two grid points, at a distance up to
    du |dGamma/du| / 2: learned needs tol above its square over 2.

    Example:
        A horizontal line rising with u meets the target f = (0.3, 0.5) at u = 1/2:

        >>> import jax.numpy as jnp
        >>> from gflab import simulate, Stop
        >>> from gflab.dynamics import AdiabaticLimit
        >>> from gflab.dynamics.adiabatic import STALLED
        >>> from gflab.problems.curves import CurveFit, CustomFamily
        >>> line = CustomFamily(gamma=lambda u, s: jnp.stack([s, u]), n_out=2)
        >>> traj = simulate(
        ...     CurveFit(model=line, target=jnp.array([0.3, 0.5])),
        ...     AdiabaticLimit(du=0.01, t1=1.0),
        ...     jnp.array([0.0, 0.0]),
        ...     stop=Stop(tol=1e-12, gtol=STALLED),
        ... )
        >>> str(traj.verdict_names), round(float(traj.t_final), 6), round(float(traj.final_params[1]), 6)
        ('learned', 0.5, 0.3)
    """

    du: float | jax.Array = 1e-3
    t1: float | jax.Array = 1.0
    iterations: int = eqx.field(static=True, default=32)
    cap: float = eqx.field(static=True, default=1e-3)
    xtol: float = eqx.field(static=True, default=1e-13)
    max_steps: int = eqx.field(static=True, default=10_000_000)
    move_tol: float | None = eqx.field(static=True, default=None)  # None: the fixed grid of du
    du_max: float = eqx.field(static=True, default=0.05)  # the longest adaptive step in u

    def init(self, problem: AbstractProblem, y0: Any) -> AdiabaticState:
        curve, target = _family(problem)
        y0 = jnp.asarray(y0, dtype=jnp.float64)
        u = y0[0]
        sigma = settle(curve, target, u, y0[1], self.iterations, self.cap, self.xtol)
        loss, rate = _loss_and_rate(curve, target, u, sigma)
        y, zero = jnp.stack([u, sigma]), jnp.zeros((), jnp.int64)
        h = jnp.asarray(self.du, jnp.float64)
        return AdiabaticState(
            y=y,
            t=u,
            k=zero,
            start=u,
            trial=y,
            descents=zero,
            loss=loss,
            rate=rate,
            travel=jnp.zeros_like(u),
            h=h,
        )

    def step(
        self, problem: AbstractProblem, state: AdiabaticState, t_limit: jax.Array
    ) -> tuple[AdiabaticState, jax.Array, jax.Array]:
        if self.move_tol is not None:
            return self._adaptive_step(problem, state, t_limit, self.move_tol), jnp.array(True), jnp.array(False)
        curve, target = _family(problem)
        advance = state.descents == 0  # the trial point is the relaxed one: on to the next grid point
        k = state.k + advance
        h = (state.start + self.du) - state.start
        u_next = state.start + k * h
        u_next = jnp.where(u_next >= self.t1 - self.save_slack(), self.t1, u_next)
        u = jnp.where(advance, u_next, state.trial[0])
        descents = state.descents + 1
        limit = jnp.where(u >= self.t1, FINAL_ITERATIONS * self.iterations, self.iterations)
        sigma, moved = descend(curve, target, u, state.trial[1], self.cap, self.xtol)
        relaxed = (moved <= self.xtol) | (descents >= limit)
        trial = jnp.stack([u, sigma])
        loss, rate = _loss_and_rate(curve, target, u, sigma)
        new = state._replace(
            y=jnp.where(relaxed, trial, state.y),
            t=jnp.where(relaxed, u, state.t),
            k=k,
            trial=trial,
            descents=jnp.where(relaxed, 0, descents),
            loss=jnp.where(relaxed, loss, state.loss),
            rate=jnp.where(relaxed, rate, state.rate),
        )
        return new, jnp.array(True), jnp.array(False)

    def _adaptive_step(
        self, problem: AbstractProblem, state: AdiabaticState, t_limit: jax.Array, move_tol: float
    ) -> AdiabaticState:
        """One descent step of the adaptive continuation (see the class docstring)."""
        curve, target = _family(problem)
        u0 = state.y[0]
        advance = state.descents == 0
        u_next = jnp.where(u0 + state.h >= t_limit - 0.5 * self.du, t_limit, u0 + state.h)  # never stop within du/2 short
        u = jnp.where(advance, u_next, state.trial[0])
        descents = state.descents + 1
        limit = jnp.where(u >= self.t1, FINAL_ITERATIONS * self.iterations, self.iterations)
        sigma, moved = descend(curve, target, u, state.trial[1], self.cap, self.xtol)
        travel = state.travel + moved  # how far the descents at u' carried Gamma
        converged = moved <= self.xtol
        relaxed = converged | (descents >= limit)
        trial = jnp.stack([u, sigma])
        loss, rate = _loss_and_rate(curve, target, u, sigma)
        quiet = converged & (travel <= move_tol) & (loss <= state.loss * (1.0 + LOSS_SLACK)) & (rate > 0.0)
        accept = relaxed & (quiet | (state.h <= self.du))  # a step of du (to t_limit: <= 3 du / 2) is the fixed grid's
        reject = relaxed & ~accept
        grown = jnp.where(travel <= 0.5 * move_tol, jnp.minimum(2.0 * state.h, self.du_max), state.h)
        h = jnp.where(accept, grown, jnp.where(reject, jnp.maximum(0.25 * state.h, self.du), state.h))
        return state._replace(
            y=jnp.where(accept, trial, state.y),
            t=jnp.where(accept, u, state.t),
            k=state.k + accept,
            trial=jnp.where(reject, state.y, trial),
            descents=jnp.where(relaxed, 0, descents),
            loss=jnp.where(accept, loss, state.loss),
            rate=jnp.where(accept, rate, state.rate),
            travel=jnp.where(relaxed, 0.0, travel),
            h=h,
        )

    def loss_and_grad_norm(self, problem: AbstractProblem, state: AdiabaticState) -> tuple[jax.Array, jax.Array]:
        """``(L, du/dt)`` at the last relaxed point: the loss 1/2 |Gamma - f|^2 and the slow
        variable's speed max(0, (*)), 0 once u stalls. It stands for |grad L| in stop rules
        and verdicts: on the branch dL/dsigma = 0, and |dL/du| is that rate while u moves."""
        return state.loss, jnp.maximum(state.rate, 0.0)

    def save_slack(self) -> float | jax.Array:
        return 0.5 * self.du
