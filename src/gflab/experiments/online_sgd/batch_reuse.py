"""Experiment ``batch-reuse``: spherical SGD that uses each fresh batch for two consecutive steps
against one-pass SGD at the same rate, on He_l targets (Dandi, Troiani, Arnaboldi, Pesce,
Zdeborova & Krzakala 2024, "The benefits of reusing batches for gradient descent in two-layer
networks: breaking the curse of information and leap exponents"; Arnaboldi, Dandi, Krzakala,
Pesce & Stephan 2024, "Repetita iuvant: data repetition allows SGD to learn high-dimensional
multi-index functions").

Setting (the papers'): batches of n_b = d fresh samples (spec: n_b = round(c d^mu)), a finite
step gamma on the batch-mean gradient (spec: gamma = eta n_b / d, gamma = eta at n_b = d).
Mechanism: the second step on a batch is taken at preactivations shifted by
gamma h_i |x_i|^2 / n_b ~ eta h_i, a non-linear function of each label, whose correlation with
nu is governed by the generative exponent (1 for he_3, 2 for he_4) instead of the information
exponent l: reusing learns in ~d log d samples (~ln d batches at n_b = d), one-pass SGD needs
~d^(l-1) samples (~d^(l-2) batches; its law in mu is measured by ``batch-size``).

Runs: the exact overlap chain (:mod:`gflab.problems.single_index_sgd`: a batch of any size used
twice reduces to O(n_b) work per draw), start m0 = overlap0 / sqrt(d), ``seeds`` runs per
(degree, d, reuse). Reuse runs stop at weak recovery |m| >= threshold; one-pass runs go to the
horizon H d ln d samples. Time is counted in samples, tau / (d ln d) (= batches / ln d at
n_b = d). Weak recovery is a d-independent overlap, 0.2 by default: above the random scale
d^(-1/2) <= 0.09 for d >= 128.

Collapse metric: with tau_d the median samples to weak recovery, the spread
max_d ln(tau_d / (d ln d)) - min_d ln(tau_d / (d ln d)). Threshold ln 2: over the span of d used
(a factor 4), a law tau ~ d^a (ln d)^b passes only when its exponent a lies within about 1/2 of 1
(ln 2 / ln 4 = 1/2): the laws d and d ln d pass, one-pass's d^(l-1) with l >= 3 (online SGD at
small rates) does not (a spread of at least ln(4 ln 512 / ln 2048) ~ 1.2 from d = 512 to 2048,
~1.1 from 128 to 512). At a fixed rate with n_b = d the signal-only escape of one-pass SGD from
m0 ~ d^(-1/2) takes ~d^((l-2)/2) / gamma batches, d^(l/2) samples: a spread of only
ln(2 ln 512 / ln 2048) ~ 0.49 for he_3, 1.2 for he_4 (derived here).

Medians not reached within the horizon: ``spread`` is then infinite (no upper bound: a collapse
claim, spread <= ln 2, fails), and ``spread_low`` enters each unreached median at the horizon, a
lower bound on the spread (0 when no median is reached: nothing is known), which is what a
claim that the curves do not collapse (spread > ln 2) may use.
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

MODES = {"reuse": 2, "one_pass": 1}  # name -> SGD steps per draw of a batch


def _runs(spec: BatchReuseSpec, reuse: int) -> ChainRuns:
    ds = np.repeat(np.asarray(spec.ds, float), spec.seeds)
    batch = np.repeat(np.asarray(spec.batches(), np.int64), spec.seeds)
    return ChainRuns(
        d=ds,
        gamma=spec.eta * batch / ds,
        batch=batch,
        m0=spec.overlap0 / np.sqrt(ds),
        t1=reuse * np.ceil(spec.horizon * ds * np.log(ds) / batch),
        square=np.full(len(ds), spec.loss == "square"),
    )


def spread(scaled: np.ndarray) -> float:
    """The collapse metric of the module doc on ``scaled`` (d, seeds), samples to weak recovery
    / (d ln d), inf where not reached: infinite when some d's median is not reached."""
    logs = np.log(np.median(scaled, axis=1))
    return float(np.max(logs) - np.min(logs)) if np.all(np.isfinite(logs)) else math.inf


def spread_low(scaled: np.ndarray, horizon: float) -> float:
    """A lower bound on :func:`spread`: unreached medians enter at the ``horizon`` (0 when none
    is reached)."""
    medians = np.median(scaled, axis=1)
    if not np.any(np.isfinite(medians)):
        return 0.0
    logs = np.log(np.minimum(medians, horizon))
    return float(np.max(logs) - np.min(logs))


class BatchReuse(Experiment):
    name = "batch-reuse"
    spec_class = BatchReuseSpec

    def run(self, spec: BatchReuseSpec, *, progress: bool = False) -> Result:
        grid = np.concatenate([[0.0], np.geomspace(spec.horizon / 400, spec.horizon, spec.save_points - 1)])  # samples / (d ln d)
        scale = np.repeat([d * math.log(d) / n for d, n in zip(spec.ds, spec.batches(), strict=True)], spec.seeds)  # draws
        draws = np.minimum(grid[None, :] * scale[:, None], np.ceil(spec.horizon * scale)[:, None])
        shape = (len(spec.ds), spec.seeds)
        metrics: dict[str, Any] = {
            "ds": spec.ds,
            "batches": spec.batches(),
            "gamma": [spec.eta * n / d for d, n in zip(spec.ds, spec.batches(), strict=True)],
        }
        curves: dict[tuple[int, str], np.ndarray] = {}
        times: dict[tuple[int, str], np.ndarray] = {}
        rows = []
        for degree in spec.degrees:
            out: dict[str, Any] = {}
            for mode, reuse in MODES.items():
                traj = run_chain(
                    _runs(spec, reuse),
                    degree=degree,
                    threshold=spec.threshold,
                    seed=spec.seed,
                    stream=reuse,
                    reuse=reuse,
                    ts=reuse * draws,
                    stop_at_recovery=reuse == 2,
                )
                hit = np.asarray(traj.final_params["hit"]).reshape(shape)
                scaled = np.where(hit == NOT_REACHED, np.inf, hit / reuse / scale.reshape(shape))
                times[(degree, mode)] = scaled
                curves[(degree, mode)] = np.abs(np.asarray(traj.observations["m"]).reshape(*shape, -1))
                medians = np.median(scaled, axis=1)
                out[mode] = {
                    "median": [float(t) if np.isfinite(t) else None for t in medians],
                    "reached": [float(np.mean(np.isfinite(t))) for t in scaled],
                    "spread": spread(scaled),
                    "spread_low": spread_low(scaled, spec.horizon),
                }
                rows += [
                    {"degree": degree, "mode": mode, "d": d, "seed": i, "samples_over_d_ln_d": float(t)}
                    for d, row in zip(spec.ds, scaled, strict=True)
                    for i, t in enumerate(row)
                ]
            metrics[f"he{degree}"] = out
        metrics["one_pass_min_spread"] = min(metrics[f"he{l}"]["one_pass"]["spread_low"] for l in spec.degrees)  # noqa: E741
        figures = {"overlaps": figure(spec, grid, curves, times)}
        return Result(metrics=metrics, table=pd.DataFrame(rows), figures=figures)


def figure(
    spec: BatchReuseSpec, grid: np.ndarray, curves: dict[tuple[int, str], np.ndarray], times: dict[tuple[int, str], np.ndarray]
) -> Any:
    """Per degree, against samples / (d ln d) (= batches / ln d at n_b = d), reuse solid and
    one-pass dashed, one colour per d: the mean |m| (reuse runs stop at weak recovery and hold
    their value; each state recorded at the first block of draws of the chain
    that reaches its time), and the fraction of runs that
    reached |m| >= threshold (exact crossing times; the claims compare its medians)."""
    from gflab.plots import figure as new_figure

    fig, axes = new_figure(ncols=2 * len(spec.degrees), width=5.0, height=4.0)
    axes = np.atleast_1d(axes)
    for k, degree in enumerate(spec.degrees):
        overlap_ax, reached_ax = axes[2 * k], axes[2 * k + 1]
        for i, d in enumerate(spec.ds):
            for mode, style in (("reuse", "-"), ("one_pass", "--")):
                label = f"{mode.replace('_', '-')}, d = {d}"
                overlap_ax.plot(grid[1:], curves[(degree, mode)][i].mean(0)[1:], style, color=f"C{i}", label=label)
                hits = np.sort(times[(degree, mode)][i])
                reached_ax.step(
                    np.concatenate([[spec.horizon / 400], hits[np.isfinite(hits)], [spec.horizon]]),
                    np.concatenate([[0.0], np.arange(1, np.isfinite(hits).sum() + 1) / len(hits), [np.isfinite(hits).mean()]]),
                    style, where="post", color=f"C{i}", label=label,
                )  # fmt: skip
        title = f"he{degree}, n_b = {_batch_law(spec)}, gamma = {spec.eta:g} n_b / d, {spec.loss} loss"
        overlap_ax.axhline(spec.threshold, color="grey", lw=0.8, ls=":")
        overlap_ax.set(xscale="log", xlabel="samples / (d ln d)", ylabel="mean |m|", title=title)
        reached_ax.axhline(0.5, color="grey", lw=0.8, ls=":")
        reached_ax.set(
            xscale="log",
            xlabel="samples / (d ln d)",
            ylabel=f"fraction with |m| >= {spec.threshold:g}",
            ylim=(0, 1.02),
            title=title,
        )
        overlap_ax.legend(fontsize=7)
    return fig


def _batch_law(spec: BatchReuseSpec) -> str:
    factor = "" if spec.batch_factor == 1 else f"{spec.batch_factor:g} "
    return f"{factor}d^{spec.batch_exponent:g}" if spec.batch_exponent != 1 else f"{factor}d"
