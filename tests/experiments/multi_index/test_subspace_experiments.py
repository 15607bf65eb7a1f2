"""The seed-003 experiments at small sizes."""

from __future__ import annotations

import numpy as np
import pytest

from gflab.experiments import get_experiment


def run(name: str, **params):  # type: ignore[no-untyped-def]
    experiment = get_experiment(name)
    return experiment.run(experiment.validate(params))


def test_two_timescale_small() -> None:
    result = run("two-timescale", link="staircase", d_values=[16, 64, 256], seeds=12, save_points=200)
    m = result.metrics
    assert m["global"]["fraction"] == 1.0
    assert set(m["plateaus"]) == {"1", "2"}
    assert all(p["predicted"] == 0.25 and p["scaling"] == "slope in log d" for p in m["plateaus"].values())
    assert np.all(result.table["final_distance"] < 1e-3)
    assert "plateaus" in result.figures


def test_planted_small_finds_the_predicted_trap() -> None:
    result = run("planted", link="staircase", d=16, seeds=300, t1_planted=3e3)
    m = result.metrics
    assert m["two_timescale_global"]["fraction"] == 1.0
    # every trapped run sits at the derived spurious minimum, planted loss 7/4
    assert set(m["trapped_loss_values"]) <= {"1.75"}
    assert m["planted"]["learned"]["count"] + m["planted"]["trapped"]["count"] == 300


def test_unknown_link_is_bad_input() -> None:
    from gflab.errors import BadInput

    with pytest.raises(BadInput, match="link"):
        get_experiment("planted").validate({"link": "spiral"})
