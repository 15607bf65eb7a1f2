"""Experiment ``sgd-second-moment``: whether mini-batch SGD contracts E[theta^2] at one (eta, B).

One point of the (eta, B) phase diagram of the linear stability of SGD (Wu, Ma & E 2018):
``paths`` SGD runs on the 1-D quadratic family of :mod:`~gflab.experiments.stability.sgd_stability`
measure the growth rate log(mean theta_K^2) / K; E[theta^2] diverges (verdict ``diverged``)
when it is positive, which the theory places at eta > eta_c(B)
(:func:`gflab.theory.stability.sgd_critical_step`). ``gflab sweep
examples/sweeps/sgd_stability.toml`` draws the growth rate over (eta, B) with eta_c(B).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab.experiments.base import Experiment, Result
from gflab.experiments.stability.sgd_stability import curvatures, growth_rates
from gflab.experiments.stability.specs import SGDSecondMomentSpec
from gflab.theory import stability as theory


class SGDSecondMoment(Experiment):
    name = "sgd-second-moment"
    spec_class = SGDSecondMomentSpec

    def run(self, spec: SGDSecondMomentSpec, *, progress: bool = False) -> Result:
        a = curvatures(spec)
        growth = float(growth_rates(spec, a, spec.batch_size, spec.scheme, np.array([spec.eta]))[0])
        critical = theory.sgd_critical_step(a, spec.batch_size, spec.scheme)
        metrics: dict[str, Any] = {
            "growth_rate": growth,
            "critical_step": critical,
            "verdict": "diverged" if growth > 0 else "converged",
            "predicted_verdict": "diverged" if spec.eta > critical else "converged",
        }
        table = pd.DataFrame({"eta": [spec.eta], "B": [spec.batch_size], "growth_rate": [growth], "critical_step": [critical]})
        return Result(metrics=metrics, table=table, figures={"growth": _figure(spec, growth, critical)})

    def phase_boundary(self, x: str, y: str, params: dict[str, Any]) -> tuple[Any, Any] | None:
        """eta_c(B) in the (eta, B) plane (either orientation)."""
        if {x, y} != {"eta", "batch_size"}:
            return None
        spec = SGDSecondMomentSpec(**params)
        a = curvatures(spec)
        bs = [b for b in range(1, spec.n_samples + 1) if spec.scheme != "reshuffling" or spec.n_samples % b == 0]
        etas = np.array([theory.sgd_critical_step(a, b, spec.scheme) for b in bs])
        return (etas, np.array(bs)) if x == "eta" else (np.array(bs), etas)


def _figure(spec: SGDSecondMomentSpec, growth: float, critical: float) -> Any:
    from gflab.plots import figure

    fig, ax = figure(width=5.0, height=3.6)
    ax.axvline(critical, color="k", ls="--", lw=1, label=f"eta_c(B = {spec.batch_size}) = {critical:.3f}")
    ax.plot([spec.eta], [growth], "o", color="C3" if growth > 0 else "C2", ms=8, label="measured growth rate")
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set(xlabel="eta", ylabel="log(mean theta_K^2) / K", title=f"SGD second moment ({spec.scheme})")
    ax.legend(fontsize=8)
    return fig
