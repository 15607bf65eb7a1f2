"""Deterministic equivalents of the generalisation error of KRR and of gradient flow on kernel regression.

Velikanov, Panov & Yarotsky 2024, "Generalization error of spectral algorithms" (the setting:
spectral algorithms with profile h(lambda), KRR and GD as special cases, power-law asymptotics and
the saturation of KRR). Gaussian design in the kernel's eigenbasis: features x_k = sqrt(lambda_k)
z_k, z ~ N(0, I_P), target y = theta* . x (noiseless), with the conventions of gflab's linear
family: lambda_k = k^(-nu) and lambda_k theta*_k^2 = k^(-kappa - 1) (k = 1..P). A spectral
algorithm with profile h returns theta = h(Sigma_hat) theta* from n samples (Sigma_hat = X^T X / n),
so its error is e = (1 - h)(Sigma_hat) theta* and E = e^T Sigma e:

- KRR with ridge r: 1 - h(s) = r / (s + r);
- gradient flow on the empirical square loss from theta = 0, stopped at t: 1 - h(s) = e^(-t s).

One-point equivalent (the standard one: Bordelon, Canatar & Pehlevan 2020; Simon et al. 2021).
The effective regulariser kappa(r) solves kappa = r + (kappa / n) sum_k lambda_k / (lambda_k + kappa),
and r^2 theta*^T (Sigma_hat + r)^(-1) Sigma (Sigma_hat + r)^(-1) theta* ~ kappa^2 / (1 - g) sum_k
lambda_k theta*_k^2 / (lambda_k + kappa)^2 with g = (1/n) sum_k lambda_k^2 / (lambda_k + kappa)^2.

Two-point equivalent and gradient flow (derived here). The same argument with two ridges gives
Q(r1, r2) = theta*^T (Sigma_hat + r1)^(-1) Sigma (Sigma_hat + r2)^(-1) theta* ~ kappa1 kappa2 /
(r1 r2 (1 - g12)) sum_k lambda_k theta*_k^2 / ((lambda_k + kappa1)(lambda_k + kappa2)), g12 =
(1/n) sum_k lambda_k^2 / ((lambda_k + kappa1)(lambda_k + kappa2)), analytic in r1, r2 off the
negative real axis. With e^(-t Sigma_hat) = (1 / 2 pi i) oint e^(-t z) (z - Sigma_hat)^(-1) dz
around the spectrum [0, inf), the gradient-flow error is the double contour integral

    E(t) = (1 / 2 pi i)^2 oint oint e^(-t z1 - t z2) Q(-z1, -z2) dz1 dz2,

evaluated on the parabola z(u) = (mu / t)(u + i)^2 (u real, clockwise; it crosses the real axis
at -mu / t and the spectrum lies on Im u = -1, so the trapezoidal rule in u converges like
e^(-2 pi / h)) with kappa continued analytically along it from large |z|.

Exponents. With kappa_eff ~ n^(-nu) at r -> 0 the bias sum_k lambda_k theta*_k^2 kappa^2 /
(lambda_k + kappa)^2 ~ n^(-2 nu) sum_(k<n) k^(2nu - kappa - 1) ~ n^(-min(kappa, 2 nu)): KRR, at any
ridge, saturates at n^(-min(kappa, 2 nu)) (the paper's saturation). The profile e^(-ts) itself
does not saturate, and the rate n^(-kappa) of gradient flow stopped at t ~ n^nu is stated for it
(as transcribed in the issue). In this Gaussian design, though, every spectral algorithm
h(Sigma_hat) leaves the part (I - Pi) theta* outside the span Pi of the n samples untouched, and
that part alone carries the error of the interpolant, ~ kappa_0^2 theta*_1^2 / lambda_1 ~
n^(-2 nu) (derived here): gflab measures this (the claims of the spectral-algorithms experiment).
"""

from __future__ import annotations

import numpy as np

PAPER = "Velikanov, Panov & Yarotsky 2024, Generalization error of spectral algorithms"


def power_law(nu: float, kappa: float, modes: int) -> tuple[np.ndarray, np.ndarray]:
    """(lambda_k, theta*_k^2) = (k^(-nu), k^(nu - kappa - 1)), k = 1..modes."""
    k = np.arange(1, modes + 1, dtype=float)
    return k**-nu, k ** (nu - kappa - 1.0)


def effective_ridge(r: np.ndarray, n: int, spectrum: np.ndarray) -> np.ndarray:
    """kappa(r): kappa = r + (kappa / n) sum_k lambda_k / (lambda_k + kappa), for each r of a path.

    Newton's method from kappa = r + tr(Sigma) / n at the first r (take it far from the spectrum),
    each later r starting from its predecessor's root: the analytic continuation along the path
    (real r >= 0 or a complex contour).
    """
    r = np.asarray(r)
    out = np.empty(r.shape, dtype=np.result_type(r, float))
    kappa = r.flat[0] + spectrum.sum() / n
    for i, ri in enumerate(r.flat):
        for _ in range(200):
            q = spectrum / (spectrum + kappa)
            f = kappa * (1.0 - q.sum() / n) - ri
            step = f / (1.0 - np.sum(q * q) / n)
            kappa = kappa - step
            if abs(step) <= 1e-15 * abs(kappa):
                break
        out.flat[i] = kappa
    return out


def krr_error(n: int, ridges: np.ndarray, spectrum: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The deterministic-equivalent error of KRR at each ridge r >= 0 (noiseless)."""
    ridges = np.asarray(ridges, dtype=float)
    order = np.argsort(ridges)[::-1]  # continuation from the largest ridge down
    kappa = np.empty_like(ridges)
    kappa[order] = effective_ridge(ridges[order], n, spectrum)
    ratio = spectrum[None, :] / (spectrum[None, :] + kappa[:, None])
    g = np.sum(ratio**2, axis=1) / n
    return kappa**2 * np.sum(target * spectrum / (spectrum + kappa[:, None]) ** 2, axis=1) / (1.0 - g)


def gd_error(n: int, t: float, spectrum: np.ndarray, targets: np.ndarray, nodes: int = 96, mu: float = 1.0) -> np.ndarray:
    """The deterministic-equivalent error of gradient flow stopped at time t, per target row
    (noiseless; the contour of the module docstring with ``nodes`` trapezoidal nodes)."""
    half = np.sqrt(1.0 + 40.0 / mu)  # |e^(-t z)| = e^(-mu (u^2 - 1)) < e^-40 beyond
    u = np.linspace(-half, half, 2 * (nodes // 2))  # symmetric, no node at u = 0
    z = (mu / t) * (u + 1j) ** 2
    dz = (2.0 * mu / t) * (u + 1j) * (u[1] - u[0])
    upper = u > 0
    # continuation from the far end of the upper branch inwards; z(-u) = conj z(u) gives the rest
    kappa_upper = effective_ridge(-z[upper][::-1], n, spectrum)[::-1]
    kappa = np.concatenate([np.conj(kappa_upper[::-1]), kappa_upper])
    inverse = 1.0 / (spectrum[None, :] + kappa[:, None])  # (nodes, P)
    g12 = (inverse * spectrum**2) @ inverse.T / n
    factor = (kappa[:, None] * kappa[None, :]) / (z[:, None] * z[None, :] * (1.0 - g12))  # r1 r2 = z1 z2
    weight = np.exp(-t * z) * dz / (2j * np.pi)
    targets = np.atleast_2d(targets)
    out = np.empty(len(targets))
    for i, target in enumerate(targets):
        signal = (inverse * (spectrum * target)) @ inverse.T
        out[i] = float(np.real(weight @ (factor * signal) @ weight))
    return out
