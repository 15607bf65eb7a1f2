"""Experiment ``batch-size``: steps to weak recovery of spherical online SGD on a He_l target
against the batch size n_b = d^mu (Arnaboldi, Dandi, Krzakala, Loureiro, Pesce & Stephan 2024).

Student and teacher he_l (information exponent l), start overlap m0 = overlap0 / sqrt(d) (the
scale of a random start), rate gamma = kappa n_b / (l d^(l/2)), held at kappa / l <= 1/(2l) from
n_b = d^(l/2) on for the square loss (:mod:`gflab.theory.batch_size`: its autocorrelation term
multiplies w by 1 - l gamma per step, so its rate must stay O(1)). The square loss's gradient
noise is large (E[h^2] = 96 for he_3 at m = 0, against 3 for the correlation loss): the
normalisation of the noise beats the signal below m sqrt(d) ~ kappa E[h^2] / (2 l^2) (derived
here), 1.3 at kappa = 1/4, so its runs start in a noise-driven phase that the asymptotic law
only reaches at larger d.

Prediction: the steps T to |m| >= threshold (a d-independent overlap: past it the signal
l m^(l-1) is O(1) and the remaining steps are O(1 / gamma), a lower order) grow like d^a with

    a = l - 1 - mu           for mu <= l/2 (both losses: the sample count n_b T ~ d^(l-1) is fixed),
    a = (l - 2) / 2          for mu > l/2, square loss (the paper: larger batches stop helping),
    a = l - 1 - mu           up to mu = l - 1 for the correlation loss (derived here: the cap moves
                             from d^(l/2) to d^(l-1), where one step moves w by O(1)).

Measured on the SGD dynamics: each run is the exact finite-d chain of the overlap
(:class:`gflab.problems.single_index_sgd.ReducedSphericalSGD`, equal in law to the d-dimensional
SGD: tested against :class:`gflab.problems.committee.OnlineCommittee`), ``seeds`` runs per
(loss, mu, d), one vmapped ensemble per (mu, d) (every loss; one compilation per batch regime),
each stopped at weak recovery (its crossing step interpolated between steps) or at ``horizon``
times the signal-only estimate of its steps. The exponent is the least-squares slope of
log median T against log d, with a bootstrap interval over runs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from gflab.experiments.base import Experiment, Result
from gflab.experiments.online_sgd.chain import SMALL_BATCH, ChainRuns, run_chain
from gflab.experiments.online_sgd.specs import BatchSizeSpec
from gflab.measure.fits import fit_statistic
from gflab.problems.single_index_sgd import NOT_REACHED
from gflab.theory.batch_size import predicted_steps, step_size, time_exponent


def _runs(spec: BatchSizeSpec, loss: str, mu: float, d: int) -> ChainRuns:
    """``seeds`` runs at dimension d, batch n_b = round(d^mu)."""
    batch = max(round(d**mu), 1)
    gamma = float(step_size(spec.degree, np.asarray(d, float), np.asarray(batch), spec.kappa, loss))  # type: ignore[arg-type]
    horizon = spec.horizon * float(predicted_steps(spec.degree, np.asarray(d, float), np.asarray(batch), spec.kappa, loss))  # type: ignore[arg-type]
    full = lambda value: np.full(spec.seeds, value)  # noqa: E731
    return ChainRuns(
        d=full(float(d)),
        gamma=full(gamma),
        batch=full(batch).astype(np.int64),
        m0=full(spec.overlap0 / math.sqrt(d)),
        t1=full(math.ceil(horizon)),
        square=full(loss == "square"),
    )


class BatchSize(Experiment):
    name = "batch-size"
    spec_class = BatchSizeSpec

    def run(self, spec: BatchSizeSpec, *, progress: bool = False) -> Result:
        hits: dict[tuple[str, float], np.ndarray] = {}
        small = [mu for mu in spec.mus if round(max(spec.ds) ** mu) <= SMALL_BATCH]
        for group in (small, [mu for mu in spec.mus if mu not in small]):  # one compiled chain per regime
            largest = max((round(max(spec.ds) ** mu) for mu in group), default=1)
            for mu in group:
                for j, d in enumerate(spec.ds):
                    # one ensemble per batch size (every loss): a run pays for its own batch, not the
                    # largest; the ensembles share their shapes, so the chain compiles once per regime
                    traj = run_chain(
                        ChainRuns.concatenate([_runs(spec, loss, mu, d) for loss in spec.losses]),
                        degree=spec.degree,
                        threshold=spec.threshold,
                        seed=spec.seed,
                        stream=len(spec.ds) * spec.mus.index(mu) + j,
                        max_batch=largest,
                    )
                    hit = np.asarray(traj.final_params["hit"]).reshape(len(spec.losses), spec.seeds)
                    for loss, h in zip(spec.losses, hit, strict=True):
                        row = hits.setdefault((loss, mu), np.zeros((len(spec.ds), spec.seeds)))
                        row[j] = np.where(h == NOT_REACHED, np.inf, h)
        metrics: dict[str, Any] = {"ds": spec.ds, "mus": spec.mus}
        rows = []
        for loss in spec.losses:
            per_mu: dict[str, dict[str, Any]] = {}
            for mu in spec.mus:
                h = hits[(loss, mu)]
                predicted = time_exponent(spec.degree, mu, loss)  # type: ignore[arg-type]
                reached = float(np.mean(np.isfinite(h)))
                try:
                    fit = fit_statistic(spec.ds, list(h), np.median, seed=spec.seed)
                    slope, interval = fit.slope, [fit.low, fit.high]
                except ValueError:  # a median beyond the horizon: no exponent
                    slope, interval = math.nan, [math.nan, math.nan]
                per_mu[f"{mu:g}"] = {
                    "exponent": slope,
                    "interval": interval,
                    "predicted": predicted,
                    "error": abs(slope - predicted),
                    "median_steps": [float(np.median(x)) for x in h],
                    "reached": reached,
                }
                rows += [
                    {"loss": loss, "mu": mu, "d": d, "seed": i, "steps": float(t)}
                    for d, row in zip(spec.ds, h, strict=True)
                    for i, t in enumerate(row)
                ]
            errors = [float(v["error"]) for v in per_mu.values()]
            metrics[loss] = {
                "by_mu": per_mu,
                "max_exponent_error": float(max(errors)) if not any(math.isnan(e) for e in errors) else math.inf,
            }
        return Result(metrics=metrics, table=pd.DataFrame(rows), figures={"batch-size": figure(spec, metrics)})


def figure(spec: BatchSizeSpec, metrics: dict[str, Any]) -> Any:
    """Median steps to weak recovery against d, one panel per loss: measurements (points, with
    the fitted exponent) and the predicted power laws (dashed, through the largest d)."""
    from gflab.plots import figure as new_figure

    fig, axes = new_figure(ncols=len(spec.losses), width=5.0, height=4.0)
    axes = np.atleast_1d(axes)
    ds = np.asarray(spec.ds, float)
    for ax, loss in zip(axes, spec.losses, strict=True):
        for i, mu in enumerate(spec.mus):
            cell = metrics[loss]["by_mu"][f"{mu:g}"]
            med = np.asarray(cell["median_steps"])
            ax.loglog(
                ds, med, "o", color=f"C{i}", label=f"mu = {mu:g}: slope {cell['exponent']:.2f} (pred. {cell['predicted']:.2f})"
            )
            if np.isfinite(med[-1]):
                ax.loglog(ds, med[-1] * (ds / ds[-1]) ** cell["predicted"], "--", color=f"C{i}", lw=1)
        ax.set(xlabel="d", ylabel=f"median steps to |m| >= {spec.threshold:g}")
        ax.set_title(f"he{spec.degree}, {loss} loss, n_b = d^mu (dashed: prediction)", fontsize=9)
        ax.legend(fontsize=7)
    return fig
