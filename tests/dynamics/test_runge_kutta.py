"""gflab's unrolled explicit Runge-Kutta step against diffrax's own step on the same tableau."""

from __future__ import annotations

import diffrax as dfx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab.dynamics.flow import SOLVERS
from gflab.dynamics.runge_kutta import explicit_rk_step, row_mapped_rk_step
from gflab.problems.multi_index import SphereCorrelation, embed, full_start, index_vectors


def field(t: jax.Array, y: dict[str, jax.Array]) -> dict[str, jax.Array]:
    """A nonlinear, time-dependent field on a two-leaf pytree."""
    return {"a": -jnp.sin(y["a"]) * (1.0 + t) + y["b"][:2].sum(), "b": -(y["b"] ** 3) + jnp.cos(t) * y["a"].sum()}


@pytest.mark.slow
@settings(max_examples=20, deadline=None)
@given(
    solver=st.sampled_from(["tsit5", "dopri5", "dopri8", "bosh3"]),
    seed=st.integers(0, 2**31 - 1),
    t0=st.floats(0.0, 3.0),
    h=st.floats(1e-4, 0.3),
)
def test_the_unrolled_step_is_diffrax_step(solver: str, seed: int, t0: float, h: float) -> None:
    rng = np.random.default_rng(seed)
    y0 = {"a": jnp.asarray(rng.normal(size=3)), "b": jnp.asarray(rng.normal(size=4))}
    method = SOLVERS[solver]()
    term = dfx.ODETerm(lambda t, y, args: field(t, y))
    f0 = field(jnp.asarray(t0), y0)
    t1 = t0 + h
    y1_ref, err_ref, _, (_, f1_ref), _ = method.step(term, t0, t1, y0, None, (jnp.array(False), f0), False)
    y1, err, f1, aux = explicit_rk_step(method.tableau, lambda t, y: (field(t, y), t), jnp.asarray(t0), y0, f0, jnp.asarray(h))
    for name in y0:
        np.testing.assert_allclose(y1[name], y1_ref[name], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(err[name], err_ref[name], rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(f1[name], f1_ref[name], rtol=1e-12, atol=1e-14)
    assert float(aux) == pytest.approx(t1, rel=1e-15)  # the last stage sits at t1


def test_a_tableau_without_fsal_is_refused() -> None:
    with pytest.raises(ValueError, match="FSAL"):
        explicit_rk_step(dfx.Heun.tableau, field, jnp.asarray(0.0), {}, {}, jnp.asarray(0.1))


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(rows=st.integers(1, 23), per_block=st.integers(1, 9), seed=st.integers(0, 2**31 - 1))
def test_the_row_mapped_step_is_the_unrolled_step(rows: int, per_block: int, seed: int) -> None:
    """Row blocks (with a remainder when per_block does not divide rows) change nothing but
    the order of sums: agreement to rounding (entries are of order 1)."""
    problem = SphereCorrelation(index=jnp.asarray(embed(index_vectors(3, 0.2), 11)), phi=jnp.asarray([0.0, 0.2, 0.0, 1.0]))
    y0 = full_start(jax.random.key(seed), 11, (rows,))

    def f(t: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
        value, grad = problem.value_and_gradient(y)
        return -grad, value

    f0 = f(jnp.asarray(0.0), y0)[0]
    tableau, h, rtol, atol = dfx.Tsit5.tableau, jnp.asarray(0.7), 1e-6, 1e-9
    y1, err, f1, loss1 = explicit_rk_step(tableau, f, jnp.asarray(0.0), y0, f0, h)
    scale = atol + rtol * jnp.maximum(jnp.abs(y0), jnp.abs(y1))
    y1_b, f1_b, loss1_b, error_b, sum_b = row_mapped_rk_step(
        tableau, f, jnp.asarray(0.0), y0, f0, h, rtol=rtol, atol=atol, rows_per_block=per_block
    )
    np.testing.assert_allclose(y1_b, y1, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(f1_b, f1, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(loss1_b, loss1, rtol=1e-13)
    np.testing.assert_allclose(error_b, jnp.sqrt(jnp.mean((err / scale) ** 2)), rtol=1e-12)
    np.testing.assert_allclose(sum_b, jnp.sum(y1), rtol=1e-12, atol=1e-12)
