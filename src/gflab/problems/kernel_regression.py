"""Kernel regression in the kernel's eigenbasis: Gaussian features, noiseless targets, spectral algorithms.

Velikanov, Panov & Yarotsky 2024, "Generalization error of spectral algorithms" (the setting; the
deterministic equivalents are in :mod:`gflab.theory.spectral_algorithms`). Features x = Lambda^(1/2)
z, z ~ N(0, I_P), target y = theta* . x. A spectral algorithm returns theta = h(Sigma_hat) theta*
(Sigma_hat = X^T X / n); gradient flow on the empirical square loss L(theta) = |X theta - y|^2 /
(2n) from theta = 0 is the profile 1 - e^(-t s). With K = X X^T / n = U diag(s) U^T, every error
vector is e = (1 - h)(Sigma_hat) theta* = theta* - X^T U diag(g(s)) U^T X theta* / n with
g(s) = h(s) / s: g = (1 - e^(-ts)) / s (gradient flow at t), g = 1 / (s + r) (KRR, ridge r); its
population error is e^T Lambda e.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gflab._jax import jax_module
from gflab.problems.base import AbstractProblem

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class EmpiricalSquareLoss(AbstractProblem):
    """L(theta) = |X theta - y|^2 / (2n): the training loss whose gradient flow is GD at time t."""

    features: jax.Array  # (n, P)
    labels: jax.Array  # (n,)

    def loss(self, theta: jax.Array) -> jax.Array:
        residual = self.features @ theta - self.labels
        return 0.5 * jnp.mean(residual**2)


@dataclass(frozen=True)
class KernelSample:
    """n Gaussian samples of the features and the eigendecomposition of their kernel matrix."""

    features: np.ndarray  # X, (n, P)
    spectrum: np.ndarray  # lambda_k, (P,)
    kernel_eigenvalues: np.ndarray  # s, (n,)
    kernel_eigenvectors: np.ndarray  # U, (n, n)

    @staticmethod
    def draw(n: int, spectrum: np.ndarray, seed: int) -> KernelSample:
        x = np.random.default_rng(seed).normal(size=(n, len(spectrum))) * np.sqrt(spectrum)
        s, u = np.linalg.eigh(x @ x.T / n)
        return KernelSample(x, spectrum, s, u)

    def errors(self, theta_star: np.ndarray, filters: np.ndarray) -> np.ndarray:
        """Population errors e^T Lambda e, one per row g of ``filters`` (shape (F, n), g(s) at s)."""
        n = len(self.kernel_eigenvalues)
        projected = self.kernel_eigenvectors.T @ (self.features @ theta_star) / n  # U^T X theta* / n
        e = theta_star[None, :] - (filters * projected) @ self.kernel_eigenvectors.T @ self.features
        return np.einsum("fp,p,fp->f", e, self.spectrum, e)

    def gradient_flow_filters(self, ts: np.ndarray) -> np.ndarray:
        """g(s) = (1 - e^(-ts)) / s per time (s > 0: n < P)."""
        s = self.kernel_eigenvalues
        return -np.expm1(-np.outer(ts, s)) / s

    def ridge_filters(self, ridges: np.ndarray) -> np.ndarray:
        """g(s) = 1 / (s + r) per ridge (r = 0: the minimum-norm interpolant)."""
        return 1.0 / (self.kernel_eigenvalues[None, :] + np.asarray(ridges)[:, None])
