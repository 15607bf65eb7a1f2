"""Corner GD: theta = 1 is GD, the rational memory against the exact fractional memory, bad corners refused."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from gflab.dynamics.spectral import heavy_ball_losses, memory_gd_losses
from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.experiments.linear.corner_gd import corner_losses
from gflab.problems.power_law import PowerLawQuadratic
from gflab.theory.corner import fractional_coefficients, memory_poles
from gflab.theory.power_law_rates import local_exponent


def _exact_corner(lam: np.ndarray, e0: np.ndarray, theta: float, alpha: float, steps: int) -> np.ndarray:
    """Corner GD with its full memory: e_{t+1} = e_t - alpha sum_{k<=t} a_k lambda e_{t-k} (O(N T^2))."""
    a = fractional_coefficients(theta - 1, steps)
    errors = [e0]
    for t in range(steps):
        gradients = np.array([lam * errors[t - k] for k in range(t + 1)])
        errors.append(errors[t] - alpha * a[: t + 1] @ gradients)
    return np.array([0.5 * np.sum(lam * e**2) for e in errors])


def test_theta_one_is_gd_exactly() -> None:
    """(1 - z)^0 = 1: the full-memory recursion with theta = 1 is GD step for step; a single memory
    with rho = 0 and weight 1 is GD too."""
    lam, e0 = np.geomspace(1e-3, 1.0, 7), np.linspace(-1, 1, 7)
    gd = np.asarray(heavy_ball_losses(jnp.asarray(lam), jnp.asarray(e0), jnp.full(30, 0.7), jnp.zeros(30)))
    np.testing.assert_allclose(_exact_corner(lam, e0, 1.0, 0.7, 30), gd, rtol=1e-13)
    one = np.asarray(memory_gd_losses(jnp.asarray(lam), jnp.asarray(e0), 0.7, jnp.zeros(1), jnp.ones(1), steps=30))
    np.testing.assert_allclose(one, gd, rtol=1e-13)


@pytest.mark.parametrize("theta", [1.3, 1.8])
def test_rational_memory_follows_the_full_memory(theta: float) -> None:
    lam, e0 = np.geomspace(1e-3, 1.0, 12), np.ones(12)
    steps = 150
    rho, weights = memory_poles(theta, steps)
    approx = np.asarray(
        memory_gd_losses(jnp.asarray(lam), jnp.asarray(e0), 0.5, jnp.asarray(rho), jnp.asarray(weights), steps=steps)
    )
    np.testing.assert_allclose(approx, _exact_corner(lam, e0, theta, 0.5, steps), rtol=5e-3)  # quadrature at h = 0.5


def test_memory_kernel_matches_the_fractional_coefficients() -> None:
    for theta in (1.2, 1.5, 1.9):
        rho, weights = memory_poles(theta, 2000)
        k = np.arange(2000)
        kernel = (weights[:, None] * rho[:, None] ** k).sum(axis=0)
        np.testing.assert_allclose(kernel, fractional_coefficients(theta - 1, 2000), rtol=1e-2)


def test_corner_accelerates_gd() -> None:
    """zeta = 1: over the last half of 300 steps GD decays like t^-1 and the corner theta = 1.8 near t^-1.8."""
    p = PowerLawQuadratic(2.0, 2.0, 3000)
    t = np.arange(150, 301)
    gd, corner = (local_exponent(t, corner_losses(p, theta, 0.5, 300, 0.5)[t]) for theta in (1.0, 1.8))
    assert gd < 1.1 < 1.6 < corner


@pytest.mark.parametrize("thetas", [[0.0], [2.5], [-1.0], [0.5]])
def test_bad_corners_are_refused(thetas: list[float]) -> None:
    with pytest.raises(BadInput, match=r"corner-gd\.thetas"):
        get_experiment("corner-gd").validate({"thetas": thetas})
