"""Experiment ``edge-of-stability`` (seed 004): full-batch GD drives the sharpness to 2 / eta.

A two-layer network (``scaling``, ``width``, ``sigma``) on ``data`` (scikit-learn's digits or a
random ReLU teacher) is trained by full-batch GD for every step size of ``etas`` from the same
initialisation (one ensemble: GD with step 1 on the loss scaled by eta). The sharpness (top
Hessian eigenvalue, Lanczos on Hessian-vector products) is recorded along training; the final
one is compared with the linear-stability bound 2 / eta, as in the talk's table (final
sharpness beside "prediction 2/eta"). The steps whose sharpness reached 2/eta (within ``near``)
are named in the metrics from the measurement (the edge-of-stability regime), and so are the
larger half of the steps that did not diverge with their worst gap to 2/eta.

At the end of training, the Hessian's spectral density (stochastic Lanczos quadrature) of the
whole network and of each layer (parameter blocks ``w`` and ``a``), and its trace (Hutchinson),
for the smallest and the largest step that did not diverge.

Beside GD, the gradient flow from the same initialisation (adaptive Tsit5, ``rtol``/``atol``)
is saved at every GD time k eta: the distance |theta_GD - theta_GF| over time, and the time
at which the flow's sharpness first crosses 2/eta (GD leaves the flow around there).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from gflab._jax import jax_module
from gflab.experiments.base import Experiment, Result, Spec
from gflab.measure.hessian import sharpness_array
from gflab.problems.networks import Scaling, TwoLayerNet, dataset, init_params
from gflab.results import Verdict
from gflab.simulation import Save, Stop, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def _loss(problem: TwoLayerNet, params: Any) -> jax.Array:
    return problem.unscaled_loss(params)


def _sharpness(problem: TwoLayerNet, params: Any) -> jax.Array:
    return sharpness_array(problem.unscaled_loss, params)


def _flat_params(problem: TwoLayerNet, params: Any) -> jax.Array:
    return jnp.concatenate([jnp.ravel(params[k]) for k in sorted(params)])


class EdgeOfStabilitySpec(Spec):
    data: Literal["digits", "teacher", "barron", "cosine"] = "digits"
    n: int = Field(400, ge=2, le=1797, description="training samples")
    width: int = Field(32, ge=1, le=4096)
    sigma: str = Field("tanh", description="activation")
    scaling: Scaling = "conventional"
    etas: list[float] = Field([0.01, 0.02, 0.05, 0.1, 0.2], min_length=1, description="GD step sizes")
    steps: int = Field(3000, ge=1, le=10_000_000)
    save_points: int = Field(31, ge=2, le=2000)
    matvecs: int = Field(20, ge=2, le=500, description="Lanczos Hessian-vector products per sharpness")
    near: float = Field(0.2, gt=0, lt=1, description="a step is at the edge when its final sharpness is within this of 2/eta")
    flow: bool = Field(True, description="also run the gradient flow from the same start")
    rtol: float = Field(1e-7, gt=0, lt=1)
    atol: float = Field(1e-9, gt=0)
    seed: int = Field(0, ge=0)


class EdgeOfStability(Experiment):
    name = "edge-of-stability"
    spec_class = EdgeOfStabilitySpec

    def run(self, spec: EdgeOfStabilitySpec, *, progress: bool = False) -> Result:
        from gflab.dynamics import GradientDescent

        x, y = dataset(spec.data, spec.n, spec.seed)
        params, frozen = init_params(jax.random.key(spec.seed), x.shape[1], spec.width, spec.scaling)
        etas = np.asarray(spec.etas, float)
        problem = TwoLayerNet(
            x=jnp.asarray(x), y=jnp.asarray(y), frozen=frozen, scale=jnp.asarray(etas), sigma=spec.sigma, scaling=spec.scaling
        )
        steps = np.unique(np.linspace(0.0, spec.steps, spec.save_points).round())
        save = Save(ts=tuple(steps), observables={"loss": _loss, "sharpness": _sharpness, "params": _flat_params})
        traj = simulate(
            problem, GradientDescent(eta=1.0, t1=float(spec.steps)), params, over=lambda p: p.scale,
            save=save, stop=Stop(bound=1e10), progress=progress, description="GD over step sizes",
        )  # fmt: skip
        sharp = traj.observations["sharpness"]  # (etas, T)
        final = sharp[:, -1]
        bound = 2.0 / etas
        ratio = final / bound
        diverged = ~np.isfinite(traj.final_loss) | (traj.verdict == Verdict.DIVERGED)
        edge = (~diverged) & (np.abs(ratio - 1.0) <= spec.near)
        stable = ~diverged
        large = stable & (etas >= np.median(etas[stable])) if stable.any() else stable
        metrics: dict[str, Any] = {
            "table": [
                {
                    "eta": float(e),
                    "final_sharpness": float(s),
                    "two_over_eta": float(b),
                    "ratio": float(r),
                    "final_loss": float(lo),
                }
                for e, s, b, r, lo in zip(etas, final, bound, ratio, traj.final_loss, strict=True)
            ],
            # over the runs that did not diverge (a diverged run has no final sharpness)
            "max_ratio": float(np.max(ratio[stable])) if stable.any() else None,
            "large_steps": etas[large].tolist(),
            "large_steps_gap": float(np.max(np.abs(ratio[large] - 1.0))) if large.any() else None,
            "edge_steps": etas[edge].tolist(),
            "edge_worst_gap": float(np.max(np.abs(ratio[edge] - 1.0))) if edge.any() else None,
            "diverged_steps": etas[diverged].tolist(),
        }
        columns = {
            "eta": np.repeat(etas, len(steps)),
            "step": np.tile(steps, len(etas)),
            "loss": traj.observations["loss"].ravel(),
            "sharpness": sharp.ravel(),
        }
        figures = {"sharpness": _figure(spec, steps, sharp, etas)}
        if stable.any():
            ends = sorted({int(np.argmin(np.where(stable, etas, np.inf))), int(np.argmax(np.where(stable, etas, -np.inf)))})
            metrics["spectrum"], figures["spectrum"] = _spectra(problem, traj.final_params, etas, ends)
        if spec.flow:
            distance, crossing = self._beside_flow(spec, problem, params, etas, steps, traj.observations["params"], sharp)
            columns["distance_to_flow"] = distance.ravel()
            metrics["flow"] = {
                "final_distance": dict(zip(map(str, etas), distance[:, -1].tolist(), strict=True)),
                "flow_crosses_2_over_eta_at": dict(zip(map(str, etas), crossing["flow"].tolist(), strict=True)),
                "gd_reaches_2_over_eta_at": dict(zip(map(str, etas), crossing["gd"].tolist(), strict=True)),
            }
            figures["distance_to_flow"] = _distance_figure(steps, etas, distance, crossing)
        return Result(metrics=metrics, table=pd.DataFrame(columns), figures=figures)

    @staticmethod
    def _beside_flow(
        spec: EdgeOfStabilitySpec,
        problem: TwoLayerNet,
        params: Any,
        etas: np.ndarray,
        steps: np.ndarray,
        gd_params: np.ndarray,
        gd_sharp: np.ndarray,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Gradient flow saved at every time k eta; distances to GD and the 2/eta crossing times."""
        from gflab.dynamics import GradientFlow
        from gflab.measure.timing import hitting_time

        times = np.unique(np.outer(etas, steps).ravel())
        flow_problem = _with_scale(problem, 1.0)
        flow = simulate(
            flow_problem, GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=float(times[-1])), params,
            save=Save(ts=tuple(times), observables={"sharpness": _sharpness, "params": _flat_params}), stop=Stop(bound=1e10),
        )  # fmt: skip
        index = np.searchsorted(times, np.outer(etas, steps))
        distance = np.linalg.norm(gd_params - flow.observations["params"][index], axis=-1)  # (etas, T)
        crossing = {
            "flow": np.array([hitting_time(times, flow.observations["sharpness"], 2.0 / e) for e in etas], dtype=float),
            "gd": np.array([hitting_time(e * steps, gd_sharp[i], 0.95 * 2.0 / e) for i, e in enumerate(etas)], dtype=float),
        }
        return distance, crossing


def _spectra(problem: TwoLayerNet, final: Any, etas: np.ndarray, ends: list[int]) -> tuple[dict[str, Any], Any]:
    """Spectral densities (whole network and per layer) and traces at the end of the runs ``ends``."""
    from gflab.measure.hessian import hessian_trace, spectral_density
    from gflab.plots import figure

    loss = problem.unscaled_loss  # independent of the batched step leaf
    fig, axes = figure(len(ends), width=5.0, height=3.8)
    axes = np.atleast_1d(axes)
    summary: dict[str, Any] = {}
    for ax, i in zip(axes, ends, strict=True):
        params = jax.tree.map(lambda leaf, i=i: leaf[i], final)
        summary[str(etas[i])] = {}
        peak = 0.0
        for j, block in enumerate((None, "w", "a")):
            slq = spectral_density(loss, params, probes=8, num_matvecs=60, block=block)
            trace, error = hessian_trace(loss, params, probes=100, block=block)
            top = float(slq.nodes.max())
            grid = np.linspace(float(slq.nodes.min()) - 0.05 * top, 1.05 * top, 600)
            name = block or "all"
            summary[str(etas[i])][name] = {
                "trace": trace,
                "trace_error": error,
                "top_ritz_value": top,
                "parameters": slq.dimension,
            }
            density = slq.density(grid, width=0.02 * top)
            peak = max(peak, float(density.max()))
            ax.semilogy(grid, density, color=f"C{j}", label=f"{name} ({slq.dimension} params)")
        ax.axvline(2 / etas[i], color="k", ls="--", lw=0.8, label="2 / eta")
        ax.set(
            xlabel="Hessian eigenvalue",
            ylabel="density (SLQ)",
            title=f"end of training, eta = {etas[i]:g}",
            ylim=(1e-6 * peak, 3 * peak),
        )
        ax.legend(fontsize=7)
    return summary, fig


def _with_scale(problem: TwoLayerNet, scale: float) -> TwoLayerNet:
    import equinox as eqx

    return eqx.tree_at(lambda p: p.scale, problem, jnp.asarray(scale))


def _distance_figure(steps: np.ndarray, etas: np.ndarray, distance: np.ndarray, crossing: dict[str, np.ndarray]) -> Any:
    from gflab.plots import figure

    fig, ax = figure(width=5.5, height=4.0)
    for i, eta in enumerate(etas):
        ax.plot(eta * steps, distance[i], color=f"C{i}", label=f"eta = {eta:g}")
        if np.isfinite(crossing["flow"][i]):
            ax.axvline(crossing["flow"][i], color=f"C{i}", ls=":", lw=0.8)
    ax.set(xlabel="time t = k eta", ylabel="|theta_GD - theta_GF|", xscale="log", yscale="log")
    ax.set_title("GD against gradient flow; dotted: flow sharpness crosses 2/eta")
    ax.legend(fontsize=7)
    return fig


def _figure(spec: EdgeOfStabilitySpec, steps: np.ndarray, sharp: np.ndarray, etas: np.ndarray) -> Any:
    from gflab.plots import figure

    fig, (ax, ax2) = figure(2, width=5.0, height=4.0)
    for i, eta in enumerate(etas):
        ax.plot(steps, sharp[i], color=f"C{i}", label=f"eta = {eta:g}")
        ax.axhline(2 / eta, color=f"C{i}", ls="--", lw=0.8)
    ax.set(
        xlabel="GD step", ylabel="sharpness (top Hessian eigenvalue)", yscale="log", title=f"{spec.data}: sharpness; dashed 2/eta"
    )
    ax.legend(fontsize=7)
    ax2.loglog(2 / etas, sharp[:, -1], "o", label="final sharpness")
    line = np.array([np.min(2 / etas), np.max(2 / etas)])
    ax2.loglog(line, line, "k--", lw=0.8, label="2/eta")
    ax2.set(xlabel="2 / eta", ylabel="final sharpness", title="final sharpness against 2/eta")
    ax2.legend(fontsize=7)
    return fig
