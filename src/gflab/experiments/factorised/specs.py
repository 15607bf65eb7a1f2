"""Specs of the factorised family (JAX-free: read by `gflab describe` and the registry tests)."""

from __future__ import annotations
