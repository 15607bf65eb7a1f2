"""The finite-d committee machine against the overlap ODE's drift, the informed start, bad input
and divergence."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.experiments.online_sgd.runs import Setup, run_ode
from gflab.problems.committee import OnlineCommittee, OverlapODE, embed_overlaps

Q0 = np.array([[0.5, 0.1], [0.1, 0.4]])
R0 = np.array([[0.3, 0.1], [-0.05, 0.2]])
T = np.eye(2)


def test_embedded_rows_hold_the_overlaps_exactly() -> None:
    omega = np.block([[Q0, R0], [R0.T, T]])
    rows = embed_overlaps(omega, 50, np.random.default_rng(0))
    assert rows.shape == (4, 50)
    assert np.max(np.abs(rows @ rows.T - omega)) < 1e-12


@pytest.mark.slow
@pytest.mark.parametrize(("student", "method"), [("erf", "closed"), ("relu", "quadrature")])
def test_mean_sgd_step_is_the_ode_drift(student: str, method: str) -> None:
    """The gradient of the simulation's batch loss, averaged over 200,000 fresh samples, moves
    (Q, R, a) at the ODE's first-order rate: d(R)/dt = -eta grad_U . V^T (eta = 1), and the same
    for Q and for a (second-layer rate eta_a = 1), within 5 standard errors."""
    d, n = 12, 200_000
    rows = embed_overlaps(np.block([[Q0, R0], [R0.T, T]]), d, np.random.default_rng(1))
    U, V = jnp.asarray(rows[:2]), jnp.asarray(rows[2:])
    a, b = jnp.array([0.8, 1.2]), jnp.ones(2)
    problem = OnlineCommittee(
        V=V, b=b, key=jax.random.key_data(jax.random.key(0)), lr_ratio=1.0, student=student, teacher=student
    )
    x = jax.random.normal(jax.random.key(2), (n, d))
    per_sample = jax.jit(jax.vmap(lambda xi: jax.grad(problem.batch_loss)({"w": U, "a": a}, (xi[None], jnp.zeros(1)))))(x)
    du = -per_sample["w"]  # (n, K, d): the rate of u per unit time (step eta/d, d steps per unit time)
    samples = np.concatenate(
        [
            np.asarray(jnp.einsum("skd,nd->skn", du, V)).reshape(n, -1),
            np.asarray(jnp.einsum("skd,ld->skl", du, U) + jnp.einsum("sld,kd->skl", du, U)).reshape(n, -1)[:, [0, 1, 3]],
            -np.asarray(per_sample["a"]),
        ],
        axis=1,
    )
    ode = OverlapODE(T=jnp.asarray(T), b=b, eta=1.0, eta_a=1.0, student=student, teacher=student, method=method, variance=0.0)
    drift = ode.drift({"Q": jnp.asarray(Q0), "R": jnp.asarray(R0), "a": a})
    predicted = np.concatenate(
        [np.asarray(drift["R"]).ravel(), np.asarray(drift["Q"]).ravel()[[0, 1, 3]], np.asarray(drift["a"])]
    )
    mean, se = samples.mean(0), samples.std(0) / np.sqrt(n)
    assert np.all(np.abs(mean - predicted) <= 5 * se + 2e-4)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"K": 0}, "K"),
        ({"M": 0}, "M"),
        ({"ds": [0, 100]}, "ds"),
        ({"batch_size": 0}, "batch_size"),
        ({"eta": 0.0}, "eta"),
        ({"eta": -1.0}, "eta"),
        ({"sigma": "relu", "sigma_star": "relu", "integrals": "closed"}, "integrals"),
        ({"sigma": "softplus"}, "sigma"),
    ],
)
def test_bad_input_is_refused_by_the_spec(params: dict, field: str) -> None:
    with pytest.raises(BadInput, match=f"overlap-ode.{field}"):
        get_experiment("overlap-ode").validate(params)


@pytest.mark.slow
def test_eta_beyond_stability_is_a_diverged_verdict() -> None:
    """A linear network (he1) has eta^2 terms growing like Q^2: at eta = 5 the overlaps blow up
    (diverged); at eta = 0.2 they converge (undecided by t1, finite)."""
    common = {"T": np.eye(1), "b": np.ones(1), "Q0": np.full((1, 1), 0.5), "R0": np.full((1, 1), 0.1), "a0": np.ones(1)}
    ts = np.linspace(0, 20, 3)
    _, verdict = run_ode(Setup(**common, eta=5.0, student="he1", teacher="he1", method="quadrature"), ts, 1e-8, 1e-10)
    assert verdict == "diverged"
    entries, verdict = run_ode(Setup(**common, eta=0.2, student="he1", teacher="he1", method="quadrature"), ts, 1e-8, 1e-10)
    assert verdict != "diverged" and np.all(np.isfinite(entries))


def test_batch_reuse_feeds_each_batch_to_two_consecutive_steps() -> None:
    key = jax.random.key_data(jax.random.key(3))
    V = jnp.asarray(np.eye(2, 16))
    once = OnlineCommittee(V=V, b=jnp.ones(2), key=key)
    twice = OnlineCommittee(V=V, b=jnp.ones(2), key=key, reuse=2)
    k1, k2 = jax.random.split(jax.random.key_data(jax.random.key(4)))
    x = [twice.sample_batch(k, 5, jnp.asarray(step))[0] for k, step in ((k1, 0), (k2, 1), (k1, 2))]
    assert np.array_equal(x[0], x[1]) and not np.array_equal(x[1], x[2])
    fresh = [once.sample_batch(k, 5, jnp.asarray(step))[0] for k, step in ((k1, 0), (k2, 1))]
    assert not np.array_equal(fresh[0], fresh[1])


def test_spherical_sgd_keeps_unit_rows_and_correlation_loss_is_linear_in_the_teacher() -> None:
    key = jax.random.key_data(jax.random.key(5))
    V = jnp.asarray(np.eye(2, 16))
    problem = OnlineCommittee(V=V, b=jnp.ones(2), key=key, spherical=True, objective="correlation", student="he1", teacher="he1")
    w = jax.random.normal(jax.random.key(6), (2, 16))
    assert np.allclose(np.linalg.norm(np.asarray(problem.retract({"w": w, "a": jnp.ones(2)})["w"]), axis=1), 1.0)
    # he1 student and teacher: -E[f y] = -a^T U V^T b exactly in the mean; a large batch agrees
    x, zeta = problem.sample_batch(jax.random.key_data(jax.random.key(7)), 200_000, jnp.asarray(0))
    u = w / jnp.linalg.norm(w, axis=1, keepdims=True)
    value = float(problem.batch_loss({"w": u, "a": jnp.ones(2)}, (x, zeta)))
    assert abs(value + float(jnp.sum(u @ V.T))) < 0.02
