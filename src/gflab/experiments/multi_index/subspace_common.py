"""What the subspace experiments share: the problems in reduced coordinates, the stop event, the runs.

Bietti, Bruna & Pillaud-Vivien 2023.

Both losses depend on W only through M = W V^T, so the flow stays in span(W(0), V): every run
is in the 2r coordinates of :func:`~gflab.problems.subspace.reduced_start` (exact; the tests
check it against the full-d flow), with V the first r axes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gflab._jax import jax_module
from gflab.dynamics import GradientFlow
from gflab.experiments.multi_index.specs import SubspaceSpec
from gflab.problems.subspace import GrassmannTwoTimescale, PlantedStiefel, link_tensors, orthonormalised
from gflab.simulation import Save, Stop, Trajectory, simulate
from gflab.theory.subspace import LINKS

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


@dataclass(frozen=True)
class SubspaceReached:
    """Stop event: |sin Theta|_F = sqrt(r - |M|_F^2) below ``tol``."""

    tol: float

    def __call__(self, problem: GrassmannTwoTimescale, w: jax.Array) -> jax.Array:
        m = problem.overlaps(w)
        return jnp.sqrt(jnp.maximum(m.shape[0] - jnp.sum(m**2), 0.0)) < self.tol


def subspace_problem(spec: SubspaceSpec, planted: bool) -> GrassmannTwoTimescale | PlantedStiefel:
    """The planted or the two-timescale loss of the spec's link, V the first r of 2r axes."""
    r = spec.r
    tensors = tuple(jnp.asarray(t) for t in link_tensors(LINKS[spec.link]))
    cls = PlantedStiefel if planted else GrassmannTwoTimescale
    return cls(index=jnp.asarray(np.eye(r, 2 * r)), tensors=tensors)


def run_subspaces(
    spec: SubspaceSpec,
    y0: np.ndarray,
    *,
    planted: bool,
    stop: Stop,
    t1: float,
    save: Save = Save(),
    progress: bool = False,
    description: str = "subspaces",
) -> Trajectory:
    """Gradient flow of an ensemble of subspaces (rows of ``y0``, reduced coordinates (r, 2r))."""
    return simulate(
        subspace_problem(spec, planted),
        GradientFlow(rtol=spec.rtol, atol=spec.atol, t1=t1),
        jnp.asarray(y0),
        y0_batched=True,
        save=save,
        stop=stop,
        progress=progress,
        description=description,
    )


def final_overlaps(traj: Trajectory, r: int) -> np.ndarray:
    """M = W V^T at the end of each trajectory."""
    w = np.asarray(jax.vmap(orthonormalised)(jnp.asarray(traj.final_params)))
    return np.asarray(w[..., :r])
