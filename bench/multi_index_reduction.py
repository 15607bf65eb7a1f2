"""Benchmark: exact dimension reduction of the spherical correlation flow, against the full-d flow.

Problem (Simsek, Bendjeddou & Hsu 2024): n neurons on S^{d-1}, k orthonormal index vectors, sigma = sigma* = he3,
spherical gradient flow of the population correlation loss (Tsit5, rtol 1e-6, atol 1e-9).
Time to solution: until every neuron's best overlap reaches 0.99 (a stop event). Both runs
integrate the whole network as one trajectory with one adaptive step, from the same start:
  full     W in R^{n x d};
  reduced  each neuron in its (k + 1) coordinates (overlaps with v_1..v_k, norm of the rest).
Also: the reduced neurons as an ensemble (each its own step size). Prints wall times (compiled,
and with compile), the ratio, and the largest overlap difference at the end.

Usage: python bench/multi_index_reduction.py [--d 4000] [--n-neurons 1000] [--k 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--d", type=int, default=4000)
    p.add_argument("--n-neurons", type=int, default=1000)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--level", type=float, default=0.99)
    args = p.parse_args()

    import jax
    import jax.numpy as jnp

    from gflab import GradientFlow, Stop, simulate
    from gflab.experiments.multi_index.sphere_common import OverlapReached
    from gflab.problems.multi_index import SphereCorrelation, embed, full_from_reduced, index_vectors, sphere_start

    phi = jnp.asarray([0.0, 0.0, 0.0, 1.0])  # he3 x he3
    reduced0 = np.asarray(sphere_start(jax.random.key(0), args.d, args.k, (args.n_neurons,)))
    full0 = full_from_reduced(reduced0, args.d, jax.random.key(1))
    v = index_vectors(args.k)
    dyn = GradientFlow(rtol=1e-6, atol=1e-9, t1=1e5)
    stop = Stop(event=OverlapReached(args.level, False))

    def timed(problem: SphereCorrelation, y0: np.ndarray, **kw: object) -> tuple[float, float, object]:
        start = time.perf_counter()
        simulate(problem, dyn, jnp.asarray(y0), stop=stop, **kw)  # type: ignore[arg-type]
        cold = time.perf_counter() - start
        start = time.perf_counter()
        traj = simulate(problem, dyn, jnp.asarray(y0), stop=stop, **kw)  # type: ignore[arg-type]
        return cold, time.perf_counter() - start, traj

    reduced_problem = SphereCorrelation(index=jnp.asarray(embed(v, args.k + 1)), phi=phi)
    full_problem = SphereCorrelation(index=jnp.asarray(embed(v, args.d)), phi=phi)
    r_cold, r_hot, r_traj = timed(reduced_problem, reduced0)
    e_cold, e_hot, _ = timed(reduced_problem, reduced0, y0_batched=True)
    f_cold, f_hot, f_traj = timed(full_problem, full0)
    unit = lambda w: w / np.linalg.norm(w, axis=-1, keepdims=True)  # noqa: E731
    gap = np.max(np.abs(unit(r_traj.final_params)[:, : args.k] - unit(f_traj.final_params)[:, : args.k]))
    print(f"(d, n, k) = ({args.d}, {args.n_neurons}, {args.k}); all neurons at overlap {args.level}")
    print(
        f"full-d flow        t* = {float(f_traj.t_final):8.2f}  steps {int(f_traj.steps):6d}  {f_hot:8.3f} s compiled ({f_cold:.3f} s with compile)"
    )
    print(
        f"reduced flow       t* = {float(r_traj.t_final):8.2f}  steps {int(r_traj.steps):6d}  {r_hot:8.3f} s compiled ({r_cold:.3f} s with compile)"
    )
    print(f"reduced ensemble   (one step size per neuron)           {e_hot:8.3f} s compiled ({e_cold:.3f} s with compile)")
    print(f"ratio full / reduced: {f_hot / r_hot:.0f}x compiled, {f_cold / r_cold:.0f}x with compile (target >= 100x)")
    print(f"max |overlap difference| at the stop: {gap:.2e}")


if __name__ == "__main__":
    main()
