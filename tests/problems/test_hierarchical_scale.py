"""The local unit length of the hierarchical curve's parameter, against the curve itself: one
unit of sigma at the deepest level holding it moves the running coordinate by one child
spacing."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab._jax import jax_module
from gflab.problems.hierarchical import hierarchical
from gflab.problems.hierarchical_levels import LEAD, deepest_unit
from gflab.problems.hierarchical_scale import unit_length

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

MODEL = hierarchical(3, m=150)
CURVE = jax.jit(MODEL.curve)


def level2_sigma(j1: int, j2: int, s: float) -> float:
    """sigma at s in [0, 1] of level 2's box that lies on tooth j1's flank of level 1,
    within unit j2 of that box (the root has one tooth)."""
    root, first, second = MODEL.levels
    return float(root.flank_sigma(0, first.flank_sigma(j1, LEAD + second.unit * (j2 + s))))


@settings(max_examples=6, deadline=None)
@given(j1=st.integers(0, 149), j2=st.integers(0, 148), s=st.floats(0.0, 1.0))
def test_one_deepest_unit_of_sigma_advances_the_running_coordinate_by_one_spacing(j1: int, j2: int, s: float) -> None:
    """At u = 2 (stage 1's teeth grown, stage 2 not begun) level 2's segment runs along x_2,
    and its units repeat: x_2(sigma + L) - x_2(sigma) = -spacing, L = unit_length(sigma)."""
    sigma = level2_sigma(j1, j2, s)
    length = float(unit_length(MODEL.levels, jnp.asarray(sigma)))
    assert np.isclose(length, deepest_unit(MODEL.levels), rtol=1e-12)
    u = jnp.asarray(2.0)
    step = CURVE(u, jnp.asarray(sigma + length)) - CURVE(u, jnp.asarray(sigma))
    assert np.isclose(float(step[2]), -MODEL.levels[2].spacing, rtol=1e-6)


def test_on_the_root_segment_the_unit_is_the_root_s() -> None:
    root = MODEL.levels[0]
    assert float(unit_length(MODEL.levels, jnp.asarray(MODEL.sigma0))) == root.unit
