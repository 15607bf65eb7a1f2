"""The exact overlap chain of a committee machine's one-pass SGD against the d-dimensional SGD."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import pytest
from scipy import stats

from gflab._jax import jax_module
from gflab.problems.committee import OnlineCommittee, embed_overlaps
from gflab.problems.committee_chain import CommitteeChain, initial_overlaps

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

D, RUNS = 10, 2000
Q0 = np.array([[0.6, 0.1], [0.1, 0.5]])
R0 = np.array([[0.3, 0.1], [0.0, 0.4]])
A0 = np.array([0.8, 1.2])
CASES = {  # eta, eta_a, batch, noise, weight decay, objective, spherical, chunk
    "square, noise, decay, second layer": (3.0, 2.0, 3, 0.5, 0.5, "square", False, 3),
    "correlation, spherical, pieces": (4.0, 0.0, 5, 0.0, 0.0, "correlation", True, 2),
}


@cache
def _full_sgd(case: tuple, seed: int) -> np.ndarray:
    """(Q11, Q12, Q22, R11, R21, a1) after one step of RUNS d-dimensional SGD runs."""
    eta, eta_a, batch, noise, decay, objective, spherical, _ = case
    omega = np.block([[Q0, R0], [R0.T, np.eye(2)]])
    rows = jnp.asarray(embed_overlaps(omega, D, np.random.default_rng(0)))
    net = OnlineCommittee(
        V=rows[2:], b=jnp.ones(2), key=jnp.zeros(2, jnp.uint32), noise=noise, weight_decay=decay, lr_ratio=eta_a / eta,
        objective=objective, spherical=spherical,
    )  # fmt: skip

    def one(key: jax.Array) -> jax.Array:
        p = {"w": rows[:2], "a": jnp.asarray(A0)}
        g = jax.grad(net.batch_loss)(p, net.sample_batch(key, batch, jnp.zeros((), jnp.int64)))
        p = net.retract(jax.tree.map(lambda x, gx: x - eta / D * gx, p, g))
        Q, R = net.overlaps(p)
        return jnp.stack([Q[0, 0], Q[0, 1], Q[1, 1], R[0, 0], R[1, 0], p["a"][0]])

    return np.asarray(jax.jit(jax.vmap(one))(jax.random.split(jax.random.key(seed), RUNS)))


def _chain(case: tuple, seed: int, d: float = D) -> np.ndarray:
    """(Q11, Q12, Q22, R11, R21, a1, t) after one step of RUNS chains."""
    return np.asarray(_compiled_chain(case)(jax.random.split(jax.random.key(seed), RUNS), jnp.asarray(d)))


@cache
def _compiled_chain(case: tuple) -> Callable[[jax.Array, jax.Array], jax.Array]:
    eta, eta_a, batch, noise, decay, objective, spherical, chunk = case

    def one(key: jax.Array, d: jax.Array) -> jax.Array:
        chain = CommitteeChain(
            T=jnp.eye(2), b=jnp.ones(2), key=key, d=d, eta=eta, eta_a=eta_a, batch_size=batch, noise=noise,
            weight_decay=decay, objective=objective, spherical=spherical, chunk=chunk, max_batch=batch,
        )  # fmt: skip
        p = chain.transition(key, initial_overlaps(jnp.asarray(Q0), jnp.asarray(R0), jnp.asarray(A0)))
        Q, R = p["Q"], p["R"]
        return jnp.stack([Q[0, 0], Q[0, 1], Q[1, 1], R[0, 0], R[1, 0], p["a"][0], p["t"]])

    return jax.jit(jax.vmap(one, in_axes=(0, None)))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_chain_has_the_law_of_the_d_dimensional_sgd(name: str) -> None:
    """After one step from the same overlaps, every order parameter of the chain and of the
    d = 10 SGD has the same law (two-sample Kolmogorov-Smirnov, 2000 runs each)."""
    full, reduced = _full_sgd(CASES[name], seed=1), _chain(CASES[name], seed=2)
    assert np.allclose(reduced[:, 6], 1 / D)  # time counts steps / d
    if CASES[name][6]:  # spherical: Q_kk = 1
        assert np.allclose(reduced[:, [0, 2]], 1.0)
    moving = np.std(full, axis=0) > 1e-3
    assert moving[[1, 3, 4]].all()  # the step moves Q and R (Q_kk = 1 on the sphere)
    for j in np.flatnonzero(moving):
        assert stats.ks_2samp(full[:, j], reduced[:, j]).pvalue > 1e-3, j


@pytest.mark.slow
def test_chain_in_the_wrong_dimension_is_rejected() -> None:
    """The test above has power: a chain whose complement has the wrong dimension (the Wishart
    term of d = 5 instead of 10) changes the law of Q."""
    case = CASES["square, noise, decay, second layer"]
    full, wrong = _full_sgd(case, seed=1), _chain(case, seed=2, d=5.0)
    assert min(stats.ks_2samp(full[:, j], wrong[:, j]).pvalue for j in (0, 2)) < 1e-3
