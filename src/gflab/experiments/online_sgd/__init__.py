"""The online-SGD family: the overlap equations of one-pass SGD for two-layer networks in high dimension, plateaus, batch size, data repetition.

Saad & Solla 1995; Goldt et al. 2019; and the multi-index literature of the other families.

JAX-free: the registry is read by ``gflab list`` without importing the experiments.
"""

from gflab.experiments.online_sgd.claims import CLAIMS
from gflab.experiments.registry import Entry

EXPERIMENTS: dict[str, Entry] = {}

__all__ = ["CLAIMS", "EXPERIMENTS"]
