"""What the correlation-loss experiments of seed 001 share: the spec fields, phi, the neuron runs.

Under the correlation loss neurons do not interact, so an ensemble of neurons (from many
seeds, dimensions or Gram matrices) is one :func:`gflab.simulate` call, each trajectory one
neuron in the reduced coordinates (a_1..a_k, rho) of :func:`~gflab.problems.multi_index.sphere_start`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field, field_validator

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.experiments.base import Spec
from gflab.hermite import ACTIVATIONS, correlation_polynomial, expand, information_exponent, parity
from gflab.problems.multi_index import SphereCorrelation, embed
from gflab.simulation import Save, Stop, Trajectory, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

ActivationName = str


class SphereNeuronSpec(Spec):
    """Spec fields of the correlation-loss experiments (seed 001)."""

    sigma: ActivationName = Field("he3", description="student activation")
    sigma_star: ActivationName = Field("he3", description="teacher activation")
    max_degree: int = Field(32, ge=1, le=128, description="Hermite truncation cap for phi")
    t1: float = Field(1e6, gt=0, description="final time")
    gtol: float = Field(
        1e-6, gt=0, description="stop when the Riemannian gradient norm is below gtol (above the solver's floor ~ rtol)"
    )
    rtol: float = Field(1e-8, gt=0, lt=1)
    atol: float = Field(1e-12, gt=0)
    seed: int = Field(0, ge=0)

    @field_validator("sigma", "sigma_star")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in ACTIVATIONS:
            raise BadInput("sigma", f"unknown activation {name!r}; accepted: {', '.join(ACTIVATIONS)}")
        return name

    def _coefficients(self) -> tuple[np.ndarray, np.ndarray]:
        """Hermite coefficients of (sigma, sigma*)."""
        return expand(self.sigma, max_degree=self.max_degree).coefficients, expand(
            self.sigma_star, max_degree=self.max_degree
        ).coefficients

    def phi(self) -> np.ndarray:
        """phi(t) = sum_p c_p(sigma) c_p(sigma*) t^p."""
        return correlation_polynomial(*self._coefficients())

    def mse_phis(self) -> dict[str, np.ndarray]:
        """phi_ss, phi_st, phi_tt of the population MSE loss (:class:`~gflab.problems.multi_index.SphereMSE`)."""
        student, teacher = self._coefficients()
        return {
            "phi_ss": correlation_polynomial(student, student),
            "phi_st": correlation_polynomial(student, teacher),
            "phi_tt": correlation_polynomial(teacher, teacher),
        }

    def information_exponent(self) -> int:
        p = information_exponent(self.phi())
        if p is None:
            raise BadInput("sigma_star", f"phi is constant for sigma={self.sigma}, sigma_star={self.sigma_star}")
        return p

    def phi_parity(self) -> str:
        return parity(self.phi())


@dataclass(frozen=True)
class OverlapReached:
    """Stop event: every neuron's best overlap (|m| for even phi) reaches ``level`` (one neuron
    (D,) or a network (n, D))."""

    level: float
    even: bool

    def __call__(self, problem: SphereCorrelation, w: jax.Array) -> jax.Array:
        m = problem.overlaps(w)
        return jnp.min(jnp.max(jnp.abs(m) if self.even else m, axis=-1)) >= self.level


def signed_overlaps(overlaps: np.ndarray, phi_parity: str) -> np.ndarray:
    """Overlaps as the dynamics sees them: |m| for even phi (w and -w are equally good), m otherwise."""
    return np.abs(overlaps) if phi_parity == "even" else overlaps


def run_neurons(
    spec: SphereNeuronSpec,
    index: np.ndarray,
    y0: np.ndarray,
    *,
    save: Save = Save(),
    batched_index: bool = False,
    stop: Stop | None = None,
    t1: float | None = None,
    progress: bool = False,
    description: str = "neurons",
) -> Trajectory:
    """Spherical gradient flow of independent neurons (rows of ``y0``) under the correlation loss.

    ``index`` holds the index vectors in the neurons' coordinates, (k, D), or one set per
    neuron, (N, k, D), with ``batched_index``. ``stop`` and ``t1`` default to the spec's
    (``|grad| < gtol`` and ``t1``).
    """
    from gflab.dynamics import GradientFlow

    dim = y0.shape[-1]
    problem = SphereCorrelation(index=jnp.asarray(embed(index, dim)), phi=jnp.asarray(spec.phi()))
    return simulate(
        problem,
        GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=spec.t1 if t1 is None else t1),
        jnp.asarray(y0),
        y0_batched=True,
        over=(lambda p: p.index) if batched_index else None,
        save=save,
        stop=Stop(gtol=spec.gtol) if stop is None else stop,
        progress=progress,
        description=description,
    )
