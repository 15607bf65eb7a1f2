"""Experiment ``power-law-rates``: GD, heavy ball, Jacobi heavy ball, steepest descent and CG on power-law spectra.

Velikanov & Yarotsky 2022, "Tight convergence rate bounds for optimization under power law
spectral conditions" (:mod:`gflab.theory.power_law_rates`). For each (nu, kappa) of ``pairs``
the deterministic methods run on the spectrum of the power-law quadratic (``n_modes`` modes,
w = 0 at the start, :mod:`gflab.dynamics.spectral`):

- GD (rate ``eta``) for ``steps`` steps: the exponent fitted over the last decade against
  zeta = kappa / nu, and C = L_T T^zeta against Gamma(zeta) (2 alpha)^(-zeta) / (2 nu);
- heavy ball with each constant momentum of ``momenta`` (same rate): L_T^HB / L_T^GD against (1 - beta)^zeta;
- for ``accelerated_steps`` steps: the heavy ball with the Jacobi schedule (a = zeta, b = ``jacobi_b``,
  residuals normalised on [0, lambda_1]), its exponent against 2 zeta; conjugate gradients, whose
  loss is the minimum over all residual polynomials of the degree, so never above the Jacobi heavy
  ball's; steepest descent, whose exponent stays at zeta (no acceleration from the line search).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics.spectral import conjugate_gradient_losses, heavy_ball_losses, steepest_descent_losses
from gflab.experiments.base import Experiment, Result
from gflab.experiments.linear.specs import PowerLawRatesSpec
from gflab.problems.power_law import PowerLawQuadratic
from gflab.theory import power_law_rates as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax.numpy as jnp  # noqa: E402


class PowerLawRates(Experiment):
    name = "power-law-rates"
    spec_class = PowerLawRatesSpec

    def run(self, spec: PowerLawRatesSpec, *, progress: bool = False) -> Result:
        rows, curves = [], []
        for nu, kappa in spec.pairs:
            row, curve = _one_pair(spec, PowerLawQuadratic(nu, kappa, spec.n_modes))
            rows.append(row)
            curves.append(curve)
        table = pd.DataFrame(rows)
        metrics: dict[str, Any] = {
            "gd": {
                "max_exponent_error": float(table.gd_exponent_error.max()),
                "max_constant_error": float(table.gd_constant_error.max()),
            },
            "heavy_ball": {
                "max_ratio_error": float(table.hb_ratio_error.max()),
                "max_exponent_error": float(table.hb_exponent_error.max()),
            },
            "jacobi": {"max_exponent_error": float(table.jacobi_exponent_error.max())},
            "steepest_descent": {"max_exponent_error": float(table.sd_exponent_error.max())},
            "conjugate_gradients": {"max_ratio_to_jacobi": float(table.cg_max_ratio_to_jacobi.max())},
            "pairs": table.to_dict(orient="list"),
        }
        return Result(metrics=metrics, table=pd.concat(curves, ignore_index=True), figures={"rates": _figure(spec, curves)})


def _one_pair(spec: PowerLawRatesSpec, problem: PowerLawQuadratic) -> tuple[dict[str, Any], pd.DataFrame]:
    lam, e0, zeta = jnp.asarray(problem.eigenvalues), -jnp.asarray(problem.target), problem.zeta
    steps, fast = spec.steps, spec.accelerated_steps
    constant = lambda value: jnp.full(steps, value)  # noqa: E731
    gd = np.asarray(heavy_ball_losses(lam, e0, constant(spec.eta), constant(0.0)))
    last = np.arange(steps // 10, steps + 1)
    gd_exponent = theory.local_exponent(last, gd[last])
    gd_c = gd[steps] * steps**zeta
    heavy = {beta: np.asarray(heavy_ball_losses(lam, e0, constant(spec.eta), constant(beta))) for beta in spec.momenta}
    ratios = {beta: float(curve[steps] / gd[steps]) for beta, curve in heavy.items()}
    hb_exponents = [theory.local_exponent(last, heavy[beta][last]) for beta in spec.momenta]
    alphas, betas = theory.jacobi_schedule(fast, zeta, spec.jacobi_b, float(problem.eigenvalues[0]))
    jacobi = np.asarray(heavy_ball_losses(lam, e0, jnp.asarray(alphas), jnp.asarray(betas)))
    cg = np.asarray(conjugate_gradient_losses(lam, e0, fast))
    sd = np.asarray(steepest_descent_losses(lam, e0, fast))
    tail = np.arange(fast // 10, fast + 1)
    exponents = {name: theory.local_exponent(tail, curve[tail]) for name, curve in (("jacobi", jacobi), ("cg", cg), ("sd", sd))}
    predicted_c = theory.gd_constant(problem.nu, problem.kappa, spec.eta)
    row = {
        "nu": problem.nu, "kappa": problem.kappa, "zeta": zeta,
        "gd_exponent": gd_exponent, "gd_exponent_error": abs(gd_exponent - zeta),
        "gd_constant": gd_c, "gd_constant_predicted": predicted_c, "gd_constant_error": abs(gd_c / predicted_c - 1),
        "hb_ratios": [ratios[b] for b in spec.momenta],
        "hb_exponents": hb_exponents,
        "hb_exponent_error": max(abs(x - zeta) for x in hb_exponents),
        "hb_ratio_error": max(abs(ratios[b] / theory.heavy_ball_ratio(b, zeta) - 1) for b in spec.momenta),
        "jacobi_exponent": exponents["jacobi"], "jacobi_exponent_error": abs(exponents["jacobi"] - 2 * zeta),
        "cg_exponent": exponents["cg"], "cg_max_ratio_to_jacobi": float(np.max(cg[1:] / jacobi[1:])),
        "sd_exponent": exponents["sd"], "sd_exponent_error": abs(exponents["sd"] - zeta),
    }  # fmt: skip
    t = np.unique(np.geomspace(1, steps, 200).round().astype(int))
    tf = np.unique(np.geomspace(1, fast, 100).round().astype(int))
    parts = [pd.DataFrame({"method": "gd", "step": t, "loss": gd[t]})]
    parts += [
        pd.DataFrame({"method": name, "step": tf, "loss": curve[tf]})
        for name, curve in (("jacobi", jacobi), ("cg", cg), ("sd", sd))
    ]
    curve = pd.concat(parts, ignore_index=True).assign(nu=problem.nu, kappa=problem.kappa)
    return row, curve


def _figure(spec: PowerLawRatesSpec, curves: list[pd.DataFrame]) -> Any:
    from gflab.plots import figure

    fig, axes = figure(ncols=len(curves), width=4.6, height=4.2, squeeze=False)
    for ax, curve in zip(axes[0], curves, strict=True):
        nu, kappa = float(curve.nu.iloc[0]), float(curve.kappa.iloc[0])
        zeta = kappa / nu
        for i, method in enumerate(("gd", "sd", "jacobi", "cg")):
            part = curve[curve.method == method]
            ax.plot(
                part.step,
                part.loss,
                color=f"C{i}",
                label={"gd": "GD", "sd": "steepest descent", "jacobi": "Jacobi heavy ball", "cg": "CG"}[method],
            )
        t = np.geomspace(10, spec.steps, 50)
        ax.plot(t, theory.gd_constant(nu, kappa, spec.eta) * t**-zeta, "k--", lw=1, label="Gamma(zeta)(2 alpha t)^-zeta / (2 nu)")
        jacobi = curve[curve.method == "jacobi"]
        anchor_t, anchor_l = float(jacobi.step.iloc[-1]), float(jacobi.loss.iloc[-1])
        tj = np.geomspace(10, spec.accelerated_steps, 30)
        ax.plot(tj, anchor_l * (tj / anchor_t) ** (-2 * zeta), "k:", lw=1, label="slope -2 zeta")
        ax.set(
            xscale="log", yscale="log", xlabel="step t", ylabel="loss L_t", title=f"nu={nu:g}, kappa={kappa:g} (zeta={zeta:g})"
        )
        ax.legend(fontsize=7)
    return fig
