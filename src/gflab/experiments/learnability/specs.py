"""The specs of the learnability family (Yarotsky 2024): parameters, their meaning, their checks.

JAX-free, so that ``gflab`` can list and validate them without importing JAX. A parameter
that does not apply to the chosen model or dynamics is refused (exit 2), never ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from gflab.errors import BadInput
from gflab.experiments.base import Spec
from gflab.theory.learnability import (
    FREE_W_MODELS,
    HIERARCHICAL_MAX_D,
    HIERARCHICAL_MAX_STAGES,
    HIERARCHICAL_U_START,
    ModelName,
    check_dims,
    check_stages,
)

DynamicsName = Literal["flow", "gd", "adiabatic"]
#: Parameters that belong to some dynamics only (refused under the others when given).
DYNAMICS_ONLY: dict[str, tuple[str, ...]] = {"eta": ("gd",), "rtol": ("flow",), "atol": ("flow",)}
#: Parameters of the zoo models that only some of them have.
MODEL_ONLY: dict[str, tuple[str, ...]] = {"terms": ("trig",), "degree": ("poly",)}
HIERARCHICAL_ONLY = ("n_stages", "m", "eps")
#: Why each zoo-flow parameter does not apply to model=hierarchical (its adiabatic limit).
NOT_FOR_HIERARCHICAL: dict[str, str] = {
    "w0": f"every path starts on the root curve at u = {HIERARCHICAL_U_START}, at the nearest point to its target",
    "tol": "a target counts as learned within the design's resolution delta_N (loss below delta_N^2 / 2)",
    "gtol": "in the adiabatic limit a target is trapped exactly where u stalls (du/dt <= 0)",
    "eta": "the adiabatic limit steps in u, not by a learning rate",
    "rtol": "the adiabatic limit is a continuation in u, with no ODE solver",
    "atol": "the adiabatic limit is a continuation in u, with no ODE solver",
    "terms": "a parameter of the trig model",
    "degree": "a parameter of the poly model",
    "n_show": "trajectories are drawn for the zoo models",
}


class CurveFlowSpec(Spec):
    """Parameters shared by the curve-model experiments: a zoo model, its dynamics and the
    stop rules that make the verdicts."""

    d: int = Field(2, ge=1, le=64, description="target dimension")
    W: int | None = Field(None, ge=1, le=16, description="parameters of trig/poly (default min(2, d - 1))")
    terms: int = Field(3, ge=1, le=64, description="sines per output of the trig model")
    degree: int = Field(3, ge=1, le=6, description="total degree of the poly model")
    w0: float = Field(0.0, description="every parameter starts at w0")
    dynamics: DynamicsName = Field(
        "flow",
        description="flow (adaptive ODE solver), gd, or adiabatic: the lambda -> infinity limit of a two-timescale model "
        "(model=hierarchical, its default and only dynamics)",
    )
    eta: float = Field(0.1, gt=0, description="GD step size (dynamics=gd); time t = steps x eta")
    t1: float = Field(
        1e4, gt=0, description="final time (model=hierarchical: the paths run over u in [0.05, t1), default t1 = n_stages)"
    )
    tol: float = Field(1e-6, gt=0, description="learned: loss below tol")
    gtol: float = Field(1e-5, gt=0, description="trapped: |grad| below gtol with the loss above tol")
    rtol: float = Field(1e-6, gt=0, lt=1, description="relative tolerance of the ODE solver (dynamics=flow)")
    atol: float = Field(1e-8, gt=0, description="absolute tolerance of the ODE solver (dynamics=flow)")
    bound: float = Field(1e6, gt=0, description="diverged: |w|, loss or |grad| beyond bound")
    seed: int = Field(0, ge=0, description="seed of the model's random coefficients and of the targets")

    def two_timescale(self) -> bool:
        """Whether the model has a fast variable (then it runs in its adiabatic limit)."""
        return False

    @model_validator(mode="after")
    def _dynamics_fit_the_model(self) -> CurveFlowSpec:
        if self.two_timescale() != (self.dynamics == "adiabatic"):
            why = (
                "the hierarchical model runs in its adiabatic limit (its finite-lambda flow is stiff: level n holds ~(2m)^-n of sigma)"
                if self.two_timescale()
                else "a zoo model has no fast variable to take the adiabatic limit of"
            )
            raise BadInput("dynamics", f"{why}; accepted: {'adiabatic' if self.two_timescale() else 'flow, gd'}")
        for name, owners in DYNAMICS_ONLY.items():
            if name in self.model_fields_set and self.dynamics not in owners:
                raise BadInput(name, f"a parameter of dynamics={' or '.join(owners)} only (got dynamics={self.dynamics})")
        return self


class LearnabilitySpec(CurveFlowSpec):
    """Which targets a model learns: ``n_targets`` targets, one trajectory each."""

    model: ModelName | Literal["hierarchical"] = Field(
        "sin-curve", description="zoo model (sin-curve, linear, trig, poly) or hierarchical (Theorem 6's two-parameter model)"
    )
    n_targets: int = Field(10_000, ge=1, le=10_000_000, description="number of targets, one trajectory each")
    targets: Literal["uniform", "gaussian"] = Field(
        "uniform", description="uniform on [-box, box]^d or N(0, box^2 I); model=hierarchical: uniform on [0, 1]^d"
    )
    box: float = Field(1.0, gt=0, description="half-width of the uniform targets' cube, or the Gaussian targets' scale")
    grid: int = Field(
        0,
        ge=0,
        le=1000,
        description="verdict image of grid x grid targets (d = 2; model=hierarchical: a slice in f0, f1); 0: none",
    )
    n_show: int = Field(6, ge=0, le=50, description="trajectories drawn in target space (zoo models)")
    n_stages: int | None = Field(None, ge=1, le=HIERARCHICAL_MAX_D, description="model=hierarchical: stages N <= d (default d)")
    m: int = Field(150, ge=2, le=1000, description="model=hierarchical: children per split")
    eps: float = Field(0.05, gt=0, lt=1, description="model=hierarchical: design eps, the total gap measure")

    def two_timescale(self) -> bool:
        return self.model == "hierarchical"

    @model_validator(mode="before")
    @classmethod
    def _hierarchical_defaults(cls, data: Any) -> Any:
        """model=hierarchical runs in the adiabatic limit, over u in [0.05, t1) with t1 = N by default."""
        if isinstance(data, dict) and data.get("model") == "hierarchical":
            stages = data.get("n_stages") or data.get("d", cls.model_fields["d"].default)
            return {"dynamics": "adiabatic", "t1": stages, **data}
        return data

    @model_validator(mode="after")
    def _dims(self) -> LearnabilitySpec:
        given = self.model_fields_set
        if self.model != "hierarchical":
            check_dims(self.model, self.d, self.W)
            for name in HIERARCHICAL_ONLY:
                if name in given:
                    raise BadInput(name, f"a parameter of model=hierarchical only (got model={self.model})")
            for name, owners in MODEL_ONLY.items():
                if name in given and self.model not in owners:
                    raise BadInput(name, f"a parameter of model={' or '.join(owners)} only (got model={self.model})")
            return self
        if not 2 <= self.d <= HIERARCHICAL_MAX_D:
            raise BadInput("d", f"the hierarchical model is built for 2 <= d <= {HIERARCHICAL_MAX_D} (got {self.d})")
        check_stages(self.n_stages, self.d)
        if self.W not in (None, 2):
            raise BadInput("W", f"the hierarchical model has W = 2 (got {self.W})")
        if self.targets != "uniform" or self.box != 1.0:
            raise BadInput(
                "targets", "the hierarchical model is designed for targets uniform on [0, 1]^d; accepted: targets=uniform, box=1"
            )
        for name, why in NOT_FOR_HIERARCHICAL.items():
            if name in given:
                raise BadInput(name, f"does not apply to model=hierarchical: {why}")
        stages = self.n_stages or self.d
        if not HIERARCHICAL_U_START < self.t1 <= stages:
            raise BadInput(
                "t1",
                f"model=hierarchical: the paths run over u in [{HIERARCHICAL_U_START}, t1), so {HIERARCHICAL_U_START} < t1 <= "
                f"n_stages = {stages} (the stages deform the curve for u < n_stages; got {self.t1})",
            )
        return self


class SphereSpec(CurveFlowSpec):
    """Theorem 4: zoo models with W < d, a W-sphere of targets each."""

    models: tuple[ModelName, ...] = Field(
        ("sin-curve", "trig", "poly"), min_length=1, description="zoo models (each needs W < d); W applies to trig and poly"
    )
    centre: float = Field(0.0, description="every coordinate of the sphere's centre")
    radius: float = Field(0.8, gt=0, description="radius of the sphere of targets")
    n_points: int = Field(400, ge=8, le=100_000, description="targets sampled on the sphere")
    bisections: int = Field(30, ge=0, le=60, description="bisection steps on each jump of the limit map")
    max_jumps: int = Field(8, ge=1, le=256, description="jumps refined per model")

    @model_validator(mode="after")
    def _dims(self) -> SphereSpec:
        for name in self.models:
            W = check_dims(name, self.d, self.W if name in FREE_W_MODELS else None)
            if not W < self.d:
                raise BadInput("models", f"{name} has W = {W}, not below d = {self.d}")
            if W > 2:
                raise BadInput("W", f"spheres of dimension 1 or 2 are supported (got W = {W} for {name})")
        return self


GAP_OVERSAMPLING = 200  # candidates per kept target when only gap targets are kept (gaps hold ~5%)
MAX_GAP_TARGETS = 20_000  # bounds the candidates' memory (4e6 x d floats)


class HierarchicalSpec(Spec):
    """Theorem 6: the hierarchical two-parameter model in its adiabatic limit."""

    d: int = Field(3, ge=2, le=HIERARCHICAL_MAX_D, description="target dimension")
    n_stages: int | None = Field(
        None,
        ge=1,
        le=HIERARCHICAL_MAX_STAGES,
        description="stages N (default d); stage n >= d splits x_(n mod d) again, up to what float64 holds for d, m, eps",
    )
    m: int = Field(150, ge=2, le=1000, description="children per first split (a re-split, stage n >= d, derives its own)")
    eps: float = Field(0.05, gt=0, lt=1, description="design eps: total gap measure")
    n_targets: int = Field(10_000, ge=1, le=1_000_000, description="number of targets, one adiabatic path each")
    targets: Literal["box", "sphere"] = Field(
        "box", description="uniform in [0, 1]^d, or a Fibonacci lattice on the 2-sphere of radius `radius` about the box's centre"
    )
    radius: float = Field(0.3, gt=0, le=0.5, description="radius of the sphere of targets (targets = sphere)")
    in_gaps: bool = Field(False, description="keep only targets in the design's gaps (a search for the non-learned ones)")
    du: float = Field(1e-3, gt=0, le=0.05, description="continuation step in u (the adiabatic limit's shortest step)")
    move_tol: float | None = Field(
        1e-4,
        gt=0,
        le=1e-2,
        description="adaptive steps in u: a step longer than du where the nearest point moved by at most this "
        "(null: the fixed grid of du)",
    )
    iterations: int = Field(32, ge=1, le=256, description="descent steps on sigma per step in u")
    slots: int = Field(256, ge=1, le=100_000, description="paths held at once per device (bounds memory)")
    zoo: tuple[ModelName, ...] = Field(
        (),
        description="zoo models (default W for d) run by gradient flow on the same targets, learned at the same accuracy delta_N",
    )
    picture: bool = Field(False, description="draw the level curves of a coarse (m = 4) model, like Figures 2-3 of Yarotsky 2024")
    seed: int = Field(0, ge=0, description="seed of the uniform targets (targets = box) and of the zoo models' coefficients")

    @model_validator(mode="after")
    def _sphere_fits(self) -> HierarchicalSpec:
        if self.targets == "sphere" and self.d < 3:
            raise BadInput("targets", f"a 2-sphere of targets needs d >= 3 (got d = {self.d}); accepted for d = 2: box")
        for name in self.zoo:
            check_dims(name, self.d, None)
        if self.in_gaps and self.n_targets > MAX_GAP_TARGETS:
            raise BadInput(
                "n_targets", f"at most {MAX_GAP_TARGETS} with in_gaps (each is searched among {GAP_OVERSAMPLING} candidates)"
            )
        # last, as it imports JAX: the depth float64 holds for this design (also at the default N = d)
        from gflab.problems.hierarchical_design import max_stages

        check_stages(self.n_stages, self.d, deepest=max_stages(self.d, self.m, self.eps))
        return self


class HierarchicalFlowSpec(Spec):
    """Theorem 6 by the genuine gradient flow of Phi(u, v) = Gamma(u, sigma_0 + lambda v)."""

    d: int = Field(3, ge=2, le=HIERARCHICAL_MAX_D, description="target dimension (N = d stages)")
    m: int = Field(150, ge=2, le=1000, description="children per split")
    eps: float = Field(0.05, gt=0, lt=1, description="design eps: total gap measure")
    lam: float = Field(100.0, gt=0, le=1e4, description="lambda of the map Phi(u, v) = Gamma(u, sigma_0 + lambda v)")
    n_targets: int = Field(256, ge=1, le=100_000, description="uniform targets in [0, 1]^d, one flow each")
    rtol: float = Field(1e-4, gt=0, lt=1, description="relative tolerance of the Rosenbrock solver on u")
    atol_u: float = Field(1e-6, gt=0, le=1, description="absolute tolerance on u")
    unit_tol: float = Field(
        1e-3, gt=0, le=1, description="tolerance on sigma = sigma_0 + lambda v, in units of the local level's unit length"
    )
    t1: float = Field(1e6, gt=0, le=1e9, description="flow time limit (undecided beyond)")
    max_steps: int = Field(100_000, ge=1, le=10_000_000, description="solver steps per flow (undecided beyond)")
    fast_relax: bool = Field(
        False,
        description="where the solver's step collapses (below its floor), relax sigma at fixed u instead of failing",
    )
    gtol: float = Field(1e-12, gt=0, description="trapped: |grad L| below gtol with the target farther than delta_N")
    compare: bool = Field(True, description="run the adiabatic path (lambda -> infinity) on the same targets")
    lambdas: tuple[float, ...] = Field(
        (), max_length=8, description="further lambda values (each > 0), run on the first sweep_targets targets"
    )
    sweep_targets: int = Field(32, ge=1, le=10_000, description="targets of the lambda sweep")
    n_show: int = Field(4, ge=0, le=50, description="flows drawn in target space")
    slots: int = Field(256, ge=1, le=100_000, description="flows held at once per device (bounds memory)")
    seed: int = Field(0, ge=0, description="seed of the uniform targets")

    @model_validator(mode="after")
    def _lambdas_positive(self) -> HierarchicalFlowSpec:
        if any(not 0 < lam <= 1e4 for lam in self.lambdas):
            raise BadInput("lambdas", f"every lambda must lie in (0, 1e4] (got {list(self.lambdas)})")
        if self.lambdas and self.sweep_targets > self.n_targets:
            raise BadInput("sweep_targets", f"at most n_targets = {self.n_targets} (got {self.sweep_targets})")
        return self
