"""Experiment ``random-features-rate``: m random features approximate an RKHS target at rate 1/m.

The direct approximation theorem for the random feature model (E, Ma, Wojtowytsch & Wu,
"Towards a mathematical theory of machine learning"; Rahimi & Recht 2008). Features phi(x; w) = sigma(w . x), w ~ pi_0 = N(0, I/d), x ~ mu = N(0, I_d); the model
f_m(x; a) = (1/m) sum_j a_j phi(x; w_j) (the talk's normalisation). The target lies in the
kernel's RKHS with a known representer: f*(x) = sum_l c_l k0(x, z_l) = E_w[a*(w) phi(x; w)]
with a*(w) = sum_l c_l sigma(w . z_l) (``centres`` random z_l, c ~ N(0, 1/L)), closed form by
:func:`gflab.theory.networks.feature_kernels`; ||f*||_H^2 = E[a*^2] = c^T k0(Z, Z) c.

For every m, over ``draws`` independent feature draws, two squared L2(mu) errors (on
``test_points`` fresh samples):

- ``monte_carlo``: the theorem's construction a_j = a*(w_j), whose expected squared error is
  (E_w[a*(w)^2 |phi_w|^2] - |f*|^2) / m exactly: the 1/m rate;
- ``best``: the trained random-feature model: gradient flow on a from a(0) = 0 on the
  empirical loss over ``train_points`` samples. Its t -> infinity limit is the minimum-norm
  least-squares solution, computed in closed form (the flow itself would need a time of the
  order of the Gram matrix's condition number; the tests check the limit against it).

The direct approximation theorem bounds the best error by about ||f*||_H^2 sup|phi|^2 / m.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab.experiments.base import Experiment, Result
from gflab.experiments.networks.specs import RandomFeaturesRateSpec
from gflab.hermite import ACTIVATIONS
from gflab.measure.fits import fit_statistic
from gflab.theory.networks import feature_kernels


def _features(x: np.ndarray, w: np.ndarray, sigma: str) -> np.ndarray:
    """sigma(x_i . w_j), (points, features)."""
    return np.asarray(ACTIVATIONS[sigma](x @ w.T))


class RandomFeaturesRate(Experiment):
    name = "random-features-rate"
    spec_class = RandomFeaturesRateSpec

    def run(self, spec: RandomFeaturesRateSpec, *, progress: bool = False) -> Result:
        rng = np.random.default_rng(spec.seed)
        z = rng.normal(size=(spec.centres, spec.d))
        c = rng.normal(size=spec.centres) / np.sqrt(spec.centres)
        target = lambda x: feature_kernels(x, z, spec.sigma)[0] @ c  # noqa: E731
        x_train, x_test = rng.normal(size=(spec.train_points, spec.d)), rng.normal(size=(spec.test_points, spec.d))
        y_train, y_test = target(x_train), target(x_test)
        rkhs_norm2 = float(c @ feature_kernels(z, z, spec.sigma)[0] @ c)
        rows = []
        for m in spec.widths:
            for draw in range(spec.draws):
                w = rng.normal(size=(m, spec.d)) / np.sqrt(spec.d)
                phi_test = _features(x_test, w, spec.sigma) / m
                a_mc = _features(z, w, spec.sigma).T @ c  # a*(w_j)
                a_best = np.linalg.lstsq(_features(x_train, w, spec.sigma) / m, y_train, rcond=None)[0]
                rows.append(
                    {
                        "width": m,
                        "draw": draw,
                        "monte_carlo": float(np.mean((phi_test @ a_mc - y_test) ** 2)),
                        "best": float(np.mean((phi_test @ a_best - y_test) ** 2)),
                    }
                )
        table = pd.DataFrame(rows)
        samples = {k: [table[table.width == m][k].to_numpy() for m in spec.widths] for k in ("monte_carlo", "best")}
        fits = {k: fit_statistic(spec.widths, s, np.mean, seed=spec.seed) for k, s in samples.items()}
        bound_ratio = max(float(np.median(s) * m / rkhs_norm2) for s, m in zip(samples["best"], spec.widths, strict=True))
        metrics: dict[str, Any] = {
            "rkhs_norm2": rkhs_norm2,
            "target_l2_norm2": float(np.mean(y_test**2)),
            "exponent": {k: {"slope": f.slope, "low": f.low, "high": f.high} for k, f in fits.items()},
            "mean_error": {
                k: dict(zip(map(str, spec.widths), map(float, map(np.mean, s)), strict=True)) for k, s in samples.items()
            },
            "best_times_m_over_norm": bound_ratio,
        }
        return Result(metrics=metrics, table=table, figures={"rate": _figure(spec, table, rkhs_norm2)})


def _figure(spec: RandomFeaturesRateSpec, table: pd.DataFrame, rkhs_norm2: float) -> Any:
    from gflab.plots import figure

    fig, ax = figure(width=5.5, height=4.0)
    widths = np.asarray(spec.widths, float)
    for i, (column, label) in enumerate(
        (("monte_carlo", "a_j = a*(w_j) (the theorem's construction)"), ("best", "trained (least squares)"))
    ):
        mean = table.groupby("width")[column].mean().to_numpy()
        ax.loglog(table.width, table[column], ".", color=f"C{i}", alpha=0.2)
        ax.loglog(widths, mean, "o-", color=f"C{i}", label=label)
    ax.loglog(widths, rkhs_norm2 / widths, "k--", lw=0.8, label="||f*||_H^2 / m")
    ax.set(
        xlabel="random features m", ylabel="squared L2 error", title=f"random-feature approximation ({spec.sigma}, d = {spec.d})"
    )
    ax.legend(fontsize=7)
    return fig
