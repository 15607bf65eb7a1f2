"""Experiment ``gd-stability`` (seed 004): GD on a quadratic converges iff eta < 2 (1 + beta) / lambda_max.

For each of ``n_quadratics`` random quadratics (dimension ``dim``, spectrum log-spaced in
[lambda_min, lambda_max 2^(i/(n-1))] for quadratic i, Haar eigenvectors), GD (momentum ``momentum``) runs ``steps``
steps from a random start for every step size of a log grid; a run converges when its final
loss is below its initial loss. The grid is refined around the first divergent step
``rounds`` times; the measured critical step is the middle of the last bracket, compared with
the closed form. The grid never uses the spectrum: it spans [eta_low, eta_high].
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.experiments.base import Experiment, Result, Spec
from gflab.problems.quadratic import Quadratic, random_hessian
from gflab.simulation import Stop, simulate
from gflab.theory import stability as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class GDStabilitySpec(Spec):
    dim: int = Field(50, ge=1, le=2000)
    lambda_min: float = Field(0.1, gt=0)
    lambda_max: float = Field(10.0, gt=0)
    n_quadratics: int = Field(5, ge=1, le=1000)
    momentum: float = Field(0.0, ge=0, lt=1)
    steps: int = Field(20_000, ge=10, le=10_000_000, description="GD steps per run")
    eta_low: float = Field(1e-4, gt=0)
    eta_high: float = Field(10.0, gt=0)
    grid: int = Field(17, ge=3, le=1025)
    rounds: int = Field(4, ge=1, le=12)
    seed: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> GDStabilitySpec:
        if self.lambda_min > self.lambda_max:
            raise BadInput("lambda_min", f"must not exceed lambda_max = {self.lambda_max}")
        if self.eta_low >= self.eta_high:
            raise BadInput("eta_low", f"must be below eta_high = {self.eta_high}")
        return self


class GDStability(Experiment):
    name = "gd-stability"
    spec_class = GDStabilitySpec

    def run(self, spec: GDStabilitySpec, *, progress: bool = False) -> Result:
        from gflab.dynamics import GradientDescent

        # quadratic i has its top eigenvalue lambda_max 2^(i / (n - 1)): the critical steps differ
        spread = 2.0 ** (np.arange(spec.n_quadratics) / max(spec.n_quadratics - 1, 1))
        hessians = np.stack(
            [random_hessian(spec.dim, spec.lambda_min, spec.lambda_max * s, spec.seed + i) for i, s in enumerate(spread)]
        )
        w0 = np.asarray(jax.random.normal(jax.random.key(spec.seed), (spec.n_quadratics, spec.dim)))
        low = np.full(spec.n_quadratics, spec.eta_low)
        high = np.full(spec.n_quadratics, spec.eta_high)
        # step eta = scale of the loss, GD with step 1: steps = t1
        dynamics = GradientDescent(eta=1.0, momentum=spec.momentum, t1=float(spec.steps))
        for r in range(spec.rounds):
            etas = np.geomspace(low, high, spec.grid, axis=1) if r == 0 else np.linspace(low, high, spec.grid, axis=1)
            problem = Quadratic(
                hessian=jnp.asarray(np.repeat(hessians, spec.grid, axis=0)),
                minimum=jnp.zeros((spec.n_quadratics * spec.grid, spec.dim)),
                scale=jnp.asarray(etas.ravel()),
            )
            traj = simulate(
                problem, dynamics, jnp.asarray(np.repeat(w0, spec.grid, axis=0)), y0_batched=True,
                over=lambda p: (p.hessian, p.minimum, p.scale), stop=Stop(bound=1e12),
                progress=progress, description=f"gd-stability round {r + 1}",
            )  # fmt: skip
            initial = 0.5 * np.einsum("ni,nij,nj->n", np.repeat(w0, spec.grid, 0), problem.hessian, np.repeat(w0, spec.grid, 0))
            final = np.where(np.isfinite(traj.final_loss), traj.final_loss / etas.ravel(), np.inf)
            stable = (final < initial).reshape(spec.n_quadratics, spec.grid)
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
            "max_relative_error": float(relative.max()),
            "bracket_relative_width": float(np.max((high - low) / predicted)),
        }
        table = pd.DataFrame(
            {"quadratic": np.arange(spec.n_quadratics), "lambda_max": lambda_max, "measured": measured, "predicted": predicted}
        )
        return Result(metrics=metrics, table=table, figures={})
