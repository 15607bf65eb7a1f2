"""The autoencoder beyond the isotropic population: the training floor and the half-way time of the limit."""

from __future__ import annotations

import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.theory import autoencoder as theory


@pytest.mark.parametrize("ratio", [0.5, 4.0])
def test_training_floor_against_sample_spectra(ratio: float) -> None:
    """1/2 sum_(k > m) of the sample covariance's eigenvalues / d, averaged over draws, is the MP floor."""
    d, gamma, draws = 120, 0.25, 20
    m, n = round(gamma * d), round(ratio * d)
    rng = np.random.default_rng(0)
    floors = []
    for _ in range(draws):
        x = rng.normal(size=(n, d))
        floors.append(0.5 * np.sort(np.linalg.eigvalsh(x.T @ x / n))[: d - m].sum() / d)
    assert np.mean(floors) == pytest.approx(theory.sample_training_floor(gamma, ratio), rel=0.01)
    assert theory.sample_training_floor(0.75, 0.5) == 0.0  # m >= n: the sample is reproduced exactly


def test_limit_half_way_time_reduces_to_the_small_init_formula() -> None:
    for gamma in (0.1, 1.0):
        assert theory.limit_half_way_time(gamma, 1e-5) == pytest.approx(theory.half_way_time(1e-5, gamma), rel=1e-4)


def test_bad_input_is_refused() -> None:
    e = get_experiment("autoencoder-regimes")
    with pytest.raises(BadInput, match="sample_ratios"):
        e.validate({"d": 10, "sample_ratios": [0.01]})
    with pytest.raises(BadInput, match="scales"):
        e.validate({"scales": [20.0]})


@pytest.mark.slow
def test_experiment_small() -> None:
    e = get_experiment("autoencoder-regimes")
    result = e.run(e.validate({"d": 40, "sample_ratios": [0.5, 4.0], "scales": [0.3], "t1": 8.0}))
    floor = result.metrics["training_floor"]
    assert floor["max_relative_error_to_the_sample"] < 0.01  # the flow ends at the sample's top-m projection
    assert set(result.figures) == {"loss_curves", "regime_map"}
