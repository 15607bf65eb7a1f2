"""The family's experiments at small sizes: the metrics their claims read, and their figures."""

from __future__ import annotations

import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.experiments.online_sgd.claims import CLAIMS


@pytest.mark.slow
@pytest.mark.parametrize("simulation", ["network", "chain"])
def test_overlap_ode_small_run_tracks_the_ode(simulation: str) -> None:
    """erf, d = 64 .. 256, 8 seeds, t <= 1, the d-dimensional network or its overlap chain: the
    runs' mean is near the ODE (|z| < 5) and the distance falls with d."""
    exp = get_experiment("overlap-ode")
    params = {"ds": [64, 256], "t1": 1.0, "seeds": 8, "save_points": 3, "simulation": simulation}
    result = exp.run(exp.validate(params))
    m = result.metrics
    assert m["ode_verdict"] == "undecided" and m["max_z"] < 5
    assert m["distance"]["256"] < m["distance"]["64"]
    assert -1.0 < m["exponent"] < 0.0
    assert "overlaps" in result.figures
    for claim in CLAIMS:
        if claim.experiment == "overlap-ode":
            assert claim.evaluate(m)["verdict"] in ("pass", "fail")


@pytest.mark.slow
def test_plateau_k2_matches_its_closed_form_and_linearisation() -> None:
    exp = get_experiment("plateau")
    result = exp.run(exp.validate({"Ks": [2], "deltas": [1e-3, 1e-5, 1e-7], "etas": [0.5]}))
    m = result.metrics
    assert m["max_fixed_point_error"] < 1e-8
    assert m["max_slope_error"] < 0.01
    assert m["min_plateau_rise"] > 0
    k2 = m["K"]["2"]
    assert np.isclose(k2["eps_closed"], 1 / 3 - 4 / np.pi * np.arcsin(0.25))
    assert k2["escaped"] == 3 and k2["generic_time_near_plateau"] > 0


@pytest.mark.slow
def test_weight_decay_tells_the_step_from_the_pitfall() -> None:
    """kappa = 2, eta = 0.5: the ODE with rate eta kappa tracks the runs, the one with rate kappa
    does not."""
    exp = get_experiment("weight-decay")
    result = exp.run(exp.validate({"ds": [64, 256], "t1": 1.0, "seeds": 8, "save_points": 3, "weight_decay": 2.0}))
    m = result.metrics
    assert m["max_z"] < 5 < m["max_z_pitfall"]


def test_costs_grow_with_the_work_and_the_chain_is_independent_of_d() -> None:
    """The cost models: more seeds or time cost more; the network's cost grows with d (like d^2
    per unit time, less the fixed start-up), the chain's like d (its steps) only."""
    exp = get_experiment("overlap-ode")
    small, large = (exp.validate({"ds": [64, ds], "t1": 1.0}).cost() for ds in (1024, 4096))
    assert small.minutes is not None and large.minutes is not None and large.minutes > 3 * small.minutes
    chains = [exp.validate({"ds": [64, ds], "t1": 1.0, "simulation": "chain"}).cost().minutes for ds in (1024, 4096)]
    assert chains[0] is not None and chains[1] is not None and chains[1] < 5 * chains[0]
    for name in ("batch-size", "batch-reuse", "plateau", "weight-decay"):
        e = get_experiment(name)
        assert e.validate({}).cost().minutes > 0  # type: ignore[operator]
    bs = get_experiment("batch-size")
    assert bs.validate({"seeds": 32}).cost().minutes < bs.validate({"seeds": 64}).cost().minutes  # type: ignore[operator]


def test_chain_simulation_needs_room_for_the_complement() -> None:
    with pytest.raises(BadInput, match=r"overlap-ode\.ds"):
        get_experiment("overlap-ode").validate({"ds": [8, 64], "K": 4, "M": 4, "simulation": "chain"})
