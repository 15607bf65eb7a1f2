"""Hitting times and power-law fits on series with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab.measure.fits import fit_statistic
from gflab.measure.timing import hitting_time


@settings(max_examples=30, deadline=None)
@given(st.floats(0.1, 9.9), st.floats(0.5, 3.0))
def test_hitting_time_of_a_linear_series_is_exact(level: float, slope: float) -> None:
    ts = np.linspace(0.0, 10.0, 41)
    values = np.stack([slope * ts, -ts])
    times = hitting_time(ts, values, level * slope)
    assert times[0] == pytest.approx(level, rel=1e-12)
    assert times[1] == np.inf


def test_hitting_time_at_the_first_save() -> None:
    assert hitting_time(np.array([0.0, 1.0]), np.array([2.0, 3.0]), 1.0) == 0.0


def test_power_law_recovers_its_exponent() -> None:
    rng = np.random.default_rng(0)
    x = np.array([64, 128, 256, 512, 1024])
    samples = [xi**0.75 * rng.lognormal(0.0, 0.3, 400) for xi in x]
    fit = fit_statistic(x, samples, np.median)
    assert fit.slope == pytest.approx(0.75, abs=0.03)
    assert fit.low < 0.75 < fit.high


def test_log_law_recovers_its_slope() -> None:
    rng = np.random.default_rng(1)
    x = np.array([32, 64, 128, 256, 512])
    samples = [0.25 * np.log(xi) + 1.0 + rng.normal(0.0, 0.05, 400) for xi in x]
    fit = fit_statistic(x, samples, np.median, law="log")
    assert fit.slope == pytest.approx(0.25, abs=0.01)
    assert fit.low < 0.25 < fit.high


def test_power_law_rejects_infinite_statistics() -> None:
    with pytest.raises(ValueError, match="finite"):
        fit_statistic([1, 2], [np.array([np.inf, np.inf, 1.0]), np.array([1.0])], np.median)
