"""The experiments of Yarotsky (2024) on small sizes: measured fractions against the theory's
predictions, and every parameter either honoured or refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.theory import learnability as yarotsky


def _run(name: str, **params: object) -> dict[str, Any]:
    exp = get_experiment(name)
    return exp.run(exp.validate(params)).metrics


def _refused(name: str, params: dict[str, object]) -> str:
    with pytest.raises(BadInput) as info:
        get_experiment(name).validate(params)
    return info.value.field


def test_linear_control_learns_everything() -> None:
    metrics = _run("learnability", model="linear", d=3, n_targets=200, n_show=0, targets="gaussian")
    assert metrics["fractions"]["learned"]["fraction"] == yarotsky.learned_fraction("linear", 3, 3)


@pytest.mark.slow
def test_sin_curve_traps_almost_everything_and_draws_the_verdict_map() -> None:
    """Corollary 10: the sin-curve (W = 1 < d = 2) learns a null set; its failures are traps."""
    exp = get_experiment("learnability")
    result = exp.run(exp.validate({"model": "sin-curve", "n_targets": 500, "grid": 20, "n_show": 2}))
    assert result.metrics["fractions"]["learned"]["high"] < 0.02
    assert result.metrics["trapped_share_of_not_learned"] > 0.99
    assert set(result.figures) == {"final_loss", "trajectories", "verdict_map"}
    assert result.metrics["grid_fractions"]["learned"]["fraction"] < 0.05


@pytest.mark.slow
def test_gd_with_a_huge_step_is_diverged_not_an_exception() -> None:
    """GD on the linear control diverges beyond eta = 2 / lambda_max (lambda_max = 4: the
    singular values of A run up to 2)."""
    metrics = _run("learnability", model="linear", d=2, n_targets=20, n_show=0, dynamics="gd", eta=5.0, t1=100.0)
    assert metrics["fractions"]["diverged"]["fraction"] == 1.0


@pytest.mark.slow
def test_sphere_obstruction_locates_a_nonlearned_target() -> None:
    """Theorem 4: the 2-sphere of radius 0.8 holds a target the trig model (W = 2 < 3) misses."""
    metrics = _run("sphere-obstruction", d=3, models=("trig",), n_points=60, bisections=8)
    found = metrics["models"]["trig"]
    assert found["located_verdict"] != "learned"
    assert found["located_loss"] > 1e-6
    assert np.isclose(np.linalg.norm(found["located_target"]), 0.8)
    assert metrics["fraction_models_with_nonlearned_target"] == float(yarotsky.sphere_has_nonlearnable_target(2, 3))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"model": "hierarchical", "dynamics": "flow"}, "dynamics"),
        ({"model": "trig", "d": 3, "dynamics": "adiabatic"}, "dynamics"),
        ({"model": "trig", "d": 3, "eps": 0.1}, "eps"),
        ({"model": "hierarchical", "d": 6}, "d"),
        ({"model": "hierarchical", "d": 3, "n_stages": 4}, "n_stages"),
        ({"model": "hierarchical", "box": 2.0}, "targets"),
        # the zoo flow's settings that do not apply to the adiabatic limit
        *(({"model": "hierarchical", name: value}, name) for name, value in [("w0", 0.1), ("tol", 1e-4), ("gtol", 1e-3)]),
        *(({"model": "hierarchical", name: value}, name) for name, value in [("eta", 0.1), ("rtol", 1e-7), ("atol", 1e-9)]),
        *(({"model": "hierarchical", name: value}, name) for name, value in [("terms", 4), ("degree", 2), ("n_show", 2)]),
        ({"model": "hierarchical", "d": 3, "t1": 3.5}, "t1"),
        ({"model": "hierarchical", "d": 3, "t1": 0.01}, "t1"),
        # each dynamics' and each model's own parameters
        ({"model": "linear", "d": 2, "eta": 0.5}, "eta"),
        ({"model": "linear", "d": 2, "dynamics": "gd", "rtol": 1e-7}, "rtol"),
        ({"model": "sin-curve", "terms": 4}, "terms"),
        ({"model": "trig", "d": 3, "degree": 2}, "degree"),
    ],
)
def test_parameters_that_do_not_apply_are_refused(params: dict[str, object], field: str) -> None:
    assert _refused("learnability", params) == f"learnability.{field}"


def test_the_hierarchical_model_runs_over_its_stages_by_default() -> None:
    """t1 is the end of the u range: N = n_stages unless given."""
    exp = get_experiment("learnability")
    assert exp.validate({"model": "hierarchical", "d": 3, "n_stages": 2}).t1 == 2.0
    assert exp.validate({"model": "hierarchical", "d": 4}).t1 == 4.0
    assert exp.validate({"model": "hierarchical", "d": 3, "t1": 1.5}).dynamics == "adiabatic"


@pytest.mark.slow
def test_learnability_runs_the_hierarchical_model_in_its_adiabatic_limit() -> None:
    """model=hierarchical: targets in [0, 1]^d, learned means within delta_N (Theorem 6: at
    least 1 - eps of them), the verdict map is a slice through the box. t1 is honoured: the
    path stops at u = t1, and after stage 0 alone (t1 = 1) no target is within delta_N."""
    exp = get_experiment("learnability")
    result = exp.run(exp.validate({"model": "hierarchical", "d": 2, "n_targets": 9, "grid": 3}))
    metrics, table = result.metrics, result.table
    assert set(result.figures) == {"final_distance", "verdict_map"}
    learned = (table["verdict"] == "learned").to_numpy()
    np.testing.assert_array_less(table["distance"].to_numpy()[learned], metrics["delta_N"])
    assert metrics["fractions"]["learned"]["count"] >= 7  # 1 - eps = 0.95 of 9 targets
    assert metrics["not_learned_in_gaps"] == 9 - metrics["fractions"]["learned"]["count"]  # failures lie in the gaps
    early = exp.run(exp.validate({"model": "hierarchical", "d": 2, "n_targets": 9, "t1": 1.0}))
    assert early.metrics["fractions"]["learned"]["count"] == 0
    assert early.metrics["fractions"]["undecided"]["count"] == 9  # still moving at the last u before t1
    np.testing.assert_allclose(early.table["u_stop"], 0.999, rtol=1e-12)


def test_hierarchical_experiment_blames_the_first_stage_that_failed() -> None:
    """Stage n must land x_{n+1 mod d} on the target (and, n >= 1, gather x_n to its child's
    tooth) by u = n + 0.99; a path that does so at every stage has no failed stage."""
    from gflab.experiments.learnability.hierarchical import first_failed_stage
    from gflab.problems.hierarchical import hierarchical

    model = hierarchical(3)
    f = np.array([[0.63696, 0.26979, 0.04097]])
    good = np.array(
        [
            [
                [-0.09, f[0, 1], -3.0],
                [-0.06, model.levels[1].tooth_of(f[:, 1])[0], f[0, 2]],
                [f[0, 0], 0.0, model.levels[2].tooth_of(f[:, 2])[0]],
            ]
        ]
    )
    good[0, 2, 1] = good[0, 1, 1]
    assert first_failed_stage(model, f, good)[0] == -1
    wrong_child = good.copy()
    wrong_child[0, 1, 1] += model.levels[1].spacing  # stage 1 gathered to the neighbouring tooth
    assert first_failed_stage(model, f, wrong_child)[0] == 1
    not_landed = good.copy()
    not_landed[0, 0, 1] += 1e-3  # stage 0 left x_1 off the target
    assert first_failed_stage(model, f, not_landed)[0] == 0


@pytest.mark.slow
def test_hierarchical_experiment_on_a_few_targets() -> None:
    """Theorem 6 on 6 targets: every target outside the gaps is learned; delta_N falls stage
    by stage; the gaps measure eps; the zoo model (W = 2 < 3) learns fewer at delta_N."""
    metrics = _run("hierarchical", n_targets=6, slots=6, zoo=("trig",))
    fractions = metrics["fractions"]
    assert metrics["delta_N"] < 1e-2 and abs(metrics["gap_measure"] - 0.05) < 1e-12
    assert metrics["learned_outside_gaps"] == 1.0
    by_stage = metrics["by_stage"]
    assert by_stage[0]["delta_N"] > by_stage[1]["delta_N"] > by_stage[2]["delta_N"] == metrics["delta_N"]
    assert by_stage[2]["within_delta_N"]["count"] >= fractions["learned"]["count"]  # learned: within, and no stall
    assert metrics["zoo"]["trig"]["fractions"]["learned"]["count"] < fractions["learned"]["count"]


def test_hierarchical_sphere_targets_lie_on_the_sphere() -> None:
    from gflab.experiments.learnability.hierarchical import HierarchicalSpec, draw_targets, in_gaps
    from gflab.problems.hierarchical import hierarchical

    targets = draw_targets(HierarchicalSpec(d=4, targets="sphere", radius=0.25, n_targets=50), hierarchical(4))
    np.testing.assert_allclose(np.linalg.norm(targets[:, :3] - 0.5, axis=1), 0.25, rtol=1e-12)
    np.testing.assert_array_equal(targets[:, 3], 0.5)
    model = hierarchical(3)
    for only_gaps in (False, True):
        targets = draw_targets(HierarchicalSpec(d=3, targets="sphere", radius=0.25, n_targets=50, in_gaps=only_gaps), model)
        np.testing.assert_allclose(np.linalg.norm(targets - 0.5, axis=1), 0.25, rtol=1e-12)
        assert in_gaps(model, targets).all() if only_gaps else not in_gaps(model, targets).all()
    assert _refused("hierarchical", {"d": 2, "targets": "sphere"}) == "hierarchical.targets"
    assert _refused("hierarchical", {"d": 2, "n_stages": 4}) == "hierarchical.n_stages"  # float64 holds N <= 3 at m = 150


@pytest.mark.slow
def test_hierarchy_picture_resolves_the_first_split() -> None:
    """d = 2, m = 4: at u = 2 the curve has grown one tooth per child along x_0, in the gap
    just above the child (between its top and top + tau), reaching across the box."""
    from gflab.experiments.learnability.hierarchical_figures import curve_samples
    from gflab.problems.hierarchical import hierarchical

    model = hierarchical(2, m=4)
    points = curve_samples(model, 2.0)
    level = model.levels[1]
    across = points[points[:, 0] > 1.0]
    for i in range(level.m):
        top = 1.0 - i * level.spacing
        assert np.any((across[:, 1] > top) & (across[:, 1] < top + level.offset))


@pytest.mark.slow
def test_zoo_at_resolution_counts_a_target_learned_within_delta() -> None:
    """The linear control (W = d) reaches every target, so it learns all of them at any
    accuracy; the sin-curve (W = 1 < d) learns almost none at delta = 1e-3."""
    from gflab.experiments.learnability.hierarchical import zoo_at_resolution

    targets = np.random.default_rng(0).uniform(size=(64, 3))
    rows = zoo_at_resolution(("linear", "sin-curve"), targets, 1e-3, seed=0, progress=False)
    assert rows["linear"]["fractions"]["learned"]["fraction"] == yarotsky.learned_fraction("linear", 3, 3)
    assert rows["sin-curve"]["fractions"]["learned"]["fraction"] < 0.1
