"""Experiment ``autoencoder-regimes``: the tied autoencoder beyond the isotropic population face.

Golikov, Gusev & Yarotsky, "A prism hierarchy of learning regimes in large linear autoencoders"
(the regimes in (n/d, m/d, s): large-data, small-data, mean-field, narrow-latent, free). gflab
derives only the isotropic population face (:mod:`gflab.theory.autoencoder`); here the adaptive
gradient flow is run where that prediction is not exact, and its loss curves are drawn against it:

- finite sample, isotropic data: training on the sample covariance X^T X / n (n = ratio d) and
  evaluating the population loss 1/2 tr((I - P)^2); as n / d grows the curve approaches the
  Marchenko-Pastur prediction (the large-data face);
- anisotropic population Sigma_kk ~ k^(-alpha) (trace d): directions are learned at rates set by
  their variances, not at the common rate of the isotropic face;
- a regime map over (n / d, s): the relative gap |l_finite - l_pop| / l_pop of the population loss
  at the time the population prediction is half-way to its final value (for each s).

One prediction is derived here and registered: the training loss at the end of the finite-sample
flow, 1/2 sum_(k > m) of the sample covariance's eigenvalues, against its Marchenko-Pastur limit
(:func:`gflab.theory.autoencoder.sample_training_floor`). The paper's loss curves for these faces
were not at hand and gflab has not derived them: the curves are drawn, not claimed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics import GradientFlow
from gflab.experiments.base import Experiment, Result
from gflab.experiments.factorised.specs import AutoencoderRegimesSpec
from gflab.plots import figure
from gflab.problems.autoencoder import TiedAutoencoder, initial_weights
from gflab.simulation import Save, simulate
from gflab.theory import autoencoder as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def population_loss_per_dimension(problem: TiedAutoencoder, w: jax.Array) -> jax.Array:
    """1/2 tr((I - P)^2) / d: the isotropic population loss of W, whatever it was trained on."""
    return TiedAutoencoder(covariance=jnp.asarray(1.0)).loss(w) / w.shape[1]


def training_loss_per_dimension(problem: TiedAutoencoder, w: jax.Array) -> jax.Array:
    return problem.loss(w) / w.shape[1]


def _sample_covariances(d: int, ratios: list[float], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = []
    for ratio in ratios:
        x = rng.normal(size=(round(ratio * d), d))
        out.append(x.T @ x / len(x))
    return np.stack(out)


class AutoencoderRegimes(Experiment):
    name = "autoencoder-regimes"
    spec_class = AutoencoderRegimesSpec

    def run(self, spec: AutoencoderRegimesSpec, *, progress: bool = False) -> Result:
        m = max(1, round(spec.gamma * spec.d))
        gamma = m / spec.d
        ts = np.linspace(0.0, spec.t1, 31)
        flow = GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=spec.t1, solver="dopri8")
        observables = {"population": population_loss_per_dimension, "training": training_loss_per_dimension}

        # loss curves: finite samples (one covariance per ratio) and the anisotropic population, same start
        w0 = initial_weights(m, spec.d, spec.s, 1, spec.seed)[0]
        covariances = _sample_covariances(spec.d, spec.sample_ratios, spec.seed + 1)
        finite = simulate(
            TiedAutoencoder(covariance=jnp.asarray(covariances)), flow, jnp.asarray(w0), over=lambda p: p.covariance,
            save=Save(ts=ts, observables=observables), progress=progress, description="autoencoder finite samples",
        )  # fmt: skip
        spectrum = np.arange(1, spec.d + 1, dtype=float) ** -spec.alpha
        spectrum *= spec.d / spectrum.sum()
        anisotropic = simulate(
            TiedAutoencoder(covariance=jnp.asarray(spectrum)), flow, jnp.asarray(w0),
            save=Save(ts=ts, observables={"population": training_loss_per_dimension}),
        )  # fmt: skip
        floor = 0.5 * float(np.sum(spectrum[m:])) / spec.d  # rank-m projection on the top variances
        exact_isotropic = theory.loss_per_dimension(_nonzero_eigenvalues(w0), spec.d, ts)
        prediction = theory.limit_loss_per_dimension(ts, gamma, spec.s)

        # regime map over (n / d, s), each cell at the half-way time of its population prediction
        grid_ratios = np.repeat(spec.sample_ratios, len(spec.scales))
        grid_scales = np.tile(spec.scales, len(spec.sample_ratios))
        starts = np.stack([initial_weights(m, spec.d, s, 1, spec.seed + 2)[0] for s in grid_scales])
        half = np.array([theory.limit_half_way_time(gamma, s) for s in grid_scales])
        map_traj = simulate(
            TiedAutoencoder(covariance=jnp.asarray(np.repeat(covariances, len(spec.scales), axis=0))),
            GradientFlow(rtol=spec.rtol, atol=spec.atol * min(spec.scales) ** 2, t1=float(half.max()), solver="dopri8"),
            jnp.asarray(starts), over=lambda p: p.covariance, y0_batched=True,
            save=Save(ts=half[:, None], observables=observables),
        )  # fmt: skip
        measured = map_traj.observations["population"][:, 0]
        predicted = np.array(
            [float(theory.limit_loss_per_dimension(t, gamma, s)) for t, s in zip(half, grid_scales, strict=True)]
        )
        gap = np.abs(measured / predicted - 1.0).reshape(len(spec.sample_ratios), len(spec.scales))

        floor_measured = finite.observations["training"][:, -1]
        floor_predicted = np.array([theory.sample_training_floor(gamma, r) for r in spec.sample_ratios])
        floor_of_sample = 0.5 * np.sort(np.linalg.eigvalsh(covariances), axis=1)[:, : spec.d - m].sum(axis=1) / spec.d
        metrics: dict[str, Any] = {
            "m": m,
            "training_floor": {
                "measured": floor_measured.tolist(),
                "predicted": floor_predicted.tolist(),
                "of_the_sample": floor_of_sample.tolist(),
                "max_relative_error": float(np.max(np.abs(floor_measured / floor_predicted - 1.0))),
                "max_relative_error_to_the_sample": float(np.max(np.abs(floor_measured / floor_of_sample - 1.0))),
            },
            "final_population_loss": {
                "finite_samples": finite.observations["population"][:, -1].tolist(),
                "anisotropic": float(anisotropic.observations["population"][-1]),
                "anisotropic_minimum": floor,
                "isotropic_prediction": float(prediction[-1]),
            },
            "map": {
                "sample_ratios": list(spec.sample_ratios),
                "scales": list(spec.scales),
                "half_way_times": half[: len(spec.scales)].tolist(),
                "relative_gap": gap.tolist(),
            },
        }
        table = pd.DataFrame({"n_over_d": grid_ratios, "s": grid_scales, "population_loss": measured, "prediction": predicted})
        figures = {
            "loss_curves": _curves_figure(
                spec, gamma, ts, finite.observations, anisotropic.observations["population"], exact_isotropic, prediction, floor
            ),
            "regime_map": _map_figure(spec, gap),
        }
        return Result(metrics=metrics, table=table, figures=figures)


def _nonzero_eigenvalues(w0: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(w0 @ w0.T if w0.shape[0] <= w0.shape[1] else w0.T @ w0)


def _curves_figure(
    spec: AutoencoderRegimesSpec,
    gamma: float,
    ts: np.ndarray,
    finite: dict[str, np.ndarray],
    anisotropic: np.ndarray,
    exact: np.ndarray,
    prediction: np.ndarray,
    floor: float,
) -> Any:
    fig, (ax, ax_train) = figure(2)
    for i, ratio in enumerate(spec.sample_ratios):
        ax.plot(ts, finite["population"][i], color=f"C{i}", lw=1.2, label=f"n/d = {ratio:g}")
        ax_train.plot(ts, finite["training"][i], color=f"C{i}", lw=1.2, label=f"n/d = {ratio:g}")
    ax.plot(ts, exact, "k.", ms=4, label="population flow (Riccati, same W_0)")
    ax.plot(ts, prediction, "k-", lw=1, label="Marchenko-Pastur prediction")
    ax.plot(ts, anisotropic, "C7--", lw=1.2, label=f"anisotropic population, alpha = {spec.alpha:g}")
    ax.axhline(floor, color="C7", ls=":", lw=0.8, label="its minimum (1/2d) sum_(k>m) Sigma_kk")
    title = f"d = {spec.d}, m/d = {gamma:.3g}, s = {spec.s:g}"
    ax.set(xlabel="t", ylabel="population loss per dimension", title=title)
    ax.legend(fontsize=7)
    ax_train.plot(ts, prediction, "k-", lw=1, label="population prediction")
    for i, ratio in enumerate(spec.sample_ratios):
        ax_train.axhline(theory.sample_training_floor(gamma, ratio), color=f"C{i}", ls=":", lw=0.8)
    ax_train.set(xlabel="t", ylabel="training loss per dimension", title="training loss; dotted: Marchenko-Pastur floor")
    ax_train.legend(fontsize=7)
    return fig


def _map_figure(spec: AutoencoderRegimesSpec, gap: np.ndarray) -> Any:
    fig, ax = figure()
    image = ax.imshow(np.log10(np.maximum(gap, 1e-16)), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(spec.scales)), [f"{s:g}" for s in spec.scales])
    ax.set_yticks(range(len(spec.sample_ratios)), [f"{r:g}" for r in spec.sample_ratios])
    ax.set(xlabel="initialisation scale s", ylabel="n / d", title="log10 |l_finite / l_pop - 1| at the half-way time")
    fig.colorbar(image, ax=ax)
    return fig
