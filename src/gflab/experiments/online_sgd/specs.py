"""Specs of the online_sgd family (JAX-free: read by `gflab describe` and the registry tests).

Conventions (:mod:`gflab.theory.overlaps`): unit-scale weights u = w / sqrt(d), SGD step eta / d
on u, time t = steps / d; ``K`` student and ``M`` teacher hidden units; ``d`` input dimension.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from gflab.errors import BadInput
from gflab.experiments.base import Spec
from gflab.experiments.cost import GIB, Cost, cost
from gflab.hermite import ACTIVATION_NAMES
from gflab.theory.batch_size import predicted_steps
from gflab.theory.overlaps import ERF_SCALES

NAMES = (*ACTIVATION_NAMES, "erf-ss")  # erf-ss: Saad & Solla's erf(z / sqrt 2)
# pairs with exact integrals: both erf-type (arcsine formulas) or both polynomial (Gauss-Hermite)
CLOSED_FORMS = (tuple(ERF_SCALES), tuple(name for name in ACTIVATION_NAMES if name.startswith("he")))
POLYNOMIAL_NODES_MAX = 4e7  # ~1 s and ~2 GiB per ODE evaluation on the 2-core machine (measured)
NETWORK_RATE = 5e7  # sample-dimensions x units per second of the d-dimensional SGD (measured)
Method = Literal["closed", "quadrature"]
Simulation = Literal["network", "chain"]  # the d-dimensional weights, or their exact overlap chain


class OverlapODESpec(Spec):
    """ODE against finite-d one-pass SGD for a committee machine learning a two-layer teacher."""

    sigma: str = Field("erf", description=f"student activation g ({', '.join(NAMES)})")
    sigma_star: str = Field("erf", description="teacher activation g* (same names)")
    integrals: Method = Field(
        "closed", description="Gaussian integrals: closed (erf/erf-ss pairs, or polynomial he0 .. he12 pairs) or quadrature (any)"
    )
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
    simulation: Simulation = Field(
        "network",
        description="finite-d SGD: network (the d-dimensional weights) or chain (its exact overlap chain, cost independent of d)",
    )
    seed: int = Field(0, ge=0, description="random seed of the frames and the batch streams")

    def cost(self) -> Cost:
        # Rates measured on the 2-core development machine (loaded): the network draws and
        # multiplies a (n_b, d) batch per step and run, ~NETWORK_RATE sample-dimensions per
        # second, and holds one batch per slot (64 slots); the chain takes ~30 us per step and run
        # plus ~0.6 us per sample (bench/online_sgd_step.py), whatever d.
        steps = sum(self.t1 * d for d in self.ds)
        if self.simulation == "chain":
            return cost(0.05, steps * self.seeds * (3e-5 + 6e-7 * self.batch_size), "t1", "seeds", "ds", "batch_size")
        work = sum(self.t1 * d * d for d in self.ds) * self.seeds * self.batch_size * (self.K + self.M)
        memory = (3 * min(self.seeds, 64) * self.batch_size + self.seeds * (self.K + self.M)) * max(self.ds) * 8
        return cost(memory / GIB, work / NETWORK_RATE + 2e-4 * steps, "ds", "t1", "seeds", "batch_size")

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
        if self.integrals == "closed" and not any({self.sigma, self.sigma_star} <= set(kind) for kind in CLOSED_FORMS):
            raise BadInput(
                "integrals",
                f"closed forms exist for erf/erf-ss pairs and polynomial pairs (he0 .. he12) only "
                f"(got {self.sigma}, {self.sigma_star}); use quadrature",
            )
        if self.integrals == "closed" and self.sigma in CLOSED_FORMS[1]:
            # the exact I4 (gflab.problems.committee) uses (p + q)^4 Gauss-Hermite nodes on each
            # of K^2 (K + M)^2 marginals, p = deg g, q = max(deg g, deg g*)
            p = int(self.sigma.removeprefix("he"))
            q = max(p, int(self.sigma_star.removeprefix("he")))
            nodes = self.K**2 * (self.K + self.M) ** 2 * max(1, p + q) ** 4
            if nodes > POLYNOMIAL_NODES_MAX:
                raise BadInput(
                    "integrals",
                    f"the exact polynomial I4 needs K^2 (K+M)^2 (p+q)^4 = {nodes:.2g} nodes per evaluation, "
                    f"at most {POLYNOMIAL_NODES_MAX:.0e}: lower K, M or the degrees, or use quadrature",
                )
        if self.K + self.M > 12:
            raise BadInput("K", f"K + M must be at most 12 (got {self.K + self.M})")
        if self.simulation == "chain" and min(self.ds) <= 2 * self.K + self.M:
            raise BadInput("ds", f"the chain needs d > 2K + M = {2 * self.K + self.M} (got {min(self.ds)}): raise ds")
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

    def cost(self) -> Cost:
        # measured: ~10 s per K (tracing and integrating the ODE ensembles), whatever the deltas
        return cost(0.05, 10.0 * len(self.Ks) * max(1.0, len(self.deltas) / 6), "Ks", "deltas")

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


Loss = Literal["square", "correlation"]


def _dimensions(ds: list[int], low: int, high: int) -> list[int]:
    if min(ds) < low or max(ds) > high or sorted(set(ds)) != ds:
        raise BadInput("ds", f"must increase strictly, each in {low} .. {high} (got {ds})")
    return ds


class BatchSizeSpec(Spec):
    """Steps to weak recovery of spherical online SGD on a He_l target against the batch n_b = d^mu."""

    degree: int = Field(3, ge=3, le=6, description="l: student and teacher are he_l (information exponent l)")
    ds: list[int] = Field([64, 128, 256, 512, 1024], min_length=3, description="input dimensions d")
    mus: list[float] = Field(
        [0.0, 1.0, 1.5, 1.75], min_length=1, description="batch exponents mu (n_b = round(d^mu)), each in [0, l - 1]"
    )
    losses: list[Loss] = Field(["square", "correlation"], min_length=1, description="losses: square, correlation")
    kappa: float = Field(
        0.25,
        gt=0,
        le=0.5,
        description="rate gamma = kappa n_b / (l d^(l/2)), held at kappa / l from n_b = d^(l/2) on for the square loss",
    )
    overlap0: float = Field(
        1.0, gt=0, le=4, description="start overlap m0 = overlap0 / sqrt(d) (informed start at the random-start scale)"
    )
    threshold: float = Field(0.5, gt=0, lt=1, description="weak recovery: |m| >= threshold")
    seeds: int = Field(16, ge=4, le=1024, description="independent runs per (loss, mu, d)")
    horizon: float = Field(
        50.0, ge=2, le=1e4, description="a run stops at horizon x the signal-only estimate of its steps (undecided beyond)"
    )
    seed: int = Field(0, ge=0, description="random seed of the sample streams")

    def cost(self) -> Cost:
        # An ensemble runs until its slowest run stops, measured at up to ~10x the signal-only
        # estimate of the steps; a step costs ~0.1 us per sample and ~0.8 us more per run (the
        # chi-square, the engine): calibrated on the quick size (2.5e8 units, ~25 s of chain on the
        # loaded 2-core machine). Memory: a piece of the batch per run.
        units = 0.0
        for loss in self.losses:
            for mu in self.mus:
                for d in self.ds:
                    batch = max(round(d**mu), 1)
                    steps = min(self.horizon, 10.0) * float(predicted_steps(self.degree, d, batch, self.kappa, loss))  # type: ignore[arg-type]
                    units += self.seeds * steps * (batch + 8)
        pieces = len(self.losses) * self.seeds * 8 * min(max(self.ds) ** max(self.mus), 256) * 3 * 8
        return cost(pieces / GIB, 1e-7 * units, "ds", "mus", "seeds", "horizon")

    @field_validator("ds")
    @classmethod
    def _ds(cls, ds: list[int]) -> list[int]:
        return _dimensions(ds, 16, 4096)

    @model_validator(mode="after")
    def _check(self) -> BatchSizeSpec:
        if sorted(set(self.mus)) != self.mus or min(self.mus) < 0 or max(self.mus) > self.degree - 1:
            raise BadInput("mus", f"must increase strictly, each in [0, l - 1 = {self.degree - 1}] (got {self.mus})")
        if sorted(set(self.losses)) != sorted(self.losses):
            raise BadInput("losses", f"each loss at most once (got {self.losses})")
        if round(max(self.ds) ** max(self.mus)) > 2**22:
            raise BadInput(
                "mus", f"batches up to 2^22 samples (got n_b = {max(self.ds)}^{max(self.mus)}): lower max(ds) or max(mus)"
            )
        if self.overlap0 / math.sqrt(min(self.ds)) >= self.threshold:
            raise BadInput("overlap0", f"the start overlap0 / sqrt(min d) must lie below the threshold {self.threshold}")
        return self


REUSE_COST_PER_SAMPLE = 1e-7  # seconds per sample evaluation of the batch-reuse chain (calibrated on its full size)
MAX_REUSED_BATCH = 16384  # a reused batch is drawn whole (one piece per draw)


class BatchReuseSpec(Spec):
    """One-pass spherical SGD against SGD that uses each fresh batch for two consecutive steps.

    Batch n_b = max(1, round(batch_factor d^batch_exponent)); the papers' n_b = d by default.
    Rate convention: the step on the batch-mean gradient is gamma = eta n_b / d (a per-sample rate
    eta / d), so that the second step on a reused batch sees each preactivation shifted by
    gamma h |x|^2 / n_b ~ eta h, d-independent; at n_b = d, gamma = eta: the papers' finite step.
    """

    degrees: list[int] = Field([3, 4], min_length=1, description="l of the he_l targets (student he_l too), each in 3 .. 6")
    ds: list[int] = Field([512, 1024, 2048], min_length=2, description="input dimensions d")
    batch_exponent: float = Field(1.0, ge=0, le=1.5, description="mu: batch n_b = round(batch_factor d^mu)")
    batch_factor: float = Field(1.0, gt=0, le=16, description="c: batch n_b = round(c d^mu) (c d at mu = 1)")
    eta: float = Field(
        0.1, gt=0, le=10, description="rate: gamma = eta n_b / d on the batch-mean gradient (gamma = eta at n_b = d)"
    )
    loss: Loss = Field("correlation", description="loss: square or correlation")
    overlap0: float = Field(1.0, gt=0, le=4, description="start overlap m0 = overlap0 / sqrt(d)")
    threshold: float = Field(0.2, gt=0, lt=1, description="weak recovery: |m| >= threshold (a d-independent overlap)")
    horizon: float = Field(40.0, gt=0, le=1e3, description="run length in samples / (d ln d) (batches / ln d at n_b = d)")
    save_points: int = Field(31, ge=3, le=400, description="recorded times: t = 0, then log-spaced up to the horizon")
    seeds: int = Field(64, ge=4, le=1024, description="independent runs per (degree, d, reuse)")
    seed: int = Field(0, ge=0, description="random seed of the sample streams")

    def batches(self) -> list[int]:
        """n_b for each d."""
        return [max(1, round(self.batch_factor * d**self.batch_exponent)) for d in self.ds]

    def _chain_work(self) -> float:
        """Sample evaluations of the one-pass ensemble (the reuse runs stop near 1 / horizon of it):
        every run pays the ensemble's largest batch, for its longest run."""
        largest = max(self.batches())
        draws = max(self.horizon * d * math.log(d) / n for d, n in zip(self.ds, self.batches(), strict=True))
        return len(self.degrees) * len(self.ds) * self.seeds * math.ceil(draws) * (largest + 8)

    def cost(self) -> Cost:
        # REUSE_COST_PER_SAMPLE per sample evaluation and ~5 s of compilation per ensemble (two per degree):
        # ~45 s at the full size (measured: 42 s on the loaded 2-core machine)
        saved = 2 * len(self.degrees) * len(self.ds) * self.seeds * self.save_points * 8 * 3
        pieces = 2 * len(self.degrees) * len(self.ds) * self.seeds * 8 * 2 * max(self.batches()) * 8 * 4
        return cost(
            (saved + pieces) / GIB,
            REUSE_COST_PER_SAMPLE * self._chain_work() + 10.0 * len(self.degrees),
            "horizon",
            "seeds",
            "ds",
        )

    @field_validator("ds")
    @classmethod
    def _ds(cls, ds: list[int]) -> list[int]:
        return _dimensions(ds, 16, 8192)

    @field_validator("degrees")
    @classmethod
    def _degrees(cls, degrees: list[int]) -> list[int]:
        if sorted(set(degrees)) != degrees or min(degrees) < 3 or max(degrees) > 6:
            raise BadInput("degrees", f"must increase strictly, each in 3 .. 6 (got {degrees})")
        return degrees

    @model_validator(mode="after")
    def _check(self) -> BatchReuseSpec:
        if self.overlap0 / math.sqrt(min(self.ds)) >= self.threshold:
            raise BadInput("overlap0", f"the start overlap0 / sqrt(min d) must lie below the threshold {self.threshold}")
        if max(self.batches()) > MAX_REUSED_BATCH:
            raise BadInput(
                "batch_factor",
                f"batches up to {MAX_REUSED_BATCH} samples (a reused batch is drawn whole; got n_b = {max(self.batches())}): "
                "lower batch_factor, batch_exponent or max(ds)",
            )
        if self._chain_work() > 2e11:
            raise BadInput(
                "horizon", f"at most 2e11 sample evaluations in all (got {self._chain_work():.3g}): lower horizon, seeds or ds"
            )
        return self
