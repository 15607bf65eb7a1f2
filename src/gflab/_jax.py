"""Configure JAX once, before first use: float64 and one XLA host device per core.

Every gflab module that needs JAX imports it through :func:`jax_module` so that the
command line can answer ``--help`` without paying for the JAX import.
"""

from __future__ import annotations

import os
from types import ModuleType

_configured = False

COMPILE_LEVEL = 1
"""XLA's backend (LLVM) optimisation level for every program unless XLA_FLAGS sets one: 1, not
XLA's default 3. Most programs of a run are compiled once and run for milliseconds (random
draws, eager operations, set-up), and at level 1 they compile up to 5x faster (a float64
normal draw: 1.2 -> 0.23 s of CPU; ``bench/compile_time.py``). Level 1 keeps IEEE float64
arithmetic (no fast-math); results may differ from level 3 in the last bit, as any two
instruction schedules may."""

LONG_RUNNING: dict[str, int] = {"xla_backend_optimization_level": 3}
"""Compiler options of the programs that run for long (the ensemble engine's rounds): XLA's
default level 3, whose vectorised loops they need, e.g. ``jax.jit(f, compiler_options=LONG_RUNNING)``."""


def cores() -> int:
    """The cores this process may run on (a pinned sweep worker: its share)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def jax_module() -> ModuleType:
    """Return the ``jax`` module with x64 enabled and host devices split per core.

    Compiled programs are cached on disk in ``~/.cache/gflab/jax`` (``GFLAB_JAX_CACHE`` sets
    the folder; ``GFLAB_JAX_CACHE=0`` turns it off). The device split (``--xla_force_host_platform_device_count``) only takes effect if
    JAX was not imported before gflab; otherwise ensembles simply run on one device.
    """
    global _configured
    if not _configured:
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_force_host_platform_device_count" not in flags:
            flags += f" --xla_force_host_platform_device_count={max(1, min(cores(), 8))}"
        if "xla_backend_optimization_level" not in flags:
            flags += f" --xla_backend_optimization_level={COMPILE_LEVEL}"
        os.environ["XLA_FLAGS"] = flags.strip()
        import jax

        jax.config.update("jax_enable_x64", True)
        cache = os.environ.get("GFLAB_JAX_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "gflab", "jax"))
        if cache and cache != "0":
            # Persistent compilation cache: a second process reuses compiled ensembles.
            jax.config.update("jax_compilation_cache_dir", cache)
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
        _configured = True
    import jax

    return jax
