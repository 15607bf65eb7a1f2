"""Experiment ``planted``: the link known and fixed, against the two-timescale flow.

Bietti, Bruna & Pillaud-Vivien 2023 (planted problem): with the link known and fixed the loss
on the Stiefel manifold has spurious critical points, which the two-timescale flow (link
refitted along the way) does not see. The planted loss
E[(g(W^T x) - g(V^T x))^2] = 2 sum_l (||T_l||^2 - <T_l, M^{(x) l} T_l>) lives on the Stiefel
manifold (W's rows are ordered: the link is fixed, so a permuted or sign-flipped subspace is
not a solution). From Haar-random starts, each run goes to ``t1_planted`` unless it reaches
loss below ``tol``; a run that ends with loss >= tol and |grad| < gtol sits at a non-global
critical point (trapped). From the same starts the two-timescale flow on the same target (the
link refitted infinitely fast) is run until the subspace distance falls below ``distance_tol``.

Default link staircase, g = z1 + z1 z2: planted loss 2 (2 - M11 - M11 M22 - M12 M21). On the
reflections M = [[cos t, sin t], [sin t, -cos t]] (det M = -1, the component of O(2) that the
identity is not in) the bracket is cos t - cos 2t, largest at cos t = 1/4 with value 9/8:
planted loss 7/4 at a spurious local minimum, reached from a positive fraction of starts.
The two-timescale flow on the same target only sees the subspace and has no such trap.
Link he3-pair, g = h_3(z1) + h_3(z2)/2, traps most starts (swapped rows, loss 1/2; rows at the
degenerate critical point M_i = 0, which odd links reach from negative overlaps), but its
two-timescale plateaus last ~ d^2 / c with c = 1/4 and need t1 far beyond 10^6 at d = 32.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.experiments.base import Experiment, Result
from gflab.experiments.multi_index.specs import PlantedSpec
from gflab.experiments.multi_index.subspace_common import SubspaceReached, final_overlaps, run_subspaces
from gflab.measure.verdicts import classify, proportion, verdict_fractions
from gflab.problems.subspace import reduced_start, subspace_distance
from gflab.results import VERDICT_NAMES, Verdict
from gflab.simulation import Stop

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402


class Planted(Experiment):
    name = "planted"
    spec_class = PlantedSpec

    def run(self, spec: PlantedSpec, *, progress: bool = False) -> Result:
        r = spec.r
        y0 = np.asarray(reduced_start(jax.random.key(spec.seed), r, spec.d, (spec.seeds,)))
        planted = run_subspaces(
            spec, y0, planted=True, stop=Stop(tol=spec.tol), t1=spec.t1_planted, progress=progress, description="planted"
        )
        # judged at the stop: a |grad| rule that stopped runs early would also stop slow plateaus
        verdict = classify(planted.final_loss, planted.final_grad_norm, planted.reason, tol=spec.tol, gtol=spec.gtol)
        two = run_subspaces(
            spec, y0, planted=False, stop=Stop(event=SubspaceReached(spec.distance_tol)), t1=spec.t1,
            progress=progress, description="two-timescale",
        )  # fmt: skip
        distance = subspace_distance(final_overlaps(two, r))
        reached = int(np.sum(distance < spec.distance_tol))
        trapped_losses = np.round(planted.final_loss[verdict == Verdict.TRAPPED], 3)
        values, counts = np.unique(trapped_losses, return_counts=True)
        metrics: dict[str, Any] = {
            "link": spec.link,
            "planted": verdict_fractions(verdict),
            "trapped_loss_values": {f"{v:g}": int(c) for v, c in zip(values, counts, strict=True)},
            "two_timescale_global": proportion(reached, spec.seeds),
        }
        m_planted = final_overlaps(planted, r)
        table = pd.DataFrame(
            {
                "seed": np.arange(spec.seeds),
                "planted_loss": planted.final_loss,
                "planted_grad_norm": planted.final_grad_norm,
                "planted_verdict": np.asarray(VERDICT_NAMES)[verdict],
                "two_timescale_distance": distance,
                "two_timescale_time": two.t_final,
                **{f"planted_M{i}{j}": m_planted[:, i, j] for i in range(r) for j in range(r)},
            }
        )
        return Result(metrics=metrics, table=table, figures={"final_losses": _figure(spec, planted.final_loss, distance)})


def _figure(spec: PlantedSpec, planted_loss: np.ndarray, distance: np.ndarray) -> Any:
    from gflab.plots import figure

    fig, (ax, ax2) = figure(2, width=4.8, height=3.8)
    ax.hist(np.log10(np.maximum(planted_loss, 1e-16)), bins=40, color="C3")
    ax.set(xlabel="log10 final planted loss", ylabel="runs", title=f"planted ({spec.link}, d = {spec.d})")
    ax2.hist(np.log10(np.maximum(distance, 1e-16)), bins=40, color="C2")
    ax2.axvline(np.log10(spec.distance_tol), color="grey", ls=":")
    ax2.set(xlabel="log10 final subspace distance", ylabel="runs", title="two-timescale, same starts")
    return fig
