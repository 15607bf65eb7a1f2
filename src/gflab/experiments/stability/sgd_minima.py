"""Experiment ``sgd-minima``: the (sharpness, non-uniformity) diagram of the minima SGD reaches.

Wu, Ma & E 2018, "How SGD selects the global minima in over-parameterized learning" (and E, Ma,
Wojtowytsch & Wu, "Towards a mathematical theory of machine learning"): a minimum is linearly
stable for SGD with step eta and batch size B only if its sharpness a and non-uniformity s obey
a <= 2/eta and s <= sqrt(B)/eta.

An over-parameterised two-layer network (``width``, ``sigma``, conventional scaling) on
``n_samples`` samples (``data``) is trained by mini-batch SGD (indices drawn with replacement,
step ``eta``) from ``seeds`` initialisations for every batch size B, ``steps`` steps each; a
run whose final full-batch loss is below ``tol`` has reached a global minimum. At every reached
minimum: the sharpness a = lambda_max(H) by Lanczos and the non-uniformity
s = sqrt(lambda_max(Sigma)), Sigma = (1/n) sum_i H_i^2 - H^2, by Lanczos on per-sample
Hessian-vector products (:mod:`gflab.measure.hessian`). The figure is the talk's diagram with
the lines a = 2/eta and s = sqrt(B)/eta, one colour per batch size. Beside them, the exact mean-square criterion: the spectral radius of the
second-moment map at the minimum (:func:`gflab.theory.stability.second_moment_radius`,
from the per-sample gradients there) is at most 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics import SGD
from gflab.experiments.base import Experiment, Result
from gflab.experiments.stability.specs import SGDMinimaSpec
from gflab.measure.hessian import non_uniformity, sharpness
from gflab.problems.networks import TwoLayerNet, dataset, init_params
from gflab.results import Verdict
from gflab.simulation import Stop, simulate
from gflab.theory import stability as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class SGDMinima(Experiment):
    name = "sgd-minima"
    spec_class = SGDMinimaSpec

    def run(self, spec: SGDMinimaSpec, *, progress: bool = False) -> Result:
        x, y = dataset(spec.data, spec.n_samples, spec.seed, d=spec.d)
        keys = jax.random.split(jax.random.key(spec.seed), spec.seeds)
        params, frozen = jax.vmap(lambda k: init_params(k, x.shape[1], spec.width, "conventional"))(keys)
        streams = jax.vmap(lambda k: jax.random.key_data(jax.random.fold_in(k, 1)))(keys)
        rows = []
        for b in spec.batch_sizes:
            problem = TwoLayerNet(x=jnp.asarray(x), y=jnp.asarray(y), frozen=frozen, key=streams, sigma=spec.sigma)
            traj = simulate(
                problem, SGD(eta=spec.eta, batch_size=b, t1=spec.steps * spec.eta), params,
                over=lambda p: (p.frozen, p.key), y0_batched=True, stop=Stop(tol=0.0, gtol=0.0, bound=1e8),
                progress=progress, description=f"SGD, B = {b}",
            )  # fmt: skip
            single = TwoLayerNet(x=problem.x, y=problem.y, frozen=frozen[0], sigma=spec.sigma)
            for i in range(spec.seeds):
                reached = bool(traj.final_loss[i] < spec.tol)
                found = jax.tree.map(lambda leaf, i=i: leaf[i], traj.final_params)
                a, a_err = sharpness(single.loss, found, num_matvecs=spec.matvecs) if reached else (np.nan, np.nan)
                s, s_err = (
                    non_uniformity(single.sample_loss, found, (single.x, single.y), num_matvecs=spec.matvecs)
                    if reached
                    else (np.nan, np.nan)
                )
                radius = theory.second_moment_radius(_jacobian(single, found), spec.eta, b) if reached else np.nan
                rows.append(
                    {
                        "B": b,
                        "seed": i,
                        "reached": reached,
                        "diverged": bool(traj.verdict[i] == Verdict.DIVERGED),
                        "steps": int(traj.steps[i]),
                        "final_loss": float(traj.final_loss[i]),
                        "sharpness": a,
                        "sharpness_error": a_err,
                        "non_uniformity": s,
                        "non_uniformity_error": s_err,
                        "sharpness_ratio": a * spec.eta / 2,
                        "non_uniformity_ratio": s * spec.eta / np.sqrt(b),
                        "mean_square_radius": radius,
                    }
                )
        table = pd.DataFrame(rows)
        minima = table[table.reached]
        metrics: dict[str, Any] = {
            "reached": {str(b): int((minima.B == b).sum()) for b in spec.batch_sizes},
            "runs": {str(b): spec.seeds for b in spec.batch_sizes},
            "max_sharpness_ratio": float(minima.sharpness_ratio.max()) if len(minima) else None,
            "max_non_uniformity_ratio": float(minima.non_uniformity_ratio.max()) if len(minima) else None,
            "max_ratio": float(max(minima.sharpness_ratio.max(), minima.non_uniformity_ratio.max())) if len(minima) else None,
            "max_mean_square_radius": float(minima.mean_square_radius.max()) if len(minima) else None,
            "median_sharpness": {str(b): float(minima[minima.B == b].sharpness.median()) for b in spec.batch_sizes},
            "median_non_uniformity": {str(b): float(minima[minima.B == b].non_uniformity.median()) for b in spec.batch_sizes},
        }
        return Result(metrics=metrics, table=table, figures={"diagram": _figure(spec, minima)})


def _jacobian(problem: TwoLayerNet, params: Any) -> np.ndarray:
    """(n, P): the gradients of the network's outputs f(x_i) in the parameters."""
    from jax.flatten_util import ravel_pytree

    flat, unravel = ravel_pytree(params)
    return np.asarray(jax.jacrev(lambda v: problem.predict(unravel(v), problem.x))(flat))


def _figure(spec: SGDMinimaSpec, minima: pd.DataFrame) -> Any:
    from gflab.plots import figure

    fig, ax = figure(width=5.5, height=4.5)
    top = 2 / spec.eta
    for i, b in enumerate(spec.batch_sizes):
        part = minima[minima.B == b]
        ax.plot(part.sharpness, part.non_uniformity, "o", color=f"C{i}", label=f"B = {b}")
        ax.axhline(np.sqrt(b) / spec.eta, color=f"C{i}", ls=":", lw=0.8)
    ax.axvline(top, color="k", ls="--", lw=0.8, label="a = 2 / eta")
    ax.set(
        xlabel="sharpness a = lambda_max(H)",
        ylabel="non-uniformity s",
        title=f"minima reached by SGD (eta = {spec.eta:g}); dotted: s = sqrt(B) / eta",
    )
    ax.legend(fontsize=7)
    return fig
