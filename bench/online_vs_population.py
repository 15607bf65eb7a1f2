"""Benchmark: the exact population flow against online SGD on fresh Gaussian batches.

Problem (Simsek, Bendjeddou & Hsu 2024): n = 100 neurons in d = 1000, k = 10 orthonormal index vectors,
sigma = sigma* = he3, correlation loss. Both runs stop when every neuron's best overlap
reaches ``--level`` (the same accuracy; default 0.9), from the same start:
  population  the spherical flow of the exact loss in reduced coordinates (Tsit5, rtol 1e-6);
  online SGD  full-d projected SGD on fresh N(0, I_d) batches of size B with step eta
              (its error floor 1 - overlap grows like eta d / B: at eta 1e-3, B 256 it sits
              near 0.06, so 0.9 is reachable and 0.99 is not; each tenfold in accuracy costs
              SGD about tenfold in steps x batch, so the ratio at 0.99 would be larger still).
Prints wall times (population compiled; SGD in one run, compile included), SGD steps and samples used, and the ratio (target >= 1000x).

Usage: python bench/online_vs_population.py [--d 1000] [--n-neurons 100] [--k 10] [--eta 1e-3] [--batch 256]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--d", type=int, default=1000)
    p.add_argument("--n-neurons", type=int, default=100)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--eta", type=float, default=1e-3)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--level", type=float, default=0.9)
    args = p.parse_args()

    import jax
    import jax.numpy as jnp

    from gflab import SGD, GradientFlow, Stop, simulate
    from gflab.experiments.multi_index.sphere_common import OverlapReached
    from gflab.problems.multi_index import (
        OnlineSphereCorrelation,
        SphereCorrelation,
        embed,
        full_from_reduced,
        index_vectors,
        sphere_start,
    )
    from gflab.results import StopReason

    phi = jnp.asarray([0.0, 0.0, 0.0, 1.0])
    reduced0 = np.asarray(sphere_start(jax.random.key(0), args.d, args.k, (args.n_neurons,)))
    full0 = jnp.asarray(full_from_reduced(reduced0, args.d, jax.random.key(1)))
    v = index_vectors(args.k)
    stop = Stop(event=OverlapReached(args.level, False))
    t1 = 400.0

    def timed(run, warm: bool):  # type: ignore[no-untyped-def]
        if warm:
            run()
        start = time.perf_counter()
        out = run()
        return time.perf_counter() - start, out

    population = SphereCorrelation(index=jnp.asarray(embed(v, args.k + 1)), phi=phi)
    t_pop, pop = timed(
        lambda: simulate(population, GradientFlow(rtol=1e-6, atol=1e-9, t1=t1), jnp.asarray(reduced0), stop=stop), True
    )
    online = OnlineSphereCorrelation(
        index=jnp.asarray(embed(v, args.d)), phi=phi, key=jax.random.key_data(jax.random.key(2)), sigma="he3", sigma_star="he3"
    )
    # one run, its compile included (seconds, against minutes of stepping)
    t_sgd, sgd = timed(lambda: simulate(online, SGD(eta=args.eta, batch_size=args.batch, t1=t1), full0, stop=stop), False)
    print(f"(d, n, k) = ({args.d}, {args.n_neurons}, {args.k}); every neuron at overlap {args.level}")
    print(f"population flow (reduced)  t* = {float(pop.t_final):8.2f}  steps {int(pop.steps):7d}  {t_pop:8.3f} s")
    print(
        f"online SGD (eta {args.eta}, B {args.batch})  t* = {float(sgd.t_final):8.2f}  steps {int(sgd.steps):7d}  "
        f"samples {int(sgd.steps) * args.batch:.2e}  {t_sgd:8.3f} s  reached: {int(sgd.reason) == StopReason.EVENT}"
    )
    print(f"ratio online SGD / population: {t_sgd / t_pop:.0f}x (target >= 1000x)")


if __name__ == "__main__":
    main()
