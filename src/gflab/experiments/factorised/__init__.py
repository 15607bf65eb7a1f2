"""The factorised family: tied linear autoencoders, CP tensor decompositions and spectral algorithms under gradient flow.

Golikov, Gusev & Yarotsky; Yarotsky, Golikov & Gusev; Velikanov, Panov & Yarotsky.

JAX-free: the registry is read by ``gflab list`` without importing the experiments.
"""

from gflab.experiments.factorised.claims import CLAIMS
from gflab.experiments.registry import Entry

EXPERIMENTS: dict[str, Entry] = {}

__all__ = ["CLAIMS", "EXPERIMENTS"]
