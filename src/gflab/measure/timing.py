"""First-passage times read off saved trajectories."""

from __future__ import annotations

import numpy as np


def hitting_time(ts: np.ndarray, values: np.ndarray, level: float) -> np.ndarray:
    """First time each series reaches ``level``, by linear interpolation between the recorded
    states around the crossing.

    Pass the times of the recorded states, :attr:`gflab.simulation.Trajectory.saved_ts`: after a
    stop event a trajectory's later saves repeat the state at the stop, and carry the stop's time
    there, so a crossing just before the stop is read between the last save and the stop, not
    stretched to the next save time.

    Args:
        ts: times of the recorded values: one grid (T,) for every series, or one row per
            series (..., T) (broadcast against ``values``).
        values: shape (..., T).
        level: the threshold; a series that never reaches it gets ``inf``.

    Returns:
        shape ``values.shape[:-1]``.

    Example:
        >>> hitting_time(np.array([[0.0, 1.0, 1.5], [0.0, 1.0, 2.0]]), np.array([[0.0, 1.0, 1.5]] * 2), 1.25)
        array([1.25, 1.5 ])
    """
    values = np.asarray(values, dtype=np.float64)
    times = np.broadcast_to(np.asarray(ts, dtype=np.float64), values.shape)
    above = values >= level
    first = np.argmax(above, axis=-1)[..., None]
    previous = np.maximum(first - 1, 0)
    v0, v1 = (np.take_along_axis(values, i, -1)[..., 0] for i in (previous, first))
    t0, t1 = (np.take_along_axis(times, i, -1)[..., 0] for i in (previous, first))
    weight = np.where(v1 > v0, (level - v0) / np.where(v1 > v0, v1 - v0, 1.0), 1.0)
    crossing = np.where(first[..., 0] == 0, t1, t0 + np.clip(weight, 0.0, 1.0) * (t1 - t0))
    return np.where(np.any(above, axis=-1), crossing, np.inf)
