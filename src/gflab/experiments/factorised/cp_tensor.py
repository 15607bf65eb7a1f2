"""Experiment ``cp-tensor``: CP decompositions under gradient flow, the lazy (NTK) regime and incremental learning.

Yarotsky, Golikov & Gusev 2025, "Gradient Flow Through Diagram Expansions: Learning Regimes and
Explicit Solutions" (the model and its regimes: free, NTK, mean-field). Two measurements by the
adaptive gradient flow (:func:`gflab.simulate`, Tsit5):

- lazy regime (NTK scaling T_hat = H^(-1/2) sum_h a_h (x) b_h (x) c_h, unit-variance factors, a
  random target with N(0, 1) entries): the loss against the linearised flow L_lin(t) = 1/2
  |exp(-K t) r_0|^2 (K the tangent kernel at the start, r_0 the initial residual), the gap
  max_t |L - L_lin| / L(0) fitted as a power of H. Derived here: the factors a_h, b_h, c_h are
  independent, so every first correction (the change of K, the second-order term of T_hat) is a
  sum over h of H mean-zero terms of size H^(-3/2): the gap falls like H^(-1) (not the H^(-1/2)
  of a model whose factors are tied, a_h = b_h = c_h, where those terms have a mean).
- small initialisation (T_hat = sum_h a_h (x) b_h (x) c_h, factors N(0, sigma^2), target
  sum_r s_r u_r (x) v_r (x) w_r with orthonormal u, v, w): a component aligned with part r grows
  like dx/dt ~ s_r x^2 from x ~ sigma and escapes its plateau at t ~ 1 / (s_r sigma): the parts are
  learned one at a time, strongest first. Measured: the time each projection <T_hat, u_r (x)
  v_r (x) w_r> first reaches s_r / 2, and the share of runs learning them in that order.

Not registered: the paper's diagram-expansion loss curves (the mean-field regimes, their PDE
solved by characteristics); gflab does not derive them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics import GradientFlow
from gflab.experiments.base import Experiment, Result
from gflab.experiments.factorised.specs import CPTensorSpec
from gflab.plots import figure
from gflab.problems.cp_tensor import CPDecomposition, Factors, cp_tensor, linearised_loss, random_factors, tangent_kernel
from gflab.simulation import Save, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class Projections:
    """Observable: <T_hat, u_r (x) v_r (x) w_r> for each rank-one part of the target (hashable by identity)."""

    def __init__(self, parts: np.ndarray) -> None:
        self.parts = jnp.asarray(parts)  # (R, p, p, p)

    def __call__(self, problem: CPDecomposition, factors: Factors) -> jax.Array:
        return jnp.einsum("rijk,ijk->r", self.parts, cp_tensor(factors, problem.weights))


class CPTensor(Experiment):
    name = "cp-tensor"
    spec_class = CPTensorSpec

    def run(self, spec: CPTensorSpec, *, progress: bool = False) -> Result:
        lazy = _lazy(spec, progress)
        incremental = _incremental(spec, progress)
        metrics = {"lazy": lazy.pop("metrics"), "incremental": incremental.pop("metrics")}
        table = pd.DataFrame(
            {
                "H": np.repeat(spec.hs, spec.seeds),
                "seed": np.tile(np.arange(spec.seeds), len(spec.hs)),
                "gap": lazy["gaps"].ravel(),
            }
        )
        figures = {"lazy": _lazy_figure(spec, **lazy), "incremental": _incremental_figure(spec, **incremental)}
        return Result(metrics=metrics, table=table, figures=figures)


def _lazy(spec: CPTensorSpec, progress: bool) -> dict[str, Any]:
    h_max, runs = spec.hs[-1], len(spec.hs) * spec.seeds
    target = np.random.default_rng(spec.seed).normal(size=(spec.p,) * 3)
    factors = random_factors(h_max, spec.p, 1.0, runs, spec.seed + 1)
    weights = np.zeros((runs, h_max))
    for i, h in enumerate(np.repeat(spec.hs, spec.seeds)):
        weights[i, :h] = 1.0 / np.sqrt(h)
    ts = np.linspace(0.0, spec.t1, 41)
    traj = simulate(
        CPDecomposition(target=jnp.asarray(target), weights=jnp.asarray(weights)),
        GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=spec.t1), Factors(*(jnp.asarray(x) for x in factors)),
        over=lambda p: p.weights, y0_batched=True, save=Save(ts=ts), progress=progress, description="cp-tensor lazy",
    )  # fmt: skip
    loss = traj.observations["loss"]
    linear = np.empty_like(loss)
    for i in range(runs):
        start = Factors(*(x[i] for x in factors))
        residual = np.asarray(cp_tensor(Factors(*(jnp.asarray(x) for x in start)), jnp.asarray(weights[i]))) - target
        linear[i] = linearised_loss(tangent_kernel(start, weights[i]), residual, traj.saved_ts[i])
    gaps = (np.max(np.abs(loss - linear), axis=1) / loss[:, 0]).reshape(len(spec.hs), spec.seeds)
    mean_gap = gaps.mean(axis=1)
    slope = float(np.polyfit(np.log(spec.hs), np.log(mean_gap), 1)[0])
    metrics = {"hs": list(spec.hs), "mean_gap": mean_gap.tolist(), "gap_exponent": slope, "predicted_exponent": -1.0}
    return {"metrics": metrics, "gaps": gaps, "ts": ts, "loss": loss, "linear": linear}


def _incremental(spec: CPTensorSpec, progress: bool) -> dict[str, Any]:
    rng = np.random.default_rng(spec.seed + 2)
    rank = len(spec.strengths)
    u, v, w = (np.linalg.qr(rng.normal(size=(spec.inc_p, spec.inc_p)))[0][:, :rank].T for _ in range(3))
    parts = np.einsum("ri,rj,rk->rijk", u, v, w)
    strengths = np.asarray(spec.strengths)
    target = np.einsum("r,rijk->ijk", strengths, parts)
    t1 = 4.0 / (strengths.min() * spec.sigma)  # the weakest part escapes near 1 / (s_r sigma)
    ts = np.concatenate([[0.0], np.geomspace(0.05 / (strengths.max() * spec.sigma), t1, 120)])
    factors = random_factors(spec.inc_h, spec.inc_p, spec.sigma, spec.inc_seeds, spec.seed + 3)
    traj = simulate(
        CPDecomposition(target=jnp.asarray(target), weights=jnp.ones(spec.inc_h)),
        GradientFlow(rtol=spec.rtol, atol=spec.atol * spec.sigma**3, t1=t1), Factors(*(jnp.asarray(x) for x in factors)),
        y0_batched=True, save=Save(ts=ts, observables={"projection": Projections(parts)}),
        progress=progress, description="cp-tensor small init",
    )  # fmt: skip
    projection = traj.observations["projection"]  # (seeds, T, R)
    learned = np.full((spec.inc_seeds, rank), np.nan)
    for i in range(spec.inc_seeds):
        for r in range(rank):
            above = np.nonzero(projection[i, :, r] >= 0.5 * strengths[r])[0]
            if above.size:
                k = above[0]
                t0, t1_, p0, p1 = traj.saved_ts[i, k - 1], traj.saved_ts[i, k], projection[i, k - 1, r], projection[i, k, r]
                learned[i, r] = t0 + (t1_ - t0) * (0.5 * strengths[r] - p0) / (p1 - p0)
    order = np.argsort(-strengths)
    in_order = np.all(np.diff(learned[:, order], axis=1) > 0, axis=1)  # NaN (never learned) counts as wrong
    metrics = {
        "learned_times": learned.tolist(),
        "share_in_order": float(in_order.mean()),
        "times_times_strength_sigma": np.nanmedian(learned * strengths * spec.sigma, axis=0).tolist(),
    }
    return {"metrics": metrics, "ts": traj.saved_ts, "projection": projection, "strengths": strengths}


def _lazy_figure(spec: CPTensorSpec, gaps: np.ndarray, ts: np.ndarray, loss: np.ndarray, linear: np.ndarray) -> Any:
    fig, (ax, ax_gap) = figure(2)
    for j, h in enumerate(spec.hs):
        i = j * spec.seeds
        ax.plot(ts, loss[i], color=f"C{j}", lw=1.5, label=f"flow, H = {h}")
        ax.plot(ts, linear[i], "k--", lw=0.8)
    ax.set(yscale="log", xlabel="t", ylabel="loss", title="NTK scaling: flow (colour), linearised (dashed)")
    ax.legend(fontsize=8)
    hs = np.asarray(spec.hs, dtype=float)
    mean = gaps.mean(axis=1)
    ax_gap.plot(np.repeat(hs, spec.seeds), gaps.ravel(), ".", color="0.6", label="seeds")
    ax_gap.plot(hs, mean, "o", color="C0", label="mean")
    ax_gap.plot(hs, mean[0] * hs[0] / hs, "k--", lw=1, label="H^-1 (derived here)")
    ax_gap.set(xscale="log", yscale="log", xlabel="H", ylabel="max_t |L - L_lin| / L(0)", title="gap to the linearised flow")
    ax_gap.minorticks_off()
    ax_gap.set_xticks(hs, [f"{h:g}" for h in hs])
    ax_gap.legend(fontsize=8)
    return fig


def _incremental_figure(spec: CPTensorSpec, ts: np.ndarray, projection: np.ndarray, strengths: np.ndarray) -> Any:
    fig, ax = figure()
    for r, s in enumerate(strengths):
        for i in range(projection.shape[0]):
            ax.plot(
                ts[i] * spec.sigma,
                projection[i, :, r] / s,
                color=f"C{r}",
                lw=0.8,
                alpha=0.7,
                label=f"s_r = {s:g}" if i == 0 else None,
            )
        ax.axvline(1.0 / s, color=f"C{r}", ls=":", lw=0.8)
    ax.set(
        xscale="log",
        xlabel="sigma t",
        ylabel="<T_hat, u_r v_r w_r> / s_r",
        title="small init: parts learned strongest first (dotted: 1/s_r)",
    )
    ax.legend(fontsize=8)
    return fig
