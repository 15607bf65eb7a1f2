"""Phase diagrams of sweeps: a metric over two parameters as a heat map, the theory's curve on top."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm


def heat_map(
    table: pd.DataFrame, x: str, y: str, metric: str, boundary: tuple[Any, Any] | None, path: Path, *, title: str
) -> None:
    """Write a heat map of ``metric`` (mean over seeds and the other axes) over the grid axes
    ``x`` and ``y`` of a sweep table (columns ``param.<name>``), with ``boundary`` drawn."""
    from gflab.plots import figure, save_figure

    mean = table.groupby([f"param.{y}", f"param.{x}"])[metric].mean().unstack()
    xs, ys = mean.columns.to_numpy(float), mean.index.to_numpy(float)
    fig, ax = figure(width=6.0, height=4.8)
    values = mean.to_numpy(float)
    signed = np.nanmin(values) < 0 < np.nanmax(values)  # a growth rate: its sign is the phase
    norm = TwoSlopeNorm(0.0, np.nanmin(values), np.nanmax(values)) if signed else None
    image = ax.pcolormesh(_edges(xs), _edges(ys), values, shading="flat", cmap="RdBu_r" if signed else "viridis", norm=norm)
    fig.colorbar(image, ax=ax, label=metric)
    if boundary is not None:
        bx, by = (np.asarray(v, float) for v in boundary)
        ax.plot(bx, by, "w-", lw=2.2)
        ax.plot(bx, by, "r--", lw=1.4, label="theory")
        ax.legend(loc="upper right", fontsize=9)
    ax.set(xlabel=x, ylabel=y, title=title, xlim=(_edges(xs)[0], _edges(xs)[-1]), ylim=(_edges(ys)[0], _edges(ys)[-1]))
    if _geometric(xs):
        ax.set_xscale("log")
    if _geometric(ys):
        ax.set_yscale("log")
    save_figure(fig, path)


def _geometric(values: np.ndarray) -> bool:
    """Whether grid values are evenly spaced in log rather than linearly (drawn on a log axis)."""
    if len(values) < 3 or np.any(values <= 0):
        return False
    return bool(np.allclose(np.diff(np.log(values)), np.log(values[1] / values[0]), rtol=1e-6)) and not np.allclose(
        np.diff(values), values[1] - values[0], rtol=1e-6
    )


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges around sorted centres (midpoints; geometric midpoints on a log grid)."""
    if len(values) == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    if _geometric(values):
        logs = np.log(values)
        mids = 0.5 * (logs[1:] + logs[:-1])
        return np.exp(np.concatenate([[2 * logs[0] - mids[0]], mids, [2 * logs[-1] - mids[-1]]]))
    mids = 0.5 * (values[1:] + values[:-1])
    return np.concatenate([[2 * values[0] - mids[0]], mids, [2 * values[-1] - mids[-1]]])


__all__ = ["heat_map"]
