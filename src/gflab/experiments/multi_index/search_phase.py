"""Experiment ``search-phase``: how long a neuron searches before it finds a direction.

Simsek, Bendjeddou & Hsu 2024 (search phase): with information exponent p* (the lowest
Hermite degree of phi, after Ben Arous, Gheissari & Jagannath 2021) the time for a neuron to
leave its uniform start on S^{d-1} and reach a macroscopic overlap grows like d^((p*-2)/2)
(log d for p* = 2): the overlap starts at ~ d^(-1/2) and obeys dm/dt ~ m^(p*-1).

For each d, ``seeds`` neurons start uniform on S^{d-1} and follow the spherical gradient flow
of the correlation loss until the best overlap max_j m_j (|m_j| for even phi) reaches
``overlap`` (a stop event); the search time is that crossing, interpolated between the last
save and the stop. The exponent a of median time ~ d^a is fitted in log-log (bootstrap 95%
interval over seeds) and compared with (p* - 2) / 2.

``flow=reduced`` (default) integrates each neuron in its exact (k + 1)-dimensional coordinates;
``flow=full`` integrates the d-dimensional flow (one ensemble per d), as the cross-check.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.experiments.base import Experiment, Result
from gflab.experiments.multi_index.specs import SearchPhaseSpec
from gflab.experiments.multi_index.sphere_common import (
    OverlapReached,
    information_exponent_of,
    parity_of,
    run_neurons,
    signed_overlaps,
)
from gflab.measure.fits import fit_statistic
from gflab.measure.timing import hitting_time
from gflab.measure.verdicts import proportion
from gflab.problems.multi_index import full_start, index_vectors, sphere_start
from gflab.problems.multi_index import overlaps as overlaps_observable
from gflab.simulation import Save, Stop
from gflab.theory import multi_index as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402


class SearchPhase(Experiment):
    name = "search-phase"
    spec_class = SearchPhaseSpec

    def run(self, spec: SearchPhaseSpec, *, progress: bool = False) -> Result:
        if spec.d_values[0] <= spec.k:
            raise BadInput("d_values", f"every d must exceed k = {spec.k}")
        p_star = information_exponent_of(spec)
        phi_parity = parity_of(spec)
        index = index_vectors(spec.k)
        save = Save.logspace(1e-3, spec.t1, spec.save_points)
        save = Save(ts=save.ts, observables={"overlaps": overlaps_observable})
        # Stop at the overlap, never on |grad|: at d^(-1/2) overlaps the gradient starts tiny.
        stop = Stop(event=OverlapReached(spec.overlap, phi_parity == "even"))
        key = jax.random.key(spec.seed)
        n_d = len(spec.d_values)
        if spec.flow == "reduced":
            y0 = np.concatenate(
                [np.asarray(sphere_start(jax.random.fold_in(key, d), d, spec.k, (spec.seeds,))) for d in spec.d_values]
            )
            traj = run_neurons(spec, index, y0, save=save, stop=stop, progress=progress, description="search phase")
            overlaps = traj.observations["overlaps"].reshape(n_d, spec.seeds, len(save.ts), spec.k)
            saved_ts = traj.saved_ts.reshape(n_d, spec.seeds, len(save.ts))
        else:
            parts = [
                run_neurons(
                    spec, index, np.asarray(full_start(jax.random.fold_in(key, d), d, (spec.seeds,))),
                    save=save, stop=stop, progress=progress, description=f"search phase d={d}",
                )
                for d in spec.d_values
            ]  # fmt: skip
            overlaps = np.stack([part.observations["overlaps"] for part in parts])
            saved_ts = np.stack([part.saved_ts for part in parts])
        best = signed_overlaps(overlaps, phi_parity).max(axis=-1)  # (n_d, seeds, T)
        times = hitting_time(saved_ts, best, spec.overlap)
        hit = np.isfinite(times)
        predicted = theory.search_exponent(p_star)
        fit = fit_statistic(spec.d_values, [t[np.isfinite(t)] for t in times], np.median, seed=spec.seed)
        metrics: dict[str, Any] = {
            "information_exponent": p_star,
            "phi_parity": phi_parity,
            "predicted_exponent": predicted,
            "exponent": {"value": fit.slope, "low": fit.low, "high": fit.high},
            "exponent_error": abs(fit.slope - predicted),
            "median_time": {str(d): float(np.median(t[np.isfinite(t)])) for d, t in zip(spec.d_values, times, strict=True)},
            "found_fraction": proportion(int(hit.sum()), hit.size),
            "found_fraction_predicted": 1.0 - theory.none_probability(spec.k, phi_parity),
        }
        table = pd.DataFrame(
            {
                "d": np.repeat(spec.d_values, spec.seeds),
                "seed": np.tile(np.arange(spec.seeds), n_d),
                "search_time": times.ravel(),
                "initial_best_overlap": best[:, :, 0].ravel(),
            }
        )
        figures = {"search_time": _figure(spec, times, fit, predicted, p_star)}
        return Result(metrics=metrics, table=table, figures=figures)


def _figure(spec: SearchPhaseSpec, times: np.ndarray, fit: Any, predicted: float, p_star: int) -> Any:
    from gflab.plots import figure

    fig, ax = figure(width=5.5, height=4.0)
    d = np.asarray(spec.d_values, float)
    for i, t in enumerate(times):
        finite = t[np.isfinite(t)]
        ax.scatter(
            np.full(finite.size, d[i]) * np.exp(np.random.default_rng(i).normal(0, 0.04, finite.size)),
            finite,
            s=4,
            alpha=0.15,
            color="grey",
        )
    medians = np.array([np.median(t[np.isfinite(t)]) for t in times])
    ax.plot(d, medians, "o", color="C0", label="median search time")
    ax.plot(
        d, np.exp(fit.intercept) * d**fit.slope, "-", color="C0", label=f"fit: d^{fit.slope:.3f} [{fit.low:.3f}, {fit.high:.3f}]"
    )
    ax.plot(d, medians[0] * (d / d[0]) ** predicted, "--", color="C3", label=f"theory: d^{predicted:g} (p* = {p_star})")
    ax.set(xscale="log", yscale="log", xlabel="d", ylabel=f"time to overlap {spec.overlap:g}")
    ax.set_title(f"search phase, sigma={spec.sigma}, sigma*={spec.sigma_star}, k={spec.k}")
    ax.legend(fontsize=8)
    return fig
