"""The local length scale of the hierarchical curve's parameter: how long, in sigma, one unit
(one child) of the deepest level holding sigma is.

Level n's segments are the flanks of level n - 1's tooth regions, (1 - THETA) SHARE of a unit
of it, so a unit of level n spans ~ prod_{j < n} (1 - THETA) SHARE unit_j of sigma: at m = 150,
2.9e-3 at level 1 and 9e-6 at level 2 (Yarotsky 2024, "Learnability of high-dimensional
targets by two-parameter models and gradient flow", the construction of Theorem 6 made finite
in :mod:`gflab.problems.hierarchical`). A tolerance on sigma proportional to this length is a
tolerance in a parameter whose units are of order one at every level: what an error control
of the gradient flow needs where a fixed tolerance on sigma is either far too loose at the
deepest level or far too tight at the root.
"""

from __future__ import annotations

from itertools import pairwise

from gflab._jax import jax_module
from gflab.problems.hierarchical_levels import Level

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def unit_length(levels: tuple[Level, ...], sigma: jax.Array) -> jax.Array:
    """Sigma length of one unit of the deepest level whose box holds sigma: level 0's unit,
    then, while sigma lies on a tooth's flank, the next level's unit scaled by the flank's
    share d sigma / d s' = 1 / prod of the flank rates above it."""
    s = jnp.clip(sigma, 0.0, 1.0)
    length = jnp.full_like(s, levels[0].unit)
    size = jnp.ones_like(s)  # d sigma / d s of the current level
    on = jnp.ones_like(s, dtype=bool)
    for level, deeper in pairwise(levels):
        _, _, on_flank, s_next = level.tooth_coordinates(s)
        on = on & on_flank
        size = size / level.flank_rate()
        length = jnp.where(on, deeper.unit * size, length)
        s = s_next
    return length
