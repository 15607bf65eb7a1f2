"""Benchmark: the exact expected SGD loss curve (tier 1) against the Monte-Carlo mean that reaches the same accuracy.

Problem: Gaussian online SGD with momentum on the power-law quadratic (nu = kappa = 1.5, sigma = 0.1,
alpha = 0.3, beta = 0.5, b = 2), N = ``--modes`` modes, T = ``--steps`` steps. Measured in one run:
  tier 1       the per-mode moment recursion for N modes and T steps (``expected_sgd_losses``),
               compiled first, then timed;
  Monte Carlo  ``--probe-runs`` SGD runs of ``--probe-steps`` steps at the same N, timed after
               compiling: the cost of one run-step; the coefficient of variation CV of the loss
               across the probe runs at their last step.
The Monte-Carlo mean is within 3 standard errors of 1% when 3 CV / sqrt(R) <= 0.01, i.e. with
R = (300 CV)^2 runs of T steps; its cost is R T (cost of a run-step), extrapolated from the probe
(the CV of the probe's last step stands in for the CV along the whole curve).
Target: tier 1 at least 1000 times faster.

Usage: python bench/linear_sgd_moments.py [--modes 100000] [--steps 100000] [--probe-runs 64] [--probe-steps 200]
"""

from __future__ import annotations

import argparse
import math
import time


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--modes", type=int, default=100_000)
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--probe-runs", type=int, default=64)
    p.add_argument("--probe-steps", type=int, default=200)
    args = p.parse_args()

    from gflab._jax import jax_module

    jax = jax_module()
    import jax.numpy as jnp
    import numpy as np

    from gflab.dynamics.spectral import expected_sgd_losses, sgd_gaussian_losses
    from gflab.problems.power_law import PowerLawQuadratic

    problem = PowerLawQuadratic(1.5, 1.5, args.modes, sigma=0.1)
    lam, target = jnp.asarray(problem.eigenvalues), jnp.asarray(problem.target_squared)
    alpha, beta, batch = 0.3, 0.5, 2

    tier1 = lambda: expected_sgd_losses(lam, target, problem.sigma, alpha, beta, batch, steps=args.steps)  # noqa: E731
    jax.block_until_ready(tier1())
    start = time.perf_counter()
    jax.block_until_ready(tier1())
    t_tier1 = time.perf_counter() - start

    ensemble = jax.jit(
        jax.vmap(
            lambda k: sgd_gaussian_losses(
                lam, -jnp.sqrt(target), problem.sigma, alpha, beta, k, steps=args.probe_steps, batch=batch
            )[-1]
        )
    )
    keys = jax.random.split(jax.random.key(0), args.probe_runs)
    jax.block_until_ready(ensemble(keys))
    start = time.perf_counter()
    final = np.asarray(ensemble(jax.random.split(jax.random.key(1), args.probe_runs)))
    t_probe = time.perf_counter() - start
    run_step = t_probe / (args.probe_runs * args.probe_steps)
    cv = float(final.std(ddof=1) / final.mean())
    runs = math.ceil((300 * cv) ** 2)
    t_mc = runs * args.steps * run_step
    print(f"tier 1 (N={args.modes}, T={args.steps})        {t_tier1:.3f} s")
    print(f"Monte Carlo run-step (N={args.modes}, b={batch})  {run_step * 1e6:.2f} us   CV of the loss {cv:.3f}")
    print(f"Monte Carlo for 3 s.e. <= 1%: {runs} runs x {args.steps} steps = {t_mc:.3g} s (extrapolated)")
    print(f"ratio {t_mc / t_tier1:.3g}x faster than Monte Carlo   (target >= 1000x)")


if __name__ == "__main__":
    main()
