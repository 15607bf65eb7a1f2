"""Experiment ``edge-of-stability``: full-batch GD drives the sharpness up to 2 / eta and holds it there.

The linear-stability bound of GD (E, Ma, Wojtowytsch & Wu, "Towards a mathematical theory of
machine learning"; Wu, Ma & E 2018): GD cannot stay near a minimum whose sharpness (top Hessian
eigenvalue) exceeds 2 / eta; full-batch GD on neural networks raises the sharpness until it
reaches 2 / eta and then hovers there, the edge of stability (Cohen, Kaur, Li, Kolter &
Talwalkar 2021).

A two-layer network (``scaling``, ``width``, ``sigma``) on ``data`` (scikit-learn's digits or a
random ReLU teacher) is trained by full-batch GD for every step size of ``etas`` from the same
initialisation: one ensemble, the step size per trajectory, each run ``steps`` steps (time
t = k eta). The sharpness (Lanczos on Hessian-vector products, ``matvecs`` of them,
:func:`gflab.measure.hessian.sharpness_array`) is recorded along training; the final one is
compared with 2 / eta, as in the talk's table (final sharpness beside "prediction 2/eta"). The
steps whose sharpness reached 2/eta (within ``near``) are named in the metrics from the
measurement (the edge-of-stability regime), and so are the larger half of the steps that did
not diverge with their worst gap to 2/eta.

At the end of training, the Hessian's spectral density (stochastic Lanczos quadrature) of the
whole network and of each layer (parameter blocks ``w`` and ``a``), and its trace (Hutchinson),
for the smallest and the largest step that did not diverge.

Beside GD, the gradient flow from the same initialisation (adaptive Tsit5, ``rtol``/``atol``)
is saved at every time at which a GD run recorded its state: the distance |theta_GD - theta_GF|
over time, and the time at which the flow's sharpness first crosses 2/eta (GD leaves the flow
around there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics import GradientDescent, GradientFlow
from gflab.experiments.base import Experiment, Result
from gflab.experiments.stability.specs import EdgeOfStabilitySpec
from gflab.measure.hessian import hessian_trace, sharpness_array, spectral_density
from gflab.measure.timing import hitting_time
from gflab.problems.networks import TwoLayerNet, dataset, init_params
from gflab.results import Verdict
from gflab.simulation import Observable, Save, Stop, loss, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


@dataclass(frozen=True)
class Sharpness:
    """Observable: lambda_max of the loss's Hessian by ``matvecs`` Lanczos steps (compares by
    value, so the same ``matvecs`` reuses the compiled ensemble)."""

    matvecs: int

    def __call__(self, problem: TwoLayerNet, params: Any) -> jax.Array:
        return sharpness_array(problem.loss, params, num_matvecs=self.matvecs)


def flat_params(problem: TwoLayerNet, params: Any) -> jax.Array:
    """Observable: the parameters as one vector (blocks in sorted order)."""
    return jnp.concatenate([jnp.ravel(params[k]) for k in sorted(params)])


class EdgeOfStability(Experiment):
    name = "edge-of-stability"
    spec_class = EdgeOfStabilitySpec

    def run(self, spec: EdgeOfStabilitySpec, *, progress: bool = False) -> Result:
        x, y = dataset(spec.data, spec.n_samples, spec.seed)
        params, frozen = init_params(jax.random.key(spec.seed), x.shape[1], spec.width, spec.scaling)
        etas = np.asarray(spec.etas, float)
        problem = TwoLayerNet(x=jnp.asarray(x), y=jnp.asarray(y), frozen=frozen, sigma=spec.sigma, scaling=spec.scaling)
        steps = np.unique(np.linspace(0.0, spec.steps, spec.save_points).round())
        observables: dict[str, Observable] = {"loss": loss, "sharpness": Sharpness(spec.matvecs), "params": flat_params}
        traj = simulate(
            problem, GradientDescent(eta=jnp.asarray(etas), t1=jnp.asarray(spec.steps * etas)), params,
            dynamics_over=lambda d: (d.eta, d.t1), save=Save(ts=np.outer(etas, steps), observables=observables),
            stop=Stop(bound=1e10), progress=progress, description="GD over step sizes",
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
            "t": traj.saved_ts.ravel(),
            "loss": traj.observations["loss"].ravel(),
            "sharpness": sharp.ravel(),
        }
        figures = {"sharpness": _figure(spec, steps, sharp, etas)}
        if stable.any():
            ends = sorted({int(np.argmin(np.where(stable, etas, np.inf))), int(np.argmax(np.where(stable, etas, -np.inf)))})
            metrics["spectrum"], figures["spectrum"] = _spectra(problem, traj.final_params, etas, ends)
        if spec.flow:
            distance, crossing = self._beside_flow(spec, problem, params, etas, traj.saved_ts, traj.observations["params"], sharp)
            columns["distance_to_flow"] = distance.ravel()
            metrics["flow"] = {
                "final_distance": dict(zip(map(str, etas), distance[:, -1].tolist(), strict=True)),
                "flow_crosses_2_over_eta_at": dict(zip(map(str, etas), crossing["flow"].tolist(), strict=True)),
                "gd_reaches_2_over_eta_at": dict(zip(map(str, etas), crossing["gd"].tolist(), strict=True)),
            }
            figures["distance_to_flow"] = _distance_figure(traj.saved_ts, etas, distance, crossing)
        return Result(metrics=metrics, table=pd.DataFrame(columns), figures=figures)

    @staticmethod
    def _beside_flow(
        spec: EdgeOfStabilitySpec,
        problem: TwoLayerNet,
        params: Any,
        etas: np.ndarray,
        gd_ts: np.ndarray,
        gd_params: np.ndarray,
        gd_sharp: np.ndarray,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Gradient flow saved at every time a GD run recorded (``gd_ts``, (etas, T)); the
        distances to GD and the 2/eta crossing times."""
        times = np.unique(gd_ts)
        flow = simulate(
            problem, GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=float(times[-1])), params,
            save=Save(ts=times, observables={"sharpness": Sharpness(spec.matvecs), "params": flat_params}),
            stop=Stop(bound=1e10),
        )  # fmt: skip
        index = np.searchsorted(times, gd_ts)
        distance = np.linalg.norm(gd_params - flow.observations["params"][index], axis=-1)  # (etas, T)
        crossing = {
            "flow": np.array([hitting_time(flow.saved_ts, flow.observations["sharpness"], 2.0 / e) for e in etas], dtype=float),
            "gd": np.array([hitting_time(gd_ts[i], gd_sharp[i], 0.95 * 2.0 / e) for i, e in enumerate(etas)], dtype=float),
        }
        return distance, crossing


def _spectra(problem: TwoLayerNet, final: Any, etas: np.ndarray, ends: list[int]) -> tuple[dict[str, Any], Any]:
    """Spectral densities (whole network and per layer) and traces at the end of the runs ``ends``."""
    from gflab.plots import figure

    fig, axes = figure(len(ends), width=5.0, height=3.8)
    axes = np.atleast_1d(axes)
    summary: dict[str, Any] = {}
    for ax, i in zip(axes, ends, strict=True):
        params = jax.tree.map(lambda leaf, i=i: leaf[i], final)
        summary[str(etas[i])] = {}
        peak = 0.0
        for j, block in enumerate((None, "w", "a")):
            slq = spectral_density(problem.loss, params, probes=8, num_matvecs=60, block=block)
            trace, error = hessian_trace(problem.loss, params, probes=100, block=block)
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


def _distance_figure(ts: np.ndarray, etas: np.ndarray, distance: np.ndarray, crossing: dict[str, np.ndarray]) -> Any:
    from gflab.plots import figure

    fig, ax = figure(width=5.5, height=4.0)
    for i, eta in enumerate(etas):
        ax.plot(ts[i], distance[i], color=f"C{i}", label=f"eta = {eta:g}")
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
