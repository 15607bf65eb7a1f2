"""SGD stability on 1-D quadratic families: exact factors against sampling, and the boundary."""

from __future__ import annotations

import numpy as np
import pytest

from gflab.experiments import get_experiment
from gflab.theory.stability import sgd_critical_step, sgd_second_moment_factor


@pytest.mark.parametrize("scheme", ["with-replacement", "without-replacement", "reshuffling"])
def test_second_moment_factor_by_direct_sampling(scheme: str) -> None:
    rng = np.random.default_rng(0)
    a = np.array([0.3, 0.7, 1.1, 1.9])
    eta, b, reps = 0.8, 2, 200_000
    if scheme == "with-replacement":
        draws = (1 - eta * a[rng.integers(0, 4, (reps, b))].mean(axis=1)) ** 2
    elif scheme == "without-replacement":
        draws = (1 - eta * a[np.argsort(rng.random((reps, 4)), axis=1)[:, :b]].mean(axis=1)) ** 2
    else:
        order = a[np.argsort(rng.random((reps, 4)), axis=1)]
        draws = np.prod((1 - eta * order.reshape(reps, 2, 2).mean(axis=2)) ** 2, axis=1)
    assert abs(draws.mean() - sgd_second_moment_factor(a, eta, b, scheme)) < 5 * draws.std() / np.sqrt(reps)


def test_iid_boundaries_in_closed_form_and_full_batch() -> None:
    a = np.array([0.5, 1.5])
    var = 0.25
    assert sgd_critical_step(a, 1, "with-replacement") == pytest.approx(2 / (1 + var))
    for scheme in ("without-replacement", "reshuffling"):
        assert sgd_critical_step(a, 2, scheme) == pytest.approx(2.0)  # B = n: gradient descent


def test_measured_boundary_small() -> None:
    e = get_experiment("sgd-stability")
    result = e.run(e.validate({"n": 4, "batch_sizes": [1, 2], "paths": 20_000, "grid": 12}))
    for scheme, error in result.metrics["max_relative_error"].items():
        assert error < 0.03, scheme
