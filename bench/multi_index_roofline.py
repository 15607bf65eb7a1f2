"""Benchmark: one full-d gradient-flow step against the limits of this machine.

Problem: the spherical correlation flow of n = 1000 neurons in d = 4000, k = 20 (he3); one
Tsit5 step (gflab's unrolled step and diffrax's PID controller, as in the engine) on W in
R^{n x d} (32 MB in float64), row-mapped (gflab's default for independent neurons: blocks of
rows, each block's stages in cache) and unblocked. Measured in the same run, best of
``--repeat``, all calls interleaved (this VM's bandwidth drifts by 2x between seconds;
best-of is STREAM's convention):
  copy bandwidth   a jitted y = 1.0000001 x over W (reads + writes / time);
  dgemm rate       a jitted 2000 x 2000 matrix product (2 n^3 / time), both cores;
  step times       the compiled steps.
Two rooflines:
  traffic         bytes the unblocked step moves (XLA's cost analysis) / copy bandwidth;
  physical        max(memory floor, compute floor): the state traffic a step cannot avoid
                  (read y0 and k(y0), write y1 and k(y1): 4 W) / copy bandwidth, and the
                  step's flops (XLA's count for the unblocked step; the row-mapped step does
                  the same arithmetic) / dgemm rate.
Target: a step at >= 80% of its roofline.

Usage: python bench/multi_index_roofline.py [--d 4000] [--n-neurons 1000] [--k 20] [--repeat 20]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any


def best_times(fns: list[Callable[[Any], Any]], xs: list[Any], repeat: int) -> list[float]:
    """Best-of-``repeat`` wall time of each call, the functions interleaved call by call."""
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


def cost(fn: Any, x: Any) -> dict[str, float]:
    analysis = fn.lower(x).compile().cost_analysis()
    return analysis[0] if isinstance(analysis, list) else analysis


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--d", type=int, default=4000)
    p.add_argument("--n-neurons", type=int, default=1000)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args()

    import jax
    import jax.numpy as jnp

    from gflab import GradientFlow
    from gflab.problems.multi_index import SphereCorrelation, embed, full_start, index_vectors

    problem = SphereCorrelation(index=jnp.asarray(embed(index_vectors(args.k), args.d)), phi=jnp.asarray([0.0, 0.0, 0.0, 1.0]))
    w = full_start(jax.random.key(0), args.d, (args.n_neurons,))
    square = jax.random.normal(jax.random.key(1), (2000, 2000))

    def stepper(row_mapped: bool) -> tuple[Any, Any]:
        dyn = GradientFlow(rtol=1e-6, atol=1e-9, t1=1e5, row_mapped=row_mapped)
        return jax.jit(lambda s: dyn.step(problem, s, jnp.asarray(1e5))[0]), dyn.init(problem, w)

    (mapped, state), (unblocked, _) = stepper(True), stepper(False)
    copy = jax.jit(lambda x: x * 1.0000001)
    dgemm = jax.jit(lambda a: a @ a)
    t_copy, t_dgemm, t_mapped, t_unblocked = best_times([copy, dgemm, mapped, unblocked], [w, square, state, state], args.repeat)
    bandwidth, rate = 2 * w.nbytes / t_copy, 2 * 2000**3 / t_dgemm
    analysis = cost(unblocked, state)
    moved, flops = float(analysis["bytes accessed"]), float(analysis["flops"])
    rows = GradientFlow().rows_per_block(problem, w)

    print(
        f"W: {args.n_neurons} x {args.d} float64 = {w.nbytes / 2**20:.1f} MiB; copy {bandwidth / 1e9:.1f} GB/s, dgemm {rate / 1e9:.1f} GFLOP/s"
    )
    print(f"step flops {flops / 1e9:.2f} GFLOP ({flops / w.size:.0f} per entry of W)")
    roof = moved / bandwidth
    print(
        f"traffic roofline   unblocked   {moved / w.nbytes:5.1f} W moved  roofline {roof * 1e3:7.2f} ms  measured {t_unblocked * 1e3:7.2f} ms"
        f"  -> {roof / t_unblocked:5.1%} (target >= 80%)"
    )
    memory, compute = 4 * w.nbytes / bandwidth, flops / rate
    physical = max(memory, compute)
    print(
        f"physical roofline  memory floor {memory * 1e3:.2f} ms (4 W), compute floor {compute * 1e3:.2f} ms: {physical * 1e3:.2f} ms"
    )
    for name, t in ((f"row-mapped ({rows} rows/block)", t_mapped), ("unblocked", t_unblocked)):
        print(f"  {name:26s} measured {t * 1e3:7.2f} ms  -> {physical / t:5.1%} of the physical roofline (target >= 80%)")
    print(f"row-mapped / unblocked: {t_unblocked / t_mapped:.2f}x faster")


if __name__ == "__main__":
    main()
