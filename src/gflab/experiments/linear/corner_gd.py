"""Experiment ``corner-gd``: stationary GD with fractional memory reaches L_t ~ t^(-theta zeta).

Yarotsky 2025, "Corner gradient descent" (:mod:`gflab.theory.corner`). On the deterministic
power-law quadratic (each (nu, kappa) of ``pairs``, ``n_modes`` modes, w = 0 at the start),
corner GD with each theta of ``thetas`` runs ``steps`` steps at rate ``eta``: theta = 1 is plain
GD; 1 < theta < 2 uses the finite-memory rational approximation of (1 - z)^(-(theta - 1))
(exponential memories log-spaced ``pole_step`` apart, accurate over the horizon). The loss
exponent fitted over the last decade is compared with theta zeta. The SGD-optimal corner
theta_max = min(2, nu, 2 / (zeta + 1/nu)) of the paper is tabulated for each pair (not measured).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics.spectral import heavy_ball_losses, memory_gd_losses
from gflab.experiments.base import Experiment, Result
from gflab.experiments.linear.specs import CornerGDSpec
from gflab.problems.power_law import PowerLawQuadratic
from gflab.theory.corner import memory_poles
from gflab.theory.power_law_rates import corner_theta_max, local_exponent

jax_module()  # float64 and host devices, before JAX is first used
import jax.numpy as jnp  # noqa: E402


def corner_losses(problem: PowerLawQuadratic, theta: float, alpha: float, steps: int, pole_step: float) -> np.ndarray:
    """The loss of corner GD at t = 0..steps (GD for theta = 1)."""
    lam, e0 = jnp.asarray(problem.eigenvalues), -jnp.asarray(problem.target)
    if theta == 1.0:
        return np.asarray(heavy_ball_losses(lam, e0, jnp.full(steps, alpha), jnp.zeros(steps)))
    rho, weights = memory_poles(theta, steps, step=pole_step)
    return np.asarray(memory_gd_losses(lam, e0, alpha, jnp.asarray(rho), jnp.asarray(weights), steps=steps))


class CornerGD(Experiment):
    name = "corner-gd"
    spec_class = CornerGDSpec

    def run(self, spec: CornerGDSpec, *, progress: bool = False) -> Result:
        rows, curves = [], []
        last = np.arange(spec.steps // 10, spec.steps + 1)
        shown = np.unique(np.geomspace(1, spec.steps, 120).round().astype(int))
        for nu, kappa in spec.pairs:
            problem = PowerLawQuadratic(nu, kappa, spec.n_modes)
            for theta in spec.thetas:
                losses = corner_losses(problem, theta, spec.eta, spec.steps, spec.pole_step)
                finite = bool(np.all(np.isfinite(losses)))
                fitted = local_exponent(last, losses[last]) if finite else float("nan")
                rows.append(
                    {"nu": nu, "kappa": kappa, "zeta": problem.zeta, "theta": theta, "fitted_exponent": fitted,
                     "predicted_exponent": theta * problem.zeta, "exponent_error": abs(fitted - theta * problem.zeta),
                     "verdict": "converged" if finite else "diverged", "theta_max_sgd": corner_theta_max(nu, kappa)}
                )  # fmt: skip
                curves.append(pd.DataFrame({"nu": nu, "kappa": kappa, "theta": theta, "step": shown, "loss": losses[shown]}))
        table = pd.DataFrame(rows)
        metrics: dict[str, Any] = {
            "max_exponent_error": float(table.exponent_error.max()),
            "rows": table.to_dict(orient="list"),
            "theta_max_sgd": {f"nu={nu:g},kappa={kappa:g}": corner_theta_max(nu, kappa) for nu, kappa in spec.pairs},
        }
        curve_table = pd.concat(curves, ignore_index=True)
        return Result(metrics=metrics, table=curve_table, figures={"corner": _figure(spec, curve_table)})


def _figure(spec: CornerGDSpec, curves: pd.DataFrame) -> Any:
    from gflab.plots import figure

    fig, axes = figure(ncols=len(spec.pairs), width=4.8, height=4.2, squeeze=False)
    for ax, (nu, kappa) in zip(axes[0], spec.pairs, strict=True):
        zeta = kappa / nu
        for i, theta in enumerate(spec.thetas):
            part = curves[(curves.nu == nu) & (curves.kappa == kappa) & (curves.theta == theta)]
            ax.plot(part.step, part.loss, color=f"C{i}", label=f"theta={theta:g}" + (" (GD)" if theta == 1 else ""))
            t_end, l_end = float(part.step.iloc[-1]), float(part.loss.iloc[-1])
            t = np.geomspace(spec.steps / 30, spec.steps, 20)
            ax.plot(t, l_end * (t / t_end) ** (-theta * zeta), "k:", lw=1)
        title = f"nu={nu:g}, kappa={kappa:g}: dotted slopes -theta zeta\ntheta_max(SGD) = {corner_theta_max(nu, kappa):.3g}"
        ax.set(xscale="log", yscale="log", xlabel="step t", ylabel="loss L_t", title=title)
        ax.legend(fontsize=7)
    return fig
