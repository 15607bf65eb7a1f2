"""The subspace experiments at small sizes, their measurements against Bietti, Bruna &
Pillaud-Vivien 2023 and the plateau predictions of :mod:`gflab.theory.subspace`."""

from __future__ import annotations

import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.experiments.base import Result


def run(name: str, **params: object) -> Result:
    experiment = get_experiment(name)
    return experiment.run(experiment.validate(params))


@pytest.mark.slow
def test_two_timescale_small() -> None:
    """Every run reaches the global minimum, the plateaus end in the predicted order, and each
    plateau's fitted escape scaling has the derived one (log(d) / 4) inside its interval."""
    result = run("two-timescale", link="staircase", d_values=[16, 64, 256], seeds=12, save_points=200)
    m = result.metrics
    assert m["global"]["fraction"] == 1.0
    assert m["min_in_predicted_order"] == 1.0
    for plateau in m["plateaus"].values():
        assert plateau["fit"]["low"] <= plateau["predicted"] <= plateau["fit"]["high"]


@pytest.mark.slow
def test_planted_small_finds_the_predicted_trap() -> None:
    """Some random starts of the planted flow are trapped, every one at the derived spurious
    minimum (planted loss 7/4); the two-timescale flow from the same starts is never trapped."""
    result = run("planted", link="staircase", d=16, seeds=300, t1_planted=3e3)
    m = result.metrics
    assert m["two_timescale_global"]["fraction"] == 1.0
    assert m["planted"]["trapped"]["low"] > 0.0
    assert set(m["trapped_loss_values"]) == {"1.75"}
    assert m["planted"]["undecided"]["count"] == m["planted"]["diverged"]["count"] == 0


def test_unknown_link_is_bad_input() -> None:
    with pytest.raises(BadInput, match="link"):
        get_experiment("planted").validate({"link": "spiral"})
