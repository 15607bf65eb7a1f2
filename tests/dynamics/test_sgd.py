"""SGD on the empirical versions of a population problem: online batches converge to the flow."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab import SGD, GradientFlow, Save, simulate
from gflab.problems.multi_index import (
    OnlineSphereCorrelation,
    SampleSphereCorrelation,
    SphereCorrelation,
    embed,
    full_start,
    index_vectors,
    overlaps,
)

D, K = 30, 2
V = jnp.asarray(embed(index_vectors(K), D))
PHI = jnp.asarray([0, 0, 0, 1.0])  # he3 x he3


def _warm_start() -> jnp.ndarray:
    w = 0.8 * np.asarray(full_start(jax.random.key(0), D)) + 0.6 * np.asarray(V[0])
    return jnp.asarray(w / np.linalg.norm(w))


@pytest.mark.slow
def test_online_sgd_overlaps_converge_to_the_population_flow_as_the_batch_grows() -> None:
    save = Save(ts=tuple(np.linspace(0.0, 3.0, 7)), observables={"overlaps": overlaps})
    flow = simulate(SphereCorrelation(V, PHI), GradientFlow(rtol=1e-10, atol=1e-12, t1=3.0), _warm_start(), save=save)
    errors = []
    for batch in (10, 100, 1000):
        keys = jax.random.key_data(jax.random.split(jax.random.key(batch), 8))
        sgd = simulate(
            OnlineSphereCorrelation(V, PHI, keys, "he3", "he3"), SGD(eta=0.01, batch_size=batch, t1=3.0),
            _warm_start(), over=lambda p: p.key, save=save,
        )  # fmt: skip
        errors.append(float(np.mean(np.abs(sgd.observations["overlaps"] - flow.observations["overlaps"][None]).max(axis=(1, 2)))))
        np.testing.assert_allclose(np.linalg.norm(sgd.final_params, axis=-1), 1.0, atol=1e-12)  # retraction
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.05
    # noise ~ B^(-1/2): a hundredfold batch cuts the error at least threefold
    assert errors[0] / errors[2] > 3


@pytest.mark.slow
def test_finite_sample_flow_approaches_the_population_flow() -> None:
    save = Save(ts=(0.0, 1.0, 2.0), observables={"overlaps": overlaps})
    dyn = GradientFlow(rtol=1e-8, atol=1e-10, t1=2.0)
    flow = simulate(SphereCorrelation(V, PHI), dyn, _warm_start(), save=save).observations["overlaps"]
    gaps = []
    for m in (100, 20_000):
        data = jax.random.normal(jax.random.key(m), (m, D))
        problem = SampleSphereCorrelation(V, data, jax.random.key_data(jax.random.key(0)), "he3", "he3")
        sample = simulate(problem, dyn, _warm_start(), save=save).observations["overlaps"]
        gaps.append(float(np.max(np.abs(sample - flow))))
    assert gaps[1] < gaps[0]
    assert gaps[1] < 0.05
