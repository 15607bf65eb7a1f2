"""Time of weak recovery of spherical online SGD on a single-index He_l target against the batch
size n_b = d^mu (Arnaboldi, Dandi, Krzakala, Loureiro, Pesce & Stephan 2024, "Online learning and
information exponents: on the importance of batch size, and time/complexity tradeoffs", ICML;
Ben Arous, Gheissari & Jagannath 2021 for n_b = 1).

Setting of :mod:`gflab.problems.single_index_sgd`: step w' = (w - gamma G) / |w - gamma G| with
G the batch mean of h(lambda, nu) x, student and teacher he_l (information exponent l >= 3).
Scaling argument (derived here, the paper's conclusions recovered). Near the random start
m ~ d^(-1/2) the overlap moves per step by

    dm = gamma l m^(l-1)   (signal)   - gamma^2 (c d / n_b) m / 2   (normalisation of the noise)
         + gamma sqrt(c / n_b) xi,

c = E[h^2] at m = 0 (the per-sample gradient has squared norm ~ c d). The signal beats the
normalisation at m ~ d^(-1/2) while gamma <~ n_b d^(-l/2), and the escape then takes
T ~ m0^(2-l) / gamma = d^(l-1) / n_b steps: with gamma = kappa n_b / (l d^(l/2)) the sample count
n_b T ~ d^(l-1) does not depend on n_b.

How large gamma may grow is set by the loss:

- square loss: the student's autocorrelation term has population gradient E[sigma sigma'(lambda) x]
  = l w (E[sigma'^2] = l, E[sigma sigma''] = 0 for he_l), so a step multiplies w by (1 - l gamma)
  before the normalisation: at gamma = 1/l it erases w and beyond it flips its sign (for odd l the
  signal then cancels over two steps), so gamma stays O(1), below gamma_max = 1/(2 l). The rate
  kappa n_b / (l d^(l/2)) is held at kappa / l (<= gamma_max for kappa <= 1/2) from n_b = d^(l/2)
  on: T ~ d^(l/2-1) for every larger batch, the exponent of T in d is l - 1 - mu for mu <= l/2 and
  (l - 2)/2 beyond (the paper's statement).
- correlation loss (-y f(x), no autocorrelation term): nothing caps gamma until one step moves w by
  O(1), gamma sqrt(c d / n_b) ~ 1, that is n_b ~ d^(l-1) where T ~ 1: the exponent is l - 1 - mu up to
  mu = l - 1 (derived here: the cap moves from d^(l/2) to d^(l-1)).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

PAPER = "Arnaboldi, Dandi, Krzakala, Loureiro, Pesce & Stephan 2024, Online learning and information exponents (ICML)"

Loss = Literal["square", "correlation"]


def rate_cap(degree: int) -> float:
    """gamma_max = 1/(2l): the square loss's autocorrelation term halves w per step there."""
    return 1.0 / (2 * degree)


def step_size(degree: int, d: np.ndarray, batch: np.ndarray, kappa: float, loss: Loss) -> np.ndarray:
    """gamma = (kappa / l) n_b / d^(l/2), for the square loss (kappa / l) min(n_b / d^(l/2), 1)."""
    ratio = np.asarray(batch, float) / np.asarray(d, float) ** (degree / 2)
    return kappa / degree * (np.minimum(ratio, 1.0) if loss == "square" else ratio)


def time_exponent(degree: int, mu: float, loss: Loss) -> float:
    """The predicted exponent a of T ~ d^a at n_b = d^mu."""
    cap = degree / 2 if loss == "square" else degree - 1
    return degree - 1 - min(mu, cap)


def predicted_steps(degree: int, d: np.ndarray, batch: np.ndarray, kappa: float, loss: Loss) -> np.ndarray:
    """The order of magnitude of T: m0^(2-l) / (l (l-2) gamma) at m0 = d^(-1/2) (the signal alone),
    used for horizons, not for claims."""
    gamma = step_size(degree, d, batch, kappa, loss)
    return np.asarray(d, float) ** ((degree - 2) / 2) / (degree * (degree - 2) * gamma)


__all__ = ["PAPER", "predicted_steps", "rate_cap", "step_size", "time_exponent"]
