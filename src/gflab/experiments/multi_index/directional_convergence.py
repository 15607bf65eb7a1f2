"""Experiment ``directional-convergence``: where each neuron ends, and coverage.

Simsek, Bendjeddou & Hsu 2024 (directional convergence; n ~ k log k neurons). Orthonormal
index vectors v_1..v_k. Every neuron follows the spherical flow of the correlation loss from a
uniform start on S^{d-1} until its overlap with some v_j reaches ``converged`` (with sign for
even phi): that v_j is its limit; a neuron that never gets there by t1 has found none. The
prediction is the index vector of its largest initial overlap (largest positive one for odd
phi, none when all are negative; largest |overlap| for even phi).

Coverage: networks of ``n_neurons`` neurons are disjoint groups of the simulated neurons
(exact, since the correlation loss does not couple neurons); the fraction of networks that
find all k vectors is compared with the inclusion-exclusion law of :mod:`gflab.theory.multi_index`.
The same pools, regrouped for every network size n, give the coverage curves against
n / (k log k).

``loss = "mse"``: the population squared loss of each whole network instead
(:class:`~gflab.problems.multi_index.SphereMSE`, student-student terms included), whose neurons
interact: every network is one trajectory, integrated in the exact coordinates of
span(W(0), V) (dimension n + k), until every neuron has found a vector or |grad| < gtol. The
occupancy law is the correlation loss's prediction; under the MSE loss it is only shown beside.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics import GradientFlow
from gflab.experiments.base import Experiment, Result
from gflab.experiments.multi_index.specs import DirectionalConvergenceSpec
from gflab.experiments.multi_index.sphere_common import (
    OverlapReached,
    mse_phis_of,
    parity_of,
    run_neurons,
    signed_overlaps,
)
from gflab.measure.verdicts import proportion
from gflab.problems.multi_index import SphereMSE, embed, full_start, index_vectors, sphere_start
from gflab.simulation import Stop, simulate
from gflab.theory import multi_index as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402

NONE = -1


def limits(overlaps: np.ndarray, phi_parity: str, converged: float) -> np.ndarray:
    """Index of the vector each neuron has found (NONE if its best overlap is below ``converged``)."""
    seen = signed_overlaps(overlaps, phi_parity)
    best = np.argmax(seen, axis=-1)
    return np.where(np.max(seen, axis=-1) >= converged, best, NONE)


def nearest(overlaps: np.ndarray, phi_parity: str) -> np.ndarray:
    """Predicted limit from the initial overlaps (NONE: all negative with odd phi)."""
    seen = signed_overlaps(overlaps, phi_parity)
    best = np.argmax(seen, axis=-1)
    return np.where(np.max(seen, axis=-1) > 0, best, NONE)


def covered(found: np.ndarray, k: int, n: int) -> np.ndarray:
    """For disjoint networks of n consecutive neurons: did each find all k vectors?"""
    networks = found[: (found.size // n) * n].reshape(-1, n)
    hits = np.zeros((networks.shape[0], k + 1), dtype=bool)
    np.put_along_axis(hits, np.where(networks == NONE, k, networks), True, axis=1)
    return np.asarray(hits[:, :k].all(axis=1))


class DirectionalConvergence(Experiment):
    name = "directional-convergence"
    spec_class = DirectionalConvergenceSpec

    def run(self, spec: DirectionalConvergenceSpec, *, progress: bool = False) -> Result:
        phi_parity = parity_of(spec)  # odd or even: checked by the spec
        start, found = self._pool(spec, spec.k, spec.n_neurons * spec.seeds, 0, progress)
        predicted_limit = nearest(start, phi_parity)
        has_nearest = predicted_limit != NONE
        agree = int(np.sum(found[has_nearest] == predicted_limit[has_nearest]))
        n_nearest = int(has_nearest.sum())
        q_none = theory.none_probability(spec.k, phi_parity)
        cover = covered(found, spec.k, spec.n_neurons)
        curves = {k: self._coverage_curve(spec, k, progress) for k in spec.coverage_ks if spec.coverage_pool}
        metrics: dict[str, Any] = {
            "phi_parity": phi_parity,
            "neurons": int(found.size),
            "to_nearest": proportion(agree, n_nearest),
            "no_nearest": proportion(int((~has_nearest).sum()), has_nearest.size),
            "no_nearest_predicted": q_none,
            "found_none": float(np.mean(found == NONE)),
            "coverage": proportion(int(cover.sum()), cover.size),
            "coverage_predicted": theory.coverage_probability(spec.n_neurons, spec.k, q_none),
            "neurons_for_90pct": {
                str(k): {
                    "predicted": theory.neurons_for_coverage(k, 0.9, theory.none_probability(k, phi_parity)),
                    "measured": c["n90"],
                }
                for k, c in curves.items()
            },
        }
        table = pd.DataFrame(
            {
                "neuron": np.arange(found.size),
                "network": np.arange(found.size) // spec.n_neurons,
                "found": found,
                "predicted": predicted_limit,
                "initial_best_overlap": signed_overlaps(start, phi_parity).max(axis=-1),
            }
        )
        figures = {"coverage": _coverage_figure(spec, curves)} if curves else {}
        return Result(metrics=metrics, table=table, figures=figures)

    def _pool(
        self, spec: DirectionalConvergenceSpec, k: int, size: int, salt: int, progress: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Initial overlaps and limits of ``size`` independent neurons with k index vectors."""
        key = jax.random.fold_in(jax.random.key(spec.seed), 1000 * salt + k)
        if spec.loss == "mse":
            return _mse_pool(spec, key, k, size, progress)
        y0 = np.asarray(sphere_start(key, spec.d, k, (size,)))
        # A neuron is done when it reaches the ``converged`` overlap; no |grad| rule, which would
        # also stop neurons whose overlaps start tiny. Neurons that find none run to t1.
        stop = Stop(event=OverlapReached(spec.converged, parity_of(spec) == "even"))
        traj = run_neurons(spec, index_vectors(k), y0, stop=stop, progress=progress, description=f"neurons (k={k})")
        final = traj.final_params / np.linalg.norm(traj.final_params, axis=-1, keepdims=True)
        return y0[:, :k], limits(final[:, :k], parity_of(spec), spec.converged)

    def _coverage_curve(self, spec: DirectionalConvergenceSpec, k: int, progress: bool) -> dict[str, Any]:
        _, found = self._pool(spec, k, spec.coverage_pool, 1, progress)
        q_none = theory.none_probability(k, parity_of(spec))
        ns = np.arange(k, theory.neurons_for_coverage(k, 0.99, q_none) + 1)
        measured = np.array([covered(found, k, int(n)).mean() for n in ns])
        reach = np.nonzero(measured >= 0.9)[0]
        return {
            "ns": ns,
            "measured": measured,
            "predicted": np.array([theory.coverage_probability(int(n), k, q_none) for n in ns]),
            "n90": int(ns[reach[0]]) if reach.size else None,
        }


def _mse_pool(
    spec: DirectionalConvergenceSpec, key: jax.Array, k: int, size: int, progress: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``size // n_neurons`` networks under the MSE loss: initial overlaps and limits, (size, k)."""
    n = spec.n_neurons
    networks = max(1, size // n)
    full = np.asarray(full_start(key, spec.d, (networks, n)))  # (networks, n, d)
    reduced = _padded_span(full, k, n + k)  # (networks, n, n + k)
    phis = {name: jax.numpy.asarray(phi) for name, phi in mse_phis_of(spec).items()}
    problem = SphereMSE(index=jax.numpy.asarray(embed(index_vectors(k), n + k)), **phis)
    stop = Stop(gtol=spec.gtol, event=OverlapReached(spec.converged, parity_of(spec) == "even"))
    traj = simulate(
        problem, GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=spec.t1), jax.numpy.asarray(reduced), y0_batched=True,
        stop=stop, progress=progress, description=f"MSE networks (k={k})",
    )  # fmt: skip
    final = traj.final_params / np.linalg.norm(traj.final_params, axis=-1, keepdims=True)
    start = full[..., :k].reshape(-1, k)
    return start, limits(final[..., :k].reshape(-1, k), parity_of(spec), spec.converged)


def _padded_span(w: np.ndarray, k: int, dim: int) -> np.ndarray:
    """Networks w (..., n, d) in an orthonormal basis of span(w, V) whose first k vectors are V
    (the first k axes), padded to ``dim``: residuals R = w[..., k:] = r^T q^T (QR of R^T, batched)
    have coordinates r^T. Exact, since the loss only sees inner products."""
    r = np.linalg.qr(np.swapaxes(w[..., k:], -1, -2))[1]
    coords = np.concatenate([w[..., :k], np.swapaxes(r, -1, -2)], axis=-1)
    return np.pad(coords, [(0, 0)] * (coords.ndim - 1) + [(0, dim - coords.shape[-1])])


def _coverage_figure(spec: DirectionalConvergenceSpec, curves: dict[int, dict[str, Any]]) -> Any:
    from gflab.plots import figure

    fig, (ax, ax2) = figure(2, width=5.0, height=4.0)
    for i, (k, c) in enumerate(curves.items()):
        x = c["ns"] / (k * math.log(max(k, 2)))
        ax.plot(x, c["predicted"], "-", color=f"C{i}", label=f"k={k}: exact law")
        ax.plot(x, c["measured"], "o", ms=3, color=f"C{i}", label=f"k={k}: flow")
    ax.axhline(0.9, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="n / (k log k)", ylabel="P(all k index vectors found)", title=f"coverage ({spec.sigma}, {spec.sigma_star})")
    ax.legend(fontsize=7)
    ks = np.array(list(curves))
    n90 = [theory.neurons_for_coverage(int(k), 0.9, theory.none_probability(int(k), parity_of(spec))) for k in ks]
    ax2.plot(ks, n90, "o-", label="n for 90% coverage (exact law)")
    ax2.plot(ks, [c["n90"] if c["n90"] is not None else np.nan for c in curves.values()], "s", label="n for 90% (flow)")
    ax2.plot(
        ks,
        ks * np.log(np.maximum(ks, 2)) * (n90[-1] / (ks[-1] * math.log(max(ks[-1], 2)))),
        "--",
        color="grey",
        label="∝ k log k",
    )
    ax2.set(xlabel="k", ylabel="neurons", xscale="log", yscale="log", title="n ~ k log k")
    ax2.legend(fontsize=7)
    return fig
