"""The genuine gradient flow of Theorem 6's map (experiment ``hierarchical-flow``): its bad
input refused before any compute, its error scale, and its tracking of the adiabatic branch."""

from __future__ import annotations

import pytest

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.experiments.learnability.hierarchical_flow import UnitTolerance, fast_branch
from gflab.problems.curves import CurveFit
from gflab.problems.hierarchical import hierarchical

jax_module()
import jax.numpy as jnp  # noqa: E402


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lam": 0.0}, "lam"),
        ({"lam": -3.0}, "lam"),
        ({"lambdas": [30.0, -1.0]}, "lambdas"),
        ({"n_targets": 8, "lambdas": [30.0], "sweep_targets": 16}, "sweep_targets"),
        ({"d": 6}, "d"),
        ({"m": 1}, "m"),
        ({"unit_tol": 0.0}, "unit_tol"),
    ],
)
def test_bad_input_is_refused_naming_its_field(params: dict[str, object], field: str) -> None:
    with pytest.raises(BadInput) as info:
        get_experiment("hierarchical-flow").validate(params)
    assert info.value.field.endswith(field)


@pytest.mark.slow
def test_in_stage_zero_the_flow_tracks_its_branch_closer_at_larger_lambda() -> None:
    """d = 2 (the smallest program to compile), 300 solver steps (stage 0: u ~ 0.2): the flow
    stays within a small distance of the nearest-point branch at the same u, and that distance
    shrinks as lambda grows (Tikhonov: ~1/lambda^2 where the branch is smooth; measured 7.1e-5
    at lambda = 30, 9.5e-6 at 100, fitted exponent -1.7)."""
    exp = get_experiment("hierarchical-flow")
    spec = exp.validate(
        {
            "d": 2,
            "n_targets": 2,
            "max_steps": 300,
            "lam": 100.0,
            "lambdas": [30.0],
            "sweep_targets": 2,
            "compare": False,
            "n_show": 1,
            "slots": 2,
        }
    )
    result = exp.run(spec)
    rows = {row["lambda"]: row["tracking_gap_median"] for row in result.metrics["by_lambda"]}
    assert rows[100.0] < 1e-3
    assert rows[100.0] < rows[30.0] / 3  # lambda^2 ratio: 11
    assert -3.0 < result.metrics["tracking_exponent"] < -1.0
    assert set(result.figures) == {"flows", "by_lambda"}


def test_the_tolerance_on_v_is_zero_outside_the_curve_s_interval() -> None:
    """Beyond sigma in [0, 1] the map is constant (the flow would stop there): the error scale
    on v is zero, so any step that leaves the interval is refused; inside it is positive and
    finer on a deeper level."""
    model = hierarchical(3, m=150)
    lam = 100.0
    problem = CurveFit(model=model.two_timescale(lam), target=jnp.full(3, 0.5))
    tolerance = UnitTolerance(rtol=1e-4, atol_u=1e-6, unit_tol=1e-3)
    root, first, _ = model.levels
    level1 = float(root.flank_sigma(0, 0.5))  # on the root's flank, in level 1's box
    scales = {
        sigma: float(tolerance(problem, jnp.asarray([1.0, (sigma - model.sigma0) / lam]))[1])
        for sigma in (-0.01, 1.01, model.sigma0, level1, float(root.flank_sigma(0, first.flank_sigma(7, 0.5))))
    }
    values = list(scales.values())
    assert values[0] == 0.0 and values[1] == 0.0
    assert values[2] > values[3] > values[4] > 0.0


def test_the_fast_branch_relaxes_sigma_at_fixed_u_where_asked_and_nowhere_else() -> None:
    """``fast_relax`` of the flow: where ``go`` it moves sigma only, to a point of lower L where
    dL/dsigma vanishes (a rest point of the fast subsystem); elsewhere w is returned bit for bit."""
    model = hierarchical(2, m=40)
    lam = 100.0
    problem = CurveFit(model=model.two_timescale(lam), target=jnp.asarray([0.3, 0.6]))
    relax = fast_branch(model)
    w = jnp.asarray([0.3, 0.0005])  # stage 0, sigma 0.05 past sigma_0 (its rest point ~0.7 away)
    kept = relax(problem, w, jnp.asarray(False))
    assert bool(jnp.all(kept == w))
    moved = relax(problem, w, jnp.asarray(True))
    assert float(moved[0]) == float(w[0]) and float(moved[1]) != float(w[1])
    assert float(problem.loss(moved)) < float(problem.loss(w))
    slope = float(problem.gradient(moved)[1]) / lam  # dL/dsigma
    assert abs(slope) < 1e-8 * abs(float(problem.gradient(w)[1]) / lam)
