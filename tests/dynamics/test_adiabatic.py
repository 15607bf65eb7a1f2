"""The adiabatic limit (lambda -> infinity, by continuation in u) through the front door:
closed-form paths, its verdicts, and the two-timescale flow approaching it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab import GradientFlow, Save, Stop, simulate
from gflab.dynamics import AdiabaticLimit
from gflab.dynamics.adiabatic import STALLED, envelope_rate, tangential_residual
from gflab.errors import BadInput
from gflab.problems.blends import rounded_ramp
from gflab.problems.curves import CurveFit, CustomFamily, TwoTimescale, make_model
from gflab.results import StopReason, Verdict


def rising_line(u: jax.Array, sigma: jax.Array) -> jax.Array:
    """Gamma_u = the horizontal line at height u: the nearest point to f is (f_0, u), at
    distance |f_1 - u|, and the envelope rate is du/dt = f_1 - u."""
    return jnp.stack([sigma, u])


def arch(u: jax.Array, sigma: jax.Array) -> jax.Array:
    """A horizontal line at height 0.4 sin(pi u): it rises until u = 1/2, then falls back."""
    return jnp.stack([sigma, 0.4 * jnp.sin(jnp.pi * u)])


def wave(u: jax.Array, sigma: jax.Array) -> jax.Array:
    """A sine wave whose amplitude u grows: the nearest point to the target moves with u."""
    return jnp.stack([sigma, u * jnp.sin(3.0 * sigma)])


def the_param(problem: CurveFit, params: jax.Array) -> jax.Array:
    return params


LINE, ARCH, WAVE = (CustomFamily(gamma=g, n_out=2) for g in (rising_line, arch, wave))


def test_the_rising_line_follows_its_closed_form_on_the_grid_of_numpy_arange() -> None:
    """f = (0.3, 0.5) from u0 = 0.2: sigma = f_0 at every u, du/dt = f_1 - u, learned at
    u = 1/2 (a grid point of du = 1/100). du is batchable: with f = (0, 5) (never reached)
    each trajectory steps on np.arange(u0, t1, du) and ends at t1, the grid point within du/2
    of t1 replaced by t1."""
    dus = np.array([0.01, 0.1, 0.03, 0.007])
    targets = np.array([[0.3, 0.5]] + [[0.0, 5.0]] * 3)
    ts = np.array([0.3, 0.4, 0.5])
    traj = simulate(
        CurveFit(model=LINE, target=jnp.asarray(targets)),
        AdiabaticLimit(du=jnp.asarray(dus), t1=1.0),
        jnp.array([0.2, 0.9]),
        over=lambda p: p.target,
        dynamics_over=lambda d: d.du,
        save=Save(ts=ts, observables={"rate": envelope_rate, "tangential": tangential_residual, "w": the_param}),
        stop=Stop(tol=1e-20, gtol=STALLED),
    )
    w = traj.observations["w"]
    np.testing.assert_allclose(w[0, :, 0], ts, rtol=1e-12)  # time is u
    sigma_expected = np.broadcast_to(targets[:, :1], (4, 3))  # the nearest point's sigma is f_0
    np.testing.assert_allclose(w[:, :, 1], sigma_expected, atol=1e-12)
    np.testing.assert_allclose(traj.observations["rate"], targets[:, 1:] - w[:, :, 0], atol=1e-12)
    np.testing.assert_allclose(traj.observations["tangential"], 0.0, atol=1e-13)
    np.testing.assert_array_equal(traj.verdict, [Verdict.LEARNED] + [Verdict.UNDECIDED] * 3)
    assert traj.t_final[0] == pytest.approx(0.5, abs=1e-12) and traj.steps[0] == 30
    expected = [np.sum(np.arange(0.2, 1.0, du) < 1.0 - du / 2) for du in dus[1:]]  # grid points before the last
    np.testing.assert_array_equal(traj.steps[1:], expected)
    np.testing.assert_array_equal(traj.t_final[1:], 1.0)
    np.testing.assert_allclose(traj.final_grad_norm[1:], 4.0, rtol=1e-12)  # du/dt = f_1 - u at u = 1


def test_verdicts_trapped_where_u_stalls_learned_undecided_and_diverged() -> None:
    """The arch rises to 0.4 at u = 1/2 and falls back. f = (0, 0.5): du/dt = 0 at u = 1/2
    with the target 0.1 above, trapped there; stopped at t1 = 0.4 before that, still rising:
    undecided; f = (0, 0.2) is met at u = 1/6: learned; f = (0, 50) has a loss beyond the
    bound: diverged."""
    targets = np.array([[0.0, 0.5], [0.0, 0.5], [0.0, 0.2], [0.0, 50.0]])
    traj = simulate(
        CurveFit(model=ARCH, target=jnp.asarray(targets)),
        AdiabaticLimit(du=1e-3, t1=jnp.array([1.0, 0.4, 1.0, 1.0])),
        jnp.array([0.0, 0.0]),
        over=lambda p: p.target,
        dynamics_over=lambda d: d.t1,
        stop=Stop(tol=1e-6, gtol=STALLED, bound=100.0),
    )
    np.testing.assert_array_equal(traj.verdict, [Verdict.TRAPPED, Verdict.UNDECIDED, Verdict.LEARNED, Verdict.DIVERGED])
    np.testing.assert_array_equal(
        traj.reason, [StopReason.GRAD_BELOW_GTOL, StopReason.REACHED_T1, StopReason.LOSS_BELOW_TOL, StopReason.DIVERGED]
    )
    np.testing.assert_allclose(traj.t_final[:3], [0.5, 0.4, 1 / 6], atol=2e-3)
    distance = np.sqrt(2 * traj.final_loss[:2])
    np.testing.assert_allclose(distance, [0.1, 0.5 - 0.4 * np.sin(0.4 * np.pi)], atol=1e-5)


def _relaxed_on_the_grid(target: np.ndarray, u0: float, du: float, until: float) -> dict[float, float]:
    """The adiabatic path by its definition: sigma relaxed at u0 (uncapped, then capped), then
    by at most 32 capped descents at each next grid point from the previous one."""
    from gflab.dynamics.adiabatic import START_ITERATIONS, UNCAPPED, relax

    step = jax.jit(lambda u, s, n, cap: relax(wave, jnp.asarray(target), u, s, n, cap, 1e-13), static_argnums=(2, 3))
    sigma = step(jnp.asarray(u0), jnp.asarray(0.0), START_ITERATIONS * 32, UNCAPPED)
    sigma = step(jnp.asarray(u0), sigma, 32, 1e-3)
    path = {u0: float(sigma)}
    for u in np.arange(u0, until, du)[1:]:
        sigma = step(jnp.asarray(u), sigma, 32, 1e-3)
        path[float(u)] = float(sigma)
    return path


def test_one_descent_per_step_follows_the_relaxation_path_and_stops_only_at_relaxed_points() -> None:
    """On the growing wave sigma needs several capped descents per grid point; stepping one
    descent at a time must give the path of relaxing to convergence at every grid point, and
    a run cut short by max_steps (mid-relaxation) ends at its last relaxed point."""
    target, u0, du = np.array([0.3, 0.8]), 0.1, 0.01
    path = _relaxed_on_the_grid(target, u0, du, 0.7)
    ts = np.array([0.2, 0.4, 0.6])
    problem = CurveFit(model=WAVE, target=jnp.asarray(target))
    traj = simulate(problem, AdiabaticLimit(du=du, t1=0.7), jnp.array([u0, 0.0]), save=Save(ts=ts, observables={"w": the_param}))
    saved = traj.observations["w"]
    grid = np.array(list(path))
    for u, sigma in saved:
        nearest = grid[np.argmin(np.abs(grid - u))]
        assert u == pytest.approx(nearest, abs=1e-12) and sigma == pytest.approx(path[nearest], abs=1e-12)
    assert traj.steps > 2 * len(path)  # several descents per grid point: the state machine was exercised
    cut = simulate(problem, AdiabaticLimit(du=du, t1=0.7, max_steps=int(traj.steps) // 2 + 1), jnp.array([u0, 0.0]))
    assert cut.reason == StopReason.MAX_STEPS
    u_end, sigma_end = np.asarray(cut.final_params)
    nearest = grid[np.argmin(np.abs(grid - u_end))]
    assert cut.t_final == pytest.approx(u_end, abs=0) and sigma_end == pytest.approx(path[nearest], abs=1e-12)
    point = np.asarray(wave(jnp.asarray(u_end), jnp.asarray(sigma_end)))
    assert cut.final_loss == pytest.approx(0.5 * np.sum((point - target) ** 2), rel=1e-12)


def test_the_adiabatic_limit_refuses_a_problem_that_is_not_a_curve_family() -> None:
    problem = CurveFit(model=make_model("trig", d=3, W=2), target=jnp.zeros(3))
    with pytest.raises(BadInput) as info:
        simulate(problem, AdiabaticLimit(), jnp.zeros(2))
    assert info.value.field == "problem"


@pytest.mark.slow
def test_the_path_crosses_a_nearly_flat_stretch_behind_a_sharp_corner() -> None:
    """A curve along x_0 that brakes from speed 1 to 1e-3 over a corner a few ulps of sigma
    wide (as at the hierarchical model's deepest levels), runs slowly for a stretch of sigma
    0.05, then on. From inside the corner d keeps falling towards the target beyond the
    stretch, but Newton's quadratic model (curvature r . bend ~ 1e14 >> speed^2) puts the
    minimum an ulp away; the path must still reach the target."""

    def braking(u: jax.Array, sigma: jax.Array) -> jax.Array:
        slowed = (1.0 - 1e-3) * (0.05 - 1e-15) * rounded_ramp(sigma - 0.5, 0.05, 1e-15)
        return jnp.stack([sigma - slowed, jnp.zeros_like(sigma)])

    starts = 0.5 + np.array([1, 4, 9]) * 1.1e-16  # inside the corner
    traj = simulate(
        CurveFit(model=CustomFamily(gamma=braking, n_out=2), target=jnp.array([0.6, 0.0])),
        AdiabaticLimit(du=1e-3, t1=1e-3),
        jnp.asarray(np.stack([np.zeros(3), starts], axis=1)),
        y0_batched=True,
    )
    np.testing.assert_allclose(np.sqrt(2 * traj.final_loss), 0.0, atol=1e-12)


TARGET = np.array([0.3, 0.8])


def gap_to_the_path(lam: float) -> float:
    """Run the flow of Phi(u, v) = wave(u, lam v); how far its final point is from the
    adiabatic path's point at the same u."""
    traj = simulate(
        CurveFit(model=TwoTimescale(family=WAVE, sigma0=0.0, lam=lam), target=jnp.asarray(TARGET)),
        GradientFlow(rtol=1e-9, atol=1e-11, t1=3.0),
        jnp.asarray([0.1, 0.0]),
    )
    u_end, v_end = np.asarray(traj.final_params)
    assert u_end > 0.5  # u moved a good way, and the nearest point with it
    limit = simulate(
        CurveFit(model=WAVE, target=jnp.asarray(TARGET)),
        AdiabaticLimit(du=(u_end - 0.1) / 399, t1=float(u_end)),
        jnp.asarray([0.1, 0.0]),
        save=Save(ts=np.linspace(0.1, u_end, 40), observables={"rate": envelope_rate, "tangential": tangential_residual}),
        stop=Stop(gtol=STALLED),
    )
    assert np.all(np.abs(limit.observations["tangential"]) < 1e-7)  # on the branch at every u
    assert np.all(limit.observations["rate"] > 0) and limit.reason == StopReason.REACHED_T1
    on_the_path = wave(*jnp.asarray(limit.final_params))
    return float(np.max(np.abs(np.asarray(on_the_path) - np.asarray(wave(u_end, lam * v_end)))))


@pytest.mark.slow
def test_the_flow_approaches_the_path_like_one_over_lambda_squared() -> None:
    """Tikhonov: the fast variable lags its branch by O(1/lambda^2). Measured: 8.7e-5 at
    lambda = 10, 9.7e-6 at 30 (and 8.7e-7 at 100)."""
    coarse, fine = gap_to_the_path(10.0), gap_to_the_path(30.0)
    assert fine < 3e-5
    assert 6.0 < coarse / fine < 12.0  # lambda^2 ratio: 9


@pytest.mark.slow
def test_adaptive_steps_give_the_same_verdicts_and_stall_points_with_longer_steps() -> None:
    """Adaptive continuation (move_tol) on the arch: the stall at u = 1/2 (du/dt = 0 with the
    target 0.1 above) is found within du of it, the target met at u = 1/6 is learned there,
    t1 = 0.4 is reached exactly; between them u takes steps longer than du (fewer steps than
    the fixed grid)."""
    targets = np.array([[0.0, 0.5], [0.0, 0.5], [0.0, 0.2]])
    t1 = jnp.array([1.0, 0.4, 1.0])
    runs = [
        simulate(
            CurveFit(model=ARCH, target=jnp.asarray(targets)),
            AdiabaticLimit(du=1e-3, t1=t1, move_tol=move_tol),
            jnp.array([0.0, 0.0]),
            over=lambda p: p.target,
            dynamics_over=lambda d: d.t1,
            stop=Stop(tol=1e-6, gtol=STALLED),
        )
        for move_tol in (None, 1e-4)
    ]
    fixed, adaptive = runs
    np.testing.assert_array_equal(adaptive.verdict, [Verdict.TRAPPED, Verdict.UNDECIDED, Verdict.LEARNED])
    np.testing.assert_array_equal(adaptive.verdict, fixed.verdict)
    assert 0.5 <= adaptive.t_final[0] <= 0.5 + 1e-3 + 1e-12 and adaptive.t_final[1] == 0.4
    assert abs(adaptive.t_final[2] - 1 / 6) <= 1e-3
    assert np.all(adaptive.steps < fixed.steps / 2)


@pytest.mark.slow
def test_adaptive_steps_stay_on_the_branch_and_save_at_the_save_times() -> None:
    """On the growing wave (the nearest point moves with u) every saved point of the adaptive
    path is a nearest point (tangential residual 0), recorded at the save time itself, and
    agrees with the fixed grid's path there (both relax to the same branch)."""
    target, u0, ts = np.array([0.3, 0.8]), 0.1, np.array([0.2, 0.4, 0.6])
    problem = CurveFit(model=WAVE, target=jnp.asarray(target))
    save = Save(ts=ts, observables={"w": the_param, "tangential": tangential_residual})
    fixed, adaptive = (
        simulate(problem, AdiabaticLimit(du=1e-3, t1=0.7, move_tol=move_tol), jnp.array([u0, 0.0]), save=save)
        for move_tol in (None, 1e-4)
    )
    np.testing.assert_array_equal(adaptive.saved_ts, ts)
    # relaxed to where a step no longer lowers d^2 in float64: |residual| ~ sqrt(eps) d, d ~ 0.5
    np.testing.assert_allclose(adaptive.observations["tangential"], 0.0, atol=1e-8)
    np.testing.assert_allclose(adaptive.observations["w"][:, 1], fixed.observations["w"][:, 1], atol=1e-9)
    assert adaptive.steps < fixed.steps
