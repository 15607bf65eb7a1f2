"""Krylov Hessian measures against the dense Hessian (fixed seeds)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.measure.hessian import (
    dense_hessian,
    hessian_trace,
    hessian_vector_product,
    non_uniformity,
    sharpness,
    spectral_density,
    top_eigenvalues,
)


def _sample_loss(params, sample):  # type: ignore[no-untyped-def]
    x, y = sample
    return 0.5 * (jnp.tanh(params["w"] @ x) @ params["a"] - y) ** 2


def _data(n: int = 40, d: int = 5):  # type: ignore[no-untyped-def]
    x = jax.random.normal(jax.random.key(0), (n, d))
    return x, jnp.sin(x[:, 0])


def _two_layer_loss(n: int = 40, d: int = 5, width: int = 8):  # type: ignore[no-untyped-def]
    x, y = _data(n, d)

    def loss(params):  # type: ignore[no-untyped-def]
        return jnp.mean(jax.vmap(lambda xi, yi: _sample_loss(params, (xi, yi)))(x, y))

    params = {
        "w": jax.random.normal(jax.random.key(1), (width, d)) / np.sqrt(d),
        "a": jax.random.normal(jax.random.key(2), (width,)),
    }
    return loss, params


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    """The dense Hessian of :func:`_two_layer_loss` (one compiled jax.hessian)."""
    loss, params = _two_layer_loss()
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    return np.asarray(jax.jit(jax.hessian(lambda f: loss(unravel(f))))(flat))


def test_hessian_vector_product_is_the_dense_hessian(reference: np.ndarray) -> None:
    loss, params = _two_layer_loss()
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    dense = reference
    v = jax.random.normal(jax.random.key(3), flat.shape)
    product = jax.flatten_util.ravel_pytree(hessian_vector_product(loss, params)(unravel(v)))[0]
    np.testing.assert_allclose(product, dense @ v, rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_top_eigenvalues_match_dense_eigh_within_their_error_bounds(reference: np.ndarray) -> None:
    loss, params = _two_layer_loss()
    exact = np.linalg.eigvalsh(reference)[::-1]
    top = top_eigenvalues(loss, params, k=3, num_matvecs=reference.shape[0])
    np.testing.assert_allclose(top.values, exact[:3], rtol=1e-8)
    assert np.all(np.abs(top.values - exact[:3]) <= top.errors + 1e-10)


@pytest.mark.slow
def test_block_spectra_are_the_diagonal_blocks_of_the_dense_hessian(reference: np.ndarray) -> None:
    loss, params = _two_layer_loss()
    dense = dense_hessian(loss, params)
    np.testing.assert_allclose(dense, reference, rtol=1e-12, atol=1e-14)
    value, error = sharpness(loss, params, num_matvecs=20)  # a partial Krylov space: within its residual bound
    assert abs(value - np.linalg.eigvalsh(dense)[-1]) <= error + 1e-10
    assert value == pytest.approx(np.linalg.eigvalsh(dense)[-1], rel=1e-6)
    n_a = params["a"].size  # ravel_pytree orders the dict's keys: "a" first
    blocks = {"a": dense[:n_a, :n_a], "w": dense[n_a:, n_a:]}
    for name, block in blocks.items():
        np.testing.assert_allclose(dense_hessian(loss, params, block=name), block, rtol=1e-12, atol=1e-14)
        top = top_eigenvalues(loss, params, k=2, num_matvecs=block.shape[0], block=name)
        np.testing.assert_allclose(top.values, np.linalg.eigvalsh(block)[::-1][:2], rtol=1e-8)
    with pytest.raises(BadInput, match="block"):
        top_eigenvalues(loss, params, block="b")


def test_hutchinson_trace_is_within_four_standard_errors_of_the_exact_trace(reference: np.ndarray) -> None:
    loss, params = _two_layer_loss()
    exact = float(np.trace(reference))
    mean, sem = hessian_trace(loss, params, probes=400, seed=1)
    assert 0 < sem < 0.2 * abs(exact)
    assert abs(mean - exact) <= 4 * sem


@pytest.mark.slow
def test_slq_moments_are_exact_with_a_full_krylov_space(reference: np.ndarray) -> None:
    """With P Lanczos steps the quadrature is exact for polynomials up to degree 2P - 1: each
    probe gives v^T f(H) v, so the mean over probes of v^T H v / |v|^2 estimates tr H / P."""
    loss, params = _two_layer_loss()
    h = reference
    size = h.shape[0]
    slq = spectral_density(loss, params, probes=200, num_matvecs=size, seed=2)
    np.testing.assert_allclose(slq.weights.sum(axis=1), 1.0, rtol=1e-10)
    eig = np.linalg.eigvalsh(h)
    np.testing.assert_allclose(np.sort(slq.nodes[0]), eig, rtol=1e-6, atol=1e-8)
    trace_estimate = slq.moment(lambda t: t) * size
    assert trace_estimate == pytest.approx(np.trace(h), rel=0.15)
    grid = np.linspace(eig[0] - 1, eig[-1] + 1, 4000)
    assert np.trapezoid(slq.density(grid, width=0.05), grid) == pytest.approx(1.0, rel=1e-3)


@pytest.mark.slow
def test_non_uniformity_matches_the_dense_per_sample_hessians() -> None:
    loss, params = _two_layer_loss(n=12)
    x, y = _data(n=12)
    per_sample = np.stack([dense_hessian(lambda p, i=i: _sample_loss(p, (x[i], y[i])), params) for i in range(12)])
    h = per_sample.mean(axis=0)
    np.testing.assert_allclose(h, dense_hessian(loss, params), rtol=1e-10, atol=1e-12)
    sigma = np.mean(per_sample @ per_sample, axis=0) - h @ h
    exact = float(np.sqrt(np.linalg.eigvalsh(sigma)[-1]))
    s, error = non_uniformity(_sample_loss, params, (x, y), num_matvecs=h.shape[0])
    assert s == pytest.approx(exact, rel=1e-8)
    assert abs(s - exact) <= error + 1e-10
