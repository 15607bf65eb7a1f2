"""Benchmark: the overlap ODE against the finite-d simulation averaged to the same precision.

Problem: erf committee machine, K = M = 2, eta = 0.5, t in [0, --t1] (the ``overlap-ode``
defaults). The d -> infinity curve of the order parameters comes from the ODE (Tsit5, rtol 1e-8,
atol 1e-10: errors ~1e-8). To know the mean curve from simulations at d = 4096 to a standard
error ``--precision``, one needs n = (s / precision)^2 runs, s the largest spread of an order
parameter across runs (measured here from ``--seeds`` runs; the d = 4096 curve also differs from
the limit by its O(1/d) bias, which is not counted). Prints the ODE's time (compiled; and with
compilation), the simulation's time per run (compiled), the runs needed, and the ratio
simulation / ODE at equal precision.

Usage: python bench/online_sgd_ode.py [--d 4096] [--t1 2] [--seeds 4] [--precision 1e-3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--d", type=int, default=4096)
    p.add_argument("--t1", type=float, default=2.0)
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--precision", type=float, default=1e-3)
    args = p.parse_args()

    from gflab.experiments.online_sgd.overlap_ode import setup_of
    from gflab.experiments.online_sgd.runs import run_ode, run_sgd
    from gflab.experiments.online_sgd.specs import OverlapODESpec

    s = setup_of(OverlapODESpec())
    ts = np.linspace(0.0, args.t1, 5)
    start = time.perf_counter()
    run_ode(s, ts, 1e-8, 1e-10)
    t_ode_cold = time.perf_counter() - start
    start = time.perf_counter()
    ode, _ = run_ode(s, ts, 1e-8, 1e-10)
    t_ode = time.perf_counter() - start

    run_sgd(s, args.d, args.seeds, ts, seed=1)  # compile
    start = time.perf_counter()
    runs, _ = run_sgd(s, args.d, args.seeds, ts, seed=0)
    t_run = (time.perf_counter() - start) / args.seeds
    spread = float(np.max(runs[:, 1:].std(axis=0, ddof=1)))
    needed = int(np.ceil((spread / args.precision) ** 2))
    print(f"ODE: {1e3 * t_ode:.1f} ms compiled ({t_ode_cold:.1f} s with compilation); final overlaps {np.round(ode[-1], 4)}")
    print(f"simulation at d = {args.d}: {t_run:.2f} s per run to t = {args.t1} (compiled); spread across runs {spread:.2e}")
    print(f"runs for a standard error of {args.precision:g}: {needed} -> {needed * t_run:.1f} s")
    print(
        f"ratio simulation / ODE at equal precision: {needed * t_run / t_ode:.0f}x compiled, {needed * t_run / t_ode_cold:.0f}x with compilation"
    )


if __name__ == "__main__":
    main()
