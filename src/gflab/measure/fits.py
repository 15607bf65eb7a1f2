"""Power-law fits with bootstrap intervals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PowerLaw:
    """y ~ prefactor x^exponent, least squares in log-log, with a bootstrap 95% interval."""

    exponent: float
    prefactor: float
    low: float
    high: float


def log_log_slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of log y against log x."""
    slope, intercept = np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)
    return float(slope), float(intercept)


def power_law_of_statistic(
    x: Sequence[float] | np.ndarray,
    samples: Sequence[np.ndarray],
    statistic: Callable[[np.ndarray], float] = np.median,
    *,
    n_boot: int = 400,
    seed: int = 0,
) -> PowerLaw:
    """Fit statistic(samples[i]) ~ x[i]^a; the interval resamples each sample set (bootstrap).

    Non-finite statistics (for example the median of mostly ``inf`` hitting times) raise.
    """
    y = np.array([statistic(s) for s in samples])
    if not np.all(np.isfinite(y)) or np.any(y <= 0):
        raise ValueError(f"statistic must be finite and positive at every x, got {y}")
    slope, intercept = log_log_slope(np.asarray(x), y)
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(n_boot):
        yb = np.array([statistic(rng.choice(s, size=len(s))) for s in samples])
        if np.all(np.isfinite(yb)) and np.all(yb > 0):
            boot.append(log_log_slope(np.asarray(x), yb)[0])
    low, high = np.quantile(boot, [0.025, 0.975]) if boot else (np.nan, np.nan)
    return PowerLaw(exponent=slope, prefactor=float(np.exp(intercept)), low=float(low), high=float(high))
