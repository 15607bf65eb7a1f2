"""Spherical online SGD on a single-index model, reduced exactly to a Markov chain in the overlap.

Model: x ~ N(0, I_d), label y = f*(nu) with nu = v . x (|v| = 1), student f(x) = sigma(lambda)
with lambda = w . x on the unit sphere |w| = 1; sigma and f* are normalised Hermite polynomials
he_l (``gflab.hermite``). One step of spherical SGD with rate gamma on a batch of n_b fresh
samples (the setting of Ben Arous, Gheissari & Jagannath 2021, "Online stochastic gradient
descent on non-convex losses from high-dimensional inference"):

    w' = (w - gamma G) / |w - gamma G|,   G = (1/n_b) sum_i h(lambda_i, nu_i) x_i,

with h = dl/dlambda the derivative of the per-sample loss: (sigma(lambda) - y) sigma'(lambda)
(square loss) or -y sigma'(lambda) (correlation loss, l = -y f(x): the square loss without the
student's autocorrelation term sigma^2 / 2; Arnaboldi et al. 2024). This is the step of
:class:`gflab.problems.committee.OnlineCommittee` with K = M = 1, ``spherical=True``.

Exact reduction (derived here). Write w = m v + s e with e a unit vector orthogonal to v and
s = sqrt(1 - m^2), and x_i = alpha_i v + beta_i e + x_i^perp. By rotation invariance about v,
the law of the next overlap depends on the present one only, and
(alpha_i, beta_i) are iid N(0, 1) and independent of the x_i^perp ~ N(0, I_{d-2}); h_i depends on
(alpha_i, beta_i) only (lambda_i = m alpha_i + s beta_i, nu_i = alpha_i). Given the h_i,
sum_i h_i x_i^perp ~ N(0, (sum_i h_i^2) I_{d-2}), so its squared norm is (sum_i h_i^2) chi2_{d-2}.
Hence

    m' = (m - gamma A) / sqrt((m - gamma A)^2 + (s - gamma B)^2 + gamma^2 (sum h_i^2 / n_b^2) chi2_{d-2}),

A = (1/n_b) sum h_i alpha_i, B = (1/n_b) sum h_i beta_i: the finite-d chain itself, in law, at
O(n_b) work per step instead of O(n_b d). With ``reuse`` = 2 (and n_b = 1) each sample is used for
two consecutive steps; w, v and x then span three dimensions: in the frame (v, e, f),
f = x^perp / |x^perp|, x = (alpha, beta, sqrt(chi2_{d-2})) and both steps act there exactly.

A batch of n_b > 1 samples used for two steps (``reuse`` = 2) reduces too (derived here). With
c = h / n_b the first step's weights, the second step needs the batch's fields on w_1, which
involve W c for the Wishart matrix W = X^perp X^perp^T ~ Wishart_{n_b}(d - 2, I). In the
Bartlett frame of R^{n_b} whose first vector is c / |c|, W = L L^T with L lower triangular,
L_11^2 ~ chi2_{d-2} (the chi-square above), the rest of its first column a vector z_perp ~
N(0, I) orthogonal to c, and the remaining columns an independent Wishart_{n_b-1}(d - 3, I)
block. Hence W c = L_11^2 c + |c| L_11 z_perp exactly, and for the second step's weights c',
split as c' = p c / |c| + (its part orthogonal to c, of norm q),
c'^T W c' = (p L_11 + z_perp . c')^2 + q^2 chi2_{d-3} with a fresh chi-square: two steps on a
batch at O(n_b) work.

The state also carries the step count and the first (fractional, linearly interpolated) step
at which |m| reaches ``threshold``: the time of weak recovery without the rounding of whole
steps.
"""

from __future__ import annotations

import math
from typing import Literal

import equinox as eqx

from gflab._jax import jax_module
from gflab.hermite import activation
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

Loss = Literal["square", "correlation"]
NOT_REACHED = -1.0  # ``hit`` before weak recovery


def initial_state(m0: jax.Array) -> dict[str, jax.Array]:
    """The chain's state at overlap m0 (any shape): no step taken, recovery not reached (``hit``
    = -1: finite, since the engine takes non-finite parameters for divergence)."""
    m0 = jnp.asarray(m0, dtype=jnp.float64)
    return {"m": m0, "k": jnp.zeros_like(m0), "hit": jnp.full_like(m0, NOT_REACHED)}


class ReducedSphericalSGD(AbstractProblem):
    """The exact Markov chain of the overlap m = w . v under spherical online SGD (module doc).

    Student and teacher are the normalised Hermite polynomial he_l, l = ``degree``
    (he_l' = sqrt(l) he_{l-1}). ``autocorrelation`` weighs the student's own term in the
    residual, h = (autocorrelation sigma(lambda) - y) sigma'(lambda): 1 is the square loss, 0 the
    correlation loss -y f(x) (Arnaboldi et al. 2024). ``key`` is the sample stream (raw key data,
    one per trajectory); ``d``, ``gamma``, ``batch_size`` and ``autocorrelation`` may differ per
    trajectory. The batch is drawn in ``chunk``-sized pieces (the last one masked; ``max_batch``
    bounds ``batch_size``), so that one compiled chain serves every batch size; one
    :meth:`transition` makes ``block`` draws of data. ``loss`` is 1 - |m|: a stop at
    ``tol = 1 - threshold`` is weak recovery.
    """

    key: jax.Array
    d: float | jax.Array
    gamma: float | jax.Array
    batch_size: int | jax.Array = 1
    autocorrelation: float | jax.Array = 1.0
    threshold: float | jax.Array = 0.5
    degree: int = eqx.field(static=True, default=3)
    reuse: int = eqx.field(static=True, default=1)
    chunk: int = eqx.field(static=True, default=1)
    max_batch: int = eqx.field(static=True, default=1)
    block: int = eqx.field(static=True, default=1)

    def loss(self, p: dict[str, jax.Array]) -> jax.Array:
        return 1.0 - jnp.abs(p["m"])

    def loss_and_grad_norm(self, p: dict[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
        return self.loss(p), jnp.zeros(())

    def clock(self, p: dict[str, jax.Array]) -> jax.Array:
        """The time: SGD steps taken."""
        return p["k"]

    def score(self, lam: jax.Array, nu: jax.Array) -> jax.Array:
        """h = dl/dlambda of the per-sample loss at (lambda, nu)."""
        l = self.degree  # noqa: E741
        g, below = activation(f"he{l}"), activation(f"he{l - 1}")
        return (self.autocorrelation * g(lam) - g(nu)) * math.sqrt(l) * below(lam)

    def _sums(self, alpha: jax.Array, beta: jax.Array, m: jax.Array, s: jax.Array, first: jax.Array) -> jax.Array:
        """(sum h alpha, sum h beta, sum h^2) over one piece of the batch (samples first, first + 1, ..)."""
        h = self.score(m * alpha + s * beta, alpha)
        h = jnp.where(first + jnp.arange(alpha.shape[-1]) < self.batch_size, h, 0.0)
        return jnp.stack([h @ alpha, h @ beta, h @ h])

    def _fresh_step(self, key: jax.Array, normals: jax.Array, m: jax.Array, chi2: jax.Array) -> jax.Array:
        """One SGD step on a fresh batch; ``normals`` (2, chunk) is its first piece."""
        s = jnp.sqrt(jnp.clip(1.0 - m * m, 0.0))
        sums = self._sums(normals[0], normals[1], m, s, jnp.zeros((), jnp.int64))
        if self.chunk < self.max_batch:

            def add(j: jax.Array, total: jax.Array) -> jax.Array:
                alpha, beta = jax.random.normal(jax.random.fold_in(key, j), (2, self.chunk))
                return total + self._sums(alpha, beta, m, s, j * self.chunk)

            pieces = (jnp.asarray(self.batch_size) + self.chunk - 1) // self.chunk
            sums = jax.lax.fori_loop(1, pieces, add, sums)
        ha, hb, hh = sums / self.batch_size
        along, across = m - self.gamma * ha, s - self.gamma * hb
        return along / jnp.sqrt(along**2 + across**2 + self.gamma**2 * hh / self.batch_size * chi2)

    def _reused_steps(self, normals: jax.Array, m: jax.Array, chi2: jax.Array) -> jax.Array:
        """``reuse`` steps on one sample, in the frame (v, e, f) of the module doc."""
        alpha, beta = normals[0, 0], normals[1, 0]
        x = jnp.stack([alpha, beta, jnp.sqrt(chi2)])
        w = jnp.stack([m, jnp.sqrt(jnp.clip(1.0 - m * m, 0.0)), jnp.zeros(())])
        for _ in range(self.reuse):
            w = w - self.gamma * self.score(w @ x, alpha) * x
            w = w / jnp.linalg.norm(w)
        return w[0]

    def _reused_batch(self, key: jax.Array, normals: jax.Array, m: jax.Array, chi2: jax.Array) -> jax.Array:
        """Two steps on one fresh batch of ``batch_size`` samples (module doc: the Bartlett frame);
        ``normals`` (2, chunk) are the batch's (alpha, beta), ``chi2`` its chi2_{d-2}."""
        if self.reuse != 2 or self.chunk != self.max_batch:
            raise ValueError("a reused batch of several samples: reuse 2 and the whole batch in one piece only")
        kz, kc = jax.random.split(key)
        alpha, beta = normals[0], normals[1]
        live = jnp.arange(self.chunk) < self.batch_size
        s = jnp.sqrt(jnp.clip(1.0 - m * m, 0.0))
        c = jnp.where(live, self.score(m * alpha + s * beta, alpha), 0.0) / self.batch_size
        norm_c = jnp.sqrt(c @ c)
        unit = c / jnp.where(norm_c > 0, norm_c, 1.0)
        z = jnp.where(live, jax.random.normal(kz, (self.chunk,)), 0.0)
        z_perp = z - (z @ unit) * unit
        l11 = jnp.sqrt(chi2)
        along, across = m - self.gamma * (c @ alpha), s - self.gamma * (c @ beta)
        norm1 = jnp.sqrt(along**2 + across**2 + self.gamma**2 * norm_c**2 * chi2)
        lam = (along * alpha + across * beta - self.gamma * (chi2 * c + norm_c * l11 * z_perp)) / norm1
        c2 = jnp.where(live, self.score(lam, alpha), 0.0) / self.batch_size
        p = c2 @ unit
        perp = (p * l11 + z_perp @ c2) ** 2 + jnp.clip(c2 @ c2 - p * p, 0.0) * jax.random.chisquare(kc, self.d - 3.0)
        a2, b2 = c2 @ alpha, c2 @ beta
        squared = 1.0 - 2.0 * self.gamma * (c2 @ lam) + self.gamma**2 * (a2**2 + b2**2 + perp)
        return (along / norm1 - self.gamma * a2) / jnp.sqrt(squared)

    def transition(self, key: jax.Array, p: dict[str, jax.Array]) -> dict[str, jax.Array]:
        """``block`` draws of fresh data, each one SGD step (or ``reuse`` steps on one sample).
        The random numbers of a block are drawn together (one vectorised chi-square sampler
        instead of one per step)."""
        kc, kn, ks = jax.random.split(key, 3)
        chi2 = jax.random.chisquare(kc, self.d - 2.0, (self.block,))
        normals = jax.random.normal(kn, (self.block, 2, self.chunk))
        keys = jax.random.split(ks, self.block)

        def one(state: dict[str, jax.Array], draw: tuple[jax.Array, ...]) -> tuple[dict[str, jax.Array], None]:
            k_i, normals_i, chi2_i = draw
            m = state["m"]
            if self.reuse == 1:
                new = self._fresh_step(k_i, normals_i, m, chi2_i)
            elif self.max_batch == 1:
                new = self._reused_steps(normals_i, m, chi2_i)
            else:
                new = self._reused_batch(k_i, normals_i, m, chi2_i)
            k = state["k"] + self.reuse
            before, after = jnp.abs(m), jnp.abs(new)
            crossed = (state["hit"] < 0) & (after >= self.threshold)
            fraction = jnp.clip((self.threshold - before) / jnp.where(after > before, after - before, 1.0), 0.0, 1.0)
            hit = jnp.where(crossed, k - self.reuse + self.reuse * fraction, state["hit"])
            return {"m": new, "k": k, "hit": hit}, None

        return jax.lax.scan(one, p, (keys, normals, chi2))[0]


def overlap(problem: ReducedSphericalSGD, p: dict[str, jax.Array]) -> jax.Array:
    """Observable: the overlap m."""
    return p["m"]


__all__ = ["NOT_REACHED", "ReducedSphericalSGD", "initial_state", "overlap"]
