"""gflab's JAX set-up (:mod:`gflab._jax`): XLA's backend optimisation level 1 unless the
user's XLA_FLAGS name one (the engine's rounds ask for level 3 themselves)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_PRINT_FLAGS = "import os; from gflab._jax import jax_module; jax_module(); print(os.environ['XLA_FLAGS'])"


def _flags_after_setup(user_flags: str) -> list[str]:
    """XLA_FLAGS as gflab leaves them, in a fresh process (JAX is configured once per process)."""
    env = os.environ | {"XLA_FLAGS": user_flags, "GFLAB_JAX_CACHE": "0"}
    run = subprocess.run([sys.executable, "-c", _PRINT_FLAGS], capture_output=True, text=True, check=True, env=env)
    return run.stdout.split()


@pytest.mark.slow  # a fresh process importing JAX: 2-3 s unloaded
def test_short_lived_programs_compile_at_level_one_by_default() -> None:
    levels = [f for f in _flags_after_setup("") if "optimization_level" in f]
    assert levels == ["--xla_backend_optimization_level=1"]


@pytest.mark.slow
def test_a_level_in_the_users_flags_is_kept() -> None:
    flags = _flags_after_setup("--xla_backend_optimization_level=2 --xla_force_host_platform_device_count=3")
    assert [f for f in flags if "optimization_level" in f] == ["--xla_backend_optimization_level=2"]
    assert [f for f in flags if "device_count" in f] == ["--xla_force_host_platform_device_count=3"]
