"""Specs of the online_sgd family (JAX-free: read by `gflab describe` and the registry tests)."""

from __future__ import annotations
