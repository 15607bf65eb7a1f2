"""First-passage times read off saved trajectories."""

from __future__ import annotations

import numpy as np


def hitting_time(ts: np.ndarray, values: np.ndarray, level: float) -> np.ndarray:
    """First time each series reaches ``level`` (linear interpolation between saved times).

    Args:
        ts: save times, shape (T,).
        values: shape (..., T).
        level: the threshold; a series that never reaches it gets ``inf``.
    """
    values = np.asarray(values, dtype=np.float64)
    above = values >= level
    first = np.argmax(above, axis=-1)
    reached = np.any(above, axis=-1)
    i = np.maximum(first - 1, 0)
    v0 = np.take_along_axis(values, i[..., None], -1)[..., 0]
    v1 = np.take_along_axis(values, first[..., None], -1)[..., 0]
    t0, t1 = ts[i], ts[first]
    weight = np.where(v1 > v0, (level - v0) / np.where(v1 > v0, v1 - v0, 1.0), 1.0)
    times = np.where(first == 0, ts[0], t0 + np.clip(weight, 0.0, 1.0) * (t1 - t0))
    return np.where(reached, times, np.inf)
