"""The hierarchical two-parameter model (seed 000, Theorem 6): its design and its first stage."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab import GradientFlow, Save, simulate
from gflab.dynamics.adiabatic import nearest_point_path
from gflab.problems.curves import CurveFit
from gflab.problems.hierarchical import MU_ROOT, design, hierarchical, resolution


def test_design_gaps_sum_to_eps_and_resolution_meets_one_percent() -> None:
    d, m, eps = 3, 150, 0.05
    levels = design(d, d, m, eps)
    kept = np.prod([level.m * level.width for level in levels[1:]])  # non-gap share of [0, 1] per split
    assert kept == pytest.approx(1.0 - eps, rel=1e-12)
    assert resolution(levels, d) < 1e-2
    for level in levels[1:]:  # the tooth sits in the gap, the watershed between tooth and next child
        gap = level.spacing - level.width
        assert level.tooth_width < level.offset < gap
        assert level.offset + level.width < level.valley < level.spacing


def test_at_u0_the_curve_is_the_straight_root_line() -> None:
    """A line along x_0, MU_ROOT below the box, monotone in sigma (flat only along the root
    tooth's future flank, which is vertical) and covering the box's x_0 range."""
    model = hierarchical(3)
    sigma = jnp.linspace(0.0, 1.0, 20001)
    points = np.asarray(jax.vmap(lambda s: model.curve(jnp.asarray(0.0), s))(sigma))
    np.testing.assert_array_equal(points[:, 1:], -MU_ROOT)
    assert np.all(np.diff(points[:, 0]) >= -1e-15)  # flat up to rounding on that flank
    assert points[0, 0] < -0.1 and points[-1, 0] > 1.1


@settings(max_examples=40, deadline=None)
@given(u=st.floats(0.0, 2.0), sigma=st.floats(0.05, 0.95))
def test_the_model_is_c1_autodiff_matches_finite_differences(u: float, sigma: float) -> None:
    """Coarse model (m = 4) so that finite differences resolve every level."""
    model = hierarchical(2, m=4)
    curve = lambda w: model.curve(w[0], w[1])  # noqa: E731
    w = jnp.asarray([u, sigma])
    jac = np.asarray(jax.jacfwd(curve)(w))
    h = 1e-7
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        fd = (np.asarray(curve(w + e)) - np.asarray(curve(w - e))) / (2 * h)
        np.testing.assert_allclose(jac[:, j], fd, rtol=1e-4, atol=1e-4 * (1 + np.abs(jac).max()))


def test_stage_zero_carries_phi_to_the_root_tooth_at_the_targets_x1() -> None:
    """Gathering moves Phi to the root tooth's tip (x_0 just below the box); spreading lets
    it slip off the growing tooth at x_1 = f_1. Implicit solver: the v-direction is stiff."""
    model = hierarchical(3)
    target = np.array([0.63696, 0.26979, 0.04097])
    traj = simulate(
        CurveFit(model=model, target=jnp.asarray(target)),
        GradientFlow(solver="kvaerno3", rtol=1e-6, atol=1e-9, t1=1.5),
        jnp.asarray([0.05, 0.0]),
        save=Save(ts=(1.5,), observables=("output",)),
    )
    u = float(traj.final_params[0])
    out = traj.observations["output"][-1]
    # Past the gathering sub-stage, inside the spreading one; once Phi has slipped off the
    # tooth, u creeps at the drift's rate (~0.006 here: u = 0.794 at t = 1.5, 0.795 at 1.7).
    assert 0.5 < u < 1.0
    assert out[1] == pytest.approx(target[1], abs=1e-3)  # slipped off at the target's height
    assert -0.1 < out[0] < 0.0  # on the root tooth, MU_0 below the box in x_0
    assert out[2] == pytest.approx(-MU_ROOT, abs=1e-6)  # x_2 untouched until stage 1


def test_the_adiabatic_path_fixes_one_coordinate_per_stage() -> None:
    """lambda -> infinity (the nearest point followed in u): stage 0 slips off the root tooth
    at x_1 = f_1; stage 1 gathers x_1 to its child's tooth and slips off at x_2 = f_2; stage 2
    gathers x_2 to its child's tooth and slips off at x_0 = f_0. The end is within delta_N,
    and u never stalls (du/dt > 0 all along)."""
    model = hierarchical(3)
    levels = model.levels
    target = np.array([0.63696, 0.26979, 0.04097])
    us = jnp.arange(0.05, model.n_stages, 1e-3)
    path = jax.jit(lambda f: nearest_point_path(model.curve, f, jnp.asarray(model.sigma0), us))(jnp.asarray(target))
    point = np.asarray(path["point"])
    at = lambda u: point[int(np.searchsorted(np.asarray(us), u))]  # noqa: E731

    assert at(0.99)[1] == pytest.approx(target[1], abs=1e-6)  # stage 0 fixes x_1
    assert at(1.99)[1] == pytest.approx(levels[1].tooth_of(target[1]), abs=2 * levels[1].drift)  # x_1: own child
    assert at(1.99)[2] == pytest.approx(target[2], abs=1e-6)  # stage 1 fixes x_2
    assert at(2.99)[2] == pytest.approx(levels[2].tooth_of(target[2]), abs=2 * levels[2].drift)  # x_2: own child
    assert at(2.99)[0] == pytest.approx(target[0], abs=1e-6)  # stage 2 fixes x_0
    assert float(path["distance"][-1]) < resolution(levels, 3)
    assert np.all(np.asarray(path["rate"]) > 0)
