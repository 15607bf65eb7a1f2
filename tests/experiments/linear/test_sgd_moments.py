"""Tier 1 of Gaussian online SGD: the moment recursion, U(1), the renewal equation, alpha_c, and Monte Carlo."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab.dynamics.spectral import expected_sgd_losses, sgd_gaussian_losses
from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.measure.max_t import max_t_test
from gflab.problems.power_law import PowerLawQuadratic
from gflab.theory import sgd_moments as theory

PROBLEM = PowerLawQuadratic(nu=1.5, kappa=1.2, n_modes=6, sigma=0.2)


@settings(max_examples=25, deadline=None)
@given(
    fraction=st.floats(0.05, 0.95),
    beta=st.floats(-0.9, 0.9),
    batch=st.integers(1, 32),
)
def test_u_at_one_closed_form_is_the_sum_of_the_kernel(fraction: float, beta: float, batch: int) -> None:
    """The Sherman-Morrison closed form of U(1) against sum_tau U_tau from powers of the per-mode
    matrices, below the top mode's limit (the kernel decays geometrically there)."""
    lam = PROBLEM.eigenvalues
    alpha = fraction * theory.mode_limit(lam[0], beta, batch)
    closed = theory.u_at_one(lam, alpha, beta, batch)
    _, z1 = theory.generating_functions(1.0, lam, PROBLEM.target_squared, 0.0, alpha, beta, batch)
    assert closed == pytest.approx(z1.real, rel=1e-9)
    radius = max(np.max(np.abs(np.linalg.eigvals(m))) for m in theory.mode_matrices(lam, alpha, beta, batch))
    steps = min(200_000, int(60 / max(1e-12, -math.log(radius))))
    if steps < 20_000:
        _, u = theory.renewal_kernels(lam, PROBLEM.target_squared, 0.0, alpha, beta, batch, steps)
        assert closed == pytest.approx(u.sum(), rel=1e-8)


def test_mode_limit_is_where_the_moment_map_loses_stability() -> None:
    for beta, batch in ((0.0, 1), (0.5, 4), (-0.6, 2)):
        limit = theory.mode_limit(1.0, beta, batch)
        radius = [
            np.max(np.abs(np.linalg.eigvals(theory.mode_matrices(np.ones(1), limit * s, beta, batch)[0]))) for s in (0.999, 1.001)
        ]
        assert radius[0] < 1 < radius[1]


def test_iterated_recursion_solves_the_renewal_equation() -> None:
    lam, th = PROBLEM.eigenvalues, PROBLEM.target_squared
    args = (PROBLEM.sigma, 0.4, 0.3, 3)
    v, u = theory.renewal_kernels(lam, th, *args, steps=150)
    renewal = theory.solve_renewal(v, u) / 2
    iterated = np.asarray(expected_sgd_losses(jnp.asarray(lam), jnp.asarray(th), *args, steps=150))
    np.testing.assert_allclose(iterated, renewal, rtol=1e-11)


def test_critical_rate_is_where_the_expected_loss_starts_to_grow() -> None:
    """At alpha_c U(1) = 1; the expected loss (sigma = 0) decays just below it and grows just above."""
    lam, th = PROBLEM.eigenvalues, PROBLEM.target_squared
    alpha_c = theory.critical_learning_rate(lam, 0.4, 2)
    assert theory.u_at_one(lam, alpha_c, 0.4, 2) == pytest.approx(1.0, abs=1e-10)
    ends = [
        np.asarray(expected_sgd_losses(jnp.asarray(lam), jnp.asarray(th), 0.0, alpha_c * s, 0.4, 2, steps=40_000))
        for s in (0.98, 1.02)
    ]
    assert ends[0][-1] < ends[0][20_000] and ends[1][-1] > ends[1][20_000]


def test_large_batches_recover_the_deterministic_heavy_ball_limit() -> None:
    """b -> infinity: no noise, alpha_c -> 2 (1 + beta) / lambda_1."""
    for beta in (-0.5, 0.0, 0.7):
        assert theory.critical_learning_rate(PROBLEM.eigenvalues, beta, 1e9) == pytest.approx(2 * (1 + beta), rel=1e-6)


@pytest.mark.slow
def test_tier1_matches_the_mean_of_sgd_runs() -> None:
    """The exact expected loss against 6000 SGD runs (Gaussian batches, momentum): the simultaneous
    bootstrap-t test of level 1% over the 60 steps does not reject."""
    lam = jnp.asarray(PROBLEM.eigenvalues)
    alpha, beta, batch, steps = 0.5, 0.4, 2, 60
    exact = np.asarray(
        expected_sgd_losses(lam, jnp.asarray(PROBLEM.target_squared), PROBLEM.sigma, alpha, beta, batch, steps=steps)
    )
    run = jax.vmap(
        lambda k: sgd_gaussian_losses(lam, -jnp.asarray(PROBLEM.target), PROBLEM.sigma, alpha, beta, k, steps=steps, batch=batch)
    )
    losses = np.asarray(run(jax.random.split(jax.random.key(3), 6000)))
    assert max_t_test(losses[:, 1:], exact[1:])["p_value"] >= 0.01
    assert exact[0] == pytest.approx(PROBLEM.initial_loss, rel=1e-14)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"nu": 0}, "nu"), ({"n_modes": 0}, "n_modes"), ({"kappa": -1}, "kappa"), ({"batch_size": 0}, "batch_size"),
     ({"momentum": 1.0}, "momentum"), ({"boundary_momenta": [0.5, -1.0]}, "boundary_momenta"), ({"resamples": 10}, "resamples")],
)  # fmt: skip
def test_bad_input_is_refused(params: dict, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(BadInput, match=f"sgd-moments.{field}"):
        get_experiment("sgd-moments").validate(params)


@pytest.mark.slow
def test_experiment_claims_at_small_size() -> None:
    from gflab.experiments.linear.claims import CLAIMS

    e = get_experiment("sgd-moments")
    params = {
        "runs": 1000,
        "steps": 100,
        "boundary_momenta": [0.0, 0.5],
        "boundary_batches": [1, 4],
        "boundary_steps": 4000,
        "rounds": 3,
    }
    result = e.run(e.validate(params))
    m = result.metrics
    assert m["generating_function"]["relative_error"] < 1e-10
    assert m["digits"]["diverged_runs"] == 0 and m["digits"]["max_abs_z"] < 4.5
    assert m["boundary"]["max_relative_error"] < 0.02
    assert set(result.figures) == {"moments", "phase-diagram"}
    verdicts = {c.id: c.evaluate(m)["verdict"] for c in CLAIMS if c.experiment == "sgd-moments"}
    assert set(verdicts.values()) <= {"pass", "fail"}


@pytest.mark.slow
def test_tier2_matches_sgd_on_a_small_data_set() -> None:
    """Tier 2 (the p x p recursion) against 3000 SGD runs on 30 digits restricted to 6 pixels (the
    simultaneous bootstrap-t test of level 1% over the 40 steps does not reject)."""
    from gflab.dynamics.finite_sgd import expected_finite_sgd_losses, finite_sgd_losses
    from gflab.problems.linear_regression import LinearRegression, digits_regression

    full = digits_regression(30, seed=2)
    data = LinearRegression(full.features[:, 18:24] * 3.0, full.labels)
    x, y = jnp.asarray(data.features), jnp.asarray(data.labels)
    steps = 40
    exact = np.asarray(
        expected_finite_sgd_losses(x, jnp.asarray(data.residuals), jnp.asarray(data.minimiser), 0.5, 0.3, 2, steps=steps)
    )
    assert exact[0] == pytest.approx(data.loss(np.zeros(6)), rel=1e-12)
    runs = np.asarray(
        jax.vmap(lambda k: finite_sgd_losses(x, y, 0.5, 0.3, k, steps=steps, batch=2))(jax.random.split(jax.random.key(5), 3000))
    )
    assert max_t_test(runs[:, 1:], exact[1:])["p_value"] >= 0.01


def test_fitted_noise_coefficients_of_gaussian_data_are_the_gaussian_ones() -> None:
    """Gaussian rows with covariance diag(lambda): K_jk = lambda_j lambda_k, K_kk = 3 lambda_k^2, so
    (tau1, tau2) = (1, -1) up to sampling error; rows of constant norm on a sphere give tau2 > 0."""
    from gflab.experiments.linear.sgd_moments import noise_coefficients

    lam = np.array([1.0, 0.5, 0.25, 0.125])
    rows = np.random.default_rng(0).normal(size=(400_000, 4)) * np.sqrt(lam)
    tau1, tau2 = noise_coefficients(rows, lam)
    assert tau1 == pytest.approx(1.0, abs=0.01) and tau2 == pytest.approx(-1.0, abs=0.03)
    sphere = np.random.default_rng(1).normal(size=(400_000, 4))
    sphere *= np.sqrt(4) / np.linalg.norm(sphere, axis=1, keepdims=True)  # |x|^2 = 4, H = I
    tau1, tau2 = noise_coefficients(sphere, np.ones(4))
    # uniform on the sphere of radius 2 in R^4: E z_j^2 z_k^2 = 16 / 24 (j != k), E z^4 = 16 * 3 / 24
    assert tau1 == pytest.approx(2 / 3, abs=0.01) and tau2 == pytest.approx(1 + 2 / 3 - 2, abs=0.02)


def test_the_finite_data_loss_from_second_moments_is_the_mean_squared_residual() -> None:
    """finite_sgd_losses evaluates the loss as (w^T H w - 2 w . X^T y / n + mean y^2) / 2; along
    the same SGD steps (same keys) it equals half the mean squared residual of the data."""
    from gflab.dynamics.finite_sgd import finite_sgd_losses

    rng = np.random.default_rng(0)
    x, y = jnp.asarray(rng.normal(size=(40, 6))), jnp.asarray(rng.normal(size=40))
    key, steps, batch, alpha, beta = jax.random.key(5), 12, 3, 0.05, 0.3
    losses = finite_sgd_losses(x, y, alpha, beta, key, steps=steps, batch=batch)
    w, v, expected = jnp.zeros(6), jnp.zeros(6), [0.5 * float(jnp.mean(y**2))]
    for k in jax.random.split(key, steps):
        idx = jax.random.randint(k, (batch,), 0, 40)
        v = beta * v - alpha * (x[idx] @ w - y[idx]) @ x[idx] / batch
        w = w + v
        expected.append(0.5 * float(jnp.mean((x @ w - y) ** 2)))
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
