"""Experiments, one module per paper family; the registry maps names to them (lazily)."""

from __future__ import annotations

import importlib
from typing import Any

from gflab.errors import BadInput

# name -> (module, class, one-line summary); modules are imported on first use (JAX is heavy).
REGISTRY: dict[str, tuple[str, str, str]] = {
    "learnability": (
        "gflab.experiments.learnability",
        "Learnability",
        "fractions of targets learned / trapped by gradient flow with a zoo model (seed 000)",
    ),
    "sphere-obstruction": (
        "gflab.experiments.sphere_obstruction",
        "SphereObstruction",
        "Theorem 4: a W-sphere of targets holds a non-learned one when W < d (seed 000)",
    ),
    "hierarchical": (
        "gflab.experiments.hierarchical",
        "HierarchicalExperiment",
        "Theorem 6: the two-parameter hierarchical model learns almost every target (adiabatic limit; seed 000)",
    ),
    "search-phase": (
        "gflab.experiments.search_phase",
        "SearchPhase",
        "time for a neuron on the sphere to find an index direction, against d (seed 001)",
    ),
    "directional-convergence": (
        "gflab.experiments.directional_convergence",
        "DirectionalConvergence",
        "neurons converge to their nearest index vector; coverage against the occupancy law (seed 001)",
    ),
    "beta-threshold": (
        "gflab.experiments.beta_threshold",
        "BetaThreshold",
        "the average of the index vectors turns from saddle to minimum at beta_c = c/(c+k) (seed 001)",
    ),
    "two-timescale": (
        "gflab.experiments.two_timescale",
        "TwoTimescale",
        "Grassmannian flow with the link learned infinitely fast: global convergence, saddle-to-saddle plateaus (seed 003)",
    ),
    "planted": (
        "gflab.experiments.planted",
        "Planted",
        "the link known and fixed: random starts end at spurious critical points; two-timescale does not (seed 003)",
    ),
    "gd-stability": (
        "gflab.experiments.gd_stability",
        "GDStability",
        "GD (with momentum) on quadratics converges iff eta < 2 (1 + beta) / lambda_max (seed 004)",
    ),
    "edge-of-stability": (
        "gflab.experiments.edge_of_stability",
        "EdgeOfStability",
        "full-batch GD on a two-layer network: the final sharpness against 2/eta (seed 004)",
    ),
    "sgd-stability": (
        "gflab.experiments.sgd_stability",
        "SGDStability",
        "mini-batch SGD on 1-D quadratic families: the second-moment stability boundary in (eta, B), three sampling schemes (seed 004)",
    ),
    "ntk-vs-meanfield": (
        "gflab.experiments.ntk_vs_meanfield",
        "NTKvsMeanField",
        "two-layer networks: weight movement and loss rate in the kernel regime against mean-field scaling (seed 004)",
    ),
    "sde-flatness": (
        "gflab.experiments.sde_flatness",
        "SDEFlatness",
        "the SDE of SGD near a valley of minima: the slow drift to flatter minima against the quasi-static flow (seed 004)",
    ),
    "sgd-minima": (
        "gflab.experiments.sgd_minima",
        "SGDMinima",
        "the (sharpness, non-uniformity) diagram of the minima SGD reaches, against 2/eta and sqrt(B)/eta (seed 004)",
    ),
    "random-features-rate": (
        "gflab.experiments.random_features_rate",
        "RandomFeaturesRate",
        "m random features approximate a target of the kernel's RKHS: squared L2 error against m (seed 004)",
    ),
    "gradient-variance": (
        "gflab.experiments.gradient_variance",
        "GradientVariance",
        "the hardness lemma: the M gradients of orthonormal targets spread by at most Q/M (seed 004)",
    ),
}


def get_experiment(name: str) -> Any:
    """The experiment object registered under ``name``."""
    if name not in REGISTRY:
        raise BadInput("experiment", f"unknown experiment {name!r}; accepted: {', '.join(REGISTRY)}")
    module, cls, _ = REGISTRY[name]
    return getattr(importlib.import_module(module), cls)()


def run(
    experiment: str, params: dict[str, Any] | None = None, *, out: str = "gflab-runs", force: bool = False, progress: bool = False
) -> dict[str, Any]:
    """Run one experiment through the store; returns the summary (the ``--json`` object)."""
    from gflab.store import Store

    return Store(out).run(experiment, params or {}, force=force, progress=progress)


__all__ = ["REGISTRY", "get_experiment", "run"]
