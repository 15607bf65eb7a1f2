"""CP tensor decompositions: the tangent kernel, the linearised flow, padding, and the experiment."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.problems.cp_tensor import CPDecomposition, Factors, cp_tensor, linearised_loss, random_factors, tangent_kernel


def _factors(h: int, p: int, seed: int) -> Factors:
    return Factors(*(jnp.asarray(x[0]) for x in random_factors(h, p, 1.0, 1, seed)))


def test_tangent_kernel_is_the_jacobian_gram_matrix() -> None:
    factors, weights = _factors(5, 3, 0), jnp.asarray([0.5, 0.5, 0.5, 0.0, 0.5])
    jac = jax.jacrev(lambda f: cp_tensor(f, weights).ravel())(factors)
    flat = np.concatenate([np.asarray(j).reshape(27, -1) for j in jac], axis=1)
    np.testing.assert_allclose(tangent_kernel(factors, weights), flat @ flat.T, atol=1e-12)


def test_padded_components_get_no_gradient_and_initial_slopes_agree() -> None:
    """dL/dt(0) = -|grad L|^2 = -r0^T K r0: the flow and its linearisation start with the same slope."""
    p = 3
    factors, weights = _factors(4, p, 1), jnp.asarray([0.5, 0.5, 0.5, 0.0])
    target = jnp.asarray(np.random.default_rng(2).normal(size=(p, p, p)))
    problem = CPDecomposition(target=target, weights=weights)
    grad = problem.gradient(factors)
    assert all(float(jnp.abs(g[3]).max()) == 0.0 for g in grad)
    residual = np.asarray(cp_tensor(factors, weights) - target)
    h = 1e-6
    linear = linearised_loss(tangent_kernel(factors, weights), residual, np.array([0.0, h]))
    slope = -sum(float(jnp.sum(g**2)) for g in grad)
    assert linear[0] == pytest.approx(float(problem.loss(factors)), rel=1e-12)
    assert (linear[1] - linear[0]) / h == pytest.approx(slope, rel=1e-4)


def test_bad_input_is_refused() -> None:
    e = get_experiment("cp-tensor")
    with pytest.raises(BadInput, match="strengths"):
        e.validate({"strengths": [1.0, 1.0]})
    with pytest.raises(BadInput, match="hs"):
        e.validate({"hs": [64, 16]})


@pytest.mark.slow
def test_experiment_small() -> None:
    e = get_experiment("cp-tensor")
    result = e.run(e.validate({"hs": [64, 512], "seeds": 2, "inc_seeds": 3, "inc_p": 4, "inc_h": 4}))
    m = result.metrics
    assert m["lazy"]["mean_gap"][1] < m["lazy"]["mean_gap"][0]
    assert m["incremental"]["share_in_order"] == 1.0
    assert set(result.figures) == {"lazy", "incremental"}
