"""The power-law quadratic: a linear model with Gaussian features under capacity and source conditions.

Velikanov & Yarotsky, "Tight convergence rate bounds for optimization under power law spectral
conditions"; Velikanov, Kuznedelev & Yarotsky, "A view of mini-batch SGD via generating
functions". Features x ~ N(0, diag lambda) with lambda_k = k^(-nu) (k = 1..N), labels
y = theta* . x + sigma xi (xi ~ N(0, 1)), target coefficients with lambda_k (theta*_k)^2 = k^(-kappa-1).

The population loss of weights w with error e = w - theta* is

    L(w) = E (w . x - y)^2 / 2 = (sum_k lambda_k e_k^2 + sigma^2) / 2,

diagonal in the modes, so any first-order method started at w = 0 acts on each e_k separately
and N = 10^6 modes cost O(N) per step. The measure sum_k lambda_k theta*_k^2 delta(lambda - lambda_k)
behaves as lambda^(zeta - 1) d lambda / nu near 0 with zeta = kappa / nu: GD then has L_t ~ t^(-zeta).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class PowerLawQuadratic:
    """The power-law problem: ``nu`` (capacity), ``kappa`` (source), ``n_modes`` N, label noise ``sigma``."""

    nu: float
    kappa: float
    n_modes: int
    sigma: float = 0.0

    def __post_init__(self) -> None:
        if not (self.nu > 0 and self.kappa > 0 and self.n_modes >= 1 and self.sigma >= 0):
            raise ValueError(f"need nu > 0, kappa > 0, n_modes >= 1, sigma >= 0 (got {self})")

    @property
    def zeta(self) -> float:
        """The source exponent in spectral units, zeta = kappa / nu (GD loss ~ t^(-zeta))."""
        return self.kappa / self.nu

    @cached_property
    def eigenvalues(self) -> np.ndarray:
        """lambda_k = k^(-nu), k = 1..N (largest first)."""
        return np.arange(1, self.n_modes + 1, dtype=float) ** (-self.nu)

    @cached_property
    def target_squared(self) -> np.ndarray:
        """(theta*_k)^2 = k^(-kappa-1) / lambda_k."""
        k = np.arange(1, self.n_modes + 1, dtype=float)
        return k ** (self.nu - self.kappa - 1.0)

    @cached_property
    def target(self) -> np.ndarray:
        """theta*_k >= 0 (the sign does not matter to any second moment)."""
        return np.sqrt(self.target_squared)

    def loss(self, error_squared: np.ndarray) -> np.ndarray:
        """(sum_k lambda_k e_k^2 + sigma^2) / 2 over the last axis of ``error_squared``."""
        return 0.5 * (np.asarray(error_squared) @ self.eigenvalues + self.sigma**2)

    @property
    def initial_loss(self) -> float:
        """L at w = 0: (sum_k k^(-kappa-1) + sigma^2) / 2."""
        return float(self.loss(self.target_squared))
