"""Experiment ``spectral-algorithms``: KRR and stopped gradient flow on kernel regression against deterministic equivalents.

Velikanov, Panov & Yarotsky 2024, "Generalization error of spectral algorithms". Gaussian
features with lambda_k = k^(-nu) (P = modes_ratio n modes), noiseless targets with lambda_k
theta*_k^2 = k^(-kappa - 1) (:mod:`gflab.problems.kernel_regression`). For every n of ``ns`` and
each of ``seeds`` samples, the population errors of

- gradient flow on the empirical square loss from 0, stopped at t: the linear flow solved exactly
  in the eigenbasis of the kernel matrix (checked against the adaptive flow of
  :func:`gflab.simulate` in the tests);
- KRR at ridge r (r = 0: the minimum-norm interpolant, the flow's limit t -> infinity);

at the best t and the best r of log-spaced grids. The errors (means over the samples) give the
exponents in n (least-squares slope of log error on log n), against the paper's n^(-kappa) (GD) and
n^(-min(kappa, 2 nu)) (KRR). At the largest n the errors at ``de_times`` and ``de_ridges`` are
compared with the deterministic equivalents of :mod:`gflab.theory.spectral_algorithms`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab.experiments.base import Experiment, Result
from gflab.experiments.factorised.specs import SpectralAlgorithmsSpec
from gflab.plots import figure
from gflab.problems.kernel_regression import KernelSample
from gflab.theory import spectral_algorithms as theory


def kappa_key(kappa: float) -> str:
    """The metrics key of a source exponent: kappa = 1.5 -> 'kappa_1p5'."""
    return f"kappa_{kappa:g}".replace(".", "p")


class SpectralAlgorithms(Experiment):
    name = "spectral-algorithms"
    spec_class = SpectralAlgorithmsSpec

    def run(self, spec: SpectralAlgorithmsSpec, *, progress: bool = False) -> Result:
        t_grid = np.geomspace(1.0, 1e9, spec.grid)
        r_grid = np.concatenate([[0.0], np.geomspace(1e-12, 1.0, spec.grid)])
        de_times, de_ridges = np.asarray(spec.de_times), np.asarray(spec.de_ridges)
        best_gd = np.zeros((len(spec.kappas), len(spec.ns), spec.seeds))
        best_krr = np.zeros_like(best_gd)
        curve_gd = np.zeros((spec.seeds, spec.grid))  # at the largest n, kappa = de_kappa
        check_gd = np.zeros((spec.seeds, len(de_times)))
        check_krr = np.zeros((spec.seeds, len(de_ridges)))
        j_de = spec.kappas.index(spec.de_kappa)
        rows = []
        for i, n in enumerate(spec.ns):
            modes = spec.modes_ratio * n
            for k in range(spec.seeds):
                sample = KernelSample.draw(n, theory.power_law(spec.nu, 1.0, modes)[0], spec.seed + 1000 * i + k)
                gd_filters, krr_filters = sample.gradient_flow_filters(t_grid), sample.ridge_filters(r_grid)
                for j, kappa in enumerate(spec.kappas):
                    theta = np.sqrt(theory.power_law(spec.nu, kappa, modes)[1])
                    gd, krr = sample.errors(theta, gd_filters), sample.errors(theta, krr_filters)
                    best_gd[j, i, k], best_krr[j, i, k] = gd.min(), krr.min()
                    rows.append({"n": n, "seed": k, "kappa": kappa, "best_gd": gd.min(), "best_krr": krr.min(),
                                 "best_t": t_grid[gd.argmin()], "best_ridge": r_grid[krr.argmin()]})  # fmt: skip
                    if i == len(spec.ns) - 1 and j == j_de:
                        curve_gd[k] = gd
                        check_gd[k] = sample.errors(theta, sample.gradient_flow_filters(de_times))
                        check_krr[k] = sample.errors(theta, sample.ridge_filters(de_ridges))
        n_max = spec.ns[-1]
        spectrum, target = theory.power_law(spec.nu, spec.de_kappa, spec.modes_ratio * n_max)
        de_gd = np.array([theory.gd_error(n_max, t, spectrum, target)[0] for t in de_times])
        de_krr = theory.krr_error(n_max, de_ridges, spectrum, target)
        gd_error = np.abs(check_gd.mean(axis=0) / de_gd - 1.0)
        krr_error = np.abs(check_krr.mean(axis=0) / de_krr - 1.0)

        log_n = np.log(spec.ns)
        exponents: dict[str, Any] = {}
        for j, kappa in enumerate(spec.kappas):
            exponents[kappa_key(kappa)] = {
                "kappa": kappa,
                "gd": float(np.polyfit(log_n, np.log(best_gd[j].mean(axis=1)), 1)[0]),
                "krr": float(np.polyfit(log_n, np.log(best_krr[j].mean(axis=1)), 1)[0]),
                "predicted_gd": -kappa,
                "predicted_krr": -min(kappa, 2 * spec.nu),
                "gd_over_krr_at_largest_n": float(best_gd[j, -1].mean() / best_krr[j, -1].mean()),
            }
        metrics: dict[str, Any] = {
            "exponents": exponents,
            "deterministic_equivalent": {
                "n": n_max,
                "kappa": spec.de_kappa,
                "gd": {"times": list(spec.de_times), "measured": check_gd.mean(axis=0).tolist(), "predicted": de_gd.tolist()},
                "krr": {
                    "ridges": list(spec.de_ridges),
                    "measured": check_krr.mean(axis=0).tolist(),
                    "predicted": de_krr.tolist(),
                },
                "gd_max_relative_error": float(gd_error.max()),
                "krr_max_relative_error": float(krr_error.max()),
            },
        }
        figures = {
            "rates": _rates_figure(spec, best_gd, best_krr),
            "deterministic_equivalent": _de_figure(
                spec, t_grid, curve_gd, de_times, de_gd, check_gd, de_ridges, de_krr, check_krr
            ),
        }
        return Result(metrics=metrics, table=pd.DataFrame(rows), figures=figures)


def _rates_figure(spec: SpectralAlgorithmsSpec, best_gd: np.ndarray, best_krr: np.ndarray) -> Any:
    fig, axes = figure(len(spec.kappas))
    axes = np.atleast_1d(axes)
    ns = np.asarray(spec.ns, dtype=float)
    for j, (ax, kappa) in enumerate(zip(axes, spec.kappas, strict=True)):
        gd, krr = best_gd[j].mean(axis=1), best_krr[j].mean(axis=1)
        ax.plot(ns, gd, "o", color="C0", label="GD, best stopping time")
        ax.plot(ns, krr, "s", mfc="none", color="C1", label="KRR, best ridge")
        ax.plot(ns, gd[0] * (ns / ns[0]) ** -kappa, "C0--", lw=1, label=f"n^-{kappa:g} (GD, paper)")
        saturated = min(kappa, 2 * spec.nu)
        ax.plot(ns, krr[0] * (ns / ns[0]) ** -saturated, "C1:", lw=1, label=f"n^-{saturated:g} (KRR, paper)")
        interpolant = [
            theory.krr_error(n, np.zeros(1), *theory.power_law(spec.nu, kappa, spec.modes_ratio * n))[0] for n in spec.ns
        ]
        ax.plot(ns, interpolant, "k-", lw=0.8, label="deterministic equivalent, r = 0")
        ax.set(xscale="log", yscale="log", xlabel="n", ylabel="population error", title=f"nu = {spec.nu:g}, kappa = {kappa:g}")
        ax.set_xticks(ns, [f"{n:g}" for n in ns], minor=False)
        ax.set_xticks([], minor=True)
        ax.legend(fontsize=8)
    return fig


def _de_figure(
    spec: SpectralAlgorithmsSpec,
    t_grid: np.ndarray,
    curve_gd: np.ndarray,
    de_times: np.ndarray,
    de_gd: np.ndarray,
    check_gd: np.ndarray,
    de_ridges: np.ndarray,
    de_krr: np.ndarray,
    check_krr: np.ndarray,
) -> Any:
    fig, (ax, ax_krr) = figure(2)
    ax.plot(t_grid, curve_gd.mean(axis=0), "C0-", lw=1, label="simulated (mean of samples)")
    ax.plot(de_times, check_gd.mean(axis=0), "o", color="C0", ms=4)
    ax.plot(de_times, de_gd, "kx", ms=8, label="deterministic equivalent (contour)")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="t",
        ylabel="population error",
        title=f"gradient flow, n = {spec.ns[-1]}, kappa = {spec.de_kappa:g}",
    )
    ax.legend(fontsize=8)
    ridges = np.where(de_ridges > 0, de_ridges, np.min(de_ridges[de_ridges > 0], initial=1.0) * 1e-2)
    ax_krr.plot(ridges, check_krr.mean(axis=0), "o", color="C1", label="simulated (r = 0 drawn at the left)")
    ax_krr.plot(ridges, de_krr, "kx", ms=8, label="deterministic equivalent")
    ax_krr.set(xscale="log", yscale="log", xlabel="ridge r", ylabel="population error", title="KRR")
    ax_krr.legend(fontsize=8)
    return fig
