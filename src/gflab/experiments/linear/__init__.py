"""The linear family: linear models and quadratics under GD, momentum and SGD: exact second moments, power-law rates, phases, corner GD.

Velikanov, Kuznedelev & Yarotsky (SGD via generating functions; tight rate bounds under power-law spectra); Yarotsky (corner gradient descent).

JAX-free: the registry is read by ``gflab list`` without importing the experiments.
"""

from gflab.experiments.linear.claims import CLAIMS
from gflab.experiments.registry import Entry

EXPERIMENTS: dict[str, Entry] = {}

__all__ = ["CLAIMS", "EXPERIMENTS"]
