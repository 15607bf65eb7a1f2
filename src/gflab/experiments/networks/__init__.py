"""The networks family: two-layer networks and random features, kernel against mean-field regimes, the hardness lemma (E, Ma, Wojtowytsch & Wu).

JAX-free: the registry is read by ``gflab list`` without importing the experiments.
"""

from gflab.experiments.networks.claims import CLAIMS
from gflab.experiments.registry import Entry

EXPERIMENTS: dict[str, Entry] = {
    "ntk-vs-meanfield": Entry(
        "gflab.experiments.networks.ntk_vs_meanfield",
        "NTKvsMeanField",
        "two-layer networks: weight movement and loss rate in the kernel regime against mean-field scaling",
        spec="NTKvsMeanFieldSpec",
    ),
    "random-features-rate": Entry(
        "gflab.experiments.networks.random_features_rate",
        "RandomFeaturesRate",
        "m random features approximate a target of the kernel's RKHS: squared L2 error against m",
        spec="RandomFeaturesRateSpec",
    ),
    "gradient-variance": Entry(
        "gflab.experiments.networks.gradient_variance",
        "GradientVariance",
        "the hardness lemma: the M gradients of orthonormal targets spread by at most Q/M",
        spec="GradientVarianceSpec",
    ),
}

__all__ = ["CLAIMS", "EXPERIMENTS"]
