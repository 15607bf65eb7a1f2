"""Experiment ``sde-flatness``: near a valley of minima the SGD noise drives x to flatter minima.

The SDE of SGD near a manifold of minima drifts along it towards flatter minima (Ma, Wu & E
2022; E, Ma, Wojtowytsch & Wu, "Towards a mathematical theory of machine learning"). The SDE of
:class:`gflab.problems.valley.Valley` (f = h(x) y^2, noise sqrt(eta h(x)) sigma on y) is
integrated by Euler-Maruyama (step ``dt``) for ``paths`` independent paths per step size eta
(one trajectory each, its own noise stream), all starting on the manifold at (x0, 0). The mean
of x(t) over the paths is compared with the quasi-static prediction, the gradient flow of
eta sigma^2 h(x) / 4 from x0 (adaptive Tsit5, rtol 1e-10): the relative error of the
displacement x(T) - x0, and of the stationary E[y^2] (the late half of the run) against
eta sigma^2 / 4 (:func:`gflab.theory.stability.valley_equilibrium_variance`). Euler-Maruyama
biases the variance of y by about h dt (see :mod:`gflab.dynamics.sde`); the quasi-static limit
itself is exact as eta sigma^2 h' / (4 h) -> 0 (the ratio of the two time scales).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics import EulerMaruyama, GradientFlow
from gflab.experiments.base import Experiment, Result
from gflab.experiments.stability.specs import SDEFlatnessSpec
from gflab.problems.valley import Point, QuasiStatic, Valley, position
from gflab.simulation import Save, Stop, simulate
from gflab.theory.stability import valley_equilibrium_variance

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

_SLOTS = 1 << 13  # scalar paths: wide rounds


def along(problem: Valley, params: Point) -> jax.Array:
    """Observable: the position x along the valley."""
    return params["x"]


def across2(problem: Valley, params: Point) -> jax.Array:
    """Observable: y^2, the squared distance from the valley's floor."""
    return params["y"] ** 2


class SDEFlatness(Experiment):
    name = "sde-flatness"
    spec_class = SDEFlatnessSpec

    def run(self, spec: SDEFlatnessSpec, *, progress: bool = False) -> Result:
        etas = np.asarray(spec.etas, float)
        n = len(etas) * spec.paths
        base = jax.random.key(spec.seed)
        keys = jax.vmap(lambda i: jax.random.key_data(jax.random.fold_in(base, i)))(jnp.arange(n))
        valley = Valley(eta=jnp.asarray(np.repeat(etas, spec.paths)), sigma=jnp.asarray(spec.sigma), key=keys, h=spec.h)
        ts = np.linspace(0.0, spec.t1, spec.save_points)
        start = {"x": jnp.asarray(spec.x0), "y": jnp.asarray(0.0)}
        # tol = gtol = 0: the paths never "converge"; they run to t1
        sde = simulate(
            valley, EulerMaruyama(dt=spec.dt, t1=spec.t1), start, over=lambda p: (p.eta, p.key),
            save=Save(ts=ts, observables={"x": along, "y2": across2}), stop=Stop(tol=0.0, gtol=0.0),
            slots=_SLOTS, round_steps=1024, progress=progress, description="Euler-Maruyama",
        )  # fmt: skip
        x = sde.observations["x"].reshape(len(etas), spec.paths, len(ts))
        x_mean, x_std = x.mean(axis=1), x.std(axis=1)
        y2 = sde.observations["y2"].reshape(len(etas), spec.paths, len(ts)).mean(axis=1)
        quasi = QuasiStatic(coefficient=jnp.asarray(valley_equilibrium_variance(etas, spec.sigma)), h=spec.h)
        flow = simulate(
            quasi, GradientFlow(rtol=1e-10, atol=1e-12, t1=spec.t1), jnp.asarray(spec.x0), over=lambda p: p.coefficient,
            save=Save(ts=ts, observables={"x": position}), stop=Stop(tol=0.0, gtol=0.0),
        )  # fmt: skip
        x_pred = flow.observations["x"]
        predicted = x_pred[:, -1] - spec.x0
        measured = x_mean[:, -1] - spec.x0
        late = ts >= ts[-1] / 2
        y2_predicted = valley_equilibrium_variance(etas, spec.sigma)
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
