"""Gradient flow and GD against closed forms on quadratics; solver orders from log-log slopes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.linalg import expm

from gflab import GradientDescent, GradientFlow, Save, Stop, simulate
from gflab.dynamics import flow
from gflab.problems import AbstractProblem
from gflab.problems.multi_index import SphereCorrelation, embed, full_start, index_vectors

A = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 0.5]])
W0 = np.array([1.0, -0.5, 0.25])


class Quadratic(AbstractProblem):
    """L(w) = 1/2 w^T A w: gradient flow w(t) = expm(-A t) w0, GD w_k = (I - eta A)^k w0."""

    A: jnp.ndarray

    def loss(self, params: jnp.ndarray) -> jnp.ndarray:
        return 0.5 * params @ self.A @ params


def test_flow_matches_expm_on_the_save_grid() -> None:
    ts = (0.0, 0.5, 1.0, 2.0, 4.0)
    traj = simulate(Quadratic(jnp.asarray(A)), GradientFlow(rtol=1e-10, atol=1e-12, t1=4.0), jnp.asarray(W0), save=Save(ts=ts))
    exact = [0.5 * (expm(-A * t) @ W0) @ A @ (expm(-A * t) @ W0) for t in ts]
    np.testing.assert_allclose(traj.observations["loss"], exact, rtol=1e-8)
    np.testing.assert_allclose(traj.final_params, expm(-A * 4.0) @ W0, rtol=1e-8, atol=1e-12)
    assert traj.t_final == pytest.approx(4.0)
    assert traj.verdict_names == "undecided"


@pytest.mark.slow
@pytest.mark.parametrize(("solver", "order"), [("tsit5", 5), ("dopri5", 5), ("bosh3", 3)])
def test_solver_order_from_log_log_slope(solver: str, order: int) -> None:
    """Global error ~ steps^(-order) under error-per-step control: fit the slope."""
    errors, steps = [], []
    exact = expm(-A * 5.0) @ W0
    for rtol in np.geomspace(1e-5, 1e-10, 6):
        traj = simulate(
            Quadratic(jnp.asarray(A)),
            GradientFlow(rtol=float(rtol), atol=float(rtol) * 1e-3, t1=5.0, solver=solver),
            jnp.asarray(W0),
        )
        errors.append(np.linalg.norm(traj.final_params - exact))
        steps.append(traj.steps)
    slope = -np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert order - 1.0 <= slope <= order + 1.5, (slope, steps, errors)


def test_gd_matches_its_closed_form() -> None:
    eta, k = 0.3, 25
    traj = simulate(Quadratic(jnp.asarray(A)), GradientDescent(eta=eta, t1=eta * k), jnp.asarray(W0))
    exact = np.linalg.matrix_power(np.eye(3) - eta * A, k) @ W0
    np.testing.assert_allclose(traj.final_params, exact, rtol=1e-12)
    assert traj.steps == k


def test_gd_past_the_stability_limit_is_a_diverged_verdict() -> None:
    eta = 2.2 / np.linalg.eigvalsh(A).max()
    traj = simulate(Quadratic(jnp.asarray(A)), GradientDescent(eta=eta, t1=1e4), jnp.asarray(W0), stop=Stop(tol=1e-12, bound=1e6))
    assert traj.verdict_names == "diverged"


def test_flow_to_a_minimum_is_learned_and_stops_early() -> None:
    traj = simulate(Quadratic(jnp.asarray(A)), GradientFlow(t1=1e4), jnp.asarray(W0), stop=Stop(tol=1e-10))
    assert traj.verdict_names == "learned"
    assert traj.final_loss < 1e-10
    assert traj.t_final < 100.0


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["kvaerno3", "kvaerno5"])
def test_implicit_solver_on_a_stiff_ensemble(solver: str) -> None:
    """A 1:1e4 quadratic: the implicit step follows the slow mode (few steps) and lands on
    expm(-A t) w0; an ensemble of starts runs through the engine (no shard_map for it)."""
    stiff = np.diag([1.0, 1e4])
    starts = np.array([[1.0, 1.0], [-0.5, 2.0], [0.25, -1.0]])
    traj = simulate(
        Quadratic(jnp.asarray(stiff)),
        GradientFlow(solver=solver, rtol=1e-8, atol=1e-10, t1=3.0),
        jnp.asarray(starts),
        y0_batched=True,
    )
    np.testing.assert_allclose(traj.final_params, starts @ expm(-stiff * 3.0).T, rtol=1e-5, atol=1e-9)
    explicit = simulate(Quadratic(jnp.asarray(stiff)), GradientFlow(rtol=1e-8, atol=1e-10, t1=3.0), jnp.asarray(starts[0]))
    assert np.all(traj.steps < explicit.steps / 4)  # explicit: stability-limited (~1e4 steps)


@pytest.mark.slow
def test_the_row_mapped_flow_takes_the_unblocked_flow_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Independent rows, stepped block by block: the same accepted steps and states (the PID
    controller sees the same scaled error, passed as a scalar)."""
    monkeypatch.setattr(flow, "ROW_MAPPED_MIN_ENTRIES", 1)
    monkeypatch.setattr(flow, "ROW_BLOCK_ENTRIES", 4 * 16)
    problem = SphereCorrelation(index=jnp.asarray(embed(index_vectors(3), 16)), phi=jnp.asarray([0.0, 0.0, 0.0, 1.0]))
    y0 = full_start(jax.random.key(3), 16, (21,))
    ts = np.linspace(0.0, 30.0, 7)
    blocked, plain = (
        simulate(problem, GradientFlow(rtol=1e-7, atol=1e-10, t1=30.0, row_mapped=on), y0, save=Save(ts=ts))
        for on in (True, False)
    )
    assert GradientFlow().rows_per_block(problem, y0) == 3  # 21 rows: the divisor 3 of the 4-row target
    assert int(blocked.steps) == int(plain.steps)
    np.testing.assert_allclose(blocked.observations["loss"], plain.observations["loss"], rtol=1e-11)
    np.testing.assert_allclose(blocked.final_params, plain.final_params, rtol=1e-10, atol=1e-12)
