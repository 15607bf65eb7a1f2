"""The spectral dynamics and the power-law rates: closed forms, Jacobi polynomials, CG optimality."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sc
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gflab.dynamics.spectral import conjugate_gradient_losses, heavy_ball_losses, steepest_descent_losses
from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.problems.power_law import PowerLawQuadratic
from gflab.theory import power_law_rates as theory


def test_problem_measure_and_loss() -> None:
    p = PowerLawQuadratic(nu=1.7, kappa=0.9, n_modes=50, sigma=0.3)
    k = np.arange(1, 51)
    np.testing.assert_allclose(p.eigenvalues * p.target_squared, k ** (-1.9), rtol=1e-13)
    assert p.initial_loss == pytest.approx(0.5 * (np.sum(k**-1.9) + 0.09), rel=1e-13)
    with pytest.raises(ValueError, match="nu > 0"):
        PowerLawQuadratic(nu=0.0, kappa=1.0, n_modes=3)


@settings(max_examples=20, deadline=None)
@given(alpha=st.floats(0.05, 1.9), beta=st.floats(-0.9, 0.9).filter(lambda b: abs(b) > 0.01))
def test_constant_heavy_ball_matches_its_mode_recurrence(alpha: float, beta: float) -> None:
    """Each mode follows r_{t+1} = (1 + beta - alpha lambda) r_t - beta r_{t-1}: its closed form by the
    roots of r^2 - (1 + beta - alpha lambda) r + beta = 0 (GD when beta = 0: (1 - alpha lambda)^t)."""
    lam = np.array([1.0, 0.3, 0.02])
    assume(np.all(np.abs((1 + beta - alpha * lam) ** 2 - 4 * beta) > 1e-3))  # distinct roots
    steps = 25
    losses = np.asarray(heavy_ball_losses(jnp.asarray(lam), jnp.ones(3), jnp.full(steps, alpha), jnp.full(steps, beta)))
    t = np.arange(steps + 1)
    expected = np.zeros(steps + 1)
    for lam_k in lam:
        r1, r2 = np.roots([1.0, -(1 + beta - alpha * lam_k), beta]).astype(complex)
        # r_0 = r_{-1} = 1: r_t = A r1^t + B r2^t with A + B = 1, A / r1 + B / r2 = 1
        a = (1 - 1 / r2) / (1 / r1 - 1 / r2)
        expected += 0.5 * lam_k * np.real(a * r1**t + (1 - a) * r2**t) ** 2
    np.testing.assert_allclose(losses, expected, rtol=1e-8, atol=1e-14)


def test_jacobi_heavy_ball_residuals_are_jacobi_polynomials() -> None:
    lam = np.linspace(0.003, 1.0, 9)
    for a, b in ((1.3, -0.5), (0.5, 0.0), (2.0, 1.0)):
        alphas, betas = theory.jacobi_schedule(40, a, b, 1.0)
        losses = np.asarray(heavy_ball_losses(jnp.asarray(lam), jnp.ones(9), jnp.asarray(alphas), jnp.asarray(betas)))
        residual = np.array([sc.eval_jacobi(n, a, b, 1 - 2 * lam) / sc.eval_jacobi(n, a, b, 1.0) for n in range(41)])
        np.testing.assert_allclose(losses, 0.5 * residual**2 @ lam, rtol=1e-10)


def test_cg_terminates_and_beats_every_heavy_ball() -> None:
    """CG on N distinct eigenvalues reaches the minimum in N steps and never exceeds GD."""
    lam = jnp.asarray(np.geomspace(1e-2, 1.0, 6))
    cg = np.asarray(conjugate_gradient_losses(lam, jnp.ones(6), 12))
    gd = np.asarray(heavy_ball_losses(lam, jnp.ones(6), jnp.full(12, 1.0), jnp.zeros(12)))
    assert np.all(cg[6:] < 1e-20 * cg[0])
    assert np.all(cg <= gd * (1 + 1e-12))


def test_steepest_descent_step_is_the_exact_line_minimum() -> None:
    """One step from e: the loss at the line search's step beats every other step along -g."""
    lam = np.array([1.0, 0.1, 0.01])
    e = np.array([0.3, -1.0, 2.0])
    sd = float(np.asarray(steepest_descent_losses(jnp.asarray(lam), jnp.asarray(e), 1))[1])
    g = lam * e
    along = [0.5 * np.sum(lam * (e - s * g) ** 2) for s in np.linspace(0, 50, 5001)]
    assert sd <= min(along) + 1e-15


def test_gd_constant_at_moderate_size() -> None:
    """GD on the power-law quadratic: L_T T^zeta within 1% of Gamma(zeta) (2 alpha)^(-zeta) / (2 nu)."""
    p = PowerLawQuadratic(nu=1.5, kappa=1.5, n_modes=5000)
    steps = 400
    losses = np.asarray(
        heavy_ball_losses(jnp.asarray(p.eigenvalues), -jnp.asarray(p.target), jnp.full(steps, 0.7), jnp.zeros(steps))
    )
    assert losses[steps] * steps**p.zeta == pytest.approx(theory.gd_constant(1.5, 1.5, 0.7), rel=0.01)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"pairs": [(0.0, 1.0)]}, "pairs"), ({"pairs": [(1.0, 0.0)]}, "pairs"), ({"n_modes": 0}, "n_modes"),
     ({"momenta": [1.0]}, "momenta"), ({"eta": 0.9, "momenta": [-0.6]}, "eta")],
)  # fmt: skip
def test_bad_input_is_refused(params: dict, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(BadInput, match=f"power-law-rates.{field}"):
        get_experiment("power-law-rates").validate(params)


@pytest.mark.slow
def test_experiment_at_small_size() -> None:
    e = get_experiment("power-law-rates")
    m = e.run(e.validate({"pairs": [(1.5, 1.5)], "n_modes": 4000, "steps": 500, "accelerated_steps": 100})).metrics
    assert m["gd"]["max_exponent_error"] < 0.02
    assert m["heavy_ball"]["max_ratio_error"] < 0.05
    assert m["conjugate_gradients"]["max_ratio_to_jacobi"] <= 1 + 1e-9
