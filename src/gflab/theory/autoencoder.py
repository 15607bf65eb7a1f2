"""Closed forms of the weight-tied linear autoencoder on the isotropic population (derived here).

Golikov, Gusev & Yarotsky, "A prism hierarchy of learning regimes in large linear autoencoders"
(the model and its regimes; the isotropic face below is derived here, not quoted).

Riccati closed form. For x ~ N(0, I), L(W) = 1/2 tr((I - P)^2) with P = W^T W, and gradient
flow is dW/dt = -grad L = 2 W (I - P). Then

    dP/dt = W^T dW/dt + (dW/dt)^T W = 2 P (I - P) + 2 (I - P) P = 4 (P - P^2),

a matrix Riccati equation. Its solution stays a function of P_0 (every term commutes with P_0):
eigenvalue by eigenvalue p' = 4 p (1 - p), the logistic p(t) = p_0 / (p_0 + (1 - p_0) e^(-4t)),
so P(t) = P_0 (P_0 + (I - P_0) e^(-4t))^(-1). For W itself, try W(t) = W_0 M(t) with M a function
of P_0: then P = M^2 P_0 and W_0 M' = 2 W_0 M (I - M^2 P_0), solved by M = (e^(-4t) I + (1 -
e^(-4t)) P_0)^(-1/2). Since W_0 f(W_0^T W_0) = f(W_0 W_0^T) W_0,

    W(t) = (e^(-4t) I_m + (1 - e^(-4t)) W_0 W_0^T)^(-1/2) W_0,

an m x m matrix function (any d, m, s).

Loss per dimension. With r = min(m, d) non-zero eigenvalues p_i of P_0,
l(t) = L / d = ((d - r) + sum_i (1 - p_i(t))^2) / (2 d). For W_0 with iid N(0, s^2 / d) entries and
m / d = gamma, the non-zero eigenvalues are s^2 x with x distributed, as d -> infinity, by the
Marchenko-Pastur law nu_gamma of density sqrt((b - x)(x - a)) / (2 pi min(gamma, 1) x) on
[a, b] = [(1 - sqrt(gamma))^2, (1 + sqrt(gamma))^2] (the non-zero part: ratio gamma for the
m x m Gram matrix when gamma <= 1, ratio 1/gamma scaled by gamma for the d x d one otherwise), so

    l(t) -> 1/2 (1 - g) + g/2 E_nu[(1 - p_t(s^2 x))^2],   g = min(gamma, 1).

Finite d (real Gaussian W_0): the mean of a linear statistic sum_i f(x_i) of the sample covariance
exceeds r int f d nu by (f(a) + f(b)) / 4 - (1/2pi) int_a^b f(x) / sqrt(4y - (x - 1 - y)^2) dx + o(1)
(Bai & Silverstein 2004, "CLT for linear spectral statistics of large-dimensional sample
covariance matrices", Thm 1.1, real case, y the ratio), an O(1/d) bias of l(t).

Small initialisation. With s -> 0 and u = s^2 e^(4t), 1 - p_t(s^2 x) -> 1 / (1 + u x), while
l(0) -> 1/2 and l(inf) = (1 - g)/2. The loss is half-way, l - l(inf) = (l(0) - l(inf)) / 2, when
E_nu[(1 + u x)^(-2)] = 1/2, a root u*(gamma); so

    t_half = (1/4) ln(1 / s^2) + (1/4) ln u*(gamma) + o(1),

the constant set by the Marchenko-Pastur law alone (derived here). For gamma -> 0 the law
concentrates at x = 1 and u* = sqrt(2) - 1.
"""

from __future__ import annotations

import functools

import numpy as np

PAPER = "Golikov, Gusev & Yarotsky 2025, A prism hierarchy of learning regimes in large linear autoencoders"
_NODES = 256  # Gauss-Legendre nodes in the angle: the integrands below are analytic in it


def riccati_weights(w0: np.ndarray, t: float) -> np.ndarray:
    """W(t) = (e^(-4t) I + (1 - e^(-4t)) W_0 W_0^T)^(-1/2) W_0 (the Gram matrix of the smaller side)."""
    decay = np.exp(-4.0 * t)
    left = w0.shape[0] <= w0.shape[1]
    gram = w0 @ w0.T if left else w0.T @ w0
    p0, q = np.linalg.eigh(gram)
    scale = (q / np.sqrt(decay + (1.0 - decay) * np.clip(p0, 0.0, None))) @ q.T
    return scale @ w0 if left else w0 @ scale


def riccati_eigenvalues(p0: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """The logistic p(t) = p_0 / (p_0 + (1 - p_0) e^(-4t)) of each eigenvalue of P."""
    decay = np.exp(-4.0 * np.asarray(t, dtype=float))
    p0 = np.asarray(p0, dtype=float)
    return p0 / (p0 + (1.0 - p0) * decay[..., None]) if decay.ndim else p0 / (p0 + (1.0 - p0) * decay)


def loss_per_dimension(p0: np.ndarray, d: int, t: float | np.ndarray) -> np.ndarray:
    """l(t) = ((d - r) + sum_i (1 - p_i(t))^2) / (2 d) from the r non-zero eigenvalues p0 of P_0."""
    p = riccati_eigenvalues(p0, t)
    return ((d - np.shape(p0)[-1]) + np.sum((1.0 - p) ** 2, axis=-1)) / (2.0 * d)


def marchenko_pastur_edges(gamma: float) -> tuple[float, float]:
    """The support [(1 - sqrt(gamma))^2, (1 + sqrt(gamma))^2] of the non-zero eigenvalues."""
    return (1.0 - np.sqrt(gamma)) ** 2, (1.0 + np.sqrt(gamma)) ** 2


@functools.cache
def _angles(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, pi] (computed once per size)."""
    theta, weight = np.polynomial.legendre.leggauss(nodes)
    return 0.5 * np.pi * (theta + 1.0), 0.5 * np.pi * weight


def marchenko_pastur_quadrature(gamma: float, nodes: int = _NODES) -> tuple[np.ndarray, np.ndarray]:
    """Nodes x and weights w with sum w f(x) ~ E_nu f for the non-zero Marchenko-Pastur law nu_gamma.

    x = (a + b)/2 - (b - a)/2 cos(theta): the square-root edges become sin^2(theta), and
    Gauss-Legendre in theta converges exponentially for smooth f.
    """
    a, b = marchenko_pastur_edges(gamma)
    theta, weight = _angles(nodes)
    x = 0.5 * (a + b) - 0.5 * (b - a) * np.cos(theta)
    density = (0.5 * (b - a) * np.sin(theta)) ** 2 / (2.0 * np.pi * min(gamma, 1.0) * x)
    return x, weight * density


def limit_loss_per_dimension(t: float | np.ndarray, gamma: float, s: float) -> np.ndarray:
    """The d -> infinity loss per dimension 1/2 (1 - g) + g/2 E_nu (1 - p_t(s^2 x))^2."""
    x, w = marchenko_pastur_quadrature(gamma)
    g = min(gamma, 1.0)
    return 0.5 * (1.0 - g) + 0.5 * g * np.sum(w * (1.0 - riccati_eigenvalues(s**2 * x, t)) ** 2, axis=-1)


def finite_d_bias(t: float | np.ndarray, gamma: float, s: float, d: int) -> np.ndarray:
    """The O(1/d) mean correction of l(t) for real Gaussian W_0 (Bai & Silverstein 2004, Thm 1.1).

    The r = min(m, d) non-zero eigenvalues are those of a sample covariance of ratio y = min(gamma,
    1/gamma), scaled by max(gamma, 1); the bias of sum_i f is added as bias / (2 d).
    """
    y, scale = min(gamma, 1.0 / gamma), max(gamma, 1.0)
    a, b = marchenko_pastur_edges(y)
    theta, weight = _angles(_NODES)
    arcsine = 1.0 + y + 2.0 * np.sqrt(y) * np.cos(theta)  # (1/2pi) int f / sqrt(...) dx = (1/2pi) int_0^pi f dtheta

    def f(x: np.ndarray) -> np.ndarray:
        return (1.0 - riccati_eigenvalues(s**2 * scale * x, t)) ** 2

    edges = 0.25 * (f(np.asarray([a]))[..., 0] + f(np.asarray([b]))[..., 0])
    return (edges - np.sum(weight * f(arcsine), axis=-1) / (2.0 * np.pi)) / (2.0 * d)


def half_way_root(gamma: float) -> float:
    """u*(gamma): E_nu[(1 + u x)^(-2)] = 1/2."""
    from scipy.optimize import brentq  # imported on use: the claims import this module (for PAPER) at start-up

    x, w = marchenko_pastur_quadrature(gamma)
    return float(brentq(lambda u: np.sum(w / (1.0 + u * x) ** 2) - 0.5, 1e-6, 1e6, xtol=1e-14, rtol=1e-14))


def half_way_time(s: float, gamma: float) -> float:
    """t_half = (1/4) ln(1 / s^2) + (1/4) ln u*(gamma) (the small-initialisation limit)."""
    return 0.25 * np.log(1.0 / s**2) + 0.25 * np.log(half_way_root(gamma))


def limit_half_way_time(gamma: float, s: float) -> float:
    """The time at which the limit loss per dimension is half-way from its t = 0 value to (1 - g)/2 (any s)."""
    from scipy.optimize import brentq

    final = 0.5 * (1.0 - min(gamma, 1.0))
    level = 0.5 * (float(limit_loss_per_dimension(0.0, gamma, s)) + final)
    upper = 1.0 + max(0.0, 0.25 * np.log(1.0 / s**2))
    return float(brentq(lambda t: float(limit_loss_per_dimension(t, gamma, s)) - level, 0.0, upper + 5.0, xtol=1e-13))


def sample_training_floor(gamma: float, ratio: float) -> float:
    """The d -> infinity training loss per dimension at the end of the flow on n = ratio d samples (derived here).

    Gradient flow on the sample covariance C = X^T X / n ends (from a generic start) at the projection
    P onto the top-m eigenvectors of C (every other critical point is a saddle), where the loss is
    1/2 tr((I - P) C) = 1/2 sum_(k > m) c_k. The eigenvalues of C follow the Marchenko-Pastur law of
    ratio c = d / n: a mass w = min(1, 1/c) on [(1 - sqrt(c))^2, (1 + sqrt(c))^2] (the rest at 0),
    so the floor is 1/2 (1 - w E_nu[x; x > q]) with w nu(x > q) = min(gamma, w).
    """
    from scipy.integrate import quad
    from scipy.optimize import brentq

    c = 1.0 / ratio
    w = min(1.0, ratio)
    a, b = marchenko_pastur_edges(c)

    def density(x: float) -> float:
        return float(np.sqrt(max((b - x) * (x - a), 0.0)) / (2.0 * np.pi * min(c, 1.0) * x))

    if gamma >= w:
        return 0.0
    tail = lambda q: w * quad(density, q, b, epsabs=1e-13, epsrel=1e-12)[0]  # noqa: E731
    q = brentq(lambda q: tail(q) - gamma, a, b, xtol=1e-14)
    top = w * quad(lambda x: x * density(x), q, b, epsabs=1e-13, epsrel=1e-12)[0]
    return 0.5 * (1.0 - top)
