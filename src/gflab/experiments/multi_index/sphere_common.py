"""What the correlation-loss experiments share: phi of the spec's activations, the stop event, the neuron runs.

Simsek, Bendjeddou & Hsu 2024. Under the correlation loss neurons do not interact, so an
ensemble of neurons (from many seeds, dimensions or Gram matrices) is one
:func:`gflab.simulate` call, each trajectory one neuron in the reduced coordinates
(a_1..a_k, rho) of :func:`~gflab.problems.multi_index.sphere_start`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gflab._jax import jax_module
from gflab.dynamics import GradientFlow
from gflab.experiments.multi_index.specs import SphereNeuronSpec
from gflab.hermite import correlation_polynomial, information_exponent, parity
from gflab.problems.multi_index import SphereCorrelation, embed
from gflab.simulation import Save, Stop, Trajectory, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def phi_of(spec: SphereNeuronSpec) -> np.ndarray:
    """phi(t) = sum_p c_p(sigma) c_p(sigma*) t^p, ascending coefficients."""
    return spec.phi


def mse_phis_of(spec: SphereNeuronSpec) -> dict[str, np.ndarray]:
    """phi_ss, phi_st, phi_tt of the population MSE loss (:class:`~gflab.problems.multi_index.SphereMSE`)."""
    student, teacher = spec.coefficients
    return {
        "phi_ss": correlation_polynomial(student, student),
        "phi_st": correlation_polynomial(student, teacher),
        "phi_tt": correlation_polynomial(teacher, teacher),
    }


def information_exponent_of(spec: SphereNeuronSpec) -> int:
    """p*, the lowest degree of phi above 0 (the spec refuses a constant phi)."""
    p = information_exponent(phi_of(spec))
    assert p is not None, "SphereNeuronSpec refuses a constant phi"
    return p


def parity_of(spec: SphereNeuronSpec) -> str:
    """Parity of phi ('odd', 'even' or 'mixed', its constant ignored): even phi sees |m| only."""
    return parity(phi_of(spec))


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
    dim = y0.shape[-1]
    problem = SphereCorrelation(index=jnp.asarray(embed(index, dim)), phi=jnp.asarray(phi_of(spec)))
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
