"""Momentum sign: U(1) at a fixed effective rate, and the grid search at a tiny size."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.theory.sgd_moments import u_at_one


@settings(max_examples=30, deadline=None)
@given(effective=st.floats(0.05, 0.6), batch=st.integers(1, 8), betas=st.tuples(st.floats(-0.9, 0.9), st.floats(-0.9, 0.9)))
def test_u_at_one_decreases_with_momentum_at_fixed_effective_rate(
    effective: float, batch: int, betas: tuple[float, float]
) -> None:
    lam = np.arange(1, 40, dtype=float) ** -1.5
    low, high = sorted(betas)
    u_low, u_high = (u_at_one(lam, effective * (1 - b), b, batch) for b in (low, high))
    assert u_high <= u_low * (1 + 1e-12) or not np.isfinite(u_low)


def test_batch_of_zero_is_refused() -> None:
    with pytest.raises(BadInput, match=r"momentum-sign\.batch_size"):
        get_experiment("momentum-sign").validate({"batch_size": 0})


@pytest.mark.slow
def test_grid_search_at_tiny_size() -> None:
    e = get_experiment("momentum-sign")
    m = e.run(e.validate({"n_modes": 50, "steps": 100, "runs": 200, "alphas": 8, "refine": 5, "momentum_step": 0.3})).metrics
    assert -0.95 <= m["best_momentum"] <= 0.95
    assert m["best_loss"] <= m["zero_momentum_loss"]
    assert m["monte_carlo"]["max_abs_z"] < 4
