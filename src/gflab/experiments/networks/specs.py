"""Specs of the networks experiments: validated parameters, importable without JAX.

Names shared across gflab (DESIGN.md): ``n_samples`` is the number of training samples;
``width`` is the number m of hidden units of a two-layer network (or of random features), and
``widths`` the values of m an experiment sweeps; ``d`` the input dimension; ``seeds``
repetitions.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from gflab.errors import BadInput
from gflab.experiments.base import Spec
from gflab.experiments.cost import GIB, Cost, cost
from gflab.theory.networks import KERNEL_ACTIVATIONS, KernelActivation, cosine_frequencies

_KERNELS = f"activation with a closed-form kernel ({', '.join(KERNEL_ACTIVATIONS)})"


class NTKvsMeanFieldSpec(Spec):
    n_samples: int = Field(20, ge=2, le=500, description="training samples (teacher data, x ~ N(0, I_d))")
    d: int = Field(10, ge=1, le=1000, description="input dimension")
    sigma: KernelActivation = Field("erf", description=_KERNELS + "; erf keeps the flow smooth")
    widths: list[Annotated[int, Field(ge=1, le=100_000)]] = Field(
        [250, 1000, 4000], min_length=2, max_length=32, description="widths m (hidden units) of the networks"
    )
    seeds: int = Field(3, ge=1, le=100, description="initialisations per width and scaling")
    horizon: float = Field(15.0, gt=0, le=100, description="training time in units of the kernel-regime decay time")
    mean_field_time: float = Field(200.0, gt=0, description="mean-field training time per unit of width")
    save_points: int = Field(41, ge=4, le=1000, description="evenly spaced save times of the loss")
    test_points: int = Field(500, ge=1, le=100_000, description="points for the sup distance to the random-feature model")
    rtol: float = Field(1e-8, gt=0, lt=1, description="relative tolerance of the adaptive solver")
    atol: float = Field(1e-11, gt=0, description="absolute tolerance of the adaptive solver")
    seed: int = Field(0, ge=0, description="random seed of the data and the initialisations")

    def cost(self) -> Cost:
        # three scalings x seeds networks of every width, ~10 arrays of the weights per solver
        # step, ~10^3 steps each of n_samples x m x (d + 1) multiply-adds (1 GFLOP/s per core)
        weights = self.seeds * max(self.widths) * (self.d + 2)
        work = 3 * self.seeds * sum(self.widths) * (self.d + 1) * self.n_samples * 1e3 * 2
        return cost(10 * weights * 8 / GIB, work / 2e9, "widths", "seeds", "d")


class RandomFeaturesRateSpec(Spec):
    d: int = Field(5, ge=1, le=1000, description="input dimension")
    sigma: KernelActivation = Field("erf", description=_KERNELS)
    widths: list[Annotated[int, Field(ge=1, le=100_000)]] = Field(
        [16, 32, 64, 128, 256, 512], min_length=2, max_length=32, description="numbers m of random features"
    )
    centres: int = Field(8, ge=1, le=1000, description="kernel centres z_l of the target")
    draws: int = Field(40, ge=2, le=10_000, description="independent feature draws per width")
    train_points: int = Field(8000, ge=10, le=1_000_000, description="samples of the least-squares fit")
    test_points: int = Field(8000, ge=10, le=1_000_000, description="fresh samples of the squared L2 error")
    seed: int = Field(0, ge=0, description="random seed of the target, the data and the features")

    def cost(self) -> Cost:
        # the feature matrix (points x m) of one draw, a few copies in the least-squares solve
        points = max(self.train_points, self.test_points)
        work = self.draws * sum(self.train_points * m * m + points * m * self.d for m in self.widths) * 2
        return cost(4 * points * max(self.widths) * 8 / GIB, work / 2e9, "widths", "train_points", "test_points")


class GradientVarianceSpec(Spec):
    d: int = Field(2, ge=1, le=4, description="input dimension (x in [0, 1]^d)")
    grid: int = Field(128, ge=4, le=4096, description="midpoint grid points per coordinate")
    family_sizes: list[Annotated[int, Field(ge=1, le=100_000)]] = Field(
        [4, 16, 64, 256, 1024], min_length=2, max_length=32, description="family sizes M"
    )
    width: int = Field(16, ge=1, le=1024, description="hidden units m of the tanh network")
    weight_std: float = Field(2.0, gt=0, le=100, description="standard deviation of the first-layer weights")
    thetas: int = Field(8, ge=1, le=1000, description="random parameter draws")
    fit_from: int = Field(16, ge=1, description="smallest M in the power-law fit")
    seed: int = Field(0, ge=0, description="random seed of the parameter draws")

    def cost(self) -> Cost:
        # gradients (thetas, grid^d, P) with a few temporaries, and the family's basis on the grid
        points = float(self.grid) ** self.d
        parameters = self.width * (self.d + 2) + 1
        gib = (5 * self.thetas * points * parameters + 2 * points * max(self.family_sizes)) * 8 / GIB
        return cost(gib, self.thetas * points * (parameters + max(self.family_sizes)) / 5e6, "grid", "d", "thetas", "width")

    @model_validator(mode="after")
    def _orthonormal(self) -> GradientVarianceSpec:
        top = int(cosine_frequencies(self.d, max(self.family_sizes)).max())
        if 2 * top >= self.grid:
            raise BadInput("grid", f"must exceed 2 max b = {2 * top} for the family to be orthonormal (got {self.grid})")
        return self
