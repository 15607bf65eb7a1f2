"""Experiment ``hierarchical`` (Yarotsky 2024, "Learnability of high-dimensional targets by
two-parameter models and gradient flow", Theorem 6): the two-parameter model that learns
almost every target, measured in the adiabatic limit.

For N targets f uniform in [0, 1]^d, follow the nearest point of Gamma_u to f as u runs over
the stages: :class:`gflab.dynamics.AdiabaticLimit` (the lambda -> infinity limit of gradient
flow on Phi(u, v) = Gamma(u, sigma_0 + lambda v)) through :func:`gflab.simulate`, with adaptive
steps in u (``move_tol``: du where the nearest point moves, longer where it rests). Verdicts:
``learned`` (the distance falls below the level-N resolution delta_N), ``trapped`` (u stalls:
du/dt <= 0 away from the target, a spurious minimum), ``undecided`` (the path ends farther
than delta_N: it was carried into a wrong child), ``diverged`` (non-finite). Each failure is
attributed to the first stage that did not do its job: stage n gathers its split coordinate
x_n to the tooth of the target's child (n >= 1) and lands the tooth direction x_{n+1 mod d}
on the target.

Per stage N = 1..n_stages the run also reports delta_N of the first N levels and the fraction
of targets within it at the end of stage N (``by_stage``, figure ``stages``: Theorem 6's
"delta_N falls, the learned fraction stays >= 1 - eps"), with n_stages beyond d where the
model re-splits (``stages``: the fitted ratio delta_(N+1) / delta_N and the least lower
Wilson end over N). ``targets = sphere`` puts the
targets on a 2-sphere about the box's centre (Theorem 4's obstruction on this model);
``in_gaps`` keeps only targets in the design's gaps, where the non-learned ones are.
``zoo`` runs elementary zoo models by gradient flow to the same targets, learned at the same
accuracy delta_N (figure ``side_by_side``: Theorem 6 against Corollary 10).

The finite-lambda flow is experiment ``hierarchical-flow``
(:mod:`gflab.experiments.learnability.hierarchical_flow`); the limit is checked against the
flow on a smooth family in ``tests/dynamics/test_adiabatic.py`` (gap ~ 1/lambda^2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics import AdiabaticLimit
from gflab.dynamics.adiabatic import STALLED
from gflab.errors import BadInput
from gflab.experiments.base import Experiment, Result
from gflab.experiments.learnability.curve_fits import build_model, fit_targets
from gflab.experiments.learnability.hierarchical_figures import (
    distance_figure,
    hierarchy_figure,
    side_by_side_figure,
    stages_figure,
)
from gflab.experiments.learnability.specs import GAP_OVERSAMPLING, CurveFlowSpec, HierarchicalSpec
from gflab.experiments.learnability.sphere_obstruction import sphere_points
from gflab.measure.verdicts import proportion, verdict_fractions
from gflab.problems.curves import CurveFit, output
from gflab.problems.hierarchical import Hierarchical, Level, hierarchical, resolution
from gflab.results import VERDICT_NAMES, Verdict
from gflab.simulation import Save, Stop, simulate
from gflab.theory.learnability import HIERARCHICAL_U_START as U_START

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

STAGE_END = 0.99  # stage n's work is checked at u = n + STAGE_END (its gathering and spreading are done)
LANDED = 1e-5  # a stage lands its coordinate on the target to this accuracy
GATHERED = 2.0  # a stage gathered x_n to its child's tooth: within this many times the tooth's drift H_n


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
    landing (x_{n+1 mod d} on f) did not hold at u = n + STAGE_END; -1 when every stage did.
    ``points``: (targets, N, d), the path's point at u = n + STAGE_END."""
    failed = np.full(len(targets), -1)
    for n, level in reversed(list(enumerate(model.levels))):
        ok = np.abs(points[:, n, level.k] - targets[:, level.k]) < LANDED
        if n >= 1:
            ok &= np.abs(points[:, n, level.c] - level.tooth_of(targets[:, level.c])) < GATHERED * level.drift
        failed = np.where(~ok, n, failed)
    return failed


@dataclass
class Followed:
    """The adiabatic paths of a batch of targets: ``distance`` |Gamma - f| and ``u_stop``
    where each path stopped (the distance fell below delta_N, u stalled, or the last u),
    the :class:`~gflab.results.Verdict` code, ``points`` (targets, stages, d): the path's
    point at u = n + STAGE_END, the end of each stage (after a stop, the stop's), and
    ``final`` (targets, d) the point where it stopped."""

    distance: np.ndarray
    u_stop: np.ndarray
    verdict: np.ndarray
    points: np.ndarray
    final: np.ndarray


def final_u(t1: float, du: float) -> float:
    """The last point of the grid ``np.arange(U_START, t1, du)``: a run over u in [U_START,
    t1) ends there. Never at u = N itself: there every schedule ends with du/dt = 0, which
    would read as a stall for every target not learned."""
    return float(np.arange(U_START, t1, du)[-1])


def follow_targets(
    model: Hierarchical,
    targets: np.ndarray,
    *,
    t1: float | None = None,
    du: float = 1e-3,
    move_tol: float | None = None,
    iterations: int = 32,
    slots: int = 256,
    bound: float = Stop().bound,
    stage_points: bool = True,
    progress: bool = False,
    label: str = "hierarchical: targets",
) -> Followed:
    """The adiabatic path of every target over u in [U_START, t1) (default t1 = N), run by
    :func:`simulate` with :class:`AdiabaticLimit`: learned below delta_N (loss below
    delta_N^2 / 2), trapped where u stalls, diverged beyond ``bound``. With
    ``stage_points`` the point at the end of every stage before t1 is recorded. du and t1
    are arrays (one compiled program for all their values); with ``move_tol`` the steps in u
    are adaptive, du the shortest (see :class:`AdiabaticLimit`)."""
    delta = resolution(model.levels, model.d)
    last = final_u(model.n_stages if t1 is None else t1, du)
    stage_ends = [n + STAGE_END for n in range(model.n_stages) if n + STAGE_END <= last] if stage_points else []
    traj = simulate(
        CurveFit(model=model, target=jnp.asarray(targets)),
        AdiabaticLimit(du=jnp.asarray(du), t1=jnp.asarray(last), iterations=iterations, move_tol=move_tol),
        jnp.asarray([U_START, model.sigma0]),
        over=lambda p: p.target,
        save=Save(ts=stage_ends, observables={"output": output}),
        stop=Stop(tol=delta**2 / 2, gtol=STALLED, bound=bound),
        slots=slots,
        progress=progress,
        description=label,
    )
    final = np.asarray(jax.vmap(model)(jnp.asarray(traj.final_params)))
    return Followed(
        distance=np.sqrt(2.0 * traj.final_loss),
        u_stop=traj.t_final,
        verdict=traj.verdict,
        points=traj.observations["output"],
        final=final,
    )


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
        followed = follow_targets(
            model, targets, du=spec.du, move_tol=spec.move_tol, iterations=spec.iterations, slots=spec.slots, progress=progress
        )
        distance, verdict, points = followed.distance, followed.verdict, followed.points
        # Blame goes to the targets not learned (a learned path stops once within delta_N).
        failed = np.where(verdict == Verdict.LEARNED, -1, first_failed_stage(model, targets, points))
        # After stage n the model is exact to delta_{n+1}, the resolution of its first n + 1 levels.
        deltas = [resolution(model.levels[: n + 1], spec.d) for n in range(model.n_stages)]
        within = [np.linalg.norm(points[:, n] - targets, axis=1) < deltas[n] for n in range(model.n_stages)]
        gaps = in_gaps(model, targets)
        metrics: dict[str, Any] = {
            "d": spec.d,
            "n_stages": model.n_stages,
            "m": spec.m,
            "design_eps": spec.eps,
            "gap_measure": float(1.0 - np.prod([level.m * level.width / _cell(level) for level in model.levels[1:]])),
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
        metrics["stages"] = stage_summary(metrics["by_stage"])
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
                "u_stop": followed.u_stop,
                "verdict": np.asarray(VERDICT_NAMES)[verdict],
            }
        )
        table["first_failed_stage"] = failed
        table["in_gap"] = gaps
        figures = {
            "final_distance": distance_figure(
                distance, verdict, delta, f"hierarchical model, d = {spec.d}: {spec.n_targets} targets"
            ),
            "stages": stages_figure(metrics["by_stage"], spec),
        }
        if spec.zoo:
            metrics["zoo"] = zoo_at_resolution(spec.zoo, targets, delta, spec.seed, progress)
            metrics["zoo_best_learned_high"] = max(row["fractions"]["learned"]["high"] for row in metrics["zoo"].values())
            figures["side_by_side"] = side_by_side_figure(metrics, spec)
        if spec.picture:
            figures["hierarchy"] = hierarchy_figure(spec.d, spec.eps)
        return Result(metrics=metrics, table=table, figures=figures)


def _cell(level: Level) -> float:
    """The width of the cell a level splits: the box for a first split, its parent's child for a re-split."""
    return level.parent.width if level.parent is not None else 1.0


def stage_summary(by_stage: list[dict[str, Any]]) -> dict[str, float]:
    """``delta_rate``: the ratio delta_(N+1) / delta_N of a geometric fit (least squares on
    log delta_N against N) over the stages N >= 2 (stage 1 leaves every coordinate but one
    unknown); ``min_within_low``: the least lower Wilson end, over N, of the fraction of
    targets within delta_N after stage N."""
    later = [row for row in by_stage if row["N"] >= 2]
    rate = (
        float(np.exp(np.polyfit([row["N"] for row in later], np.log([row["delta_N"] for row in later]), 1)[0]))
        if len(later) >= 2
        else float("nan")
    )
    return {"delta_rate": rate, "min_within_low": float(min(row["within_delta_N"]["low"] for row in by_stage))}
