"""The adiabatic path (lambda -> infinity, by continuation) against the two-timescale flow."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gflab import GradientFlow, simulate
from gflab.dynamics.adiabatic import nearest_point_path
from gflab.problems.curves import CurveFit, custom

TARGET = np.array([0.3, 0.8])


def wave(u: jax.Array, sigma: jax.Array) -> jax.Array:
    """A sine wave whose amplitude u grows: the nearest point to the target moves with u."""
    return jnp.stack([sigma, u * jnp.sin(3.0 * sigma)])


def gap_to_the_path(lam: float) -> float:
    """Run the flow of Phi(u, v) = wave(u, lam v); how far its final point is from the
    adiabatic path's point at the same u."""
    model = custom(lambda w: wave(w[0], lam * w[1]), W=2, d=2)
    traj = simulate(
        CurveFit(model=model, target=jnp.asarray(TARGET)), GradientFlow(rtol=1e-9, atol=1e-11, t1=3.0), jnp.asarray([0.1, 0.0])
    )
    u_end, v_end = np.asarray(traj.final_params)
    assert u_end > 0.5  # u moved a good way, and the nearest point with it
    path = nearest_point_path(wave, jnp.asarray(TARGET), jnp.asarray(0.0), jnp.linspace(0.1, u_end, 400))
    assert np.all(np.abs(np.asarray(path["tangential"])) < 1e-7)  # on the branch at every u
    assert np.all(np.asarray(path["rate"]) > 0)
    return float(np.max(np.abs(np.asarray(path["point"][-1]) - np.asarray(wave(u_end, lam * v_end)))))


def test_the_flow_approaches_the_path_like_one_over_lambda_squared() -> None:
    """Tikhonov: the fast variable lags its branch by O(1/lambda^2). Measured here: 8.7e-5
    at lambda = 10, 9.7e-6 at 30 (and 8.7e-7 at 100)."""
    coarse, fine = gap_to_the_path(10.0), gap_to_the_path(30.0)
    assert fine < 3e-5
    assert 6.0 < coarse / fine < 12.0  # lambda^2 ratio: 9


def test_the_path_crosses_a_nearly_flat_stretch_behind_a_sharp_corner() -> None:
    """A curve along x_0 that brakes from speed 1 to 1e-3 over a corner a few ulps of sigma
    wide (as at the hierarchical model's deepest levels), runs slowly for a stretch of sigma
    0.05, then on. From inside the corner d keeps falling towards the target beyond the
    stretch, but Newton's quadratic model (curvature r . bend ~ 1e14 >> speed^2) puts the
    minimum an ulp away; the path must still reach the target."""
    from gflab.problems.blends import rounded_ramp

    def braking(u: jax.Array, sigma: jax.Array) -> jax.Array:
        slowed = (1.0 - 1e-3) * (0.05 - 1e-15) * rounded_ramp(sigma - 0.5, 0.05, 1e-15)
        return jnp.stack([sigma - slowed, jnp.zeros_like(sigma)])

    for ulps in (1, 4, 9):  # starts inside the corner
        start = jnp.asarray(0.5 + ulps * 1.1e-16)
        path = nearest_point_path(braking, jnp.asarray([0.6, 0.0]), start, jnp.asarray([0.0, 1e-3]))
        np.testing.assert_allclose(np.asarray(path["distance"]), 0.0, atol=1e-12)
