"""The hierarchical two-parameter model (Yarotsky 2024, Theorem 6): its design, its first stage
under gradient flow, and every stage in the adiabatic limit."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab import GradientFlow, Save, Stop, simulate
from gflab.dynamics import AdiabaticLimit
from gflab.dynamics.adiabatic import envelope_rate
from gflab.errors import BadInput
from gflab.experiments.learnability.hierarchical import follow_targets, in_gaps
from gflab.problems.curves import CurveFit, output
from gflab.problems.hierarchical import MU_ROOT, Hierarchical, design, hierarchical, resolution
from gflab.problems.hierarchical_design import MIN_UNIT_SIGMA, deepest_unit, max_stages
from gflab.results import Verdict
from gflab.theory.learnability import HIERARCHICAL_U_START


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


@pytest.mark.parametrize(("d", "m", "deepest"), [(2, 40, 3), (2, 8, 4), (3, 40, 5), (5, 200, 5)])
def test_resplits_nest_in_their_parent_child_until_float64_runs_out(d: int, m: int, deepest: int) -> None:
    """Stage n >= d splits x_(n mod d) again: its children and gaps fill its parent's child
    exactly, its segment runs the other way, its teeth point into the previous split of x_k,
    each target's tooth lies tau before its child; one more stage is refused, naming N."""
    eps = 0.05
    assert max_stages(d, m, eps) == deepest
    levels = design(d, deepest, m, eps)
    assert deepest_unit(levels) >= MIN_UNIT_SIGMA > deepest_unit(design(d, deepest + 1, m, eps))
    kept = [level.m * level.width / (level.parent.width if level.parent else 1.0) for level in levels[1:]]
    assert np.prod(kept) == pytest.approx(1.0 - eps, rel=1e-9)  # the non-gap share of each split's cell
    x = np.random.default_rng(0).uniform(0.0, 1.0, 2000)
    for n, level in enumerate(levels[d:], start=d):
        parent = level.parent
        assert parent is not None and parent.c == level.c == n % d and level.orient == -parent.orient
        assert level.m * level.width + (level.m - 1) * (level.spacing - level.width) == pytest.approx(parent.width, rel=1e-9)
        kept = x[~level.in_gap(x) & ~np.any([p.in_gap(x) for p in levels[1:n] if p.c == level.c], axis=0)]
        tooth, near = level.tooth_of(kept), level.near_edge(kept)
        child = level.child_of(kept)
        low = near + level.orient * child * level.spacing  # the child's edge nearest its tooth
        np.testing.assert_allclose(level.orient * (low - tooth), level.offset, rtol=1e-6)
        assert np.all(level.orient * (kept - low) >= -1e-12) and np.all(level.orient * (kept - low) <= level.width + 1e-12)
    with pytest.raises(BadInput, match=f"at most n_stages = {deepest}"):
        hierarchical(d, deepest + 1, m=m, eps=eps)
    with pytest.raises(BadInput, match="1 <= n_stages"):
        hierarchical(d, 0, m=m, eps=eps)
    if deepest > d + 1:  # float64 would hold a second re-split, which is not built
        with pytest.raises(BadInput, match=f"n_stages <= d \\+ 1 = {d + 1}"):
            hierarchical(d, d + 2, m=m, eps=eps)


@pytest.mark.slow
def test_at_u0_the_curve_is_the_straight_root_line() -> None:
    """A line along x_0, MU_ROOT below the box, monotone in sigma (flat only along the root
    tooth's future flank, which is vertical) and covering the box's x_0 range."""
    model = hierarchical(3)
    sigma = jnp.linspace(0.0, 1.0, 20001)
    points = np.asarray(jax.jit(jax.vmap(lambda s: model.curve(jnp.asarray(0.0), s)))(sigma))
    np.testing.assert_array_equal(points[:, 1:], -MU_ROOT)
    assert np.all(np.diff(points[:, 0]) >= -1e-15)  # flat up to rounding on that flank
    assert points[0, 0] < -0.1 and points[-1, 0] > 1.1


@pytest.mark.slow
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


@pytest.mark.slow
def test_stage_zero_carries_phi_to_the_root_tooth_at_the_targets_x1() -> None:
    """Gathering moves Phi to the root tooth's tip (x_0 just below the box); spreading lets
    it slip off the growing tooth at x_1 = f_1. Implicit solver: the v-direction is stiff."""
    model = hierarchical(3)
    target = np.array([0.63696, 0.26979, 0.04097])
    traj = simulate(
        CurveFit(model=model.two_timescale(), target=jnp.asarray(target)),
        GradientFlow(solver="kvaerno3", rtol=1e-6, atol=1e-9, t1=1.5),
        jnp.asarray([HIERARCHICAL_U_START, 0.0]),
        save=Save(ts=(1.5,), observables={"output": output}),
    )
    u = float(traj.final_params[0])
    out = traj.observations["output"][-1]
    # Past the gathering sub-stage, inside the spreading one; once Phi has slipped off the
    # tooth, u creeps at the drift's rate (~0.006 here: u = 0.794 at t = 1.5, 0.795 at 1.7).
    assert 0.5 < u < 1.0
    assert out[1] == pytest.approx(target[1], abs=1e-3)  # slipped off at the target's height
    assert -0.1 < out[0] < 0.0  # on the root tooth, MU_0 below the box in x_0
    assert out[2] == pytest.approx(-MU_ROOT, abs=1e-6)  # x_2 untouched until stage 1


def the_param(problem: CurveFit, params: jax.Array) -> jax.Array:
    return params


@functools.cache
def _model_and_grid(d: int, m: int) -> tuple[Hierarchical, np.ndarray]:
    """The model and the u grid of its adiabatic paths (the experiment's: du = 1e-3 up to N)."""
    model = hierarchical(d, m=m)
    return model, np.arange(HIERARCHICAL_U_START, model.n_stages, 1e-3)


def _adiabatic_paths(d: int, m: int, targets: np.ndarray) -> dict[str, np.ndarray]:
    """The adiabatic paths of a batch of targets (one simulate call: the curve is traced once),
    each recorded at every point of its grid."""
    model, us = _model_and_grid(d, m)
    traj = simulate(
        CurveFit(model=model, target=jnp.asarray(targets)),
        AdiabaticLimit(du=jnp.asarray(1e-3), t1=jnp.asarray(us[-1])),
        jnp.asarray([HIERARCHICAL_U_START, model.sigma0]),
        over=lambda p: p.target,
        save=Save(ts=us, observables={"point": output, "w": the_param, "rate": envelope_rate}),
        stop=Stop(),
    )
    return traj.observations


def _assert_each_stage_fixes_its_coordinate(d: int, m: int, targets: np.ndarray) -> None:
    """Stage n ends (u = n + 0.99) with x_{n+1 mod d} = f_{n+1 mod d} (slipped off the tooth at
    the target's height) and, for n >= 1, x_n at the tooth of the target's own child; the
    end is within delta_N."""
    model, us = _model_and_grid(d, m)
    paths = _adiabatic_paths(d, m, targets)
    delta = resolution(model.levels, d)
    for j, target in enumerate(targets):
        point, sigma = paths["point"][j], paths["w"][j, :, 1]
        np.testing.assert_allclose(paths["w"][j, :, 0], us, rtol=1e-15)  # one save per grid point, time is u
        for n, level in enumerate(model.levels):
            i = int(np.searchsorted(us, n + 0.99))
            at = point[i]
            # to 1e-6, or to what one ulp of sigma moves Gamma (3e-6 on d = 5's deepest level)
            u = jnp.asarray(us[i])
            speed = jax.jvp(lambda s, u=u: model.curve(u, s), (jnp.asarray(sigma[i]),), (jnp.asarray(1.0),))[1]
            resolved = 2.0 * float(jnp.linalg.norm(speed)) * np.spacing(sigma[i])
            assert at[level.k] == pytest.approx(target[level.k], abs=max(1e-6, resolved)), f"{target}: stage {n} landing"
            if n >= 1:
                assert at[level.c] == pytest.approx(level.tooth_of(target[level.c]), abs=2 * level.drift), f"stage {n} child"
        distance = np.linalg.norm(point - target, axis=1)
        assert distance[-1] < delta
        # u never stalls short of delta_N (beyond it the schedules end and du/dt -> 0 with u -> N)
        assert np.all(paths["rate"][j][distance > delta] > 0)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("d", "m", "target"),
    [
        (3, 150, [0.63696, 0.26979, 0.04097]),
        # x_4 near the top: stage 3 slips off late, across nearly flat stretches of level 4
        (5, 200, [0.7807, 0.2019, 0.3925, 0.7719, 0.9826]),
    ],
)
def test_the_adiabatic_path_fixes_one_coordinate_per_stage(d: int, m: int, target: list[float]) -> None:
    """lambda -> infinity (the nearest point followed in u), through every stage."""
    _assert_each_stage_fixes_its_coordinate(d, m, np.array([target]))


FAT_CANTOR_BATCH = 6  # targets per example, followed together


@pytest.mark.slow
@settings(max_examples=2, deadline=None)
@given(data=st.data())
def test_targets_in_the_fat_cantor_set_are_learned(data: st.DataObject) -> None:
    """Any target off the gaps (x_0 anywhere; each split coordinate inside a child, away
    from its edges by 2% of its width) goes through every stage to within delta_N."""
    model, _ = _model_and_grid(3, 150)
    targets = []
    for _ in range(FAT_CANTOR_BATCH):
        target = [data.draw(st.floats(0.0, 1.0))]
        for level in model.levels[1:]:
            child = data.draw(st.integers(0, level.m - 1))
            inside = data.draw(st.floats(0.02, 0.98))
            target.append(1.0 - child * level.spacing - inside * level.width)  # children counted from the top
        targets.append(target)
    target_array = np.array(targets)
    assert not in_gaps(model, target_array).any()
    _assert_each_stage_fixes_its_coordinate(3, 150, target_array)


@pytest.mark.slow
def test_resplit_stage_lands_targets_in_its_cells() -> None:
    """d = 2, N = 3 (stage 2 splits x_0 again, 24020 children of width 4e-5): targets off the
    gaps, away from their cells' edges, end within delta_3 = 4.1e-5 with x_0 on a stage-2
    tooth next to them (adaptive steps in u, as the experiment)."""
    model = hierarchical(2, 3, m=40)
    first, resplit = model.levels[1], model.levels[2]
    rng = np.random.default_rng(1)
    rows = []
    for _ in range(4):  # x_1 inside a child of stage 1, x_0 inside a child of stage 2
        x1 = 1.0 - rng.integers(first.m) * first.spacing - rng.uniform(0.05, 0.95) * first.width
        x0 = 1.0 - rng.integers(resplit.m) * resplit.spacing - rng.uniform(0.05, 0.95) * resplit.width
        rows.append([x0, x1])
    targets = np.array(rows)
    assert not in_gaps(model, targets).any()
    followed = follow_targets(model, targets, move_tol=1e-4)
    assert np.all(followed.verdict == Verdict.LEARNED)
    assert np.all(followed.distance < resolution(model.levels, 2))
    # x_0 ends on a stage-2 tooth next to the target (its own child's, or the next one's: far
    # below the floor the ramps barely tilt the nearest point, which takes the nearest tooth)
    own = resplit.tooth_of(targets[:, 0])
    off = np.minimum(np.abs(followed.final[:, 0] - own), np.abs(followed.final[:, 0] - (own - resplit.spacing)))
    assert np.all(off <= 2 * resplit.drift)
