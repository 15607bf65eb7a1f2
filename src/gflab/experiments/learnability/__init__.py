"""The learnability family (Yarotsky 2024): which d-dimensional targets a W-parameter model learns by gradient flow.

JAX-free: the registry is read by ``gflab list`` without importing the experiments.
"""

from gflab.experiments.learnability.claims import CLAIMS
from gflab.experiments.registry import Entry

EXPERIMENTS: dict[str, Entry] = {
    "learnability": Entry(
        "gflab.experiments.learnability.learnability",
        "Learnability",
        "fractions of targets learned / trapped by gradient flow with a zoo model",
        spec="LearnabilitySpec",
    ),
    "sphere-obstruction": Entry(
        "gflab.experiments.learnability.sphere_obstruction",
        "SphereObstruction",
        "Theorem 4: a W-sphere of targets holds a non-learned one when W < d",
        spec="SphereSpec",
    ),
    "hierarchical": Entry(
        "gflab.experiments.learnability.hierarchical",
        "HierarchicalExperiment",
        "Theorem 6: the two-parameter hierarchical model learns almost every target (adiabatic limit)",
        spec="HierarchicalSpec",
    ),
    "hierarchical-flow": Entry(
        "gflab.experiments.learnability.hierarchical_flow",
        "HierarchicalFlowExperiment",
        "Theorem 6 by the genuine gradient flow of the two-parameter map at finite lambda (Rosenbrock solver)",
        spec="HierarchicalFlowSpec",
    ),
}

__all__ = ["CLAIMS", "EXPERIMENTS"]
