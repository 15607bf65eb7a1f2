"""Experiment ``ntk-vs-meanfield``: lazy (kernel) training against mean-field training.

The kernel and mean-field regimes of two-layer networks (E, Ma, Wojtowytsch & Wu, "Towards a
mathematical theory of machine learning"; Jacot, Gabriel & Hongler 2018; Du et al. 2018). A
two-layer network on ``n_samples`` teacher samples (x ~ N(0, I_d)) is trained by gradient flow
(adaptive Tsit5, ``rtol``/``atol``) at every width m of ``widths``, ``seeds`` initialisations
each (one ensemble per width), under three scalings of :mod:`gflab.problems.networks`:

- ``conventional`` (the talk's: a(0) = 0, no prefactor), for the time T = horizon / (2 m
  lambda_n), beside its random-feature model (w frozen at w(0)) over the same time. The talk's
  kernel regime: the loss decays like exp(-2 m lambda_n t) (:mod:`gflab.theory.networks`),
  and da_j/dt = O(1), dw_j/dt = O(|a_j|) = O(1/(lambda_n m)) over the time O(1/(m lambda_n))
  give a relative first-layer movement O(m^-2). The sup distance (over test points) between
  the network and its random-feature model is bounded by the talk's theorem, O(m^-1/2).
- ``ntk`` (1/sqrt(m), a(0) ~ N(0, 1)), for T = horizon / (2 lambda_min(Theta)): relative
  movement O(m^-1/2) (Du et al. 2018), the loss rate 2 lambda_min(Theta).
- ``mean-field`` (1/m, particles), for T = ``mean_field_time`` m (the particles' natural
  clock): the weights move O(1) at every width.

Measured per run: |W(T) - W(0)| / |W(0)|, the decay rate of the loss (least squares of log L
over the second half of the save times), and the distance to the random-feature solution.
Power-law exponents against m come from :func:`gflab.measure.fits.fit_statistic` (median over
seeds, bootstrap interval).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gflab._jax import jax_module
from gflab.dynamics import GradientFlow
from gflab.experiments.base import Experiment, Result
from gflab.experiments.networks.specs import NTKvsMeanFieldSpec
from gflab.measure.fits import fit_statistic
from gflab.problems.networks import TwoLayerNet, dataset, init_params
from gflab.simulation import Save, Stop, simulate
from gflab.theory import networks as theory
from gflab.theory.networks import Scaling

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

SCALINGS: tuple[Scaling, ...] = ("conventional", "ntk", "mean-field")


class NTKvsMeanField(Experiment):
    name = "ntk-vs-meanfield"
    spec_class = NTKvsMeanFieldSpec

    def run(self, spec: NTKvsMeanFieldSpec, *, progress: bool = False) -> Result:
        x, y = dataset("teacher", spec.n_samples, spec.seed, d=spec.d)
        x_test = np.random.default_rng(spec.seed + 1).normal(size=(spec.test_points, spec.d))
        rows: list[dict[str, Any]] = []
        curves: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
        for scaling in SCALINGS:
            for m in spec.widths:
                ts, losses, record = self._train(spec, x, y, x_test, scaling, m, progress)
                curves[(scaling, m)] = (ts, np.median(losses, axis=0))
                rows += record
        table = pd.DataFrame(rows)
        metrics = _summarise(spec, table, x)
        figures = {"movement": _movement_figure(spec, table), "loss": _loss_figure(spec, curves, x)}
        return Result(metrics=metrics, table=table, figures=figures)

    @staticmethod
    def _train(
        spec: NTKvsMeanFieldSpec, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, scaling: Scaling, m: int, progress: bool
    ) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
        """Train ``seeds`` networks of width m; (save times, losses (seeds, T), one record per seed)."""
        keys = jax.random.split(jax.random.key(spec.seed), spec.seeds)
        params, frozen = jax.vmap(lambda k: init_params(k, spec.d, m, scaling))(keys)
        predicted_rate = np.nan if scaling == "mean-field" else theory.loss_decay_rate(x, spec.sigma, scaling, m)
        t1 = spec.mean_field_time * m if scaling == "mean-field" else spec.horizon / predicted_rate
        ts = np.linspace(0.0, t1, spec.save_points)
        flow = GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=t1)
        save = Save(ts=ts)
        problem = TwoLayerNet(x=jnp.asarray(x), y=jnp.asarray(y), frozen=frozen, sigma=spec.sigma, scaling=scaling)
        # tol = gtol = 0: run to t1 (the decay rate is read off the whole second half)
        traj = simulate(
            problem, flow, params, over=lambda p: p.frozen, y0_batched=True, save=save, stop=Stop(tol=0.0, gtol=0.0),
            progress=progress, description=f"{scaling}, m = {m}",
        )  # fmt: skip
        w0, w1 = np.asarray(params["w"]), np.asarray(traj.final_params["w"])
        movement = np.linalg.norm(w1 - w0, axis=(1, 2)) / np.linalg.norm(w0, axis=(1, 2))
        losses = traj.observations["loss"]
        half = len(ts) // 2
        rates = -np.polyfit(ts[half:], np.log(losses[:, half:]).T, 1)[0]
        distance = np.full(spec.seeds, np.nan)
        if scaling == "conventional":
            features = TwoLayerNet(x=problem.x, y=problem.y, frozen=frozen, sigma=spec.sigma, scaling="random-features")
            rf = simulate(
                features, flow, {"a": jnp.zeros((spec.seeds, m))}, over=lambda p: p.frozen, y0_batched=True,
                stop=Stop(tol=0.0, gtol=0.0),
            )  # fmt: skip
            test = jnp.asarray(x_test)
            f_net = jax.vmap(lambda p: problem.predict(p, test))(traj.final_params)
            f_rf = jax.vmap(lambda p, fr: _with_frozen(features, fr).predict(p, test))(rf.final_params, frozen)
            distance = np.max(np.abs(np.asarray(f_net) - np.asarray(f_rf)), axis=1)
        record = [
            {
                "scaling": scaling,
                "width": m,
                "seed": i,
                "t1": t1,
                "movement": float(movement[i]),
                "rate": float(rates[i]),
                "predicted_rate": predicted_rate,
                "final_loss": float(losses[i, -1]),
                "distance_to_random_features": float(distance[i]),
            }
            for i in range(spec.seeds)
        ]
        return ts, losses, record


def _with_frozen(problem: TwoLayerNet, frozen: jax.Array) -> TwoLayerNet:
    import equinox as eqx

    return eqx.tree_at(lambda p: p.frozen, problem, frozen)


def _summarise(spec: NTKvsMeanFieldSpec, table: pd.DataFrame, x: np.ndarray) -> dict[str, Any]:
    def exponent(scaling: str, column: str) -> dict[str, float]:
        part = table[table.scaling == scaling]
        fit = fit_statistic(spec.widths, [part[part.width == m][column].to_numpy() for m in spec.widths])
        return {"slope": fit.slope, "low": fit.low, "high": fit.high}

    widest = table[table.width == max(spec.widths)]
    rate_ratio = {
        s: float(np.median(widest[widest.scaling == s].rate / widest[widest.scaling == s].predicted_rate))
        for s in ("conventional", "ntk")
    }
    return {
        "lambda_n": float(np.linalg.eigvalsh(theory.gram(x, spec.sigma))[0]),
        "lambda_min_ntk": float(np.linalg.eigvalsh(theory.ntk_gram(x, spec.sigma))[0]),
        "movement_exponent": {s: exponent(s, "movement") for s in SCALINGS},
        "distance_exponent": exponent("conventional", "distance_to_random_features"),
        "rate_ratio_widest": rate_ratio,
        "rate_error_widest": {s: abs(r - 1.0) for s, r in rate_ratio.items()},
        "movement_median": {
            s: {str(m): float(table[(table.scaling == s) & (table.width == m)].movement.median()) for m in spec.widths}
            for s in SCALINGS
        },
    }


def _movement_figure(spec: NTKvsMeanFieldSpec, table: pd.DataFrame) -> Any:
    from gflab.plots import figure

    fig, (ax, ax2) = figure(2, width=5.0, height=4.0)
    widths = np.asarray(spec.widths, float)
    for i, (scaling, law) in enumerate((("conventional", -2.0), ("ntk", -0.5), ("mean-field", 0.0))):
        part = table[table.scaling == scaling]
        ax.loglog(part.width, part.movement, "o", color=f"C{i}", alpha=0.6, label=scaling)
        median = part.groupby("width").movement.median()
        ax.loglog(widths, median.iloc[0] * (widths / widths[0]) ** law, "--", color=f"C{i}", lw=0.8, label=f"m^{law:g}")
    ax.set(xlabel="width m", ylabel="|W(T) - W(0)| / |W(0)|", title="relative first-layer movement")
    ax.legend(fontsize=7)
    part = table[table.scaling == "conventional"]
    ax2.loglog(part.width, part.distance_to_random_features, "o", label="sup |f_net - f_RF| (test points)")
    median = part.groupby("width").distance_to_random_features.median()
    ax2.loglog(widths, median.iloc[0] * (widths / widths[0]) ** -0.5, "k--", lw=0.8, label="bound's rate m^-1/2")
    ax2.set(xlabel="width m", ylabel="distance", title="conventional network vs its random-feature model")
    ax2.legend(fontsize=7)
    return fig


def _loss_figure(spec: NTKvsMeanFieldSpec, curves: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> Any:
    from gflab.plots import figure

    fig, axes = figure(3, width=4.0, height=3.6)
    for ax, scaling in zip(axes, SCALINGS, strict=True):
        for j, m in enumerate(spec.widths):
            ts, loss = curves[(scaling, m)]
            if scaling == "mean-field":
                ax.semilogy(ts / m, loss, color=f"C{j}", label=f"m = {m}")
                continue
            rate = theory.loss_decay_rate(x, spec.sigma, scaling, m)
            ax.semilogy(ts * rate, loss, color=f"C{j}", label=f"m = {m}")
            ax.semilogy(ts * rate, loss[0] * np.exp(-ts * rate), ":", color=f"C{j}", lw=0.8)
        xlabel = "t / m" if scaling == "mean-field" else "t x predicted rate (dotted: exp(-rate t))"
        ax.set(xlabel=xlabel, ylabel="loss", title=scaling)
        ax.legend(fontsize=7)
    return fig
