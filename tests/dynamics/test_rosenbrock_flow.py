"""The Rosenbrock gradient flow against closed forms (stiff quadratics) and the explicit flow."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from gflab import GradientFlow, Save, Stop, simulate
from gflab.dynamics.rosenbrock_flow import RosenbrockFlow
from gflab.problems.base import AbstractProblem
from gflab.problems.curves import CurveFit, LinearModel, make_model
from gflab.results import Verdict


def the_param(problem: CurveFit, params: jnp.ndarray) -> jnp.ndarray:
    return params


@pytest.mark.slow
@settings(max_examples=8, deadline=None)
@given(rate=st.floats(1e2, 1e7), start=st.floats(-2.0, 2.0))
def test_a_stiff_quadratic_decays_like_its_closed_form(rate: float, start: float) -> None:
    """L = (w_0 - 1)^2 / 2 + rate (w_1 - 1)^2 / 2: w_i(t) = 1 + (w_i(0) - 1) exp(-a_i t). The
    stiff coordinate relaxes at once and stays put; the slow one follows exp(-t) to rtol, in
    a number of steps that does not grow with the stiffness (second order: the global
    error is a few rtol)."""
    model = LinearModel(A=jnp.diag(jnp.array([1.0, np.sqrt(rate)])))
    target = jnp.array([1.0, np.sqrt(rate)])  # the minimum at w = (1, 1)
    ts = np.array([0.5, 1.0, 2.0, 4.0])
    traj = simulate(
        CurveFit(model=model, target=target),
        RosenbrockFlow(rtol=1e-7, atol=1e-9, t1=4.0),
        jnp.array([start, start]),
        save=Save(ts=ts, observables={"w": the_param}),
    )
    w = traj.observations["w"]
    np.testing.assert_allclose(w[:, 0], 1.0 + (start - 1.0) * np.exp(-ts), atol=3e-5 * (1.0 + abs(start)))
    np.testing.assert_allclose(w[:, 1], 1.0, atol=1e-12)
    assert traj.steps < 1000  # 560 at rtol 1e-7, whatever the stiffness


@pytest.mark.slow
def test_it_agrees_with_the_explicit_flow_on_a_nonconvex_model_and_reads_the_same_verdicts() -> None:
    """A random trig model (W = 2, d = 3): the Rosenbrock flow and Tsit5 (both tight) end at
    the same point with the same verdicts."""
    model = make_model("trig", d=3, W=2, seed=1)
    targets = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (6, 3)))
    runs = [
        simulate(
            CurveFit(model=model, target=targets),
            dyn,
            jnp.zeros(2),
            over=lambda p: p.target,
            stop=Stop(tol=1e-10, gtol=1e-7),
        )
        for dyn in (RosenbrockFlow(rtol=1e-8, atol=1e-10, t1=200.0), GradientFlow(rtol=1e-10, atol=1e-12, t1=200.0))
    ]
    np.testing.assert_array_equal(runs[0].verdict, runs[1].verdict)
    assert set(runs[0].verdict.tolist()) <= {Verdict.LEARNED, Verdict.TRAPPED}
    np.testing.assert_allclose(np.asarray(runs[0].final_params), np.asarray(runs[1].final_params), atol=1e-3)


def test_an_error_scale_function_sets_the_accuracy() -> None:
    """w' = 1 - w from w = 3: w(t) = 1 + 2 exp(-t). The tolerance given by ``error_scale``
    (here a constant c) bounds the global error (local errors below c, accumulated over the
    steps: measured 70 c at c = 1e-8), and a 10^4 times smaller c gives a far smaller error."""
    ts = np.array([0.5, 1.0, 2.0, 4.0])
    exact = 1.0 + 2.0 * np.exp(-ts)
    model = LinearModel(A=jnp.eye(1))
    errors = []
    for c in (1e-4, 1e-8):
        traj = simulate(
            CurveFit(model=model, target=jnp.ones(1)),
            RosenbrockFlow(t1=4.0, error_scale=lambda problem, w, c=c: jnp.full_like(w, c)),
            jnp.array([3.0]),
            save=Save(ts=ts, observables={"w": the_param}),
        )
        errors.append(np.max(np.abs(traj.observations["w"][:, 0] - exact)))
        assert errors[-1] < 300 * c
    assert errors[1] < errors[0] / 30


FOLD_LAMBDA = 1e8  # sigma = lambda v: the fast variable relaxes at rates ~lambda^2 = 1e16


class TiltedDoubleWell(AbstractProblem):
    """L(u, v) = (u - 2)^2 / 2 + V(sigma; u), sigma = lambda v, V = sigma^4 / 4 - sigma^2 / 2
    - u sigma / 2: sigma's rest points solve sigma^3 - sigma = u / 2, and the lower branch
    ends in a fold at u = 4 / (3 sqrt 3) (sigma = -1 / sqrt 3); past it sigma jumps to the
    upper branch in a time ~1 / lambda^2, far below the solver's step floor 1e-14 (1 + t)."""

    def loss(self, params: jax.Array) -> jax.Array:
        u, sigma = params[0], FOLD_LAMBDA * params[1]
        return 0.5 * (u - 2.0) ** 2 + sigma**4 / 4 - sigma**2 / 2 - u * sigma / 2


def relax_sigma(problem: AbstractProblem, params: jax.Array, go: jax.Array) -> jax.Array:
    """Damped descent on V(.; u) at fixed u (the fast subsystem), where ``go``."""
    sigma = jax.lax.fori_loop(0, 400, lambda _, s: s - 0.1 * (s**3 - s - params[0] / 2), FOLD_LAMBDA * params[1])
    return jnp.where(go, jnp.stack([params[0], sigma / FOLD_LAMBDA]), params)


@pytest.mark.slow
def test_past_a_fold_the_step_collapses_unless_the_fast_variable_is_relaxed() -> None:
    """From the lower branch (u, sigma) = (0, -1) the slow flow carries u to the fold. The step
    collapses there (diverged, at the fold's u, at the time the reduced flow takes: on the branch
    u = 2 (sigma^3 - sigma) and du/dt = 2 - u + sigma / 2); with ``fast_relax`` the flow goes on
    from the upper branch to the minimum of L: u = 2 + sigma / 2 with sigma the one real root of
    sigma^3 - 5 sigma / 4 - 1."""
    fold = 4.0 / (3.0 * np.sqrt(3.0))
    reduced_time, _ = quad(
        lambda s: 2.0 * (3.0 * s**2 - 1.0) / (2.0 - 2.0 * (s**3 - s) + s / 2), -1.0, -1.0 / np.sqrt(3.0), epsabs=1e-13
    )
    atol = (1e-10, 1e-10 / FOLD_LAMBDA)
    y0 = jnp.asarray([0.0, -1.0 / FOLD_LAMBDA])
    stuck = simulate(TiltedDoubleWell(), RosenbrockFlow(rtol=1e-8, atol=atol, t1=30.0), y0)
    assert stuck.verdict_names.item() == "diverged"
    assert float(stuck.final_params[0]) == pytest.approx(fold, abs=1e-4)
    assert float(stuck.t_final) == pytest.approx(reduced_time, abs=1e-7)  # Tikhonov: O(1 / lambda^2) apart
    idle = simulate(TiltedDoubleWell(), RosenbrockFlow(rtol=1e-8, atol=atol, t1=30.0, fast_relax=lambda p, w, go: w), y0)
    assert idle.verdict_names.item() == "diverged"  # a relaxation that does not lower L fails as the collapse would
    relaxed = simulate(TiltedDoubleWell(), RosenbrockFlow(rtol=1e-8, atol=atol, t1=30.0, fast_relax=relax_sigma), y0)
    roots = np.roots([1.0, 0.0, -1.25, -1.0])
    sigma = float(roots[np.abs(roots.imag) < 1e-12].real.item())
    u, v = np.asarray(relaxed.final_params)
    assert u == pytest.approx(2.0 + sigma / 2, abs=1e-6)
    assert FOLD_LAMBDA * v == pytest.approx(sigma, abs=1e-6)
