"""Claims of the stability family: linear stability of GD and SGD, the edge of stability, the minima SGD selects, the SDE drift to flat minima."""

from __future__ import annotations

from gflab.claims.claim import Claim, Quantity
from gflab.theory import stability

PAPER = stability.PAPER
_SGD_QUICK = {"seeds": 6}
_SGD_FULL = {"seeds": 20, "steps": 50_000}
_FINAL_SHARPNESS = Quantity(
    "final sharpness (predicted: its ceiling 2/eta)",
    measured="table.final_sharpness",
    predicted="table.two_over_eta",
    over="eta",
    labels="table.eta",
)

CLAIMS: tuple[Claim, ...] = (
    *(
        Claim(
            id=f"gd-stability.critical-step{suffix}",
            experiment="gd-stability",
            statement=f"GD{' with heavy-ball momentum 0.9' if momentum else ''} on random quadratics (dimension 50): "
            f"it converges iff eta < 2 (1 + beta) / lambda_max (measured critical step within 1% for every quadratic)",
            paper=PAPER + ", linear stability",
            measured="max_relative_error",
            relation="<=",
            threshold=0.01,
            predicted=0.0,
            quick={"momentum": momentum, "n_quadratics": 3, "steps": 5000},
            full={"momentum": momentum, "n_quadratics": 10, "steps": 20_000},
            figures=("critical_step",),
            measured_label="largest relative error |measured / predicted eta_c - 1| over the quadratics",
            quantity=Quantity(
                "critical step eta_c", measured="critical_step.measured", predicted="critical_step.predicted", over="quadratic"
            ),
        )
        for suffix, momentum in (("", 0.0), ("-momentum", 0.9))
    ),
    Claim(
        id="edge-of-stability.below-2-over-eta",
        experiment="edge-of-stability",
        statement="full-batch GD on a two-layer tanh network (width 32, 400 digits, eta = 0.01 .. 0.2): the final "
        "sharpness is never above 2/eta by more than 5% (largest ratio sharpness / (2/eta) at most 1.05)",
        paper=PAPER + ", edge of stability",
        measured="max_ratio",
        relation="<=",
        threshold=1.05,
        predicted=1.0,
        quick={"data": "digits", "steps": 3000},
        full={"data": "digits", "steps": 10_000},
        figures=("sharpness",),
        measured_label="largest final sharpness / (2/eta) over the steps eta",
        quantity=_FINAL_SHARPNESS,
    ),
    Claim(
        id="edge-of-stability.at-the-edge",
        experiment="edge-of-stability",
        statement="same runs: for the larger half of the steps (eta >= 0.05) the final sharpness sits within 20% of 2/eta",
        paper=PAPER + ", edge of stability",
        measured="large_steps_gap",
        relation="<=",
        threshold=0.2,
        predicted=0.0,
        quick={"data": "digits", "steps": 3000},
        full={"data": "digits", "steps": 10_000},
        figures=("sharpness",),
        measured_label="largest |final sharpness / (2/eta) - 1| over the steps eta >= 0.05",
        quantity=_FINAL_SHARPNESS,
    ),
    *(
        Claim(
            id=f"sgd-stability.{scheme}",
            experiment="sgd-stability",
            statement=f"mini-batch SGD ({scheme}) on a 1-D quadratic family (n = 8, B = 1, 2, 4): the mean of theta^2 stops "
            f"contracting at the step where the exact second-moment factor reaches 1 ({what}; every measured boundary within 2%)",
            paper=PAPER + ", SGD linear stability",
            measured=f"max_relative_error.{scheme}",
            relation="<=",
            threshold=0.02,
            predicted=0.0,
            quick={"schemes": [scheme], "paths": 20_000},
            full={"schemes": [scheme], "paths": 400_000},
            figures=("boundary",),
            measured_label="largest relative error |measured / predicted eta_c - 1| over the batch sizes",
            quantity=Quantity(
                "critical step eta_c (the mean of theta^2 stops contracting)",
                measured="boundary.measured",
                predicted="boundary.predicted",
                over="B",
                labels="boundary.B",
            ),
        )
        for scheme, what in (
            ("with-replacement", "the talk's (1 - eta a)^2 + eta^2 s^2 / B <= 1"),
            ("without-replacement", "s^2 / B times the finite-population factor (n - B) / (n - 1)"),
            ("reshuffling", "the epoch factor averaged over all partitions into batches"),
        )
    ),
    Claim(
        id="sgd-minima.sharpness",
        experiment="sgd-minima",
        statement="minima reached by SGD (eta = 0.2, B = 4 .. 40, over-parameterised tanh network on 40 teacher "
        "samples): every one has sharpness a <= 2/eta (within 5%: largest a eta / 2 at most 1.05)",
        paper=PAPER + ", the sharpness-non-uniformity diagram",
        measured="max_sharpness_ratio",
        relation="<=",
        threshold=1.05,
        predicted=1.0,
        quick=_SGD_QUICK,
        full=_SGD_FULL,
        figures=("diagram",),
        measured_label="largest a eta / 2 over the minima reached",
    ),
    Claim(
        id="sgd-minima.non-uniformity",
        experiment="sgd-minima",
        statement="same minima: every one has non-uniformity s <= sqrt(B)/eta (within 5%: largest s eta / sqrt(B) at most 1.05)",
        paper=PAPER + ", the sharpness-non-uniformity diagram",
        measured="max_non_uniformity_ratio",
        relation="<=",
        threshold=1.05,
        predicted=1.0,
        quick=_SGD_QUICK,
        full=_SGD_FULL,
        figures=("diagram",),
        measured_label="largest s eta / sqrt(B) over the minima reached",
        finding="s <= sqrt(B)/eta is the talk's consequence of the one-step condition lambda_max((I - eta H)^2 + "
        "eta^2 Sigma / B) <= 1, which in more than one dimension is sufficient, not necessary, for mean-square "
        "stability (in one dimension the two coincide; derived here, see gflab.theory.stability). The run also "
        "measures the exact criterion, the spectral radius of the second-moment map at every minimum reached "
        "(metrics max_mean_square_radius; per minimum in metrics.parquet): the minima SGD reaches sit at its edge, "
        "radius close to 1, and some with s eta / sqrt(B) above 1 have a radius below 1. SGD's minima obey the exact "
        "mean-square condition, not the simplified bound. A radius a few percent above 1 does not forbid reaching "
        "a minimum either: convergence with probability one needs a negative Lyapunov exponent, not a bounded "
        "second moment (Ziyin et al. 2023, the probabilistic stability of SGD).",
    ),
    Claim(
        id="sde-flatness.drift",
        experiment="sde-flatness",
        statement="the SDE of SGD near the valley f = (1 + x^2) y^2 (eta = 0.005, 0.01, 0.02; sigma = 1): the mean "
        "displacement of x matches the quasi-static flow dx/dt = -eta sigma^2 h'(x) / 4 within 5%",
        paper=PAPER + ", effective dynamics close to the minima manifold (Ma et al. 2022)",
        measured="max_relative_error",
        relation="<=",
        threshold=0.05,
        predicted=0.0,
        # quick: 500 paths keep the standard error of each displacement at <= 0.3% of it
        # (0.11-0.15% measured at 2000 paths), so a 5% departure shows at > 15 standard errors
        quick={"paths": 500},
        full={"paths": 20_000, "dt": 0.001},
        figures=("drift",),
        measured_label="largest relative error of the mean displacement of x over eta",
        quantity=Quantity(
            "mean displacement x(t1) - x0",
            measured="drift.measured_displacement",
            predicted="drift.predicted_displacement",
            over="eta",
            labels="drift.eta",
        ),
    ),
)
