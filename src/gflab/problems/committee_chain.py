"""One-pass SGD of a committee machine reduced exactly to a Markov chain in its overlaps.

Setting and step convention of :mod:`gflab.theory.overlaps` (Saad & Solla 1995; Goldt et al.
2019): unit-scale rows U (K, d) of the student and V (M, d) of the teacher, fresh batches
X (n_b, d) of N(0, I_d) inputs, and one step

    U' = c U + C^T X,   c = 1 - eta kappa / d,   C_bk = -(eta / (d n_b)) a_k g'(lambda_bk) Delta_b,
    a_k' = a_k - (eta_a / (d n_b)) sum_b g(lambda_bk) Delta_b,

with Delta_b = f(x_b) - y_b (square loss) or -y_b (correlation loss), y_b = b . g*(nu_b) +
sigma zeta_b; spherical SGD then rescales every row of U' to unit norm. This is the step of
:class:`gflab.problems.committee.OnlineCommittee` under :class:`gflab.dynamics.SGD` at rate eta / d.

Exact reduction (derived here; the single-index case is :mod:`gflab.problems.single_index_sgd`).
Let r = K + M, Omega = [[Q, R], [R^T, T]] the Gram matrix of the rows of (U, V), and S any
factor with S S^T = Omega. There is an orthonormal E (r, d) with (U; V) = S E, so a sample splits
as x = E^T xi + x_perp with xi = E x ~ N(0, I_r) independent of x_perp, a standard Gaussian of
the (d - r)-dimensional complement; the local fields are z = (lambda, nu) = S xi. C depends on the
batch through z and the label noises only, so with P = Xi^T C (r, K):

    R' = c R + (S P)_{K:}^T,
    Q' = c^2 Q + c ((S P)_{:K} + (S P)_{:K}^T) + P^T P + C^T X_perp X_perp^T C,

and given C the d - r columns of C^T X_perp (in a basis of the complement) are iid
N(0, C^T C) vectors of R^K: the last term is a Wishart_K(d - r, C^T C) draw, sampled as
F A A^T F^T (F F^T = C^T C, A the Bartlett factor: lower triangular, A_ii^2 ~ chi2_{d-r-i}
for i = 0 .. K-1, A_ij ~ N(0, 1) below the diagonal). The chain is the
finite-d SGD itself, in law, at O(n_b r K) work per step instead of O(n_b d K); any factor S
serves (an eigen-factor, so that a singular Omega is exact too: its null directions are then
complement coordinates). The tests check it against the d-dimensional SGD by Kolmogorov-Smirnov.

The state is ``{"Q", "R", "a", "t"}`` with t = steps / d; one :meth:`transition` makes ``block``
steps; the batch is drawn in ``chunk``-sized pieces (the last one masked; ``max_batch`` bounds
``batch_size``), so that one compiled chain serves every batch size.
"""

from __future__ import annotations

from typing import Literal

import equinox as eqx

from gflab._jax import jax_module
from gflab.problems.base import AbstractProblem
from gflab.problems.committee import overlap_entries
from gflab.problems.committee_integrals import activation_derivative, committee_activation, population_error

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

Loss = Literal["square", "correlation"]


def initial_overlaps(Q: jax.Array, R: jax.Array, a: jax.Array) -> dict[str, jax.Array]:
    """The chain's state at the overlaps (Q, R) and second layer a, time 0 (leading axes allowed)."""
    return {"Q": jnp.asarray(Q), "R": jnp.asarray(R), "a": jnp.asarray(a), "t": jnp.zeros(jnp.shape(a)[:-1])}


def _factor(gram: jax.Array) -> jax.Array:
    """F with F F^T = gram (symmetric PSD, possibly singular): the eigen-factor."""
    e, v = jnp.linalg.eigh(0.5 * (gram + gram.T))
    return v * jnp.sqrt(jnp.clip(e, 0.0))[None, :]


class CommitteeChain(AbstractProblem):
    """The exact Markov chain of (Q, R, a) under one-pass SGD of a committee machine (module doc).

    ``T`` (M, M), ``b`` (M,) the teacher; ``key`` the sample stream (raw key data, one per
    trajectory); ``d``, ``eta`` (step eta / d), ``eta_a`` (second layer; 0 keeps a fixed),
    ``batch_size``, ``noise`` (label noise sigma) and ``weight_decay`` (kappa) may differ per
    trajectory. ``loss`` is the population eps_g.
    """

    T: jax.Array
    b: jax.Array
    key: jax.Array
    d: float | jax.Array
    eta: float | jax.Array
    eta_a: float | jax.Array = 0.0
    batch_size: int | jax.Array = 1
    noise: float | jax.Array = 0.0
    weight_decay: float | jax.Array = 0.0
    student: str = eqx.field(static=True, default="erf")
    teacher: str = eqx.field(static=True, default="erf")
    objective: Loss = eqx.field(static=True, default="square")
    spherical: bool = eqx.field(static=True, default=False)
    chunk: int = eqx.field(static=True, default=1)
    max_batch: int = eqx.field(static=True, default=1)
    block: int = eqx.field(static=True, default=1)

    def loss(self, p: dict[str, jax.Array]) -> jax.Array:
        return population_error(p["Q"], p["R"], p["a"], self.T, self.b, self.student, self.teacher)

    def loss_and_grad_norm(self, p: dict[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
        return self.loss(p), jnp.zeros(())

    def clock(self, p: dict[str, jax.Array]) -> jax.Array:
        """The time t = steps / d."""
        return p["t"]

    def _sums(self, key: jax.Array, S: jax.Array, a: jax.Array, first: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Over one piece of the batch (samples first, first + 1, ..): (Xi^T c, c^T c, sum g Delta),
        c_bk = a_k g'(lambda_bk) Delta_b (C = -eta / (d n_b) c)."""
        K = a.shape[0]
        kx, kz = jax.random.split(key)
        xi = jax.random.normal(kx, (self.chunk, S.shape[0]))
        z = xi @ S.T
        lam, nu = z[:, :K], z[:, K:]
        g = committee_activation(self.student)
        label = committee_activation(self.teacher, "sigma_star")(nu) @ self.b + self.noise * jax.random.normal(kz, (self.chunk,))
        g_lam = g(lam)
        delta = g_lam @ a - label if self.objective == "square" else -label
        live = (first + jnp.arange(self.chunk) < self.batch_size)[:, None]
        c = jnp.where(live, activation_derivative(g)(lam) * a[None, :] * delta[:, None], 0.0)
        return xi.T @ c, c.T @ c, jnp.sum(jnp.where(live, g_lam * delta[:, None], 0.0), axis=0)

    def step(self, key: jax.Array, p: dict[str, jax.Array]) -> dict[str, jax.Array]:
        """One SGD step on a fresh batch."""
        Q, R, a = p["Q"], p["R"], p["a"]
        K = Q.shape[0]
        S = _factor(jnp.block([[Q, R], [R.T, self.T]]))
        kw, kb, kc = jax.random.split(key, 3)
        sums = self._sums(kb, S, a, jnp.zeros((), jnp.int64))
        if self.chunk < self.max_batch:

            def add(j: jax.Array, total: tuple[jax.Array, ...]) -> tuple[jax.Array, ...]:
                more = self._sums(jax.random.fold_in(kb, j), S, a, j * self.chunk)
                return tuple(x + y for x, y in zip(total, more, strict=True))

            pieces = (jnp.asarray(self.batch_size) + self.chunk - 1) // self.chunk
            sums = jax.lax.fori_loop(1, pieces, add, sums)
        xi_c, c_c, g_delta = sums
        scale = -self.eta / (self.d * self.batch_size)
        P = scale * xi_c  # Xi^T C
        SP = S @ P
        decay = 1.0 - self.eta * self.weight_decay / self.d
        # the complement: Wishart_K(d - r, C^T C) by the Bartlett decomposition
        r = S.shape[0]
        dof = self.d - r - jnp.arange(K)
        chi2 = jax.random.chisquare(kw, dof)
        below = jnp.tril(jax.random.normal(kc, (K, K)), -1)
        A = below + jnp.diag(jnp.sqrt(chi2))
        FA = _factor(scale**2 * c_c) @ A
        Q_new = decay**2 * Q + decay * (SP[:K] + SP[:K].T) + P.T @ P + FA @ FA.T
        R_new = decay * R + SP[K:].T
        a_new = a - self.eta_a / (self.d * self.batch_size) * g_delta
        if self.spherical:
            norm = 1.0 / jnp.sqrt(jnp.diagonal(Q_new))
            Q_new, R_new = Q_new * norm[:, None] * norm[None, :], R_new * norm[:, None]
        return {"Q": 0.5 * (Q_new + Q_new.T), "R": R_new, "a": a_new, "t": p["t"] + 1.0 / self.d}

    def transition(self, key: jax.Array, p: dict[str, jax.Array]) -> dict[str, jax.Array]:
        """``block`` SGD steps."""
        keys = jax.random.split(key, self.block)
        return jax.lax.scan(lambda state, k: (self.step(k, state), None), p, keys)[0]


def chain_entries(problem: CommitteeChain, p: dict[str, jax.Array]) -> jax.Array:
    """Observable: :func:`gflab.problems.committee.overlap_entries` of the chain's state."""
    return overlap_entries(p["Q"], p["R"], p["a"])


__all__ = ["CommitteeChain", "chain_entries", "initial_overlaps"]
