"""The Rosenbrock flow (the hierarchical flow's solver) through a concave stretch: with W built
from |H| it still follows the exact solution, and it never accepts a step that raises L."""

from __future__ import annotations

import numpy as np

from gflab._jax import jax_module
from gflab.dynamics.rosenbrock_flow import RosenbrockFlow, absolute_value
from gflab.problems.curves import CurveFit, custom, output
from gflab.simulation import Save, simulate

jax_module()
import jax.numpy as jnp  # noqa: E402


def test_flow_leaves_a_local_maximum_along_the_exact_solution() -> None:
    """Phi(w) = w^2, f = 1: L = (w^2 - 1)^2 / 2 is concave for w^2 < 1/3 (H = 6 w^2 - 2 < 0).
    y = w^2 obeys dy/dt = 4 y (1 - y): y(t) = y0 e^{4t} / (1 - y0 + y0 e^{4t})."""
    y0, ts = 1e-6, np.array([1.0, 2.0, 3.0, 3.5, 4.0, 6.0])
    problem = CurveFit(model=custom(lambda w: w**2, W=1, d=1), target=jnp.ones(1))
    traj = simulate(
        problem,
        RosenbrockFlow(rtol=1e-8, atol=1e-12, t1=10.0),
        jnp.asarray([np.sqrt(y0)]),
        save=Save(ts=ts, observables={"y": output}),
    )
    exact = y0 * np.exp(4 * ts) / (1 - y0 + y0 * np.exp(4 * ts))
    measured = np.asarray(traj.observations["y"]).reshape(-1)
    assert np.allclose(measured, exact, rtol=1e-4, atol=1e-8)


def test_absolute_value_flips_the_negative_eigenvalues_and_keeps_the_eigenvectors() -> None:
    rotation = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    matrix = rotation @ np.diag([-5.0, 2.0]) @ rotation.T
    expected = rotation @ np.diag([5.0, 2.0]) @ rotation.T
    assert np.allclose(np.asarray(absolute_value(jnp.asarray(matrix))), expected, atol=1e-12)


def test_a_step_that_raises_the_loss_is_rejected_even_within_the_error_tolerance() -> None:
    """L = (w^2 - 1)^2 / 2 at w = 0.3 (concave there): h = 20 lands at w ~ 2.2, beyond the
    minimum w = 1, with L ~ 7.4 > L(0.3) ~ 0.41. Tolerances so loose that the error estimate
    accepts it; the descent test rejects it and shrinks the step."""
    problem = CurveFit(model=custom(lambda w: w**2, W=1, d=1), target=jnp.ones(1))
    solver = RosenbrockFlow(rtol=1.0, atol=1e15, t1=100.0, h0=20.0)
    state = solver.init(problem, jnp.asarray([0.3]))
    new, accepted, _ = solver.step(problem, state, jnp.asarray(100.0))
    assert not bool(accepted)
    assert float(new.h) < 20.0 and float(new.y[0]) == 0.3
