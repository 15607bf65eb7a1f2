"""Linear stability of GD and SGD (seed 004: E, Ma, Wojtowytsch & Wu; Wu, Ma & E 2018).

GD on a quadratic with Hessian H: the error along an eigenvector of eigenvalue lambda is
multiplied by (1 - eta lambda) per step, so GD converges iff eta < 2 / lambda_max. With
heavy-ball momentum beta (v <- beta v + grad, w <- w - eta v) the mode obeys
x_{k+1} = (1 + beta - eta lambda) x_k - beta x_{k-1}, stable iff 0 < eta lambda < 2 (1 + beta).
"""

from __future__ import annotations

PAPER = "E, Ma, Wojtowytsch & Wu, Towards a mathematical theory of machine learning (talk); Wu, Ma & E 2018"


def gd_critical_step(lambda_max: float, momentum: float = 0.0) -> float:
    """Largest stable step 2 (1 + beta) / lambda_max."""
    return 2.0 * (1.0 + momentum) / lambda_max
