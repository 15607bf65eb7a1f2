"""Lanczos sharpness against the dense Hessian (fixed seeds)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.measure.hessian import hessian_vector_product, sharpness, top_eigenvalues


def _two_layer_loss(n: int = 40, d: int = 5, width: int = 8):  # type: ignore[no-untyped-def]
    x = jax.random.normal(jax.random.key(0), (n, d))
    y = jnp.sin(x[:, 0])

    def loss(params):  # type: ignore[no-untyped-def]
        w, a = params["w"], params["a"]
        return 0.5 * jnp.mean((jnp.tanh(x @ w.T) @ a - y) ** 2)

    params = {
        "w": jax.random.normal(jax.random.key(1), (width, d)) / np.sqrt(d),
        "a": jax.random.normal(jax.random.key(2), (width,)),
    }
    return loss, params


def test_hessian_vector_product_is_the_dense_hessian() -> None:
    loss, params = _two_layer_loss()
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    dense = jax.hessian(lambda f: loss(unravel(f)))(flat)
    v = jax.random.normal(jax.random.key(3), flat.shape)
    product = jax.flatten_util.ravel_pytree(hessian_vector_product(loss, params)(unravel(v)))[0]
    np.testing.assert_allclose(product, dense @ v, rtol=1e-10, atol=1e-12)


def test_top_eigenvalues_match_dense_eigh_within_their_error_bounds() -> None:
    loss, params = _two_layer_loss()
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    exact = np.linalg.eigvalsh(np.asarray(jax.hessian(lambda f: loss(unravel(f)))(flat)))[::-1]
    top = top_eigenvalues(loss, params, k=3, num_matvecs=flat.size)
    np.testing.assert_allclose(top.values, exact[:3], rtol=1e-8)
    assert np.all(np.abs(top.values - exact[:3]) <= top.errors + 1e-10)
    value, error = sharpness(loss, params, num_matvecs=20)
    assert abs(value - exact[0]) <= error + 1e-10
    assert value == pytest.approx(exact[0], rel=1e-6)
