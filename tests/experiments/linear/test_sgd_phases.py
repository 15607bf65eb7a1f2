"""SGD phases: the two-term asymptotic formula and the exponent min(zeta, 2 - 1/nu)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from gflab.dynamics.spectral import expected_sgd_losses
from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.experiments.linear.sgd_phases import two_term_loss
from gflab.problems.power_law import PowerLawQuadratic
from gflab.theory.power_law_rates import corner_theta_max, sgd_phase_exponent


def test_phase_exponent_and_corner_table() -> None:
    assert sgd_phase_exponent(2.0, 2.4) == pytest.approx(1.2)  # signal phase: zeta
    assert sgd_phase_exponent(2.0, 4.0) == pytest.approx(1.5)  # noise phase: 2 - 1/nu
    assert corner_theta_max(3.0, 1.5) == 2.0 and corner_theta_max(1.5, 0.3) == 1.5
    assert corner_theta_max(2.0, 4.0) == pytest.approx(2 / 2.5)


def test_noise_term_dominates_the_noise_phase() -> None:
    """(nu, kappa) = (3, 7.5): the exact expected loss follows the noise term, an order above the signal term."""
    p = PowerLawQuadratic(3.0, 7.5, 400)
    steps = 3000
    losses = np.asarray(
        expected_sgd_losses(jnp.asarray(p.eigenvalues), jnp.asarray(p.target_squared), 0.0, 0.5, 0.0, 1, steps=steps)
    )
    t = np.arange(steps // 2, steps + 1)
    signal, noise = two_term_loss(t.astype(float), p, 0.5, 1)
    assert np.all(noise > 100 * signal)
    np.testing.assert_allclose(losses[t], signal + noise, rtol=0.05)


def test_pairs_with_zeta_at_most_one_are_refused() -> None:
    with pytest.raises(BadInput, match=r"sgd-phases\.pairs"):
        get_experiment("sgd-phases").validate({"pairs": [(2.0, 1.5)]})


def test_a_divergent_rate_is_a_diverged_verdict() -> None:
    """alpha = 1.9 > alpha_c(0, 1) on the first pair: the expected loss blows up; a verdict with its step, not a crash."""
    e = get_experiment("sgd-phases")
    result = e.run(e.validate({"eta": 1.9, "steps": 200, "n_modes": 100}))
    assert result.metrics["verdict"] == "diverged" and 0 < result.metrics["diverged_step"] <= 200
