"""The online-SGD family: the overlap equations of one-pass SGD for two-layer networks in high dimension, plateaus, batch size, data repetition.

Saad & Solla 1995; Biehl & Schwarze 1995; Goldt et al. 2019; Arnaboldi et al. 2024 (batch size);
Dandi et al. 2024 and Arnaboldi et al. 2024 (data repetition).

JAX-free: the registry is read by ``gflab list`` without importing the experiments.
"""

from gflab.experiments.online_sgd.claims import CLAIMS
from gflab.experiments.registry import Entry

EXPERIMENTS: dict[str, Entry] = {
    "overlap-ode": Entry(
        "gflab.experiments.online_sgd.overlap_ode",
        "OverlapODEExperiment",
        "the overlap ODE of one-pass SGD (committee machines) against finite-d simulations, d^-1/2 fluctuations",
        spec="OverlapODESpec",
    ),
    "plateau": Entry(
        "gflab.experiments.online_sgd.plateau",
        "Plateau",
        "Saad-Solla symmetric plateau: closed form, unstable eigenvalue, length against ln(1/delta), finite-eta plateau",
        spec="PlateauSpec",
    ),
    "weight-decay": Entry(
        "gflab.experiments.online_sgd.weight_decay",
        "WeightDecay",
        "the overlap ODE with weight decay (rate eta kappa) against finite-d SGD, and the pitfall rate kappa",
        spec="WeightDecaySpec",
    ),
    "batch-size": Entry(
        "gflab.experiments.online_sgd.batch_size",
        "BatchSize",
        "steps to weak recovery of spherical online SGD on a He_l target against the batch n_b = d^mu, square and correlation loss",
        spec="BatchSizeSpec",
    ),
    "batch-reuse": Entry(
        "gflab.experiments.online_sgd.batch_reuse",
        "BatchReuse",
        "SGD using each sample for two steps against one-pass SGD on He_3 and He_4 targets: collapse against steps / (d ln d)",
        spec="BatchReuseSpec",
    ),
}

__all__ = ["CLAIMS", "EXPERIMENTS"]
