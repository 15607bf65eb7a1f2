"""Specs of the linear family (JAX-free: read by `gflab describe` and the registry tests)."""

from __future__ import annotations
