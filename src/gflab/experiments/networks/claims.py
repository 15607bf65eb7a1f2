"""Claims of the networks family: kernel vs mean-field regimes, random features, the hardness lemma."""

from __future__ import annotations

from typing import Any

from gflab.claims.claim import Claim, Quantity
from gflab.theory.networks import PAPER

_NTK_QUICK = {"widths": [250, 1000, 4000], "seeds": 3}
_NTK_FULL = {"widths": [250, 1000, 4000, 16000], "seeds": 5}
_RF_QUICK = {"widths": [16, 32, 64, 128, 256]}
_RF_FULL = {"widths": [16, 32, 64, 128, 256, 512, 1024], "draws": 100, "train_points": 20_000, "test_points": 20_000}


def _ntk(name: str, **fields: Any) -> Claim:
    """A claim measured by one ``ntk-vs-meanfield`` run (the same run serves them all)."""
    return Claim(id=f"ntk-vs-meanfield.{name}", experiment="ntk-vs-meanfield", quick=_NTK_QUICK, full=_NTK_FULL, **fields)


CLAIMS: tuple[Claim, ...] = (
    _ntk(
        "movement-ntk",
        statement="NTK scaling (1/sqrt(m), erf, n = 20 teacher samples, m >> n): the relative first-layer movement "
        "|W(T) - W(0)| / |W(0)| falls like m^-1/2 (fitted exponent within 0.1 of -1/2)",
        paper=PAPER + ", NTK regime; Jacot et al. 2018, Du et al. 2018",
        measured="movement_exponent.ntk.slope",
        figures=("movement",),
        measured_label="fitted exponent of the relative first-layer movement in m",
        relation="within",
        threshold=0.1,
        predicted=-0.5,
    ),
    _ntk(
        "movement-conventional",
        statement="the talk's conventional scaling (a(0) = 0): dw_j/dt = O(|a_j|) = O(1/(lambda_n m)) over the time "
        "O(1/(m lambda_n)) gives a relative movement O(m^-2) (fitted exponent within 0.1 of -2)",
        paper=PAPER + ", conventional scaling",
        measured="movement_exponent.conventional.slope",
        figures=("movement",),
        measured_label="fitted exponent of the relative first-layer movement in m",
        relation="within",
        threshold=0.1,
        predicted=-2.0,
    ),
    _ntk(
        "movement-meanfield",
        statement="mean-field scaling (1/m, trained for a time proportional to m): the weights move O(1) at every width "
        "(fitted exponent within 0.1 of 0)",
        paper=PAPER + ", mean-field formulation",
        measured="movement_exponent.mean-field.slope",
        figures=("movement",),
        measured_label="fitted exponent of the relative first-layer movement in m",
        relation="within",
        threshold=0.1,
        predicted=0.0,
    ),
    _ntk(
        "rate-conventional",
        statement="conventional scaling at the largest width: the loss decays like exp(-2 m lambda_n t), lambda_n the "
        "smallest eigenvalue of the talk's Gram matrix (closed-form kernel; measured rate within 20%)",
        paper=PAPER + ", exponential convergence (Du et al. 2018)",
        measured="rate_error_widest.conventional",
        figures=("loss",),
        measured_label="relative error |measured / predicted decay rate - 1| at the largest width",
        quantity=Quantity("measured / predicted decay rate at the largest width", measured="rate_ratio_widest.conventional"),
        relation="<=",
        threshold=0.2,
        predicted=0.0,
    ),
    _ntk(
        "rate-ntk",
        statement="NTK scaling at the largest width: the loss decays at the rate 2 lambda_min(Theta) of the "
        "infinite-width NTK on the sample (measured rate within 20%)",
        paper=PAPER + ", NTK regime; Jacot et al. 2018",
        measured="rate_error_widest.ntk",
        figures=("loss",),
        measured_label="relative error |measured / predicted decay rate - 1| at the largest width",
        quantity=Quantity("measured / predicted decay rate at the largest width", measured="rate_ratio_widest.ntk"),
        relation="<=",
        threshold=0.2,
        predicted=0.0,
    ),
    _ntk(
        "random-feature-distance",
        statement="conventional scaling: the sup distance between the trained network and its random-feature model "
        "falls at least as fast as the theorem's bound 1/(lambda_n sqrt(m)) (fitted exponent <= -1/2)",
        paper=PAPER + ", the network stays close to the random feature model",
        measured="distance_exponent.slope",
        figures=("movement",),
        measured_label="fitted exponent of the sup distance to the random-feature model in m",
        relation="<=",
        threshold=-0.5,
        predicted=None,
    ),
    Claim(
        id="random-features-rate.monte-carlo",
        experiment="random-features-rate",
        statement="an RKHS target (erf features, d = 5) by m random features with the theorem's coefficients "
        "a_j = a*(w_j): the mean squared L2 error falls like 1/m (fitted exponent within 0.1 of -1)",
        paper=PAPER + ", direct approximation theorem for the random feature model",
        measured="exponent.monte_carlo.slope",
        figures=("rate",),
        measured_label="fitted exponent of the mean squared L2 error in m",
        relation="within",
        threshold=0.1,
        predicted=-1.0,
        quick=_RF_QUICK,
        full=_RF_FULL,
    ),
    Claim(
        id="random-features-rate.bound",
        experiment="random-features-rate",
        statement="the trained random-feature model (the limit of gradient flow on a) is within the theorem's "
        "bound at every m: median squared error x m / ||f*||_H^2 at most 1",
        paper=PAPER + ", direct approximation theorem for the random feature model",
        measured="best_times_m_over_norm",
        figures=("rate",),
        measured_label="largest median squared error x m / ||f*||_H^2 over m",
        relation="<=",
        threshold=1.0,
        predicted=None,
        quick=_RF_QUICK,
        full=_RF_FULL,
    ),
    Claim(
        id="gradient-variance.bound",
        experiment="gradient-variance",
        statement="hardness lemma: for M orthonormal cosines on [0,1]^2 and a two-layer tanh network, the variance of "
        "the M loss gradients is at most Q(theta) / M at every M and theta (largest Var_M M / Q at most 1)",
        paper=PAPER + ", hardness of gradient-based training",
        measured="max_ratio",
        relation="<=",
        threshold=1.0,
        predicted=None,
        figures=("variance",),
        measured_label="largest Var_M M / Q(theta) over M and theta",
        quick={"thetas": 8},
        full={"thetas": 8},
    ),
)
