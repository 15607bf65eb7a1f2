"""Experiment ``gd-stability``: GD on a quadratic converges iff eta < 2 (1 + beta) / lambda_max.

The linear stability of GD (E, Ma, Wojtowytsch & Wu, "Towards a mathematical theory of machine
learning"; heavy-ball momentum beta: :mod:`gflab.theory.stability`). For each of
``n_quadratics`` random quadratics (dimension ``d``, spectrum log-spaced in
[lambda_min, lambda_max 2^(i/(n-1))] for quadratic i, Haar eigenvectors), GD (momentum
``momentum``) runs ``steps`` steps K from a random start at every step size of a grid, one
ensemble over (quadratic, step) with the step size per trajectory.

A run is unstable when its loss grows over the last half of the run, L(K) > L(K/2), or it
diverges. Near the critical step the slowest mode of the iteration is the top one, with
|multiplier| -> 1, while every other mode has decayed by K/2, so the ratio L(K)/L(K/2) ~
|multiplier|^K has the sign of its growth however little of the start lies in the top mode
(comparing L(K) with L(0) would call a slowly growing top mode stable as long as the decay of
the others hides it). The grid is refined around the first unstable step ``rounds`` times
(log-spaced over [eta_low, eta_high] first, then linear in the bracket); the measured critical
step is the middle of the last bracket, compared with the closed form. The grid never uses the
spectrum.

Figure ``critical_step``: the loss ratio L(K)/L(K/2) at every step tried, against eta over the
predicted critical step (every quadratic's ratio crosses 1 at 1 when the theory holds); the
measured critical step against lambda_max over the curve 2 (1 + beta) / lambda_max; and each
quadratic's relative error with its last bracket (the claims ask for at most 1%).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics import GradientDescent
from gflab.errors import BadInput
from gflab.experiments.base import Experiment, Result
from gflab.experiments.stability.specs import GDStabilitySpec
from gflab.problems.quadratic import Quadratic, random_hessian
from gflab.results import Verdict
from gflab.simulation import Save, Stop, simulate
from gflab.theory import stability as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class GDStability(Experiment):
    name = "gd-stability"
    spec_class = GDStabilitySpec

    def run(self, spec: GDStabilitySpec, *, progress: bool = False) -> Result:
        # quadratic i has its top eigenvalue lambda_max 2^(i / (n - 1)): the critical steps differ
        spread = 2.0 ** (np.arange(spec.n_quadratics) / max(spec.n_quadratics - 1, 1))
        hessians = np.stack(
            [random_hessian(spec.d, spec.lambda_min, spec.lambda_max * s, spec.seed + i) for i, s in enumerate(spread)]
        )
        w0 = np.asarray(jax.random.normal(jax.random.key(spec.seed), (spec.n_quadratics, spec.d)))
        problem = Quadratic(
            hessian=jnp.asarray(np.repeat(hessians, spec.grid, axis=0)),
            minimum=jnp.zeros((spec.n_quadratics * spec.grid, spec.d)),
        )
        low = np.full(spec.n_quadratics, spec.eta_low)
        high = np.full(spec.n_quadratics, spec.eta_high)
        tried: list[tuple[np.ndarray, np.ndarray]] = []  # (etas, loss ratios), each (n_quadratics, grid)
        for r in range(spec.rounds):
            etas = np.geomspace(low, high, spec.grid, axis=1) if r == 0 else np.linspace(low, high, spec.grid, axis=1)
            stable, ratio = self._stable(spec, problem, np.repeat(w0, spec.grid, axis=0), etas.ravel(), progress, r)
            stable = stable.reshape(spec.n_quadratics, spec.grid)
            tried.append((etas, ratio.reshape(spec.n_quadratics, spec.grid)))
            first_bad = np.argmax(~stable, axis=1)
            if np.any(stable.all(axis=1)) or np.any(first_bad == 0):
                raise BadInput("eta_low", f"the grid [{spec.eta_low}, {spec.eta_high}] does not bracket the critical step")
            rows = np.arange(spec.n_quadratics)
            low, high = etas[rows, first_bad - 1], etas[rows, first_bad]
        measured = 0.5 * (low + high)
        lambda_max = np.linalg.eigvalsh(hessians)[:, -1]
        predicted = np.array([theory.gd_critical_step(lm, spec.momentum) for lm in lambda_max])
        relative = np.abs(measured / predicted - 1.0)
        metrics: dict[str, Any] = {
            "momentum": spec.momentum,
            "critical_step": {"measured": measured.tolist(), "predicted": predicted.tolist()},
            "bracket": {"low": low.tolist(), "high": high.tolist()},
            "max_relative_error": float(relative.max()),
            "bracket_relative_width": float(np.max((high - low) / predicted)),
            "predicted_in_bracket": bool(np.all((low <= predicted) & (predicted <= high))),
        }
        table = pd.DataFrame(
            {
                "quadratic": np.arange(spec.n_quadratics),
                "lambda_max": lambda_max,
                "low": low,
                "high": high,
                "measured": measured,
                "predicted": predicted,
            }
        )
        return Result(metrics=metrics, table=table, figures={"critical_step": _figure(spec, tried, table)})

    @staticmethod
    def _stable(
        spec: GDStabilitySpec, problem: Quadratic, w0: np.ndarray, etas: np.ndarray, progress: bool, r: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Whether GD at each step size (one per trajectory) neither diverges nor grows over its last
        half, and the loss ratio L(K)/L(K/2) (inf where the run diverged)."""
        half, steps = spec.steps // 2, spec.steps
        traj = simulate(
            problem, GradientDescent(eta=jnp.asarray(etas), momentum=spec.momentum, t1=jnp.asarray(steps * etas)),
            jnp.asarray(w0), y0_batched=True, over=lambda p: (p.hessian, p.minimum), dynamics_over=lambda d: (d.eta, d.t1),
            save=Save(ts=np.outer(etas, [half, steps])), stop=Stop(bound=1e12),
            progress=progress, description=f"gd-stability round {r + 1}",
        )  # fmt: skip
        loss = np.asarray(traj.observations["loss"])  # (runs, 2): L(K/2), L(K)
        diverged = np.asarray(traj.verdict == Verdict.DIVERGED)
        finite = ~diverged & np.isfinite(loss).all(axis=1)
        ratio = np.full(len(etas), np.inf)
        ratio[finite] = loss[finite, 1] / np.maximum(loss[finite, 0], np.finfo(float).tiny)
        return ~diverged & (loss[:, 1] <= loss[:, 0]), ratio


def _figure(spec: GDStabilitySpec, tried: list[tuple[np.ndarray, np.ndarray]], table: pd.DataFrame) -> Any:
    """Loss ratio against eta / eta_c; measured eta_c against lambda_max over the closed form; relative errors."""
    from gflab.plots import figure

    fig, (ratio_ax, step_ax, error_ax) = figure(3)
    clip = 1e30  # diverged runs and huge ratios drawn at the top, vanishing ones at the bottom
    for i, predicted in enumerate(table.predicted):
        x = np.concatenate([etas[i] for etas, _ in tried]) / predicted
        y = np.clip(np.concatenate([ratio[i] for _, ratio in tried]), 1 / clip, clip)
        order = np.argsort(x)
        ratio_ax.plot(x[order], y[order], ".-", color=f"C{i % 10}", lw=0.8, ms=3, label=f"quadratic {i + 1}" if i < 10 else None)
    ratio_ax.axvline(1.0, color="k", ls="--", lw=0.8, label="predicted eta_c")
    ratio_ax.axhline(1.0, color="grey", ls=":", lw=0.8)
    ratio_ax.set(
        xscale="log",
        yscale="log",
        xlabel="eta / predicted eta_c",
        ylabel=f"L(K) / L(K/2) (clipped to [1e-30, 1e30]), K = {spec.steps}",
        title="stable iff the loss still falls",
    )
    ratio_ax.legend(fontsize=8)
    lam = np.geomspace(table.lambda_max.min() / 1.2, table.lambda_max.max() * 1.2, 100)
    step_ax.plot(
        lam, [theory.gd_critical_step(v, spec.momentum) for v in lam], "-", color="k", lw=1, label="2 (1 + beta) / lambda_max"
    )
    step_ax.plot(table.lambda_max, table.measured, "o", color="C3", label="measured (middle of the last bracket)")
    step_ax.set(
        xscale="log",
        yscale="log",
        xlabel="lambda_max",
        ylabel="critical step eta_c",
        title=f"GD, momentum beta = {spec.momentum:g}",
    )
    step_ax.legend(fontsize=8)
    quadratic = np.arange(1, len(table) + 1)
    error = table.measured / table.predicted - 1
    bracket = np.stack([table.measured - table.low, table.high - table.measured]) / table.predicted.to_numpy()
    error_ax.errorbar(quadratic, error, yerr=bracket, fmt="o", color="C3", capsize=3, label="measured, with its bracket")
    error_ax.axhline(0.0, color="k", lw=0.8, label="theory")
    error_ax.set_xticks(quadratic)
    error_ax.set(xlabel="quadratic", ylabel="measured / predicted eta_c - 1", title="relative error (claim: within 1%)")
    error_ax.legend(fontsize=8)
    return fig
