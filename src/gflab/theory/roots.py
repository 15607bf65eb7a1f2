"""Roots of scalar functions of one variable: the first sign change on a grid, then Brent."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def first_root(func: Callable[[float], float], grid: np.ndarray, *, xtol: float = 1e-14) -> float:
    """The root of ``func`` in the first interval of ``grid`` where its sign changes (Brent's
    method to ``xtol``); ValueError when it never changes sign on the grid."""
    values = np.array([func(float(x)) for x in grid])
    change = np.nonzero(np.sign(values[:-1]) != np.sign(values[1:]))[0]
    if not change.size:
        raise ValueError(f"no sign change on [{grid[0]:g}, {grid[-1]:g}]")
    i = int(change[0])
    from scipy.optimize import brentq  # scipy on use: the claims import theory at start-up

    return float(brentq(func, grid[i], grid[i + 1], xtol=xtol))
