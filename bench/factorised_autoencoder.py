"""Benchmark: the tied-autoencoder gradient flow at d = 2000, m = 500 against a plain numpy Euler loop at equal accuracy.

gflab: :func:`gflab.simulate` with the adaptive :class:`~gflab.dynamics.GradientFlow` (Tsit5) on
:class:`~gflab.problems.autoencoder.TiedAutoencoder` (isotropic population), from W_0 iid
N(0, s^2 / d) to t1. Accuracy: the largest entry-wise error of W(t1) against the Riccati closed
form (:func:`gflab.theory.autoencoder.riccati_weights`), relative to the largest entry.
Baseline: explicit Euler W <- W + h 2 W (I - W^T W) in numpy (the same two m^2 d products per
step). Euler is first order: its error is measured at two step sizes, the step that reaches
gflab's error is read off the fitted constant (error = C h), and its time is the measured time per
step times the steps it needs (running 10^4+ steps of 2 GFLOP is what the ratio is about).

Target: ratio >= 20 (issue: factorised models).
"""

from __future__ import annotations

import argparse
import time

import jax.numpy as jnp
import numpy as np

from gflab.dynamics import GradientFlow
from gflab.problems.autoencoder import TiedAutoencoder, initial_weights
from gflab.simulation import Save, simulate
from gflab.theory.autoencoder import riccati_weights


def relative_error(w: np.ndarray, exact: np.ndarray) -> float:
    return float(np.abs(w - exact).max() / np.abs(exact).max())


def euler(w0: np.ndarray, t1: float, steps: int) -> tuple[np.ndarray, float]:
    """W(t1) by ``steps`` Euler steps, and the wall time."""
    h = t1 / steps
    w = w0.copy()
    start = time.perf_counter()
    for _ in range(steps):
        w = w + (2.0 * h) * (w - (w @ w.T) @ w)
    return w, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=2000)
    parser.add_argument("--m", type=int, default=500)
    parser.add_argument("--s", type=float, default=1.0)
    parser.add_argument("--t1", type=float, default=1.0)
    parser.add_argument("--rtol", type=float, default=1e-6)
    args = parser.parse_args()
    w0 = initial_weights(args.m, args.d, args.s, 1, seed=0)[0]
    exact = riccati_weights(w0, args.t1)
    problem = TiedAutoencoder(covariance=jnp.asarray(1.0))
    flow = GradientFlow(rtol=args.rtol, atol=args.rtol * 1e-2, t1=args.t1)

    def run() -> np.ndarray:
        traj = simulate(problem, flow, jnp.asarray(w0), save=Save(ts=[args.t1]))
        return np.asarray(traj.final_params)

    start = time.perf_counter()
    run()  # compiles
    first = time.perf_counter() - start
    start = time.perf_counter()
    w_flow = run()
    gflab_s = time.perf_counter() - start
    target = relative_error(w_flow, exact)

    errors, seconds = [], []
    step_counts = (25, 50)
    for steps in step_counts:
        w, s = euler(w0, args.t1, steps)
        errors.append(relative_error(w, exact))
        seconds.append(s / steps)
    constant = errors[-1] * step_counts[-1] / args.t1  # error = C h (first order; checked by the two sizes)
    order = np.log(errors[0] / errors[1]) / np.log(2.0)
    needed = int(np.ceil(constant * args.t1 / target))
    euler_s = needed * float(np.median(seconds))
    print(f"autoencoder flow d = {args.d}, m = {args.m}, s = {args.s:g}, t1 = {args.t1:g}")
    print(
        f"gflab GradientFlow (tsit5, rtol {args.rtol:g}): {gflab_s:.2f} s compiled ({first:.2f} s with compilation), error {target:.2e}"
    )
    print(
        f"numpy Euler: errors {errors[0]:.2e} / {errors[1]:.2e} at {step_counts} steps (observed order {order:.2f}), {np.median(seconds) * 1e3:.1f} ms per step"
    )
    print(f"numpy Euler at error {target:.2e}: {needed} steps, {euler_s:.1f} s (time per step x steps)")
    print(f"ratio {euler_s / gflab_s:.1f}x (compiled; {euler_s / first:.1f}x with compilation)  (target >= 20x)")


if __name__ == "__main__":
    main()
