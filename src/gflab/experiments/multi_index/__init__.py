"""The multi-index family: Gaussian multi-index models under gradient flow (Simsek, Bendjeddou & Hsu 2024; Bietti, Bruna & Pillaud-Vivien 2023).

JAX-free: the registry is read by ``gflab list`` without importing the experiments.
"""

from gflab.experiments.multi_index.claims import CLAIMS
from gflab.experiments.registry import Entry

EXPERIMENTS: dict[str, Entry] = {
    "index-recovery": Entry(
        "gflab.experiments.multi_index.index_recovery",
        "IndexRecovery",
        "one point of the (k, beta) phase diagram: the fraction of index vectors networks recover",
        spec="IndexRecoverySpec",
    ),
    "search-phase": Entry(
        "gflab.experiments.multi_index.search_phase",
        "SearchPhase",
        "time for a neuron on the sphere to find an index direction, against d",
        spec="SearchPhaseSpec",
    ),
    "directional-convergence": Entry(
        "gflab.experiments.multi_index.directional_convergence",
        "DirectionalConvergence",
        "neurons converge to their nearest index vector; coverage against the occupancy law",
        spec="DirectionalConvergenceSpec",
    ),
    "beta-threshold": Entry(
        "gflab.experiments.multi_index.beta_threshold",
        "BetaThreshold",
        "the average of the index vectors turns from saddle to minimum at beta_c = c/(c+k)",
        spec="BetaThresholdSpec",
    ),
    "two-timescale": Entry(
        "gflab.experiments.multi_index.two_timescale",
        "TwoTimescale",
        "Grassmannian flow with the link learned infinitely fast: global convergence, saddle-to-saddle plateaus",
        spec="TwoTimescaleSpec",
    ),
    "planted": Entry(
        "gflab.experiments.multi_index.planted",
        "Planted",
        "the link known and fixed: random starts end at spurious critical points; two-timescale does not",
        spec="PlantedSpec",
    ),
}

__all__ = ["CLAIMS", "EXPERIMENTS"]
