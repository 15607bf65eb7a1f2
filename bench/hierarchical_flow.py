"""Benchmark: Theorem 6's hierarchical model at d = 3 (m = 150), targets per second of

- the adiabatic path on the fixed grid du = 1e-3 (the baseline of the issue: 1,329 s for
  10^4 targets when it was set),
- the genuine gradient flow at lambda = 100, exactly as the experiment ``hierarchical-flow``
  runs it (:func:`gflab.experiments.learnability.hierarchical_flow.run_flows`: the Rosenbrock
  solver with the level-scaled tolerance on sigma, ``unit_tol`` as given, and the path and
  branch gap at its save times),

side by side on the same uniform targets, each after a warm-up run on SLOTS targets per
device that compiles the same programs (compilation is not timed). Both run SLOTS trajectories at a time, refilled as they finish:
with several times SLOTS targets the rate is the ensemble's steady rate, not the wait for
the slowest flow of one batch. Prints the flow's rate against the baseline (target >= 1x),
the time it puts on 10^4 targets (target <= 22 min) and both learned fractions.

    .venv/bin/python bench/hierarchical_flow.py [n_targets] [unit_tol] [max_steps]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from gflab._jax import jax_module
from gflab.dynamics import AdiabaticLimit
from gflab.dynamics.adiabatic import STALLED
from gflab.experiments import get_experiment
from gflab.experiments.learnability.hierarchical import final_u
from gflab.experiments.learnability.hierarchical_flow import run_flows
from gflab.experiments.learnability.specs import HierarchicalFlowSpec
from gflab.problems.curves import CurveFit
from gflab.problems.hierarchical import hierarchical, resolution
from gflab.results import Verdict
from gflab.simulation import Stop, simulate
from gflab.theory.learnability import HIERARCHICAL_U_START

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

D, M, LAMBDA, SLOTS = 3, 150, 100.0, 64


def timed(run: Callable[[np.ndarray], np.ndarray], targets: np.ndarray) -> tuple[float, np.ndarray]:
    run(targets[: SLOTS * len(jax.local_devices())])  # compile: the same slots per device as the timed run
    start = time.perf_counter()
    verdict = run(targets)
    return len(targets) / (time.perf_counter() - start), verdict


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    params: dict[str, float] = {"d": D, "m": M, "lam": LAMBDA, "slots": SLOTS}
    if len(sys.argv) > 2:
        params["unit_tol"] = float(sys.argv[2])
    if len(sys.argv) > 3:
        params["max_steps"] = int(sys.argv[3])
    spec = get_experiment("hierarchical-flow").validate(params)
    assert isinstance(spec, HierarchicalFlowSpec)
    model = hierarchical(D, m=M)
    delta = resolution(model.levels, D)
    targets = np.asarray(jax.random.uniform(jax.random.key(0), (n, D)))
    last = final_u(D, 1e-3)

    def adiabatic(f: np.ndarray) -> np.ndarray:
        problem = CurveFit(model=model, target=jnp.asarray(f))
        dynamics = AdiabaticLimit(du=jnp.asarray(1e-3), t1=jnp.asarray(last))
        y0 = jnp.asarray([HIERARCHICAL_U_START, model.sigma0])
        stop = Stop(tol=delta**2 / 2, gtol=STALLED)
        return simulate(problem, dynamics, y0, over=lambda p: p.target, stop=stop, slots=SLOTS).verdict

    def flow(f: np.ndarray) -> np.ndarray:
        return run_flows(model, f, LAMBDA, spec, progress=False, label="flow").verdict

    base_rate, base = timed(adiabatic, targets)
    print(f"adiabatic, fixed grid du = 1e-3        {base_rate:8.2f} targets/s   learned {np.mean(base == Verdict.LEARNED):.3f}")
    rate, verdict = timed(flow, targets)
    print(
        f"gradient flow, lambda = {LAMBDA:g}, unit_tol = {spec.unit_tol:g}   {rate:8.2f} targets/s   "
        f"learned {np.mean(verdict == Verdict.LEARNED):.3f}   ratio {rate / base_rate:.2f}x (target >= 1x)"
    )
    print(f"10^4 targets: flow {1e4 / rate / 60:.1f} min (target <= 22), adiabatic fixed grid {1e4 / base_rate / 60:.1f} min")


if __name__ == "__main__":
    main()
