"""Gradient flow (or GD) of a zoo curve model to many targets: the dynamics and stop rules of
a :class:`~gflab.experiments.learnability.specs.CurveFlowSpec`, the ensemble run, and the
model's image for pictures; shared by the experiments of Yarotsky (2024)."""

from __future__ import annotations

import numpy as np

from gflab._jax import jax_module
from gflab.dynamics import GradientDescent, GradientFlow
from gflab.experiments.learnability.specs import CurveFlowSpec
from gflab.problems.curves import AbstractCurveModel, CurveFit, make_model
from gflab.simulation import Save, Stop, Trajectory, simulate
from gflab.theory.learnability import FREE_W_MODELS

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def flow_dynamics(spec: CurveFlowSpec) -> GradientFlow | GradientDescent:
    """Gradient flow at the spec's rtol/atol, or GD with step eta, to t1."""
    if spec.dynamics == "gd":
        return GradientDescent(eta=spec.eta, t1=spec.t1)
    return GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=spec.t1)


def flow_stop(spec: CurveFlowSpec) -> Stop:
    """Learned below tol, trapped below gtol, diverged beyond bound."""
    return Stop(tol=spec.tol, gtol=spec.gtol, bound=spec.bound)


def build_model(spec: CurveFlowSpec, name: str) -> AbstractCurveModel:
    """The zoo model ``name``; the spec's W applies to the models whose W is free."""
    W = spec.W if name in FREE_W_MODELS else None
    return make_model(name, d=spec.d, W=W, seed=spec.seed, terms=spec.terms, degree=spec.degree)


def fit_targets(
    model: AbstractCurveModel,
    targets: np.ndarray,
    spec: CurveFlowSpec,
    *,
    save: Save = Save(),
    progress: bool = False,
    label: str = "targets",
) -> Trajectory:
    """Gradient flow (or GD) for each row of ``targets`` from w0, through :func:`simulate`."""
    problem = CurveFit(model=model, target=jnp.asarray(targets))
    return simulate(
        problem,
        flow_dynamics(spec),
        jnp.full((model.W,), spec.w0),
        over=lambda p: p.target,
        save=save,
        stop=flow_stop(spec),
        progress=progress,
        description=label,
    )


def curve_points(model: AbstractCurveModel, w_range: tuple[float, float], num: int = 4000) -> np.ndarray:
    """Points of the image of Phi: a curve for W = 1, a scatter of a parameter grid otherwise."""
    lo, hi = w_range
    if model.W == 1:
        ws = np.linspace(lo, hi, num)[:, None]
    else:
        side = int(np.sqrt(num))
        axes = [np.linspace(lo, hi, side)] * 2 + [np.zeros(1)] * (model.W - 2)
        ws = np.stack(np.meshgrid(*axes), -1).reshape(-1, model.W)
    return np.asarray(jax.vmap(model)(jnp.asarray(ws)))


def w_range(final_params: np.ndarray, w0: float) -> tuple[float, float]:
    """Parameters drawn: what the trajectories visited, and at least |w - w0| <= 15 for curves
    (|w - w0| <= 3 for surfaces) so that a dense curve like the sin-curve shows as dense."""
    finite = final_params[np.isfinite(final_params)]
    span = float(np.max(np.abs(finite - w0))) if finite.size else 1.0
    floor = 15.0 if final_params.ndim == 1 or final_params.shape[-1] == 1 else 3.0
    half = max(1.2 * span + 0.5, floor)
    return (w0 - half, w0 + half)
