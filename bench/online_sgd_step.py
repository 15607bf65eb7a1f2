"""Benchmark: one-pass SGD of a committee machine per step, gflab's simulation against a numpy loop.

Problem: erf student (K = 2) and teacher (M = 2), d = 4096, batch n_b = d (the fresh batch is a
d x d Gaussian matrix per step), step eta/d, second layer fixed.
  numpy     the straightforward loop of the per-paper codes, one run at a time (float64,
            numpy's PCG64 + ziggurat normals): draw the batch, forward, gradient, update; at
            n_b = d a step draws d^2 normals, so only ``--numpy-steps`` steps are timed;
  chain     ``simulate(CommitteeChain, OverlapChain)``: the exact overlap chain of the same SGD
            (:mod:`gflab.problems.committee_chain`, equal in law, O(n_b (K + M) K) work per step),
            ``--seeds`` runs vmapped in one ensemble, ``--steps`` steps, compiled beforehand;
  network   ``simulate(OnlineCommittee, SGD)``: the d-dimensional weights (the d x d draw and
            matmuls, BLAS-bound like numpy's), ``--seeds`` runs, ``--numpy-steps`` steps.
Prints the time per step and run of each and the ratios numpy / chain (target >= 10x) and
numpy / network.

Usage: python bench/online_sgd_step.py [--d 4096] [--steps 200] [--numpy-steps 8] [--seeds 4]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np


def numpy_loop(d: int, steps: int, seed: int) -> float:
    """Seconds for ``steps`` SGD steps of one run (the per-paper numpy loop)."""
    from scipy.special import erf

    rng = np.random.default_rng(seed)
    U = rng.standard_normal((2, d)) / math.sqrt(d)
    V = rng.standard_normal((2, d)) / math.sqrt(d)
    a, b, eta = np.ones(2), np.ones(2), 0.5
    start = time.perf_counter()
    for _ in range(steps):
        x = rng.standard_normal((d, d))
        lam, nu = x @ U.T, x @ V.T
        delta = erf(lam) @ a - erf(nu) @ b
        gprime = 2 / math.sqrt(math.pi) * np.exp(-(lam**2))
        grad = ((gprime * a[None]) * delta[:, None]).T @ x / d
        U -= eta / d * grad
    return time.perf_counter() - start


def gflab_runs(d: int, steps: int, seeds: int) -> float:
    """Seconds for ``steps`` SGD steps of ``seeds`` runs in one ensemble (compiled beforehand)."""
    import jax
    import jax.numpy as jnp

    from gflab import SGD, simulate
    from gflab.problems.committee import OnlineCommittee
    from gflab.simulation import Save, Stop

    rng = np.random.default_rng(0)
    V = jnp.asarray(rng.standard_normal((seeds, 2, d)) / math.sqrt(d))
    U = jnp.asarray(rng.standard_normal((seeds, 2, d)) / math.sqrt(d))
    keys = jax.vmap(lambda i: jax.random.key_data(jax.random.fold_in(jax.random.key(0), i)))(jnp.arange(seeds))
    problem = OnlineCommittee(V=V, b=jnp.ones(2), key=keys)
    eta = 0.5

    def run(n_steps: int) -> None:
        traj = simulate(
            problem,
            SGD(eta=eta / d, batch_size=d, t1=eta / d * n_steps),
            {"w": U, "a": jnp.ones((seeds, 2))},
            y0_batched=True,
            over=lambda p: (p.V, p.key),
            save=Save(observables={}),
            stop=Stop(bound=1e8),
        )
        jax.block_until_ready(traj.final_params["w"])
        assert int(traj.steps.min()) == n_steps

    run(steps)  # compile
    start = time.perf_counter()
    run(steps)
    return time.perf_counter() - start


def chain_runs(d: int, steps: int, seeds: int) -> float:
    """Seconds for ``steps`` steps of ``seeds`` chains at n_b = d (compiled beforehand)."""
    import jax

    from gflab.experiments.online_sgd.runs import Setup, run_chain_sgd

    s = Setup(T=np.eye(2), b=np.ones(2), Q0=0.25 * np.eye(2), R0=np.full((2, 2), 0.05), a0=np.ones(2), eta=0.5, batch_size=d)
    ts = np.array([0.0, steps / d])
    run_chain_sgd(s, d, seeds, ts, 0)  # compile
    start = time.perf_counter()
    entries, verdicts = run_chain_sgd(s, d, seeds, ts, 1)
    jax.block_until_ready(entries)
    assert np.all(verdicts == "undecided") and np.all(np.isfinite(entries))
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--d", type=int, default=4096)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--numpy-steps", type=int, default=8)
    p.add_argument("--seeds", type=int, default=4)
    args = p.parse_args()
    import jax

    t_numpy = numpy_loop(args.d, args.numpy_steps, 0) / args.numpy_steps
    t_chain = chain_runs(args.d, args.steps, args.seeds) / (args.steps * args.seeds)
    t_network = gflab_runs(args.d, args.numpy_steps, args.seeds) / (args.numpy_steps * args.seeds)
    print(f"device: {jax.devices()[0].platform}; d = n_b = {args.d}, {args.seeds} runs")
    print(f"numpy loop        {1e3 * t_numpy:9.3f} ms per step and run ({args.numpy_steps} steps)")
    print(f"gflab chain       {1e3 * t_chain:9.3f} ms per step and run ({args.steps} steps)")
    print(f"gflab network     {1e3 * t_network:9.3f} ms per step and run ({args.numpy_steps} steps)")
    print(f"ratio numpy / chain: {t_numpy / t_chain:.0f}x (target >= 10x)")
    print(f"ratio numpy / network (d-dimensional simulation): {t_numpy / t_network:.2f}x")


if __name__ == "__main__":
    main()
