"""Benchmark: ``gflab --help`` answers in under 1 second (JAX is imported lazily).

Baseline for the ratio: the same interpreter importing JAX eagerly (what a CLI that imports
its compute stack at start-up pays before printing anything). Median of 5 runs each.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def median_seconds(args: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    help_s = median_seconds([sys.executable, "-m", "gflab.cli", "--help"])
    jax_s = median_seconds([sys.executable, "-c", "import jax, diffrax"])
    print(f"gflab --help     {help_s:.3f} s   (target < 1 s)")
    print(f"import jax+diffrax {jax_s:.3f} s   (eager-import baseline)")
    print(f"ratio {jax_s / help_s:.1f}x faster than an eager import")


if __name__ == "__main__":
    main()
