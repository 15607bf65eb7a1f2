"""Figures of the hierarchical model's experiments (Yarotsky 2024, Theorem 6, Figures 2-3):
final distances against delta_N, delta_N and the learned share by stage, the hierarchical model
beside the zoo models, and the level curves Gamma_u drawn in target space."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gflab._jax import jax_module
from gflab.experiments.learnability.specs import HierarchicalSpec
from gflab.problems.hierarchical import Hierarchical, Level, hierarchical
from gflab.results import Verdict

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

Lift = Callable[[np.ndarray], np.ndarray]  # a segment's own parameter -> the root sigma


def distance_figure(distance: np.ndarray, verdict: np.ndarray, delta: float, title: str) -> Any:
    """Histogram of final distances by verdict, delta_N marked."""
    from gflab.plots import VERDICT_COLORS, figure

    fig, ax = figure()
    finite = np.clip(distance[np.isfinite(distance)], 1e-8, None)
    bins = np.geomspace(finite.min(), finite.max() * 1.01, 60) if finite.size else 10
    for code in Verdict:
        sel = (verdict == code) & np.isfinite(distance)
        if sel.any():
            ax.hist(
                np.clip(distance[sel], 1e-8, None),
                bins=bins,
                color=VERDICT_COLORS[code],
                label=f"{code.label} ({sel.mean():.3f})",
            )
    ax.axvline(delta, color="k", ls="--", lw=1, label=f"delta_N = {delta:.4f}")
    ax.set(
        xscale="log",
        xlabel="distance |Phi - f| where the path stopped",
        ylabel="targets",
        title=title,
    )
    ax.legend(fontsize=8)
    return fig


def stages_figure(by_stage: list[dict[str, Any]], spec: HierarchicalSpec) -> Any:
    """delta_N and the fraction of targets within delta_N after each stage N (Theorem 6: the
    first falls, the second stays at least 1 - eps)."""
    from gflab.plots import figure

    fig, (left, right) = figure(ncols=2)
    stages = [row["N"] for row in by_stage]
    left.semilogy(stages, [row["delta_N"] for row in by_stage], "o-")
    left.set(xlabel="stage N", ylabel="delta_N", title="resolution after stage N", xticks=stages)
    share = [row["within_delta_N"] for row in by_stage]
    low = [row["fraction"] - row["low"] for row in share]
    high = [row["high"] - row["fraction"] for row in share]
    right.errorbar(stages, [row["fraction"] for row in share], yerr=[low, high], fmt="o-", capsize=3)
    right.axhline(1 - spec.eps, color="k", ls="--", lw=1, label="1 - eps")
    right.axhline(1 - spec.eps - 0.02, color="tab:red", ls=":", lw=1, label="1 - eps - 0.02")
    right.set(
        xlabel="stage N",
        ylabel="fraction within delta_N",
        title=f"{spec.n_targets} targets ({spec.targets}{', gaps only' if spec.in_gaps else ''})",
        xticks=stages,
    )
    right.legend(fontsize=8)
    return fig


def side_by_side_figure(metrics: dict[str, Any], spec: HierarchicalSpec) -> Any:
    """Learned fraction (Wilson 95% interval) of the hierarchical model and of each zoo model
    on the same targets at the same accuracy delta_N."""
    from gflab.plots import figure

    rows = {"hierarchical (W = 2)": metrics["fractions"]["learned"]}
    rows |= {f"{name} (W = {row['W']})": row["fractions"]["learned"] for name, row in metrics["zoo"].items()}
    fig, ax = figure()
    share = list(rows.values())
    ax.bar(range(len(rows)), [row["fraction"] for row in share], color=["tab:green"] + ["tab:gray"] * (len(rows) - 1))
    ax.errorbar(
        range(len(rows)),
        [row["fraction"] for row in share],
        yerr=[[row["fraction"] - row["low"] for row in share], [row["high"] - row["fraction"] for row in share]],
        fmt="none",
        color="k",
        capsize=4,
    )
    ax.axhline(1 - spec.eps, color="k", ls="--", lw=1, label="1 - eps")
    ax.set_xticks(range(len(rows)), list(rows), fontsize=8)
    ax.set(ylim=(0, 1.05), ylabel=f"learned to within delta_N = {metrics['delta_N']:.4f}")
    ax.set_title(f"{spec.n_targets} uniform targets of [0, 1]^{spec.d}, same accuracy", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def _flank_lift(level: Level, j: int, to_root: Lift) -> Lift:
    """The next level's segment on the flank of tooth j of a level segment (t in [THETA, 1]
    of tooth region j), as root sigma."""

    def lift(s: np.ndarray) -> np.ndarray:
        return to_root(level.flank_sigma(j, s))

    return lift


def _sigma_grid(model: Hierarchical, per_segment: int) -> np.ndarray:
    """sigma values dense on every segment of every level: level n + 1's segments are the
    flanks of level n's teeth, a sigma interval ~(SHARE unit) times smaller per level (a grid
    uniform in sigma alone would step over whole teeth)."""
    own = np.linspace(0.0, 1.0, per_segment)
    segments: list[Lift] = [lambda s: s]
    grids = [own]
    for level in model.levels[:-1]:
        segments = [_flank_lift(level, j, to_root) for to_root in segments for j in range(level.m)]
        grids += [lift(own) for lift in segments]
    return np.unique(np.concatenate(grids))


def curve_samples(model: Hierarchical, u: float, per_segment: int = 4001) -> np.ndarray:
    """Points of Gamma_u on every level's segments (see :func:`_sigma_grid`)."""
    sigma = jnp.asarray(_sigma_grid(model, per_segment))
    return np.asarray(jax.vmap(lambda s: model.curve(jnp.asarray(u), s))(sigma))


def hierarchy_figure(d: int, eps: float, m: int = 4) -> Any:
    """Figures 2-3 of Yarotsky 2024 for a coarse model (m children per split, so teeth show): the
    level curves Gamma_u at the end of each stage's gathering and spreading, over the box and
    the children of the first split."""
    from matplotlib.patches import Rectangle

    from gflab.plots import figure

    model = hierarchical(d, m=m, eps=eps)
    # From the first stage whose teeth rise into the box (before it the curve lies MU_ROOT below).
    moments = [n + s for n in range(max(0, d - 2), model.n_stages) for s in (0.5, 1.0)]
    level = model.levels[1] if model.n_stages > 1 else None
    if d == 2:
        fig, axes = figure(ncols=len(moments), width=3.0, height=3.4)
        for ax, u in zip(np.atleast_1d(axes), moments, strict=True):
            x = curve_samples(model, u)
            ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=0.8, color="0.4"))
            if level is not None:
                for i in range(level.m):
                    top = 1.0 - i * level.spacing
                    ax.add_patch(Rectangle((0, top - level.width), 1, level.width, color="0.9", zorder=0))
            ax.plot(x[:, 0], x[:, 1], lw=0.8)
            ax.set(xlim=(-0.3, 1.15), ylim=(-0.3, 1.15), title=f"u = {u:g}", xlabel="x_0", ylabel="x_1", aspect="equal")
        return fig
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(3.2 * len(moments), 3.4))
    for j, u in enumerate(moments):
        ax = fig.add_subplot(1, len(moments), j + 1, projection="3d")
        x = curve_samples(model, u)
        inside = np.all((x > -0.3) & (x < 1.2), axis=1)
        ax.plot(*np.where(inside[:, None], x, np.nan).T[:3], lw=0.6)
        ax.set(xlim=(-0.3, 1.2), ylim=(-0.3, 1.2), zlim=(-0.3, 1.2), title=f"u = {u:g}", xlabel="x_0", ylabel="x_1", zlabel="x_2")
    return fig
