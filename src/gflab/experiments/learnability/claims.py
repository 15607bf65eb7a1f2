"""Claims of the learnability family (Yarotsky 2024): learnability by gradient flow, the sphere obstruction, the hierarchical model."""

from __future__ import annotations

from gflab.claims.claim import Claim
from gflab.theory import learnability as yarotsky

_SIN = {"model": "sin-curve", "d": 2, "n_targets": 10_000, "w0": 0.0}
_LEARN = dict(tol=1e-6, gtol=1e-5, rtol=1e-6, atol=1e-8, t1=1e4)
_ZOO = ["trig", "poly", "sin-curve"]
_HIERARCHICAL_D3 = {"d": 3, "eps": 0.05, "m": 150, "targets": "box", "zoo": _ZOO}
_HIERARCHICAL_D5 = {"d": 5, "eps": 0.05, "m": 200, "targets": "box", "zoo": _ZOO}

CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="learnability.sin-curve",
        measured_label="upper end of the Wilson interval of the learned share",
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
        measured_label="share of the non-learned targets that are trapped",
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
        measured_label="learned share",
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
            measured_label="upper end of the Wilson interval of the learned share",
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
    *(
        claim
        for d, m, delta, config, quick_targets in (
            (3, 150, 0.0093, _HIERARCHICAL_D3, 512),
            (5, 200, 0.0099, _HIERARCHICAL_D5, 256),
        )
        for claim in (
            Claim(
                id=f"hierarchical.learned-d{d}",
                measured_label="lower end of the Wilson interval of the learned share",
                experiment="hierarchical",
                statement=f"Theorem 6: the hierarchical two-parameter model (d = {d}, N = {d} stages, m = {m}, design "
                f"eps = 0.05, delta_N = {delta}) learns uniform targets of [0,1]^{d} to within delta_N with probability "
                "at least 1 - eps - 0.02 (lower end of the Wilson interval); measured in the adiabatic limit "
                "lambda -> infinity",
                paper=yarotsky.PAPER + ", Thm. 6, Figs. 2-3",
                measured="fractions.learned.low",
                relation=">=",
                threshold=0.93,
                predicted=0.95,
                quick=config | {"n_targets": quick_targets},
                full=config | {"n_targets": 10_000, "picture": True},
            ),
            Claim(
                id=f"hierarchical.zoo-far-below-d{d}",
                measured_label="largest upper end of a zoo model's learned-share interval",
                experiment="hierarchical",
                statement=f"Theorem 6 against Corollary 10: on the same uniform targets of [0,1]^{d} and at the same "
                f"accuracy delta_N = {delta}, every elementary zoo model with W <= 2 < d (trig and poly W = 2, "
                "sin-curve W = 1) run by gradient flow learns at most 0.1 of them (largest upper end of their Wilson "
                "intervals), far below the hierarchical model's >= 0.93",
                paper=yarotsky.PAPER + ", Thm. 6 and Cor. 10",
                measured="zoo_best_learned_high",
                relation="<=",
                threshold=0.1,
                predicted=max(yarotsky.learned_fraction(name, W, d) for name, W in (("trig", 2), ("poly", 2), ("sin-curve", 1))),
                quick=config | {"n_targets": quick_targets},
                full=config | {"n_targets": 10_000, "picture": True},
            ),
        )
    ),
    Claim(
        id="hierarchical.sphere-obstruction",
        measured_label="targets on the sphere not learned",
        experiment="hierarchical",
        statement="Theorem 4 on Theorem 6's model: a 2-sphere of targets (radius 0.3 about the centre of [0,1]^3) "
        "holds a target that the hierarchical model (d = 3, N = 3, m = 150, eps = 0.05) does not learn; searched "
        "among the sphere's lattice targets that lie in the design's gaps, in the adiabatic limit (count of "
        "non-learned targets found)",
        paper=yarotsky.PAPER + ", Thm. 4 and Thm. 6",
        measured="sphere.non_learned",
        relation=">=",
        threshold=1.0,
        predicted=1.0 if yarotsky.sphere_has_nonlearnable_target(2, 3) else 0.0,
        quick={"d": 3, "eps": 0.05, "m": 150, "targets": "sphere", "radius": 0.3, "in_gaps": True, "n_targets": 128},
        full={"d": 3, "eps": 0.05, "m": 150, "targets": "sphere", "radius": 0.3, "in_gaps": True, "n_targets": 1_000},
    ),
    Claim(
        id="sphere-obstruction.every-zoo-model",
        measured_label="share of zoo models with a non-learned target on the sphere",
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
)
