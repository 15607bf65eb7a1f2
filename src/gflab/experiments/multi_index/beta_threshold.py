"""Experiment ``beta-threshold``: when the average of the index vectors becomes a minimum.

Simsek, Bendjeddou & Hsu 2024 (threshold): index vectors with v_i.v_j = beta. The point
w_bar = sum v_j / |sum v_j| is critical for the correlation loss; where it turns from saddle
into minimum is measured two ways against the closed-form beta_c of
:func:`gflab.theory.multi_index.beta_critical`:

- Hessian: the smallest eigenvalue of the Riemannian Hessian at w_bar (autodiff Hessian of the
  normalised loss, restricted to the tangent space), root in beta by Brent's method;
- flow: from w_bar + delta xi (random unit tangent xi) run the flow for ``horizon``; beta is a
  saddle if some perturbation grew. Grids of beta are refined around the change ``rounds`` times.

The recovered-vectors fraction against beta (networks from random starts, v_j recovered when a
neuron ends nearer to v_j than to w_bar) shows what the threshold means for learning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.experiments.base import Experiment, Result
from gflab.experiments.multi_index.specs import BetaThresholdSpec, SphereNeuronSpec
from gflab.experiments.multi_index.sphere_common import information_exponent_of, parity_of, phi_of, run_neurons
from gflab.problems.multi_index import SphereCorrelation, embed, index_vectors, sphere_start, unit_rows
from gflab.simulation import Stop
from gflab.theory import multi_index as theory
from gflab.theory.roots import first_root

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def average_point(index: np.ndarray) -> np.ndarray:
    """w_bar = sum_j v_j / |sum_j v_j| (rows of ``index``)."""
    total = index.sum(axis=0)
    return total / np.linalg.norm(total)


def tangent_basis(w: np.ndarray) -> np.ndarray:
    """Orthonormal rows spanning the tangent space of the sphere at unit w."""
    _, _, vt = np.linalg.svd(w[None])
    return vt[1:]


def hessian_gap(phi: np.ndarray, k: int, beta: float) -> float:
    """Smallest eigenvalue of the Riemannian Hessian at w_bar (autodiff, in k + 1 coordinates).

    For the normalised loss f(w) = L(w / |w|), the Euclidean Hessian at unit w restricted to the
    tangent space is P (Hess L - (w . grad L) I) P, the Riemannian Hessian."""
    index = embed(index_vectors(k, beta), k + 1)
    problem = SphereCorrelation(index=jnp.asarray(index), phi=jnp.asarray(phi))
    w_bar = average_point(index)
    hess = np.asarray(_hessian(problem, jnp.asarray(w_bar)))
    basis = tangent_basis(w_bar)
    return float(np.linalg.eigvalsh(basis @ hess @ basis.T)[0])


@jax.jit
def _hessian(problem: SphereCorrelation, w: jax.Array) -> jax.Array:
    return jax.hessian(problem.loss)(w)


def _bracket(betas: np.ndarray, saddle: np.ndarray) -> tuple[float, float] | None:
    """The first grid interval where 'saddle' turns into 'minimum'."""
    change = np.nonzero(saddle[:-1] & ~saddle[1:])[0]
    return (float(betas[change[0]]), float(betas[change[0] + 1])) if change.size else None


def recovered_fractions(
    spec: SphereNeuronSpec, k: int, betas: np.ndarray, *, d: int, networks: int, neurons: int, progress: bool, label: str
) -> np.ndarray:
    """Mean fraction of the k index vectors (v_i . v_j = beta) recovered by networks of
    ``neurons`` neurons from random starts in dimension d, one value per beta: v_j is recovered
    when some neuron ends closer to it than to the average point w_bar."""
    index = np.stack([embed(index_vectors(k, b), k + 1) for b in betas])
    per_beta = networks * neurons
    key = jax.random.fold_in(jax.random.key(spec.seed), 10_000 + k)
    y0 = np.asarray(sphere_start(key, d, k, (len(betas) * per_beta,)))
    traj = run_neurons(spec, np.repeat(index, per_beta, axis=0), y0, batched_index=True, progress=progress, description=label)
    final = np.asarray(unit_rows(traj.final_params)).reshape(len(betas), networks, neurons, k + 1)
    overlaps = np.einsum("bsnd,bjd->bsnj", final, index)
    to_average = np.einsum("bsnd,bd->bsn", final, np.stack([average_point(i) for i in index]))
    recovered = np.any(overlaps > to_average[..., None], axis=2)  # (betas, networks, k)
    return recovered.mean(axis=(1, 2))


def coverage_neurons(spec: SphereNeuronSpec, k: int) -> int:
    """Neurons per network enough to cover all k index vectors with probability 0.9 at beta = 0."""
    return theory.neurons_for_coverage(k, 0.9, theory.none_probability(k, parity_of(spec)))


def _recovered_curve(spec: BetaThresholdSpec, k: int, progress: bool) -> dict[str, np.ndarray]:
    """The recovered fraction against beta (networks of n neurons, enough for 90% coverage at beta = 0)."""
    n = coverage_neurons(spec, k)
    betas = np.linspace(0.0, 0.95, spec.plot_betas)
    fraction = recovered_fractions(
        spec, k, betas, d=spec.d, networks=spec.seeds, neurons=n, progress=progress, label=f"recovery (k={k})"
    )
    return {"betas": betas, "fraction": fraction, "n": np.array(n)}


class BetaThreshold(Experiment):
    name = "beta-threshold"
    spec_class = BetaThresholdSpec

    def run(self, spec: BetaThresholdSpec, *, progress: bool = False) -> Result:
        phi = phi_of(spec)
        rows, curves = [], {}
        for k in spec.ks:
            predicted = theory.beta_critical(phi, k)
            hessian = self._hessian_threshold(phi, k)
            flow = self._flow_threshold(spec, k, progress)
            rows.append({"k": k, "predicted": predicted, "hessian": hessian, "flow": flow})
            curves[k] = _recovered_curve(spec, k, progress) if spec.plot_betas else None
        errors_flow = [abs(r["flow"] - r["predicted"]) for r in rows]
        errors_hessian = [abs(r["hessian"] - r["predicted"]) for r in rows]
        metrics: dict[str, Any] = {
            "information_exponent": information_exponent_of(spec),
            "thresholds": {str(r["k"]): {key: r[key] for key in ("predicted", "hessian", "flow")} for r in rows},
            "max_error_flow": max(errors_flow),
            "max_error_hessian": max(errors_hessian),
        }
        table = pd.DataFrame(rows)
        figures = {"recovered": _figure(spec, rows, curves)}
        return Result(metrics=metrics, table=table, figures=figures)

    @staticmethod
    def _hessian_threshold(phi: np.ndarray, k: int) -> float:
        try:
            return first_root(lambda b: hessian_gap(phi, k, b), np.linspace(0.0, 0.99, 100), xtol=1e-12)
        except ValueError:
            return float("nan")

    @staticmethod
    def _flow_threshold(spec: BetaThresholdSpec, k: int, progress: bool) -> float:
        """Refine a beta grid around the saddle -> minimum change, judged by perturbed flows."""
        low, high = 0.0, 0.99
        key = jax.random.fold_in(jax.random.key(spec.seed), k)
        for r in range(spec.rounds):
            betas = np.linspace(low, high, spec.grid)
            index = np.stack([embed(index_vectors(k, b), k + 1) for b in betas])  # (grid, k, D)
            centres = np.stack([average_point(i) for i in index])
            xi = np.array(jax.random.normal(jax.random.fold_in(key, r), (spec.grid, spec.perturbations, k + 1)))
            xi -= np.einsum("gpd,gd->gp", xi, centres)[..., None] * centres[:, None]
            xi /= np.linalg.norm(xi, axis=-1, keepdims=True)
            y0 = (centres[:, None] + spec.delta * xi).reshape(-1, k + 1)
            traj = run_neurons(
                spec, np.repeat(index, spec.perturbations, axis=0), y0, batched_index=True,
                stop=Stop(), t1=spec.horizon, progress=progress, description=f"beta probes (k={k}, round {r + 1})",
            )  # fmt: skip
            final = np.asarray(unit_rows(traj.final_params)).reshape(spec.grid, spec.perturbations, k + 1)
            growth = np.linalg.norm(final - centres[:, None], axis=-1) / np.linalg.norm(
                y0.reshape(final.shape) - centres[:, None], axis=-1
            )
            saddle = np.any(growth > 1.0, axis=1)
            bracket = _bracket(betas, saddle)
            if bracket is None:
                return float("nan")
            low, high = bracket
        return 0.5 * (low + high)


def _figure(spec: BetaThresholdSpec, rows: list[dict[str, float]], curves: dict[int, Any]) -> Any:
    from gflab.plots import figure

    fig, ax = figure(width=6.0, height=4.2)
    for i, row in enumerate(rows):
        k = int(row["k"])
        curve = curves[k]
        color = f"C{i}"
        if curve is not None:
            ax.plot(
                curve["betas"],
                curve["fraction"],
                "o-",
                ms=3,
                color=color,
                label=f"k={k}: recovered fraction (n={int(curve['n'])})",
            )
        ax.axvline(row["predicted"], color=color, ls="--", lw=1)
        ax.plot(
            [row["flow"]],
            [1.02],
            "v",
            color=color,
            ms=7,
            label=f"k={k}: beta_c flow {row['flow']:.4f} / theory {row['predicted']:.4f}",
        )
    ax.set(xlabel="beta (pairwise overlap of index vectors)", ylabel="fraction of index vectors recovered", ylim=(-0.03, 1.08))
    ax.set_title(f"saddle -> minimum at beta_c ({spec.sigma}, {spec.sigma_star}); dashed: c/(c+k)")
    ax.legend(fontsize=7, loc="lower left")
    return fig
