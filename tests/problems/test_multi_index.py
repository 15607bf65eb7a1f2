"""Multi-index problems: exact population losses against Monte Carlo, the exact dimension
reduction against the full-d flow, and the sphere kept by the normalised loss."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab import GradientFlow, Save, simulate
from gflab.errors import BadInput
from gflab.hermite import ACTIVATIONS, correlation_polynomial, expand
from gflab.problems.multi_index import (
    SphereCorrelation,
    SphereMSE,
    embed,
    full_from_reduced,
    full_start,
    index_vectors,
    overlaps,
    span_coordinates,
    sphere_start,
    unit_rows,
)


def test_index_vectors_have_the_gram_matrix() -> None:
    v = index_vectors(5, 0.3)
    np.testing.assert_allclose(v @ v.T, 0.7 * np.eye(5) + 0.3, atol=1e-14)
    with pytest.raises(BadInput, match="beta"):
        index_vectors(3, -0.6)


def test_sphere_start_has_the_law_of_a_uniform_point() -> None:
    d, k = 50, 3
    y = np.asarray(sphere_start(jax.random.key(0), d, k, (40_000,)))
    np.testing.assert_allclose(np.sum(y**2, axis=1), 1.0, atol=1e-12)
    full = np.asarray(full_start(jax.random.key(1), d, (40_000,)))
    # first coordinates: mean 0, variance 1/d; the rest's norm: mean of rho^2 = (d - k)/d
    for sample in (y[:, 0], full[:, 0]):
        assert abs(np.mean(sample**2) - 1 / d) < 5 * np.std(sample**2) / math.sqrt(sample.size)
    assert abs(np.mean(y[:, k] ** 2) - (d - k) / d) < 5 * np.std(y[:, k] ** 2) / 200


@pytest.mark.slow
@pytest.mark.parametrize(("sigma", "sigma_star"), [pytest.param("he3", "he3", marks=pytest.mark.slow), ("tanh", "relu")])
def test_population_losses_match_monte_carlo(sigma: str, sigma_star: str) -> None:
    n, k, d, samples = 3, 2, 6, 100_000
    w, v = np.asarray(full_start(jax.random.key(0), d, (n,))), embed(index_vectors(k, 0.2), d)
    cs, ct = expand(sigma, max_degree=64).coefficients, expand(sigma_star, max_degree=64).coefficients
    x = np.random.default_rng(3).normal(size=(samples, d))
    f = ACTIVATIONS[sigma](x @ w.T).sum(axis=1)
    f_star = ACTIVATIONS[sigma_star](x @ v.T).sum(axis=1)
    correlation = SphereCorrelation(index=jnp.asarray(v), phi=jnp.asarray(correlation_polynomial(cs, ct)))
    mse = SphereMSE(
        index=jnp.asarray(v),
        phi_ss=jnp.asarray(correlation_polynomial(cs, cs)),
        phi_st=jnp.asarray(correlation_polynomial(cs, ct)),
        phi_tt=jnp.asarray(correlation_polynomial(ct, ct)),
    )
    for exact, sample in ((correlation.loss(jnp.asarray(w)), -f * f_star), (mse.loss(jnp.asarray(w)), 0.5 * (f - f_star) ** 2)):
        # relu's truncated tail (~1e-4 in L2^2) bounds the bias; the rest is sampling error
        assert abs(float(exact) - np.mean(sample)) < 5 * np.std(sample) / math.sqrt(samples) + 5e-3


def _compare(problem_full, problem_reduced, w_full, w_reduced, ts) -> float:  # type: ignore[no-untyped-def]
    dyn = GradientFlow(rtol=1e-12, atol=1e-14, t1=float(ts[-1]), solver="dopri8")
    save = Save(ts=tuple(ts), observables={"overlaps": overlaps})
    full = simulate(problem_full, dyn, jnp.asarray(w_full), save=save)
    reduced = simulate(problem_reduced, dyn, jnp.asarray(w_reduced), save=save)
    return float(np.max(np.abs(full.observations["overlaps"] - reduced.observations["overlaps"])))


@pytest.mark.slow
def test_reduced_correlation_flow_equals_the_full_flow() -> None:
    d, k = 300, 4
    phi = jnp.asarray([0, 0, 0, 1.0, 0.5])
    reduced = np.asarray(sphere_start(jax.random.key(4), d, k, (6,)))
    full = full_from_reduced(reduced, d, jax.random.key(5))
    ts = np.linspace(0.0, 400.0, 9)
    gap = _compare(
        SphereCorrelation(index=jnp.asarray(embed(index_vectors(k), d)), phi=phi),
        SphereCorrelation(index=jnp.asarray(embed(index_vectors(k), k + 1)), phi=phi),
        full, reduced, ts,
    )  # fmt: skip
    assert gap < 1e-8


@pytest.mark.slow
def test_reduced_mse_flow_equals_the_full_flow() -> None:
    d, k, n = 200, 3, 4
    w0 = np.asarray(full_start(jax.random.key(6), d, (n,)))
    v = embed(index_vectors(k, 0.1), d)
    w_red, v_red, basis = span_coordinates(w0, v)
    assert basis.shape == (n + k, d)
    phis = dict(phi_ss=jnp.asarray([0, 1.0, 0, 0.5]), phi_st=jnp.asarray([0, 1.0, 0, 0.5]), phi_tt=jnp.asarray([0, 1.0, 0, 0.5]))
    ts = np.linspace(0.0, 50.0, 6)
    assert _compare(SphereMSE(index=jnp.asarray(v), **phis), SphereMSE(index=jnp.asarray(v_red), **phis), w0, w_red, ts) < 1e-8


@pytest.mark.slow
def test_the_flow_stays_on_the_sphere() -> None:
    k, d = 3, 64
    problem = SphereCorrelation(index=jnp.asarray(embed(index_vectors(k, 0.2), k + 1)), phi=jnp.asarray([0, 0, 0, 1.0]))
    y0 = sphere_start(jax.random.key(7), d, k, (50,))
    traj = simulate(problem, GradientFlow(rtol=1e-8, atol=1e-12, t1=1e3), y0, y0_batched=True)
    np.testing.assert_allclose(np.linalg.norm(traj.final_params, axis=1), 1.0, atol=1e-6)
    assert np.all(np.asarray(unit_rows(jnp.asarray(traj.final_params))) @ problem.index.T <= 1.0 + 1e-12)


def test_closed_form_gradient_equals_autodiff() -> None:
    problem = SphereCorrelation(index=jnp.asarray(embed(index_vectors(3, 0.2), 9)), phi=jnp.asarray([0.1, -0.4, 0.3, 1.0, 0.5]))
    closed = jax.jit(lambda p, w: p.value_and_gradient(w))
    autodiff = jax.jit(lambda p, w: jax.value_and_grad(p.loss)(w))
    for w in (jax.random.normal(jax.random.key(8), (9,)), 1.7 * jax.random.normal(jax.random.key(9), (5, 9))):
        (value, grad), (loss, reference) = closed(problem, w), autodiff(problem, w)
        np.testing.assert_allclose(grad, reference, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(value, loss, rtol=1e-14)
