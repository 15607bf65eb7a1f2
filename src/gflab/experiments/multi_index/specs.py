"""Specs of the multi-index experiments: validated parameters, importable without JAX.

Two groups: neurons on the sphere under the correlation loss (Simsek, Bendjeddou & Hsu 2024),
sharing :class:`SphereNeuronSpec`, and subspaces under the two-timescale and planted losses
(Bietti, Bruna & Pillaud-Vivien 2023), sharing :class:`SubspaceSpec`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from gflab.errors import BadInput
from gflab.experiments.base import Spec
from gflab.experiments.cost import GIB, Cost, cost
from gflab.hermite import ACTIVATION_NAMES, activation, correlation_polynomial, expand, information_exponent, parity
from gflab.theory.subspace import LINKS, link_rank


def _increasing_dimensions(values: list[int], smallest: int) -> list[int]:
    if sorted(set(values)) != values or values[0] < smallest:
        raise BadInput("d_values", f"must increase strictly from at least {smallest} (got {values})")
    return values


class SphereNeuronSpec(Spec):
    """Fields of the correlation-loss experiments: activations, solver, stop rule."""

    sigma: str = Field("he3", description=f"student activation ({', '.join(ACTIVATION_NAMES)})")
    sigma_star: str = Field("he3", description="teacher activation (same names as sigma)")
    max_degree: int = Field(32, ge=1, le=128, description="Hermite truncation cap of the correlation function phi")
    t1: float = Field(1e6, gt=0, description="final time of the gradient flow")
    gtol: float = Field(
        1e-6, gt=0, description="stop when the Riemannian gradient norm is below gtol (above the solver's floor ~ rtol)"
    )
    rtol: float = Field(1e-8, gt=0, lt=1, description="relative tolerance of the adaptive solver")
    atol: float = Field(1e-12, gt=0, description="absolute tolerance of the adaptive solver")
    seed: int = Field(0, ge=0, description="random seed of the initial neurons")

    @field_validator("sigma", "sigma_star")
    @classmethod
    def _known(cls, name: str, info: ValidationInfo) -> str:
        activation(name, info.field_name or "sigma")  # BadInput naming the field for an unknown name
        return name

    @property
    def coefficients(self) -> tuple[np.ndarray, np.ndarray]:
        """Hermite coefficients of (sigma, sigma*), up to ``max_degree``."""
        return (
            expand(self.sigma, max_degree=self.max_degree).coefficients,
            expand(self.sigma_star, max_degree=self.max_degree).coefficients,
        )

    @property
    def phi(self) -> np.ndarray:
        """phi(t) = sum_p c_p(sigma) c_p(sigma*) t^p, ascending coefficients (Hermite engine)."""
        return correlation_polynomial(*self.coefficients)

    @model_validator(mode="after")
    def _phi_not_constant(self) -> SphereNeuronSpec:
        if information_exponent(self.phi) is None:
            raise BadInput(
                "sigma_star", f"phi is constant for sigma={self.sigma}, sigma_star={self.sigma_star}: nothing to learn"
            )
        return self


class SearchPhaseSpec(SphereNeuronSpec):
    d_values: list[Annotated[int, Field(ge=2, le=10**9)]] = Field(
        [64, 128, 256, 512, 1024, 2048, 4096],
        min_length=2,
        max_length=32,
        description="ambient dimensions d (strictly increasing)",
    )
    seeds: int = Field(200, ge=3, le=1_000_000, description="neurons per dimension")
    k: int = Field(1, ge=1, le=64, description="number of orthonormal index vectors")
    overlap: float = Field(0.5, gt=0, lt=1, description="search ends when the best overlap reaches this")
    flow: Literal["reduced", "full"] = Field(
        "reduced", description="integrate each neuron in its k + 1 exact coordinates (reduced) or in all d (full)"
    )
    save_points: int = Field(600, ge=50, le=10_000, description="log-spaced save times (hitting times interpolate them)")

    @field_validator("d_values")
    @classmethod
    def _dims(cls, values: list[int]) -> list[int]:
        return _increasing_dimensions(values, 2)

    def cost(self) -> Cost | None:
        # the full flow holds every start in R^d (and its device copy); its time is not modelled
        if self.flow == "reduced":
            return None
        floats = 2 * self.seeds * max(self.d_values) + self.seeds * self.save_points * self.k * len(self.d_values)
        return cost(floats * 8 / GIB, None, "d_values", "seeds")


class DirectionalConvergenceSpec(SphereNeuronSpec):
    loss: Literal["correlation", "mse"] = Field("correlation", description="population loss of the networks")
    d: int = Field(1024, ge=2, le=10**9, description="ambient dimension")
    k: int = Field(4, ge=1, le=64, description="number of orthonormal index vectors")
    n_neurons: int = Field(8, ge=1, le=10_000, description="student neurons per network")
    seeds: int = Field(400, ge=1, le=1_000_000, description="networks")
    converged: float = Field(0.99, gt=0, lt=1, description="a neuron has found v_j when its overlap reaches this")
    coverage_ks: list[Annotated[int, Field(ge=1, le=64)]] = Field(
        [2, 4, 8], max_length=16, description="k values of the coverage-against-neurons figure"
    )
    coverage_pool: int = Field(2000, ge=0, le=1_000_000, description="neurons simulated per k of the figure (0: no figure)")

    def cost(self) -> Cost | None:
        # the MSE networks start in R^d (the start, and its span basis of n + k rows per
        # network); the correlation loss draws reduced coordinates only. Time is not modelled.
        if self.loss == "correlation":
            return None
        neurons = max(self.n_neurons * self.seeds, self.coverage_pool)
        return cost(3 * neurons * self.d * 8 / GIB, None, "d", "seeds", "coverage_pool")

    @model_validator(mode="after")
    def _dims(self) -> DirectionalConvergenceSpec:
        if self.d <= max([self.k, *self.coverage_ks]):
            raise BadInput("d", f"must exceed k and every coverage k (got d = {self.d})")
        if parity(self.phi) == "mixed":
            raise BadInput("sigma", "the nearest-vector prediction needs phi odd or even; this pair gives a mixed phi")
        return self


class BetaThresholdSpec(SphereNeuronSpec):
    ks: list[Annotated[int, Field(ge=2, le=64)]] = Field(
        [2, 4, 8], min_length=1, max_length=16, description="numbers of index vectors"
    )
    delta: float = Field(1e-5, gt=0, lt=0.1, description="size of the perturbations of w_bar")
    horizon: float = Field(2e3, gt=0, description="flow time after a perturbation")
    perturbations: int = Field(4, ge=1, le=256, description="random tangent perturbations per beta")
    grid: int = Field(17, ge=3, le=1025, description="betas per refinement round")
    rounds: int = Field(3, ge=1, le=10, description="refinements of the beta grid around the saddle -> minimum change")
    d: int = Field(256, ge=3, description="dimension of the random starts of the recovered-fraction curve")
    plot_betas: int = Field(20, ge=0, le=200, description="betas of the recovered-fraction curve (0: none)")
    seeds: int = Field(10, ge=1, le=10_000, description="networks per beta of the recovered-fraction curve")

    @model_validator(mode="after")
    def _check(self) -> BetaThresholdSpec:
        if self.d <= max(self.ks):
            raise BadInput("d", f"must exceed every k (got d = {self.d}, ks = {self.ks})")
        return self


class IndexRecoverySpec(SphereNeuronSpec):
    k: int = Field(4, ge=2, le=64, description="number of index vectors, v_i . v_j = beta")
    beta: float = Field(0.0, ge=0, lt=1, description="overlap beta of the index vectors")
    d: int = Field(64, ge=3, le=100_000, description="dimension of the random starts")
    networks: int = Field(20, ge=1, le=100_000, description="networks from independent random starts")
    neurons: int = Field(0, ge=0, le=1000, description="neurons per network (0: enough for 90% coverage at beta = 0)")

    @model_validator(mode="after")
    def _check(self) -> IndexRecoverySpec:
        if self.d <= self.k:
            raise BadInput("d", f"must exceed k (got d = {self.d}, k = {self.k})")
        return self


class SubspaceSpec(Spec):
    """Fields of the subspace experiments: the link, solver and the global-minimum test."""

    link: str = Field("staircase", description=f"link g of the target y = g(V^T x) ({', '.join(LINKS)})")
    t1: float = Field(1e6, gt=0, description="final time of the two-timescale flow")
    rtol: float = Field(1e-8, gt=0, lt=1, description="relative tolerance of the adaptive solver")
    atol: float = Field(1e-10, gt=0, description="absolute tolerance of the adaptive solver")
    distance_tol: float = Field(1e-3, gt=0, lt=1, description="global minimum: subspace distance |sin Theta|_F below this")
    seed: int = Field(0, ge=0, description="random seed of the initial subspaces")

    @field_validator("link")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in LINKS:
            raise BadInput("link", f"unknown link {name!r}; accepted: {', '.join(LINKS)}")
        return name

    @property
    def r(self) -> int:
        """Rank of the index space (the number of variables of the link)."""
        return link_rank(LINKS[self.link])


class TwoTimescaleSpec(SubspaceSpec):
    d_values: list[Annotated[int, Field(ge=4, le=1_000_000)]] = Field(
        [32, 64, 128, 256, 512, 1024], min_length=2, max_length=32, description="ambient dimensions d (strictly increasing)"
    )
    seeds: int = Field(100, ge=3, le=1_000_000, description="random starts per dimension")
    save_points: int = Field(400, ge=50, le=10_000, description="log-spaced save times (escape times interpolate them)")
    level: float = Field(0.5, gt=0, lt=1, description="a plateau ends when its singular value of M reaches this")

    @field_validator("d_values")
    @classmethod
    def _dims(cls, values: list[int]) -> list[int]:
        return _increasing_dimensions(values, 4)


class PlantedSpec(SubspaceSpec):
    d: int = Field(32, ge=4, le=100_000, description="ambient dimension")
    seeds: int = Field(400, ge=1, le=1_000_000, description="random starts")
    t1_planted: float = Field(1e4, gt=0, description="final time of the planted flow")
    tol: float = Field(1e-8, gt=0, description="planted run learned: loss below tol")
    gtol: float = Field(1e-6, gt=0, description="planted run trapped: |grad| below gtol at t1 with loss >= tol")


__all__ = [
    "BetaThresholdSpec",
    "DirectionalConvergenceSpec",
    "IndexRecoverySpec",
    "PlantedSpec",
    "SearchPhaseSpec",
    "SphereNeuronSpec",
    "SubspaceSpec",
    "TwoTimescaleSpec",
]
