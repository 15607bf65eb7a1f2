"""Experiment ``sphere-obstruction`` (Yarotsky 2024, "Learnability of high-dimensional targets
by two-parameter models and gradient flow", Theorem 4): a W-sphere of targets always contains
a non-learnable one when W < d.

For each zoo model with W < d: sample a W-sphere of targets (a circle for W = 1 in the
(x1, x2) plane, a 2-sphere for W = 2 in (x1, x2, x3)), run gradient flow to each, and find
neighbouring targets whose limits Phi(w_inf) differ (a jump of the limit map). Bisection
along the arc between them converges to a watershed target where the limit map is
discontinuous; gradient flow does not learn it. If no jump is found, the sampled target
with the largest final loss is reported instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.experiments.base import Experiment, Result
from gflab.experiments.learnability.curve_fits import build_model, curve_points, fit_targets, w_range
from gflab.experiments.learnability.specs import SphereSpec
from gflab.measure.verdicts import verdict_fractions
from gflab.problems.curves import AbstractCurveModel
from gflab.results import VERDICT_NAMES

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def sphere_points(W: int, d: int, n_points: int) -> np.ndarray:
    """``n_points`` unit vectors on the W-sphere inside the first W+1 coordinates of R^d (W in {1, 2})."""
    points = np.zeros((n_points, d))
    if W == 1:
        theta = 2 * np.pi * np.arange(n_points) / n_points
        points[:, 0], points[:, 1] = np.cos(theta), np.sin(theta)
    else:  # Fibonacci lattice
        i = np.arange(n_points) + 0.5
        z = 1 - 2 * i / n_points
        phi = np.pi * (1 + 5**0.5) * i
        r = np.sqrt(1 - z**2)
        points[:, 0], points[:, 1], points[:, 2] = r * np.cos(phi), r * np.sin(phi), z
    return points


def neighbour_pairs(W: int, unit: np.ndarray) -> np.ndarray:
    """Index pairs of neighbouring sample points on the sphere."""
    n = len(unit)
    if W == 1:
        return np.stack([np.arange(n), (np.arange(n) + 1) % n], 1)
    from scipy.spatial import cKDTree

    _, nearest = cKDTree(unit).query(unit, k=7)
    pairs = {(min(i, j), max(i, j)) for i in range(n) for j in nearest[i, 1:]}
    return np.array(sorted(pairs))


class SphereObstruction(Experiment):
    name = "sphere-obstruction"
    spec_class = SphereSpec

    def run(self, spec: SphereSpec, *, progress: bool = False) -> Result:
        per_model: dict[str, Any] = {}
        rows = []
        figures = {}
        for name in spec.models:
            model = build_model(spec, name)
            found, frame, fig = self._one_model(model, name, spec, progress)
            per_model[name] = found
            rows.append(frame)
            figures[f"sphere_{name}"] = fig
        with_target = [m for m, f in per_model.items() if f["located_verdict"] != "learned"]
        metrics = {
            "d": spec.d,
            "models": per_model,
            "fraction_models_with_nonlearned_target": len(with_target) / len(per_model),
        }
        return Result(metrics=metrics, table=pd.concat(rows, ignore_index=True), figures=figures)

    def _one_model(
        self, model: AbstractCurveModel, name: str, spec: SphereSpec, progress: bool
    ) -> tuple[dict[str, Any], pd.DataFrame, Any]:
        W = model.W
        unit = sphere_points(W, spec.d, spec.n_points)
        centre = np.full(spec.d, spec.centre)
        traj = fit_targets(model, centre + spec.radius * unit, spec, progress=progress, label=f"{name}: sphere")
        limits = np.asarray(jax.vmap(model)(jnp.asarray(traj.final_params)))
        pairs = neighbour_pairs(W, unit)
        # A jump: neighbours whose limits differ far more than neighbours typically do.
        jump = np.linalg.norm(limits[pairs[:, 0]] - limits[pairs[:, 1]], axis=1)
        is_jump = jump > max(10 * float(np.median(jump)), 0.05 * spec.radius)
        jumps = pairs[is_jump][np.argsort(-jump[is_jump])][: spec.max_jumps]
        if len(jumps):
            located, loss, verdict, size = self._bisect(model, spec, centre, unit, limits, jumps)
            best = int(np.argmax(loss))
            found = {
                "method": "bisection on a jump of the limit map",
                "located_target": located[best].tolist(),
                "located_loss": float(loss[best]),
                "located_verdict": VERDICT_NAMES[verdict[best]],
                "jump_size": float(size[best]),
            }
        else:
            worst = int(np.argmax(traj.final_loss))
            found = {
                "method": "largest final loss on the sphere (no jump found)",
                "located_target": (centre + spec.radius * unit[worst]).tolist(),
                "located_loss": float(traj.final_loss[worst]),
                "located_verdict": VERDICT_NAMES[traj.verdict[worst]],
                "jump_size": 0.0,
            }
        found |= {"W": W, "n_jumps": len(jumps), "fractions": verdict_fractions(traj.verdict)}
        frame = pd.DataFrame(
            {"model": name, "point": np.arange(len(unit)), "final_loss": traj.final_loss, "verdict": traj.verdict_names}
        )
        for k in range(spec.d):
            frame[f"target_{k}"] = centre[k] + spec.radius * unit[:, k]
        return found, frame, _sphere_figure(model, name, spec, centre, unit, traj, limits, found)

    def _bisect(
        self,
        model: AbstractCurveModel,
        spec: SphereSpec,
        centre: np.ndarray,
        unit: np.ndarray,
        limits: np.ndarray,
        jumps: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Halve each arc, keeping the half whose ends have different limits."""
        a, b = unit[jumps[:, 0]].copy(), unit[jumps[:, 1]].copy()
        limit_a, limit_b = limits[jumps[:, 0]].copy(), limits[jumps[:, 1]].copy()
        for _ in range(spec.bisections):
            mid = a + b
            mid /= np.linalg.norm(mid, axis=1, keepdims=True)
            traj = fit_targets(model, centre + spec.radius * mid, spec)
            limit_mid = np.asarray(jax.vmap(model)(jnp.asarray(traj.final_params)))
            near_a = np.linalg.norm(limit_mid - limit_a, axis=1) <= np.linalg.norm(limit_mid - limit_b, axis=1)
            a = np.where(near_a[:, None], mid, a)
            limit_a = np.where(near_a[:, None], limit_mid, limit_a)
            b = np.where(near_a[:, None], b, mid)
            limit_b = np.where(near_a[:, None], limit_b, limit_mid)
        mid = a + b
        mid /= np.linalg.norm(mid, axis=1, keepdims=True)
        located = centre + spec.radius * mid
        traj = fit_targets(model, located, spec)
        return located, traj.final_loss, traj.verdict, np.linalg.norm(limit_a - limit_b, axis=1)


def _sphere_figure(
    model: AbstractCurveModel,
    name: str,
    spec: SphereSpec,
    centre: np.ndarray,
    unit: np.ndarray,
    traj: Any,
    limits: np.ndarray,
    found: dict[str, Any],
) -> Any:
    from gflab.plots import VERDICT_COLORS, figure

    fig, (ax, ax2) = figure(ncols=2)
    targets = centre + spec.radius * unit
    image = curve_points(model, w_range(np.asarray(traj.final_params), spec.w0))
    ax.plot(image[:, 0], image[:, 1], "-" if model.W == 1 else ".", color="0.8", lw=0.5, ms=0.5, label="image of Phi")
    colors = np.asarray(VERDICT_COLORS)[traj.verdict]
    ax.scatter(targets[:, 0], targets[:, 1], c=colors, s=6, label="targets on the sphere")
    ax.scatter(limits[:, 0], limits[:, 1], c="tab:blue", s=3, label="limits Phi(w_inf)")
    loc = np.asarray(found["located_target"])
    ax.plot(loc[0], loc[1], "k*", ms=12, label="located non-learned target")
    ax.set(aspect="equal", xlabel="x1", ylabel="x2", title=f"{name} (W={model.W}, d={spec.d})")
    ax.legend(fontsize=7, loc="lower left")
    ax2.semilogy(np.clip(traj.final_loss, 1e-20, None), ".", ms=3)
    ax2.axhline(spec.tol, color="k", ls="--", lw=1, label=f"tol = {spec.tol:g}")
    ax2.set(xlabel="sample index on the sphere", ylabel="final loss", title=f"{found['n_jumps']} jumps of the limit map refined")
    ax2.legend(fontsize=8)
    return fig
