"""Experiment ``plateau``: the symmetric plateau of the soft committee machine (Saad & Solla 1995).

Student and teacher g(x) = erf(x / sqrt 2), K = M, T = I, a = b = 1 fixed, no noise. In the
limit eta -> 0 (time in units of eta t) the overlap ODE has a fixed point where every student
vector is the same mixture of the teacher vectors (Q_ik = 1/(2K-1), R_in = 1/sqrt(K(2K-1)),
derived in :func:`gflab.theory.overlaps.plateau_point`). Measured per K:

- the fixed point: the ODE integrated from a start on the invariant manifold of identical
  students until the drift falls below 1e-9; its eps_g and order parameters against the
  closed form;
- its unstable eigenvalue: the largest eigenvalue of the Jacobian of the drift in the
  independent order parameters (autodiff), checked against a central-difference Jacobian;
- the plateau length: from the plateau plus delta along the unstable eigenvector (students kept
  in the teacher span, Q = R R^T), the time until eps_g falls below ``escape`` times its plateau
  value; linearisation predicts length = ln(1/delta) / lambda + const;
- from a generic start (Q = I/2, small random R), the time spent within 10% of the plateau's
  eps_g: the start is pulled in along the stable directions, the slowest at the rate
  ``slowest_stable_eigenvalue`` (``neutral_directions`` counts the eigenvalues within 1e-8 of 0:
  the plateau's Omega is singular, every student in the teacher span), and leaves at the rate
  lambda from the asymmetry it carries;
- the finite-eta plateau: the same fixed point with the eta^2 terms kept, at each eta.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics import GradientFlow
from gflab.experiments.base import Experiment, Result
from gflab.experiments.online_sgd.specs import PlateauSpec
from gflab.problems.committee import OverlapODE
from gflab.simulation import Save, Stop, loss, simulate
from gflab.theory import overlaps as theory

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def committee(K: int) -> OverlapODE:
    """Saad & Solla's K = M committee machine as an overlap ODE (a fixed, erf(x/sqrt2)), eta -> 0."""
    return OverlapODE(T=jnp.eye(K), b=jnp.ones(K), eta=1.0, student="erf-ss", teacher="erf-ss", method="closed", variance=0.0)


def _pack(K: int, Q: jax.Array, R: jax.Array) -> jax.Array:
    rows, cols = np.triu_indices(K)
    return jnp.concatenate([Q[rows, cols], R.ravel()])


def _unpack(K: int, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    rows, cols = np.triu_indices(K)
    n = len(rows)
    Q = jnp.zeros((K, K)).at[rows, cols].set(y[:n]).at[cols, rows].set(y[:n])
    return Q, y[n:].reshape(K, K)


def reduced_drift(problem: OverlapODE, K: int) -> Any:
    """The drift as a function of the independent entries (upper triangle of Q, R)."""
    a = jnp.ones(K)

    def f(y: jax.Array) -> jax.Array:
        Q, R = _unpack(K, y)
        p = problem.drift({"Q": Q, "R": R, "a": a})
        return _pack(K, p["Q"], p["R"])

    return f


def _fixed_points(K: int, etas: list[float], spec: PlateauSpec) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """One ensemble: the limit eta -> 0 (time eta t) and each finite eta (eta^2 terms kept, time
    t), integrated from identical students (Q = 0.1 11^T, R = sqrt(0.1/K) 11^T; an invariant
    manifold) until the drift falls below 1e-9: (entries (n, E), eps_g (n,), verdicts)."""
    n = 1 + len(etas)
    eta = jnp.asarray([1.0, *etas])
    problem = eqx.tree_at(lambda p: (p.eta, p.variance), committee(K), (eta, jnp.asarray([0.0] + [1.0] * len(etas))))
    y0 = {"Q": jnp.full((K, K), 0.1), "R": jnp.full((K, K), np.sqrt(0.1 / K)), "a": jnp.ones(K)}
    traj = simulate(
        problem,
        GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=jnp.asarray(1e4 / np.asarray(eta))),  # type: ignore[arg-type]
        y0,
        over=lambda p: (p.eta, p.variance),
        dynamics_over=lambda d: d.t1,
        save=Save(observables={}),
        stop=Stop(gtol=1e-9),
    )
    p = traj.final_params
    entries = np.stack([np.asarray(_pack(K, p["Q"][i], p["R"][i])) for i in range(n)])
    return entries, np.asarray(traj.final_loss), [str(v) for v in traj.verdict_names]


class Plateau(Experiment):
    name = "plateau"
    spec_class = PlateauSpec

    def run(self, spec: PlateauSpec, *, progress: bool = False) -> Result:
        rows: list[dict[str, Any]] = []
        metrics: dict[str, Any] = {"K": {}}
        curves: dict[int, Any] = {}
        for K in spec.Ks:
            m, curves[K] = self._one(spec, K, rows)
            metrics["K"][str(K)] = m
        per_k = metrics["K"].values()
        metrics["max_fixed_point_error"] = max(m["fixed_point_error"] for m in per_k)
        metrics["max_eigenvalue_difference"] = max(m["eigenvalue_fd_difference"] for m in per_k)
        metrics["max_slope_error"] = max(m["slope_relative_error"] for m in per_k)
        metrics["min_plateau_rise"] = min(m["plateau_rise"] for m in per_k)
        return Result(metrics=metrics, table=pd.DataFrame(rows), figures={"plateau": figure(spec, metrics, curves)})

    def _one(self, spec: PlateauSpec, K: int, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], Any]:
        q_star, r_star = theory.plateau_point(K)
        eps_star = theory.plateau_error(K)
        problem = committee(K)
        f = reduced_drift(problem, K)
        etas = sorted(spec.etas)
        points, eps_points, verdicts = _fixed_points(K, etas, spec)
        fixed, eps_fixed = points[0], float(eps_points[0])
        _, R = _unpack(K, jnp.asarray(fixed))
        closed = np.asarray(_pack(K, jnp.full((K, K), q_star), jnp.full((K, K), r_star)))
        # the unstable eigenvalue, autodiff against central differences
        jac = np.asarray(jax.jit(jax.jacfwd(f))(jnp.asarray(fixed)))
        values, vectors = np.linalg.eig(jac)
        top = int(np.argmax(values.real))
        lam = float(values[top].real)
        h = 1e-6
        steps = h * np.eye(len(fixed))
        ends = np.asarray(jax.jit(jax.vmap(f))(jnp.asarray(np.concatenate([fixed + steps, fixed - steps]))))
        fd = (ends[: len(fixed)] - ends[len(fixed) :]).T / (2 * h)  # column j: the central difference along e_j
        lam_fd = float(np.max(np.linalg.eigvals(fd).real))
        # escape from the plateau along the unstable direction, students in the teacher span
        _, e_R = _unpack(K, jnp.asarray(vectors[:, top].real))
        e_R = np.asarray(e_R) / np.max(np.abs(np.asarray(e_R)))
        e_R *= np.sign(np.trace(e_R)) or 1.0
        deltas = np.asarray(spec.deltas)
        R0 = np.asarray(R)[None] + deltas[:, None, None] * e_R[None]
        Q0 = R0 @ np.transpose(R0, (0, 2, 1))
        # the last row: a generic start (Q = I/2, small random R)
        rng = np.random.default_rng([spec.seed, K])
        R0 = np.concatenate([R0, rng.normal(0, 1e-3, (1, K, K))])
        Q0 = np.concatenate([Q0, 0.5 * np.eye(K)[None]])
        ts = np.geomspace(1e-2, spec.t1, 200)
        runs = simulate(
            problem,
            GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=spec.t1),
            {"Q": jnp.asarray(Q0), "R": jnp.asarray(R0), "a": jnp.ones((len(R0), K))},
            y0_batched=True,
            save=Save(ts=ts, observables={"loss": loss}),
            stop=Stop(tol=spec.escape * eps_star),
        )
        lengths = np.where(runs.verdict_names[:-1] == "learned", runs.t_final[:-1], np.nan)
        escaped = np.isfinite(lengths)
        slope = float(np.polyfit(np.log(1 / deltas[escaped]), lengths[escaped], 1)[0]) if escaped.sum() >= 2 else float("nan")
        # the generic start: the time spent within 10% of the plateau
        eps_curve = np.where(ts <= runs.t_final[-1], np.asarray(runs.observations["loss"][-1]), np.nan)  # until it stopped
        near = np.abs(eps_curve / eps_star - 1) < 0.1
        dt = np.diff(np.concatenate([[0.0], ts]))
        finite = {str(eta): {"eps": float(e), "verdict": v} for eta, e, v in zip(etas, eps_points[1:], verdicts[1:], strict=True)}
        ladder = np.asarray(eps_points)
        for delta, length in zip(deltas, lengths, strict=True):
            rows.append({"K": K, "delta": delta, "length": length})
        m = {
            "eps_closed": eps_star,
            "eps_fixed_point": eps_fixed,
            "fixed_point_verdict": verdicts[0],
            "fixed_point_error": float(max(abs(eps_fixed - eps_star), np.max(np.abs(fixed - closed)))),
            "eigenvalue": lam,
            "eigenvalue_fd": lam_fd,
            "eigenvalue_fd_difference": abs(lam - lam_fd),
            "slope": slope,
            "inverse_eigenvalue": 1 / lam,
            "slope_relative_error": abs(slope * lam - 1) if np.isfinite(slope) else float("nan"),
            "escaped": int(escaped.sum()),
            "slowest_stable_eigenvalue": float(np.max(values.real[values.real < -1e-8])),
            "neutral_directions": int(np.sum(np.abs(values.real) <= 1e-8)),
            "generic_time_near_plateau": float(np.sum(dt[near])),
            "generic_min_relative_gap": float(np.nanmin(np.abs(eps_curve / eps_star - 1))),
            "finite_eta": finite,
            "plateau_rise": float(np.min(np.diff(ladder))),
        }
        return m, {
            "ts": ts,
            "eps": eps_curve,
            "deltas": deltas,
            "lengths": lengths,
            "eps_star": eps_star,
            "slope": slope,
            "lam": lam,
        }


def figure(spec: PlateauSpec, metrics: dict[str, Any], curves: dict[int, Any]) -> Any:
    """Left: eps_g from a generic start with the closed-form plateau (dashed). Right: plateau
    length against ln(1/delta), with the line of slope 1/lambda."""
    from gflab.plots import figure as new_figure

    fig, (left, right) = new_figure(ncols=2, width=5.0, height=4.0)
    for i, (K, c) in enumerate(curves.items()):
        left.loglog(c["ts"], c["eps"], color=f"C{i}", label=f"K = M = {K}: ODE")
        left.axhline(c["eps_star"], color=f"C{i}", ls="--", lw=0.8)
        x = np.log(1 / c["deltas"])
        right.plot(x, c["lengths"], "o", color=f"C{i}", label=f"K = {K}: ODE")
        ok = np.isfinite(c["lengths"])
        if ok.any():
            anchor = np.mean(c["lengths"][ok] - x[ok] / c["lam"])
            right.plot(x, anchor + x / c["lam"], "-", color=f"C{i}", lw=0.8, label=f"slope 1/lambda = {1 / c['lam']:.1f}")
    left.set(xlabel="eta t", ylabel="eps_g", title="generic start until eps_g halves (dashed: closed-form plateau)")
    left.legend(fontsize=7)
    right.set(xlabel="ln(1/delta)", ylabel="plateau length (eta t)", title="escape along the unstable direction")
    right.legend(fontsize=7)
    return fig
