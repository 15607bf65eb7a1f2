"""Benchmark: deterministic power-law runs at the memory bandwidth of this machine.

Problem: GD (heavy ball with beta = 0) on the power-law quadratic (nu = kappa = 1.5) with
N = ``--modes`` modes for T = ``--steps`` steps, run on the spectrum (``heavy_ball_losses``,
the loss recorded every ``--every`` steps). A heavy-ball step in velocity form cannot move fewer
bytes than reading the spectrum, the iterate and the velocity and writing both back: 5 x 8 N bytes.
Measured in the same run, best of ``--repeat``:
  copy bandwidth  a jitted y = 1.0000001 x over N float64 (8 N read + 8 N written per call);
  GD              the compiled run (after a first call that compiles it).
Achieved bandwidth = 40 N T / (GD time). Target: at least 70% of the copy bandwidth.

Usage: python bench/linear_power_law_bandwidth.py [--modes 1000000] [--steps 100000] [--repeat 3] [--every 100]
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--modes", type=int, default=1_000_000)
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--every", type=int, default=100)
    args = p.parse_args()

    from gflab._jax import jax_module

    jax = jax_module()
    import jax.numpy as jnp

    from gflab.dynamics.spectral import heavy_ball_losses
    from gflab.problems.power_law import PowerLawQuadratic

    problem = PowerLawQuadratic(1.5, 1.5, args.modes)
    lam, e0 = jnp.asarray(problem.eigenvalues), -jnp.asarray(problem.target)
    alphas, betas = jnp.full(args.steps, 0.5), jnp.zeros(args.steps)
    copy = jax.jit(lambda x: x * 1.0000001)
    jax.block_until_ready(copy(e0))
    jax.block_until_ready(heavy_ball_losses(lam, e0, alphas, betas, every=args.every))
    t_copy = t_gd = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        for _ in range(20):
            jax.block_until_ready(copy(e0))
        t_copy = min(t_copy, (time.perf_counter() - start) / 20)
        start = time.perf_counter()
        jax.block_until_ready(heavy_ball_losses(lam, e0, alphas, betas, every=args.every))
        t_gd = min(t_gd, time.perf_counter() - start)
    copy_bw = 2 * 8 * args.modes / t_copy
    gd_bw = 5 * 8 * args.modes * args.steps / t_gd
    print(f"copy bandwidth                {copy_bw / 1e9:.2f} GB/s")
    print(f"GD N={args.modes} T={args.steps}   {t_gd:.3f} s = {t_gd / args.steps * 1e6:.1f} us/step, {gd_bw / 1e9:.2f} GB/s")
    print(f"ratio {gd_bw / copy_bw:.2f} of the copy bandwidth   (target >= 0.70)")


if __name__ == "__main__":
    main()
