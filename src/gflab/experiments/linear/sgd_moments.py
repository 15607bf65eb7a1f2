"""Experiment ``sgd-moments``: the exact second moments of Gaussian online SGD against Monte Carlo.

Velikanov, Kuznedelev & Yarotsky 2022, "A view of mini-batch SGD via generating functions"
(tier 1 of :mod:`gflab.theory.sgd_moments`: for Gaussian features the per-mode moment
recursion is exact). On the power-law problem (``nu``, ``kappa``, ``n_modes``, label noise
``sigma``) four things are measured:

1. the exact expected loss E L_t (the moment recursion iterated, :func:`expected_sgd_losses`)
   against the mean of ``runs`` independent SGD runs (fresh Gaussian batches, learning rate
   ``eta``, momentum ``momentum``, batch ``batch_size``) at ``save_points`` log-spaced steps: the
   largest |z-score| of the difference and its p-value under the bootstrap-t null distribution
   (``resamples`` resamples of the runs; :mod:`gflab.measure.max_t` says why the
   heavy tails of the losses need it);
2. tier 2 on a finite data set (``digits_samples`` of scikit-learn's digits, batches drawn with
   replacement, learning rate ``digits_eta``): the exact p x p moment recursion
   (:func:`expected_finite_sgd_losses`) against the mean of ``runs`` SGD runs, the same test;
   and, reported beside it (tier 3), the spectrally expressible approximation: the per-mode
   recursion run on the spectrum of H with the coefficients of w* in its eigenbasis and the
   residual at w* as label noise, with noise coefficients (tau_1, tau_2) fitted to the data's
   fourth moments (:func:`noise_coefficients`) and with the Gaussian ones (1, -1); their largest
   relative errors against tier 2;
3. the generating-function identity sum_t L_t z^t = (V(z) / 2) / (1 - U(z)) at ``z``: the
   left side summed from the iterated recursion, the right side from the resolvents of the
   per-mode matrices (:func:`generating_functions`); their relative difference;
4. the divergence boundary: for each (beta, b) of ``boundary_momenta`` x ``boundary_batches``
   the expected loss (noiseless, sigma = 0) is run for ``boundary_steps`` steps T at every
   learning rate of a grid; a rate diverges when L_T > L_{T/2} or L is not finite. The grid is
   log-spaced over [1e-3, 10] / lambda_1 and refined ``rounds`` times around the first divergent
   rate (it never uses the theory); the middle of the last bracket is compared with the root
   alpha_c(beta, b) of U(1) = 1 (:func:`critical_learning_rate`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import LONG_RUNNING, jax_module
from gflab.dynamics.finite_sgd import expected_finite_sgd_losses, finite_sgd_losses
from gflab.dynamics.spectral import expected_sgd_losses, sgd_gaussian_losses
from gflab.errors import BadInput
from gflab.experiments.base import Experiment, Result
from gflab.experiments.linear.specs import SGDMomentsSpec
from gflab.measure.max_t import max_t_test
from gflab.problems.linear_regression import digits_regression
from gflab.problems.power_law import PowerLawQuadratic
from gflab.theory import sgd_moments as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

_CHUNK = 2000  # SGD runs per compiled ensemble


class SGDMoments(Experiment):
    name = "sgd-moments"
    spec_class = SGDMomentsSpec

    def run(self, spec: SGDMomentsSpec, *, progress: bool = False) -> Result:
        problem = PowerLawQuadratic(spec.nu, spec.kappa, spec.n_modes, spec.sigma)
        moments, curves = _monte_carlo(spec, problem)
        digits, digits_curves = _digits(spec)
        identity = _generating_function(spec, problem)
        boundary = _boundary(spec, problem)
        alpha_c = theory.critical_learning_rate(problem.eigenvalues, spec.momentum, spec.batch_size)
        metrics: dict[str, Any] = {
            "moments": moments,
            "digits": digits,
            "generating_function": identity,
            "boundary": {
                "max_relative_error": float(boundary.relative_error.max()),
                "rows": boundary.to_dict(orient="list"),
            },
            "critical_learning_rate": alpha_c,
            "u_at_one": theory.u_at_one(problem.eigenvalues, spec.eta, spec.momentum, spec.batch_size),
        }
        figures = {
            "moments": _moments_figure(spec, curves, digits_curves),
            "phase-diagram": _phase_figure(spec, problem, boundary),
        }
        table = pd.concat([curves.assign(data="power-law"), digits_curves.assign(data="digits")], ignore_index=True)
        return Result(metrics=metrics, table=table, figures=figures)


def _saved_steps(spec: SGDMomentsSpec) -> np.ndarray:
    return np.unique(np.geomspace(1, spec.steps, spec.save_points).round().astype(int))


def _compare(
    losses: np.ndarray, exact: np.ndarray, saved: np.ndarray, spec: SGDMomentsSpec
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The simultaneous test of ``exact`` at the ``saved`` steps against the mean of the runs' ``losses``
    (runs, saved) (:func:`max_t_test`: bootstrap p-value of the largest |z|), and the verdict:
    ``diverged`` (with the first recorded step where a run or the expected loss is non-finite or
    above 1e8 times the initial loss) or ``converged``."""
    test = max_t_test(losses, exact[saved], resamples=spec.resamples, seed=spec.seed)
    mean, se = np.asarray(test["mean"]), np.asarray(test["se"])
    with np.errstate(all="ignore"):  # diverged runs: their inf and nan are the verdict, not a warning
        blown = ~np.isfinite(losses).all(axis=0) | ~(exact[saved] < 1e8 * exact[0]) | ~(mean < 1e8 * exact[0])
    band = test["null_q99"] * se  # the simultaneous 99% band of the mean curve
    curves = pd.DataFrame({"step": saved, "exact": exact[saved], "mc_mean": mean, "mc_se": se, "z": test["z"], "band99": band})
    metrics = {
        "p_value": test["p_value"],
        "max_abs_z": test["max_abs_z"],
        "null_q95": test["null_q95"],
        "null_q99": test["null_q99"],
        "resamples": test["resamples"],
        "steps_tested": len(saved),
        "verdict": "diverged" if blown.any() else "converged",
        "diverged_step": int(saved[np.argmax(blown)]) if blown.any() else None,
        "diverged_runs": int(np.sum(~np.all(np.isfinite(losses), axis=1))),
        "max_relative_difference": float(np.max(np.abs(mean / exact[saved] - 1))),
        "runs": len(losses),
    }
    return metrics, curves


def _digits(spec: SGDMomentsSpec) -> tuple[dict[str, Any], pd.DataFrame]:
    """Tier 2 on the digits against Monte Carlo, and the Gaussian spectrally expressible approximation against tier 2."""
    data = digits_regression(spec.digits_samples, seed=spec.seed)
    x, y = jnp.asarray(data.features), jnp.asarray(data.labels)
    args = (spec.digits_eta, spec.momentum)
    exact = np.asarray(
        expected_finite_sgd_losses(
            x, jnp.asarray(data.residuals), jnp.asarray(data.minimiser), *args, spec.batch_size, steps=spec.steps
        )
    )
    saved = _saved_steps(spec)
    run = jax.jit(compiler_options=LONG_RUNNING)(
        jax.vmap(lambda key: finite_sgd_losses(x, y, *args, key, steps=spec.steps, batch=spec.batch_size)[saved])
    )
    keys = jax.random.split(jax.random.key(spec.seed + 1), spec.runs)
    losses = np.concatenate([np.asarray(run(keys[i : i + _CHUNK])) for i in range(0, spec.runs, _CHUNK)])
    metrics, curves = _compare(losses, exact, saved, spec)
    eigenvalues, vectors = np.linalg.eigh(data.hessian)
    keep = eigenvalues > 1e-12 * eigenvalues[-1]
    lam, projections = eigenvalues[keep], data.features @ vectors[:, keep]
    coefficients = (vectors.T @ data.minimiser)[keep] ** 2
    noise = float(np.sqrt(np.mean(data.residuals**2)))
    tau1, tau2 = noise_coefficients(projections, lam)

    def spectral(t1: float, t2: float) -> np.ndarray:
        return np.asarray(
            expected_sgd_losses(
                jnp.asarray(lam), jnp.asarray(coefficients), noise, *args, spec.batch_size, steps=spec.steps, tau1=t1, tau2=t2
            )
        )

    gaussian, fitted = spectral(1.0, -1.0), spectral(tau1, tau2)
    metrics["spectrally_expressible"] = {
        "tau1": tau1,
        "tau2": tau2,
        "max_relative_error": float(np.max(np.abs(fitted / exact - 1))),
        "gaussian_max_relative_error": float(np.max(np.abs(gaussian / exact - 1))),
    }
    return metrics, curves.assign(gaussian=gaussian[saved], fitted=fitted[saved])


def noise_coefficients(projections: np.ndarray, eigenvalues: np.ndarray) -> tuple[float, float]:
    """(tau1, tau2) of the spectrally expressible approximation fitted to a data set.

    With z_ik = x_i . u_k (u_k the eigenvectors of H) the fourth moments K_jk = mean_i z_ij^2 z_ik^2 are
    the diagonal (in the eigenbasis) of E[x x^T C x x^T] for C = u_k u_k^T; the approximation
    E[x x^T C x x^T] - H C H = tau1 tr(H C) H - tau2 H C H makes them K_jk = tau1 lambda_j lambda_k
    (j != k) and K_kk = (1 + tau1 - tau2) lambda_k^2. Least squares: tau1 from the off-diagonal
    entries, then tau2 from the diagonal (Gaussian data: tau1 = 1, tau2 = -1)."""
    squared = projections**2
    fourth = squared.T @ squared / len(projections)
    outer = np.outer(eigenvalues, eigenvalues)
    off = ~np.eye(len(eigenvalues), dtype=bool)
    tau1 = float(np.sum(fourth[off] * outer[off]) / np.sum(outer[off] ** 2))
    diagonal = np.diag(fourth)
    tau2 = float(1 + tau1 - np.sum(diagonal * eigenvalues**2) / np.sum(eigenvalues**4))
    return tau1, tau2


def _monte_carlo(spec: SGDMomentsSpec, problem: PowerLawQuadratic) -> tuple[dict[str, Any], pd.DataFrame]:
    """Tier 1 against the mean of the SGD runs at the recorded steps (z-scores of the difference)."""
    lam = jnp.asarray(problem.eigenvalues)
    exact = np.asarray(
        expected_sgd_losses(
            lam, jnp.asarray(problem.target_squared), spec.sigma, spec.eta, spec.momentum, spec.batch_size, steps=spec.steps
        )
    )
    saved = _saved_steps(spec)
    run = jax.jit(compiler_options=LONG_RUNNING)(
        jax.vmap(
            lambda key: sgd_gaussian_losses(
                lam, -jnp.asarray(problem.target), spec.sigma, spec.eta, spec.momentum, key,
                steps=spec.steps, batch=spec.batch_size,
            )[saved]
        )
    )  # fmt: skip
    keys = jax.random.split(jax.random.key(spec.seed), spec.runs)
    losses = np.concatenate([np.asarray(run(keys[i : i + _CHUNK])) for i in range(0, spec.runs, _CHUNK)])
    return _compare(losses, exact, saved, spec)


def _generating_function(spec: SGDMomentsSpec, problem: PowerLawQuadratic) -> dict[str, float]:
    """sum_t L_t z^t from the iterated recursion (truncated where z^t < 1e-20) against V/(2 (1 - U))."""
    steps = max(100, math.ceil(20 * math.log(10) / -math.log(spec.z)))
    losses = np.asarray(
        expected_sgd_losses(
            jnp.asarray(problem.eigenvalues), jnp.asarray(problem.target_squared), spec.sigma,
            spec.eta, spec.momentum, spec.batch_size, steps=steps,
        )
    )  # fmt: skip
    series = float(np.sum(losses * spec.z ** np.arange(steps + 1)))
    v, u = theory.generating_functions(
        spec.z, problem.eigenvalues, problem.target_squared, spec.sigma, spec.eta, spec.momentum, spec.batch_size
    )
    closed = (v / 2 / (1 - u)).real
    return {"relative_error": abs(series / closed - 1), "series": series, "closed_form": closed, "z": spec.z, "terms": steps + 1}


def _boundary(spec: SGDMomentsSpec, problem: PowerLawQuadratic) -> pd.DataFrame:
    """The measured divergence boundary of every (beta, b) against alpha_c(beta, b)."""
    lam = jnp.asarray(problem.eigenvalues)
    target = jnp.asarray(problem.target_squared)
    steps, half = spec.boundary_steps, spec.boundary_steps // 2

    @jax.jit(compiler_options=LONG_RUNNING)
    def diverges(alphas: jax.Array, beta: jax.Array, batch: jax.Array) -> jax.Array:
        def one(alpha: jax.Array) -> jax.Array:
            loss = expected_sgd_losses(lam, target, 0.0, alpha, beta, batch, steps=steps)
            return ~jnp.isfinite(loss[-1]) | (loss[-1] > loss[half])

        return jax.vmap(one)(alphas)

    rows = []
    top = float(problem.eigenvalues[0])
    for beta in spec.boundary_momenta:
        for batch in spec.boundary_batches:
            low, high = 1e-3 / top, 10.0 / top
            for r in range(spec.rounds):
                alphas = np.geomspace(low, high, spec.grid) if r == 0 else np.linspace(low, high, spec.grid)
                bad = np.asarray(diverges(jnp.asarray(alphas), beta, float(batch)))
                first = int(np.argmax(bad))
                if not bad.any() or first == 0:
                    raise BadInput(
                        "boundary_steps", f"the grid does not bracket the divergence boundary at beta={beta}, b={batch}"
                    )
                low, high = alphas[first - 1], alphas[first]
            predicted = theory.critical_learning_rate(problem.eigenvalues, beta, batch)
            measured = 0.5 * (low + high)
            rows.append(
                {"momentum": beta, "batch_size": batch, "low": low, "high": high, "measured": measured,
                 "predicted": predicted, "relative_error": abs(measured / predicted - 1)}
            )  # fmt: skip
    return pd.DataFrame(rows)


def _moments_figure(spec: SGDMomentsSpec, curves: pd.DataFrame, digits: pd.DataFrame) -> Any:
    from gflab.plots import figure

    fig, (left, right) = figure(ncols=2, width=5.0, height=4.2)
    for ax, table, name in (
        (left, curves, "tier 1: exact moment recursion"),
        (right, digits, "tier 2: exact p x p recursion"),
    ):
        ax.errorbar(
            table.step,
            table.mc_mean,
            yerr=table.band99,
            fmt="o",
            ms=3,
            color="C1",
            label=f"mean of {spec.runs} SGD runs (simultaneous 99% band)",
        )
        ax.plot(table.step, table.exact, "-", color="C0", label=name)
        ax.set(xscale="log", yscale="log", xlabel="step t", ylabel="expected loss E L_t")
    right.plot(digits.step, digits.gaussian, "--", color="C2", label="SE approximation, Gaussian tau1=1, tau2=-1")
    right.plot(digits.step, digits.fitted, ":", color="C3", label="SE approximation, fitted tau1, tau2")
    left.set_title(
        f"Gaussian features, nu={spec.nu:g} kappa={spec.kappa:g} N={spec.n_modes}\nalpha={spec.eta:g} beta={spec.momentum:g} b={spec.batch_size}",
        fontsize=9,
    )
    right.set_title(
        f"{spec.digits_samples} digits, with replacement\nalpha={spec.digits_eta:g} beta={spec.momentum:g} b={spec.batch_size}",
        fontsize=9,
    )
    for ax in (left, right):
        ax.legend(fontsize=7)
    return fig


def _phase_figure(spec: SGDMomentsSpec, problem: PowerLawQuadratic, boundary: pd.DataFrame) -> Any:
    from gflab.plots import figure

    fig, (left, right) = figure(ncols=2, width=5.0, height=4.2)
    betas = np.linspace(-0.95, 0.95, 77)
    for i, b in enumerate(spec.boundary_batches):
        curve = [theory.critical_learning_rate(problem.eigenvalues, beta, b, xtol=1e-10) for beta in betas]
        left.plot(betas, curve, color=f"C{i}", label=f"alpha_c(beta), b={b}")
        part = boundary[boundary.batch_size == b]
        left.plot(part.momentum, part.measured, "o", color=f"C{i}", mfc="none")
    left.set(
        xlabel="momentum beta", ylabel="learning rate alpha", yscale="log", title="(alpha, beta): divergent above the curves"
    )
    left.legend(fontsize=7, title="circles: measured", title_fontsize=7)
    batches = np.unique(np.geomspace(1, max(64, max(spec.boundary_batches)), 40).round())
    for i, beta in enumerate(spec.boundary_momenta):
        curve = [theory.critical_learning_rate(problem.eigenvalues, beta, b, xtol=1e-10) for b in batches]
        right.plot(batches, curve, color=f"C{i}", label=f"alpha_c(b), beta={beta:g}")
        part = boundary[boundary.momentum == beta]
        right.plot(part.batch_size, part.measured, "o", color=f"C{i}", mfc="none")
    right.set(
        xlabel="batch size b",
        ylabel="learning rate alpha",
        xscale="log",
        yscale="log",
        title="(alpha, b): divergent above the curves",
    )
    right.legend(fontsize=7)
    return fig
