"""Two-layer committee machines learning a two-layer teacher by one-pass SGD on Gaussian inputs.

Two views of the same learning problem (conventions, step eta/d and time t = steps/d: see
:mod:`gflab.theory.overlaps`):

- :class:`OverlapODE`: the d -> infinity limit, an ODE in the order parameters (Q, R, a)
  (Saad & Solla 1995; Goldt et al. 2019). It is handed to :func:`gflab.simulate` as a problem
  whose "gradient" is minus the ODE's right-hand side, so :class:`~gflab.dynamics.GradientFlow`
  integrates it with its adaptive solver; its loss is the generalisation error, and a stop on
  ``|grad| < gtol`` is a fixed point of the ODE (a plateau: the ``trapped`` verdict).
- :class:`OnlineCommittee`: the finite-d network trained by :class:`~gflab.dynamics.SGD` on
  fresh Gaussian batches (``reuse`` = 2 uses each batch for two consecutive steps), optionally
  on the sphere (``spherical``) or with the correlation loss. Its exact Markov chain in the
  overlaps (fresh batches, cost independent of d) is
  :class:`gflab.problems.committee_chain.CommitteeChain`.

The Gaussian integrals of the ODE are :mod:`gflab.problems.committee_integrals`.
"""

from __future__ import annotations

from typing import Literal

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.problems.base import AbstractProblem
from gflab.problems.committee_integrals import Method, committee_activation, integrals, population_error
from gflab.theory import overlaps as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

Loss = Literal["square", "correlation"]


class OverlapODE(AbstractProblem):
    """The overlap equations as a problem for :class:`~gflab.dynamics.GradientFlow`.

    Parameters are ``{"Q": (K, K), "R": (K, M), "a": (K,)}``; ``gradient`` returns minus the
    right-hand side of :func:`gflab.theory.overlaps.drift` (not the gradient of any loss: the
    flow integrates dy/dt = -gradient(y)); ``loss`` is eps_g. ``eta_a = 0`` keeps a fixed.
    """

    T: jax.Array
    b: jax.Array
    eta: float | jax.Array = 1.0
    eta_a: float | jax.Array = 0.0
    batch_size: float | jax.Array = 1.0
    noise: float | jax.Array = 0.0
    weight_decay: float | jax.Array = 0.0
    student: str = eqx.field(static=True, default="erf")
    teacher: str = eqx.field(static=True, default="erf")
    method: Method = eqx.field(static=True, default="closed")
    log2_points: int = eqx.field(static=True, default=16)
    variance: float | jax.Array = 1.0  # weight of the eta^2 terms (0: the limit eta -> 0)

    def rates(self) -> theory.Rates:
        return theory.Rates(self.eta, self.eta_a, self.batch_size, self.noise, self.weight_decay, self.variance)

    def _integrals(self, p: dict[str, jax.Array]) -> theory.Integrals:
        Q = 0.5 * (p["Q"] + p["Q"].T)
        C = theory.covariance(Q, p["R"], self.T, jnp)
        return integrals(C, Q.shape[0], self.student, self.teacher, self.method, self.log2_points)

    def loss(self, p: dict[str, jax.Array]) -> jax.Array:
        return theory.generalisation_error(self._integrals(p), p["a"], self.b, jnp)

    def drift(self, p: dict[str, jax.Array]) -> dict[str, jax.Array]:
        """The right-hand side d(Q, R, a)/dt."""
        dQ, dR, da = theory.drift(p["Q"], p["R"], p["a"], self.b, self._integrals(p), self.rates(), jnp)
        return {"Q": 0.5 * (dQ + dQ.T), "R": dR, "a": da}

    def gradient(self, p: dict[str, jax.Array]) -> dict[str, jax.Array]:
        return jax.tree.map(jnp.negative, self.drift(p))

    def value_and_gradient(self, p: dict[str, jax.Array]) -> tuple[jax.Array, dict[str, jax.Array]]:
        ints = self._integrals(p)
        dQ, dR, da = theory.drift(p["Q"], p["R"], p["a"], self.b, ints, self.rates(), jnp)
        grad = {"Q": -0.5 * (dQ + dQ.T), "R": -dR, "a": -da}
        return theory.generalisation_error(ints, p["a"], self.b, jnp), grad


def embed_overlaps(omega: np.ndarray, d: int, rng: np.random.Generator) -> np.ndarray:
    """Rows (n, d) whose Gram matrix is exactly ``omega`` (n x n, PSD), in a random orthonormal
    frame of R^d: the informed start of a finite-d run with given overlaps."""
    e, v = np.linalg.eigh(omega)
    factor = v * np.sqrt(np.clip(e, 0.0, None))[None, :]
    frame, _ = np.linalg.qr(rng.standard_normal((d, omega.shape[0])))
    return factor @ frame.T


class OnlineCommittee(AbstractProblem):
    """The finite-d committee machine trained by one-pass SGD (:class:`gflab.dynamics.SGD` with
    ``eta = eta_ode / d``: its time k eta/d is eta_ode t).

    ``V`` (M, d) are the teacher's unit-scale rows (V V^T = T), ``key`` the batch stream (raw
    key data, one per trajectory). The second layer moves at ``lr_ratio`` = eta_a / eta times
    the first layer's rate (its gradient is scaled; 0 keeps it fixed). ``reuse`` = 2 feeds each
    fresh batch to two consecutive steps. ``loss`` is the population eps_g (closed form where
    there is one); the population gradient norm is not computed (reported as 0), so stop rules
    on it do not apply to online SGD.
    """

    V: jax.Array
    b: jax.Array
    key: jax.Array
    noise: float | jax.Array = 0.0
    weight_decay: float | jax.Array = 0.0
    lr_ratio: float | jax.Array = 0.0
    student: str = eqx.field(static=True, default="erf")
    teacher: str = eqx.field(static=True, default="erf")
    reuse: int = eqx.field(static=True, default=1)
    objective: Loss = eqx.field(static=True, default="square")
    spherical: bool = eqx.field(static=True, default=False)

    def overlaps(self, p: dict[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
        """(Q, R) = (U U^T, U V^T)."""
        u = p["w"]
        return u @ u.T, u @ self.V.T

    def loss(self, p: dict[str, jax.Array]) -> jax.Array:
        Q, R = self.overlaps(p)
        return population_error(Q, R, p["a"], self.V @ self.V.T, self.b, self.student, self.teacher)

    def loss_and_grad_norm(self, p: dict[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
        return self.loss(p), jnp.zeros(())

    def retract(self, p: dict[str, jax.Array]) -> dict[str, jax.Array]:
        if not self.spherical:
            return p
        return {**p, "w": p["w"] / jnp.linalg.norm(p["w"], axis=1, keepdims=True)}

    def sample_batch(self, key: jax.Array, size: int, step: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(x, zeta): ``size`` fresh Gaussian inputs (size, d) and label noises; with ``reuse`` =
        r, steps r j .. r j + r - 1 share batch j (drawn from the stream's key and j)."""
        if self.reuse > 1:
            key = jax.random.fold_in(self.key, step // self.reuse)
        kx, kz = jax.random.split(key)
        return jax.random.normal(kx, (size, self.V.shape[1])), jax.random.normal(kz, (size,))

    def batch_loss(self, p: dict[str, jax.Array], batch: tuple[jax.Array, jax.Array]) -> jax.Array:
        x, zeta = batch
        g, gs = committee_activation(self.student), committee_activation(self.teacher)
        a = self.lr_ratio * p["a"] + jax.lax.stop_gradient((1.0 - self.lr_ratio) * p["a"])  # value a, gradient scaled
        prediction = g(x @ p["w"].T) @ a
        label = gs(x @ self.V.T) @ self.b + self.noise * zeta
        fit = jnp.mean(0.5 * (prediction - label) ** 2) if self.objective == "square" else -jnp.mean(prediction * label)
        return fit + 0.5 * self.weight_decay * jnp.sum(p["w"] ** 2)


def overlap_entries(Q: jax.Array, R: jax.Array, a: jax.Array) -> jax.Array:
    """The independent order parameters in one vector: upper triangle of Q, R, a."""
    rows, cols = np.triu_indices(Q.shape[-1])
    return jnp.concatenate([Q[..., rows, cols], R.reshape(R.shape[:-2] + (-1,)), a], axis=-1)


def ode_entries(problem: OverlapODE, p: dict[str, jax.Array]) -> jax.Array:
    """Observable: :func:`overlap_entries` of the ODE's state."""
    return overlap_entries(p["Q"], p["R"], p["a"])


def sgd_entries(problem: OnlineCommittee, p: dict[str, jax.Array]) -> jax.Array:
    """Observable: :func:`overlap_entries` of a finite-d network."""
    Q, R = problem.overlaps(p)
    return overlap_entries(Q, R, p["a"])


__all__ = [
    "OnlineCommittee",
    "OverlapODE",
    "embed_overlaps",
    "ode_entries",
    "overlap_entries",
    "sgd_entries",
]
