"""Figure helpers shared by experiments (matplotlib, Agg backend, no screen needed)."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap

from gflab.results import VERDICT_NAMES

VERDICT_COLORS: tuple[str, ...] = ("#2ca02c", "#d62728", "#7f7f7f", "#9467bd")
VERDICT_CMAP = ListedColormap(VERDICT_COLORS)


def figure(ncols: int = 1, width: float = 5.0, height: float = 4.2, **kwargs: Any) -> tuple[Any, Any]:
    """A new figure with ``ncols`` axes side by side."""
    return plt.subplots(1, ncols, figsize=(width * ncols, height), constrained_layout=True, **kwargs)


def verdict_legend(ax: Any, present: Any = None) -> None:
    """A legend with one coloured patch per verdict (only those in ``present`` if given)."""
    from matplotlib.patches import Patch

    handles = [
        Patch(color=VERDICT_COLORS[code], label=name)
        for code, name in enumerate(VERDICT_NAMES)
        if present is None or code in set(present)
    ]
    ax.legend(handles=handles, loc="upper right", fontsize=8, framealpha=0.8)


def save_figure(fig: Any, path: Any) -> None:
    """Write ``fig`` as a PNG at ``path`` and close it."""
    fig.savefig(path, dpi=110)
    plt.close(fig)
