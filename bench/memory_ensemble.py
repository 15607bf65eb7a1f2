"""Benchmark: peak memory of the learnability experiment's ensemble at 10^5 targets.

Target: peak resident memory under 2 GiB (only what the claims need is kept per trajectory:
final state, stop data, the loss on a 25-point save grid). The ratio printed is peak / budget.

Usage: python bench/memory_ensemble.py [--n-targets 100000]
"""

from __future__ import annotations

import argparse
import resource
import time

BUDGET = 2 * 1024**3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-targets", type=int, default=100_000, help="targets of the ensemble")
    n = parser.parse_args().n_targets
    from gflab.experiments import get_experiment

    exp = get_experiment("learnability")
    spec = exp.validate({"model": "trig", "d": 3, "W": 2, "n_targets": n, "n_show": 0})
    start = time.perf_counter()
    result = exp.run(spec)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    steps = result.metrics["steps_mean"]
    print(f"learnability trig W=2 d=3, {n} targets: {seconds:.1f} s, {n / seconds:.0f} traj/s, mean steps {steps:.0f}")
    print(f"peak RSS {peak / 2**20:.0f} MiB   budget {BUDGET / 2**20:.0f} MiB   ratio {peak / BUDGET:.2f} (target < 1)")
    print(
        f"learned fraction {result.metrics['fractions']['learned']['fraction']:.5f} [{result.metrics['fractions']['learned']['high']:.5f}]"
    )


if __name__ == "__main__":
    main()
