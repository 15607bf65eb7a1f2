"""Exact second moments of online mini-batch SGD with momentum on a linear model with Gaussian features.

Velikanov, Kuznedelev & Yarotsky, "A view of mini-batch SGD via generating functions: conditions
of convergence, phase transitions, benefit from negative momenta" (2022). For Gaussian features
the paper's spectrally expressible approximation is exact; the closed forms below are derived
here for that case and checked against Monte Carlo in the tests.

Setting: features x ~ N(0, Lambda) with Lambda = diag(lambda_k), labels y = theta* . x + sigma xi.
SGD with heavy-ball momentum on fresh batches of size b,

    g_t = (1/b) sum_i x_i (x_i . w_t - y_i),  v_{t+1} = beta v_t - alpha g_t,  w_{t+1} = w_t + v_{t+1}.

With e = w - theta* and the Gaussian fourth moment E[x x^T e e^T x x^T] = 2 Lambda e e^T Lambda
+ Lambda (e^T Lambda e), the mode k of the gradient is g_k = lambda_k e_k + eta_k with
E[eta_k | e] = 0 and E[eta_k^2 | e] = (lambda_k^2 e_k^2 + lambda_k l(e)) / b, where
l(e) = e^T Lambda e + sigma^2 = 2 L(e). The per-mode moments m_k = (E e_k^2, E e_k v_k, E v_k^2)
therefore close (h = alpha lambda_k, q = alpha^2 lambda_k^2 / b, u_k = alpha^2 lambda_k / b):

    m_k(t+1) = M_k m_k(t) + u_k l_t (1, 1, 1),   l_t = sum_k lambda_k A_k(t) + sigma^2,

    M_k = [[(1-h)^2 + q, 2 beta (1-h),  beta^2],
           [-h (1-h) + q, beta (1-2h),  beta^2],
           [h^2 + q,      -2 beta h,    beta^2]].

Unrolled, l_t = V_t + sum_{s<t} U_{t-s} l_s (a renewal equation; the loss L_t = l_t / 2 obeys the
same one) with V_t = sigma^2 + sum_k lambda_k [M_k^t m_k(0)]_A and U_tau = sum_k lambda_k
[M_k^(tau-1) u_k (1,1,1)]_A, so sum_t l_t z^t = V(z) / (1 - U(z)).

U(1) in closed form: M_k = S_k + q 1 e_A^T with S_k the noiseless heavy-ball map of the moments.
Sherman-Morrison gives the mode's share U_k(1) = q w_k / (1 - q w_k) with w_k = sum_t r_t^2, r
the impulse response of r_{t+1} = (1 + beta - h) r_t - beta r_{t-1} (r_0 = 1, r_{-1} = 0), whose
sum of squares (the AR(2) variance) is w_k = (1 + beta) / ((1 - beta) h (2 (1 + beta) - h)):

    U(1) = sum_k h_k (1 + beta) / (b (1 - beta) (2 (1 + beta) - h_k) - h_k (1 + beta)).

SGD converges iff every M_k is stable, i.e. 0 < h_k and the denominator is positive
(h_k < 2 b (1 - beta^2) / (b (1 - beta) + 1 + beta)), and U(1) < 1. U(1) increases with alpha
from 0 to infinity below the first mode's limit, so the critical rate alpha_c(beta, b) is its
one root U(1) = 1 (Brent's method).
"""

from __future__ import annotations

import numpy as np

PAPER = "Velikanov, Kuznedelev & Yarotsky 2022, A view of mini-batch SGD via generating functions"


def mode_matrices(eigenvalues: np.ndarray, alpha: float, beta: float, batch: float) -> np.ndarray:
    """The per-mode moment maps M_k, shape (N, 3, 3), acting on (E e^2, E e v, E v^2)."""
    h = alpha * np.asarray(eigenvalues, float)
    q = h**2 / batch
    one = np.ones_like(h)
    return np.stack(
        [
            np.stack([(1 - h) ** 2 + q, 2 * beta * (1 - h), beta**2 * one], axis=-1),
            np.stack([-h * (1 - h) + q, beta * (1 - 2 * h), beta**2 * one], axis=-1),
            np.stack([h**2 + q, -2 * beta * h, beta**2 * one], axis=-1),
        ],
        axis=-2,
    )


def noise_gains(eigenvalues: np.ndarray, alpha: float, batch: float) -> np.ndarray:
    """u_k = alpha^2 lambda_k / b: what one unit of l_t adds to each of the mode's three moments."""
    return alpha**2 * np.asarray(eigenvalues, float) / batch


def initial_moments(target_squared: np.ndarray) -> np.ndarray:
    """m_k(0) = (theta*_k^2, 0, 0): start at w = 0 with zero velocity, shape (N, 3)."""
    m = np.zeros((len(target_squared), 3))
    m[:, 0] = target_squared
    return m


def mode_limit(eigenvalue: float, beta: float, batch: float) -> float:
    """Largest alpha for which the mode of ``eigenvalue`` has a stable moment map M_k."""
    return 2 * batch * (1 - beta**2) / (eigenvalue * (batch * (1 - beta) + 1 + beta))


def u_at_one(eigenvalues: np.ndarray, alpha: float, beta: float, batch: float) -> float:
    """U(1) in closed form (module docstring); inf when a mode's moment map is unstable."""
    h = alpha * np.asarray(eigenvalues, float)
    denominator = batch * (1 - beta) * (2 * (1 + beta) - h) - h * (1 + beta)
    if np.any(denominator <= 0):
        return float("inf")
    return float(np.sum(h * (1 + beta) / denominator))


def generating_functions(
    z: complex, eigenvalues: np.ndarray, target_squared: np.ndarray, sigma: float, alpha: float, beta: float, batch: float
) -> tuple[complex, complex]:
    """(V(z), U(z)) of l_t = 2 L_t by resolvents: V(z) = sigma^2 / (1 - z) + sum_k lambda_k
    [(I - z M_k)^(-1) m_k(0)]_A, U(z) = z sum_k lambda_k u_k [(I - z M_k)^(-1) (1,1,1)]_A
    (|z| below the inverse spectral radius of every M_k)."""
    lam = np.asarray(eigenvalues, float)
    resolvent_rhs = np.stack([initial_moments(target_squared), np.ones((len(lam), 3))], axis=-1)  # (N, 3, 2)
    solved = np.linalg.solve(np.eye(3) - z * mode_matrices(lam, alpha, beta, batch), resolvent_rhs.astype(complex))
    v = (sigma**2 / (1 - z) if sigma else 0.0) + np.sum(lam * solved[:, 0, 0])
    u = z * np.sum(lam * noise_gains(lam, alpha, batch) * solved[:, 0, 1])
    return complex(v), complex(u)


def renewal_kernels(
    eigenvalues: np.ndarray, target_squared: np.ndarray, sigma: float, alpha: float, beta: float, batch: float, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """(V_t for t = 0..steps, U_tau for tau = 1..steps) by powers of the M_k (small N only)."""
    lam = np.asarray(eigenvalues, float)
    matrices = mode_matrices(lam, alpha, beta, batch)
    free = initial_moments(target_squared)
    kick = noise_gains(lam, alpha, batch)[:, None] * np.ones((len(lam), 3))
    v, u = np.empty(steps + 1), np.empty(steps)
    for t in range(steps + 1):
        v[t] = sigma**2 + lam @ free[:, 0]
        free = np.einsum("kij,kj->ki", matrices, free)
        if t < steps:
            u[t] = lam @ kick[:, 0]
            kick = np.einsum("kij,kj->ki", matrices, kick)
    return v, u


def solve_renewal(v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """l_t = V_t + sum_{s<t} U_{t-s} l_s for t = 0..len(v)-1 (``u[tau-1]`` is U_tau)."""
    out = np.empty_like(v)
    for t in range(len(v)):
        out[t] = v[t] + np.dot(u[:t][::-1], out[:t])
    return out


def critical_learning_rate(eigenvalues: np.ndarray, beta: float, batch: float, *, xtol: float = 1e-14) -> float:
    """alpha_c(beta, b): the root of U(1) = 1 below the top mode's limit (module docstring)."""
    from scipy.optimize import brentq  # imported on use: the claims import this module at start-up

    top = mode_limit(float(np.max(eigenvalues)), beta, batch)

    def excess(alpha: float) -> float:
        return u_at_one(eigenvalues, alpha, beta, batch) - 1.0

    # U(1) = 0 at alpha = 0 and grows without bound as alpha nears the top mode's limit
    return float(brentq(excess, 0.0, top * (1 - 1e-12), xtol=xtol * top, rtol=4 * np.finfo(float).eps))
