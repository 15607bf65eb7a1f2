"""gflab: a laboratory for the dynamics of learning.

problem --(dynamics)--> trajectory --(measures)--> observations --(theory)--> claims.
JAX is imported on first use of a compute name, so ``gflab --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "simulate": "gflab.simulation",
    "Save": "gflab.simulation",
    "Stop": "gflab.simulation",
    "Trajectory": "gflab.simulation",
    "GradientFlow": "gflab.dynamics",
    "GradientDescent": "gflab.dynamics",
    "SGD": "gflab.dynamics",
    "run": "gflab.lab",
    "reproduce": "gflab.lab",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gflab' has no attribute {name!r}")


__all__ = sorted(_LAZY) + ["__version__"]
