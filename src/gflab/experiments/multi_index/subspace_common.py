"""What the seed-003 experiments share: spec fields, the problems in reduced coordinates, events.

Both losses depend on W only through M = W V^T, so the flow stays in span(W(0), V): every run
is in the 2r coordinates of :func:`~gflab.problems.subspace.reduced_start` (exact; the tests
check it against the full-d flow), with V the first r axes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.experiments.base import Spec
from gflab.problems.subspace import LINKS, GrassmannTwoTimescale, PlantedStiefel, link_rank, link_tensors, orthonormalised
from gflab.simulation import Save, Stop, Trajectory, simulate

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class SubspaceSpec(Spec):
    link: str = Field("staircase", description="link g (a name of gflab.problems.subspace.LINKS)")
    t1: float = Field(1e6, gt=0)
    rtol: float = Field(1e-8, gt=0, lt=1)
    atol: float = Field(1e-10, gt=0)
    distance_tol: float = Field(1e-3, gt=0, lt=1, description="global minimum: subspace distance below this")
    seed: int = Field(0, ge=0)

    @field_validator("link")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in LINKS:
            raise BadInput("link", f"unknown link {name!r}; accepted: {', '.join(LINKS)}")
        return name

    @property
    def r(self) -> int:
        return link_rank(LINKS[self.link])


@dataclass(frozen=True)
class SubspaceReached:
    """Stop event: |sin Theta|_F = sqrt(r - |M|_F^2) below ``tol``."""

    tol: float

    def __call__(self, problem: GrassmannTwoTimescale, w: jax.Array) -> jax.Array:
        m = problem.overlaps(w)
        return jnp.sqrt(jnp.maximum(m.shape[0] - jnp.sum(m**2), 0.0)) < self.tol


def subspace_problem(spec: SubspaceSpec, planted: bool) -> Any:
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
    from gflab.dynamics import GradientFlow

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
