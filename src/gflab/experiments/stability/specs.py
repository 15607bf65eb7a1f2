"""Specs of the stability experiments: validated parameters, importable without JAX.

Names shared across gflab (DESIGN.md): ``n_samples`` is the number of training samples (of a
data set, or of the per-sample losses of a quadratic family); ``width`` is the number m of
hidden units of a two-layer network; ``eta`` a GD/SGD step, ``batch_size(s)`` B; ``d`` the
dimension of the inputs (or of the parameter of a quadratic); ``seeds`` repetitions.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator

from gflab.errors import BadInput
from gflab.experiments.base import Spec
from gflab.experiments.cost import GIB, Cost, cost
from gflab.hermite import ACTIVATION_NAMES, activation
from gflab.theory.networks import DataSet, Scaling
from gflab.theory.stability import Flatness, Scheme

DIGITS = 1797  # samples in scikit-learn's digits


class NetworkSpec(Spec):
    """Fields of the experiments that train a two-layer network on data."""

    n_samples: int = Field(400, ge=2, le=DIGITS, description="training samples")
    width: int = Field(32, ge=1, le=4096, description="hidden units m of the two-layer network")
    sigma: str = Field("tanh", description=f"activation ({', '.join(ACTIVATION_NAMES)})")

    @field_validator("sigma")
    @classmethod
    def _known(cls, name: str, info: ValidationInfo) -> str:
        activation(name, info.field_name or "sigma")  # BadInput naming the field for an unknown name
        return name


class GDStabilitySpec(Spec):
    d: int = Field(50, ge=1, le=2000, description="dimension of the quadratics")
    lambda_min: float = Field(0.1, gt=0, description="smallest Hessian eigenvalue")
    lambda_max: float = Field(
        10.0, gt=0, description="largest Hessian eigenvalue of the first quadratic (quadratic i: lambda_max 2^(i/(n-1)))"
    )
    n_quadratics: int = Field(5, ge=1, le=1000, description="random quadratics (Haar eigenvectors)")
    momentum: float = Field(0.0, ge=0, lt=1, description="heavy-ball momentum beta")
    steps: int = Field(
        20_000, ge=10, le=10_000_000, description="GD steps per run (stability read off the loss over the last half)"
    )
    eta_low: float = Field(1e-4, gt=0, description="smallest step of the first (log-spaced) grid")
    eta_high: float = Field(10.0, gt=0, description="largest step of the first grid")
    grid: int = Field(17, ge=3, le=1025, description="steps per grid")
    rounds: int = Field(4, ge=1, le=12, description="grids: the first log-spaced, then linear refinements of the bracket")
    seed: int = Field(0, ge=0, description="random seed of the Hessians and the starts")

    def cost(self) -> Cost:
        # one run per (quadratic, step): its d x d Hessian, d^2 multiply-adds per GD step
        runs = self.n_quadratics * self.grid
        return cost(
            3 * runs * self.d**2 * 8 / GIB,
            self.rounds * runs * self.steps * self.d**2 * 2 / 2e9,
            "d",
            "n_quadratics",
            "grid",
            "steps",
        )

    @model_validator(mode="after")
    def _check(self) -> GDStabilitySpec:
        if self.lambda_min > self.lambda_max:
            raise BadInput("lambda_min", f"must not exceed lambda_max = {self.lambda_max}")
        if self.eta_low >= self.eta_high:
            raise BadInput("eta_low", f"must be below eta_high = {self.eta_high}")
        return self


class SGDStabilitySpec(Spec):
    n_samples: int = Field(
        8, ge=2, le=12, description="per-sample losses of the quadratic family (reshuffling enumerates partitions)"
    )
    spread: float = Field(1.0, ge=0, le=3, description="log-normal spread of the curvatures a_i")
    batch_sizes: list[Annotated[int, Field(ge=1, le=12)]] = Field(
        [1, 2, 4], min_length=1, max_length=12, description="batch sizes B"
    )
    schemes: list[Scheme] = Field(
        ["with-replacement", "without-replacement", "reshuffling"], min_length=1, description="batch sampling schemes"
    )
    paths: int = Field(50_000, ge=100, le=10_000_000, description="independent SGD runs per step size")
    steps: int = Field(2, ge=1, le=1000, description="SGD steps per run for the iid schemes")
    epochs: int = Field(1, ge=1, le=100, description="epochs per run for reshuffling")
    grid: int = Field(16, ge=4, le=1000, description="step sizes per grid (a coarse grid, then one refinement)")
    seed: int = Field(0, ge=0, description="random seed of the curvatures and the batch streams")

    def cost(self) -> Cost:
        # two grids of `grid` step sizes, `paths` runs each, per scheme and batch size. Rate:
        # reshuffling at the quick size took 22.4 s of CPU for 8.96e6 path-steps (2.5 us each;
        # compilation apart, one core, bench/compile_time.py); the iid schemes 0.9-1.7 us. The
        # slowest rate: an upper bound within a factor ~3. Memory: the runs' keys and finals.
        steps = sum(
            self.epochs * (self.n_samples // b) if scheme == "reshuffling" else self.steps
            for scheme in self.schemes
            for b in self.batch_sizes
        )
        seconds = 2.5e-6 * 2 * self.grid * self.paths * steps
        return cost(4 * self.grid * self.paths * 8 / GIB, seconds, "paths", "grid", "steps", "epochs")

    @model_validator(mode="after")
    def _check(self) -> SGDStabilitySpec:
        for b in self.batch_sizes:
            if b > self.n_samples or ("reshuffling" in self.schemes and self.n_samples % b):
                raise BadInput(
                    "batch_sizes", f"each must be at most n_samples = {self.n_samples} and divide it for reshuffling (got {b})"
                )
        return self


class SGDSecondMomentSpec(Spec):
    n_samples: int = Field(8, ge=2, le=12, description="per-sample losses of the quadratic family")
    spread: float = Field(1.0, ge=0, le=3, description="log-normal spread of the curvatures a_i")
    eta: float = Field(1.0, gt=0, le=10, description="SGD step")
    batch_size: int = Field(2, ge=1, le=12, description="batch size B")
    scheme: Scheme = Field("with-replacement", description="batch sampling scheme")
    paths: int = Field(50_000, ge=100, le=10_000_000, description="independent SGD runs")
    steps: int = Field(2, ge=1, le=1000, description="SGD steps per run for the iid schemes")
    epochs: int = Field(1, ge=1, le=100, description="epochs per run for reshuffling")
    seed: int = Field(0, ge=0, description="random seed of the curvatures and the batch streams")

    @model_validator(mode="after")
    def _check(self) -> SGDSecondMomentSpec:
        if self.batch_size > self.n_samples or (self.scheme == "reshuffling" and self.n_samples % self.batch_size):
            raise BadInput(
                "batch_size",
                f"must be at most n_samples = {self.n_samples} and divide it for reshuffling (got {self.batch_size})",
            )
        return self


class EdgeOfStabilitySpec(NetworkSpec):
    data: DataSet = Field("digits", description="training data (digits, teacher, barron, cosine)")
    scaling: Scaling = Field("conventional", description="network scaling (conventional, ntk, mean-field, random-features)")
    etas: list[Annotated[float, Field(gt=0, le=100)]] = Field(
        [0.01, 0.02, 0.05, 0.1, 0.2], min_length=1, max_length=64, description="GD step sizes"
    )
    steps: int = Field(3000, ge=1, le=10_000_000, description="GD steps at every step size")
    save_points: int = Field(31, ge=2, le=2000, description="recorded steps (evenly spaced in the step count)")
    matvecs: int = Field(20, ge=2, le=500, description="Lanczos Hessian-vector products per sharpness")
    near: float = Field(0.2, gt=0, lt=1, description="a step is at the edge when its final sharpness is within this of 2/eta")
    flow: bool = Field(True, description="also run the gradient flow from the same start")
    rtol: float = Field(1e-7, gt=0, lt=1, description="relative tolerance of the gradient flow's adaptive solver")
    atol: float = Field(1e-9, gt=0, description="absolute tolerance of the gradient flow's adaptive solver")
    seed: int = Field(0, ge=0, description="random seed of the data and the initialisation")

    def cost(self) -> Cost:
        # full-batch GD: n_samples x width x 64 (digits' inputs) multiply-adds per step, forward
        # and backward, plus the gradient flow and the Lanczos sharpness at every saved step
        work = (len(self.etas) + self.flow) * self.steps * self.n_samples * self.width * 64 * 6
        return cost(self.save_points * self.width * 70 * 8 * len(self.etas) / GIB, work / 2e9, "steps", "etas", "width")


class SGDMinimaSpec(NetworkSpec):
    data: DataSet = Field("teacher", description="training data (digits, teacher, barron, cosine)")
    n_samples: int = Field(40, ge=2, le=DIGITS, description="training samples")
    d: int = Field(5, ge=1, le=1000, description="input dimension of the teacher data")
    eta: float = Field(0.2, gt=0, le=100, description="SGD step")
    batch_sizes: list[Annotated[int, Field(ge=1, le=DIGITS)]] = Field(
        [4, 10, 20, 40], min_length=1, max_length=32, description="batch sizes B (indices drawn with replacement)"
    )
    seeds: int = Field(8, ge=1, le=1000, description="initialisations (and batch streams) per batch size")
    steps: int = Field(20_000, ge=1, le=10_000_000, description="largest number of SGD steps per run")
    tol: float = Field(1e-8, gt=0, description="full-batch loss below which a minimum is reached")
    matvecs: int = Field(40, ge=2, le=500, description="Lanczos products per eigenvalue")
    seed: int = Field(0, ge=0, description="random seed of the data, the initialisations and the batches")

    def cost(self) -> Cost:
        # SGD steps of B x width x d multiply-adds (forward and backward) for every run
        work = self.seeds * self.steps * sum(self.batch_sizes) * self.width * self.d * 6
        return cost(
            self.seeds * len(self.batch_sizes) * self.n_samples * self.width * 8 / GIB, work / 2e9, "steps", "seeds", "width"
        )

    @model_validator(mode="after")
    def _batches(self) -> SGDMinimaSpec:
        if max(self.batch_sizes) > self.n_samples or min(self.batch_sizes) < 1:
            raise BadInput("batch_sizes", f"each must lie in 1..n_samples = {self.n_samples} (got {self.batch_sizes})")
        return self


class SDEFlatnessSpec(Spec):
    h: Flatness = Field("quadratic", description="flatness profile h(x) along the valley (quadratic, cosh, exponential)")
    sigma: float = Field(1.0, gt=0, le=100, description="noise level: D^2 = sigma^2 / 2 times the Hessian on the valley")
    etas: list[Annotated[float, Field(gt=0, le=0.1)]] = Field(
        [0.005, 0.01, 0.02], min_length=1, max_length=32, description="SGD step sizes (the noise scales)"
    )
    x0: float = Field(1.0, ge=-5, le=5, description="start on the valley's floor (x0, 0)")
    paths: int = Field(4000, ge=10, le=10_000_000, description="independent SDE paths per step size")
    t1: float = Field(100.0, gt=0, description="final time")
    dt: float = Field(0.002, gt=0, le=0.1, description="Euler-Maruyama step")
    save_points: int = Field(51, ge=2, le=10_000, description="evenly spaced save times in [0, t1]")
    seed: int = Field(0, ge=0, description="random seed of the noise")

    def cost(self) -> Cost:
        # Euler-Maruyama: ~4e6 path-steps per second here; the saved (x, y^2) of every path
        paths = len(self.etas) * self.paths
        return cost(4 * paths * self.save_points * 8 / GIB, paths * self.t1 / self.dt / 4e6, "t1", "paths", "dt", "etas")
