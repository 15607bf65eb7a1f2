"""Benchmark: one full-d gradient-flow step against the memory roofline of this machine.

Problem: the spherical correlation flow of n = 1000 neurons in d = 4000, k = 20 (he3); one
Tsit5 step (diffrax's step and PID controller, as in gflab's engine) on W in R^{n x d}
(32 MB in float64). At k = 20 a step is bound by memory traffic, so its floor is
(bytes it must move) / (copy bandwidth). Measured in the same run:
  copy bandwidth   a jitted y = 1.0000001 x over the same array (reads + writes / time);
  bytes per step   XLA's cost analysis of the compiled step ('bytes accessed');
  step time        the compiled step;
both times best-of-repeat, copy and step interleaved call by call.
Prints the roofline time, the measured time and their ratio (target >= 80%); the same for the
gradient alone (closed form against autodiff).

Usage: python bench/multi_index_roofline.py [--d 4000] [--n 1000] [--k 20] [--repeat 20]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any


def best_times(fns: list[Callable[[Any], Any]], xs: list[Any], repeat: int) -> list[float]:
    """Best-of-``repeat`` wall time of each call, the functions interleaved call by call, so
    that the copy and the step see the same machine (this VM's bandwidth drifts by 2x between
    seconds; best-of is STREAM's convention)."""
    import jax

    best = [float("inf")] * len(fns)
    for fn, x in zip(fns, xs, strict=True):
        jax.block_until_ready(fn(x))
    for _ in range(repeat):
        for i, (fn, x) in enumerate(zip(fns, xs, strict=True)):
            start = time.perf_counter()
            jax.block_until_ready(fn(x))
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def bytes_accessed(fn: Any, x: Any) -> float:
    analysis = fn.lower(x).compile().cost_analysis()
    analysis = analysis[0] if isinstance(analysis, list) else analysis
    return float(analysis["bytes accessed"])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--d", type=int, default=4000)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args()

    import jax
    import jax.numpy as jnp

    from gflab import GradientFlow
    from gflab.problems.multi_index import SphereCorrelation, embed, full_start, index_vectors

    problem = SphereCorrelation(index=jnp.asarray(embed(index_vectors(args.k), args.d)), phi=jnp.asarray([0.0, 0.0, 0.0, 1.0]))
    w = full_start(jax.random.key(0), args.d, (args.n,))
    dyn = GradientFlow(rtol=1e-6, atol=1e-9, t1=1e5)
    state = dyn.init(problem, w)

    copy = jax.jit(lambda x: x * 1.0000001)
    step = jax.jit(lambda s: dyn.step(problem, s, jnp.asarray(1e5))[0])
    closed = jax.jit(lambda x: problem.gradient(x))
    auto = jax.jit(jax.grad(problem.loss))

    print(f"W: {args.n} x {args.d} float64 = {w.nbytes / 2**20:.1f} MiB")
    for name, fn, x in (("Tsit5 step", step, state), ("gradient, closed form", closed, w), ("gradient, autodiff", auto, w)):
        moved = bytes_accessed(fn, x)
        t_copy, t = best_times([copy, fn], [w, x], args.repeat)
        bandwidth = 2 * w.nbytes / t_copy
        roof = moved / bandwidth
        print(
            f"{name:22s} {moved / 2**20:8.0f} MiB moved ({moved / w.nbytes:4.1f} x W)  copy {bandwidth / 1e9:5.1f} GB/s  "
            f"roofline {roof * 1e3:7.2f} ms  measured {t * 1e3:7.2f} ms  -> {roof / t:5.1%} of roofline (target >= 80%)"
        )


if __name__ == "__main__":
    main()
