"""The claim type: one theoretical statement, one measurement, one tolerance, one verdict.

Claims are data (no JAX here), so ``gflab list`` is instant. Each family declares its own in
``gflab/experiments/<family>/claims.py``; :mod:`gflab.experiments` gathers them and
:mod:`gflab.lab` runs them.
"""

from gflab.claims.claim import Claim

__all__ = ["Claim"]
