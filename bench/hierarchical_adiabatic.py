"""Benchmark: the adiabatic path of Theorem 6's hierarchical model (d = 3, m = 150), targets
per second of

- today's fixed grid du = 1e-3 (the baseline: ``AdiabaticLimit(du=1e-3)``),
- adaptive steps in u (``AdiabaticLimit(du=1e-3, move_tol=...)``: longer steps where the nearest point rests),

side by side on the same uniform targets, each after a warm-up run on the same number of
targets that compiles its program (compilation is not timed). Prints the ratio against the
baseline (target >= 3x) and the agreement of the verdicts and of the stage that failed first.

    .venv/bin/python bench/hierarchical_adiabatic.py [n_targets] [move_tol] [d]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from gflab._jax import jax_module
from gflab.experiments.learnability.hierarchical import Followed, first_failed_stage, follow_targets
from gflab.problems.hierarchical import hierarchical
from gflab.results import Verdict

jax_module()
import jax  # noqa: E402

M = {2: 150, 3: 150, 4: 200, 5: 200}  # the claims' children per split


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 128
    move_tol = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-4
    d = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    model = hierarchical(d, m=M[d])
    targets = np.asarray(jax.random.uniform(jax.random.key(0), (n, d)))
    warm = np.full((n, d), 1e9)  # the compile run: targets beyond every bound, diverged at once

    def timed(tol: float | None) -> tuple[float, Followed]:
        follow_targets(model, warm, move_tol=tol)  # compile: same shapes, short paths
        start = time.perf_counter()
        followed = follow_targets(model, targets, move_tol=tol)
        return n / (time.perf_counter() - start), followed

    def failed(followed: Followed) -> np.ndarray:
        stage = first_failed_stage(model, targets, followed.points)
        return np.where(followed.verdict == Verdict.LEARNED, -1, stage)

    base_rate, base = timed(None)
    print(f"adiabatic, fixed grid du = 1e-3, d = {d}      {base_rate:8.2f} targets/s   (baseline)")
    rate, adaptive = timed(move_tol)
    print(
        f"adiabatic, adaptive u, move_tol = {move_tol:g}   {rate:8.2f} targets/s   ratio {rate / base_rate:.2f}x (target >= 3x), "
        f"verdicts agree {np.mean(adaptive.verdict == base.verdict):.4f}, first failed stage agrees "
        f"{np.mean(failed(adaptive) == failed(base)):.4f}, learned {np.mean(adaptive.verdict == Verdict.LEARNED):.4f} "
        f"vs {np.mean(base.verdict == Verdict.LEARNED):.4f}"
    )


if __name__ == "__main__":
    main()
