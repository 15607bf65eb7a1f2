"""Benchmark: the exact overlap chain of spherical online SGD against the d-dimensional SGD.

Problem: he3 student and teacher, correlation loss, spherical SGD, batch n_b, dimension d.
  chain   :class:`gflab.problems.single_index_sgd.ReducedSphericalSGD` (O(n_b) work per step,
          the same law as the SGD: tests/experiments/online_sgd/test_single_index.py),
  full    the d-dimensional step with OnlineCommittee's loss (O(n_b d) work per step),
both vmapped over ``--seeds`` runs, jitted, compiled before the clock starts. Prints the time
per step and run of each and the ratio full / chain.

Usage: python bench/online_sgd_chain.py [--d 1024] [--batch 1024] [--steps 200] [--seeds 16]
"""

from __future__ import annotations

import argparse
import math
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--d", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=16)
    args = parser.parse_args()

    from gflab._jax import jax_module

    jax_module()
    import jax
    import jax.numpy as jnp

    from gflab.problems.committee import OnlineCommittee
    from gflab.problems.single_index_sgd import ReducedSphericalSGD, initial_state

    d, nb, steps, seeds = args.d, args.batch, args.steps, args.seeds
    gamma = 0.5 * nb / (3 * d**1.5)
    keys = jax.vmap(jax.random.key_data)(jax.random.split(jax.random.key(0), seeds))
    chain = ReducedSphericalSGD(
        key=keys[0], d=float(d), gamma=gamma, batch_size=nb, autocorrelation=0.0, chunk=min(nb, 256), max_batch=nb
    )

    @jax.jit
    def run_chain(keys: jax.Array) -> jax.Array:
        def body(state: dict, k: jax.Array) -> tuple[dict, None]:
            return jax.vmap(chain.transition)(k, state), None

        split = jax.vmap(lambda k: jax.random.split(k, steps))(keys).transpose(1, 0, 2)
        return jax.lax.scan(body, initial_state(jnp.full(seeds, 1 / math.sqrt(d))), split)[0]["m"]

    v = jnp.eye(d)[:1]
    net = OnlineCommittee(V=v, b=jnp.ones(1), key=keys[0], student="he3", teacher="he3", objective="correlation", spherical=True)
    w0 = jnp.zeros((1, d)).at[0, 0].set(1 / math.sqrt(d)).at[0, 1].set(math.sqrt(1 - 1 / d))

    @jax.jit
    def run_full(keys: jax.Array) -> jax.Array:
        def one(key: jax.Array) -> jax.Array:
            def body(w: jax.Array, k: jax.Array) -> tuple[jax.Array, None]:
                x = jax.random.normal(k, (nb, d))
                g = jax.grad(net.batch_loss)({"w": w, "a": jnp.ones(1)}, (x, jnp.zeros(nb)))["w"]
                return net.retract({"w": w - gamma * g, "a": jnp.ones(1)})["w"], None

            return jax.lax.scan(body, w0, jax.random.split(key, steps))[0][0, 0]

        return jax.vmap(one)(keys)

    timings = {}
    for name, fn in (("chain", run_chain), ("full", run_full)):
        fn(keys).block_until_ready()
        start = time.perf_counter()
        fn(keys).block_until_ready()
        timings[name] = (time.perf_counter() - start) / (steps * seeds)
    print(f"d = {d}, n_b = {nb}, {seeds} runs x {steps} steps (he3, correlation loss, spherical SGD)")
    for name, t in timings.items():
        print(f"  {name:6s} {t * 1e6:10.2f} us per step and run")
    print(f"  ratio full / chain: {timings['full'] / timings['chain']:.1f}x")


if __name__ == "__main__":
    main()
