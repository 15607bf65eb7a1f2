"""The stability family: linear stability of GD and SGD, the edge of stability, the minima SGD selects, the SDE drift to flat minima.

E, Ma, Wojtowytsch & Wu, "Towards a mathematical theory of machine learning"; Wu, Ma & E 2018;
Cohen et al. 2021 (edge of stability); Ma, Wu & E 2022 (the SDE near a manifold of minima).

JAX-free: the registry is read by ``gflab list`` without importing the experiments.
"""

from gflab.experiments.registry import Entry
from gflab.experiments.stability.claims import CLAIMS

EXPERIMENTS: dict[str, Entry] = {
    "gd-stability": Entry(
        "gflab.experiments.stability.gd_stability",
        "GDStability",
        "GD (with momentum) on quadratics converges iff eta < 2 (1 + beta) / lambda_max",
        spec="GDStabilitySpec",
    ),
    "sgd-stability": Entry(
        "gflab.experiments.stability.sgd_stability",
        "SGDStability",
        "mini-batch SGD on 1-D quadratic families: the second-moment stability boundary in (eta, B), three sampling schemes",
        spec="SGDStabilitySpec",
    ),
    "sgd-second-moment": Entry(
        "gflab.experiments.stability.sgd_second_moment",
        "SGDSecondMoment",
        "one point of the (eta, B) phase diagram: does mini-batch SGD contract E[theta^2]",
        spec="SGDSecondMomentSpec",
    ),
    "edge-of-stability": Entry(
        "gflab.experiments.stability.edge_of_stability",
        "EdgeOfStability",
        "full-batch GD on a two-layer network: the final sharpness against 2/eta",
        spec="EdgeOfStabilitySpec",
    ),
    "sgd-minima": Entry(
        "gflab.experiments.stability.sgd_minima",
        "SGDMinima",
        "the (sharpness, non-uniformity) diagram of the minima SGD reaches, against 2/eta and sqrt(B)/eta",
        spec="SGDMinimaSpec",
    ),
    "sde-flatness": Entry(
        "gflab.experiments.stability.sde_flatness",
        "SDEFlatness",
        "the SDE of SGD near a valley of minima: the slow drift to flatter minima against the quasi-static flow",
        spec="SDEFlatnessSpec",
    ),
}

__all__ = ["CLAIMS", "EXPERIMENTS"]
