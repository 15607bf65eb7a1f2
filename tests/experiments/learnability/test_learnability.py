"""The seed-000 experiments on small sizes: the theory's qualitative predictions hold."""

from __future__ import annotations

import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment


def _run(name: str, **params: object) -> dict:
    exp = get_experiment(name)
    return exp.run(exp.validate(params)).metrics


def test_linear_control_learns_everything() -> None:
    metrics = _run("learnability", model="linear", d=3, n_targets=200, n_show=0, targets="gaussian")
    assert metrics["fractions"]["learned"]["fraction"] == 1.0


def test_sin_curve_traps_almost_everything_and_draws_the_verdict_map() -> None:
    exp = get_experiment("learnability")
    result = exp.run(exp.validate({"model": "sin-curve", "n_targets": 500, "grid": 20, "n_show": 2}))
    assert result.metrics["fractions"]["trapped"]["fraction"] > 0.95
    assert set(result.figures) == {"final_loss", "trajectories", "verdict_map"}
    assert result.metrics["grid_fractions"]["learned"]["fraction"] < 0.05


def test_gd_with_a_huge_step_is_diverged_not_an_exception() -> None:
    metrics = _run("learnability", model="linear", d=2, n_targets=20, n_show=0, dynamics="gd", eta=5.0, t1=100.0)
    assert metrics["fractions"]["diverged"]["fraction"] == 1.0


def test_sphere_obstruction_locates_a_nonlearned_target() -> None:
    metrics = _run("sphere-obstruction", d=3, models=("trig",), n_points=60, bisections=8)
    found = metrics["models"]["trig"]
    assert found["located_verdict"] != "learned"
    assert found["located_loss"] > 1e-6
    assert np.isclose(np.linalg.norm(found["located_target"]), 0.8)
    assert metrics["fraction_models_with_nonlearned_target"] == 1.0


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


def test_hierarchical_experiment_on_a_few_targets() -> None:
    metrics = _run("hierarchical", n_targets=6, chunk=6, zoo=("trig",))
    fractions = metrics["fractions"]
    assert sum(v["count"] for v in fractions.values()) == 6
    assert metrics["delta_N"] < 1e-2 and abs(metrics["gap_measure"] - 0.05) < 1e-12
    assert fractions["learned"]["count"] >= 4  # 96% of 512 measured; 6 targets: at least 4 (p ~ 0.999)
    by_stage = metrics["by_stage"]
    assert [row["N"] for row in by_stage] == [1, 2, 3]
    assert by_stage[0]["delta_N"] > by_stage[1]["delta_N"] > by_stage[2]["delta_N"] == metrics["delta_N"]
    assert by_stage[2]["within_delta_N"]["count"] >= fractions["learned"]["count"]  # learned: within, and no stall
    assert metrics["zoo"]["trig"]["W"] == 2
    assert metrics["zoo_best_learned_high"] == metrics["zoo"]["trig"]["fractions"]["learned"]["high"]


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
    with pytest.raises(BadInput) as info:
        get_experiment("hierarchical").validate({"d": 2, "targets": "sphere"})
    assert info.value.field == "hierarchical.targets"
    with pytest.raises(BadInput) as info:
        get_experiment("hierarchical").validate({"d": 2, "n_stages": 3})
    assert info.value.field == "hierarchical.n_stages"


def test_hierarchy_picture_resolves_the_first_split() -> None:
    """d = 2, m = 4: at u = 2 the curve has grown one tooth per child along x_0, in the gap
    just above the child (between its top and top + tau), reaching across the box."""
    from gflab.experiments.learnability.hierarchical import curve_samples
    from gflab.problems.hierarchical import hierarchical

    model = hierarchical(2, m=4)
    points = curve_samples(model, 2.0)
    level = model.levels[1]
    across = points[points[:, 0] > 1.0]
    for i in range(level.m):
        top = 1.0 - i * level.spacing
        assert np.any((across[:, 1] > top) & (across[:, 1] < top + level.offset))


def test_learnability_runs_the_hierarchical_model_in_its_adiabatic_limit() -> None:
    """model=hierarchical: targets in [0, 1]^d, learned means within delta_N, the verdict map
    is a slice through the box with the gaps drawn; zoo-only and flow settings are refused."""
    exp = get_experiment("learnability")
    spec = exp.validate({"model": "hierarchical", "d": 2, "n_targets": 8, "grid": 3})
    assert spec.dynamics == "adiabatic"
    result = exp.run(spec)
    metrics, table = result.metrics, result.table
    assert set(result.figures) == {"final_distance", "verdict_map"}
    assert table[["f0", "f1"]].to_numpy().min() >= 0.0 and table[["f0", "f1"]].to_numpy().max() <= 1.0
    learned = (table["verdict"] == "learned").to_numpy()
    assert np.all(table["distance"].to_numpy()[learned] < metrics["delta_N"])
    assert metrics["fractions"]["learned"]["count"] >= 6  # 96% measured on 2048 targets
    assert sum(v["count"] for v in metrics["grid_fractions"].values()) == 9
    for params, field in [
        ({"model": "hierarchical", "dynamics": "flow"}, "dynamics"),
        ({"model": "trig", "d": 3, "dynamics": "adiabatic"}, "dynamics"),
        ({"model": "trig", "d": 3, "eps": 0.1}, "eps"),
        ({"model": "hierarchical", "d": 6}, "d"),
        ({"model": "hierarchical", "d": 3, "n_stages": 4}, "n_stages"),
        ({"model": "hierarchical", "box": 2.0}, "targets"),
    ]:
        with pytest.raises(BadInput) as info:
            exp.validate(params)
        assert info.value.field == f"learnability.{field}"


def test_zoo_at_resolution_counts_a_target_learned_within_delta() -> None:
    """The linear control (W = d) reaches every target, so it learns all of them at any
    accuracy; the sin-curve (W = 1 < d) learns almost none at delta = 1e-3."""
    from gflab.experiments.learnability.hierarchical import zoo_at_resolution

    targets = np.random.default_rng(0).uniform(size=(64, 3))
    rows = zoo_at_resolution(("linear", "sin-curve"), targets, 1e-3, seed=0, progress=False)
    assert rows["linear"]["W"] == 3 and rows["linear"]["fractions"]["learned"]["fraction"] == 1.0
    assert rows["sin-curve"]["W"] == 1 and rows["sin-curve"]["fractions"]["learned"]["fraction"] < 0.1
