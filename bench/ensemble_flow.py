"""Benchmark: ensemble gradient flow, gflab against two scipy baselines, side by side.

Problem: the zoo's random trig model (W = 2, d = 3, coefficients from seed 0), N targets uniform in [-1, 1]^3,
w0 = 0, rtol 1e-6, atol 1e-8, t1 (default 100), stop rules tol = 1e-6 (learned) and
gtol = 1e-5 (trapped). Baselines at the same tolerances:
  naive   one scipy solve_ivp (RK45) per target with terminal events for the stop rules,
          timed on a subset (its rate is per trajectory);
  stacked one solve_ivp over the stacked state of all N targets, vectorised numpy RHS,
          integrated to t1 (a shared step size; no per-target stop).
gflab's rate includes compile time (a fresh process). Prints trajectories per second,
the ratios, and the fraction of targets with the same verdict.

Usage: python bench/ensemble_flow.py [--n 10000] [--naive 300] [--t1 100] [--devices K]
       [--no-refill]   (lever check: a slot set is refilled only once all its members finished)
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--naive", type=int, default=300, help="targets timed for the naive loop")
    p.add_argument("--t1", type=float, default=100.0)
    p.add_argument("--devices", type=int, default=0, help="XLA host devices (0: one per core)")
    p.add_argument("--slots", type=int, default=512)
    p.add_argument("--round-steps", type=int, default=32)
    p.add_argument("--no-refill", action="store_true")
    p.add_argument("--skip-baselines", action="store_true")
    return p.parse_args()


TOL, GTOL, RTOL, ATOL = 1e-6, 1e-5, 1e-6, 1e-8


def verdicts_from(loss: np.ndarray, gnorm: np.ndarray) -> np.ndarray:
    """gflab's verdict rules (:func:`gflab.measure.verdicts.classify`) on a scipy end state."""
    from gflab.results import Verdict

    v = np.full(loss.shape, Verdict.UNDECIDED)
    v[gnorm < GTOL] = Verdict.TRAPPED
    v[loss < TOL] = Verdict.LEARNED
    return v


def main() -> None:
    args = parse()
    if args.devices:
        os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={args.devices}"
    from gflab.problems.curves import make_model

    model = make_model("trig", d=3, W=2, seed=0)
    a, b, c = (np.asarray(x) for x in (model.a, model.b, model.c))
    targets = np.random.default_rng(1).uniform(-1, 1, (args.n, 3))
    w0 = np.zeros(2)

    def phi_jac(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # w: (n, 2)
        arg = np.einsum("dkw,nw->ndk", b, w) + c
        return np.sum(a * np.sin(arg), -1), np.einsum("ndk,dkw->ndw", a * np.cos(arg), b)

    # gflab (fresh process: compile time included; imports timed apart)
    start = time.perf_counter()
    import jax.numpy as jnp

    from gflab import GradientFlow, Stop, simulate
    from gflab.problems import CurveFit

    import_s = time.perf_counter() - start
    start = time.perf_counter()

    def run_gflab() -> object:
        return simulate(
            CurveFit(model, jnp.asarray(targets)),
            GradientFlow(rtol=RTOL, atol=ATOL, t1=args.t1),
            jnp.asarray(w0),
            over=lambda p: p.target,
            stop=Stop(tol=TOL, gtol=GTOL),
            slots=args.slots,
            round_steps=10**9 if args.no_refill else args.round_steps,  # 10^9: a slot set runs until all its members stop
        )

    traj = run_gflab()
    gflab_s = time.perf_counter() - start
    import jax

    gflab_rate = args.n / gflab_s
    cache = "persistent cache " + ("on" if jax.config.jax_compilation_cache_dir else "off")
    print(
        f"gflab    {gflab_rate:10.0f} traj/s  ({args.n} targets, {gflab_s:.2f} s incl. compile [{cache}]; imports {import_s:.2f} s apart; "
        f"{len(jax.local_devices())} devices, refill={'off' if args.no_refill else 'on'})"
    )
    start = time.perf_counter()
    run_gflab()
    warm = time.perf_counter() - start
    print(f"gflab    {args.n / warm:10.0f} traj/s  (second call, compiled: {warm:.2f} s)")
    if args.skip_baselines:
        return
    from scipy.integrate import solve_ivp

    # naive loop
    def stop_loss(t: float, w: np.ndarray, f: np.ndarray) -> float:
        r = phi_jac(w[None])[0][0] - f
        return 0.5 * r @ r - TOL

    def stop_grad(t: float, w: np.ndarray, f: np.ndarray) -> float:
        out, jac = phi_jac(w[None])
        return float(np.linalg.norm(jac[0].T @ (out[0] - f))) - GTOL

    stop_loss.terminal = stop_grad.terminal = True  # type: ignore[attr-defined]

    def rhs_one(t: float, w: np.ndarray, f: np.ndarray) -> np.ndarray:
        out, jac = phi_jac(w[None])
        return -jac[0].T @ (out[0] - f)

    m = min(args.naive, args.n)
    start = time.perf_counter()
    naive = [
        solve_ivp(rhs_one, (0, args.t1), w0, rtol=RTOL, atol=ATOL, events=(stop_loss, stop_grad), args=(f,)) for f in targets[:m]
    ]
    naive_s = time.perf_counter() - start
    naive_final = np.array([sol.y[:, -1] for sol in naive])
    # A terminal event stops exactly on its threshold: its verdict is the event's (-1: none fired).
    from gflab.results import Verdict

    fired = np.array(
        [Verdict.LEARNED if sol.t_events[0].size else Verdict.TRAPPED if sol.t_events[1].size else -1 for sol in naive]
    )
    naive_rate = m / naive_s
    print(f"naive    {naive_rate:10.0f} traj/s  ({m} targets, {naive_s:.1f} s)")

    # stacked
    def rhs_stacked(t: float, y: np.ndarray) -> np.ndarray:
        out, jac = phi_jac(y.reshape(-1, 2))
        return -np.einsum("ndw,nd->nw", jac, out - targets).ravel()

    start = time.perf_counter()
    stacked_final = solve_ivp(rhs_stacked, (0, args.t1), np.tile(w0, args.n), rtol=RTOL, atol=ATOL).y[:, -1].reshape(-1, 2)
    stacked_s = time.perf_counter() - start
    stacked_rate = args.n / stacked_s
    print(f"stacked  {stacked_rate:10.0f} traj/s  ({args.n} targets, {stacked_s:.1f} s)")

    def verdicts(final: np.ndarray, f: np.ndarray) -> np.ndarray:
        out, jac = phi_jac(final)
        r = out - f
        return verdicts_from(0.5 * np.sum(r**2, 1), np.linalg.norm(np.einsum("ndw,nd->nw", jac, r), axis=1))

    naive_verdicts = np.where(fired >= 0, fired, verdicts(naive_final, targets[:m]))
    agree_naive = np.mean(naive_verdicts == traj.verdict[:m])
    agree_stacked = np.mean(verdicts(stacked_final, targets) == traj.verdict)
    print(f"ratio vs naive   {gflab_rate / naive_rate:8.1f}x   (target >= 100x)   same verdict {agree_naive:.4%}")
    print(f"ratio vs stacked {gflab_rate / stacked_rate:8.1f}x   (target >= 4x)     same verdict {agree_stacked:.4%}")
    counts = np.bincount(traj.verdict, minlength=len(Verdict))
    print("gflab verdicts: " + ", ".join(f"{v.label} {counts[v]}" for v in Verdict))


if __name__ == "__main__":
    sys.exit(main())
