"""SGD stability on 1-D quadratic families: exact factors against sampling, and the boundary."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.dynamics import SGD
from gflab.experiments import get_experiment
from gflab.problems.quadratic import QuadraticFamily
from gflab.simulation import Save, simulate
from gflab.theory.stability import sgd_critical_step, sgd_second_moment_factor

CURVATURES = np.array([0.3, 0.7, 1.1, 1.9])


@pytest.mark.parametrize("scheme", ["with-replacement", "without-replacement", "reshuffling"])
def test_second_moment_factor_by_direct_sampling(scheme: str) -> None:
    rng = np.random.default_rng(0)
    a = CURVATURES
    eta, b, reps = 0.8, 2, 200_000
    if scheme == "with-replacement":
        draws = (1 - eta * a[rng.integers(0, 4, (reps, b))].mean(axis=1)) ** 2
    elif scheme == "without-replacement":
        draws = (1 - eta * a[np.argsort(rng.random((reps, 4)), axis=1)[:, :b]].mean(axis=1)) ** 2
    else:
        order = a[np.argsort(rng.random((reps, 4)), axis=1)]
        draws = np.prod((1 - eta * order.reshape(reps, 2, 2).mean(axis=2)) ** 2, axis=1)
    assert abs(draws.mean() - sgd_second_moment_factor(a, eta, b, scheme)) < 5 * draws.std() / np.sqrt(reps)


@pytest.mark.parametrize("scheme", [pytest.param("with-replacement", marks=pytest.mark.slow), "reshuffling"])
def test_sgd_ensemble_contracts_theta2_by_the_exact_factor(scheme: str) -> None:
    """One SGD trajectory per run, two step sizes in one ensemble (the step on the dynamics):
    over one epoch (B = 2 of n = 4: two steps) E[theta^2] is multiplied by the exact factor
    (squared per step for the iid scheme)."""
    etas, runs, b = np.array([0.8, 1.6]), 20_000, 2
    keys = jax.vmap(lambda i: jax.random.key_data(jax.random.fold_in(jax.random.key(0), i)))(jnp.arange(runs))
    problem = QuadraticFamily(curvatures=jnp.asarray(CURVATURES), key=jnp.tile(keys, (2, 1)), scheme=scheme)
    eta = jnp.repeat(jnp.asarray(etas), runs)
    traj = simulate(
        problem, SGD(eta=eta, batch_size=b, t1=2 * eta), jnp.ones(()), over=lambda p: p.key,
        dynamics_over=lambda d: (d.eta, d.t1), save=Save(observables={}), slots=1 << 15,
    )  # fmt: skip
    assert np.all(traj.steps == 2)
    theta2 = np.asarray(traj.final_params).reshape(2, runs) ** 2
    for e, sample in zip(etas, theta2, strict=True):
        factor = sgd_second_moment_factor(CURVATURES, e, b, scheme)
        exact = factor if scheme == "reshuffling" else factor**2
        assert abs(sample.mean() - exact) < 5 * sample.std() / np.sqrt(runs)


def test_iid_boundaries_in_closed_form_and_full_batch() -> None:
    a = np.array([0.5, 1.5])
    var = 0.25
    assert sgd_critical_step(a, 1, "with-replacement") == pytest.approx(2 / (1 + var))
    for scheme in ("without-replacement", "reshuffling"):
        assert sgd_critical_step(a, 2, scheme) == pytest.approx(2.0)  # B = n: gradient descent


@pytest.mark.slow
def test_measured_boundary_small() -> None:
    e = get_experiment("sgd-stability")
    result = e.run(e.validate({"n_samples": 4, "batch_sizes": [1, 2], "paths": 20_000, "grid": 12}))
    for scheme, error in result.metrics["max_relative_error"].items():
        assert error < 0.03, scheme


def test_cost_counts_path_steps_and_refuses_a_day_of_them() -> None:
    from gflab.errors import BadInput
    from gflab.experiments import validate

    def minutes(**params: object) -> float:
        estimate = validate("sgd-stability", params).cost()
        assert estimate is not None and estimate.minutes is not None
        return estimate.minutes

    # reshuffling with n_samples = 8 takes 8/B steps per epoch (14 over B = 1, 2, 4) against 2 per iid run
    one_scheme = {"paths": 20_000, "grid": 16}
    assert minutes(schemes=["reshuffling"], **one_scheme) > minutes(schemes=["with-replacement"], **one_scheme)
    with pytest.raises(BadInput, match="paths"):
        validate("sgd-stability", {"paths": 10_000_000, "grid": 1000})
