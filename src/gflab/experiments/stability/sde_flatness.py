"""Experiment ``sde-flatness`` (seed 004): near a valley of minima the SGD noise drives x to flatter minima.

The SDE of :class:`gflab.problems.valley.Valley` (f = h(x) y^2, noise sqrt(eta h(x)) sigma on
y) is integrated by Euler-Maruyama (step ``dt``) for ``paths`` independent paths per step size
eta, all starting on the manifold at (x0, 0). The mean of x(t) over the paths is compared with
the quasi-static prediction, the gradient flow of eta sigma^2 h(x) / 4 from x0 (adaptive Tsit5,
rtol 1e-10): the relative error of the displacement x(T) - x0, and of the stationary E[y^2]
(the late half of the run) against eta sigma^2 / 4. Euler-Maruyama biases the variance of y by
about h dt (see :mod:`gflab.dynamics.sde`); the quasi-static limit itself is exact as
eta sigma^2 h' / (4 h) -> 0 (the ratio of the two time scales).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from gflab._jax import jax_module
from gflab.experiments.base import Experiment, Result, Spec
from gflab.problems import valley as valley_problem
from gflab.problems.valley import Flatness, Valley, position
from gflab.simulation import Save, Stop, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

_VALLEY_OBSERVABLES = {"x_mean": valley_problem.x_mean, "x_std": valley_problem.x_std, "y2_mean": valley_problem.y2_mean}


class SDEFlatnessSpec(Spec):
    h: Flatness = Field("quadratic", description="flatness profile h(x) along the valley")
    sigma: float = Field(1.0, gt=0, le=100)
    etas: list[float] = Field([0.005, 0.01, 0.02], min_length=1, description="SGD step sizes (noise scales)")
    x0: float = Field(1.0, ge=-5, le=5)
    paths: int = Field(4000, ge=10, le=10_000_000)
    t1: float = Field(100.0, gt=0)
    dt: float = Field(0.002, gt=0, le=0.1)
    save_points: int = Field(51, ge=2, le=10_000)
    seed: int = Field(0, ge=0)


class SDEFlatness(Experiment):
    name = "sde-flatness"
    spec_class = SDEFlatnessSpec

    def run(self, spec: SDEFlatnessSpec, *, progress: bool = False) -> Result:
        from gflab.dynamics import EulerMaruyama, GradientFlow

        etas = np.asarray(spec.etas, float)
        keys = jax.vmap(lambda i: jax.random.key_data(jax.random.fold_in(jax.random.key(spec.seed), i)))(jnp.arange(len(etas)))
        valley = Valley(eta=jnp.asarray(etas), sigma=jnp.asarray(spec.sigma), key=keys, h=spec.h)
        ts = np.linspace(0.0, spec.t1, spec.save_points)
        start = {"x": jnp.full(spec.paths, spec.x0), "y": jnp.zeros(spec.paths)}
        # tol = gtol = 0: the paths never "converge"; they run to t1
        sde = simulate(
            valley, EulerMaruyama(dt=spec.dt, t1=spec.t1), start, over=lambda p: (p.eta, p.key),
            save=Save(ts=tuple(ts), observables=_VALLEY_OBSERVABLES), stop=Stop(tol=0.0, gtol=0.0), progress=progress, description="Euler-Maruyama",
        )  # fmt: skip
        quasi = valley.quasi_static()
        flow = simulate(
            quasi, GradientFlow(rtol=1e-10, atol=1e-12, t1=spec.t1), jnp.asarray(spec.x0), over=lambda p: p.coefficient,
            save=Save(ts=tuple(ts), observables={"x": position}), stop=Stop(tol=0.0, gtol=0.0),
        )  # fmt: skip
        x_pred = flow.observations["x"]
        x_mean, x_std, y2 = (sde.observations[k] for k in ("x_mean", "x_std", "y2_mean"))
        predicted = x_pred[:, -1] - spec.x0
        measured = x_mean[:, -1] - spec.x0
        late = ts >= ts[-1] / 2
        y2_predicted = etas * spec.sigma**2 / 4
        rows = [
            {
                "eta": float(e),
                "predicted_displacement": float(p),
                "measured_displacement": float(m),
                "standard_error": float(s / np.sqrt(spec.paths)),
                "relative_error": float(abs(m / p - 1)),
                "y2_predicted": float(q),
                "y2_measured": float(np.mean(y2[i, late])),
            }
            for i, (e, p, m, s, q) in enumerate(zip(etas, predicted, measured, x_std[:, -1], y2_predicted, strict=True))
        ]
        metrics: dict[str, Any] = {
            "drift": rows,
            "max_relative_error": max(r["relative_error"] for r in rows),
            "max_y2_relative_error": max(abs(r["y2_measured"] / r["y2_predicted"] - 1) for r in rows),
        }
        table = pd.DataFrame(
            {
                "eta": np.repeat(etas, len(ts)),
                "t": np.tile(ts, len(etas)),
                "x_mean": x_mean.ravel(),
                "x_quasi_static": x_pred.ravel(),
                "y2_mean": y2.ravel(),
            }
        )
        return Result(metrics=metrics, table=table, figures={"drift": _figure(spec, ts, etas, x_mean, x_std, x_pred, y2)})


def _figure(
    spec: SDEFlatnessSpec,
    ts: np.ndarray,
    etas: np.ndarray,
    x_mean: np.ndarray,
    x_std: np.ndarray,
    x_pred: np.ndarray,
    y2: np.ndarray,
) -> Any:
    from gflab.plots import figure

    fig, (ax, ax2) = figure(2, width=5.0, height=4.0)
    for i, eta in enumerate(etas):
        band = 1.96 * x_std[i] / np.sqrt(spec.paths)
        ax.fill_between(ts, x_mean[i] - band, x_mean[i] + band, color=f"C{i}", alpha=0.3)
        ax.plot(ts, x_mean[i], color=f"C{i}", label=f"SDE mean x, eta = {eta:g}")
        ax.plot(ts, x_pred[i], "k--", lw=0.8)
        ax2.plot(ts, y2[i] / (eta * spec.sigma**2 / 4), color=f"C{i}", label=f"eta = {eta:g}")
    ax.set(xlabel="t", ylabel="x", title=f"drift along the valley (h: {spec.h}); dashed: quasi-static flow")
    ax.legend(fontsize=7)
    ax2.axhline(1.0, color="k", ls="--", lw=0.8)
    ax2.set(xlabel="t", ylabel="E[y^2] / (eta sigma^2 / 4)", title="local equilibrium of y")
    ax2.legend(fontsize=7)
    return fig
