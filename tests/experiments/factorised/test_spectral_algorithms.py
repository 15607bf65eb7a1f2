"""Spectral algorithms on Gaussian features: the exact estimators and their deterministic equivalents."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from gflab.dynamics import GradientFlow
from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.problems.kernel_regression import EmpiricalSquareLoss, KernelSample
from gflab.simulation import Save, simulate
from gflab.theory import spectral_algorithms as theory


def test_effective_ridge_solves_its_equation_on_real_and_complex_paths() -> None:
    spectrum, _ = theory.power_law(1.5, 1.0, 300)
    n = 50
    for path in (np.array([1.0, 0.1, 0.0]), np.array([2.0 + 3.0j, 0.1 + 0.5j, -0.01 + 0.01j])):
        kappa = theory.effective_ridge(path, n, spectrum)
        residual = kappa - path - kappa / n * np.sum(spectrum / (spectrum + kappa[:, None]), axis=1)
        assert np.all(np.abs(residual) < 1e-12)
        assert np.all(np.sign(kappa.imag) == np.sign(path.imag))  # kappa(r) maps the upper half-plane into itself


def test_gradient_flow_equivalent_limits() -> None:
    """t -> 0: nothing learned (sum lambda theta*^2); t -> infinity: the interpolant (KRR at r = 0)."""
    spectrum, target = theory.power_law(1.5, 1.0, 400)
    n = 80
    assert theory.gd_error(n, 1e-6, spectrum, target)[0] == pytest.approx(np.sum(spectrum * target), rel=1e-4)
    ridgeless = theory.krr_error(n, np.array([0.0]), spectrum, target)[0]
    assert theory.gd_error(n, 1e8, spectrum, target)[0] == pytest.approx(ridgeless, rel=1e-6)


def test_estimators_match_direct_solves_and_the_adaptive_flow() -> None:
    n, modes = 12, 30
    spectrum, target = theory.power_law(1.5, 1.0, modes)
    theta = np.sqrt(target)
    sample = KernelSample.draw(n, spectrum, seed=3)
    x = sample.features
    cov = x.T @ x / n
    ridge, t = 0.05, 4.0
    krr = cov @ np.linalg.solve(cov + ridge * np.eye(modes), theta)
    assert sample.errors(theta, sample.ridge_filters(np.array([ridge])))[0] == pytest.approx(
        (krr - theta) @ (spectrum * (krr - theta)), rel=1e-9
    )
    problem = EmpiricalSquareLoss(features=jnp.asarray(x), labels=jnp.asarray(x @ theta))
    traj = simulate(problem, GradientFlow(rtol=1e-11, atol=1e-13, t1=t), jnp.zeros(modes), save=Save(ts=[t]))
    e = np.asarray(traj.final_params) - theta
    assert sample.errors(theta, sample.gradient_flow_filters(np.array([t])))[0] == pytest.approx(e @ (spectrum * e), rel=1e-7)


def test_krr_equivalent_against_monte_carlo() -> None:
    n, modes, draws = 100, 400, 12
    spectrum, target = theory.power_law(1.5, 1.0, modes)
    ridges = np.array([0.01, 0.0])
    samples = [KernelSample.draw(n, spectrum, seed) for seed in range(draws)]
    errors = np.mean([sample.errors(np.sqrt(target), sample.ridge_filters(ridges)) for sample in samples], axis=0)
    np.testing.assert_allclose(errors, theory.krr_error(n, ridges, spectrum, target), rtol=0.1)


def test_bad_input_is_refused() -> None:
    e = get_experiment("spectral-algorithms")
    with pytest.raises(BadInput, match="de_kappa"):
        e.validate({"kappas": [2.0], "de_kappa": 1.0})
    with pytest.raises(BadInput, match="ns"):
        e.validate({"ns": [500, 100]})
    with pytest.raises(BadInput, match="modes_ratio"):
        e.validate({"ns": [100, 20_000], "modes_ratio": 64})


@pytest.mark.slow
def test_experiment_small() -> None:
    e = get_experiment("spectral-algorithms")
    result = e.run(e.validate({"ns": [50, 100, 200], "seeds": 2, "de_times": [100.0], "de_ridges": [0.0], "grid": 12}))
    m = result.metrics
    assert m["exponents"]["kappa_4"]["gd_over_krr_at_largest_n"] <= 1.0 + 1e-9  # the best time includes t -> interpolant
    assert m["deterministic_equivalent"]["krr_max_relative_error"] < 0.2
    assert set(result.figures) == {"rates", "deterministic_equivalent"}
