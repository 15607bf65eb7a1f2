"""First-order methods on a diagonal quadratic, run on its spectrum: O(N) per step for N modes.

Velikanov & Yarotsky, "Tight convergence rate bounds for optimization under power law spectral
conditions" (GD, heavy ball, steepest descent, conjugate gradients); Velikanov, Kuznedelev &
Yarotsky, "A view of mini-batch SGD via generating functions" (mini-batch SGD with momentum).

The quadratic L(e) = (sum_k lambda_k e_k^2 + sigma^2) / 2 in the error e = w - theta* (the
population loss of :class:`gflab.problems.power_law.PowerLawQuadratic`). Every deterministic
method below keeps its iterate in the eigenbasis, so a step reads the spectrum once:

- heavy ball with a schedule (GD: beta_t = 0): e_{t+1} = e_t - alpha_t lambda e_t + beta_t (e_t - e_{t-1});
- GD with a filter of exponential memories (the finite-memory approximation of corner GD);
- steepest descent: the exact line search alpha_t = |g|^2 / (g . Lambda g), g = lambda e;
- conjugate gradients (Hestenes-Stiefel on Lambda e = 0);
- mini-batch SGD with momentum on fresh Gaussian batches x ~ N(0, Lambda), y = theta* . x + sigma xi
  (the features are diagonal in the same basis, so a step costs O(b N));
- the exact expected SGD loss: the per-mode second-moment recursion of
  :mod:`gflab.theory.sgd_moments`, iterated (three moments per mode, O(N) per step).

Each returns the loss at every step t = 0..T (float64), compiled once per shape with ``lax.scan``.
A run whose loss leaves every bound keeps its non-finite values; callers turn them into
``diverged`` verdicts.
"""

from __future__ import annotations

from functools import partial

from gflab._jax import jax_module

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def _loss(eigenvalues: jax.Array, error: jax.Array, sigma: jax.Array | float) -> jax.Array:
    return 0.5 * (jnp.sum(eigenvalues * error**2, axis=-1) + sigma**2)


@partial(jax.jit, static_argnames="every")
def heavy_ball_losses(
    eigenvalues: jax.Array, error0: jax.Array, alphas: jax.Array, betas: jax.Array, every: int = 1
) -> jax.Array:
    """Heavy ball with the schedule (alpha_t, beta_t), t = 0..T-1, from e_0 = ``error0`` at rest,
    written with the velocity v_t = e_t - e_{t-1} (v_0 = 0): v_{t+1} = beta_t v_t - alpha_t lambda e_t,
    e_{t+1} = e_t + v_{t+1} (two state arrays updated in place). The noiseless loss
    sum_k lambda_k e_k^2 / 2 at t = 0, every, 2 every, ..., T (T a multiple of ``every``: recording
    less often saves the reduction's pass over the modes)."""

    def step(carry: tuple[jax.Array, jax.Array], ab: tuple[jax.Array, jax.Array]) -> tuple[tuple[jax.Array, jax.Array], None]:
        e, v = carry
        alpha, beta = ab
        v = beta * v - alpha * eigenvalues * e
        return (e + v, v), None

    def block(
        carry: tuple[jax.Array, jax.Array], ab: tuple[jax.Array, jax.Array]
    ) -> tuple[tuple[jax.Array, jax.Array], jax.Array]:
        carry, _ = jax.lax.scan(step, carry, ab)
        return carry, _loss(eigenvalues, carry[0], 0.0)

    if alphas.shape[0] % every:
        raise ValueError(f"the number of steps {alphas.shape[0]} is not a multiple of every = {every}")
    blocks = (alphas.reshape(-1, every), betas.reshape(-1, every))
    _, losses = jax.lax.scan(block, (error0, jnp.zeros_like(error0)), blocks)
    return jnp.concatenate([_loss(eigenvalues, error0, 0.0)[None], losses])


@partial(jax.jit, static_argnames=("steps", "every"))
def memory_gd_losses(
    eigenvalues: jax.Array,
    error0: jax.Array,
    alpha: float | jax.Array,
    rho: jax.Array,
    weights: jax.Array,
    *,
    steps: int,
    every: int = 1,
) -> jax.Array:
    """GD with a gradient filter of M exponential memories (corner GD's rational approximation,
    :mod:`gflab.theory.corner`): m_j <- rho_j m_j + g_t, e_{t+1} = e_t - alpha sum_j c_j m_j with
    g_t = lambda e_t, from e_0 = ``error0`` and m = 0. The loss at t = 0, every, ..., steps
    (``steps`` a multiple of ``every``)."""

    def step(carry: tuple[jax.Array, jax.Array], _: None) -> tuple[tuple[jax.Array, jax.Array], None]:
        e, m = carry
        m = rho[:, None] * m + (eigenvalues * e)[None, :]
        return (e - alpha * (weights @ m), m), None

    def block(carry: tuple[jax.Array, jax.Array], _: None) -> tuple[tuple[jax.Array, jax.Array], jax.Array]:
        carry, _ = jax.lax.scan(step, carry, None, length=every)
        return carry, _loss(eigenvalues, carry[0], 0.0)

    if steps % every:
        raise ValueError(f"steps = {steps} is not a multiple of every = {every}")
    memory = jnp.zeros((rho.shape[0], error0.shape[0]))
    _, losses = jax.lax.scan(block, (error0, memory), None, length=steps // every)
    return jnp.concatenate([_loss(eigenvalues, error0, 0.0)[None], losses])


@partial(jax.jit, static_argnames="steps")
def steepest_descent_losses(eigenvalues: jax.Array, error0: jax.Array, steps: int) -> jax.Array:
    """Steepest descent with exact line search; the loss at t = 0..steps."""

    def step(e: jax.Array, _: None) -> tuple[jax.Array, jax.Array]:
        g = eigenvalues * e
        gg = jnp.sum(g * g)
        alpha = jnp.where(gg > 0, gg / jnp.where(gg > 0, jnp.sum(eigenvalues * g * g), 1.0), 0.0)
        new = e - alpha * g
        return new, _loss(eigenvalues, new, 0.0)

    _, losses = jax.lax.scan(step, error0, None, length=steps)
    return jnp.concatenate([_loss(eigenvalues, error0, 0.0)[None], losses])


@partial(jax.jit, static_argnames="steps")
def conjugate_gradient_losses(eigenvalues: jax.Array, error0: jax.Array, steps: int) -> jax.Array:
    """Conjugate gradients on Lambda e = 0 from e_0; the loss at t = 0..steps (a finished run
    stays at its minimum: a zero residual stops the updates)."""

    def step(carry: tuple[jax.Array, jax.Array, jax.Array], _: None) -> tuple[tuple[jax.Array, jax.Array, jax.Array], jax.Array]:
        e, r, p = carry  # r = -gradient = -Lambda e
        rr = jnp.sum(r * r)
        ap = eigenvalues * p
        pap = jnp.sum(p * ap)
        alive = (rr > 0) & (pap > 0)
        alpha = jnp.where(alive, rr / jnp.where(alive, pap, 1.0), 0.0)
        e = e + alpha * p
        r_new = r - alpha * ap
        beta = jnp.where(alive, jnp.sum(r_new * r_new) / jnp.where(alive, rr, 1.0), 0.0)
        return (e, r_new, r_new + beta * p), _loss(eigenvalues, e, 0.0)

    r0 = -eigenvalues * error0
    _, losses = jax.lax.scan(step, (error0, r0, r0), None, length=steps)
    return jnp.concatenate([_loss(eigenvalues, error0, 0.0)[None], losses])


@partial(jax.jit, static_argnames=("steps", "batch"))
def sgd_gaussian_losses(
    eigenvalues: jax.Array,
    error0: jax.Array,
    sigma: float | jax.Array,
    alpha: float | jax.Array,
    beta: float | jax.Array,
    key: jax.Array,
    *,
    steps: int,
    batch: int,
) -> jax.Array:
    """One run of mini-batch SGD with momentum on fresh Gaussian batches (module docstring):
    g_t = X^T (X e_t - sigma xi) / b with rows x ~ N(0, Lambda), v_{t+1} = beta v_t - alpha g_t,
    e_{t+1} = e_t + v_{t+1}; the population loss (with noise) at t = 0..steps. vmap it over
    keys (and step sizes) for an ensemble."""
    scale = jnp.sqrt(eigenvalues)

    def step(carry: tuple[jax.Array, jax.Array], k: jax.Array) -> tuple[tuple[jax.Array, jax.Array], jax.Array]:
        e, v = carry
        kx, kn = jax.random.split(k)
        x = scale * jax.random.normal(kx, (batch, eigenvalues.shape[0]))
        residual = x @ e - sigma * jax.random.normal(kn, (batch,))
        v = beta * v - alpha * (residual @ x) / batch
        e = e + v
        return (e, v), _loss(eigenvalues, e, sigma)

    _, losses = jax.lax.scan(step, (error0, jnp.zeros_like(error0)), jax.random.split(key, steps))
    return jnp.concatenate([_loss(eigenvalues, error0, sigma)[None], losses])


@partial(jax.jit, static_argnames="steps")
def expected_sgd_losses(
    eigenvalues: jax.Array,
    target_squared: jax.Array,
    sigma: float | jax.Array,
    alpha: float | jax.Array,
    beta: float | jax.Array,
    batch: float | jax.Array,
    *,
    steps: int,
    tau1: float | jax.Array = 1.0,
    tau2: float | jax.Array = -1.0,
) -> jax.Array:
    """The exact expected loss E L_t, t = 0..steps, of Gaussian online SGD with momentum from
    w = 0: the per-mode moments (E e^2, E e v, E v^2) iterated by m <- M_k m + u_k l_t (1, 1, 1)
    (:mod:`gflab.theory.sgd_moments`), with l_t = 2 L_t. Batchable with vmap over (alpha, beta, batch).

    ``tau1``, ``tau2``: the noise coefficients of the spectrally expressible approximation (gradient
    noise covariance (tau1 tr(Lambda C) Lambda - tau2 Lambda C Lambda) / b for E e e^T = C); the
    Gaussian values tau1 = 1, tau2 = -1 make it exact."""
    lam = eigenvalues
    h = alpha * lam
    q = -tau2 * h**2 / batch
    u = tau1 * alpha**2 * lam / batch
    b2 = beta**2

    def step(carry: tuple[jax.Array, jax.Array, jax.Array], _: None) -> tuple[tuple[jax.Array, jax.Array, jax.Array], jax.Array]:
        a, c, d = carry  # E e^2, E e v, E v^2 per mode
        ell = jnp.sum(lam * a) + sigma**2
        shared = q * a + b2 * d + u * ell
        a_new = (1 - h) ** 2 * a + 2 * beta * (1 - h) * c + shared
        c_new = -h * (1 - h) * a + beta * (1 - 2 * h) * c + shared
        d_new = h**2 * a - 2 * beta * h * c + shared
        return (a_new, c_new, d_new), 0.5 * (jnp.sum(lam * a_new) + sigma**2)

    zero = jnp.zeros_like(target_squared)
    _, losses = jax.lax.scan(step, (target_squared, zero, zero), None, length=steps)
    return jnp.concatenate([(0.5 * (jnp.sum(lam * target_squared) + sigma**2))[None], losses])
