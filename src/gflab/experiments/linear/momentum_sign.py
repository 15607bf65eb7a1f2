"""Experiment ``momentum-sign``: the sign of the best constant momentum of mini-batch SGD.

Velikanov, Kuznedelev & Yarotsky 2022, "A view of mini-batch SGD via generating functions" (the
abstract: "the optimal convergence rate can be achieved at negative momenta"). Objective, stated
here: the exact expected loss E L_T after ``steps`` steps of Gaussian online SGD (batch
``batch_size``, no label noise) on the power-law problem, minimised over the learning rate alpha
for every constant momentum beta; the best beta is the one with the smallest minimum. alpha runs
over ``alphas`` log-spaced points in [0.02, 0.999] alpha_c(beta, b) (below the divergence
boundary of :func:`critical_learning_rate`), then a finer grid around the best alpha; beta runs
over a coarse grid on [-0.9, 0.9] (spacing ``momentum_step``) and a fine grid (``refine``
points) around the coarse optimum. E L_T is the tier-1 moment recursion (exact for Gaussian
features); the optimum and the best beta = 0 run are checked by ``runs`` Monte-Carlo SGD runs
(the bootstrap-t test of :mod:`gflab.measure.max_t`, ``resamples`` resamples).

For a fixed effective rate alpha / (1 - beta) the closed form of U(1) (module
:mod:`gflab.theory.sgd_moments`) decreases with beta, so in the signal phase, where
L_t ~ C (alpha t / (1 - beta))^(-zeta) / (1 - U(1)), positive momentum helps (derived here);
the noise phase, L_t ~ U_t L^V(1) / (1 - U(1))^2, is where the exact model may prefer beta < 0.
The paper's spectrally expressible approximation with other noise coefficients is not computed
here (the exact Gaussian model is its case tau_1 = 1, tau_2 = -1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import LONG_RUNNING, jax_module
from gflab.dynamics.spectral import expected_sgd_losses, sgd_gaussian_losses
from gflab.experiments.base import Experiment, Result
from gflab.experiments.linear.specs import MomentumSignSpec
from gflab.measure.max_t import max_t_test
from gflab.problems.power_law import PowerLawQuadratic
from gflab.theory import sgd_moments as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class MomentumSign(Experiment):
    name = "momentum-sign"
    spec_class = MomentumSignSpec

    def run(self, spec: MomentumSignSpec, *, progress: bool = False) -> Result:
        problem = PowerLawQuadratic(spec.nu, spec.kappa, spec.n_modes)
        lam, target = jnp.asarray(problem.eigenvalues), jnp.asarray(problem.target_squared)
        final = jax.jit(compiler_options=LONG_RUNNING)(
            jax.vmap(lambda a, b: expected_sgd_losses(lam, target, 0.0, a, b, spec.batch_size, steps=spec.steps)[-1])
        )

        def best_alpha(beta: float) -> tuple[float, float]:
            alpha_c = theory.critical_learning_rate(problem.eigenvalues, beta, spec.batch_size, xtol=1e-10)
            grid = alpha_c * np.geomspace(0.02, 0.999, spec.alphas)
            for _ in range(2):
                losses = np.asarray(final(jnp.asarray(grid), jnp.full(len(grid), beta)))
                i = int(np.argmin(np.where(np.isfinite(losses), losses, np.inf)))
                best = (float(losses[i]), float(grid[i]))
                grid = np.linspace(grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)], spec.alphas)
            return best

        coarse = np.round(np.arange(-0.9, 0.9 + 1e-9, spec.momentum_step), 10)
        rows = [(beta, *best_alpha(float(beta))) for beta in coarse]
        center = coarse[int(np.argmin([r[1] for r in rows]))]
        fine = np.linspace(max(center - spec.momentum_step, -0.95), min(center + spec.momentum_step, 0.95), spec.refine)
        rows += [(beta, *best_alpha(float(beta))) for beta in fine]
        table = pd.DataFrame(rows, columns=["momentum", "loss", "alpha"]).sort_values("momentum").drop_duplicates("momentum")
        best = table.loc[table.loss.idxmin()]
        zero = table.loc[(table.momentum.abs()).idxmin()]
        check = _monte_carlo(
            spec, problem, [(float(best.alpha), float(best.momentum)), (float(zero.alpha), float(zero.momentum))]
        )
        metrics: dict[str, Any] = {
            "best_momentum": float(best.momentum),
            "best_alpha": float(best.alpha),
            "best_loss": float(best.loss),
            "zero_momentum_loss": float(zero.loss),
            "gain_over_zero": float(zero.loss / best.loss - 1),
            "monte_carlo": check,
        }
        return Result(
            metrics=metrics, table=table.reset_index(drop=True), figures={"momentum": _figure(spec, problem, table, check)}
        )


def _monte_carlo(spec: MomentumSignSpec, problem: PowerLawQuadratic, points: list[tuple[float, float]]) -> dict[str, Any]:
    """The mean of ``runs`` SGD runs at L_T against tier 1 for each (alpha, beta) of ``points`` (the same
    keys at every point), and the simultaneous bootstrap-t test of both (:func:`max_t_test`)."""
    lam = jnp.asarray(problem.eigenvalues)
    run = jax.jit(compiler_options=LONG_RUNNING)(
        jax.vmap(
            lambda key, a, b: sgd_gaussian_losses(
                lam, -jnp.asarray(problem.target), 0.0, a, b, key, steps=spec.steps, batch=spec.batch_size
            )[-1],
            in_axes=(0, None, None),
        )
    )
    keys = jax.random.split(jax.random.key(spec.seed), spec.runs)
    losses = np.stack([np.asarray(run(keys, alpha, beta)) for alpha, beta in points], axis=1)
    exact = [
        float(expected_sgd_losses(lam, jnp.asarray(problem.target_squared), 0.0, a, b, spec.batch_size, steps=spec.steps)[-1])
        for a, b in points
    ]
    test = max_t_test(losses, np.asarray(exact), resamples=spec.resamples, seed=spec.seed)
    return {
        "alpha": [a for a, _ in points],
        "momentum": [b for _, b in points],
        "mean": test["mean"],
        "se": test["se"],
        "tier1": exact,
        "z": test["z"],
        **{key: test[key] for key in ("max_abs_z", "null_q95", "null_q99", "p_value", "resamples")},
    }


def _figure(spec: MomentumSignSpec, problem: PowerLawQuadratic, table: pd.DataFrame, check: dict[str, Any]) -> Any:
    from gflab.plots import figure

    fig, (left, right) = figure(ncols=2, width=4.8, height=4.0)
    left.plot(table.momentum, table.loss, "o-", ms=3, label="tier 1: min over alpha of E L_T")
    left.errorbar(
        check["momentum"],
        check["mean"],
        yerr=check["null_q99"] * np.asarray(check["se"]),
        fmt="s",
        color="C3",
        label="Monte Carlo (simultaneous 99% band)",
    )
    left.axvline(0, color="grey", lw=0.8, ls=":")
    left.set(xlabel="momentum beta", ylabel=f"best expected loss after T={spec.steps}", yscale="log",
             title=f"nu={spec.nu:g} kappa={spec.kappa:g} (zeta={problem.zeta:g}), b={spec.batch_size}")  # fmt: skip
    left.legend(fontsize=7)
    right.plot(table.momentum, table.alpha / (1 - table.momentum), "o-", ms=3, color="C2")
    right.set(
        xlabel="momentum beta",
        ylabel="best effective rate alpha / (1 - beta)",
        yscale="log",
        title="the optimum's effective rate",
    )
    return fig
