"""Experiment ``edge-of-stability`` (seed 004): full-batch GD drives the sharpness to 2 / eta.

A two-layer network (``scaling``, ``width``, ``sigma``) on ``data`` (scikit-learn's digits or a
random ReLU teacher) is trained by full-batch GD for every step size of ``etas`` from the same
initialisation (one ensemble: GD with step 1 on the loss scaled by eta). The sharpness (top
Hessian eigenvalue, Lanczos on Hessian-vector products) is recorded along training; the final
one is compared with the linear-stability bound 2 / eta, as in the talk's table (final
sharpness beside "prediction 2/eta"). The steps whose sharpness reached 2/eta (within ``near``)
are named in the metrics from the measurement (the edge-of-stability regime), and so are the
larger half of the steps that did not diverge with their worst gap to 2/eta.
Not yet here: the gradient-flow trajectory beside GD (their distance, the time the flow's
sharpness crosses 2/eta).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from gflab._jax import jax_module
from gflab.experiments.base import Experiment, Result, Spec
from gflab.problems.networks import Scaling, TwoLayerNet, dataset, init_params
from gflab.simulation import Save, Stop, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class EdgeOfStabilitySpec(Spec):
    data: Literal["digits", "teacher"] = "digits"
    n: int = Field(400, ge=2, le=1797, description="training samples")
    width: int = Field(32, ge=1, le=4096)
    sigma: str = Field("tanh", description="activation")
    scaling: Scaling = "conventional"
    etas: list[float] = Field([0.01, 0.02, 0.05, 0.1, 0.2], min_length=1, description="GD step sizes")
    steps: int = Field(3000, ge=1, le=10_000_000)
    save_points: int = Field(31, ge=2, le=2000)
    matvecs: int = Field(20, ge=2, le=500, description="Lanczos Hessian-vector products per sharpness")
    near: float = Field(0.2, gt=0, lt=1, description="a step is at the edge when its final sharpness is within this of 2/eta")
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
        save = Save(ts=tuple(np.linspace(0.0, spec.steps, spec.save_points).round()), observables=("loss", "sharpness"))
        traj = simulate(
            problem, GradientDescent(eta=1.0, t1=float(spec.steps)), params, over=lambda p: p.scale,
            save=save, stop=Stop(bound=1e10), progress=progress, description="GD over step sizes",
        )  # fmt: skip
        sharp = traj.observations["sharpness"]  # (etas, T)
        final = sharp[:, -1]
        bound = 2.0 / etas
        ratio = final / bound
        diverged = ~np.isfinite(traj.final_loss) | (traj.verdict == 3)
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
        table = pd.DataFrame(
            {
                "eta": np.repeat(etas, len(save.ts)),
                "step": np.tile(np.asarray(save.ts), len(etas)),
                "loss": traj.observations["loss"].ravel(),
                "sharpness": sharp.ravel(),
            }
        )
        return Result(metrics=metrics, table=table, figures={"sharpness": _figure(spec, np.asarray(save.ts), sharp, etas)})


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
