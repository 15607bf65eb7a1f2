"""One explicit Runge-Kutta step, its stages unrolled, on a diffrax Butcher tableau.

Why not ``solver.step`` of diffrax for explicit solvers: diffrax runs the stages in a
``while_loop`` over a stacked stage buffer (s, *y.shape) and forms every stage's input as a
product with a full tableau row, so each stage reads all s slots. On a 32 MB state (seed
001's full-d flow, n = 1000 neurons in d = 4000) one Tsit5 step moved ~55 state-sized
arrays; unrolled, XLA fuses each stage input y0 + h sum_j a_ij k_j into one pass over the
stages it uses. The tableau (coefficients, FSAL/SSAL layout) is diffrax's own.

For an FSAL and SSAL tableau (Tsit5, Dopri5, Dopri8, Bosh3: the last stage is evaluated at
y1, and y1 is that stage's input) with stages k_1 = f(t0, y0), ...:

    y_i = y0 + h sum_{j<i} a_ij k_j,   k_i = f(t0 + c_i h, y_i),
    y1 = y_s,   error = h sum_j e_j k_j,   k_s = f(t1, y1) (the next step's k_1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import diffrax as dfx

from gflab._jax import jax_module

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def _combine(base: Any, h: jax.Array, weights: Any, ks: list[Any]) -> Any:
    """base + h sum_j weights_j ks_j over pytrees, zero weights skipped (base None: no base)."""
    terms = [(float(w), k) for w, k in zip(weights, ks, strict=True) if w != 0.0]

    def weighted(*leaves: jax.Array) -> jax.Array:
        return h * sum(w * leaf for (w, _), leaf in zip(terms, leaves, strict=True))

    increment = jax.tree.map(weighted, *[k for _, k in terms])
    return increment if base is None else jax.tree.map(jnp.add, base, increment)


def explicit_rk_step(
    tableau: dfx.ButcherTableau, f: Callable[[jax.Array, Any], tuple[Any, Any]], t0: jax.Array, y0: Any, f0: Any, h: jax.Array
) -> tuple[Any, Any, Any, Any]:
    """``(y1, error estimate, k(t1, y1), aux(t1, y1))`` of one step of size h from (t0, y0),
    f0 = k(t0, y0).

    ``f(t, y)`` returns ``(k, aux)``: the vector field and what the caller wants at y1 (the
    last stage's aux; the others are dead code to XLA), e.g. the loss with the gradient.
    """
    if not (tableau.fsal and tableau.ssal):
        raise ValueError("explicit_rk_step needs an FSAL, SSAL tableau (Tsit5, Dopri5, Dopri8, Bosh3)")
    ks = [f0]
    y_stage, aux = y0, None
    for a_row, c in zip(tableau.a_lower, tableau.c, strict=True):
        y_stage = _combine(y0, h, a_row, ks)
        k, aux = f(t0 + float(c) * h, y_stage)
        ks.append(k)
    return y_stage, _combine(None, h, tableau.b_error, ks), ks[-1], aux


def row_mapped_rk_step(
    tableau: dfx.ButcherTableau,
    f: Callable[[jax.Array, jax.Array], tuple[jax.Array, jax.Array]],
    t0: jax.Array,
    y0: jax.Array,
    f0: jax.Array,
    h: jax.Array,
    *,
    rtol: float,
    atol: float,
    rows_per_block: int,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array, jax.Array]:
    """:func:`explicit_rk_step` on a (rows, D) state whose vector field acts row by row
    (``f`` of one row (D,) gives that row's k and its share of the aux, summed over rows),
    ``rows_per_block`` rows at a time.

    Returns ``(y1, k(t1, y1), aux(t1, y1), scaled error, sum of y1)``: the scaled error is the
    RMS over all entries of e / (atol + rtol max(|y0|, |y1|)) (diffrax's PID controller's
    error norm), and the sum is the finiteness check, both summed block by block.

    Why: unblocked, each of the s stages streams the whole state through memory (a Tsit5
    stage input reads every earlier stage: ~75 state-sized passes per step on a 32 MB W);
    here a block's stages stay in cache and the step reads y0, k(y0) and writes y1, k(y1).
    Same arithmetic, row by row, as the unblocked step (equal to rounding: sums in another order).
    """

    def row_step(y0_row: jax.Array, f0_row: jax.Array) -> tuple[jax.Array, ...]:
        y1, error, f1, aux = explicit_rk_step(tableau, f, t0, y0_row, f0_row, h)
        scaled = error / (atol + rtol * jnp.maximum(jnp.abs(y0_row), jnp.abs(y1)))
        return y1, f1, aux, jnp.sum(scaled**2), jnp.sum(y1)

    y1, f1, aux, squares, sums = jax.lax.map(lambda rows: row_step(*rows), (y0, f0), batch_size=rows_per_block)
    return y1, f1, jnp.sum(aux), jnp.sqrt(jnp.sum(squares) / y0.size), jnp.sum(sums)
