"""Shared test setup: JAX configured by gflab (float64, host devices) before any test."""

from __future__ import annotations

from gflab._jax import jax_module

jax_module()
