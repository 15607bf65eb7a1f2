"""Verdict classification and Wilson intervals (closed forms, Monte-Carlo coverage)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gflab.measure import classify, verdict_fractions, wilson_interval
from gflab.results import StopReason


def test_classify_each_verdict() -> None:
    loss = np.array([1e-9, 0.3, 0.3, 0.3, np.nan])
    grad = np.array([1e-3, 1e-7, 1e-2, 1e-2, 1.0])
    reason = np.array(
        [StopReason.REACHED_T1, StopReason.GRAD_BELOW_GTOL, StopReason.REACHED_T1, StopReason.DIVERGED, StopReason.REACHED_T1]
    )
    codes = classify(loss, grad, reason, tol=1e-6, gtol=1e-5)
    assert codes.tolist() == [0, 1, 2, 3, 3]


def test_wilson_known_values() -> None:
    # z = 1.96: k = 0 of n = 10 gives [0, z^2 / (n + z^2)] = [0, 0.2775]
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(1.959963984540054**2 / (10 + 1.959963984540054**2), rel=1e-12)
    low, high = wilson_interval(50, 100)
    assert (low + high) / 2 == pytest.approx(0.5)
    assert high - 0.5 == pytest.approx(0.0961, abs=2e-4)


@given(n=st.integers(1, 10_000), data=st.data())
def test_wilson_contains_the_estimate_and_stays_in_unit_interval(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_wilson_coverage_by_monte_carlo() -> None:
    rng = np.random.default_rng(0)
    p, n = 0.07, 200
    hits = rng.binomial(n, p, size=4000)
    covered = np.mean([low <= p <= high for low, high in (wilson_interval(int(k), n) for k in hits)])
    assert 0.93 <= covered <= 0.97


def test_fractions_sum_to_one() -> None:
    fractions = verdict_fractions(np.array([0, 1, 1, 2, 3, 1]))
    assert sum(f["fraction"] for f in fractions.values()) == pytest.approx(1.0)
    assert fractions["trapped"]["count"] == 3
