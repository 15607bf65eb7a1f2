"""Loss asymptotics of first-order methods on the power-law quadratic, and the heavy-ball schedules.

Velikanov & Yarotsky, "Tight convergence rate bounds for optimization under power law spectral
conditions" (2022); Velikanov, Kuznedelev & Yarotsky, "A view of mini-batch SGD via generating
functions" (2022); Yarotsky, "Corner gradient descent" (2025).

With lambda_k = k^(-nu) and lambda_k theta*_k^2 = k^(-kappa-1), the loss measure
rho(d lambda) = sum_k lambda_k theta*_k^2 delta(lambda - lambda_k) is lambda^(zeta-1) d lambda / nu
near 0 (zeta = kappa / nu). GD from w = 0 gives L_t = (1/2) sum_k k^(-kappa-1) (1 - alpha lambda_k)^(2t);
replacing the sum by the integral and (1 - alpha lambda)^(2t) by exp(-2 alpha lambda t),

    L_t ~ (1 / (2 nu)) int_0^inf lambda^(zeta-1) exp(-2 alpha lambda t) d lambda = Gamma(zeta) (2 alpha t)^(-zeta) / (2 nu).

Heavy ball with constant momentum beta moves the slow modes with the effective rate alpha / (1 - beta),
so L_t^HB / L_t^GD -> (1 - beta)^zeta. The heavy ball whose residual polynomials are the normalised
Jacobi polynomials P_n^(a,b)(1 - 2 lambda / L) / P_n^(a,b)(1) (a non-stationary schedule) reaches
L_t ~ t^(-2 zeta) when a > zeta - 1/2 (near lambda = 0 they are Bessel functions of n sqrt(lambda)).
"""

from __future__ import annotations

import math

import numpy as np

PAPER_RATES = "Velikanov & Yarotsky 2022, Tight convergence rate bounds for optimization under power law spectral conditions"


def gd_constant(nu: float, kappa: float, alpha: float) -> float:
    """C of L_t ~ C t^(-zeta) for GD: Gamma(zeta) (2 alpha)^(-zeta) / (2 nu)."""
    zeta = kappa / nu
    return math.gamma(zeta) * (2 * alpha) ** (-zeta) / (2 * nu)


def heavy_ball_ratio(beta: float, zeta: float) -> float:
    """The limit of L_t(heavy ball, momentum beta) / L_t(GD, same alpha): (1 - beta)^zeta."""
    return (1 - beta) ** zeta


def jacobi_schedule(steps: int, a: float, b: float, top: float) -> tuple[np.ndarray, np.ndarray]:
    """(alpha_t, beta_t), t = 0..steps-1, of the heavy ball e_{t+1} = e_t - alpha_t lambda e_t
    + beta_t (e_t - e_{t-1}) whose residual after n = t + 1 steps is R_n(lambda) = P_n(x) / P_n(1),
    x = 1 - 2 lambda / ``top``, P_n the Jacobi polynomial with parameters (a, b).

    From the three-term recurrence (DLMF 18.9.2), 2n (n+a+b) (2n+a+b-2) P_n = (2n+a+b-1)
    [(2n+a+b)(2n+a+b-2) x + a^2 - b^2] P_{n-1} - 2 (n+a-1)(n+b-1)(2n+a+b) P_{n-2}, divided by
    P_n(1) = Gamma(n+a+1) / (Gamma(a+1) n!), R_n = (c_n x + d_n) R_{n-1} - e_n R_{n-2} with
    c_n + d_n - e_n = 1; hence alpha = 2 c_n / top, beta = e_n. R_1 = 1 - (a+b+2) lambda / ((a+1) top).
    """
    n = np.arange(2, steps + 1, dtype=float)
    s = 2 * n + a + b
    denominator = 2 * n * (n + a + b) * (s - 2)
    c = (s - 1) * s * (s - 2) / denominator * n / (n + a)
    e = 2 * (n + a - 1) * (n + b - 1) * s / denominator * n * (n - 1) / ((n + a) * (n + a - 1))
    alphas = np.concatenate([[(a + b + 2) / ((a + 1) * top)], 2 * c / top])
    betas = np.concatenate([[0.0], e])
    return alphas[:steps], betas[:steps]


def sgd_phase_exponent(nu: float, kappa: float) -> float:
    """The loss exponent of SGD: min(zeta, 2 - 1/nu) (signal phase when zeta is the smaller, noise phase otherwise)."""
    return min(kappa / nu, 2 - 1 / nu)


def corner_theta_max(nu: float, kappa: float) -> float:
    """The best corner of stochastic corner GD: theta_max = min(2, nu, 2 / (zeta + 1/nu))."""
    return min(2.0, nu, 2 / (kappa / nu + 1 / nu))


def local_exponent(steps: np.ndarray, losses: np.ndarray) -> float:
    """-slope of log L against log t by least squares (the fitted decay exponent)."""
    slope = np.polyfit(np.log(steps), np.log(losses), 1)[0]
    return float(-slope)
