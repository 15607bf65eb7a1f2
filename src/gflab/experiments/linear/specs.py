"""Specs of the linear family (JAX-free: read by `gflab describe` and the registry tests).

Names shared across gflab (DESIGN.md): ``nu`` (capacity exponent, lambda_k = k^(-nu)), ``kappa``
(source exponent, lambda_k theta*_k^2 = k^(-kappa-1)), ``eta`` (learning rate alpha), ``momentum``
(heavy-ball beta), ``batch_size`` (b), ``sigma`` (label noise), ``seed``; ``n_modes`` is N, the
number of modes of the spectrum.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from gflab.errors import BadInput
from gflab.experiments.base import Spec

MAX_MODES = 1_000_000


def _momenta(name: str, values: list[float]) -> None:
    if any(not -1 < b < 1 for b in values):
        raise BadInput(name, f"every momentum beta must satisfy |beta| < 1 (got {values})")


class PowerLawSpec(Spec):
    """The power-law problem: lambda_k = k^(-nu), lambda_k theta*_k^2 = k^(-kappa-1), k = 1..n_modes."""

    nu: float = Field(1.5, gt=0, le=10, description="capacity exponent nu > 0: lambda_k = k^(-nu)")
    kappa: float = Field(1.5, gt=0, le=40, description="source exponent kappa > 0: lambda_k theta*_k^2 = k^(-kappa-1)")
    n_modes: int = Field(16, ge=1, le=MAX_MODES, description="number N of modes of the spectrum")
    seed: int = Field(0, ge=0, description="random seed of the SGD batches")


class SGDMomentsSpec(PowerLawSpec):
    sigma: float = Field(0.1, ge=0, le=10, description="label noise sigma (y = theta* . x + sigma xi)")
    eta: float = Field(0.3, gt=0, le=10, description="learning rate alpha of the Monte-Carlo comparison")
    momentum: float = Field(0.5, gt=-1, lt=1, description="heavy-ball momentum beta of the Monte-Carlo comparison, |beta| < 1")
    batch_size: int = Field(2, ge=1, le=4096, description="batch size b of the Monte-Carlo comparison")
    runs: int = Field(4000, ge=10, le=1_000_000, description="independent SGD runs averaged against tier 1")
    steps: int = Field(300, ge=2, le=1_000_000, description="SGD steps of the Monte-Carlo comparison")
    save_points: int = Field(20, ge=2, le=1000, description="recorded steps (log-spaced in 1..steps)")
    resamples: int = Field(
        2000, ge=100, le=100_000, description="bootstrap resamples of the runs for the null distribution of the largest |z|"
    )
    z: float = Field(0.5, gt=0, lt=1, description="point of the generating-function identity sum_t L_t z^t = V / (1 - U)")
    digits_samples: int = Field(
        400, ge=2, le=1797, description="digits in the finite data set of tier 2 (sampled with replacement)"
    )
    digits_eta: float = Field(
        1.0, gt=0, le=10, description="learning rate alpha of SGD on the digits (rows of mean squared norm 1)"
    )
    boundary_momenta: list[float] = Field(
        [-0.5, 0.0, 0.5, 0.8], min_length=1, description="momenta beta at which the divergence boundary is measured"
    )
    boundary_batches: list[int] = Field([1, 4, 16], min_length=1, description="batch sizes b at which the boundary is measured")
    boundary_steps: int = Field(
        20_000, ge=100, le=10_000_000, description="steps of the expected-loss runs that decide divergence (L_T > L_{T/2})"
    )
    grid: int = Field(17, ge=4, le=1025, description="learning rates per grid (a log grid, then linear refinements)")
    rounds: int = Field(3, ge=1, le=10, description="grids: the first log-spaced over [1e-3, 10] / lambda_1, then refinements")

    @model_validator(mode="after")
    def _check(self) -> SGDMomentsSpec:
        _momenta("boundary_momenta", self.boundary_momenta)
        if min(self.boundary_batches) < 1:
            raise BadInput("boundary_batches", f"batch sizes must be at least 1 (got {self.boundary_batches})")
        if self.save_points > self.steps:
            raise BadInput("save_points", f"must not exceed steps = {self.steps}")
        return self


def _pairs(values: list[tuple[float, float]]) -> None:
    for nu, kappa in values:
        if not (0 < nu <= 10 and 0 < kappa <= 40):
            raise BadInput("pairs", f"every (nu, kappa) needs 0 < nu <= 10 and 0 < kappa <= 40 (got ({nu}, {kappa}))")


class PowerLawRatesSpec(Spec):
    pairs: list[tuple[float, float]] = Field(
        [(1.5, 1.5), (2.0, 1.0), (2.0, 3.0)], min_length=1, description="(nu, kappa) pairs of the power-law problem"
    )
    n_modes: int = Field(100_000, ge=1, le=MAX_MODES, description="number N of modes of the spectrum")
    eta: float = Field(0.5, gt=0, lt=2, description="learning rate alpha of GD and of the constant-momentum heavy ball")
    momenta: list[float] = Field([-0.5, 0.5, 0.8], min_length=1, description="constant heavy-ball momenta beta, |beta| < 1")
    steps: int = Field(10_000, ge=20, le=10_000_000, description="GD and heavy-ball steps (fits over the last decade)")
    accelerated_steps: int = Field(
        1000,
        ge=20,
        le=10_000_000,
        description="steps of the Jacobi heavy ball, CG and steepest descent (fits over the last decade)",
    )
    jacobi_b: float = Field(0.0, gt=-1, le=10, description="Jacobi parameter b at lambda = lambda_1 (a = zeta at lambda = 0)")

    @model_validator(mode="after")
    def _check(self) -> PowerLawRatesSpec:
        _pairs(self.pairs)
        _momenta("momenta", self.momenta)
        if any(self.eta >= 2 * (1 + b) for b in self.momenta):
            raise BadInput("eta", f"the heavy ball diverges unless eta < 2 (1 + beta) for every momentum (got eta={self.eta})")
        return self


class SGDPhasesSpec(Spec):
    pairs: list[tuple[float, float]] = Field(
        [(2.0, 2.4), (3.0, 3.3), (2.0, 4.0), (3.0, 7.5)], min_length=1, description="(nu, kappa) pairs (zeta = kappa / nu > 1)"
    )
    n_modes: int = Field(5000, ge=1, le=MAX_MODES, description="number N of modes of the spectrum")
    eta: float = Field(0.5, gt=0, le=10, description="learning rate alpha (below alpha_c of every pair)")
    batch_size: int = Field(1, ge=1, le=4096, description="batch size b")
    steps: int = Field(
        10_000, ge=100, le=10_000_000, description="steps of the exact expected loss (compared over the last decade)"
    )
    away: float = Field(
        0.5, gt=0, le=10, description="pairs with |zeta - (2 - 1/nu)| at least this count as away from the phase boundary"
    )

    @model_validator(mode="after")
    def _check(self) -> SGDPhasesSpec:
        _pairs(self.pairs)
        if any(kappa <= nu for nu, kappa in self.pairs):
            raise BadInput(
                "pairs", f"the two-term formula needs zeta = kappa / nu > 1, a summable signal part (got {self.pairs})"
            )
        return self


class MomentumSignSpec(PowerLawSpec):
    kappa: float = Field(3.0, gt=0, le=40, description="source exponent kappa > 0: lambda_k theta*_k^2 = k^(-kappa-1)")
    n_modes: int = Field(300, ge=1, le=100_000, description="number N of modes of the spectrum")
    batch_size: int = Field(1, ge=1, le=4096, description="batch size b")
    steps: int = Field(500, ge=10, le=1_000_000, description="horizon T: the objective is the exact expected loss E L_T")
    momentum_step: float = Field(0.1, gt=0, le=0.5, description="spacing of the coarse momentum grid over [-0.9, 0.9]")
    refine: int = Field(11, ge=3, le=101, description="momenta of the fine grid around the coarse optimum (+- one coarse step)")
    alphas: int = Field(24, ge=4, le=400, description="learning rates per momentum, log-spaced in [0.02, 0.999] alpha_c(beta, b)")
    runs: int = Field(2000, ge=10, le=1_000_000, description="SGD runs of the Monte-Carlo check at the optimum and at beta = 0")
    resamples: int = Field(
        2000, ge=100, le=100_000, description="bootstrap resamples of the runs for the null distribution of the largest |z|"
    )


class CornerGDSpec(Spec):
    pairs: list[tuple[float, float]] = Field(
        [(2.0, 1.0), (1.5, 1.5)], min_length=1, description="(nu, kappa) pairs (zeta = kappa / nu < 2 for the rate theta zeta)"
    )
    thetas: list[float] = Field(
        [1.0, 1.5, 1.8], min_length=1, description="corner angles theta (external angle theta pi), 1 <= theta < 2"
    )
    n_modes: int = Field(40_000, ge=1, le=MAX_MODES, description="number N of modes of the spectrum")
    eta: float = Field(0.5, gt=0, le=1, description="learning rate alpha (lambda_1 = 1)")
    steps: int = Field(1000, ge=20, le=10_000_000, description="steps T (the exponent fitted over the last decade)")
    pole_step: float = Field(0.5, gt=0, le=2, description="spacing in log s of the poles of the rational memory")

    @model_validator(mode="after")
    def _check(self) -> CornerGDSpec:
        _pairs(self.pairs)
        if any(not 0 < t <= 2 for t in self.thetas):
            raise BadInput("thetas", f"every theta must lie in (0, 2] (got {self.thetas})")
        if any(not 1 <= t < 2 for t in self.thetas):
            raise BadInput("thetas", f"corner GD is run here for 1 <= theta < 2 (got {self.thetas})")
        return self
