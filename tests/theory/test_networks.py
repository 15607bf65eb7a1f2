"""Closed-form network kernels against Monte Carlo over w ~ N(0, I/d)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erf

from gflab.errors import BadInput
from gflab.theory.networks import feature_kernels, gram, loss_decay_rate, ntk_gram

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


def test_grams_are_positive_definite_and_the_rates_scale() -> None:
    x = np.random.default_rng(1).normal(size=(10, 5))
    for sigma in ("relu", "erf"):
        assert np.linalg.eigvalsh(gram(x, sigma))[0] > 0
        assert np.linalg.eigvalsh(ntk_gram(x, sigma))[0] > 0
        assert loss_decay_rate(x, sigma, "conventional", 200) == pytest.approx(2 * loss_decay_rate(x, sigma, "conventional", 100))
    with pytest.raises(BadInput, match="sigma"):
        gram(x, "tanh")
    with pytest.raises(BadInput, match="scaling"):
        loss_decay_rate(x, "erf", "mean-field", 10)


def test_erf_population_loss_matches_monte_carlo() -> None:
    import jax.numpy as jnp

    from gflab.problems.population_net import PopulationErfNet

    rng = np.random.default_rng(2)
    d, m, k, samples = 4, 5, 3, 400_000
    w, a = rng.normal(size=(m, d)) / np.sqrt(d), rng.normal(size=m)
    v, b = rng.normal(size=(k, d)), rng.normal(size=k)
    x = rng.normal(size=(samples, d))
    for scaling, s in (("conventional", 1.0), ("ntk", 1 / np.sqrt(m)), ("mean-field", 1 / m)):
        net = PopulationErfNet(teacher_w=jnp.asarray(v), teacher_a=jnp.asarray(b), scaling=scaling)  # type: ignore[arg-type]
        residual = s * erf(x @ w.T) @ a - erf(x @ v.T) @ b
        sq = 0.5 * residual**2
        exact = float(net.loss({"w": jnp.asarray(w), "a": jnp.asarray(a)}))
        assert abs(exact - sq.mean()) <= 5 * sq.std() / np.sqrt(samples)
