"""gflab.fastmath.sincos against numpy's sin and cos."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gflab.fastmath import sincos

ULP = 2.0**-52  # one unit in the last place of 1


@settings(max_examples=50, deadline=None)
@given(x=arrays(np.float64, 64, elements=st.floats(-1e10, 1e10)))  # one shape: sincos compiles once
def test_sincos_matches_numpy_to_two_ulp(x: np.ndarray) -> None:
    sin, cos = sincos(jnp.asarray(x))
    np.testing.assert_array_less(np.abs(np.asarray(sin) - np.sin(x)), 2 * ULP)
    np.testing.assert_array_less(np.abs(np.asarray(cos) - np.cos(x)), 2 * ULP)


def test_sincos_on_a_dense_grid_and_at_the_quadrant_edges() -> None:
    x = np.concatenate([np.linspace(-50, 50, 200_001), np.arange(-8, 9) * np.pi / 4, [0.0, -0.0, 1e-300]])
    sin, cos = (np.asarray(v) for v in sincos(jnp.asarray(x)))
    assert np.abs(sin - np.sin(x)).max() <= 2 * ULP
    assert np.abs(cos - np.cos(x)).max() <= 2 * ULP
    np.testing.assert_allclose(sin**2 + cos**2, 1.0, atol=4 * ULP)


def test_sincos_of_non_finite_is_nan() -> None:
    sin, cos = sincos(jnp.asarray([np.inf, -np.inf, np.nan]))
    assert np.isnan(np.asarray(sin)).all() and np.isnan(np.asarray(cos)).all()
