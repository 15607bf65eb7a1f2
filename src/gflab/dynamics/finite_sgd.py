"""Mini-batch SGD with momentum on a finite data set (indices drawn with replacement), and its exact moments.

Velikanov, Kuznedelev & Yarotsky 2022, "A view of mini-batch SGD via generating functions"
(tier 2: the exact second moments for sampling from a finite data set). Data rows x_i, labels
y_i (i = 1..n), :class:`gflab.problems.linear_regression.LinearRegression`. A step draws b
indices i_1..i_b uniformly with replacement,

    g = (1/b) sum_j x_{i_j} r_{i_j},  r_i = x_i . e + eps_i,  v <- beta v - alpha g,  e <- e + v,

with e = w - w*. Given e: E g = H e and E g g^T = (1 - 1/b) H e e^T H + (1/b) S, where
S = (1/n) sum_i x_i x_i^T r_i^2. Taking expectations (m = E e, A = E e e^T, B = E e v^T,
C = E v v^T), E S = (1/n) sum_i x_i x_i^T (x_i^T A x_i + 2 eps_i x_i . m + eps_i^2) and

    C' = beta^2 C - alpha beta (B^T H + H B) + alpha^2 ((1 - 1/b) H A H + E S / b),
    B' = beta B - alpha A H + C',   A' = A + (beta B - alpha A H) + (beta B - alpha A H)^T + C',

the means following the heavy ball. E L = (tr(H A) + mean eps^2) / 2. Cost O(n p^2) per step.
"""

from __future__ import annotations

from functools import partial

from gflab._jax import jax_module

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


@partial(jax.jit, static_argnames=("steps", "batch"))
def finite_sgd_losses(
    features: jax.Array,
    labels: jax.Array,
    alpha: float | jax.Array,
    beta: float | jax.Array,
    key: jax.Array,
    *,
    steps: int,
    batch: int,
) -> jax.Array:
    """One SGD run from w = 0 (batches of ``batch`` indices with replacement); the full loss at t = 0..steps,
    as (w^T H w - 2 w . X^T y / n + mean y^2) / 2 (O(p^2) per step instead of the O(n p) of the residuals)."""
    n = labels.shape[0]
    hessian = features.T @ features / n
    moment = features.T @ labels / n
    offset = jnp.mean(labels**2)

    def loss(w: jax.Array) -> jax.Array:
        return 0.5 * (w @ hessian @ w - 2 * w @ moment + offset)

    def step(carry: tuple[jax.Array, jax.Array], k: jax.Array) -> tuple[tuple[jax.Array, jax.Array], jax.Array]:
        w, v = carry
        idx = jax.random.randint(k, (batch,), 0, n)
        x = features[idx]
        v = beta * v - alpha * (x @ w - labels[idx]) @ x / batch
        w = w + v
        return (w, v), loss(w)

    w0 = jnp.zeros(features.shape[1])
    _, losses = jax.lax.scan(step, (w0, w0), jax.random.split(key, steps))
    return jnp.concatenate([loss(w0)[None], losses])


@partial(jax.jit, static_argnames="steps")
def expected_finite_sgd_losses(
    features: jax.Array,
    residuals: jax.Array,
    minimiser: jax.Array,
    alpha: float | jax.Array,
    beta: float | jax.Array,
    batch: float | jax.Array,
    *,
    steps: int,
) -> jax.Array:
    """The exact expected loss E L_t, t = 0..steps, of SGD with replacement from w = 0 (module docstring)."""
    n = residuals.shape[0]
    hessian = features.T @ features / n
    noise_floor = jnp.mean(residuals**2)

    def expected_loss(a: jax.Array) -> jax.Array:
        return 0.5 * (jnp.sum(hessian * a) + noise_floor)

    Moments = tuple[jax.Array, jax.Array, jax.Array, jax.Array, jax.Array]  # E e, E v, E e e^T, E e v^T, E v v^T

    def step(state: Moments, _: None) -> tuple[Moments, jax.Array]:
        m, mv, a, b, c = state
        quadratic = jnp.einsum("ip,pq,iq->i", features, a, features) + 2 * residuals * (features @ m) + residuals**2
        s = features.T @ (quadratic[:, None] * features) / n
        gg = (1 - 1 / batch) * hessian @ a @ hessian + s / batch
        hb = hessian @ b
        c_new = beta**2 * c - alpha * beta * (hb.T + hb) + alpha**2 * gg
        cross = beta * b - alpha * a @ hessian
        b_new = cross + c_new
        a_new = a + cross + cross.T + c_new
        mv_new = beta * mv - alpha * hessian @ m
        return (m + mv_new, mv_new, a_new, b_new, c_new), expected_loss(a_new)

    p = minimiser.shape[0]
    a0 = jnp.outer(minimiser, minimiser)
    zeros = jnp.zeros((p, p))
    start: Moments = (-minimiser, jnp.zeros(p), a0, zeros, zeros)
    _, losses = jax.lax.scan(step, start, None, length=steps)
    return jnp.concatenate([expected_loss(a0)[None], losses])
