"""Experiment ``index-recovery``: the fraction of k index vectors that a network recovers, at one beta.

Simsek, Bendjeddou & Hsu 2024: index vectors v_1..v_k with v_i . v_j = beta, neurons on the
sphere under the population correlation loss. Below the threshold beta_c (c / (c + k) for
phi = t^p, c = p - 2; :func:`gflab.theory.multi_index.beta_critical` in general) networks
from random starts recover the index vectors; above it the average point w_bar is a minimum
and attracts the neurons. One point of the (k, beta) phase diagram: ``gflab sweep
examples/sweeps/index_recovery.toml`` draws the recovered fraction over (k, beta) with beta_c(k).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab.experiments.base import Experiment, Result
from gflab.experiments.multi_index.beta_threshold import coverage_neurons, recovered_fractions
from gflab.experiments.multi_index.specs import IndexRecoverySpec
from gflab.experiments.multi_index.sphere_common import phi_of
from gflab.theory import multi_index as theory


class IndexRecovery(Experiment):
    name = "index-recovery"
    spec_class = IndexRecoverySpec

    def run(self, spec: IndexRecoverySpec, *, progress: bool = False) -> Result:
        neurons = spec.neurons or coverage_neurons(spec, spec.k)
        fraction = recovered_fractions(
            spec, spec.k, np.array([spec.beta]), d=spec.d, networks=spec.networks, neurons=neurons,
            progress=progress, label=f"recovery (k={spec.k}, beta={spec.beta:g})",
        )[0]  # fmt: skip
        beta_c = theory.beta_critical(phi_of(spec), spec.k)
        metrics: dict[str, Any] = {"recovered_fraction": float(fraction), "beta_critical": beta_c, "neurons": neurons}
        table = pd.DataFrame({"k": [spec.k], "beta": [spec.beta], "recovered_fraction": [fraction], "beta_critical": [beta_c]})
        return Result(metrics=metrics, table=table, figures={"recovery": _figure(spec, float(fraction), beta_c)})

    def phase_boundary(self, x: str, y: str, params: dict[str, Any]) -> tuple[Any, Any] | None:
        """beta_c(k) in the (k, beta) plane (either orientation)."""
        if {x, y} != {"k", "beta"}:
            return None
        phi = phi_of(IndexRecoverySpec(**params))
        ks = np.arange(2, 65)
        betas = np.array([theory.beta_critical(phi, int(k)) for k in ks])
        return (ks, betas) if x == "k" else (betas, ks)


def _figure(spec: IndexRecoverySpec, fraction: float, beta_c: float) -> Any:
    from gflab.plots import figure

    fig, ax = figure(width=5.0, height=3.6)
    ax.bar(["recovered", "not recovered"], [fraction, 1 - fraction], color=["C2", "C3"])
    ax.set(ylim=(0, 1), ylabel="fraction of index vectors")
    side = "below" if spec.beta < beta_c else "above"
    ax.set_title(f"k = {spec.k}, beta = {spec.beta:g} ({side} beta_c = {beta_c:.3f})", fontsize=10)
    return fig
