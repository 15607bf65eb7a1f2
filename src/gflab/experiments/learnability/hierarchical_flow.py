"""Experiment ``hierarchical-flow`` (Yarotsky 2024, "Learnability of high-dimensional targets by
two-parameter models and gradient flow", Theorem 6, Figures 2-3): the genuine gradient flow of
the two-parameter map at finite lambda.

The map is the fixed C^1 function Phi(u, v) = Gamma(u, sigma_0 + lambda v) of
:mod:`gflab.problems.hierarchical` (``Hierarchical.two_timescale(lam)``), started at
w_0 = (0.05, 0) for every target. Its flow dw/dt = -grad 1/2 |Phi(w) - f|^2 moves sigma
lambda^2 |dGamma/dsigma|^2 times faster than u, and |dGamma/dsigma| runs from ~1 on the root
curve to ~(2m)^d on the deepest flanks: relaxation rates up to ~1e16 at d = 3. It is integrated
by the L-stable Rosenbrock method :class:`gflab.dynamics.rosenbrock_flow.RosenbrockFlow`
(W from |H|, the exact Hessian with its eigenvalues' absolute values; steps that raise L
rejected; tolerances below), through :func:`simulate`.

Where the flow goes slowly: during stage n's spreading the nearest point slides down the
growing tooth's flank (the next level's segment) across that level's future flanks, flats of
speed ~(1 - g) |ramp slope| (g the tooth's growth; 1e-5 .. 1e-3 at u ~ 0.8 .. 0.95 of stage 0
at d = 3), lagging ~1e-3 above the target's height while sigma crosses each flat at
lambda^2 x lag x speed; each flat ends in a rounded corner where L is concave in v. With
the exact Hessian in W the solver stalls at the first such corner (I + h d H near-singular:
a stall of the solver, not of the map); with |H| and the descent test the flow crosses the
flats (about 70 per stage) and the ridges at the last stage's tips.

Tolerances (:class:`UnitTolerance`): u to ``rtol`` |u| + ``atol_u``; sigma to ``unit_tol``
times the sigma length of one unit of the deepest level holding it
(:func:`gflab.problems.hierarchical_scale.unit_length`: 2.9e-3 at level 1, 9e-6 at level 2
for m = 150), i.e. a fixed tolerance in a parameter whose units are of order one at every
level. Where it matters: when a tooth's tip rises past the target, the point must slip off
onto the flank (the next level's segment), not onto the tooth's back, which rises over only
THETA of the tooth region (~2e-7 of sigma at level 2) and leads nowhere. A tolerance relative
to |v| (v's origin is arbitrary: ~4e-5 of sigma at rtol 1e-4) is looser than a whole level-2
unit; steps then jump across a tip onto the back (the descent test cannot see it: L is lower
there too). Measured at d = 3, lambda = 100 on 32 targets: 25 learned with rtol |v|; 29 with
sigma to 1e-2 of the unit; none lost that way at 3e-3 or 1e-3 (64 targets), at ~3x the steps.
A fixed tolerance on sigma is too loose at level 2 or too costly at the root: at 1e-6, 2 of 32
on the wrong side; at 1e-7, 5 of 32 still in stages 1-2 after 30,000 steps.

Verdicts: ``learned`` (|Phi - f| below delta_N), ``trapped`` (|grad L| below ``gtol`` away
from the target: the flow stalled; its stage is floor(u)), ``undecided`` (flow time ``t1``
reached, or ``max_steps`` solver steps), ``diverged`` (the solver's step collapsed). With
``fast_relax`` a collapse relaxes sigma at fixed u instead (:class:`FastBranch`: the jump of the
singular-perturbation limit, so the run is no longer the pure finite-lambda flow there), and
is diverged only if that does not lower L; no claim uses it. With ``compare`` the adiabatic path (lambda -> infinity,
:class:`gflab.dynamics.AdiabaticLimit`) runs on the same targets: agreement of verdicts, and
distance between the final points of the targets both learn.

Tracking: along each flow, at the save times, the distance in target space from Phi(w(t)) to
the nearest-point branch of Gamma_u at the same u (sigma relaxed from the flow's, at fixed u:
:func:`branch_gap`). Tikhonov's theorem puts it at O(1/lambda^2) where the branch is smooth;
``lambdas`` runs the first ``sweep_targets`` targets at further lambda (the fraction learned
and the median gap against lambda).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import equinox as eqx
import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics.adiabatic import relax
from gflab.dynamics.rosenbrock_flow import RosenbrockFlow
from gflab.experiments.base import Experiment, Result
from gflab.experiments.learnability.hierarchical import follow_targets
from gflab.experiments.learnability.hierarchical_figures import curve_samples
from gflab.experiments.learnability.specs import HierarchicalFlowSpec
from gflab.measure.verdicts import proportion, verdict_fractions
from gflab.problems.base import AbstractProblem
from gflab.problems.curves import CurveFit, TwoTimescale
from gflab.problems.hierarchical import Hierarchical, hierarchical, resolution
from gflab.problems.hierarchical_scale import unit_length
from gflab.results import VERDICT_NAMES, Verdict
from gflab.simulation import Save, Stop, simulate
from gflab.theory.learnability import HIERARCHICAL_U_START as U_START

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

SAVES = 60  # save times per flow, log-spaced from FIRST_SAVE to t1
FIRST_SAVE = 1e-2
RELAX_ITERATIONS = 64  # descent steps of the branch's relaxation (capped as in the adiabatic path)
RELAX_CAP = 1e-3
FAST_ITERATIONS = 256  # descent steps of a fast relaxation (a few Newton steps where the move is small)
GAP_BATCH = 64  # targets per compiled batch when Phi and the branch gap are evaluated on the saves


@dataclass(frozen=True)
class UnitTolerance:
    """Error scale of the flow of Phi(u, v) = Gamma(u, sigma_0 + lambda v): u against
    atol_u + rtol |u|; v against unit_tol x (sigma length of one unit of the deepest level
    holding sigma, :func:`gflab.problems.hierarchical_scale.unit_length`) / lambda, i.e. a
    tolerance of unit_tol in a parameter whose units are of order one at every level. Zero
    outside the curve's interval sigma in [0, 1] (the map is constant there, the flow would
    stop): a step that leaves it is refused."""

    rtol: float
    atol_u: float
    unit_tol: float

    def __call__(self, problem: AbstractProblem, params: jax.Array) -> jax.Array:
        assert isinstance(problem, CurveFit)
        model = problem.model
        assert isinstance(model, TwoTimescale) and isinstance(model.family, Hierarchical)
        sigma = model.sigma(params)
        v_tol = jnp.where(
            (sigma >= 0.0) & (sigma <= 1.0), self.unit_tol * unit_length(model.family.levels, sigma) / model.lam, 0.0
        )
        return jnp.stack([self.atol_u + self.rtol * jnp.abs(params[0]), v_tol])


@dataclass(frozen=True)
class FastBranch:
    """``fast_relax`` of :class:`RosenbrockFlow` for Phi(u, v) = Gamma(u, sigma_0 + lambda v):
    where ``go``, sigma relaxed at fixed u by the adiabatic path's descent
    (:func:`gflab.dynamics.adiabatic.relax`, up to ``iterations`` steps), each step moving
    Gamma by at most 2 ``cap``: with ``cap`` a quarter of the finest teeth spacing
    (:func:`fast_branch`) no step reaches a neighbouring tooth, so the descent stays on the
    tooth where the flow's collapse left it (at a tooth's tip the move it needs is a Newton
    step in sigma, ~1e-11 at d = 5)."""

    iterations: int
    cap: float

    def __call__(self, problem: AbstractProblem, params: jax.Array, go: jax.Array) -> jax.Array:
        assert isinstance(problem, CurveFit)
        model = problem.model
        assert isinstance(model, TwoTimescale)
        iterations = jnp.where(go, self.iterations, 0)
        relaxed = relax(model.family.curve, problem.target, params[0], model.sigma(params), iterations, self.cap, 1e-13)
        return jnp.where(go, model.with_sigma(params, relaxed), params)


def fast_branch(model: Hierarchical) -> FastBranch:
    """:class:`FastBranch` for the model's design: ``cap`` a quarter of its finest teeth spacing."""
    return FastBranch(FAST_ITERATIONS, 0.25 * min(level.spacing for level in model.levels[1:]))


def branch_gap(problem: CurveFit, params: jax.Array) -> jax.Array:
    """Observable: |Phi(w) - Gamma(u, sigma*)|, sigma* the nearest point of Gamma_u to f
    relaxed from the flow's sigma = sigma_0 + lambda v at the same u (capped descent steps,
    :func:`gflab.dynamics.adiabatic.relax`): how far the flow lags its adiabatic branch."""
    model = problem.model
    assert isinstance(model, TwoTimescale)
    u, sigma = params[0], model.sigma(params)
    branch = relax(model.family.curve, problem.target, u, sigma, RELAX_ITERATIONS, RELAX_CAP, 1e-13)
    return jnp.sqrt(jnp.sum((model.family.curve(u, sigma) - model.family.curve(u, branch)) ** 2))


def parameters(problem: CurveFit, params: jax.Array) -> jax.Array:
    """Observable: w = (u, v) itself. The flow records only w; Phi(w) and :func:`branch_gap`
    are evaluated on the saved w after the run. Inside the ensemble's loop a save of any slot
    evaluates the observables of every slot (a vmapped branch is a select), and the branch
    gap's relaxation costs as much as tens of solver steps."""
    return params


@eqx.filter_jit
def _path_and_gap_batch(phi: TwoTimescale, targets: jax.Array, saved: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Phi(w) (GAP_BATCH, T, d) and the branch gap (GAP_BATCH, T) at saved parameters (GAP_BATCH, T, 2)."""

    def row(target: jax.Array, params: jax.Array) -> tuple[jax.Array, jax.Array]:
        problem = CurveFit(model=phi, target=target)
        return jax.vmap(phi)(params), jax.vmap(lambda w: branch_gap(problem, w))(params)

    return jax.vmap(row)(targets, saved)


def path_and_gap(phi: TwoTimescale, targets: np.ndarray, saved: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Phi(w) (targets, T, d) and the branch gap (targets, T) at the saved parameters
    (targets, T, 2), GAP_BATCH targets at a time (the last batch padded: one compiled
    program whatever the number of targets)."""
    paths, gaps = [], []
    for start in range(0, len(targets), GAP_BATCH):
        rows = np.arange(start, start + GAP_BATCH).clip(max=len(targets) - 1)
        path, gap = _path_and_gap_batch(phi, jnp.asarray(targets[rows]), jnp.asarray(saved[rows]))
        keep = min(GAP_BATCH, len(targets) - start)
        paths.append(np.asarray(path)[:keep])
        gaps.append(np.asarray(gap)[:keep])
    return np.concatenate(paths), np.concatenate(gaps)


@dataclass
class Flows:
    """Gradient flows of a batch of targets at one lambda: final point ``point`` (targets, d),
    distance |Phi - f|, slow variable ``u`` at the stop, verdict codes, and at the save times
    the points ``path`` (targets, T, d), the branch gap ``gap`` (targets, T) and ``saved``
    (targets, T) whether the save precedes the stop."""

    point: np.ndarray
    distance: np.ndarray
    u: np.ndarray
    verdict: np.ndarray
    steps: np.ndarray
    path: np.ndarray
    gap: np.ndarray
    saved: np.ndarray


def flow_dynamics(spec: HierarchicalFlowSpec, model: Hierarchical) -> RosenbrockFlow:
    """The solver of the spec: :class:`RosenbrockFlow` with :class:`UnitTolerance` (and
    :class:`FastBranch` where ``fast_relax``)."""
    return RosenbrockFlow(
        t1=spec.t1,
        max_steps=spec.max_steps,
        error_scale=UnitTolerance(spec.rtol, spec.atol_u, spec.unit_tol),
        fast_relax=fast_branch(model) if spec.fast_relax else None,
    )


def run_flows(
    model: Hierarchical, targets: np.ndarray, lam: float, spec: HierarchicalFlowSpec, progress: bool, label: str
) -> Flows:
    """The flow of Phi(u, v) = Gamma(u, sigma_0 + lam v) from (U_START, 0) to each target, by
    :class:`RosenbrockFlow`; learned below delta_N, trapped where |grad L| < gtol."""
    delta = resolution(model.levels, model.d)
    ts = np.geomspace(FIRST_SAVE, spec.t1, SAVES)
    # lambda as an array (a traced leaf, not a static float): one compiled program for every lambda
    phi = TwoTimescale(family=model, sigma0=model.sigma0, lam=cast(float, jnp.asarray(lam)))
    traj = simulate(
        CurveFit(model=phi, target=jnp.asarray(targets)),
        flow_dynamics(spec, model),
        jnp.asarray([U_START, 0.0]),
        over=lambda p: p.target,
        save=Save(ts=ts, observables={"params": parameters}),
        stop=Stop(tol=delta**2 / 2, gtol=spec.gtol),
        slots=spec.slots,
        progress=progress,
        description=label,
    )
    params = np.asarray(traj.final_params)
    point = np.asarray(jax.vmap(phi)(jnp.asarray(params)))
    path, gap = path_and_gap(phi, targets, np.asarray(traj.observations["params"]))
    return Flows(
        point=point,
        distance=np.sqrt(2.0 * traj.final_loss),
        u=params[:, 0],
        verdict=traj.verdict,
        steps=traj.steps,
        path=path,
        gap=gap,
        saved=traj.saved_ts < traj.t_final[:, None],
    )


def median_gap(flows: Flows) -> float:
    """Median branch gap over every save before a stop (nan if none)."""
    gaps = flows.gap[flows.saved]
    return float(np.median(gaps)) if gaps.size else float("nan")


class HierarchicalFlowExperiment(Experiment):
    name = "hierarchical-flow"
    spec_class = HierarchicalFlowSpec

    def run(self, spec: HierarchicalFlowSpec, *, progress: bool = False) -> Result:
        model = hierarchical(spec.d, m=spec.m, eps=spec.eps)
        delta = resolution(model.levels, spec.d)
        targets = np.asarray(jax.random.uniform(jax.random.key(spec.seed), (spec.n_targets, spec.d)))
        flows = run_flows(model, targets, spec.lam, spec, progress, f"hierarchical flow (lambda = {spec.lam:g}): targets")
        trapped, undecided = flows.verdict == Verdict.TRAPPED, flows.verdict == Verdict.UNDECIDED
        metrics: dict[str, Any] = {
            "d": spec.d,
            "n_stages": model.n_stages,
            "m": spec.m,
            "design_eps": spec.eps,
            "delta_N": delta,
            "lambda": spec.lam,
            "n_targets": spec.n_targets,
            "fractions": verdict_fractions(flows.verdict),
            "trapped_at_stage": {str(n): int(np.sum(trapped & (np.floor(flows.u) == n))) for n in range(model.n_stages)},
            "undecided_at_stage": {str(n): int(np.sum(undecided & (np.floor(flows.u) == n))) for n in range(model.n_stages)},
            "u_stop_median": float(np.median(flows.u)),
            "steps_median": float(np.median(flows.steps)),
            "final_distance_median": float(np.median(flows.distance)),
            "tracking_gap_median": median_gap(flows),
        }
        table = pd.DataFrame(
            {
                **{f"f{i}": targets[:, i] for i in range(spec.d)},
                "distance": flows.distance,
                "u_stop": flows.u,
                "steps": flows.steps,
                "verdict": np.asarray(VERDICT_NAMES)[flows.verdict],
            }
        )
        figures: dict[str, Any] = {"flows": flows_figure(model, targets, flows, spec.n_show, spec.lam)}
        adiabatic_learned = None
        if spec.compare:
            path = follow_targets(model, targets, slots=spec.slots, stage_points=False, progress=progress)
            learned_both = (flows.verdict == Verdict.LEARNED) & (path.verdict == Verdict.LEARNED)
            apart = np.linalg.norm(flows.point - path.final, axis=1)
            gaps = apart[learned_both]
            # agree: same verdict, and where both learn, final points within delta_N of each other
            agree = (flows.verdict == path.verdict) & (~learned_both | (apart <= delta))
            metrics["adiabatic"] = {
                "fractions": verdict_fractions(path.verdict),
                "verdicts_agree": proportion(int(np.sum(flows.verdict == path.verdict)), spec.n_targets),
                "agree": proportion(int(np.sum(agree)), spec.n_targets),
                "final_point_gap_max": float(gaps.max()) if gaps.size else float("nan"),
                "final_point_gap_over_delta_N": float(gaps.max() / delta) if gaps.size else float("nan"),
            }
            table["adiabatic_verdict"] = np.asarray(VERDICT_NAMES)[path.verdict]
            adiabatic_learned = float(np.mean(path.verdict[: spec.sweep_targets] == Verdict.LEARNED))
        if spec.lambdas:
            sweep = targets[: spec.sweep_targets]
            rows = []
            for lam in sorted({*spec.lambdas, spec.lam}):
                swept = run_flows(model, sweep, lam, spec, progress, f"hierarchical flow (lambda = {lam:g}): sweep")
                rows.append(
                    {
                        "lambda": lam,
                        "learned": proportion(int(np.sum(swept.verdict == Verdict.LEARNED)), len(sweep)),
                        "tracking_gap_median": median_gap(swept),
                    }
                )
            metrics["by_lambda"] = rows
            metrics["tracking_exponent"] = tracking_exponent(rows)
            figures["by_lambda"] = lambda_figure(rows, adiabatic_learned, spec)
        return Result(metrics=metrics, table=table, figures=figures)


def tracking_exponent(rows: list[dict[str, Any]]) -> float:
    """Least-squares slope of log(median gap) against log(lambda) (Tikhonov: -2)."""
    lam = np.array([row["lambda"] for row in rows])
    gap = np.array([row["tracking_gap_median"] for row in rows])
    ok = np.isfinite(gap) & (gap > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(lam[ok]), np.log(gap[ok]), 1)[0])


def flows_figure(model: Hierarchical, targets: np.ndarray, flows: Flows, n_show: int, lam: float) -> Any:
    """A few flows Phi(w(t)) in target space (first two coordinates and the last two) over
    the level curve Gamma_u at u = 1 and at the end of the flows (like Figures 2-3)."""
    from gflab.plots import VERDICT_COLORS, figure

    pairs = [(0, 1), (model.d - 2, model.d - 1)] if model.d > 2 else [(0, 1)]
    fig, axes = figure(ncols=len(pairs))
    axes = np.atleast_1d(axes)
    u_end = float(np.clip(np.median(flows.u), 1.0, model.n_stages - 1e-3))
    levels = [(u, curve_samples(model, u, per_segment=64)) for u in sorted({1.0, u_end})]
    for ax, (a, b) in zip(axes, pairs, strict=True):
        for (u, x), shade in zip(levels, ("0.8", "0.55"), strict=False):
            ax.plot(x[:, a], x[:, b], color=shade, lw=0.4, label=f"level curve u = {u:.2f}")
        for i in range(min(n_show, len(targets))):
            path = flows.path[i][flows.saved[i]]
            color = VERDICT_COLORS[list(Verdict)[int(flows.verdict[i])]]
            ax.plot(path[:, a], path[:, b], "-", color=color, lw=1.0)
            ax.plot(*flows.point[i, [a, b]], "o", color=color, ms=3)
            ax.plot(*targets[i, [a, b]], "*", color="k", ms=6)
        ax.set(xlim=(-0.3, 1.2), ylim=(-0.3, 1.2), xlabel=f"x_{a}", ylabel=f"x_{b}", aspect="equal")
        ax.set_title(f"flows at lambda = {lam:g} (stars: targets)", fontsize=9)
    axes[0].legend(fontsize=7, loc="lower right")
    return fig


def lambda_figure(rows: list[dict[str, Any]], adiabatic_learned: float | None, spec: HierarchicalFlowSpec) -> Any:
    """Fraction learned (Wilson 95%) and median tracking gap against lambda; the adiabatic
    path's fraction and a 1/lambda^2 line drawn over them."""
    from gflab.plots import figure

    fig, (left, right) = figure(ncols=2)
    lam = np.array([row["lambda"] for row in rows])
    share = [row["learned"] for row in rows]
    frac = np.array([row["fraction"] for row in share])
    left.errorbar(
        lam, frac, yerr=[frac - [r["low"] for r in share], [r["high"] for r in share] - frac], fmt="o-", capsize=3, label="flow"
    )
    if adiabatic_learned is not None:
        left.axhline(adiabatic_learned, color="tab:green", ls="--", label="adiabatic limit (same targets)")
    left.axhline(1 - spec.eps, color="k", ls=":", lw=1, label="1 - eps")
    left.set(xscale="log", xlabel="lambda", ylabel="fraction learned", title=f"{spec.sweep_targets} targets, d = {spec.d}")
    left.legend(fontsize=7)
    gap = np.array([row["tracking_gap_median"] for row in rows])
    right.loglog(lam, gap, "o-", label="median |Phi - branch|")
    ok = np.isfinite(gap) & (gap > 0)
    if ok.any():
        ref = gap[ok][0] * (lam[ok][0] / lam) ** 2
        right.loglog(lam, ref, "k--", lw=1, label="~ 1 / lambda^2")
    right.set(xlabel="lambda", ylabel="distance to the adiabatic branch", title="tracking")
    right.legend(fontsize=7)
    for ax in (left, right):  # the lambda values as ticks (log-scale minor labels overlap)
        ax.set_xticks(lam, [f"{x:g}" for x in lam])
        ax.minorticks_off()
    return fig
