"""The seed-000 experiments on small sizes: the theory's qualitative predictions hold."""

from __future__ import annotations

import numpy as np

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
