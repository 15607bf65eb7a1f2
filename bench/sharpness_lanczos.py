"""Benchmark: sharpness by Lanczos against the exact Hessian and against power iteration.

A two-layer tanh network on the digits (n = 400 samples, 64 inputs, width chosen so the
parameter count is about ``--params``; default 10^4), trained a little by GD so the Hessian is
not at initialisation. Lanczos (matfree, full reorthogonalisation) with 30 Hessian-vector
products; power iteration with the same products; the exact top eigenvalue from the dense
Hessian (jax.hessian + eigvalsh) when it fits (P <= 12000). Prints products used, relative
errors and times (target: Lanczos within 1% with at most 30 products).

Usage: python bench/sharpness_lanczos.py [--params 10000] [--matvecs 30]
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--params", type=int, default=10_000)
    p.add_argument("--matvecs", type=int, default=30)
    args = p.parse_args()

    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.flatten_util import ravel_pytree

    from gflab import GradientDescent, simulate
    from gflab.measure.hessian import hessian_vector_product, top_eigenvalues
    from gflab.problems.networks import TwoLayerNet, dataset, init_params

    x, y = dataset("digits", 400)
    width = max(1, round(args.params / 65))
    params, frozen = init_params(jax.random.key(0), 64, width, "conventional")
    net = TwoLayerNet(x=jnp.asarray(x), y=jnp.asarray(y), frozen=frozen)
    params = simulate(net, GradientDescent(eta=0.05, t1=0.05 * 200), params).final_params  # 200 steps, t = k eta
    loss = net.loss
    flat, unravel = ravel_pytree(params)
    print(f"two-layer tanh network, width {width}: {flat.size} parameters")

    start = time.perf_counter()
    top = top_eigenvalues(loss, params, k=1, num_matvecs=args.matvecs)
    t_lanczos = time.perf_counter() - start

    product = hessian_vector_product(loss, params)
    matvec = jax.jit(lambda v: ravel_pytree(product(unravel(v)))[0])
    start = time.perf_counter()
    v = jax.random.normal(jax.random.key(1), flat.shape)
    estimate = 0.0
    for _ in range(args.matvecs):
        w = matvec(v / jnp.linalg.norm(v))
        estimate = float(jnp.vdot(v / jnp.linalg.norm(v), w))
        v = w
    t_power = time.perf_counter() - start

    exact, t_dense = None, None
    if flat.size <= 12_000:
        start = time.perf_counter()
        dense = jax.jit(jax.hessian(lambda f: loss(unravel(f))))(flat)
        exact = float(np.linalg.eigvalsh(np.asarray(dense))[-1])
        t_dense = time.perf_counter() - start
    reference = exact if exact is not None else float(top.values[0])
    print(
        f"Lanczos   {top.matvecs:4d} products  lambda_max {top.values[0]:.8g} (residual bound {top.errors[0]:.1e})  "
        f"rel. error {abs(top.values[0] / reference - 1):.1e}  {t_lanczos:7.2f} s (incl. compile)"
    )
    print(
        f"power it. {args.matvecs:4d} products  lambda_max {estimate:.8g}  rel. error {abs(estimate / reference - 1):.1e}  {t_power:7.2f} s"
    )
    if exact is not None:
        print(
            f"dense     Hessian {flat.size}^2, eigvalsh  lambda_max {exact:.8g}  {t_dense:7.2f} s  -> Lanczos {t_dense / t_lanczos:.0f}x faster"
        )


if __name__ == "__main__":
    main()
