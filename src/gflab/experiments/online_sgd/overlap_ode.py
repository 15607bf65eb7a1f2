"""Experiment ``overlap-ode``: the overlap ODE of one-pass SGD against finite-d simulations.

Saad & Solla 1995; Goldt et al. 2019 (conventions in :mod:`gflab.theory.overlaps`). A student
committee machine (K units, activation ``sigma``) learns a teacher with M units (``sigma_star``,
T = I, b = 1) by one-pass SGD on fresh Gaussian batches. Each run starts from a random frame of
R^d holding exactly the overlaps (Q0, R0, T), so the ODE and every run share their start. The
ODE is integrated by Tsit5 (rtol/atol of the spec); ``seeds`` SGD runs per d are one vmapped
ensemble. Measured: the largest |z| = |mean - ODE| / standard error over recorded times t > 0
and moving order parameters at the largest d, and the root-mean-square distance of a run from
the ODE against d, whose fitted exponent the theory puts at -1/2 (fluctuations of order
d^-1/2 around the deterministic limit).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab.errors import BadInput
from gflab.experiments.base import Experiment, Result
from gflab.experiments.online_sgd.runs import Setup, compare, entry_names, run_ode, run_sgd, verdict_counts
from gflab.experiments.online_sgd.specs import OverlapODESpec
from gflab.measure.fits import fit_statistic


def setup_of(spec: OverlapODESpec) -> Setup:
    K, M = spec.K, spec.M
    R0 = np.full((K, M), 0.5 * spec.r0)
    for i in range(min(K, M)):
        R0[i, i] = spec.r0
    Q0 = spec.q0 * np.eye(K)
    omega = np.block([[Q0, R0], [R0.T, np.eye(M)]])
    if np.linalg.eigvalsh(omega)[0] < -1e-12:
        raise BadInput("r0", f"the start (q0 = {spec.q0}, r0 = {spec.r0}) is not a Gram matrix: lower |r0| or raise q0")
    return Setup(
        T=np.eye(M),
        b=np.ones(M),
        Q0=Q0,
        R0=R0,
        a0=np.full(K, spec.a0),
        eta=spec.eta,
        eta_a=spec.eta_a,
        batch_size=spec.batch_size,
        noise=spec.noise,
        weight_decay=spec.weight_decay,
        student=spec.sigma,
        teacher=spec.sigma_star,
        method=spec.integrals,
    )


class OverlapODEExperiment(Experiment):
    name = "overlap-ode"
    spec_class = OverlapODESpec

    def run(self, spec: OverlapODESpec, *, progress: bool = False) -> Result:
        return self.measure(spec)[0]

    def measure(self, spec: OverlapODESpec) -> tuple[Result, dict[int, np.ndarray]]:
        """The result and the SGD runs' entries per d (seeds, T, E) (empty when the ODE diverged)."""
        s = setup_of(spec)
        ts = np.linspace(0.0, spec.t1, spec.save_points)
        names = entry_names(spec.K, spec.M)
        ode, ode_verdict = run_ode(s, ts, spec.rtol, spec.atol)
        metrics: dict[str, Any] = {"ode_verdict": ode_verdict, "entries": names, "times": ts.tolist()}
        rows = [
            {"source": "ode", "d": 0, "seed": -1, "t": t, **dict(zip(names, e, strict=True))}
            for t, e in zip(ts, ode, strict=True)
        ]
        if ode_verdict == "diverged":
            return Result(metrics=metrics, table=pd.DataFrame(rows), figures={}), {}
        sims, verdicts = {}, {}
        for d in spec.ds:
            sims[d], v = run_sgd(s, d, spec.seeds, ts, spec.seed, simulation=spec.simulation)
            verdicts[d] = verdict_counts(v)
            for i, run in enumerate(sims[d]):
                rows += [
                    {"source": "sgd", "d": d, "seed": i, "t": t, **dict(zip(names, e, strict=True))}
                    for t, e in zip(ts, run, strict=True)
                ]
        cmp = compare(ode, sims)
        fit = fit_statistic(
            spec.ds, [cmp["distances"][d] ** 2 for d in spec.ds], lambda x: float(np.sqrt(np.mean(x))), seed=spec.seed
        )
        metrics.update(
            ode=ode.tolist(),
            sgd_verdicts={str(d): v for d, v in verdicts.items()},
            max_z=cmp["max_z"],
            mean_z=cmp["mean_z"],
            distance={str(d): float(np.sqrt(np.mean(cmp["distances"][d] ** 2))) for d in spec.ds},
            exponent=fit.slope,
            exponent_interval=[fit.low, fit.high],
        )
        figures = {"overlaps": figure(spec, ts, names, ode, sims, fit.slope)}
        return Result(metrics=metrics, table=pd.DataFrame(rows), figures=figures), sims


def figure(spec: Any, ts: np.ndarray, names: list[str], ode: np.ndarray, sims: dict[int, np.ndarray], slope: float) -> Any:
    """Left: order parameters against t, the ODE (lines) over SGD at the largest d (mean and
    3 standard errors). Right: a run's distance from the ODE against d, with d^-1/2."""
    from gflab.plots import figure as new_figure

    fig, (left, right) = new_figure(ncols=2, width=5.0, height=4.0)
    largest = max(sims)
    runs = sims[largest]
    mean, se = runs.mean(0), runs.std(0, ddof=1) / np.sqrt(len(runs))
    for i, name in enumerate(names):
        if np.ptp(ode[:, i]) == 0 and np.all(se[:, i] == 0):
            continue
        left.plot(ts, ode[:, i], "-", color=f"C{i % 10}", lw=1.2, label=name)
        left.errorbar(ts, mean[:, i], yerr=3 * se[:, i], fmt="o", ms=3, color=f"C{i % 10}", capsize=2)
    left.set(
        xlabel="t = steps / d",
        ylabel="order parameter",
    )
    left.set_title(
        f"{spec.sigma}, eta = {spec.eta:g}, kappa = {spec.weight_decay:g}: ODE (lines), SGD d = {largest} (3 s.e.)", fontsize=9
    )
    left.legend(fontsize=7, ncol=2)
    ds = np.array(sorted(sims))
    dist = np.array([np.sqrt(np.mean((sims[d][:, 1:] - ode[None, 1:]) ** 2)) for d in ds])
    right.loglog(ds, dist, "o", label=f"SGD runs (fitted slope {slope:.2f})")
    right.loglog(ds, dist[0] * (ds / ds[0]) ** -0.5, "--", color="grey", label="d^-1/2")
    right.set(xlabel="d", ylabel="rms distance of a run from the ODE", title="finite-d fluctuations")
    right.legend(fontsize=8)
    return fig
