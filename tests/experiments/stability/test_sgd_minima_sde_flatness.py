"""The minima SGD selects and the SDE drift to flat minima, at small sizes."""

from __future__ import annotations

import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment


def _run(name: str, params: dict) -> dict:  # type: ignore[type-arg]
    e = get_experiment(name)
    return e.run(e.validate(params)).metrics  # type: ignore[no-any-return]


def test_batch_larger_than_the_data_is_bad_input() -> None:
    with pytest.raises(BadInput, match="batch_sizes"):
        get_experiment("sgd-minima").validate({"n_samples": 8, "batch_sizes": [16]})


@pytest.mark.slow
def test_sgd_minima_are_flat_enough_for_the_step() -> None:
    """Every minimum SGD reaches is stable in the mean, E[theta_{k+1}] = (I - eta H) E[theta_k],
    so its sharpness is at most 2/eta (Wu, Ma & E 2018)."""
    m = _run(
        "sgd-minima",
        {
            "n_samples": 6,
            "d": 3,
            "width": 16,
            "batch_sizes": [2, 6],
            "seeds": 2,
            "steps": 4000,
            "eta": 0.5,
            "matvecs": 10,
            "tol": 1e-6,
        },
    )
    assert sum(m["reached"].values()) >= 2
    assert m["max_sharpness_ratio"] <= 1.05


@pytest.mark.slow
def test_sde_flatness_small_drifts_as_the_quasi_static_flow() -> None:
    """x drifts to flatter minima as the quasi-static flow predicts (within 4 standard errors of
    the mean over paths); y is at its equilibrium eta sigma^2 / 4 (within sampling and the
    Euler-Maruyama bias ~ h dt)."""
    m = _run("sde-flatness", {"etas": [0.05], "paths": 400, "t1": 10.0, "dt": 0.005, "save_points": 5})
    row = m["drift"][0]
    assert abs(row["measured_displacement"] - row["predicted_displacement"]) <= 4 * row["standard_error"]
    assert row["y2_measured"] == pytest.approx(row["y2_predicted"], rel=0.15)
