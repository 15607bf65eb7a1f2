"""Convergence verdicts of trajectories and ensemble fractions with Wilson intervals."""

from __future__ import annotations

import math

import numpy as np

from gflab.results import StopReason, Verdict


def classify(loss: np.ndarray, grad_norm: np.ndarray, reason: np.ndarray, *, tol: float | None, gtol: float | None) -> np.ndarray:
    """:class:`~gflab.results.Verdict` codes from the state at the stop.

    learned: loss < tol; trapped: |grad| < gtol with loss >= tol (a spurious critical
    point); diverged: non-finite or beyond the bound; undecided: none of these by t1.
    """
    loss = np.asarray(loss, dtype=float)
    grad_norm = np.asarray(grad_norm, dtype=float)
    verdict = np.full(loss.shape, Verdict.UNDECIDED, dtype=np.int64)
    if gtol is not None:
        verdict[grad_norm < gtol] = Verdict.TRAPPED
    if tol is not None:
        verdict[loss < tol] = Verdict.LEARNED
    verdict[(np.asarray(reason) == StopReason.DIVERGED) | ~np.isfinite(loss) | ~np.isfinite(grad_norm)] = Verdict.DIVERGED
    return verdict


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% by default).

    p_hat = k/n; centre (p_hat + z^2/2n) / (1 + z^2/n);
    half-width z sqrt(p_hat(1-p_hat)/n + z^2/4n^2) / (1 + z^2/n).
    """
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At k = 0 (k = n) the lower (upper) end is exactly 0 (1); rounding would leave ~1e-19.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def proportion(successes: int, n: int) -> dict[str, float]:
    """count, fraction and Wilson 95% interval of ``successes`` out of ``n``."""
    low, high = wilson_interval(successes, n)
    return {"count": successes, "fraction": successes / n if n else float("nan"), "low": low, "high": high}


def verdict_fractions(verdict: np.ndarray) -> dict[str, dict[str, float]]:
    """For each verdict name: count, fraction and its Wilson 95% interval."""
    verdict = np.asarray(verdict).ravel()
    return {v.label: proportion(int(np.sum(verdict == v)), int(verdict.size)) for v in Verdict}
