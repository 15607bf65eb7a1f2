"""The sin-curve: dense in the square, yet gradient flow learns almost nothing.

Phi(w) = (sin w, sin(sqrt 2 w)) fills [-1, 1]^2 densely (Yarotsky 2024, Figure 4), but
gradient flow from w0 = 0 stops at a spurious local minimum for almost every target.
This script runs an ensemble of targets through :func:`gflab.simulate`, prints the
verdict fractions with their 95% intervals, and draws the verdict of every target.
"""

from __future__ import annotations

import sys

import numpy as np


def main(n_targets: int = 4000, out: str = "sin_curve.png") -> dict[str, dict[str, float]]:
    import jax.numpy as jnp

    from gflab import GradientFlow, Stop, simulate
    from gflab.measure import verdict_fractions
    from gflab.plots import VERDICT_COLORS, figure, verdict_legend
    from gflab.problems import CurveFit, make_model

    model = make_model("sin-curve", d=2)
    targets = np.random.default_rng(0).uniform(-1, 1, size=(n_targets, 2))
    problem = CurveFit(model=model, target=jnp.asarray(targets))
    traj = simulate(
        problem,
        GradientFlow(rtol=1e-6, atol=1e-8, t1=1e4),
        jnp.zeros(1),  # w0 = 0
        over=lambda p: p.target,  # one trajectory per target
        stop=Stop(tol=1e-6, gtol=1e-5),
    )
    fractions = verdict_fractions(traj.verdict)
    for name, f in fractions.items():
        print(f"{name:>9}: {f['fraction']:.4f}  [{f['low']:.4f}, {f['high']:.4f}]")

    fig, ax = figure(width=5.5, height=5.0)
    w = np.linspace(-12, 12, 6000)
    ax.plot(np.sin(w), np.sin(np.sqrt(2) * w), color="0.8", lw=0.4)
    ax.scatter(targets[:, 0], targets[:, 1], s=3, c=np.asarray(VERDICT_COLORS)[traj.verdict])
    verdict_legend(ax, np.unique(traj.verdict))
    ax.set(aspect="equal", xlabel="f1", ylabel="f2", title="sin-curve: verdict of each target")
    fig.savefig(out, dpi=110)
    print(f"figure: {out}")
    return fractions


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
