"""Closed-form network kernels against Monte Carlo over w ~ N(0, I/d)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erf

from gflab.errors import BadInput
from gflab.theory.networks import cosine_frequencies, feature_kernels, gram, loss_decay_rate, ntk_gram

ACTIVATIONS = {
    "relu": (lambda u: np.maximum(u, 0.0), lambda u: (u > 0).astype(float)),
    "erf": (erf, lambda u: 2 / np.sqrt(np.pi) * np.exp(-(u**2))),
}


@pytest.mark.parametrize("sigma", ["relu", "erf"])
def test_kernels_match_monte_carlo(sigma: str) -> None:
    rng = np.random.default_rng(0)
    d, samples = 4, 1_000_000
    x = rng.normal(size=(3, d)) * np.array([[0.5], [1.0], [2.0]])
    w = rng.normal(size=(samples, d)) / np.sqrt(d)
    f, df = ACTIVATIONS[sigma]
    u = w @ x.T  # (samples, 3)
    k0_mc = f(u).T @ f(u) / samples
    k1_mc = df(u).T @ df(u) / samples
    k0, k1 = feature_kernels(x, x, sigma)
    # Monte-Carlo standard error ~ std / sqrt(samples) ~ 1e-3 of the scale
    np.testing.assert_allclose(k0, k0_mc, atol=5e-3 * np.abs(k0).max())
    np.testing.assert_allclose(k1, k1_mc, atol=5e-3 * np.abs(k1).max())


@pytest.mark.parametrize("sigma", ["relu", "erf"])
def test_kernel_regime_rates_match_wide_networks_at_initialisation(sigma: str) -> None:
    """The linearised loss decays at 2 lambda_min((1/n) J J^T); at width m the Jacobians of a
    random network give it within Monte-Carlo error of the closed forms: conventional scaling
    (only a moves at first, a(0) = 0: J J^T = Phi Phi^T) and NTK scaling (a ~ N(0, 1))."""
    rng = np.random.default_rng(1)
    n, d, m = 6, 4, 200_000
    x = rng.normal(size=(n, d))
    w, a = rng.normal(size=(m, d)) / np.sqrt(d), rng.normal(size=m)
    f, df = ACTIVATIONS[sigma]
    phi, dphi = f(x @ w.T), df(x @ w.T)  # (n, m)
    conventional = 2 * np.linalg.eigvalsh(phi @ phi.T / n)[0]
    ntk = 2 * np.linalg.eigvalsh((phi @ phi.T + (dphi * a**2) @ dphi.T * (x @ x.T)) / (m * n))[0]
    assert conventional == pytest.approx(loss_decay_rate(x, sigma, "conventional", m), rel=0.05)
    assert ntk == pytest.approx(loss_decay_rate(x, sigma, "ntk", m), rel=0.05)
    with pytest.raises(BadInput, match="sigma"):
        gram(x, "tanh")
    with pytest.raises(BadInput, match="scaling"):
        loss_decay_rate(x, "erf", "mean-field", 10)
    assert np.linalg.eigvalsh(ntk_gram(x, sigma))[0] > 0


def test_cosine_family_is_orthonormal_and_ordered_by_l1_norm() -> None:
    b = cosine_frequencies(2, 6)
    np.testing.assert_array_equal(b, [[1, 1], [1, 2], [2, 1], [1, 3], [2, 2], [3, 1]])
    axis = (np.arange(16) + 0.5) / 16  # midpoint grid: exact while 2 max b < 16
    x = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    family = np.sqrt(2.0) * np.cos(2 * np.pi * x @ b.T)
    np.testing.assert_allclose(family.T @ family / len(x), np.eye(6), atol=1e-12)


@pytest.mark.slow
def test_erf_population_loss_matches_monte_carlo() -> None:
    import jax.numpy as jnp

    from gflab.problems.population_net import PopulationErfNet

    rng = np.random.default_rng(2)
    d, m, k, samples = 4, 5, 3, 200_000
    w, a = rng.normal(size=(m, d)) / np.sqrt(d), rng.normal(size=m)
    v, b = rng.normal(size=(k, d)), rng.normal(size=k)
    x = rng.normal(size=(samples, d))
    for scaling, s in (("conventional", 1.0), ("ntk", 1 / np.sqrt(m)), ("mean-field", 1 / m)):
        net = PopulationErfNet(teacher_w=jnp.asarray(v), teacher_a=jnp.asarray(b), scaling=scaling)  # type: ignore[arg-type]
        residual = s * erf(x @ w.T) @ a - erf(x @ v.T) @ b
        sq = 0.5 * residual**2
        exact = float(net.loss({"w": jnp.asarray(w), "a": jnp.asarray(a)}))
        assert abs(exact - sq.mean()) <= 5 * sq.std() / np.sqrt(samples)
