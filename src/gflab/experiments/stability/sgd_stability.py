"""Experiment ``sgd-stability``: where mini-batch SGD stops contracting E[theta^2].

The linear stability of SGD (Wu, Ma & E 2018, "How SGD selects the global minima in
over-parameterized learning"; E, Ma, Wojtowytsch & Wu, "Towards a mathematical theory of
machine learning"). A 1-D quadratic family f_i(theta) = a_i theta^2 / 2, i = 1..n_samples (a_i
log-normal with spread ``spread``, normalised to mean 1). For every batch size B and sampling
scheme, ``paths`` independent SGD runs per step size (one trajectory each, its own batch
stream; an ensemble over (step size, run) with the step size per trajectory) start at
theta = 1 and run K = ``steps`` steps (``epochs`` epochs for reshuffling). The growth of the
mean of theta^2 per step, log(mean theta_K^2) / K, is measured on a grid of steps (common
random numbers: run p draws the same batches at every step size) and its zero crossing,
refined once, is the measured boundary. Compared with
:func:`gflab.theory.stability.sgd_critical_step`. The condition is on the second moment: just
past it most single runs still converge, so the fraction of runs that blow up would not see it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics import SGD
from gflab.errors import BadInput
from gflab.experiments.base import Experiment, Result
from gflab.experiments.stability.specs import SGDSecondMomentSpec, SGDStabilitySpec
from gflab.problems.quadratic import QuadraticFamily
from gflab.simulation import Save, Stop, simulate
from gflab.theory import stability as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

_SLOTS = 1 << 15  # runs of a few scalar steps each: large rounds keep the host's share small


def curvatures(spec: SGDStabilitySpec | SGDSecondMomentSpec) -> np.ndarray:
    """The family's curvatures a_i: log-normal with spread ``spread``, normalised to mean 1."""
    a = np.exp(spec.spread * np.random.default_rng(spec.seed).normal(size=spec.n_samples))
    return a / a.mean()


def growth_rates(
    spec: SGDStabilitySpec | SGDSecondMomentSpec, a: np.ndarray, b: int, scheme: str, etas: np.ndarray
) -> np.ndarray:
    """Measured log(mean theta_K^2) / K at each step size (``paths`` SGD runs each)."""
    # few steps: mean theta_K^2 is a mean of products of K random factors whose relative
    # variance grows like (E X^2 / (E X)^2)^K, so long runs would be dominated by rare paths
    steps = spec.epochs * (spec.n_samples // b) if scheme == "reshuffling" else spec.steps
    base = jax.random.key(spec.seed + 1)
    streams = jax.vmap(lambda p: jax.random.key_data(jax.random.fold_in(base, p)))(jnp.arange(spec.paths))
    problem = QuadraticFamily(
        curvatures=jnp.asarray(a),
        key=jnp.tile(streams, (len(etas), 1)),  # run p has the same stream at every step size
        scheme=scheme,  # type: ignore[arg-type]
    )
    eta = jnp.repeat(jnp.asarray(etas), spec.paths)
    traj = simulate(
            problem, SGD(eta=eta, batch_size=b, t1=steps * eta), jnp.ones(()), over=lambda p: p.key,
            dynamics_over=lambda d: (d.eta, d.t1), save=Save(observables={}), stop=Stop(bound=1e300),
            slots=_SLOTS,
        )  # fmt: skip
    theta2 = np.asarray(traj.final_params).reshape(len(etas), spec.paths) ** 2
    with np.errstate(divide="ignore"):  # every run at exactly 0 (eta a = 1 for all i): growth -inf
        return np.log(np.mean(theta2, axis=1)) / steps


class SGDStability(Experiment):
    name = "sgd-stability"
    spec_class = SGDStabilitySpec

    def run(self, spec: SGDStabilitySpec, *, progress: bool = False) -> Result:
        a = curvatures(spec)
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

    def _crossing(self, spec: SGDStabilitySpec, a: np.ndarray, b: int, scheme: str, etas: np.ndarray) -> tuple[float, float]:
        growth = growth_rates(spec, a, b, scheme, etas)
        up = np.nonzero((growth[:-1] < 0) & (growth[1:] >= 0))[0]
        if not up.size:
            raise BadInput("spread", f"no stability boundary in eta in [{etas[0]:.3g}, {etas[-1]:.3g}] for {scheme}, B = {b}")
        i = int(up[0])
        return float(etas[i]), float(etas[i + 1])


def _figure(spec: SGDStabilitySpec, a: np.ndarray, table: pd.DataFrame) -> Any:
    from gflab.plots import figure

    fig, ax = figure(width=5.5, height=4.0)
    bs = np.arange(1, spec.n_samples + 1)
    for i, scheme in enumerate(spec.schemes):
        valid = [b for b in bs if scheme != "reshuffling" or spec.n_samples % b == 0]
        ax.plot(
            valid, [theory.sgd_critical_step(a, int(b), scheme) for b in valid], "-", color=f"C{i}", label=f"{scheme}: formula"
        )
        part = table[table.scheme == scheme]
        ax.plot(part.B, part.measured, "o", color=f"C{i}", label=f"{scheme}: SGD (mean theta^2)")
    ax.axhline(2.0, color="grey", ls=":", lw=0.8, label="GD: 2 / a")
    ax.set(xlabel="batch size B", ylabel="critical step eta_c", xscale="log", title="SGD linear stability (second moment)")
    ax.legend(fontsize=7)
    return fig
