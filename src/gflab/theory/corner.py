"""Corner gradient descent: stationary GD with fractional memory, and its finite-memory rational approximation.

Yarotsky, "Corner gradient descent" (2025). A stationary linear method with memory on a quadratic
is identified with the generating function of its per-mode error. Corner GD with parameter theta
in [1, 2) is, for weights w_t from w_0 = 0 and gradients g_t,

    (1 - z)^theta W(z) = -alpha z G(z),  i.e.  w_{t+1} = w_t - alpha u_t,  u = (1 - z)^(-mu) g,  mu = theta - 1,

so u_t = sum_{k<=t} a_k g_{t-k} with a_k the coefficients of (1 - z)^(-mu) (a_0 = 1,
a_k = a_{k-1} (k - 1 + mu) / k ~ k^(mu-1) / Gamma(mu)): GD when theta = 1. Along a mode lambda the
error has the generating function (1 - z)^(theta-1) / ((1 - z)^theta + alpha lambda z), whose
characteristic contour {lambda : (1 - z)^theta + alpha lambda z = 0, |z| = 1} has a corner of
external angle theta pi at lambda = 0; near 0 the mode decays like the Mittag-Leffler function
E_theta(-alpha lambda t^theta), so on a power-law spectrum L_t ~ t^(-theta zeta) (zeta < 2).

Finite memory: for 0 < mu < 1 the Stieltjes integral (1 - z)^(-mu) = (sin(pi mu) / pi)
int_0^inf s^(-mu) / (s + 1 - z) ds, sampled by the trapezoid rule in log s (exponentially
accurate for an analytic integrand) on [s_min, s_max], gives sum_j c_j / (1 - rho_j z) with
rho_j = 1 / (1 + s_j) and c_j = (sin(pi mu) / pi) h s_j^(1-mu) rho_j: M exponential moving
averages m_j <- rho_j m_j + g, u = sum_j c_j m_j (O(M N) per step). The mass of s < s_min
(s_min^(1-mu) (sin(pi mu) / pi) / (1 - mu)) is added to the slowest pole, whose memory
1 / s_min far exceeds the horizon; the mass above s_max (s_max^(-mu) (sin(pi mu) / pi) / mu)
forgets within a step: a pole at rho = 0.
"""

from __future__ import annotations

import math

import numpy as np

PAPER = "Yarotsky 2025, Corner gradient descent"


def fractional_coefficients(mu: float, steps: int) -> np.ndarray:
    """a_k, k = 0..steps-1, the coefficients of (1 - z)^(-mu)."""
    k = np.arange(1, steps, dtype=float)
    return np.concatenate([[1.0], np.cumprod((k - 1 + mu) / k)])


def memory_poles(theta: float, horizon: int, *, step: float = 0.5, s_max: float = 1e4) -> tuple[np.ndarray, np.ndarray]:
    """(rho_j, c_j) of the rational approximation of (1 - z)^(-(theta - 1)) for 1 < theta < 2,
    accurate for the first ``horizon`` steps (s_min = 1 / (1000 horizon)); ``step`` is the
    spacing h in log s."""
    mu = theta - 1.0
    if not 0 < mu < 1:
        raise ValueError(f"the rational memory needs 1 < theta < 2 (got {theta})")
    s_min = 1.0 / (1000.0 * horizon)
    u = np.arange(math.log(s_min), math.log(s_max) + step / 2, step)
    s = np.exp(u)
    scale = math.sin(math.pi * mu) / math.pi
    weights = scale * step * s ** (1 - mu)
    weights[0] = weights[0] / 2 + scale * s_min ** (1 - mu) / (1 - mu)  # trapezoid end, and the mass below s_min
    weights[-1] /= 2
    rho = 1.0 / (1.0 + s)
    # the mass above s_max acts within one step: a pole at rho = 0 (the term c g_t)
    return np.append(rho, 0.0), np.append(weights * rho, scale * s_max ** (-mu) / mu)
