"""Gradient flow (or GD) of a zoo curve model to many targets: the spec, the vmapped run, and
the model's image for pictures; shared by the seed-000 experiments."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.experiments.base import Spec
from gflab.problems.curves import FREE_W_MODELS, AbstractCurveModel, CurveFit, make_model
from gflab.simulation import Save, Stop, Trajectory, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class CurveFlowSpec(Spec):
    """Parameters shared by the curve-model experiments."""

    d: int = Field(2, ge=1, le=64, description="target dimension")
    W: int | None = Field(None, ge=1, le=16, description="parameters of trig/poly (default min(2, d-1))")
    terms: int = Field(3, ge=1, le=64, description="sines per output of the trig model")
    degree: int = Field(3, ge=1, le=6, description="total degree of the poly model")
    w0: float = Field(0.0, description="every parameter starts at w0")
    dynamics: Literal["flow", "gd", "adiabatic"] = Field(
        "flow", description="adiabatic: the lambda -> infinity limit of a two-timescale model (model=hierarchical, its default)"
    )
    eta: float = Field(0.1, gt=0, description="GD step (dynamics=gd)")
    t1: float = Field(1e4, gt=0, description="final time")
    tol: float = Field(1e-6, gt=0, description="learned: loss below tol")
    gtol: float = Field(1e-5, gt=0, description="trapped: |grad| below gtol with loss above tol")
    rtol: float = Field(1e-6, gt=0, lt=1)
    atol: float = Field(1e-8, gt=0)
    bound: float = Field(1e6, gt=0, description="diverged: |w|, loss or |grad| beyond bound")
    seed: int = Field(0, ge=0, description="model coefficients and targets")

    @model_validator(mode="after")
    def _dynamics_fit_the_model(self) -> CurveFlowSpec:
        two_timescale = getattr(self, "model", None) == "hierarchical"
        if two_timescale != (self.dynamics == "adiabatic"):
            why = (
                "the hierarchical model runs in its adiabatic limit (its finite-lambda flow is stiff: level n holds ~(2m)^-n of sigma)"
                if two_timescale
                else "a zoo model has no fast variable to take the adiabatic limit of"
            )
            raise BadInput("dynamics", f"{why}; accepted: {'adiabatic' if two_timescale else 'flow, gd'}")
        return self

    def dynamics_object(self) -> Any:
        from gflab.dynamics import GradientDescent, GradientFlow

        if self.dynamics == "gd":
            return GradientDescent(eta=self.eta, t1=self.t1)
        return GradientFlow(rtol=self.rtol, atol=self.atol, t1=self.t1)

    def stop(self) -> Stop:
        return Stop(tol=self.tol, gtol=self.gtol, bound=self.bound)


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
        spec.dynamics_object(),
        jnp.full((model.W,), spec.w0),
        over=lambda p: p.target,
        save=save,
        stop=spec.stop(),
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
