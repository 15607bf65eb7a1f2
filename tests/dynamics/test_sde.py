"""Euler-Maruyama on an Ornstein-Uhlenbeck process: its exact discrete stationary variance."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.dynamics import EulerMaruyama
from gflab.problems.valley import QuasiStatic, Valley, position
from gflab.simulation import Save, Stop, simulate


def test_ou_variance_matches_the_discrete_stationary_law() -> None:
    """Frozen x = 0 (h = 1): y_{k+1} = (1 - 2 dt) y_k + sqrt(eta dt) sigma xi, whose stationary
    variance is eta sigma^2 dt / (1 - (1 - 2 dt)^2) = eta sigma^2 / (4 (1 - dt))."""
    paths, dt, eta = 20_000, 0.05, 0.1
    valley = Valley(eta=jnp.asarray(eta), sigma=jnp.asarray(1.0), key=jax.random.key_data(jax.random.key(0)))
    start = {"x": jnp.zeros(paths), "y": jnp.zeros(paths)}
    traj = simulate(valley, EulerMaruyama(dt=dt, t1=10.0), start, save=Save(ts=(10.0,)), stop=Stop(tol=0.0, gtol=0.0))
    y = np.asarray(traj.final_params["y"])
    assert np.all(np.asarray(traj.final_params["x"]) == 0.0)  # h'(0) = 0: x stays
    expected = eta / (4 * (1 - dt))
    assert np.var(y) == pytest.approx(expected, rel=4 * np.sqrt(2 / paths))


def test_quasi_static_flow_is_exponential_for_the_quadratic_valley() -> None:
    from gflab.dynamics import GradientFlow

    quasi = QuasiStatic(coefficient=jnp.asarray(0.01 / 4))
    traj = simulate(
        quasi,
        GradientFlow(rtol=1e-10, atol=1e-12, t1=50.0),
        jnp.asarray(1.0),
        save=Save(ts=(50.0,), observables={"x": position}),
        stop=Stop(tol=0.0, gtol=0.0),
    )
    assert float(traj.observations["x"][-1]) == pytest.approx(np.exp(-0.01 * 50 / 2), rel=1e-7)
