"""Shared test setup: JAX configured by gflab (float64, host devices) before any test;
hypothesis derandomized under CI so that a CI run is repeatable."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from gflab._jax import jax_module

jax_module()

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Experiments run directly (not through the store) leave their figures open."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
