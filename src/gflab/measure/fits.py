"""Scaling fits of a statistic against log x (power laws, log laws), with bootstrap intervals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Fit:
    """Least squares of y_i = statistic(samples_i) against log x_i, and a bootstrap 95% interval
    of the slope (each sample set resampled).

    law "power": log y = slope log x + intercept (y ~ e^intercept x^slope);
    law "log":   y = slope log x + intercept.
    """

    slope: float
    intercept: float
    low: float
    high: float


def fit_statistic(
    x: Sequence[float] | np.ndarray,
    samples: Sequence[np.ndarray],
    statistic: Callable[[np.ndarray], float] = np.median,
    *,
    law: Literal["power", "log"] = "power",
    n_boot: int = 400,
    seed: int = 0,
) -> Fit:
    """Fit statistic(samples[i]) against x[i]; a power law needs the statistic finite and positive
    at every x (ValueError otherwise, for example the median of mostly ``inf`` hitting times)."""
    log_x = np.log(np.asarray(x, float))

    def response(ys: np.ndarray) -> np.ndarray | None:
        if law == "log":
            return ys if np.all(np.isfinite(ys)) else None
        return np.log(ys) if np.all(np.isfinite(ys)) and np.all(ys > 0) else None

    y = response(np.array([statistic(s) for s in samples]))
    if y is None:
        raise ValueError(f"statistic must be finite{' and positive' if law == 'power' else ''} at every x")
    slope, intercept = np.polyfit(log_x, y, 1)
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(n_boot):
        yb = response(np.array([statistic(rng.choice(s, size=len(s))) for s in samples]))
        if yb is not None:
            boot.append(np.polyfit(log_x, yb, 1)[0])
    low, high = np.quantile(boot, [0.025, 0.975]) if boot else (np.nan, np.nan)
    return Fit(slope=float(slope), intercept=float(intercept), low=float(low), high=float(high))
