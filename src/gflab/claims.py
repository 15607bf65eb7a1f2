"""Claims: one theoretical statement, one measurement, one tolerance, one verdict.

Claims are data (no JAX here), so ``gflab list`` is instant. Each names the experiment and
the parameters that measure it at two sizes: ``quick`` (CI, minutes) and ``full``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from gflab.errors import BadInput
from gflab.theory import learnability as yarotsky
from gflab.theory import multi_index as sbh
from gflab.theory import stability
from gflab.theory import subspace as bbp

# Comparisons of metrics[measured] with the threshold; "within": |measured - predicted| <= threshold;
# "covers": predicted lies in the interval [low, high] stored beside the measured value.
Relation = Literal["<=", ">=", "==", "<", ">", "within", "covers"]
_OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "<": operator.lt, ">": operator.gt}


@dataclass(frozen=True)
class Claim:
    """A statement checked by comparing ``metrics[measured]`` with ``threshold``."""

    id: str
    experiment: str
    statement: str
    paper: str
    measured: str
    relation: Relation
    threshold: float
    predicted: float | None
    quick: dict[str, Any] = field(default_factory=dict)
    full: dict[str, Any] = field(default_factory=dict)

    @property
    def tolerance(self) -> str:
        if self.relation == "within":
            return f"|measured - predicted| <= {self.threshold:g}"
        if self.relation == "covers":
            return "predicted inside the measured 95% interval"
        return f"measured {self.relation} {self.threshold:g}"

    def params(self, quick: bool) -> dict[str, Any]:
        return dict(self.quick if quick else self.full)

    def applies_to(self, experiment: str, params: dict[str, Any]) -> bool:
        """True when a run of ``experiment`` with ``params`` measures this claim."""
        defining = {k: v for k, v in self.quick.items() if self.full.get(k) == v}
        return experiment == self.experiment and all(_same(params.get(k), v) for k, v in defining.items())

    def evaluate(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """The claim's row of ``claims.json``."""
        measured = _lookup(metrics, self.measured)
        if measured is None or not math.isfinite(measured):
            verdict = "error"
        else:
            verdict = "pass" if self._holds(metrics, measured) else "fail"
        return {
            "id": self.id,
            "statement": self.statement,
            "paper": self.paper,
            "predicted": self.predicted,
            "measured": measured,
            "tolerance": self.tolerance,
            "verdict": verdict,
        }

    def _holds(self, metrics: dict[str, Any], measured: float) -> bool:
        if self.relation == "within":
            assert self.predicted is not None, f"{self.id}: 'within' needs a prediction"
            return abs(measured - self.predicted) <= self.threshold
        if self.relation == "covers":
            assert self.predicted is not None, f"{self.id}: 'covers' needs a prediction"
            parent = self.measured.rsplit(".", 1)[0]
            low, high = _lookup(metrics, parent + ".low"), _lookup(metrics, parent + ".high")
            return low is not None and high is not None and low <= self.predicted <= high
        return bool(_OPS[self.relation](measured, self.threshold))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return list(a) == list(b)
    return bool(a == b)


def _lookup(metrics: dict[str, Any], path: str) -> float | None:
    value: Any = metrics
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


_SIN = {"model": "sin-curve", "d": 2, "n_targets": 10_000, "w0": 0.0}
_LEARN = dict(tol=1e-6, gtol=1e-5, rtol=1e-6, atol=1e-8, t1=1e4)

CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="learnability.sin-curve",
        experiment="learnability",
        statement="sin-curve Phi(w) = (sin w, sin sqrt2 w): gradient flow learns almost no target of [-1,1]^2 "
        "(learned fraction of 10^4 uniform targets at most 0.01, upper end of its Wilson interval)",
        paper=yarotsky.PAPER + ", Fig. 4 / Cor. 10",
        measured="fractions.learned.high",
        relation="<=",
        threshold=0.01,
        predicted=yarotsky.learned_fraction("sin-curve", 1, 2),
        quick=_SIN | _LEARN | {"grid": 80},
        full=_SIN | _LEARN | {"grid": 250},
    ),
    Claim(
        id="learnability.sin-curve-trapped",
        experiment="learnability",
        statement="sin-curve: almost every target not learned is trapped at a spurious critical point "
        "(share of trapped among the not-learned at least 0.99)",
        paper=yarotsky.PAPER + ", Fig. 4",
        measured="trapped_share_of_not_learned",
        relation=">=",
        threshold=0.99,
        predicted=1.0,
        quick=_SIN | _LEARN | {"grid": 80},
        full=_SIN | _LEARN | {"grid": 250},
    ),
    Claim(
        id="learnability.linear",
        experiment="learnability",
        statement="linear control Phi(w) = A w, W = d = 3: every target is learned (learned fraction 1)",
        paper=yarotsky.PAPER + " (control)",
        measured="fractions.learned.fraction",
        relation="==",
        threshold=1.0,
        predicted=yarotsky.learned_fraction("linear", 3, 3),
        quick={"model": "linear", "d": 3, "n_targets": 2_000, **_LEARN, "targets": "gaussian"},
        full={"model": "linear", "d": 3, "n_targets": 10_000, **_LEARN, "targets": "gaussian"},
    ),
    *(
        Claim(
            id=f"learnability.{name}-w2-d3",
            experiment="learnability",
            statement=f"random elementary {name} model with W = 2 < d = 3: learned fraction below 1 "
            "(upper end of its Wilson interval below 1)",
            paper=yarotsky.PAPER + ", Cor. 10",
            measured="fractions.learned.high",
            relation="<",
            threshold=1.0,
            predicted=yarotsky.learned_fraction(name, 2, 3),
            quick={"model": name, "d": 3, "W": 2, "n_targets": 2_000, **_LEARN},
            full={"model": name, "d": 3, "W": 2, "n_targets": 10_000, **_LEARN},
        )
        for name in ("trig", "poly")
    ),
    Claim(
        id="sphere-obstruction.every-zoo-model",
        experiment="sphere-obstruction",
        statement="Theorem 4: for every zoo model with W < d = 3 (sin-curve W=1 on a circle, trig and poly W=2 on a "
        "2-sphere) a non-learned target is located on the sphere (fraction of models with one = 1)",
        paper=yarotsky.PAPER + ", Thm. 4",
        measured="fraction_models_with_nonlearned_target",
        relation="==",
        threshold=1.0,
        predicted=1.0 if yarotsky.sphere_has_nonlearnable_target(2, 3) else 0.0,
        quick={"d": 3, "models": ["sin-curve", "trig", "poly"], "n_points": 300, "bisections": 24, **_LEARN},
        full={"d": 3, "models": ["sin-curve", "trig", "poly"], "n_points": 3000, "bisections": 40, **_LEARN},
    ),
    *(
        Claim(
            id=f"search-phase.exponent-he{p}",
            experiment="search-phase",
            statement=f"sigma = sigma* = he{p} (p* = {p}), k = 1: the median time for a neuron to reach overlap 1/2 from a "
            f"uniform start grows like d^((p*-2)/2) over d = 64 .. 4096 (fitted exponent within 0.1)",
            paper=sbh.PAPER + ", search phase",
            measured="exponent.value",
            relation="within",
            threshold=0.1,
            predicted=sbh.search_exponent(p),
            quick={"sigma": f"he{p}", "sigma_star": f"he{p}", "seeds": 300},
            full={"sigma": f"he{p}", "sigma_star": f"he{p}", "seeds": 3000},
        )
        for p in (3, 4)
    ),
    *(
        claim
        for p in (3, 4)
        for claim in (
            Claim(
                id=f"directional-convergence.nearest-he{p}",
                experiment="directional-convergence",
                statement=f"he{p}, k = 4 orthonormal index vectors, d = 1024: every neuron with a nearest index vector "
                f"(largest {'positive ' if p % 2 else '|'}initial overlap{'' if p % 2 else '|'}) converges to it "
                "(lower end of the Wilson interval of that fraction at least 0.99)",
                paper=sbh.PAPER + ", directional convergence",
                measured="to_nearest.low",
                relation=">=",
                threshold=0.99,
                predicted=1.0,
                quick={"sigma": f"he{p}", "sigma_star": f"he{p}", "k": 4, "n": 8, "d": 1024, "seeds": 400, "coverage_pool": 2000},
                full={
                    "sigma": f"he{p}",
                    "sigma_star": f"he{p}",
                    "k": 4,
                    "n": 8,
                    "d": 1024,
                    "seeds": 3000,
                    "coverage_pool": 20000,
                    "coverage_ks": [2, 4, 8, 16],
                },
            ),
            Claim(
                id=f"directional-convergence.coverage-he{p}",
                experiment="directional-convergence",
                statement=f"he{p}, k = 4, n = 8 neurons: the probability that all index vectors are found equals the "
                + ("occupancy law k! S(n,k) / k^n" if p % 2 == 0 else "occupancy law with a 'none' cell of probability 2^-k")
                + " (prediction inside the 95% interval over networks)",
                paper=sbh.PAPER + ", n ~ k log k",
                measured="coverage.fraction",
                relation="covers",
                threshold=0.0,
                predicted=sbh.coverage_probability(8, 4, sbh.none_probability(4, "odd" if p % 2 else "even")),
                quick={"sigma": f"he{p}", "sigma_star": f"he{p}", "k": 4, "n": 8, "d": 1024, "seeds": 400, "coverage_pool": 2000},
                full={
                    "sigma": f"he{p}",
                    "sigma_star": f"he{p}",
                    "k": 4,
                    "n": 8,
                    "d": 1024,
                    "seeds": 3000,
                    "coverage_pool": 20000,
                    "coverage_ks": [2, 4, 8, 16],
                },
            ),
        )
    ),
    *(
        Claim(
            id=f"beta-threshold.{how}-he{p}",
            experiment="beta-threshold",
            statement=f"he{p}, v_i.v_j = beta: the average of the index vectors turns from saddle to minimum at "
            f"beta_c = c/(c+k), c = {p - 2}, for k = 2, 4, 8 (measured by {what}; largest error at most 0.01)",
            paper=sbh.PAPER + ", threshold",
            measured=f"max_error_{how}",
            relation="<=",
            threshold=0.01,
            predicted=0.0,
            quick={"sigma": f"he{p}", "sigma_star": f"he{p}", "ks": [2, 4, 8], "plot_betas": 10, "seeds": 5},
            full={"sigma": f"he{p}", "sigma_star": f"he{p}", "ks": [2, 4, 8], "plot_betas": 20, "seeds": 20},
        )
        for p in (3, 4)
        for how, what in (("flow", "perturbed gradient flows"), ("hessian", "the Riemannian Hessian"))
    ),
    Claim(
        id="two-timescale.global-staircase",
        experiment="two-timescale",
        statement="staircase link g = z1 + z1 z2 (r = 2), d = 32 .. 1024: the two-timescale Grassmannian flow from "
        "random subspaces reaches the global minimum (subspace distance below 1e-3) in at least 99% of runs",
        paper=bbp.PAPER + ", global convergence",
        measured="global.fraction",
        relation=">=",
        threshold=0.99,
        predicted=1.0,
        quick={"link": "staircase", "seeds": 100},
        full={"link": "staircase", "seeds": 1000},
    ),
    Claim(
        id="two-timescale.order-staircase",
        experiment="two-timescale",
        statement="staircase link: the plateaus end in the predicted order (z1 learned first, then z2; share of runs "
        "at d = 1024 at least 0.99)",
        paper=bbp.PAPER + ", saddle-to-saddle",
        measured="min_in_predicted_order",
        relation=">=",
        threshold=0.99,
        predicted=1.0,
        quick={"link": "staircase", "seeds": 100},
        full={"link": "staircase", "seeds": 1000},
    ),
    *(
        Claim(
            id=f"two-timescale.escape-{name}",
            experiment="two-timescale",
            statement=f"{name} link: {what} (every plateau's fitted scaling within 0.15 of the derived one)",
            paper=bbp.PAPER + ", saddle-to-saddle (derivation in gflab.theory.subspace)",
            measured="max_error",
            relation="<=",
            threshold=0.15,
            predicted=0.0,
            quick={"link": name, "seeds": 100},
            full={"link": name, "seeds": 1000},
        )
        for name, what in (
            ("staircase", "two plateaus, each escape time ~ log(d) / 4 (order-2 terms in the overlap)"),
            ("he2", "one plateau, escape time ~ d^1 (order-4 term in the overlap)"),
        )
    ),
    Claim(
        id="planted.trapped-staircase",
        experiment="planted",
        statement="staircase link, d = 32, link known and fixed: a positive fraction of random starts ends at a "
        "non-global critical point (lower end of the trapped fraction's Wilson interval above 0; predicted trap: "
        "planted loss 7/4 on the det M = -1 component)",
        paper=bbp.PAPER + ", planted problem",
        measured="planted.trapped.low",
        relation=">",
        threshold=0.0,
        predicted=None,
        quick={"link": "staircase", "seeds": 400},
        full={"link": "staircase", "seeds": 4000},
    ),
    Claim(
        id="planted.two-timescale-global",
        experiment="planted",
        statement="same target and starts: the two-timescale flow reaches the global minimum (subspace distance "
        "below 1e-3) in at least 99% of runs",
        paper=bbp.PAPER + ", planted problem",
        measured="two_timescale_global.fraction",
        relation=">=",
        threshold=0.99,
        predicted=1.0,
        quick={"link": "staircase", "seeds": 400},
        full={"link": "staircase", "seeds": 4000},
    ),
    *(
        Claim(
            id=f"gd-stability.critical-step{suffix}",
            experiment="gd-stability",
            statement=f"GD{' with heavy-ball momentum 0.9' if momentum else ''} on random quadratics (dimension 50): "
            f"it converges iff eta < 2 (1 + beta) / lambda_max (measured critical step within 1% for every quadratic)",
            paper=stability.PAPER + ", linear stability",
            measured="max_relative_error",
            relation="<=",
            threshold=0.01,
            predicted=0.0,
            quick={"momentum": momentum, "n_quadratics": 3, "steps": 5000},
            full={"momentum": momentum, "n_quadratics": 10, "steps": 20_000},
        )
        for suffix, momentum in (("", 0.0), ("-momentum", 0.9))
    ),
    Claim(
        id="edge-of-stability.below-2-over-eta",
        experiment="edge-of-stability",
        statement="full-batch GD on a two-layer tanh network (width 32, 400 digits, eta = 0.01 .. 0.2): the final "
        "sharpness is never above 2/eta by more than 5% (largest ratio sharpness / (2/eta) at most 1.05)",
        paper=stability.PAPER + ", edge of stability",
        measured="max_ratio",
        relation="<=",
        threshold=1.05,
        predicted=1.0,
        quick={"data": "digits", "steps": 3000},
        full={"data": "digits", "steps": 10_000},
    ),
    Claim(
        id="edge-of-stability.at-the-edge",
        experiment="edge-of-stability",
        statement="same runs: for the larger half of the steps (eta >= 0.05) the final sharpness sits within 20% of 2/eta",
        paper=stability.PAPER + ", edge of stability",
        measured="large_steps_gap",
        relation="<=",
        threshold=0.2,
        predicted=0.0,
        quick={"data": "digits", "steps": 3000},
        full={"data": "digits", "steps": 10_000},
    ),
    *(
        Claim(
            id=f"sgd-stability.{scheme}",
            experiment="sgd-stability",
            statement=f"mini-batch SGD ({scheme}) on a 1-D quadratic family (n = 8, B = 1, 2, 4): the mean of theta^2 stops "
            f"contracting at the step where the exact second-moment factor reaches 1 ({what}; every measured boundary within 2%)",
            paper=stability.PAPER + ", SGD linear stability",
            measured=f"max_relative_error.{scheme}",
            relation="<=",
            threshold=0.02,
            predicted=0.0,
            quick={"schemes": [scheme], "paths": 20_000},
            full={"schemes": [scheme], "paths": 400_000},
        )
        for scheme, what in (
            ("with-replacement", "the talk's (1 - eta a)^2 + eta^2 s^2 / B <= 1"),
            ("without-replacement", "s^2 / B times the finite-population factor (n - B) / (n - 1)"),
            ("reshuffling", "the epoch factor averaged over all partitions into batches"),
        )
    ),
)


def get_claims(ids: Iterable[str] | None = None) -> list[Claim]:
    """Claims by id (all when ``ids`` is empty or None)."""
    ids = list(ids or [])
    known = {c.id: c for c in CLAIMS}
    for claim_id in ids:
        if claim_id not in known:
            raise BadInput("claim", f"unknown claim {claim_id!r}; accepted: {', '.join(known)}")
    return [known[i] for i in ids] if ids else list(CLAIMS)


def claims_markdown() -> str:
    """The README's claims table, generated from the registry."""
    lines = ["| claim | statement | paper | predicted | tolerance |", "|---|---|---|---|---|"]
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731  (a pipe would end the cell)
    for c in CLAIMS:
        predicted = "" if c.predicted is None else f"{c.predicted:g}"
        lines.append(f"| `{c.id}` | {cell(c.statement)} | {cell(c.paper)} | {predicted} | {cell(c.tolerance)} |")
    return "\n".join(lines)


def reproduce(
    ids: Iterable[str] | None = None,
    *,
    quick: bool = False,
    out: str = "gflab-report",
    force: bool = False,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Run claims (sharing runs with equal parameters), write claims.json and report.html."""
    import json
    from pathlib import Path

    from gflab.report import write_report
    from gflab.store import Store

    claims = get_claims(ids)
    store = Store(Path(out) / "runs")
    results, summaries = [], {}
    for claim in claims:
        params = claim.params(quick)
        key = json.dumps([claim.experiment, params], sort_keys=True)
        if key not in summaries:
            try:
                summaries[key] = store.run(claim.experiment, params, force=force, progress=progress)
            except BadInput:
                raise
            except Exception as exc:  # a crashed run is an `error` verdict, not a lost report
                summaries[key] = {
                    "experiment": claim.experiment,
                    "params": params,
                    "metrics": {},
                    "claims": [],
                    "run_dir": None,
                    "error": f"{type(exc).__name__}: {exc}",
                }
        summary = summaries[key]
        row = claim.evaluate(summary["metrics"]) | {"run_dir": summary["run_dir"]}
        if "error" in summary:
            row["error"] = summary["error"]
        results.append(row)
    write_report(Path(out), results, list(summaries.values()), quick=quick)
    return results
