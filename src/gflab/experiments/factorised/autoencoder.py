"""Experiment ``autoencoder``: the tied linear autoencoder on the isotropic population, against its closed forms.

Golikov, Gusev & Yarotsky, "A prism hierarchy of learning regimes in large linear autoencoders"
(the model); the closed forms are derived in :mod:`gflab.theory.autoencoder`. Three measurements,
each by the adaptive gradient flow of W (Dormand-Prince 8 steps, tolerances ``rtol``/``atol``)
through :func:`gflab.simulate`:

- closed form: for each (m / d, s) of the checks, the flow's W(t) against the Riccati solution
  W(t) = (e^(-4t) I + (1 - e^(-4t)) W_0 W_0^T)^(-1/2) W_0 at 21 times in [0, check_t1] (largest
  entry-wise error relative to the largest entry of W(t));
- proportional limit: ``seeds`` initialisations at (d, m = gamma d, s); the loss per dimension at
  each time of ``ts`` against its Marchenko-Pastur limit, in standard errors over the seeds
  (also against the limit plus the O(1/d) Bai-Silverstein correction);
- small initialisation: at each s of ``half_scales`` (d = half_d), the time at which the loss per
  dimension is half-way between its initial and final values, against (1/4) ln(1/s^2) +
  (1/4) ln(1/u*(gamma)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq

from gflab._jax import jax_module
from gflab.dynamics import GradientFlow
from gflab.experiments.base import Experiment, Result
from gflab.experiments.factorised.specs import AutoencoderSpec
from gflab.plots import figure
from gflab.problems.autoencoder import TiedAutoencoder, initial_weights
from gflab.simulation import Save, simulate
from gflab.theory import autoencoder as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

ISOTROPIC = TiedAutoencoder(covariance=jnp.asarray(1.0))


def weights(problem: TiedAutoencoder, w: jax.Array) -> jax.Array:
    """The observable W itself (for the closed-form check)."""
    return w


def loss_per_dimension(problem: TiedAutoencoder, w: jax.Array) -> jax.Array:
    return problem.loss(w) / w.shape[1]


def _flow(spec: AutoencoderSpec, t1: float) -> GradientFlow:
    return GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=t1, solver="dopri8")


def closed_form_errors(spec: AutoencoderSpec) -> list[float]:
    """Per (gamma, s) of the checks: max_t |W_flow(t) - W(t)|_max / |W(t)|_max."""
    ts = np.linspace(0.0, spec.check_t1, 21)
    errors = []
    for i, (gamma, s) in enumerate(zip(spec.check_gammas, spec.check_scales, strict=True)):
        m = max(1, round(gamma * spec.check_d))
        w0 = initial_weights(m, spec.check_d, s, 1, spec.seed + 1000 + i)[0]
        traj = simulate(ISOTROPIC, _flow(spec, spec.check_t1), jnp.asarray(w0), save=Save(ts=ts, observables={"w": weights}))
        exact = np.stack([theory.riccati_weights(w0, t) for t in traj.saved_ts])
        errors.append(float(np.max(np.abs(traj.observations["w"] - exact).max(axis=(1, 2)) / np.abs(exact).max(axis=(1, 2)))))
    return errors


def eigenvalues(w0: np.ndarray) -> np.ndarray:
    """The min(m, d) non-zero eigenvalues of P_0 = W_0^T W_0 (per leading batch entry)."""
    gram = w0 @ np.swapaxes(w0, -1, -2) if w0.shape[-2] <= w0.shape[-1] else np.swapaxes(w0, -1, -2) @ w0
    return np.linalg.eigvalsh(gram)


class Autoencoder(Experiment):
    name = "autoencoder"
    spec_class = AutoencoderSpec

    def run(self, spec: AutoencoderSpec, *, progress: bool = False) -> Result:
        check_errors = closed_form_errors(spec)

        # proportional limit
        m = max(1, round(spec.gamma * spec.d))
        gamma = m / spec.d
        ts = np.asarray([0.0, *spec.ts])
        w0 = initial_weights(m, spec.d, spec.s, spec.seeds, spec.seed)
        traj = simulate(
            ISOTROPIC, _flow(spec, float(ts[-1])), jnp.asarray(w0), y0_batched=True,
            save=Save(ts=ts, observables={"loss": loss_per_dimension}), progress=progress, description="autoencoder",
        )  # fmt: skip
        loss = traj.observations["loss"][:, 1:]  # (seeds, len(spec.ts))
        mean, se = loss.mean(axis=0), loss.std(axis=0, ddof=1) / np.sqrt(spec.seeds)
        limit = theory.limit_loss_per_dimension(np.asarray(spec.ts), gamma, spec.s)
        bias = theory.finite_d_bias(np.asarray(spec.ts), gamma, spec.s, spec.d)
        z_limit, z_corrected = np.abs(mean - limit) / se, np.abs(mean - limit - bias) / se

        # small initialisation
        half_m = max(1, round(spec.gamma * spec.half_d))
        half_gamma = half_m / spec.half_d
        predicted_half = np.array([theory.half_way_time(s, half_gamma) for s in spec.half_scales])
        t1_half = float(predicted_half.max() + 2.0)
        half_ts = np.arange(0.0, t1_half + 0.5 * spec.half_dt, spec.half_dt)
        half_ts = half_ts[half_ts <= t1_half]
        w0_half = np.stack(
            [initial_weights(half_m, spec.half_d, s, 1, spec.seed + 2000 + i)[0] for i, s in enumerate(spec.half_scales)]
        )
        half = simulate(
            ISOTROPIC, _flow(spec, t1_half), jnp.asarray(w0_half), y0_batched=True,
            save=Save(ts=half_ts, observables={"loss": loss_per_dimension}), progress=progress, description="autoencoder small init",
        )  # fmt: skip
        final = (spec.half_d - min(half_m, spec.half_d)) / (2.0 * spec.half_d)  # P -> a projection of rank min(m, d)
        measured_half = np.array(
            [_half_way(half.saved_ts[i], half.observations["loss"][i], final) for i in range(len(spec.half_scales))]
        )
        half_error = np.abs(measured_half / predicted_half - 1.0)

        metrics: dict[str, Any] = {
            "closed_form": {"errors": check_errors, "max_error": max(check_errors)},
            "marchenko_pastur": {
                "m": m,
                "ts": list(spec.ts),
                "mean": mean.tolist(),
                "standard_error": se.tolist(),
                "limit": limit.tolist(),
                "bias_1_over_d": bias.tolist(),
                "max_z": float(z_limit.max()),
                "max_z_corrected": float(z_corrected.max()),
            },
            "half_way": {
                "m": half_m,
                "u_star": theory.half_way_root(half_gamma),
                "measured": measured_half.tolist(),
                "predicted": predicted_half.tolist(),
                "max_relative_error": float(half_error.max()),
            },
        }
        table = pd.DataFrame(
            {
                "seed": np.repeat(np.arange(spec.seeds), len(spec.ts)),
                "t": np.tile(spec.ts, spec.seeds),
                "loss_per_dimension": loss.ravel(),
                "limit": np.tile(limit, spec.seeds),
            }
        )
        figures = {
            "loss_curves": _loss_figure(spec, gamma, w0, traj.observations["loss"], ts),
            "half_way": _half_figure(spec, half_gamma, half_ts, half.observations["loss"], measured_half, predicted_half),
        }
        return Result(metrics=metrics, table=table, figures=figures)


def _half_way(ts: np.ndarray, loss: np.ndarray, final: float) -> float:
    """The first time the loss is at (loss(0) + final) / 2: the root of a cubic spline through the saves."""
    level = 0.5 * (loss[0] + final)
    k = int(np.argmax(loss <= level))
    if k == 0:
        return float("nan")  # never reached within the run
    spline = CubicSpline(ts, loss - level)
    return float(brentq(spline, ts[k - 1], ts[k], xtol=1e-12))


def _loss_figure(spec: AutoencoderSpec, gamma: float, w0: np.ndarray, loss: np.ndarray, ts: np.ndarray) -> Any:
    fig, (ax, ax_dev) = figure(2)
    grid = np.linspace(0.0, ts[-1], 200)
    limit = theory.limit_loss_per_dimension(grid, gamma, spec.s)
    final = 0.5 * (1.0 - min(gamma, 1.0))
    for i, row in enumerate(loss):
        ax.plot(ts, row - final, "o", color="C0", alpha=0.5, ms=4, label="gradient flow (seeds)" if i == 0 else None)
    ax.plot(grid, limit - final, "k-", lw=1, label="Marchenko-Pastur limit")
    ax.set(
        yscale="log",
        xlabel="t",
        ylabel="l(t) - l(inf)  (loss per dimension)",
        title=f"d = {spec.d}, m/d = {gamma:.3g}, s = {spec.s:g}",
    )
    ax.legend(fontsize=8)
    exact = np.stack([theory.loss_per_dimension(p, spec.d, grid) for p in eigenvalues(w0)])
    bias = theory.finite_d_bias(grid, gamma, spec.s, spec.d)
    ax_dev.plot(
        grid,
        spec.d * (exact.mean(axis=0) - limit) / np.maximum(limit - final, 1e-300),
        "C1-",
        lw=1,
        label="Riccati, mean of the seeds",
    )
    ax_dev.plot(grid, spec.d * bias / np.maximum(limit - final, 1e-300), "k--", lw=1, label="Bai-Silverstein 1/d bias")
    ax_dev.set(xlabel="t", ylabel="d (l - l_limit) / (l_limit - l(inf))", title="finite-d deviation, relative")
    ax_dev.legend(fontsize=8)
    return fig


def _half_figure(
    spec: AutoencoderSpec, gamma: float, ts: np.ndarray, loss: np.ndarray, measured: np.ndarray, predicted: np.ndarray
) -> Any:
    fig, ax = figure()
    for i, s in enumerate(spec.half_scales):
        ax.plot(ts, loss[i], color=f"C{i}", lw=1.2, label=f"s = {s:g}")
        ax.axvline(predicted[i], color=f"C{i}", ls="--", lw=0.8)
        ax.plot([measured[i]], [0.5 * (loss[i][0] + loss[i][-1])], "o", color=f"C{i}", ms=4)
    ax.set(xlabel="t", ylabel="loss per dimension", title=f"small init, m/d = {gamma:.3g}: dashed (1/4) ln(1/s^2) + c(gamma)")
    ax.legend(fontsize=8)
    return fig
