"""Experiment ``batch-reuse``: spherical SGD that uses each fresh sample for two consecutive steps
against one-pass SGD at the same rate, on He_l targets (Dandi, Troiani, Arnaboldi, Pesce,
Zdeborova & Krzakala 2024, "The benefits of reusing batches for gradient descent in two-layer
networks: breaking the curse of information and leap exponents"; Arnaboldi, Dandi, Krzakala,
Pesce & Stephan 2024, "Repetita iuvant: data repetition allows SGD to learn high-dimensional
multi-index functions").

Mechanism (the papers): the second step on x is taken at lambda_1 = lambda_0 - gamma h_0 |x|^2,
shifted by O(eta h_0) at gamma = eta / d, so its gradient is a non-linear function of the label,
whose correlation with nu is governed by the generative exponent (1 for he_3, 2 for he_4) instead
of the information exponent l: reusing learns in ~d log d samples, one-pass SGD needs ~d^(l-1)
(measured by ``batch-size`` at mu = 0). The papers reuse batches of n_b ~ d samples; here each
reused batch is one sample (the chain reduces a reused batch of any size exactly too, at O(n_b)
work per step: :mod:`gflab.problems.single_index_sgd`), whose gradient noise is
n_b times larger: its normalisation (gamma^2 d ~ eta^2 / d per step) enters at the same order 1/d
as the reuse drift, so this experiment tests whether the collapse survives that noise.

Runs: the exact overlap chain (:mod:`gflab.problems.single_index_sgd`, reuse = 2 in a 3-D frame),
start m0 = overlap0 / sqrt(d), rate gamma = eta / d for both, ``seeds`` runs per (degree, d). Reuse
runs stop at weak recovery |m| >= threshold; one-pass runs go to ``horizon`` d ln d steps.
Weak recovery is a d-independent overlap: at gamma = eta / d (eta = 1/4, correlation loss) the
reused dynamics of he_3 settles near |m| ~ 0.25, where its drift balances the normalisation of the
noise, so the default threshold is 0.2, above the random scale d^(-1/2) <= 0.09 for d >= 128
(but within reach of fluctuations at the smallest d).

Collapse metric: with tau_d the median steps to weak recovery, the spread
max_d ln(tau_d / (d ln d)) - min_d ln(tau_d / (d ln d)). Threshold ln 2: over the span of d used
(a factor 4), a law tau ~ d^a (ln d)^b passes only when its exponent a lies within about 1/2 of 1
(ln 2 / ln 4 = 1/2): the laws d and d ln d pass, one-pass's d^(l-1) with l >= 3 does not (a spread
of at least ln(4 / 1.3) ~ 1.1 from d = 128 to 512).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from gflab.experiments.base import Experiment, Result
from gflab.experiments.online_sgd.chain import ChainRuns, run_chain
from gflab.experiments.online_sgd.specs import BatchReuseSpec
from gflab.problems.single_index_sgd import NOT_REACHED


def _runs(spec: BatchReuseSpec) -> ChainRuns:
    ds = np.repeat(np.asarray(spec.ds, float), spec.seeds)
    return ChainRuns(
        d=ds,
        gamma=spec.eta / ds,
        batch=np.ones(len(ds), np.int64),
        m0=spec.overlap0 / np.sqrt(ds),
        t1=np.ceil(spec.horizon * ds * np.log(ds)),
        square=np.full(len(ds), spec.loss == "square"),
    )


def spread(times: np.ndarray, ds: list[int]) -> float:
    """max - min over d of ln(median tau_d / (d ln d)); inf when a median is not reached."""
    scaled = np.array([np.median(t) / (d * math.log(d)) for t, d in zip(times, ds, strict=True)])
    return float(np.ptp(np.log(scaled))) if np.all(np.isfinite(scaled)) else math.inf


class BatchReuse(Experiment):
    name = "batch-reuse"
    spec_class = BatchReuseSpec

    def run(self, spec: BatchReuseSpec, *, progress: bool = False) -> Result:
        grid = np.linspace(0.0, spec.horizon, spec.save_points)  # steps / (d ln d)
        scale = np.repeat([d * math.log(d) for d in spec.ds], spec.seeds)
        ts = np.minimum(grid[None, :] * scale[:, None], np.ceil(spec.horizon * scale)[:, None])
        metrics: dict[str, Any] = {"ds": spec.ds, "grid": grid.tolist()}
        curves: dict[tuple[int, int], np.ndarray] = {}
        rows = []
        for degree in spec.degrees:
            out: dict[str, Any] = {}
            for reuse in (2, 1):
                traj = run_chain(
                    _runs(spec),
                    degree=degree,
                    threshold=spec.threshold,
                    seed=spec.seed,
                    reuse=reuse,
                    ts=ts,
                    stop_at_recovery=reuse == 2,
                )
                hit = np.asarray(traj.final_params["hit"]).reshape(len(spec.ds), spec.seeds)
                hit = np.where(hit == NOT_REACHED, np.inf, hit)
                curves[(degree, reuse)] = np.asarray(traj.observations["m"]).reshape(len(spec.ds), spec.seeds, -1)
                key = "reuse" if reuse == 2 else "one_pass"
                out[key] = {
                    "median_scaled": [float(np.median(t) / (d * math.log(d))) for t, d in zip(hit, spec.ds, strict=True)],
                    "reached": [float(np.mean(np.isfinite(t))) for t in hit],
                    "spread": spread(hit, spec.ds),
                }
                rows += [
                    {"degree": degree, "reuse": reuse, "d": d, "seed": i, "steps": float(t)}
                    for d, row in zip(spec.ds, hit, strict=True)
                    for i, t in enumerate(row)
                ]
            metrics[f"he{degree}"] = out

        metrics["max_one_pass_reached"] = max(max(metrics[f"he{l}"]["one_pass"]["reached"]) for l in spec.degrees)  # noqa: E741
        return Result(metrics=metrics, table=pd.DataFrame(rows), figures={"overlaps": figure(spec, grid, curves)})


def figure(spec: BatchReuseSpec, grid: np.ndarray, curves: dict[tuple[int, int], np.ndarray]) -> Any:
    """Mean |m| against steps / (d ln d), one panel per degree: reuse (solid; runs stop at weak
    recovery and hold their value) and one-pass (dashed), one colour per d."""
    from gflab.plots import figure as new_figure

    fig, axes = new_figure(ncols=len(spec.degrees), width=5.0, height=4.0)
    axes = np.atleast_1d(axes)
    for ax, degree in zip(axes, spec.degrees, strict=True):
        for i, d in enumerate(spec.ds):
            ax.plot(grid, np.abs(curves[(degree, 2)][i]).mean(0), "-", color=f"C{i}", label=f"reuse, d = {d}")
            ax.plot(grid, np.abs(curves[(degree, 1)][i]).mean(0), "--", color=f"C{i}", label=f"one-pass, d = {d}")
        ax.axhline(spec.threshold, color="grey", lw=0.8, ls=":")
        ax.set(xlabel="steps / (d ln d)", ylabel="mean |m|", title=f"he{degree} target, gamma = {spec.eta:g}/d, {spec.loss} loss")
        ax.legend(fontsize=7)
    return fig
