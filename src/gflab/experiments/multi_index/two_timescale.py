"""Experiment ``two-timescale``: the Grassmannian flow with the link learned infinitely fast.

Bietti, Bruna & Pillaud-Vivien 2023: with the link fitted infinitely fast the flow on the
subspace reaches the global minimum from random starts, through a sequence of saddles
(saddle-to-saddle dynamics), one index direction learned per plateau. From Haar-random
subspaces in each dimension d, the flow of L(M) = sum_l ||T_l||^2 - ||M^{(x) l} T_l||^2 runs
until the subspace distance falls below ``distance_tol`` (the global
minimum) or t1. Its loss curve shows one plateau per saddle; plateau j ends when the j-th
singular value of M reaches 1/2, and its escape time (from the end of the previous one) is
fitted against d: a power law for leading order l >= 2, a line in log d for l = 1, compared
with :mod:`gflab.theory.subspace`. The order check: when plateau j ends, the index direction
predicted for it has the largest overlap among those not yet learned (at the largest d).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.experiments.base import Experiment, Result
from gflab.experiments.multi_index.specs import TwoTimescaleSpec
from gflab.experiments.multi_index.subspace_common import SubspaceReached, final_overlaps, run_subspaces
from gflab.measure.fits import fit_statistic
from gflab.measure.timing import hitting_time
from gflab.measure.verdicts import proportion
from gflab.problems.subspace import overlaps as overlaps_observable
from gflab.problems.subspace import reduced_start, singular_values, subspace_distance
from gflab.simulation import Save, Stop, loss
from gflab.theory import subspace as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402


class TwoTimescale(Experiment):
    name = "two-timescale"
    spec_class = TwoTimescaleSpec

    def run(self, spec: TwoTimescaleSpec, *, progress: bool = False) -> Result:
        if spec.link not in theory.PLATEAUS:
            raise BadInput("link", f"no plateau prediction for {spec.link!r}; accepted: {', '.join(theory.PLATEAUS)}")
        if spec.d_values[0] < 2 * spec.r:
            raise BadInput("d_values", f"every d must be at least 2 r = {2 * spec.r}")
        plateaus = theory.PLATEAUS[spec.link]
        r, n_d = spec.r, len(spec.d_values)
        key = jax.random.key(spec.seed)
        y0 = np.concatenate([np.asarray(reduced_start(jax.random.fold_in(key, d), r, d, (spec.seeds,))) for d in spec.d_values])
        save = Save.logspace(1e-3, spec.t1, spec.save_points)
        save = Save(ts=save.ts, observables={"loss": loss, "singular_values": singular_values, "overlaps": overlaps_observable})
        traj = run_subspaces(
            spec, y0, planted=False, stop=Stop(event=SubspaceReached(spec.distance_tol)), t1=spec.t1,
            save=save, progress=progress, description=f"two-timescale ({spec.link})",
        )  # fmt: skip
        ts = np.asarray(save.ts)
        sv = traj.observations["singular_values"].reshape(n_d, spec.seeds, len(ts), r)
        overlaps = traj.observations["overlaps"].reshape(n_d, spec.seeds, len(ts), r, r)
        saved_ts = traj.saved_ts.reshape(n_d, spec.seeds, len(ts))
        distance = subspace_distance(final_overlaps(traj, r))
        reached = int(np.sum(distance < spec.distance_tol))
        ends = np.stack([hitting_time(saved_ts, sv[..., j], spec.level) for j in range(len(plateaus))])  # (P, n_d, seeds)
        durations = np.diff(np.concatenate([np.zeros((1,) + ends.shape[1:]), ends]), axis=0)
        metrics: dict[str, Any] = {
            "link": spec.link,
            "global": proportion(reached, distance.size),
            "plateaus": {},
        }
        d = np.asarray(spec.d_values, float)
        for j, plateau in enumerate(plateaus):
            samples = [t[np.isfinite(t)] for t in durations[j]]
            fitted = fit_statistic(d, samples, np.median, law=plateau.scaling, seed=spec.seed)
            fit = {"value": fitted.slope, "low": fitted.low, "high": fitted.high}
            # order at the largest d, where starting overlaps (~ d^-1/2) are far below the level
            in_order = _in_order(
                overlaps[-1:], ends[j][-1:], saved_ts[-1:], plateau.direction, [p.direction for p in plateaus[:j]]
            )
            metrics["plateaus"][str(j + 1)] = {
                "order": plateau.order,
                "scaling": "exponent of d" if plateau.scaling == "power" else "slope in log d",
                "predicted": plateau.predicted,
                "fit": fit,
                "error": abs(fit["value"] - plateau.predicted),
                "in_predicted_order": in_order,
                "median_escape": {str(int(di)): float(np.median(s)) for di, s in zip(d, samples, strict=True)},
            }
        metrics["max_error"] = max(p["error"] for p in metrics["plateaus"].values())
        metrics["min_in_predicted_order"] = min(p["in_predicted_order"] for p in metrics["plateaus"].values())
        table = pd.DataFrame(
            {
                "d": np.repeat(spec.d_values, spec.seeds),
                "seed": np.tile(np.arange(spec.seeds), n_d),
                "final_distance": distance,
                **{f"escape_{j + 1}": durations[j].ravel() for j in range(len(plateaus))},
            }
        )
        figures = {"plateaus": _figure(spec, ts, traj.observations["loss"].reshape(n_d, spec.seeds, -1), sv, durations, metrics)}
        return Result(metrics=metrics, table=table, figures=figures)


def _in_order(overlaps: np.ndarray, ends: np.ndarray, saved_ts: np.ndarray, direction: int, learned: list[int]) -> float:
    """Share of runs where, when the plateau ends, its predicted direction has the largest
    overlap |M e_j| with the student subspace among the directions not learned before.

    The overlaps are read at the first recorded state at or after the end (the last one when
    the plateau never ends); ``saved_ts`` (n_d, seeds, T) are the times of those states."""
    finite = np.isfinite(ends)
    index = np.argmax(saved_ts >= np.where(finite, ends, saved_ts[..., -1])[..., None], axis=-1)
    at_end = np.take_along_axis(overlaps, index[..., None, None, None], axis=2)[:, :, 0]
    column_norms = np.sqrt(np.sum(at_end**2, axis=-2))  # (n_d, seeds, r): |M e_j|
    candidates = [j for j in range(column_norms.shape[-1]) if j not in learned]
    best = np.asarray(candidates)[np.argmax(column_norms[..., candidates], axis=-1)]
    return float(np.mean(best[finite] == direction)) if finite.any() else float("nan")


def _figure(
    spec: TwoTimescaleSpec, ts: np.ndarray, loss: np.ndarray, sv: np.ndarray, durations: np.ndarray, metrics: dict[str, Any]
) -> Any:
    from gflab.plots import figure

    fig, (ax_loss, ax_sv, ax_fit) = figure(3, width=4.6, height=3.8)
    for s in range(min(6, spec.seeds)):
        ax_loss.plot(ts[1:], loss[-1, s, 1:], lw=1)
        for j in range(sv.shape[-1]):
            ax_sv.plot(ts[1:], sv[-1, s, 1:, j], lw=1, color=f"C{j}", alpha=0.7)
    ax_loss.set(xscale="log", yscale="log", xlabel="t", ylabel="loss", title=f"{spec.link}, d = {spec.d_values[-1]}")
    ax_sv.axhline(spec.level, color="grey", ls=":", lw=0.8)
    ax_sv.set(xscale="log", xlabel="t", ylabel="singular values of M", title="saddle to saddle")
    d = np.asarray(spec.d_values, float)
    for j, (name, p) in enumerate(metrics["plateaus"].items()):
        med = np.array([np.median(x[np.isfinite(x)]) for x in durations[j]])
        ax_fit.plot(
            d,
            med,
            "o-",
            color=f"C{j}",
            label=f"plateau {name}: {p['scaling']} {p['fit']['value']:.3f} (theory {p['predicted']:g})",
        )
    ax_fit.set(
        xscale="log", yscale="log" if any(p["scaling"] == "exponent of d" for p in metrics["plateaus"].values()) else "linear"
    )
    ax_fit.set(xlabel="d", ylabel="median escape time", title="escape time against d")
    ax_fit.legend(fontsize=7)
    return fig
