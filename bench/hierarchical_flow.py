"""Benchmark: Theorem 6's hierarchical model at d = 3 (m = 150), targets per second of

- the adiabatic path on today's fixed grid du = 1e-3 (the baseline),
- the genuine gradient flow at lambda = 100 (:class:`gflab.dynamics.rosenbrock_flow.RosenbrockFlow`),

side by side on the same uniform targets, each after a warm-up run that compiles its program
(compilation is not timed). Prints the ratios against the baseline (targets: adaptive path
>= 3x, flow >= 1x) and the verdict agreement with the baseline.

    .venv/bin/python bench/hierarchical_flow.py [n_targets] [move_tol]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from gflab._jax import jax_module
from gflab.dynamics import AdiabaticLimit
from gflab.dynamics.adiabatic import STALLED
from gflab.dynamics.rosenbrock_flow import RosenbrockFlow
from gflab.experiments.learnability.hierarchical import final_u
from gflab.problems.curves import CurveFit
from gflab.problems.hierarchical import hierarchical, resolution
from gflab.simulation import Stop, simulate
from gflab.theory.learnability import HIERARCHICAL_U_START

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

D, M, LAMBDA = 3, 150, 100.0


def timed(run: Callable[[np.ndarray], np.ndarray], targets: np.ndarray) -> tuple[float, np.ndarray]:
    run(targets[:8])  # compile (the same program: slots fixed)
    start = time.perf_counter()
    verdict = run(targets)
    return len(targets) / (time.perf_counter() - start), verdict


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    max_steps = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    model = hierarchical(D, m=M)
    delta = resolution(model.levels, D)
    targets = np.asarray(jax.random.uniform(jax.random.key(0), (n, D)))
    last = final_u(D, 1e-3)

    def adiabatic(f: np.ndarray) -> np.ndarray:
        problem = CurveFit(model=model, target=jnp.asarray(f))
        dynamics = AdiabaticLimit(du=jnp.asarray(1e-3), t1=jnp.asarray(last))
        y0 = jnp.asarray([HIERARCHICAL_U_START, model.sigma0])
        stop = Stop(tol=delta**2 / 2, gtol=STALLED)
        return simulate(problem, dynamics, y0, over=lambda p: p.target, stop=stop, slots=64).verdict

    def flow(f: np.ndarray) -> np.ndarray:
        problem = CurveFit(model=model.two_timescale(LAMBDA), target=jnp.asarray(f))
        dynamics = RosenbrockFlow(rtol=1e-4, atol=(1e-6, 1e-12), t1=1e6, max_steps=max_steps)
        stop = Stop(tol=delta**2 / 2, gtol=1e-12)
        y0 = jnp.asarray([HIERARCHICAL_U_START, 0.0])
        return simulate(problem, dynamics, y0, over=lambda p: p.target, stop=stop, slots=64).verdict

    base_rate, base = timed(adiabatic, targets)
    print(f"adiabatic, fixed grid du = 1e-3   {base_rate:8.2f} targets/s   (baseline)")
    rate, verdict = timed(flow, targets)
    print(
        f"gradient flow, lambda = {LAMBDA:g}        {rate:8.2f} targets/s   ratio {rate / base_rate:.2f}x (target >= 1x), "
        f"verdicts agree {np.mean(verdict == base):.3f}"
    )


if __name__ == "__main__":
    main()
