"""C^2 blends for hand-built curves (the hierarchical model's parametrisation): a quintic
smoothstep, a ramp with rounded corners, and a lead-in/out whose speed joins two values
with zero acceleration. Hand-written: no library builds such blends."""

from __future__ import annotations

import math

from gflab._jax import jax_module

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def smoothstep(x: jax.Array) -> jax.Array:
    """S(x) = 10x^3 - 15x^4 + 6x^5 on [0, 1], clipped outside: C^2, S' and S'' vanish at 0 and 1."""
    x = jnp.clip(x, 0.0, 1.0)
    return x * x * x * (10.0 + x * (6.0 * x - 15.0))


def rounded_ramp(x: jax.Array, length: float, rounding: float) -> jax.Array:
    """0 -> 1 over [0, length]: straight, with both corners rounded over ``rounding`` (the
    slope rises as a cubic smoothstep, stays flat, falls the same way); C^2, zero slope
    and curvature at both ends."""
    x = jnp.clip(x, 0.0, length)
    e = rounding

    def corner(y: jax.Array) -> jax.Array:  # integral of the cubic smoothstep: y^3/e^2 - y^4/(2 e^3)
        return y**3 / e**2 - y**4 / (2 * e**3)

    head = corner(x)
    middle = x - e / 2
    tail = length - e - corner(length - x)
    return jnp.where(x < e, head, jnp.where(x > length - e, tail, middle)) / (length - e)


def lead(y: jax.Array, v0: float, v1: float, length: float) -> jax.Array:
    """Integral over [0, y] (y in [0, 1]) of a speed going from v0 to v1 (cos^2/sin^2
    blend) plus a sin^2 bump sized so that the total is ``length``."""
    y = jnp.clip(y, 0.0, 1.0)
    bump = 2.0 * length - v0 - v1
    c1 = jnp.sin(math.pi * y) / (2 * math.pi)
    return v0 * (y / 2 + c1) + v1 * (y / 2 - c1) + bump * (y / 2 - jnp.sin(2 * math.pi * y) / (4 * math.pi))
