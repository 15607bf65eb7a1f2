"""Experiment ``hierarchical`` (seed 000, Theorem 6): the two-parameter model that learns
almost every target, measured in the adiabatic limit.

For N targets f uniform in [0, 1]^d, follow the nearest point of Gamma_u to f as u runs
over the stages (:func:`gflab.dynamics.adiabatic.nearest_point_path`: the lambda -> infinity
limit of gradient flow on Phi(u, v) = Gamma(u, sigma_0 + lambda v)). Verdicts: ``learned``
(final distance below the level-N resolution delta_N, u never stalled), ``trapped`` (u stalls:
du/dt <= 0 away from the target, a spurious minimum), ``undecided`` (the branch ends farther
than delta_N: it was carried into a wrong child), ``diverged`` (non-finite). Each failure
is attributed to the first stage that did not do its job: stage n gathers its split
coordinate x_n to the tooth of the target's child (n >= 1) and lands the tooth direction
x_{n+1 mod d} on the target.

Per stage N = 1..n_stages the run also reports delta_N of the first N levels and the fraction
of targets within it at the end of stage N (``by_stage``, figure ``stages``: Theorem 6's
"delta_N falls, the learned fraction stays >= 1 - eps"). ``targets = sphere`` puts the
targets on a 2-sphere about the box's centre (Theorem 4's obstruction on this model);
``in_gaps`` keeps only targets in the design's gaps, where the non-learned ones are.
``zoo`` runs elementary zoo models by gradient flow to the same targets, learned at the same
accuracy delta_N (figure ``side_by_side``: Theorem 6 against Corollary 10).

The finite-lambda flow is not run here: it is stiff (level n holds ~(2m)^-n of the sigma
interval, so the fast variable needs absolute tolerances near 1e-13 at d = 5); the limit is
checked against the flow on a smooth family in ``tests/dynamics/test_adiabatic.py`` (gap
~ 1/lambda^2), and stage 0 of this model under the flow in ``tests/problems``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from gflab._jax import jax_module
from gflab.console import progress_bar
from gflab.dynamics.adiabatic import nearest_point_path
from gflab.errors import BadInput
from gflab.experiments.base import Experiment, Result, Spec
from gflab.experiments.learnability.curve_fits import CurveFlowSpec, build_model, fit_targets
from gflab.experiments.learnability.sphere_obstruction import sphere_points
from gflab.measure.verdicts import proportion, verdict_fractions
from gflab.problems.curves import ModelName, check_dims
from gflab.problems.hierarchical import MAX_D, Hierarchical, Level, check_stages, hierarchical, resolution
from gflab.results import VERDICT_NAMES, Verdict

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

LANDED = 1e-5  # a stage lands its coordinate on the target to this accuracy
Lift = Callable[[np.ndarray], np.ndarray]  # a segment's own parameter -> the root sigma


GAP_OVERSAMPLING = 200  # candidates per kept target when only gap targets are kept (gaps hold ~5%)
MAX_GAP_TARGETS = 20_000  # bounds the candidates' memory (4e6 x d floats)


class HierarchicalSpec(Spec):
    d: int = Field(3, ge=2, le=MAX_D, description="target dimension")
    n_stages: int | None = Field(None, ge=1, le=MAX_D, description="stages N <= d (default d)")
    m: int = Field(150, ge=2, le=1000, description="children per split")
    eps: float = Field(0.05, gt=0, lt=1, description="design eps: total gap measure")
    n_targets: int = Field(10_000, ge=1, le=1_000_000)
    targets: Literal["box", "sphere"] = Field(
        "box", description="uniform in [0, 1]^d, or a Fibonacci lattice on the 2-sphere of radius `radius` about the box's centre"
    )
    radius: float = Field(0.3, gt=0, le=0.5, description="radius of the sphere of targets (targets = sphere)")
    in_gaps: bool = Field(False, description="keep only targets in the design's gaps (a search for the non-learned ones)")
    du: float = Field(1e-3, gt=0, le=0.05, description="continuation step in u")
    iterations: int = Field(32, ge=1, le=256, description="Newton steps per u step")
    chunk: int = Field(256, ge=1, le=100_000, description="targets per compiled batch (bounds memory)")
    zoo: tuple[ModelName, ...] = Field(
        (),
        description="zoo models (default W for d) run by gradient flow on the same targets, learned at the same accuracy delta_N",
    )
    picture: bool = Field(False, description="draw the level curves of a coarse (m = 4) model, like the seed's Figs. 2-3")
    seed: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _sphere_fits(self) -> HierarchicalSpec:
        check_stages(self.n_stages, self.d)
        if self.targets == "sphere" and self.d < 3:
            raise BadInput("targets", f"a 2-sphere of targets needs d >= 3 (got d = {self.d}); accepted for d = 2: box")
        for name in self.zoo:
            check_dims(name, self.d, None)
        if self.in_gaps and self.n_targets > MAX_GAP_TARGETS:
            raise BadInput(
                "n_targets", f"at most {MAX_GAP_TARGETS} with in_gaps (each is searched among {GAP_OVERSAMPLING} candidates)"
            )
        return self


def in_gaps(model: Hierarchical, targets: np.ndarray) -> np.ndarray:
    """Targets whose split coordinate falls between two children at some level."""
    return np.any([level.in_gap(targets[:, level.c]) for level in model.levels[1:]], axis=0)


def draw_targets(spec: HierarchicalSpec, model: Hierarchical) -> np.ndarray:
    """Uniform in [0, 1]^d, or on the 2-sphere of radius ``spec.radius`` about (1/2, ..., 1/2)
    in the first three coordinates (Theorem 4's W-sphere for W = 2); with ``in_gaps`` the
    first ``n_targets`` of an oversampled draw that lie in the gaps."""
    count = spec.n_targets * (GAP_OVERSAMPLING if spec.in_gaps else 1)
    if spec.targets == "sphere":
        targets = 0.5 + spec.radius * sphere_points(2, spec.d, count)
    else:
        targets = np.asarray(jax.random.uniform(jax.random.key(spec.seed), (count, spec.d)))
    if not spec.in_gaps:
        return targets
    kept = targets[in_gaps(model, targets)]
    if len(kept) < spec.n_targets:
        raise BadInput("n_targets", f"only {len(kept)} of {count} candidates lie in the gaps; ask for fewer")
    return kept[np.linspace(0, len(kept) - 1, spec.n_targets).astype(int)]  # spread over the sphere's lattice


def first_failed_stage(model: Hierarchical, targets: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Per target, the first stage n whose gathering (x_n to its child's tooth, n >= 1) or
    landing (x_{n+1 mod d} on f) did not hold at u = n + 0.99; -1 when every stage did.
    ``points``: (targets, N, d), the path's point at u = n + 0.99."""
    failed = np.full(len(targets), -1)
    for n, level in reversed(list(enumerate(model.levels))):
        ok = np.abs(points[:, n, level.k] - targets[:, level.k]) < LANDED
        if n >= 1:
            ok &= np.abs(points[:, n, level.c] - level.tooth_of(targets[:, level.c])) < 2 * level.drift
        failed = np.where(~ok, n, failed)
    return failed


@dataclass
class Followed:
    """The adiabatic paths of a batch of targets: final ``distance`` |Phi - f|, ``verdict``
    code (learned within delta_N, trapped, undecided, diverged), and ``points`` (targets, N, d):
    the path's point at u = n + 0.99, the end of each stage."""

    distance: np.ndarray
    verdict: np.ndarray
    points: np.ndarray


def follow_targets(
    model: Hierarchical,
    targets: np.ndarray,
    *,
    du: float = 1e-3,
    iterations: int = 32,
    chunk: int = 256,
    progress: bool = False,
    label: str = "hierarchical: targets",
) -> Followed:
    """The nearest-point path of every target over u in [0.05, N), compiled once and run
    ``chunk`` targets at a time (bounds memory); verdicts against delta_N."""
    delta = resolution(model.levels, model.d)
    us = np.arange(0.05, model.n_stages, du)
    checkpoints = np.searchsorted(us, np.arange(model.n_stages) + 0.99)
    path = jax.jit(
        jax.vmap(lambda f: nearest_point_path(model.curve, f, jnp.asarray(model.sigma0), jnp.asarray(us), iterations=iterations))
    )
    n = len(targets)
    distance = np.empty(n)
    stalled = np.empty(n, bool)
    points = np.empty((n, model.n_stages, model.d))
    with progress_bar(label, n, enabled=progress) as advance:
        for start in range(0, n, chunk):
            rows = slice(start, min(start + chunk, n))
            batch = targets[rows]
            padded = np.concatenate([batch, np.repeat(batch[-1:], chunk - len(batch), 0)])  # one compiled shape
            out = jax.tree.map(np.asarray, path(jnp.asarray(padded)))
            count = len(batch)
            distance[rows] = out["distance"][:count, -1]
            stalled[rows] = np.any((out["rate"][:count] <= 0) & (out["distance"][:count] > delta), axis=1)
            points[rows] = out["point"][:count][:, checkpoints]
            if advance is not None:
                advance(count)
    verdict = np.where(
        ~np.isfinite(distance),
        Verdict.DIVERGED,
        np.where(stalled, Verdict.TRAPPED, np.where(distance < delta, Verdict.LEARNED, Verdict.UNDECIDED)),
    )
    return Followed(distance=distance, verdict=verdict, points=points)


def zoo_at_resolution(names: tuple[str, ...], targets: np.ndarray, delta: float, seed: int, progress: bool) -> dict[str, Any]:
    """Gradient flow of each zoo model (its default W for d) to the same targets, learned at the
    same accuracy: final distance below delta (loss 1/2 |Phi - f|^2 below delta^2 / 2)."""
    flow = CurveFlowSpec.model_validate({"d": targets.shape[1], "tol": delta**2 / 2, "seed": seed})
    rows = {}
    for name in names:
        model = build_model(flow, name)
        traj = fit_targets(model, targets, flow, progress=progress, label=f"zoo {name}: targets")
        rows[name] = {"W": model.W, "fractions": verdict_fractions(traj.verdict)}
    return rows


class HierarchicalExperiment(Experiment):
    name = "hierarchical"
    spec_class = HierarchicalSpec

    def run(self, spec: HierarchicalSpec, *, progress: bool = False) -> Result:
        model = hierarchical(spec.d, spec.n_stages, m=spec.m, eps=spec.eps)
        delta = resolution(model.levels, spec.d)
        targets = draw_targets(spec, model)
        followed = follow_targets(model, targets, du=spec.du, iterations=spec.iterations, chunk=spec.chunk, progress=progress)
        distance, verdict, points = followed.distance, followed.verdict, followed.points
        failed = first_failed_stage(model, targets, points)
        # After stage n the model is exact to delta_{n+1}, the resolution of its first n + 1 levels.
        deltas = [resolution(model.levels[: n + 1], spec.d) for n in range(model.n_stages)]
        within = [np.linalg.norm(points[:, n] - targets, axis=1) < deltas[n] for n in range(model.n_stages)]
        gaps = in_gaps(model, targets)
        metrics: dict[str, Any] = {
            "d": spec.d,
            "n_stages": model.n_stages,
            "m": spec.m,
            "design_eps": spec.eps,
            "gap_measure": float(1.0 - np.prod([level.m * level.width for level in model.levels[1:]])),
            "delta_N": delta,
            "n_targets": spec.n_targets,
            "fractions": verdict_fractions(verdict),
            "targets_in_gaps": float(gaps.mean()),
            "learned_outside_gaps": float(np.mean(verdict[~gaps] == Verdict.LEARNED)) if (~gaps).any() else float("nan"),
            "first_failed_stage": {
                str(n): int(np.sum((failed == n) & (verdict != Verdict.LEARNED))) for n in range(model.n_stages)
            },
            "final_distance_median": float(np.median(distance)),
            "by_stage": [
                {"N": n + 1, "delta_N": deltas[n], "within_delta_N": proportion(int(within[n].sum()), len(targets))}
                for n in range(model.n_stages)
            ],
        }
        if spec.targets == "sphere":
            worst = int(np.argmax(np.where(np.isfinite(distance), distance, np.inf)))  # a diverged target first
            metrics["sphere"] = {
                "radius": spec.radius,
                "non_learned": int(np.sum(verdict != Verdict.LEARNED)),
                "non_learned_in_gaps": int(np.sum((verdict != Verdict.LEARNED) & gaps)),
                "worst_target": targets[worst].tolist(),
                "worst_distance": float(distance[worst]),
            }
        table = pd.DataFrame(
            {
                **{f"f{i}": targets[:, i] for i in range(spec.d)},
                "distance": distance,
                "verdict": np.asarray(VERDICT_NAMES)[verdict],
            }
        )
        table["first_failed_stage"] = failed
        table["in_gap"] = gaps
        figures = {
            "final_distance": distance_figure(
                distance, verdict, delta, f"hierarchical model, d = {spec.d}: {spec.n_targets} targets"
            ),
            "stages": _stages_figure(metrics["by_stage"], spec),
        }
        if spec.zoo:
            metrics["zoo"] = zoo_at_resolution(spec.zoo, targets, delta, spec.seed, progress)
            metrics["zoo_best_learned_high"] = max(row["fractions"]["learned"]["high"] for row in metrics["zoo"].values())
            figures["side_by_side"] = _side_by_side_figure(metrics, spec)
        if spec.picture:
            figures["hierarchy"] = hierarchy_figure(spec.d, spec.eps)
        return Result(metrics=metrics, table=table, figures=figures)


def distance_figure(distance: np.ndarray, verdict: np.ndarray, delta: float, title: str) -> Any:
    """Histogram of final distances by verdict, delta_N marked."""
    from gflab.plots import VERDICT_COLORS, figure

    fig, ax = figure()
    finite = np.clip(distance[np.isfinite(distance)], 1e-8, None)
    bins = np.geomspace(finite.min(), finite.max() * 1.01, 60) if finite.size else 10
    for code, name in enumerate(VERDICT_NAMES):
        sel = (verdict == code) & np.isfinite(distance)
        if sel.any():
            ax.hist(np.clip(distance[sel], 1e-8, None), bins=bins, color=VERDICT_COLORS[code], label=f"{name} ({sel.mean():.3f})")
    ax.axvline(delta, color="k", ls="--", lw=1, label=f"delta_N = {delta:.4f}")
    ax.set(
        xscale="log",
        xlabel="final distance |Phi - f|",
        ylabel="targets",
        title=title,
    )
    ax.legend(fontsize=8)
    return fig


def _stages_figure(by_stage: list[dict[str, Any]], spec: HierarchicalSpec) -> Any:
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
    right.set(
        xlabel="stage N",
        ylabel="fraction within delta_N",
        title=f"{spec.n_targets} targets ({spec.targets}{', gaps only' if spec.in_gaps else ''})",
        xticks=stages,
    )
    right.legend(fontsize=8)
    return fig


def _side_by_side_figure(metrics: dict[str, Any], spec: HierarchicalSpec) -> Any:
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
    """The seed's Figures 2-3 for a coarse model (m children per split, so teeth show): the
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
