"""The exact overlap chain of spherical online SGD against the d-dimensional SGD, the batch-size
theory, the specs of ``batch-size`` and ``batch-reuse`` and the collapse metric of ``batch-reuse``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.experiments.online_sgd.batch_reuse import spread, spread_low
from gflab.experiments.online_sgd.claims import CLAIMS
from gflab.hermite import activation
from gflab.problems.committee import OnlineCommittee
from gflab.problems.single_index_sgd import ReducedSphericalSGD, initial_state
from gflab.theory.batch_size import rate_cap, step_size, time_exponent

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

D, M0, RUNS = 12, 0.3, 2000


def _full_sgd(objective: str, batch: int, gamma: float, reuse: int, seed: int, runs: int = RUNS) -> np.ndarray:
    """m after one draw of data for RUNS d-dimensional spherical SGD runs (OnlineCommittee's loss)."""
    v = jnp.eye(D)[:1]
    w0 = jnp.asarray([[M0, math.sqrt(1 - M0**2)] + [0.0] * (D - 2)])
    problem = OnlineCommittee(
        V=v, b=jnp.ones(1), key=jnp.zeros(2, jnp.uint32), student="he3", teacher="he3", objective=objective, spherical=True
    )  # type: ignore[arg-type]

    def one(key: jax.Array) -> jax.Array:
        x = jax.random.normal(key, (batch, D))
        p = {"w": w0, "a": jnp.ones(1)}
        for _ in range(reuse):
            g = jax.grad(problem.batch_loss)(p, (x, jnp.zeros(batch)))
            p = problem.retract({"w": p["w"] - gamma * g["w"], "a": p["a"]})
        return p["w"][0, 0]

    return np.asarray(jax.vmap(one)(jax.random.split(jax.random.key(seed), runs)))


def _chain(objective: str, batch: int, gamma: float, reuse: int, chunk: int, seed: int, runs: int = RUNS) -> np.ndarray:
    keys = jax.vmap(lambda k: jax.random.key_data(k))(jax.random.split(jax.random.key(seed), runs))
    problem = ReducedSphericalSGD(
        key=keys[0], d=float(D), gamma=gamma, batch_size=batch, autocorrelation=float(objective == "square"),
        degree=3, reuse=reuse, chunk=chunk, max_batch=batch,
    )  # fmt: skip
    step = jax.vmap(lambda k: problem.transition(k, initial_state(jnp.asarray(M0)))["m"])
    return np.asarray(step(keys))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("objective", "batch", "gamma", "reuse", "chunk"),
    [
        ("correlation", 5, 0.3, 1, 2),
        ("square", 1, 0.2, 1, 1),
        ("square", 1, 0.15, 2, 1),
        ("correlation", 3, 0.4, 1, 3),
    ],
)
def test_chain_has_the_law_of_the_d_dimensional_sgd(objective: str, batch: int, gamma: float, reuse: int, chunk: int) -> None:
    """The overlap after one draw of data: the reduced chain (pieces of ``chunk`` samples, the
    last masked) and the d = 12 SGD have the same law (two-sample Kolmogorov-Smirnov, 2000 runs
    each; at this size a real difference of the chi-square or frame terms is rejected)."""
    full = _full_sgd(objective, batch, gamma, reuse, seed=1)
    reduced = _chain(objective, batch, gamma, reuse, chunk, seed=2)
    assert np.std(full) > 0.01  # the step moves m
    assert stats.ks_2samp(full, reduced).pvalue > 1e-3


@pytest.mark.slow
def test_reused_batch_chain_has_the_law_and_differs_from_two_fresh_batches() -> None:
    """A batch of 6 used for two steps: the chain has the law of the d = 12 SGD, and at 10000 runs
    the test tells it from two steps on fresh batches (the reuse shifts the second step's fields)."""
    runs = 10_000
    full = _full_sgd("correlation", 6, 0.8, 2, seed=1, runs=runs)
    assert stats.ks_2samp(full, _chain("correlation", 6, 0.8, 2, 6, seed=3, runs=runs)).pvalue > 1e-3
    assert stats.ks_2samp(full, _fresh_twice(runs)).pvalue < 1e-6


def _fresh_twice(runs: int) -> np.ndarray:
    keys = jax.vmap(lambda k: jax.random.key_data(k))(jax.random.split(jax.random.key(5), runs))
    problem = ReducedSphericalSGD(
        key=keys[0], d=float(D), gamma=0.8, batch_size=6, autocorrelation=0.0, degree=3, chunk=6, max_batch=6, block=2
    )
    return np.asarray(jax.vmap(lambda k: problem.transition(k, initial_state(jnp.asarray(M0)))["m"])(keys))


@pytest.mark.slow
def test_chain_without_the_chi_square_term_is_rejected() -> None:
    """The test above has power: dropping the orthogonal noise (d = 2 chain) changes the law."""
    full = _full_sgd("correlation", 5, 0.3, 1, seed=1)
    keys = jax.vmap(lambda k: jax.random.key_data(k))(jax.random.split(jax.random.key(3), RUNS))
    problem = ReducedSphericalSGD(key=keys[0], d=2.0, gamma=0.3, batch_size=5, autocorrelation=0.0, chunk=5, max_batch=5)
    wrong = np.asarray(jax.vmap(lambda k: problem.transition(k, initial_state(jnp.asarray(M0)))["m"])(keys))
    assert stats.ks_2samp(full, wrong).pvalue < 1e-3


def test_hit_interpolates_the_first_crossing() -> None:
    """A deterministic chain (huge batch, the signal only) crosses the threshold once; ``hit`` lies
    between the last step below and the first step above."""
    problem = ReducedSphericalSGD(
        key=jax.random.key_data(jax.random.key(0)), d=100.0, gamma=0.1, batch_size=4096, autocorrelation=0.0,
        chunk=256, max_batch=4096, block=40,
    )  # fmt: skip
    state = problem.transition(jnp.asarray(jax.random.key_data(jax.random.key(1))), initial_state(jnp.asarray(0.3)))
    assert state["k"] == 40 and abs(state["m"]) > 0.5
    hit = float(state["hit"])
    assert 0 < hit < 40 and hit != round(hit)


@pytest.mark.parametrize("degree", [3, 4, 5, 6])
def test_square_loss_autocorrelation_coefficient_is_the_degree(degree: int) -> None:
    """The cap 1/(2l) rests on E[sigma'^2 + sigma sigma''] = l for sigma = he_l (Gauss-Hermite)."""
    z, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    g = activation(f"he{degree}")
    d1 = jax.vmap(jax.grad(g))(jnp.asarray(z))
    d2 = jax.vmap(jax.grad(jax.grad(g)))(jnp.asarray(z))
    value = float(w @ (np.asarray(d1) ** 2 + np.asarray(g(jnp.asarray(z))) * np.asarray(d2)))
    assert value == pytest.approx(degree, rel=1e-10)
    assert step_size(degree, np.array([1e4]), np.array([1e12]), 0.5, "square")[0] == pytest.approx(rate_cap(degree))


def test_time_exponents_kink_at_the_cap() -> None:
    assert [time_exponent(3, mu, "square") for mu in (0, 1, 1.5, 1.75)] == [2, 1, 0.5, 0.5]
    assert [time_exponent(3, mu, "correlation") for mu in (0, 1, 1.5, 1.75)] == [2, 1, 0.5, 0.25]


@pytest.mark.parametrize(
    ("experiment", "params", "field"),
    [
        ("batch-size", {"mus": [0.0, 2.5]}, "mus"),
        ("batch-size", {"mus": [1.0, 0.0]}, "mus"),
        ("batch-size", {"ds": [64, 32, 128]}, "ds"),
        ("batch-size", {"ds": [8, 32, 128]}, "ds"),
        ("batch-size", {"overlap0": 3.0, "ds": [16, 32, 64]}, "overlap0"),
        ("batch-size", {"losses": ["square", "square"]}, "losses"),
        ("batch-size", {"ds": [1024, 2048, 4096], "mus": [1.9], "degree": 3}, "mus"),
        ("batch-reuse", {"degrees": [2, 3]}, "degrees"),
        ("batch-reuse", {"ds": [128, 128]}, "ds"),
        ("batch-reuse", {"ds": [128, 16384]}, "ds"),
        ("batch-reuse", {"horizon": 1000.0, "seeds": 1024, "ds": [4096, 8192]}, "horizon"),
        ("batch-reuse", {"batch_exponent": 1.5, "batch_factor": 2.0, "ds": [512, 1024]}, "batch_factor"),
    ],
)
def test_bad_input_is_refused(experiment: str, params: dict, field: str) -> None:
    with pytest.raises(BadInput, match=f"{experiment}.{field}"):
        get_experiment(experiment).validate(params)


@pytest.mark.slow
def test_batch_size_small_run_reads_its_claims() -> None:
    exp = get_experiment("batch-size")
    result = exp.run(exp.validate({"ds": [16, 32, 64], "mus": [1.0, 1.5], "seeds": 8}))
    m = result.metrics
    for loss in ("square", "correlation"):
        cell = m[loss]["by_mu"]["1"]
        assert cell["reached"] == 1.0 and 0.3 < cell["exponent"] < 1.7
    assert "batch-size" in result.figures
    for claim in CLAIMS:
        if claim.experiment == "batch-size":
            assert claim.evaluate(m)["verdict"] in ("pass", "fail")


@pytest.mark.parametrize("law", [lambda d: 0.3 * d * math.log(d), lambda d: 7.0 * d * math.log(d)])
def test_reuse_spread_vanishes_on_the_d_ln_d_law(law: Any) -> None:
    ds = np.array([128.0, 512.0, 2048.0])
    scaled = np.array([[law(d) * f for f in (0.5, 1.0, 2.0)] for d in ds]) / (ds * np.log(ds))[:, None]
    assert spread(scaled) == pytest.approx(0.0, abs=1e-12)


def test_reuse_spread_of_the_one_pass_law_and_censoring() -> None:
    """Medians tau = d^2 over d = 128 .. 512: spread ln(4 ln 128 / ln 512). A median beyond the
    horizon: no upper bound (the spread is infinite, a collapse claim fails), and the lower bound
    enters it at the horizon; none reached: the lower bound is 0."""
    ds = np.array([128.0, 256.0, 512.0])
    scaled = (ds**2 / (ds * np.log(ds)))[:, None] * np.ones((1, 5))
    exact = math.log(4 * math.log(128) / math.log(512))
    assert spread(scaled) == pytest.approx(exact) and spread_low(scaled, horizon=1e6) == pytest.approx(exact)
    censored = scaled.copy()
    censored[-1, :3] = np.inf  # the median run at d = 512 did not recover
    assert spread(censored) == math.inf
    assert spread_low(censored, horizon=100.0) == pytest.approx(math.log(100.0 / scaled[0, 0]))
    assert spread_low(np.full((3, 5), np.inf), horizon=40.0) == 0.0


@pytest.mark.slow
def test_batch_reuse_small_run_reads_its_claims() -> None:
    """Batches of n_b = d used twice: at d = 64, 128 every reuse run recovers, earlier than the
    one-pass median at each d, and the claims read the metrics."""
    exp = get_experiment("batch-reuse")
    result = exp.run(exp.validate({"degrees": [3], "ds": [64, 128], "seeds": 8, "horizon": 20.0, "save_points": 6}))
    m = result.metrics
    assert m["batches"] == [64, 128] and "overlaps" in result.figures
    reuse, one_pass = m["he3"]["reuse"], m["he3"]["one_pass"]
    assert reuse["reached"] == [1.0, 1.0]
    for fast, slow in zip(reuse["median"], one_pass["median"], strict=True):
        assert fast < (slow if slow is not None else 20.0)
    assert 0.0 <= m["one_pass_min_spread"] == one_pass["spread"]
    for claim in CLAIMS:
        if claim.experiment == "batch-reuse" and "he4" not in claim.id:  # he4 is not run here
            assert claim.evaluate(m)["verdict"] in ("pass", "fail")
