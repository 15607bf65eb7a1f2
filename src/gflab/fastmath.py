"""sin and cos of one float64 argument together, vectorised: the ensembles' trig models.

Why by hand: XLA's CPU backend evaluates float64 ``sin`` and ``cos`` element by element
(6-7 ns each on this machine, no SIMD), and the random trig model's gradient needs both of
the same arguments at every Runge-Kutta stage. This evaluates them with one shared range
reduction and two short polynomials, which XLA fuses and vectorises: 0.7 ns per element
for the pair, and the 10^4-target ensemble of ``bench/ensemble_flow.py`` runs 1.5x faster.
No JAX library offers a vectorised float64 sincos.

The method is the classical one (Cody & Waite 1980; Sun's fdlibm ``__kernel_sin`` and
``__kernel_cos``):

    n = round(2x / pi),   r = x - n pi/2   (pi/2 in three parts, so n * part is exact),
    sin r = r + r^3 S(r^2),   cos r = 1 - r^2 / 2 + r^4 C(r^2)   on |r| <= pi/4,

then the quadrant n mod 4 swaps and negates the pair. The first two parts of pi/2 carry 23
and 21 bits (Moshier's Cephes ``sin.c`` values, doubled), so n * part is exact and the
reduction loses nothing for |x| < 2^30 pi/2 (1.7e9). Against numpy the error measured at
most 1 ulp of 1 up to |x| = 1e10; ``tests/test_fastmath.py`` holds it to 2 ulp. The engine calls a
trajectory diverged long before (|w| > 1e8 by default).
"""

from __future__ import annotations

import numpy as np

from gflab._jax import jax_module

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

# pi/2 = PIO2_1 + PIO2_2 + PIO2_3, each with a short mantissa (Cephes DP1-DP3 times 2).
PIO2_1 = 2 * 7.85398125648498535156e-1
PIO2_2 = 2 * 3.77489470793079817668e-8
PIO2_3 = 2 * 2.69515142907905952645e-15
# fdlibm's minimax coefficients on [-pi/4, pi/4]: sin r = r + r^3 S(r^2), cos r = 1 - r^2/2 + r^4 C(r^2).
SIN_COEFFICIENTS = (
    -1.66666666666666324348e-01,
    8.33333333332248946124e-03,
    -1.98412698298579493134e-04,
    2.75573137070700676789e-06,
    -2.50507602534068634195e-08,
    1.58969099521155010221e-10,
)
COS_COEFFICIENTS = (
    4.16666666666666019037e-02,
    -1.38888888888741095749e-03,
    2.48015872894767294178e-05,
    -2.75573143513906633035e-07,
    2.08757232129817482790e-09,
    -1.13596475577881948265e-11,
)


def _horner(z: jax.Array, coefficients: tuple[float, ...]) -> jax.Array:
    acc = jnp.full_like(z, coefficients[-1])
    for c in coefficients[-2::-1]:
        acc = c + z * acc
    return acc


@jax.jit  # traced once per shape: the ensembles call it in every Runge-Kutta stage
def sincos(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(sin x, cos x)`` elementwise for float64 ``x`` (see the module docstring)."""
    n = jnp.round(x * (2 / np.pi))
    r = ((x - n * PIO2_1) - n * PIO2_2) - n * PIO2_3
    z = r * r
    s = r + r * z * _horner(z, SIN_COEFFICIENTS)
    c = 1.0 - 0.5 * z + z * z * _horner(z, COS_COEFFICIENTS)
    quadrant = n.astype(jnp.int64) & 3
    odd = (quadrant & 1) == 1
    sin, cos = jnp.where(odd, c, s), jnp.where(odd, s, c)
    return jnp.where(quadrant >= 2, -sin, sin), jnp.where((quadrant == 1) | (quadrant == 2), -cos, cos)
