"""Experiment ``learnability`` (Yarotsky 2024, "Learnability of high-dimensional targets by
two-parameter models and gradient flow"): which targets gradient flow learns with a zoo model.

For N targets f ~ mu, run dw/dt = -grad 1/2|Phi(w) - f|^2 from a fixed w0 and classify each
trajectory (learned / trapped / undecided / diverged); report fractions with Wilson 95%
intervals, the distribution of final losses, and for d = 2 the verdict over a grid of
targets with the model's curve drawn on it.

``model = hierarchical`` is Theorem 6's two-parameter model (:mod:`gflab.problems.hierarchical`)
in its adiabatic limit (``dynamics = adiabatic``, :class:`gflab.dynamics.AdiabaticLimit`), on
targets uniform in its design box [0, 1]^d, over u in [0.05, t1) (t1 = N by default):
learned means within the level-N resolution delta_N, and the verdict map (a slice through
the box in (f0, f1)) shows the design's gaps. The zoo's flow settings that do not apply to
it (w0, tol, gtol, rtol, atol, eta) are refused (:mod:`~gflab.experiments.learnability.specs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.experiments.base import Experiment, Result
from gflab.experiments.learnability.curve_fits import build_model, curve_points, fit_targets, w_range
from gflab.experiments.learnability.hierarchical import Followed, follow_targets, in_gaps
from gflab.experiments.learnability.hierarchical_figures import distance_figure
from gflab.experiments.learnability.specs import LearnabilitySpec
from gflab.measure.verdicts import verdict_fractions
from gflab.problems.curves import AbstractCurveModel, output
from gflab.problems.hierarchical import Hierarchical, hierarchical, resolution
from gflab.results import VERDICT_NAMES, Verdict
from gflab.simulation import Save, Trajectory
from gflab.tables import SpooledTable

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402

GAP_FREE_STEP = 1e-3  # the verdict map's slice: other coordinates searched upwards from 1/2 in these steps


def sample_targets(spec: LearnabilitySpec) -> np.ndarray:
    key = jax.random.fold_in(jax.random.key(spec.seed), 1)
    if spec.model == "hierarchical":
        return np.asarray(jax.random.uniform(key, (spec.n_targets, spec.d)))
    if spec.targets == "uniform":
        return np.asarray(jax.random.uniform(key, (spec.n_targets, spec.d), minval=-spec.box, maxval=spec.box))
    return np.asarray(spec.box * jax.random.normal(key, (spec.n_targets, spec.d)))


CHUNK = 1 << 19  # targets per simulation chunk: memory stays bounded however many targets


@dataclass
class ChunkedFits:
    """Per-target results of the flows (one entry per target) and the spooled loss table."""

    verdict: np.ndarray
    final_loss: np.ndarray
    t_final: np.ndarray
    steps: np.ndarray
    extreme_params: np.ndarray  # per chunk, the smallest and largest finite final parameters
    table: SpooledTable


def _fit_in_chunks(model: AbstractCurveModel, targets: np.ndarray, spec: LearnabilitySpec, progress: bool) -> ChunkedFits:
    """The flows of every target, :data:`CHUNK` targets at a time; the loss at the save times
    of each chunk goes to a :class:`SpooledTable` (10^7 targets x 24 times would not fit in memory)."""
    save = Save.logspace(1e-2, spec.t1, 24)
    verdicts, losses, times, steps, extremes = [], [], [], [], []
    table = SpooledTable()
    chunks = range(0, len(targets), CHUNK)
    for i, start in enumerate(chunks):
        label = f"{spec.model}: targets" + (f" ({i + 1}/{len(chunks)})" if len(chunks) > 1 else "")
        traj = fit_targets(model, targets[start : start + CHUNK], spec, save=save, progress=progress, label=label)
        verdicts.append(traj.verdict.astype(np.int8))
        losses.append(traj.final_loss)
        times.append(traj.t_final)
        steps.append(traj.steps)
        params = np.asarray(traj.final_params)
        finite = params[np.isfinite(params).all(axis=1)]
        if finite.size:
            extremes.append(np.stack([finite.min(axis=0), finite.max(axis=0)]))
        n, t = traj.observations["loss"].shape
        table.append(
            pd.DataFrame(
                {
                    "trajectory": np.repeat(np.arange(start, start + n), t),
                    "t": np.tile(traj.ts, n),
                    "loss": traj.observations["loss"].ravel(),
                    "verdict": pd.Categorical.from_codes(np.repeat(traj.verdict, t), categories=VERDICT_NAMES),
                }
            )
        )
    return ChunkedFits(
        verdict=np.concatenate(verdicts),
        final_loss=np.concatenate(losses),
        t_final=np.concatenate(times),
        steps=np.concatenate(steps),
        extreme_params=np.concatenate(extremes) if extremes else np.zeros((0, model.W)),
        table=table,
    )


def _quantiles(values: np.ndarray) -> dict[str, float]:
    # an order statistic, not interpolated: diverged runs have infinite losses (inf - inf is nan)
    qs = np.quantile(values, [0.0, 0.1, 0.5, 0.9, 1.0], method="inverted_cdf")
    return {name: float(q) for name, q in zip(["min", "q10", "median", "q90", "max"], qs, strict=True)}


def _trapped_share(verdict: np.ndarray) -> float:
    """Share of trapped among the targets not learned (nan when all are learned)."""
    not_learned = verdict != Verdict.LEARNED
    return float(np.mean(verdict[not_learned] == Verdict.TRAPPED)) if not_learned.any() else float("nan")


class Learnability(Experiment):
    name = "learnability"
    spec_class = LearnabilitySpec

    def run(self, spec: LearnabilitySpec, *, progress: bool = False) -> Result:
        if spec.model == "hierarchical":
            return _run_hierarchical(spec, progress)
        model = build_model(spec, spec.model)
        targets = sample_targets(spec)
        fits = _fit_in_chunks(model, targets, spec, progress)
        metrics: dict[str, Any] = {
            "model": spec.model,
            "W": model.W,
            "d": model.d,
            "n_targets": spec.n_targets,
            "fractions": verdict_fractions(fits.verdict),
            "trapped_share_of_not_learned": _trapped_share(fits.verdict),
            "final_loss": _quantiles(fits.final_loss),
            "stop_time": _quantiles(fits.t_final),
            "steps_mean": float(np.mean(fits.steps)),
        }
        table = fits.table
        figures = {"final_loss": _final_loss_figure(fits.final_loss, fits.verdict, spec)}
        shown = targets[: spec.n_show]
        if spec.n_show:
            dense = Save(
                ts=tuple(np.concatenate([[0.0], np.geomspace(1e-3, spec.t1, 400)]).tolist()), observables={"output": output}
            )
            paths = fit_targets(model, shown, spec, save=dense)
            figures["trajectories"] = _trajectory_figure(model, spec, shown, paths, fits.extreme_params)
        if spec.d == 2 and spec.grid:
            axis = np.linspace(-spec.box, spec.box, spec.grid)
            grid_targets = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
            grid_traj = fit_targets(model, grid_targets, spec, progress=progress, label=f"{spec.model}: verdict grid")
            metrics["grid_fractions"] = verdict_fractions(grid_traj.verdict)
            figures["verdict_map"] = _verdict_map_figure(model, spec, axis, grid_traj)
        return Result(metrics=metrics, table=table, figures=figures)


def _run_hierarchical(spec: LearnabilitySpec, progress: bool) -> Result:
    """Theorem 6's model on uniform targets of [0, 1]^d, in the adiabatic limit."""
    model = hierarchical(spec.d, spec.n_stages, m=spec.m, eps=spec.eps)
    delta = resolution(model.levels, spec.d)
    targets = sample_targets(spec)

    def follow(points: np.ndarray, label: str) -> Followed:
        return follow_targets(model, points, t1=spec.t1, bound=spec.bound, stage_points=False, progress=progress, label=label)

    followed = follow(targets, "hierarchical: targets")
    gaps = in_gaps(model, targets)
    metrics: dict[str, Any] = {
        "model": spec.model,
        "W": 2,
        "d": spec.d,
        "n_targets": spec.n_targets,
        "n_stages": model.n_stages,
        "design_eps": spec.eps,
        "delta_N": delta,
        "fractions": verdict_fractions(followed.verdict),
        "trapped_share_of_not_learned": _trapped_share(followed.verdict),
        "final_distance": _quantiles(followed.distance),
        "targets_in_gaps": float(gaps.mean()),
        "not_learned_in_gaps": int(np.sum((followed.verdict != Verdict.LEARNED) & gaps)),
    }
    table = pd.DataFrame(
        {
            **{f"f{i}": targets[:, i] for i in range(spec.d)},
            "distance": followed.distance,
            "u_stop": followed.u_stop,
            "verdict": np.asarray(VERDICT_NAMES)[followed.verdict],
            "in_gap": gaps,
        }
    )
    title = f"hierarchical model, d = {spec.d}: {spec.n_targets} targets"
    figures = {"final_distance": distance_figure(followed.distance, followed.verdict, delta, title)}
    if spec.grid:
        axis = (np.arange(spec.grid) + 0.5) / spec.grid
        rest = [_off_the_gaps(model, coordinate) for coordinate in range(2, spec.d)]
        plane = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
        grid_targets = np.concatenate([plane, np.tile(rest, (len(plane), 1))], axis=1)
        grid = follow(grid_targets, "hierarchical: verdict grid")
        metrics["grid_fractions"] = verdict_fractions(grid.verdict)
        metrics["grid_slice"] = rest
        figures["verdict_map"] = _hierarchical_map_figure(model, axis, grid.verdict, rest)
    return Result(metrics=metrics, table=table, figures=figures)


def _off_the_gaps(model: Hierarchical, coordinate: int, start: float = 0.5) -> float:
    """The first value from ``start`` up (steps GAP_FREE_STEP) that no level's gap in ``coordinate`` holds."""
    value = start
    while any(level.c == coordinate and level.in_gap(np.asarray(value)) for level in model.levels[1:]):
        value += GAP_FREE_STEP
    return value


def _final_loss_figure(final_loss: np.ndarray, verdict: np.ndarray, spec: LearnabilitySpec) -> Any:
    from gflab.plots import VERDICT_COLORS, figure

    fig, ax = figure()
    # diverged runs (infinite, or beyond 1e100) are drawn in the last bin
    losses = np.clip(np.nan_to_num(final_loss, nan=1e100, posinf=1e100), 1e-20, 1e100)
    bins = np.geomspace(max(losses.min(), 1e-20), max(losses.max(), 1e-19) * 1.01, 50)
    for code in Verdict:
        sel = verdict == code
        if sel.any():
            ax.hist(losses[sel], bins=bins, color=VERDICT_COLORS[code], label=f"{code.label} ({sel.mean():.3f})", alpha=0.85)
    ax.axvline(spec.tol, color="k", ls="--", lw=1, label=f"tol = {spec.tol:g}")
    ax.set(xscale="log", xlabel="final loss", ylabel="targets", title=f"{spec.model}: final losses of {spec.n_targets} targets")
    ax.legend(fontsize=8)
    return fig


def _trajectory_figure(
    model: AbstractCurveModel, spec: LearnabilitySpec, shown: np.ndarray, paths: Trajectory, finals: np.ndarray
) -> Any:
    from gflab.plots import VERDICT_COLORS, figure

    fig, ax = figure(width=5.5, height=5.0)
    image = curve_points(model, w_range(np.asarray(finals), spec.w0))
    style = "-" if model.W == 1 else "."
    ax.plot(
        image[:, 0],
        image[:, 1],
        style,
        color="0.75",
        lw=0.6,
        ms=0.6,
        label="image of Phi" + (" (first 2 coords)" if spec.d > 2 else ""),
    )
    for i in range(len(shown)):
        out = paths.observations["output"][i]
        color = VERDICT_COLORS[paths.verdict[i]]
        ax.plot(out[:, 0], out[:, 1], color=color, lw=1.2)
        ax.plot(out[-1, 0], out[-1, 1], "o", color=color, ms=4)
        ax.plot(shown[i, 0], shown[i, 1], "x", color=color, ms=7)
    ax.set(
        xlim=(-1.6 * spec.box, 1.6 * spec.box), ylim=(-1.6 * spec.box, 1.6 * spec.box), aspect="equal", xlabel="x1", ylabel="x2"
    )
    ax.set_title(f"{spec.model}: Phi(w(t)) (lines) and targets (x)", fontsize=10)
    return fig


def _verdict_image(verdict: np.ndarray, axis: np.ndarray, title: str) -> Any:
    """A figure with the verdict of each target of a square grid over ``axis`` x ``axis``."""
    from gflab.plots import VERDICT_CMAP, figure, verdict_legend

    fig, ax = figure(width=5.5, height=5.0)
    n = len(axis)
    ax.imshow(
        verdict.reshape(n, n),
        origin="lower",
        extent=(axis[0], axis[-1], axis[0], axis[-1]),
        cmap=VERDICT_CMAP,
        vmin=-0.5,
        vmax=3.5,
        interpolation="nearest",
    )
    ax.set(xlim=(axis[0], axis[-1]), ylim=(axis[0], axis[-1]), aspect="equal")
    ax.set_title(title, fontsize=10)
    verdict_legend(ax, np.unique(verdict))
    return fig, ax


def _verdict_map_figure(model: AbstractCurveModel, spec: LearnabilitySpec, axis: np.ndarray, grid_traj: Trajectory) -> Any:
    fig, ax = _verdict_image(grid_traj.verdict, axis, f"{spec.model}: verdict for each target (grid {len(axis)}x{len(axis)})")
    image = curve_points(model, w_range(np.asarray(grid_traj.final_params), spec.w0))
    ax.plot(image[:, 0], image[:, 1], "-" if model.W == 1 else ".", color="k", lw=0.4, ms=0.5)
    ax.set(xlabel="f1", ylabel="f2")
    return fig


def _hierarchical_map_figure(model: Hierarchical, axis: np.ndarray, verdict: np.ndarray, rest: list[float]) -> Any:
    """Verdicts over (f0, f1) at the other coordinates ``rest``, the gaps of the splits of f0
    and f1 outlined (the non-learned targets sit in them)."""
    at = ", ".join(f"f{i + 2} = {value:.3f}" for i, value in enumerate(rest))
    fig, ax = _verdict_image(verdict, axis, f"hierarchical: verdict per target{' at ' + at if at else ''}")
    for level in model.levels[1:]:
        if level.c in (0, 1):
            span = ax.axvspan if level.c == 0 else ax.axhspan
            for low, high in level.gaps():
                span(low, high, color="k", alpha=0.6, lw=0)
    ax.set(xlabel="f0", ylabel="f1 (the design's gaps shaded)")
    return fig
