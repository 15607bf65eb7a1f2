"""Experiment ``sgd-phases``: the loss exponent of SGD is min(zeta, 2 - 1/nu), signal phase and noise phase.

Velikanov, Kuznedelev & Yarotsky 2022, "A view of mini-batch SGD via generating functions". The
expected loss of Gaussian online SGD (no momentum, learning rate ``eta``, batch ``batch_size``,
no label noise) is computed exactly by the per-mode moment recursion
(:func:`expected_sgd_losses`, checked against Monte Carlo by ``sgd-moments``) for ``steps`` steps
on each (nu, kappa) of ``pairs``, and compared over the last decade with the two-term asymptotic
formula derived here from the renewal equation l = V + U * l (l_t = 2 L_t). For regularly varying
V_t and U_t with U(1) < 1 and V(1) finite (zeta > 1), l = V * R with R = sum_n U^(*n), and
R_t ~ U_t / (1 - U(1))^2, so

    L_t ~ L^V_t / (1 - U(1)) + U_t L^V(1) / (1 - U(1))^2,

- signal term: L^V_t = V_t / 2 ~ Gamma(zeta) (2 alpha t)^(-zeta) / (2 nu) (the slow modes move as in GD);
- noise term: U_t ~ (alpha^2 / b) sum_k lambda_k^2 (1 - alpha lambda_k)^(2t)
  ~ alpha^2 Gamma(2 - 1/nu) (2 alpha t)^(-(2 - 1/nu)) / (b nu), times the total signal loss
  L^V(1) = V(1) / 2 (exact, from the per-mode resolvents at z = 1),

hence the exponent min(zeta, 2 - 1/nu). The fitted exponent over the last decade is compared
with it for the pairs at least ``away`` from the boundary zeta = 2 - 1/nu (near it, both terms
are comparable and a bare fit converges slowly).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics.spectral import expected_sgd_losses
from gflab.experiments.base import Experiment, Result
from gflab.experiments.linear.specs import SGDPhasesSpec
from gflab.problems.power_law import PowerLawQuadratic
from gflab.theory import power_law_rates as rates
from gflab.theory import sgd_moments as moments

jax_module()  # float64 and host devices, before JAX is first used
import jax.numpy as jnp  # noqa: E402


def two_term_loss(t: np.ndarray, problem: PowerLawQuadratic, alpha: float, batch: float) -> tuple[np.ndarray, np.ndarray]:
    """(signal term, noise term) of the two-term asymptotic formula (module docstring), beta = 0, sigma = 0."""
    nu, zeta = problem.nu, problem.zeta
    u1 = moments.u_at_one(problem.eigenvalues, alpha, 0.0, batch)
    v1, _ = moments.generating_functions(1.0, problem.eigenvalues, problem.target_squared, 0.0, alpha, 0.0, batch)
    signal = rates.gd_constant(nu, problem.kappa, alpha) * t ** (-zeta) / (1 - u1)
    kernel = alpha**2 * math.gamma(2 - 1 / nu) * (2 * alpha * t) ** (-(2 - 1 / nu)) / (batch * nu)
    return signal, kernel * (v1.real / 2) / (1 - u1) ** 2


class SGDPhases(Experiment):
    name = "sgd-phases"
    spec_class = SGDPhasesSpec

    def run(self, spec: SGDPhasesSpec, *, progress: bool = False) -> Result:
        rows, curves = [], []
        last = np.arange(spec.steps // 10, spec.steps + 1)
        for nu, kappa in spec.pairs:
            problem = PowerLawQuadratic(nu, kappa, spec.n_modes)
            losses = np.asarray(
                expected_sgd_losses(
                    jnp.asarray(problem.eigenvalues), jnp.asarray(problem.target_squared), 0.0, spec.eta, 0.0,
                    spec.batch_size, steps=spec.steps,
                )
            )  # fmt: skip
            blown = ~(losses < 1e8 * losses[0])  # non-finite or grown: the expected loss diverges
            if blown.any():
                rows.append(
                    {
                        "nu": nu,
                        "kappa": kappa,
                        "zeta": problem.zeta,
                        "verdict": "diverged",
                        "diverged_step": int(np.argmax(blown)),
                    }
                )
                continue
            signal, noise = two_term_loss(last.astype(float), problem, spec.eta, spec.batch_size)
            predicted = rates.sgd_phase_exponent(nu, kappa)
            fitted = rates.local_exponent(last, losses[last])
            boundary_distance = abs(problem.zeta - (2 - 1 / nu))
            rows.append(
                {"nu": nu, "kappa": kappa, "zeta": problem.zeta, "phase": "signal" if problem.zeta < 2 - 1 / nu else "noise",
                 "two_term_error": float(np.max(np.abs(losses[last] / (signal + noise) - 1))),
                 "fitted_exponent": fitted, "predicted_exponent": predicted,
                 "exponent_error": abs(fitted - predicted), "away": boundary_distance >= spec.away, "verdict": "converged",
                 "u_at_one": moments.u_at_one(problem.eigenvalues, spec.eta, 0.0, spec.batch_size)}
            )  # fmt: skip
            t = np.unique(np.geomspace(1, spec.steps, 150).round().astype(int))
            s, n = two_term_loss(t.astype(float), problem, spec.eta, spec.batch_size)
            curves.append(pd.DataFrame({"nu": nu, "kappa": kappa, "step": t, "loss": losses[t], "signal": s, "noise": n}))
        table = pd.DataFrame(rows)
        if (table.verdict == "diverged").any():
            bad = table[table.verdict == "diverged"].iloc[0]
            diverged = {
                "verdict": "diverged",
                "diverged_step": int(bad.diverged_step),
                "nu": float(bad.nu),
                "kappa": float(bad.kappa),
            }
            return Result(metrics=diverged, table=table, figures={})
        away = table[table.away == True]  # noqa: E712  (a column of booleans)
        metrics: dict[str, Any] = {
            "verdict": "converged",
            "max_two_term_error": float(table.two_term_error.max()),
            "max_exponent_error_away": float(away.exponent_error.max()) if len(away) else float("nan"),
            "phases": sorted(set(table.phase)),
            "pairs": table.to_dict(orient="list"),
        }
        curve_table = pd.concat(curves, ignore_index=True)
        return Result(metrics=metrics, table=curve_table, figures={"phases": _figure(spec, curve_table, table)})


def _figure(spec: SGDPhasesSpec, curves: pd.DataFrame, table: pd.DataFrame) -> Any:
    from gflab.plots import figure

    fig, axes = figure(ncols=len(table), width=4.2, height=4.0, squeeze=False)
    for ax, row in zip(axes[0], table.itertuples(), strict=True):
        part = curves[(curves.nu == row.nu) & (curves.kappa == row.kappa)]
        ax.plot(part.step, part.loss, color="C0", lw=2, label="exact E L_t (tier 1)")
        ax.plot(part.step, part.signal + part.noise, "k--", lw=1, label="two-term formula")
        ax.plot(part.step, part.signal, ":", color="C1", label=f"signal ~ t^-{row.zeta:.3g}")
        ax.plot(part.step, part.noise, ":", color="C2", label=f"noise ~ t^-{2 - 1 / row.nu:.3g}")
        ax.set(xscale="log", yscale="log", xlabel="step t", ylabel="expected loss",
               title=f"nu={row.nu:g}, kappa={row.kappa:g}: {row.phase} phase")  # fmt: skip
        ax.set_ylim(part.loss.min() / 10, part.loss.max() * 2)
        ax.legend(fontsize=7)
    fig.suptitle(f"SGD (alpha={spec.eta:g}, b={spec.batch_size}): exponent min(zeta, 2 - 1/nu)", fontsize=9)
    return fig
