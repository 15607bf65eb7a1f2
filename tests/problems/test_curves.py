"""Zoo models: shapes, closed forms, gradients against finite differences."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gflab.errors import BadInput
from gflab.problems import CurveFit, custom, make_model
from gflab.problems.curves import sin_curve_frequencies

ZOO = [("sin-curve", 2, None), ("sin-curve", 4, None), ("linear", 3, None), ("trig", 3, 2), ("poly", 3, 2), ("poly", 2, 1)]


@pytest.mark.parametrize(("name", "d", "W"), ZOO)
def test_model_shapes_and_dtype(name: str, d: int, W: int | None) -> None:
    model = make_model(name, d=d, W=W, seed=1)
    out = model(jnp.full((model.W,), 0.3))
    assert out.shape == (d,)
    assert out.dtype == jnp.float64


def test_sin_curve_is_the_papers_figure_4() -> None:
    model = make_model("sin-curve", d=2)
    w = 0.7
    np.testing.assert_allclose(model(jnp.array([w])), [np.sin(w), np.sin(np.sqrt(2) * w)], rtol=1e-15)
    assert np.allclose(sin_curve_frequencies(5) ** 2, [1, 2, 3, 5, 7])


def test_linear_model_is_well_conditioned() -> None:
    s = np.linalg.svd(np.asarray(make_model("linear", d=4, seed=3).A), compute_uv=False)
    np.testing.assert_allclose([s.max(), s.min()], [2.0, 0.5], rtol=1e-12)


def test_custom_model_wraps_a_function() -> None:
    helix = custom(lambda w: jnp.array([jnp.cos(w[0]), jnp.sin(w[0]), w[0]]), W=1, d=3)
    np.testing.assert_allclose(helix(jnp.array([0.0])), [1.0, 0.0, 0.0])
    with pytest.raises(BadInput):
        custom(lambda w: w, W=0, d=1)


@pytest.mark.parametrize(
    ("name", "d", "W", "field"), [("sin-curve", 2, 2, "W, d"), ("linear", 3, 2, "W"), ("nope", 2, None, "model")]
)
def test_impossible_models_name_the_field(name: str, d: int, W: int | None, field: str) -> None:
    with pytest.raises(BadInput) as info:
        make_model(name, d=d, W=W)
    assert info.value.field == field


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(["trig", "poly", "sin-curve"]),
    w=st.lists(st.floats(-2.0, 2.0), min_size=2, max_size=2),
    f=st.lists(st.floats(-1.0, 1.0), min_size=3, max_size=3),
)
def test_gradient_matches_finite_differences(name: str, w: list[float], f: list[float]) -> None:
    model = make_model(name, d=3, W=None if name == "sin-curve" else 2, seed=2)
    problem = CurveFit(model=model, target=jnp.asarray(f))
    w0 = jnp.asarray(w[: model.W])
    grad = np.asarray(jax.grad(problem.loss)(w0))
    eps = 1e-6
    for i in range(model.W):
        e = jnp.zeros(model.W).at[i].set(eps)
        fd = (problem.loss(w0 + e) - problem.loss(w0 - e)) / (2 * eps)
        assert abs(float(fd) - grad[i]) < 1e-6 * (1 + abs(grad[i]))
    assert float(problem.loss(w0)) >= 0.0
    assert np.isfinite(grad).all()


@pytest.mark.parametrize(("name", "d", "W"), ZOO)
def test_closed_form_jacobians_match_autodiff(name: str, d: int, W: int | None) -> None:
    """At one point per model: the hand-written Jacobians (fastmath.sincos) against jacfwd."""
    model = make_model(name, d=d, W=W, seed=4)
    w0 = jnp.linspace(-1.3, 0.7, model.W)
    value, jacobian = jax.jit(lambda w: model.value_and_jacobian(w))(w0)
    np.testing.assert_allclose(value, model(w0), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(jacobian, jax.jit(lambda w: jax.jacfwd(model)(w))(w0), rtol=1e-13, atol=1e-13)


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(
    zoo=st.sampled_from(ZOO),
    w=st.lists(st.floats(-20.0, 20.0), min_size=3, max_size=3),
    f=st.lists(st.floats(-1.0, 1.0), min_size=4, max_size=4),
)
def test_closed_form_loss_and_gradient_match_autodiff(zoo: tuple[str, int, int | None], w: list[float], f: list[float]) -> None:
    """The models' Jacobians (trig and sin-curve by hand, with fastmath.sincos) against
    autodiff through jnp.sin."""
    name, d, W = zoo
    model = make_model(name, d=d, W=W, seed=4)
    problem = CurveFit(model=model, target=jnp.asarray(f[:d]))
    w0 = jnp.asarray(w[: model.W])
    value, jacobian = model.value_and_jacobian(w0)
    np.testing.assert_allclose(value, model(w0), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(jacobian, jax.jacfwd(model)(w0), rtol=1e-13, atol=1e-13)
    loss, grad = problem.value_and_gradient(w0)
    auto_loss, auto_grad = jax.value_and_grad(problem.loss)(w0)
    np.testing.assert_allclose(loss, auto_loss, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(grad, auto_grad, rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(problem.gradient(w0), grad)
