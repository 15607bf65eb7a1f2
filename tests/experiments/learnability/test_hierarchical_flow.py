"""The genuine gradient flow of Theorem 6's map (experiment ``hierarchical-flow``): its bad
input refused before any compute, and its tracking of the adiabatic branch."""

from __future__ import annotations

import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lam": 0.0}, "lam"),
        ({"lam": -3.0}, "lam"),
        ({"lambdas": [30.0, -1.0]}, "lambdas"),
        ({"n_targets": 8, "lambdas": [30.0], "sweep_targets": 16}, "sweep_targets"),
        ({"d": 6}, "d"),
        ({"m": 1}, "m"),
        ({"atol_v": 0.0}, "atol_v"),
    ],
)
def test_bad_input_is_refused_naming_its_field(params: dict[str, object], field: str) -> None:
    with pytest.raises(BadInput) as info:
        get_experiment("hierarchical-flow").validate(params)
    assert info.value.field.endswith(field)


@pytest.mark.slow
def test_in_stage_zero_the_flow_tracks_its_branch_closer_at_larger_lambda() -> None:
    """300 solver steps (stage 0: u ~ 0.2): the flow stays within a small distance of the
    nearest-point branch at the same u, and that distance shrinks as lambda grows (Tikhonov:
    ~1/lambda^2 where the branch is smooth; measured 5.0e-4 at lambda = 30, 5.7e-5 at 100)."""
    exp = get_experiment("hierarchical-flow")
    spec = exp.validate(
        {"n_targets": 3, "max_steps": 300, "lam": 100.0, "lambdas": [30.0], "sweep_targets": 2, "compare": False, "n_show": 1}
    )
    result = exp.run(spec)
    rows = {row["lambda"]: row["tracking_gap_median"] for row in result.metrics["by_lambda"]}
    assert rows[100.0] < 1e-3
    assert rows[100.0] < rows[30.0] / 3  # lambda^2 ratio: 11
    assert -3.0 < result.metrics["tracking_exponent"] < -1.0
    assert set(result.figures) == {"flows", "by_lambda"}
