"""Experiment ``gradient-variance``: gradients barely tell orthonormal targets apart.

The hardness lemma of E, Ma, Wojtowytsch & Wu, "Towards a mathematical theory of machine
learning" (after Shamir 2018, "Distribution-specific hardness of learning neural networks"): for an orthonormal family f_1..f_M in L2(mu) and a model h(x; theta)
with Q(theta) = E|grad_theta h|^2, the losses R_i(theta) = E[(h - f_i)^2] / 2 have gradients
g_i = E[(h - f_i) grad h] whose spread is small:

    Var_M = (1/M) sum_i |g_i - mean_j g_j|^2 <= Q(theta) / M

(g_i - mean = -(<f_i, grad h> - mean), and sum_i <f_i, grad h>^2 <= Q by Bessel). With
R = E[(h - f)^2] (no 1/2) every gradient doubles and the bound is 4 Q / M.

The family: f_b(x) = sqrt(2) cos(2 pi b . x) on [0, 1]^d, b in N_+^d ordered by |b|_1 (then
lexicographically): the first M. mu is the midpoint grid of ``grid``^d points, under which the
f_b are exactly orthonormal while 2 max b_i < grid (checked), so the lemma holds exactly there
and mu tends to the uniform measure as the grid is refined. The model: a two-layer tanh network
of ``width`` neurons with ``thetas`` random parameter draws (w ~ N(0, ``weight_std``^2 I), bias and a
~ N(0, 1)). Measured at every M: Var_M and Var_M M / Q (at most 1 by the lemma). The lemma
bounds the variance and says nothing about how it falls with M: its decay is a finding,
reported as the power law of the median Var_M over M >= ``fit_from`` and as the local
exponents between consecutive family sizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.experiments.base import Experiment, Result
from gflab.experiments.networks.specs import GradientVarianceSpec
from gflab.measure.fits import fit_statistic
from gflab.theory.networks import cosine_frequencies

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class GradientVariance(Experiment):
    name = "gradient-variance"
    spec_class = GradientVarianceSpec

    def run(self, spec: GradientVarianceSpec, *, progress: bool = False) -> Result:
        b = cosine_frequencies(spec.d, max(spec.family_sizes))
        axis = (np.arange(spec.grid) + 0.5) / spec.grid
        x = np.stack(np.meshgrid(*([axis] * spec.d), indexing="ij"), axis=-1).reshape(-1, spec.d)
        family = np.sqrt(2.0) * np.cos(2 * np.pi * x @ b.T)  # (N, M_max)
        gram = family.T @ family / len(x)
        orthonormality_error = float(np.max(np.abs(gram - np.eye(len(b)))))
        rows = []
        for i, jac in enumerate(self._jacobians(spec, x)):
            q = float(np.mean(np.sum(jac**2, axis=1)))  # Q = E|grad h|^2
            inner = family.T @ jac / len(x)  # (M_max, P): <f_i, grad h>
            for m in spec.family_sizes:
                spread = inner[:m] - inner[:m].mean(axis=0)
                variance = float(np.mean(np.sum(spread**2, axis=1)))
                rows.append({"theta": i, "M": m, "variance": variance, "Q": q, "ratio": variance * m / q})
        table = pd.DataFrame(rows)
        fitted = [m for m in spec.family_sizes if m >= spec.fit_from]
        fit = fit_statistic(fitted, [table[table.M == m].variance.to_numpy() for m in fitted], np.median, seed=spec.seed)
        median = np.array([table[table.M == m].variance.median() for m in spec.family_sizes])
        local = np.diff(np.log(median)) / np.diff(np.log(spec.family_sizes))
        metrics: dict[str, Any] = {
            "orthonormality_error": orthonormality_error,
            "max_ratio": float(table.ratio.max()),
            "exponent": {"slope": fit.slope, "low": fit.low, "high": fit.high, "fitted_sizes": fitted},
            # d log median Var_M / d log M between consecutive sizes, keyed by the larger M
            "local_exponents": dict(zip(map(str, spec.family_sizes[1:]), local.tolist(), strict=True)),
            "median_ratio": {str(m): float(table[table.M == m].ratio.median()) for m in spec.family_sizes},
        }
        return Result(metrics=metrics, table=table, figures={"variance": _figure(spec, table)})

    @staticmethod
    def _jacobians(spec: GradientVarianceSpec, x: np.ndarray) -> np.ndarray:
        """grad_theta h(x; theta) on the grid for every parameter draw, (thetas, N, P)."""
        from jax.flatten_util import ravel_pytree

        def h(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:  # one point x (d,)
            return jnp.tanh(params["w"] @ x + params["b"]) @ params["a"] / np.sqrt(spec.width)

        def draw(key: jax.Array) -> dict[str, jax.Array]:
            kw, kb, ka = jax.random.split(key, 3)
            return {
                "w": spec.weight_std * jax.random.normal(kw, (spec.width, spec.d)),
                "b": jax.random.normal(kb, (spec.width,)),
                "a": jax.random.normal(ka, (spec.width,)),
            }

        _, unravel = ravel_pytree(draw(jax.random.key(0)))
        per_point = jax.vmap(jax.grad(lambda v, xi: h(unravel(v), xi)), in_axes=(None, 0))
        flats = jax.vmap(lambda key: ravel_pytree(draw(key))[0])(jax.random.split(jax.random.key(spec.seed), spec.thetas))
        return np.asarray(jax.vmap(per_point, in_axes=(0, None))(flats, jnp.asarray(x)))


def _figure(spec: GradientVarianceSpec, table: pd.DataFrame) -> Any:
    from gflab.plots import figure

    fig, (ax, ax2) = figure(2, width=5.0, height=4.0)
    sizes = np.asarray(spec.family_sizes, float)
    for _, part in table.groupby("theta"):
        ax.loglog(part.M, part.variance, "-", color="C0", alpha=0.4)
        ax.loglog(part.M, part.Q / part.M, ":", color="C3", alpha=0.4)
        ax2.semilogx(part.M, part.ratio, "o-", color="C0", alpha=0.4)
    ax.plot([], [], "-", color="C0", label="Var_M (one line per theta)")
    ax.plot([], [], ":", color="C3", label="bound Q / M")
    ax.set(xlabel="family size M", ylabel="gradient variance", title="spread of the M gradients")
    ax.legend(fontsize=7)
    ax2.axhline(1.0, color="k", ls="--", lw=0.8, label="lemma: Var_M M / Q <= 1")
    ax2.set(xlabel="family size M", ylabel="Var_M M / Q", xlim=(sizes[0] / 1.5, sizes[-1] * 1.5))
    ax2.legend(fontsize=7)
    return fig
