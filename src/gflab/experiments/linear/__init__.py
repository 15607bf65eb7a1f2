"""The linear family: linear models and quadratics under GD, momentum and SGD: exact second moments, power-law rates, phases, corner GD.

Velikanov, Kuznedelev & Yarotsky (SGD via generating functions; tight rate bounds under power-law spectra); Yarotsky (corner gradient descent).

JAX-free: the registry is read by ``gflab list`` without importing the experiments.
"""

from gflab.experiments.linear.claims import CLAIMS
from gflab.experiments.registry import Entry

EXPERIMENTS: dict[str, Entry] = {
    "sgd-moments": Entry(
        "gflab.experiments.linear.sgd_moments",
        "SGDMoments",
        "Gaussian online SGD with momentum: exact second moments vs Monte Carlo, V/(1-U), the divergence boundary alpha_c(beta, b)",
        spec="SGDMomentsSpec",
    ),
    "power-law-rates": Entry(
        "gflab.experiments.linear.power_law_rates",
        "PowerLawRates",
        "GD, heavy ball (constant and Jacobi schedule), steepest descent and CG on power-law spectra: exponents and constants",
        spec="PowerLawRatesSpec",
    ),
    "sgd-phases": Entry(
        "gflab.experiments.linear.sgd_phases",
        "SGDPhases",
        "the loss exponent of SGD, min(zeta, 2 - 1/nu): exact expected loss against the two-term asymptotic formula",
        spec="SGDPhasesSpec",
    ),
    "momentum-sign": Entry(
        "gflab.experiments.linear.momentum_sign",
        "MomentumSign",
        "the sign of the best constant momentum of small-batch SGD: grid search over the exact expected loss, Monte-Carlo check",
        spec="MomentumSignSpec",
    ),
    "corner-gd": Entry(
        "gflab.experiments.linear.corner_gd",
        "CornerGD",
        "corner GD (fractional memory, finite-memory rational approximation) on power-law spectra: L_t ~ t^(-theta zeta)",
        spec="CornerGDSpec",
    ),
}

__all__ = ["CLAIMS", "EXPERIMENTS"]
