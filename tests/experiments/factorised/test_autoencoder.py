"""The tied linear autoencoder: its gradient, the Riccati closed form, the Marchenko-Pastur predictions."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.problems.autoencoder import TiedAutoencoder
from gflab.theory import autoencoder as theory


@pytest.mark.parametrize("shape", ["scalar", "diagonal", "matrix"])
def test_gradient_and_loss_against_autodiff_and_definition(shape: str) -> None:
    m, d = 3, 5
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, d))
    cov = {"scalar": np.asarray(1.7), "diagonal": rng.uniform(0.1, 2.0, d), "matrix": x.T @ x / 50}[shape]
    full = cov * np.eye(d) if shape == "scalar" else (np.diag(cov) if shape == "diagonal" else cov)
    problem = TiedAutoencoder(covariance=jnp.asarray(cov))
    w = jnp.asarray(rng.normal(size=(m, d)) / 2)
    residual = np.eye(d) - np.asarray(w).T @ np.asarray(w)
    assert float(problem.loss(w)) == pytest.approx(0.5 * np.trace(residual @ full @ residual), rel=1e-12)
    np.testing.assert_allclose(problem.gradient(w), jax.grad(problem.loss)(w), rtol=1e-11, atol=1e-13)


@settings(max_examples=15, deadline=None)
@given(m=st.integers(1, 6), d=st.integers(1, 6), s=st.floats(0.05, 3.0), t=st.floats(0.0, 3.0))
def test_riccati_weights_solve_the_flow(m: int, d: int, s: float, t: float) -> None:
    """dW/dt = 2 W (I - W^T W) by central differences of the closed form, and W(0) = W_0."""
    w0 = np.random.default_rng(m * 7 + d).normal(size=(m, d)) * s / np.sqrt(d)
    np.testing.assert_allclose(theory.riccati_weights(w0, 0.0), w0, atol=1e-13)
    h = 1e-5
    derivative = (theory.riccati_weights(w0, t + h) - theory.riccati_weights(w0, t - h)) / (2 * h)
    w = theory.riccati_weights(w0, t)
    np.testing.assert_allclose(derivative, 2 * w @ (np.eye(d) - w.T @ w), rtol=1e-6, atol=1e-7 * (1 + np.abs(w).max()))
    p = np.linalg.eigvalsh(w @ w.T if m <= d else w.T @ w)
    p0 = np.linalg.eigvalsh(w0 @ w0.T if m <= d else w0.T @ w0)
    np.testing.assert_allclose(np.sort(p), np.sort(theory.riccati_eigenvalues(p0, t)), atol=1e-10)


@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.0])
def test_marchenko_pastur_limit_and_bias_against_monte_carlo(gamma: float) -> None:
    """The exact loss per dimension of many random W_0 (closed form, no flow) averages to the
    limit plus the Bai-Silverstein bias; the limit alone is off by about that bias."""
    d, draws, s = 40, 1000, 1.0
    m = round(gamma * d)
    g = np.random.default_rng(1).normal(size=(draws, m, d)) * s / np.sqrt(d)
    gt = np.swapaxes(g, 1, 2)
    p0 = np.linalg.eigvalsh(g @ gt if m <= d else gt @ g)  # (draws, min(m, d))
    ts = np.array([0.0, 0.25, 1.0])
    losses = np.stack([theory.loss_per_dimension(p0, d, t) for t in ts], axis=1)
    mean, se = losses.mean(axis=0), losses.std(axis=0, ddof=1) / np.sqrt(draws)
    limit = theory.limit_loss_per_dimension(ts, gamma, s)
    bias = theory.finite_d_bias(ts, gamma, s, d)
    assert np.all(np.abs(mean - limit - bias) < 4 * se), (mean - limit - bias) / se
    assert np.all(np.abs(mean - limit) > np.abs(bias) / 3)  # the bias is real, not noise


def test_quadrature_moments_and_small_gamma_root() -> None:
    for gamma in (0.1, 1.0, 3.0):
        x, w = theory.marchenko_pastur_quadrature(gamma)
        assert w.sum() == pytest.approx(1.0, abs=1e-12)
        assert (w * x).sum() == pytest.approx(max(gamma, 1.0), rel=1e-12)  # mean of the non-zero eigenvalues
        assert (w * x**2).sum() == pytest.approx(max(gamma, 1.0) * (1 + min(gamma, 1 / gamma)) * max(1, gamma), rel=1e-10)
    assert theory.half_way_root(1e-8) == pytest.approx(np.sqrt(2) - 1, rel=1e-3)  # all x = 1: (1 + u)^-2 = 1/2


@pytest.mark.slow
def test_experiment_measures_all_three_claims() -> None:
    e = get_experiment("autoencoder")
    spec = e.validate(
        {"d": 60, "gamma": 0.25, "seeds": 3, "ts": [0.5, 1.0], "check_d": 6, "check_gammas": [0.5, 2.0],
         "check_scales": [0.3, 2.0], "half_d": 60, "half_scales": [1e-3], "rtol": 1e-11}
    )  # fmt: skip
    result = e.run(spec)
    m = result.metrics
    assert m["closed_form"]["max_error"] < 1e-9
    assert m["half_way"]["max_relative_error"] < 0.02
    assert m["marchenko_pastur"]["max_z_corrected"] < 6
    assert set(result.figures) == {"loss_curves", "half_way"}


def test_bad_input_is_refused() -> None:
    e = get_experiment("autoencoder")
    with pytest.raises(BadInput, match="check_scales"):
        e.validate({"check_gammas": [1.0], "check_scales": [1.0, 2.0]})
    with pytest.raises(BadInput, match="half_scales"):
        e.validate({"half_scales": [0.5]})
    with pytest.raises(BadInput, match="ts"):
        e.validate({"ts": [1.0, 0.5]})
