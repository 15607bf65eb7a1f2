"""The minima SGD selects and the SDE drift to flat minima, at small sizes."""

from __future__ import annotations

import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment


def _run(name: str, params: dict) -> dict:  # type: ignore[type-arg]
    e = get_experiment(name)
    return e.run(e.validate(params)).metrics  # type: ignore[no-any-return]


def test_sgd_minima_small() -> None:
    m = _run("sgd-minima", {"n": 8, "width": 8, "batch_sizes": [4, 8], "seeds": 2, "steps": 3000, "eta": 0.1, "matvecs": 10})
    assert set(m["reached"]) == {"4", "8"}
    if m["max_sharpness_ratio"] is not None:
        assert m["max_sharpness_ratio"] > 0 and m["max_mean_square_radius"] > 0
    with pytest.raises(BadInput, match="batch_sizes"):
        _run("sgd-minima", {"n": 8, "batch_sizes": [16]})


def test_sde_flatness_small_drifts_to_flatter_minima() -> None:
    m = _run("sde-flatness", {"etas": [0.05], "paths": 400, "t1": 10.0, "dt": 0.005, "save_points": 5})
    row = m["drift"][0]
    assert row["predicted_displacement"] < 0 and row["measured_displacement"] < 0
    assert row["y2_measured"] == pytest.approx(row["y2_predicted"], rel=0.15)
