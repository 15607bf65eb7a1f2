"""Gradient flow dw/dt = -grad L(w), integrated by diffrax's adaptive Runge-Kutta steps."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, NamedTuple

import diffrax as dfx
import equinox as eqx

from gflab._jax import jax_module
from gflab.dynamics.base import AbstractDynamics
from gflab.dynamics.runge_kutta import explicit_rk_step, row_mapped_rk_step
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

SOLVERS: dict[str, type[dfx.AbstractAdaptiveSolver]] = {
    "tsit5": dfx.Tsit5,
    "dopri5": dfx.Dopri5,
    "dopri8": dfx.Dopri8,
    "bosh3": dfx.Bosh3,
    "kvaerno3": dfx.Kvaerno3,
    "kvaerno5": dfx.Kvaerno5,
}
IMPLICIT_SOLVERS = ("kvaerno3", "kvaerno5")  # L-stable ESDIRK: for stiff flows (fast-slow models)
SolverName = Literal["tsit5", "dopri5", "dopri8", "bosh3", "kvaerno3", "kvaerno5"]


def _negative_gradient(t: Any, y: Any, problem: AbstractProblem) -> Any:
    return jax.tree.map(jnp.negative, problem.gradient(y))


def _negative_gradient_and_loss(y: Any, problem: AbstractProblem) -> tuple[Any, jax.Array]:
    """``(-grad L(y), L(y))`` in one pass: the vector field with the loss as its aux."""
    value, grad = problem.value_and_gradient(y)
    return jax.tree.map(jnp.negative, grad), value


# Row-mapped explicit steps (problems with independent rows): from this many entries (8 MB of
# float64, beyond a core's cache) and with blocks of about this many entries (512 KB per
# stage buffer). bench/multi_index_roofline.py measures the choice.
ROW_MAPPED_MIN_ENTRIES = 2**20
ROW_BLOCK_ENTRIES = 2**16


def _rms(tree: Any) -> jax.Array:
    leaves = jax.tree_util.tree_leaves(tree)
    size = sum(leaf.size for leaf in leaves)
    return jnp.sqrt(sum(jnp.sum(leaf**2) for leaf in leaves) / size)


class FlowState(NamedTuple):
    """Parameters ``y`` at time ``t``, the next step size ``h``, the solver's FSAL state
    (gflab's explicit steps: ``(L(y), -grad L(y))``; diffrax's implicit ones: ``(first_step,
    -grad L(y))``) and the PID controller's state."""

    y: Any
    t: jax.Array
    h: jax.Array
    solver: tuple[jax.Array, Any]
    controller: Any


class GradientFlow(AbstractDynamics):
    """Gradient flow with an adaptive solver (diffrax) and a PID step controller.

    Explicit Runge-Kutta (Tsit5, the default) for ordinary flows; the implicit ESDIRK
    solvers ``kvaerno3``/``kvaerno5`` for stiff ones, whose step size then follows the slow
    dynamics instead of the fastest relaxation (a 1:1e4 quadratic: 73 Kvaerno5 steps against
    36,310 Tsit5 steps). Their Newton (chord) iterations use the flow's rtol/atol.

    Each trajectory keeps its own step size. The tableaus, the implicit steps and the PID
    step-size controller are diffrax's; explicit steps are unrolled over the tableau's
    stages (:mod:`gflab.dynamics.runge_kutta`: 1.9x faster on a 32 MB state, and the loss at
    y1 comes with the last stage's gradient); for problems with ``independent_rows`` and a
    large (rows, D) state they run block by block of rows (``row_mapped``, 2x faster on a
    32 MB state: :func:`gflab.dynamics.runge_kutta.row_mapped_rk_step`). gflab's engine
    schedules steps so that ensembles can drop finished trajectories, which
    ``diffrax.diffeqsolve`` under ``vmap`` cannot.

    Note: near a stable minimum an explicit solver settles at a step size set by stability,
    and the state jitters at the tolerance scale; the gradient norm floors near
    lambda_max * (rtol |w| + atol), so a stop rule ``|grad| < gtol`` needs gtol above that.
    """

    rtol: float = 1e-6
    atol: float = 1e-8
    t1: float = 1e4
    solver: SolverName = eqx.field(static=True, default="tsit5")
    max_steps: int = eqx.field(static=True, default=1_000_000)
    row_mapped: bool = eqx.field(static=True, default=True)

    def rows_per_block(self, problem: AbstractProblem, y: Any) -> int | None:
        """Rows per block of a row-mapped explicit step, or None for an unblocked one: only
        for a large (rows, D) state of a problem with ``independent_rows``."""
        if not (self.row_mapped and problem.independent_rows and self.solver not in IMPLICIT_SOLVERS):
            return None
        if not (isinstance(y, jax.Array) and y.ndim == 2 and y.size >= ROW_MAPPED_MIN_ENTRIES):
            return None
        rows, target = y.shape[0], max(1, ROW_BLOCK_ENTRIES // y.shape[1])
        # A divisor of the rows near the target spares lax.map the slice and concatenation of
        # a remainder (two extra passes over the state).
        near = [b for b in range(max(1, target // 2), min(rows, 2 * target) + 1) if rows % b == 0]
        return min(near, key=lambda b: abs(b - target)) if near else min(rows, target)

    def _parts(self) -> tuple[dfx.ODETerm, dfx.AbstractAdaptiveSolver, dfx.PIDController]:
        controller = dfx.PIDController(rtol=self.rtol, atol=self.atol)
        if self.solver in IMPLICIT_SOLVERS:
            # diffeqsolve would fill the root finder's tolerances from the controller; the
            # engine calls ``step`` directly, so they are given here.
            solver = SOLVERS[self.solver](root_finder=dfx.VeryChord(rtol=self.rtol, atol=self.atol))
        else:
            solver = SOLVERS[self.solver]()
        return dfx.ODETerm(_negative_gradient), solver, controller

    def shardable(self) -> bool:
        """lineax's solves inside the implicit steps do not trace under ``shard_map``."""
        return self.solver not in IMPLICIT_SOLVERS

    def init(self, problem: AbstractProblem, y0: Any) -> FlowState:
        t0 = jnp.zeros(())
        f0, loss0 = _negative_gradient_and_loss(y0, problem)
        # Initial step: Hairer, Norsett & Wanner (1993), II.4, first part of the heuristic.
        scale = jax.tree.map(lambda y: self.atol + self.rtol * jnp.abs(y), y0)
        d0 = _rms(jax.tree.map(jnp.divide, y0, scale))
        d1 = _rms(jax.tree.map(jnp.divide, f0, scale))
        h0 = jnp.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / d1)
        h0 = jnp.minimum(h0, self.t1)
        if self.solver in IMPLICIT_SOLVERS:
            # diffrax's FSAL state (first_step, f0) starts from f0 = 0 and a first-step flag;
            # we already have f0 = -grad L(y0), and under vmap one flagged slot would make
            # every slot re-evaluate its first stage.
            solver_state: tuple[jax.Array, Any] = (jnp.array(False), f0)
        else:
            # gflab's explicit step carries (L(y), -grad L(y)) from its last stage.
            solver_state = (loss0, f0)
        controller_state = (jnp.ones(()), jnp.ones(()), jnp.array(False))
        return FlowState(y=y0, t=t0, h=h0, solver=solver_state, controller=controller_state)

    def step(self, problem: AbstractProblem, state: FlowState, t_limit: jax.Array) -> tuple[FlowState, jax.Array, jax.Array]:
        term, solver, controller = self._parts()
        error_order = solver.error_order(term)
        assert error_order is not None  # every solver in SOLVERS is adaptive
        t0, h = state.t, state.h
        h_eff = jnp.minimum(h, t_limit - t0)
        t1 = t0 + h_eff
        rows = self.rows_per_block(problem, state.y)
        vector_field = lambda t, y: _negative_gradient_and_loss(y, problem)  # noqa: E731
        tableau = getattr(solver, "tableau", None)
        if rows is not None:
            assert isinstance(tableau, dfx.ButcherTableau)
            y1, f1, loss1, scaled_error, y1_sum = row_mapped_rk_step(
                tableau,
                vector_field,
                t0,
                state.y,
                state.solver[1],
                h_eff,
                rtol=self.rtol,
                atol=self.atol,
                rows_per_block=rows,
            )
            solver_state = (loss1, f1)
            # The error comes scaled and normed: the same controller takes it as a scalar
            # error with rtol 0 and atol 1 (its norm of a scalar is the absolute value).
            zero = jnp.zeros(())
            keep, next_t0, next_t1, _, controller_state, _ = dataclasses.replace(controller, rtol=0.0, atol=1.0).adapt_step_size(
                t0, t1, zero, zero, problem, scaled_error, error_order, state.controller
            )
            y1_sums = y1_sum[None]
        else:
            if self.solver in IMPLICIT_SOLVERS:
                y1, y_error, _, solver_state, _ = solver.step(term, t0, t1, state.y, problem, state.solver, False)
            else:
                assert isinstance(tableau, dfx.ButcherTableau)
                y1, y_error, f1, loss1 = explicit_rk_step(tableau, vector_field, t0, state.y, state.solver[1], h_eff)
                solver_state = (loss1, f1)
            keep, next_t0, next_t1, _, controller_state, _ = controller.adapt_step_size(
                t0, t1, state.y, y1, problem, y_error, error_order, state.controller
            )
            # y1 is checked through its sums: no extra pass over the error estimate.
            y1_sums = jnp.asarray([jnp.sum(leaf) for leaf in jax.tree_util.tree_leaves(y1)])
        # A non-finite error estimate makes the proposed step non-finite (NaN) or rejects the
        # step (inf).
        finite = jnp.isfinite(next_t1 - next_t0) & jnp.all(jnp.isfinite(y1_sums))
        accepted = jnp.asarray(keep & finite)
        proposed = jnp.where(finite, next_t1 - next_t0, 0.25 * h_eff)
        # A step shortened to land on a save time does not shrink the next one.
        clipped = h_eff < h
        h_next = jnp.where(accepted & clipped, jnp.maximum(proposed, h), proposed)
        pick = lambda new, old: jax.tree.map(lambda a, b: jnp.where(accepted, a, b), new, old)  # noqa: E731
        new_state = FlowState(
            y=pick(y1, state.y),
            t=jnp.where(accepted, t1, t0),
            h=h_next,
            solver=pick(solver_state, state.solver),
            controller=jax.tree.map(lambda a, b: jnp.where(finite, a, b), controller_state, state.controller),
        )
        failed = h_next < 1e-14 * (1.0 + jnp.abs(t0))
        return new_state, accepted, failed

    def loss_and_grad_norm(self, problem: AbstractProblem, state: FlowState) -> tuple[jax.Array, jax.Array]:
        """Every solver here is FSAL: its state carries f(y) = -grad L(y), so the gradient norm
        costs nothing. gflab's explicit step carries ``(L(y), f)``; diffrax's implicit ones
        ``(first_step, f)``, and the loss costs a forward pass."""
        head, f0 = state.solver
        loss = problem.loss(state.y) if self.solver in IMPLICIT_SOLVERS else head
        return loss, jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree_util.tree_leaves(f0)))

    def save_slack(self) -> float | jax.Array:
        return 1e-9
