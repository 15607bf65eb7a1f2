"""Gradient flow dw/dt = -grad L(w) for stiff, low-dimensional w: a linearly implicit
Rosenbrock-W method with |H|, the absolute value of the exact Hessian.

The scheme is Shampine & Reichelt (1997), "The MATLAB ODE suite", SIAM J. Sci. Comput. 18,
section 3 (MATLAB's ``ode23s``): second order, L-stable, with a third-order error estimate,
for an autonomous field f(w) = -grad L(w) with Jacobian -H(w) (H the Hessian of L):

    W  = I + h d |H(w)|,                     d = 1 / (2 + sqrt 2)
    k1 = W^-1 F0,                            F0 = f(w)
    F1 = f(w + h k1 / 2),  k2 = W^-1 (F1 - k1) + k1
    w1 = w + h k2,         F2 = f(w1)
    k3 = W^-1 (F2 - e32 (k2 - F1) - 2 (k1 - F0)),   e32 = 6 + sqrt 2
    error = h (k1 - 2 k2 + k3) / 6.

Each step costs one Hessian, two gradients and three solves of a W x W system: for the
two-parameter models of Yarotsky (2024) (W = 2) far less than an ESDIRK step with Newton
iterations, and its compiled program is a fraction of one. L-stability is what the fast
variable of a two-timescale model needs: the step follows the slow motion while the fast
one sits on its branch, however stiff (relaxation rates ~lambda^2 |dPhi/dsigma|^2).

**Negative curvature.** The matrix in W is |H| (each eigenvalue of the Hessian by its absolute
value, one 2 x 2 ``eigh`` for W = 2; the saddle-free Newton matrix): along a stable direction
the step is the L-stable one, along an unstable one (L concave in it: the flow leaving a
ridge, e.g. a curve's point passing a rounded corner or a tooth's tip) it moves away from
the ridge by a bounded factor per step (about 13 once h |lambda_min| >> 1), a geometric
escape whatever the curvature, where the true flow escapes in a time ~1/|lambda_min| that no
long step resolves. With the exact H, I + h d H is near-singular once h d |lambda_min| ~ 1 and
the steps stall on the ridge; with its positive part they collapse there. The step of this
W-method stays second order with any matrix in W (checked on y' = lambda y), and its error
estimate O(h^3), but along a concave direction with |H| the estimate undershoots the true
error (by about 0.8 on y' = lambda y).

**Descent.** Gradient flow never raises L, so a step that does (by more than rounding:
LOSS_SLACK relatively, LOSS_FLOOR absolutely) is rejected and a quarter as long tried,
whatever the error estimate says. A step out of a ridge can otherwise pass the estimate while
it jumps over a ridge into another basin (or out of a curve's parameter range, where the map
is constant and the flow stops).

**Fast relaxation** (optional, ``fast_relax``). A two-timescale problem's fast variable can
be knocked off its branch (past a fold: a tooth's tip rising past the target) where it
relaxes on a time scale of the order of t's resolution. While h d |H| >> 1 the step in that
variable is the Newton step whatever h is, the error estimate stays at its size, and h
shrinks to the floor H_FLOOR (1 + t) where the step fails. With ``fast_relax`` the solver
hands such a state to the problem's own relaxation of the fast variable at a fixed slow one,
``fast_relax(problem, y, go)`` (the identity where ``go`` is false), and goes on from there
with h = RESTART_H (1 + t): the jump of the singular-perturbation limit (Tikhonov 1952; past a
fold, Krupa & Szmolyan 2001, SIAM J. Math. Anal. 33), taken wherever the step collapses.
Passing ``fast_relax`` asserts that limit there; nothing checks the fast time scale. A
relaxation that does not lower L fails as the collapse would have (diverged). Under vmap it
costs nothing while no member needs it (while loops).

The error is measured per component against ``atol_i + rtol |w_i|``, with one absolute
tolerance per parameter (``atol`` a tuple): a fast variable living on a much finer scale
than the slow one gets its own. Where that scale varies along the path (a curve parameter
whose features shrink by orders of magnitude from one region to the next), ``error_scale``
replaces it: a function (problem, w) -> per-component tolerance, taken at both ends of a
step, the smaller one counting (a step into a finer region meets its finer tolerance).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx

from gflab._jax import jax_module
from gflab.dynamics.base import AbstractDynamics
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

D = 1.0 / (2.0 + math.sqrt(2.0))
E32 = 6.0 + math.sqrt(2.0)
SAFETY = 0.8  # the next step aims at this fraction of the tolerance
GROWTH = (0.2, 5.0)  # bounds on the step-size factor per step
ORDER = 3  # the error estimate's order (the step-size exponent is 1 / ORDER)
LOSS_SLACK = 1e-10  # a step may raise L by this relative amount (rounding), no more ...
LOSS_FLOOR = 1e-24  # ... or by this much (below it L is rounding noise)
H_FLOOR = 1e-14  # a step shorter than this times (1 + t) fails (or, with ``fast_relax``, relaxes)
RESTART_H = 1e-8  # the step after a fast relaxation, times (1 + t)

#: ``fast_relax(problem, y, go)``: y with the fast variable relaxed at the fixed slow one
#: where ``go`` is true (y itself where it is false).
FastRelax = Callable[[AbstractProblem, jax.Array, jax.Array], jax.Array]


def absolute_value(matrix: jax.Array) -> jax.Array:
    """|H|: the symmetric part of ``matrix`` with each eigenvalue replaced by its absolute
    value (same eigenvectors)."""
    symmetric = 0.5 * (matrix + matrix.T)
    values, vectors = jnp.linalg.eigh(symmetric)
    return (vectors * jnp.abs(values)) @ vectors.T


class RosenbrockState(NamedTuple):
    """Parameters ``y`` at time ``t``, the next step size ``h``, and (L(y), -grad L(y)),
    carried from the last accepted step (first same as last)."""

    y: jax.Array
    t: jax.Array
    h: jax.Array
    loss: jax.Array
    field: jax.Array


class RosenbrockFlow(AbstractDynamics):
    """Gradient flow by the L-stable Rosenbrock-W method ``ode23s`` (Shampine & Reichelt 1997).

    For a flat parameter vector w of a few entries (the Hessian is formed and solved
    densely). ``atol``: one absolute tolerance, or one per parameter; ``error_scale``, if
    given, the per-component tolerance as a function of (problem, w) instead. A step whose size falls
    below H_FLOOR (1 + t) fails (the engine reads it as diverged); with ``fast_relax`` it relaxes
    the fast variable instead, and fails only if that does not lower L (module docstring).

    Example:
        A 1:1e8 quadratic, stiff for any explicit method (which would need ~1e9 steps here):

        >>> import jax.numpy as jnp
        >>> from gflab import simulate, Stop
        >>> from gflab.dynamics.rosenbrock_flow import RosenbrockFlow
        >>> from gflab.problems.curves import CurveFit, LinearModel
        >>> model = LinearModel(A=jnp.diag(jnp.array([1.0, 1e4])))
        >>> traj = simulate(CurveFit(model=model, target=jnp.array([1.0, 1.0])), RosenbrockFlow(t1=40.0), jnp.zeros(2))
        >>> int(traj.steps) < 2000, abs(float(traj.final_params[0]) - 1.0) < 1e-6
        (True, True)
    """

    rtol: float = 1e-6
    atol: float | tuple[float, ...] = eqx.field(static=True, default=1e-8)
    t1: float | jax.Array = 1e4
    h0: float = 1e-3
    max_steps: int = eqx.field(static=True, default=1_000_000)
    error_scale: Callable[[AbstractProblem, jax.Array], jax.Array] | None = eqx.field(static=True, default=None)
    fast_relax: FastRelax | None = eqx.field(static=True, default=None)

    def _scale(self, problem: AbstractProblem, y: jax.Array, y1: jax.Array) -> jax.Array:
        """Per-component tolerance of a step from y to y1."""
        if self.error_scale is not None:
            return jnp.minimum(self.error_scale(problem, y), self.error_scale(problem, y1))
        atol = jnp.asarray(self.atol, dtype=y.dtype)
        return jnp.maximum(atol + self.rtol * jnp.abs(y), atol + self.rtol * jnp.abs(y1))

    def init(self, problem: AbstractProblem, y0: Any) -> RosenbrockState:
        y0 = jnp.asarray(y0, dtype=jnp.float64)
        loss, grad = problem.value_and_gradient(y0)
        return RosenbrockState(y=y0, t=jnp.zeros(()), h=jnp.minimum(jnp.asarray(self.h0), self.t1), loss=loss, field=-grad)

    def step(
        self, problem: AbstractProblem, state: RosenbrockState, t_limit: jax.Array
    ) -> tuple[RosenbrockState, jax.Array, jax.Array]:
        y, f0 = state.y, state.field
        h = jnp.minimum(state.h, t_limit - state.t)
        hessian = absolute_value(jax.jacfwd(problem.gradient)(y))
        w = jnp.eye(y.shape[0], dtype=y.dtype) + (h * D) * hessian

        def solve(b: jax.Array) -> jax.Array:
            return jnp.linalg.solve(w, b)

        def field(x: jax.Array) -> tuple[jax.Array, jax.Array]:
            loss, grad = problem.value_and_gradient(x)
            return loss, -grad

        k1 = solve(f0)
        _, f1 = field(y + 0.5 * h * k1)
        k2 = solve(f1 - k1) + k1
        y1 = y + h * k2
        loss1, f2 = field(y1)
        k3 = solve(f2 - E32 * (k2 - f1) - 2.0 * (k1 - f0))
        error = (h / 6.0) * (k1 - 2.0 * k2 + k3)
        scale = self._scale(problem, y, y1)
        norm = jnp.max(jnp.abs(error) / scale)
        finite = jnp.isfinite(norm) & jnp.all(jnp.isfinite(y1)) & jnp.isfinite(loss1)
        # gradient flow never raises L: a step that does (beyond rounding) is rejected
        descends = loss1 <= state.loss + LOSS_SLACK * jnp.abs(state.loss) + LOSS_FLOOR
        accepted = finite & (norm <= 1.0) & descends
        factor = jnp.clip(SAFETY * jnp.where(norm > 0, norm, 1e-10) ** (-1.0 / ORDER), *GROWTH)
        h_next = jnp.where(finite & descends, h * factor, 0.25 * h)
        # A step shortened to land on a save time does not shrink the next one.
        h_next = jnp.where(accepted & (h < state.h), jnp.maximum(h_next, state.h), h_next)
        new = RosenbrockState(
            y=jnp.where(accepted, y1, y),
            t=jnp.where(accepted, state.t + h, state.t),
            h=h_next,
            loss=jnp.where(accepted, loss1, state.loss),
            field=jnp.where(accepted, f2, f0),
        )
        failed = h_next < H_FLOOR * (1.0 + jnp.abs(state.t))
        if self.fast_relax is not None:
            new, failed = self._relax_fast_variable(problem, new, failed)
        return new, accepted, failed

    def _relax_fast_variable(
        self, problem: AbstractProblem, state: RosenbrockState, go: jax.Array
    ) -> tuple[RosenbrockState, jax.Array]:
        """Where ``go``: the fast variable relaxed by ``fast_relax``, L and the field at the
        new point (a while loop of at most one pass: skipped unless some member needs it),
        and the step restarted at RESTART_H (1 + t); failed where that did not lower L."""
        assert self.fast_relax is not None
        y = self.fast_relax(problem, state.y, go)

        def refresh(carry: tuple[jax.Array, jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array, jax.Array]:
            loss, grad = problem.value_and_gradient(y)
            return jnp.asarray(False), loss, -grad

        _, loss, field = jax.lax.while_loop(lambda carry: carry[0], refresh, (go, state.loss, state.field))
        restart = RESTART_H * (1.0 + jnp.abs(state.t))
        failed = go & ~(loss < state.loss)
        return state._replace(y=y, loss=loss, field=field, h=jnp.where(go, restart, state.h)), failed

    def loss_and_grad_norm(self, problem: AbstractProblem, state: RosenbrockState) -> tuple[jax.Array, jax.Array]:
        """Carried from the last step: no extra pass."""
        return state.loss, jnp.sqrt(jnp.sum(state.field**2))

    def save_slack(self) -> float | jax.Array:
        return 1e-9
