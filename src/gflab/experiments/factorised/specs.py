"""Specs of the factorised family (JAX-free: read by `gflab describe` and the registry tests).

Names shared across gflab (DESIGN.md): ``d`` the input dimension, ``seeds`` repetitions,
``seed`` the random seed; ``gamma`` = m / d the latent-to-input ratio of the autoencoder,
``s`` its initialisation scale (W_0 iid N(0, s^2 / d)).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from gflab.errors import BadInput
from gflab.experiments.base import Spec


class FlowTolerances(Spec):
    """The adaptive gradient flow's tolerances (Dormand-Prince 8(5,3) steps)."""

    rtol: float = Field(1e-12, gt=0, lt=1e-3, description="relative tolerance of the adaptive gradient flow")
    atol: float = Field(1e-14, gt=0, lt=1e-3, description="absolute tolerance of the adaptive gradient flow")


class AutoencoderSpec(FlowTolerances):
    d: int = Field(800, ge=8, le=4000, description="input dimension d of the Marchenko-Pastur runs")
    gamma: float = Field(0.05, gt=0, le=4, description="latent-to-input ratio m / d of the Marchenko-Pastur runs")
    s: float = Field(1.0, gt=0, le=10, description="initialisation scale of the Marchenko-Pastur runs")
    ts: list[float] = Field(
        [0.25, 0.5, 1.0, 2.0], min_length=1, max_length=50, description="times at which the loss is compared with the limit"
    )
    seeds: int = Field(4, ge=2, le=256, description="initialisations of the Marchenko-Pastur runs (standard errors over them)")
    check_d: int = Field(24, ge=2, le=400, description="input dimension of the closed-form checks")
    check_gammas: list[float] = Field(
        [0.25, 1.0, 2.0], min_length=1, max_length=10, description="m / d of the closed-form checks"
    )
    check_scales: list[float] = Field(
        [0.1, 1.0, 3.0], min_length=1, max_length=10, description="initialisation scales s of the closed-form checks"
    )
    check_t1: float = Field(2.0, gt=0, le=20, description="final time of the closed-form checks")
    half_d: int = Field(400, ge=8, le=4000, description="input dimension of the small-initialisation runs")
    half_scales: list[float] = Field(
        [1e-2, 1e-3, 1e-4], min_length=1, max_length=10, description="small initialisation scales s (each at most 0.1)"
    )
    half_dt: float = Field(
        0.05, gt=0, le=0.1, description="save step of the small-initialisation runs (cubic-spline interpolation)"
    )
    seed: int = Field(0, ge=0, description="random seed of the initialisations")

    @model_validator(mode="after")
    def _check(self) -> AutoencoderSpec:
        if len(self.check_gammas) != len(self.check_scales):
            raise BadInput("check_scales", f"needs one scale per entry of check_gammas ({len(self.check_gammas)})")
        if any(s <= 0 or s > 10 for s in self.check_scales):
            raise BadInput("check_scales", "each must lie in (0, 10]")
        if any(g <= 0 or g > 4 or round(g * self.check_d) < 1 for g in self.check_gammas):
            raise BadInput("check_gammas", f"each must lie in (0, 4] with m = gamma * check_d >= 1 (check_d = {self.check_d})")
        if any(s <= 0 or s > 0.1 for s in self.half_scales):
            raise BadInput("half_scales", "each must lie in (0, 0.1] (the small-initialisation limit)")
        if any(t <= 0 or t > 20 for t in self.ts) or sorted(set(self.ts)) != list(self.ts):
            raise BadInput("ts", "must increase strictly within (0, 20]")
        if round(self.gamma * self.d) < 1 or round(self.gamma * self.half_d) < 1:
            raise BadInput("gamma", "m = gamma * d must be at least 1")
        return self


class SpectralAlgorithmsSpec(Spec):
    nu: float = Field(1.5, gt=1, le=4, description="capacity exponent: kernel eigenvalues lambda_k = k^(-nu)")
    kappas: list[float] = Field(
        [1.0, 4.0], min_length=1, max_length=6, description="source exponents: lambda_k theta*_k^2 = k^(-kappa - 1)"
    )
    ns: list[int] = Field([125, 250, 500, 1000], min_length=2, max_length=12, description="sample sizes n (increasing)")
    modes_ratio: int = Field(4, ge=2, le=64, description="modes P = modes_ratio * n (features beyond the samples)")
    seeds: int = Field(2, ge=1, le=256, description="independent samples per n (errors averaged over them)")
    de_kappa: float = Field(1.0, gt=0, description="source exponent of the deterministic-equivalent check (one of kappas)")
    de_times: list[float] = Field(
        [10.0, 100.0, 1000.0, 10_000.0],
        min_length=1,
        max_length=20,
        description="gradient-flow times of the check at the largest n",
    )
    de_ridges: list[float] = Field(
        [0.1, 0.01, 1e-4, 0.0],
        min_length=1,
        max_length=20,
        description="KRR ridges of the check at the largest n (0: interpolation)",
    )
    grid: int = Field(
        46, ge=4, le=400, description="log-spaced times (1 .. 1e9) and ridges (1e-12 .. 1, and 0) for the best error"
    )
    seed: int = Field(0, ge=0, description="random seed of the samples")

    @model_validator(mode="after")
    def _check(self) -> SpectralAlgorithmsSpec:
        if sorted(set(self.ns)) != list(self.ns) or self.ns[0] < 8 or self.ns[-1] > 20_000:
            raise BadInput("ns", "must increase strictly within [8, 20000]")
        if self.ns[-1] * self.modes_ratio > 200_000:
            raise BadInput("modes_ratio", f"P = modes_ratio * n must stay below 200000 (got {self.ns[-1] * self.modes_ratio})")
        if any(k <= 0 or k > 8 for k in self.kappas):
            raise BadInput("kappas", "each must lie in (0, 8]")
        if self.de_kappa not in self.kappas:
            raise BadInput("de_kappa", f"must be one of kappas {self.kappas}")
        if any(t <= 0 or t > 1e9 for t in self.de_times):
            raise BadInput("de_times", "each must lie in (0, 1e9]")
        if any(r < 0 or r > 1e3 for r in self.de_ridges):
            raise BadInput("de_ridges", "each must lie in [0, 1000]")
        return self


class CPTensorSpec(Spec):
    p: int = Field(4, ge=2, le=12, description="tensor size p (p x p x p) of the lazy runs")
    hs: list[int] = Field([256, 1024, 4096], min_length=2, max_length=10, description="ranks H of the lazy runs (increasing)")
    seeds: int = Field(6, ge=1, le=256, description="initialisations per rank H in the lazy runs")
    t1: float = Field(2.0, gt=0, le=100, description="final time of the lazy runs")
    inc_p: int = Field(6, ge=2, le=16, description="tensor size of the small-initialisation runs")
    inc_h: int = Field(32, ge=1, le=256, description="rank H of the model in the small-initialisation runs")
    strengths: list[float] = Field(
        [4.0, 2.0, 1.0], min_length=2, max_length=6, description="strengths s_r of the orthogonal rank-one parts of the target"
    )
    sigma: float = Field(1e-2, gt=0, le=0.1, description="initialisation scale of the small-initialisation runs")
    inc_seeds: int = Field(8, ge=1, le=256, description="initialisations of the small-initialisation runs")
    rtol: float = Field(1e-8, gt=0, lt=1e-3, description="relative tolerance of the adaptive gradient flow")
    atol: float = Field(1e-11, gt=0, lt=1e-3, description="absolute tolerance of the adaptive gradient flow")
    seed: int = Field(0, ge=0, description="random seed of the targets and the initialisations")

    @model_validator(mode="after")
    def _check(self) -> CPTensorSpec:
        if sorted(set(self.hs)) != list(self.hs) or self.hs[0] < 1 or self.hs[-1] > 20_000:
            raise BadInput("hs", "must increase strictly within [1, 20000]")
        if len(self.strengths) > self.inc_p or any(s <= 0 or s > 100 for s in self.strengths):
            raise BadInput("strengths", f"at most inc_p = {self.inc_p} of them, each in (0, 100]")
        if len(set(self.strengths)) != len(self.strengths):
            raise BadInput("strengths", "must be distinct (their order is the prediction)")
        return self


class AutoencoderRegimesSpec(FlowTolerances):
    d: int = Field(100, ge=4, le=1000, description="input dimension d")
    gamma: float = Field(0.25, gt=0, le=4, description="latent-to-input ratio m / d")
    s: float = Field(0.1, gt=0, le=10, description="initialisation scale of the loss-curve runs")
    sample_ratios: list[float] = Field(
        [0.5, 2.0, 8.0, 32.0],
        min_length=1,
        max_length=12,
        description="training-set sizes n / d (finite-sample runs and map rows)",
    )
    scales: list[float] = Field(
        [1e-3, 1e-2, 0.1, 1.0, 3.0], min_length=1, max_length=12, description="initialisation scales s of the map's columns"
    )
    alpha: float = Field(1.0, ge=0, le=4, description="anisotropic population: Sigma_kk proportional to k^(-alpha), trace d")
    t1: float = Field(4.0, gt=0, le=20, description="final time of the loss curves")
    rtol: float = Field(1e-8, gt=0, lt=1e-3, description="relative tolerance of the adaptive gradient flow")
    atol: float = Field(1e-10, gt=0, lt=1e-3, description="absolute tolerance of the adaptive gradient flow")
    seed: int = Field(0, ge=0, description="random seed of the data and the initialisations")

    @model_validator(mode="after")
    def _check(self) -> AutoencoderRegimesSpec:
        if any(r <= 0 or r > 1000 for r in self.sample_ratios) or any(round(r * self.d) < 1 for r in self.sample_ratios):
            raise BadInput("sample_ratios", f"each must lie in (0, 1000] with n = ratio * d >= 1 (d = {self.d})")
        if any(s <= 0 or s > 10 for s in self.scales):
            raise BadInput("scales", "each must lie in (0, 10]")
        if round(self.gamma * self.d) < 1:
            raise BadInput("gamma", f"m = gamma * d must be at least 1 (d = {self.d})")
        return self
