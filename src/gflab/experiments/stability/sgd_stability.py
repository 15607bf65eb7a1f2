"""Experiment ``sgd-stability`` (seed 004): where mini-batch SGD stops contracting E[theta^2].

A 1-D quadratic family f_i(theta) = a_i theta^2 / 2, i = 1..n (a_i log-normal with spread
``spread``, normalised to mean 1). For every batch size B and sampling scheme, ``paths``
independent SGD runs (one coordinate each of a single parameter vector, through
:func:`gflab.simulate` and :class:`gflab.dynamics.SGD`) start at theta = 1 and run ``steps``
steps (``epochs`` epochs for reshuffling); the growth of the mean of theta^2 per step, log(mean theta_K^2) / K, is measured on a
grid of steps (common random numbers across the grid) and its zero crossing, refined once, is
the measured boundary. Compared with :func:`gflab.theory.stability.sgd_critical_step`. The
condition is on the second moment: just past it most single runs still converge, so the
fraction of runs that blow up would not see it.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.experiments.base import Experiment, Result, Spec
from gflab.problems.quadratic import QuadraticFamily
from gflab.simulation import Stop, simulate
from gflab.theory import stability as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

SchemeName = Literal["with-replacement", "without-replacement", "reshuffling"]


class SGDStabilitySpec(Spec):
    n: int = Field(8, ge=2, le=12, description="samples of the quadratic family (reshuffling enumerates partitions)")
    spread: float = Field(1.0, ge=0, le=3, description="log-normal spread of the curvatures a_i")
    batch_sizes: list[int] = Field([1, 2, 4], min_length=1)
    schemes: list[SchemeName] = Field(["with-replacement", "without-replacement", "reshuffling"], min_length=1)
    paths: int = Field(50_000, ge=100, le=10_000_000)
    steps: int = Field(2, ge=1, le=1000, description="SGD steps per run for the iid schemes")
    epochs: int = Field(1, ge=1, le=100, description="epochs per run for reshuffling")
    grid: int = Field(16, ge=4, le=1000)
    seed: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> SGDStabilitySpec:
        for b in self.batch_sizes:
            if b > self.n or ("reshuffling" in self.schemes and self.n % b):
                raise BadInput("batch_sizes", f"each must be at most n = {self.n} and divide it for reshuffling (got {b})")
        return self


class SGDStability(Experiment):
    name = "sgd-stability"
    spec_class = SGDStabilitySpec

    def run(self, spec: SGDStabilitySpec, *, progress: bool = False) -> Result:
        a = np.exp(spec.spread * np.random.default_rng(spec.seed).normal(size=spec.n))
        a /= a.mean()
        rows = []
        for scheme in spec.schemes:
            for b in spec.batch_sizes:
                predicted = theory.sgd_critical_step(a, b, scheme)
                coarse = np.linspace(0.25, 4.0, spec.grid)
                low, high = self._crossing(spec, a, b, scheme, coarse)
                fine = np.linspace(low, high, spec.grid)
                low, high = self._crossing(spec, a, b, scheme, fine)
                measured = 0.5 * (low + high)
                rows.append(
                    {
                        "scheme": scheme,
                        "B": b,
                        "predicted": predicted,
                        "measured": measured,
                        "relative_error": abs(measured / predicted - 1),
                    }
                )
        table = pd.DataFrame(rows)
        metrics: dict[str, Any] = {
            "curvatures": a.tolist(),
            "boundary": rows,
            "max_relative_error": {s: float(table[table.scheme == s].relative_error.max()) for s in spec.schemes},
        }
        return Result(metrics=metrics, table=table, figures={"boundary": _figure(spec, a, table)})

    @staticmethod
    def _growth(spec: SGDStabilitySpec, a: np.ndarray, b: int, scheme: str, etas: np.ndarray) -> np.ndarray:
        """Measured log(mean theta_K^2) / K at each step size (one SGD run of ``paths`` coordinates each)."""
        from gflab.dynamics import SGD

        # few steps: mean theta_K^2 is a mean of products of K random factors whose relative
        # variance grows like (E X^2 / E X^2)^K, so long runs would be dominated by rare paths
        steps = spec.epochs * (spec.n // b) if scheme == "reshuffling" else spec.steps
        problem = QuadraticFamily(
            curvatures=jnp.asarray(a),
            key=jnp.broadcast_to(jax.random.key_data(jax.random.key(spec.seed + 1)), (len(etas), 2)),
            scale=jnp.asarray(etas),
            paths=spec.paths,
            scheme=scheme,  # type: ignore[arg-type]
        )
        traj = simulate(
            problem, SGD(eta=1.0, batch_size=b, t1=float(steps)), jnp.ones(spec.paths),
            over=lambda p: (p.key, p.scale), stop=Stop(bound=1e300),
        )  # fmt: skip
        return np.log(np.mean(np.asarray(traj.final_params) ** 2, axis=1)) / steps

    def _crossing(self, spec: SGDStabilitySpec, a: np.ndarray, b: int, scheme: str, etas: np.ndarray) -> tuple[float, float]:
        growth = self._growth(spec, a, b, scheme, etas)
        up = np.nonzero((growth[:-1] < 0) & (growth[1:] >= 0))[0]
        if not up.size:
            raise BadInput("spread", f"no stability boundary in eta in [{etas[0]:.3g}, {etas[-1]:.3g}] for {scheme}, B = {b}")
        i = int(up[0])
        return float(etas[i]), float(etas[i + 1])


def _figure(spec: SGDStabilitySpec, a: np.ndarray, table: pd.DataFrame) -> Any:
    from gflab.plots import figure

    fig, ax = figure(width=5.5, height=4.0)
    bs = np.arange(1, spec.n + 1)
    for i, scheme in enumerate(spec.schemes):
        valid = [b for b in bs if scheme != "reshuffling" or spec.n % b == 0]
        ax.plot(
            valid, [theory.sgd_critical_step(a, int(b), scheme) for b in valid], "-", color=f"C{i}", label=f"{scheme}: formula"
        )
        part = table[table.scheme == scheme]
        ax.plot(part.B, part.measured, "o", color=f"C{i}", label=f"{scheme}: SGD (mean theta^2)")
    ax.axhline(2.0, color="grey", ls=":", lw=0.8, label="GD: 2 / a")
    ax.set(xlabel="batch size B", ylabel="critical step eta_c", xscale="log", title="SGD linear stability (second moment)")
    ax.legend(fontsize=7)
    return fig
