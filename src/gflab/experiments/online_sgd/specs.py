"""Specs of the online_sgd family (JAX-free: read by `gflab describe` and the registry tests).

Conventions (:mod:`gflab.theory.overlaps`): unit-scale weights u = w / sqrt(d), SGD step eta / d
on u, time t = steps / d; ``K`` student and ``M`` teacher hidden units; ``d`` input dimension.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from gflab.errors import BadInput
from gflab.experiments.base import Spec
from gflab.hermite import ACTIVATION_NAMES
from gflab.theory.overlaps import ERF_SCALES

NAMES = (*ACTIVATION_NAMES, "erf-ss")  # erf-ss: Saad & Solla's erf(z / sqrt 2)
Method = Literal["closed", "quadrature"]


class OverlapODESpec(Spec):
    """ODE against finite-d one-pass SGD for a committee machine learning a two-layer teacher."""

    sigma: str = Field("erf", description=f"student activation g ({', '.join(NAMES)})")
    sigma_star: str = Field("erf", description="teacher activation g* (same names)")
    integrals: Method = Field("closed", description="Gaussian integrals: closed (erf and erf-ss only) or quadrature (any)")
    K: int = Field(2, ge=1, le=8, description="student hidden units")
    M: int = Field(2, ge=1, le=8, description="teacher hidden units (the index vectors of the teacher)")
    ds: list[int] = Field([250, 1000, 4000], min_length=2, description="input dimensions d of the simulations")
    eta: float = Field(0.5, gt=0, le=100, description="first-layer learning rate (step eta/d on u = w/sqrt(d))")
    eta_a: float = Field(0.0, ge=0, le=100, description="second-layer learning rate (0: a fixed at a0)")
    batch_size: int = Field(1, ge=1, le=65536, description="fresh samples per SGD step n_b")
    noise: float = Field(0.0, ge=0, le=10, description="label noise standard deviation sigma")
    weight_decay: float = Field(0.0, ge=0, le=100, description="weight decay kappa on the first layer (ODE rate eta kappa)")
    q0: float = Field(0.25, gt=0, le=10, description="initial student norms Q_kk (Q_kl = 0 for k != l)")
    r0: float = Field(0.1, ge=-1, le=1, description="initial R_kk (teacher n = k); R_kn = r0 / 2 off the diagonal")
    a0: float = Field(1.0, ge=-10, le=10, description="initial second-layer weights a_k (teacher b_n = 1)")
    t1: float = Field(8.0, gt=0, le=1000, description="final time t = steps / d")
    save_points: int = Field(9, ge=2, le=200, description="evenly spaced recorded times in [0, t1]")
    seeds: int = Field(16, ge=3, le=4096, description="independent SGD runs per d (fresh batch streams, random frames)")
    rtol: float = Field(1e-8, gt=0, lt=1, description="relative tolerance of the ODE's adaptive solver (Tsit5)")
    atol: float = Field(1e-10, gt=0, description="absolute tolerance of the ODE's adaptive solver")
    seed: int = Field(0, ge=0, description="random seed of the frames and the batch streams")

    @field_validator("sigma", "sigma_star")
    @classmethod
    def _known(cls, name: str, info: ValidationInfo) -> str:
        if name not in NAMES:
            raise BadInput(info.field_name or "sigma", f"unknown activation {name!r}; accepted: {', '.join(NAMES)}")
        return name

    @field_validator("ds")
    @classmethod
    def _dimensions(cls, ds: list[int]) -> list[int]:
        if min(ds) < 8 or max(ds) > 65536 or sorted(set(ds)) != ds:
            raise BadInput("ds", f"must increase strictly, each in 8 .. 65536 (got {ds})")
        return ds

    @model_validator(mode="after")
    def _check(self) -> OverlapODESpec:
        if self.integrals == "closed" and not (self.sigma in ERF_SCALES and self.sigma_star in ERF_SCALES):
            raise BadInput(
                "integrals", f"closed forms exist for erf and erf-ss only (got {self.sigma}, {self.sigma_star}); use quadrature"
            )
        if self.K + self.M > 12:
            raise BadInput("K", f"K + M must be at most 12 (got {self.K + self.M})")
        return self


class WeightDecaySpec(OverlapODESpec):
    """The same comparison with weight decay, at one (large) dimension."""

    ds: list[int] = Field([1000, 4000], min_length=2, description="input dimensions d of the simulations")
    weight_decay: float = Field(0.5, ge=0, le=100, description="weight decay kappa on the first layer (ODE rate eta kappa)")
    eta: float = Field(0.5, gt=0, le=100, description="first-layer learning rate (step eta/d on u = w/sqrt(d))")


class PlateauSpec(Spec):
    """The symmetric plateau of the soft committee machine (erf(z / sqrt 2), K = M, T = I, a = b = 1)."""

    Ks: list[int] = Field([2, 3, 4], min_length=1, description="sizes K = M of the student and the teacher")
    deltas: list[float] = Field(
        [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8], min_length=3, description="initial asymmetries along the unstable direction"
    )
    etas: list[float] = Field(
        [0.1, 0.5], min_length=1, description="learning rates of the finite-eta plateaus (eta^2 terms kept)"
    )
    escape: float = Field(0.5, gt=0, lt=1, description="the plateau ends when eps_g falls below this fraction of its value")
    t1: float = Field(4000.0, gt=0, le=1e6, description="final time (units of eta t) of the escape runs")
    rtol: float = Field(1e-10, gt=0, lt=1, description="relative tolerance of the adaptive solver (Tsit5)")
    atol: float = Field(1e-12, gt=0, description="absolute tolerance of the adaptive solver")
    seed: int = Field(0, ge=0, description="random seed of the generic (iid-like) start")

    @field_validator("Ks")
    @classmethod
    def _sizes(cls, ks: list[int]) -> list[int]:
        if min(ks) < 2 or max(ks) > 8:
            raise BadInput("Ks", f"each K must lie in 2 .. 8 (got {ks})")
        return ks

    @field_validator("deltas")
    @classmethod
    def _deltas(cls, deltas: list[float]) -> list[float]:
        if min(deltas) <= 0 or max(deltas) > 0.1:
            raise BadInput("deltas", f"each must lie in (0, 0.1] (got {deltas})")
        return deltas

    @field_validator("etas")
    @classmethod
    def _etas(cls, etas: list[float]) -> list[float]:
        if min(etas) <= 0 or max(etas) > 100:
            raise BadInput("etas", f"each must lie in (0, 100] (got {etas})")
        return etas
