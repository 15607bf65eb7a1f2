"""Experiment ``learnability`` (seed 000): which targets gradient flow learns with a zoo model.

For N targets f ~ mu, run dw/dt = -grad 1/2|Phi(w) - f|^2 from a fixed w0 and classify each
trajectory (learned / trapped / undecided / diverged); report fractions with Wilson 95%
intervals, the distribution of final losses, and for d = 2 the verdict over a grid of
targets with the model's curve drawn on it.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from gflab._jax import jax_module
from gflab.experiments.base import Experiment, Result, Spec
from gflab.measure.verdicts import VERDICT_NAMES, verdict_fractions
from gflab.problems.curves import FREE_W_MODELS, AbstractCurveModel, CurveFit, ModelName, check_dims, make_model
from gflab.simulation import Save, Stop, Trajectory, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class CurveFlowSpec(Spec):
    """Parameters shared by the curve-model experiments."""

    d: int = Field(2, ge=1, le=64, description="target dimension")
    W: int | None = Field(None, ge=1, le=16, description="parameters of trig/poly (default min(2, d-1))")
    terms: int = Field(3, ge=1, le=64, description="sines per output of the trig model")
    degree: int = Field(3, ge=1, le=6, description="total degree of the poly model")
    w0: float = Field(0.0, description="every parameter starts at w0")
    dynamics: Literal["flow", "gd"] = "flow"
    eta: float = Field(0.1, gt=0, description="GD step (dynamics=gd)")
    t1: float = Field(1e4, gt=0, description="final time")
    tol: float = Field(1e-6, gt=0, description="learned: loss below tol")
    gtol: float = Field(1e-5, gt=0, description="trapped: |grad| below gtol with loss above tol")
    rtol: float = Field(1e-6, gt=0, lt=1)
    atol: float = Field(1e-8, gt=0)
    bound: float = Field(1e6, gt=0, description="diverged: |w|, loss or |grad| beyond bound")
    seed: int = Field(0, ge=0, description="model coefficients and targets")

    def dynamics_object(self) -> Any:
        from gflab.dynamics import GradientDescent, GradientFlow

        if self.dynamics == "gd":
            return GradientDescent(eta=self.eta, t1=self.t1)
        return GradientFlow(rtol=self.rtol, atol=self.atol, t1=self.t1)

    def stop(self) -> Stop:
        return Stop(tol=self.tol, gtol=self.gtol, bound=self.bound)


class LearnabilitySpec(CurveFlowSpec):
    model: ModelName = "sin-curve"
    n_targets: int = Field(10_000, ge=1, le=10_000_000)
    targets: Literal["uniform", "gaussian"] = Field("uniform", description="uniform on [-box, box]^d or N(0, box^2 I)")
    box: float = Field(1.0, gt=0)
    grid: int = Field(0, ge=0, le=1000, description="verdict image of grid x grid targets (d = 2); 0: none")
    n_show: int = Field(6, ge=0, le=50, description="trajectories drawn in target space")

    @model_validator(mode="after")
    def _dims(self) -> LearnabilitySpec:
        check_dims(self.model, self.d, self.W)
        return self


def build_model(spec: CurveFlowSpec, name: str) -> AbstractCurveModel:
    """The zoo model ``name``; the spec's W applies to the models whose W is free."""
    W = spec.W if name in FREE_W_MODELS else None
    return make_model(name, d=spec.d, W=W, seed=spec.seed, terms=spec.terms, degree=spec.degree)


def fit_targets(
    model: AbstractCurveModel,
    targets: np.ndarray,
    spec: CurveFlowSpec,
    *,
    save: Save = Save(),
    progress: bool = False,
    label: str = "targets",
) -> Trajectory:
    """Gradient flow (or GD) for each row of ``targets`` from w0, through :func:`simulate`."""
    problem = CurveFit(model=model, target=jnp.asarray(targets))
    return simulate(
        problem,
        spec.dynamics_object(),
        jnp.full((model.W,), spec.w0),
        over=lambda p: p.target,
        save=save,
        stop=spec.stop(),
        progress=progress,
        description=label,
    )


def sample_targets(spec: LearnabilitySpec) -> np.ndarray:
    key = jax.random.fold_in(jax.random.key(spec.seed), 1)
    if spec.targets == "uniform":
        return np.asarray(jax.random.uniform(key, (spec.n_targets, spec.d), minval=-spec.box, maxval=spec.box))
    return np.asarray(spec.box * jax.random.normal(key, (spec.n_targets, spec.d)))


def _quantiles(values: np.ndarray) -> dict[str, float]:
    qs = np.quantile(values, [0.0, 0.1, 0.5, 0.9, 1.0])
    return {name: float(q) for name, q in zip(["min", "q10", "median", "q90", "max"], qs, strict=True)}


class Learnability(Experiment):
    name = "learnability"
    spec_class = LearnabilitySpec

    def run(self, spec: LearnabilitySpec, *, progress: bool = False) -> Result:
        model = build_model(spec, spec.model)
        targets = sample_targets(spec)
        save = Save.logspace(1e-2, spec.t1, 24)
        traj = fit_targets(
            model, targets, spec, save=Save(ts=save.ts, observables=("loss",)), progress=progress, label=f"{spec.model}: targets"
        )
        fractions = verdict_fractions(traj.verdict)
        not_learned = traj.verdict != 0
        trapped_share = float(np.mean(traj.verdict[not_learned] == 1)) if not_learned.any() else float("nan")
        metrics: dict[str, Any] = {
            "model": spec.model,
            "W": model.W,
            "d": model.d,
            "n_targets": spec.n_targets,
            "fractions": fractions,
            "trapped_share_of_not_learned": trapped_share,
            "final_loss": _quantiles(traj.final_loss),
            "stop_time": _quantiles(traj.t_final),
            "steps_mean": float(np.mean(traj.steps)),
        }
        table = pd.DataFrame(
            {
                "trajectory": np.repeat(np.arange(spec.n_targets), len(traj.ts)),
                "t": np.tile(traj.ts, spec.n_targets),
                "loss": traj.observations["loss"].ravel(),
                "verdict": np.repeat(traj.verdict_names, len(traj.ts)),
            }
        )
        figures = {"final_loss": _final_loss_figure(traj, spec)}
        shown = targets[: spec.n_show]
        if spec.n_show:
            dense = Save(ts=tuple(np.concatenate([[0.0], np.geomspace(1e-3, spec.t1, 400)]).tolist()), observables=("output",))
            paths = fit_targets(model, shown, spec, save=dense)
            figures["trajectories"] = _trajectory_figure(model, spec, shown, paths, traj.final_params)
        if spec.d == 2 and spec.grid:
            axis = np.linspace(-spec.box, spec.box, spec.grid)
            grid_targets = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
            grid_traj = fit_targets(model, grid_targets, spec, progress=progress, label=f"{spec.model}: verdict grid")
            metrics["grid_fractions"] = verdict_fractions(grid_traj.verdict)
            figures["verdict_map"] = _verdict_map_figure(model, spec, axis, grid_traj)
        return Result(metrics=metrics, table=table, figures=figures)


def curve_points(model: AbstractCurveModel, w_range: tuple[float, float], num: int = 4000) -> np.ndarray:
    """Points of the image of Phi: a curve for W = 1, a scatter of a parameter grid otherwise."""
    lo, hi = w_range
    if model.W == 1:
        ws = np.linspace(lo, hi, num)[:, None]
    else:
        side = int(np.sqrt(num))
        axes = [np.linspace(lo, hi, side)] * 2 + [np.zeros(1)] * (model.W - 2)
        ws = np.stack(np.meshgrid(*axes), -1).reshape(-1, model.W)
    return np.asarray(jax.vmap(model)(jnp.asarray(ws)))


def _w_range(final_params: np.ndarray, w0: float) -> tuple[float, float]:
    """Parameters drawn: what the trajectories visited, and at least |w - w0| <= 15 for curves
    (|w - w0| <= 3 for surfaces) so that a dense curve like the sin-curve shows as dense."""
    finite = final_params[np.isfinite(final_params)]
    span = float(np.max(np.abs(finite - w0))) if finite.size else 1.0
    floor = 15.0 if final_params.ndim == 1 or final_params.shape[-1] == 1 else 3.0
    half = max(1.2 * span + 0.5, floor)
    return (w0 - half, w0 + half)


def _final_loss_figure(traj: Trajectory, spec: LearnabilitySpec) -> Any:
    from gflab.plots import VERDICT_COLORS, figure

    fig, ax = figure()
    losses = np.clip(traj.final_loss, 1e-20, None)
    bins = np.geomspace(max(losses.min(), 1e-20), max(losses.max(), 1e-19) * 1.01, 50)
    for code, name in enumerate(VERDICT_NAMES):
        sel = traj.verdict == code
        if sel.any():
            ax.hist(losses[sel], bins=bins, color=VERDICT_COLORS[code], label=f"{name} ({sel.mean():.3f})", alpha=0.85)
    ax.axvline(spec.tol, color="k", ls="--", lw=1, label=f"tol = {spec.tol:g}")
    ax.set(xscale="log", xlabel="final loss", ylabel="targets", title=f"{spec.model}: final losses of {spec.n_targets} targets")
    ax.legend(fontsize=8)
    return fig


def _trajectory_figure(
    model: AbstractCurveModel, spec: LearnabilitySpec, shown: np.ndarray, paths: Trajectory, finals: np.ndarray
) -> Any:
    from gflab.plots import VERDICT_COLORS, figure

    fig, ax = figure(width=5.5, height=5.0)
    image = curve_points(model, _w_range(np.asarray(finals), spec.w0))
    style = "-" if model.W == 1 else "."
    ax.plot(
        image[:, 0],
        image[:, 1],
        style,
        color="0.75",
        lw=0.6,
        ms=0.6,
        label="image of Phi" + (" (first 2 coords)" if spec.d > 2 else ""),
    )
    for i in range(len(shown)):
        out = paths.observations["output"][i]
        color = VERDICT_COLORS[paths.verdict[i]]
        ax.plot(out[:, 0], out[:, 1], color=color, lw=1.2)
        ax.plot(out[-1, 0], out[-1, 1], "o", color=color, ms=4)
        ax.plot(shown[i, 0], shown[i, 1], "x", color=color, ms=7)
    ax.set(
        xlim=(-1.6 * spec.box, 1.6 * spec.box), ylim=(-1.6 * spec.box, 1.6 * spec.box), aspect="equal", xlabel="x1", ylabel="x2"
    )
    ax.set_title(f"{spec.model}: Phi(w(t)) (lines) and targets (x)", fontsize=10)
    return fig


def _verdict_map_figure(model: AbstractCurveModel, spec: LearnabilitySpec, axis: np.ndarray, grid_traj: Trajectory) -> Any:
    from gflab.plots import VERDICT_CMAP, figure, verdict_legend

    fig, ax = figure(width=5.5, height=5.0)
    n = len(axis)
    ax.imshow(
        grid_traj.verdict.reshape(n, n),
        origin="lower",
        extent=(axis[0], axis[-1], axis[0], axis[-1]),
        cmap=VERDICT_CMAP,
        vmin=-0.5,
        vmax=3.5,
        interpolation="nearest",
    )
    image = curve_points(model, _w_range(np.asarray(grid_traj.final_params), spec.w0))
    ax.plot(image[:, 0], image[:, 1], "-" if model.W == 1 else ".", color="k", lw=0.4, ms=0.5)
    ax.set(xlim=(axis[0], axis[-1]), ylim=(axis[0], axis[-1]), aspect="equal", xlabel="f1", ylabel="f2")
    ax.set_title(f"{spec.model}: verdict for each target (grid {n}x{n})", fontsize=10)
    verdict_legend(ax, np.unique(grid_traj.verdict))
    return fig
