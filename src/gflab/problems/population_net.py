"""The population loss of a two-layer erf network against an erf teacher, in closed form.

For x ~ N(0, I_d), E[erf(u . x) erf(v . x)] = (2/pi) arcsin(2 u.v / sqrt((1 + 2|u|^2)(1 + 2|v|^2)))
(Williams 1997), so with the student f(x) = s sum_j a_j erf(w_j . x) (s = 1, 1/sqrt(m) or 1/m:
the scalings of :mod:`gflab.theory.networks`) and the teacher f*(x) = sum_k b_k erf(v_k . x),

    L = 1/2 E[(f - f*)^2] = 1/2 (s^2 a^T K(W, W) a - 2 s a^T K(W, V) b + b^T K(V, V) b),

exact: no sample, no sampling error (Saad and Solla 1995 for the same model under online SGD).
"""

from __future__ import annotations

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.problems.base import AbstractProblem
from gflab.problems.networks import Params
from gflab.theory.networks import Scaling, width_normalisation

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def erf_kernel(u: jax.Array, v: jax.Array) -> jax.Array:
    """E[erf(u_i . x) erf(v_j . x)] for the rows of u and v."""
    nu = 1 + 2 * jnp.sum(u**2, axis=1)
    nv = 1 + 2 * jnp.sum(v**2, axis=1)
    return 2 / np.pi * jnp.arcsin(2 * (u @ v.T) / jnp.sqrt(nu[:, None] * nv[None, :]))


class PopulationErfNet(AbstractProblem):
    """L(w, a) = E_x[(f(x) - f*(x))^2] / 2 for x ~ N(0, I_d), exact (no samples)."""

    teacher_w: jax.Array  # (k, d)
    teacher_a: jax.Array  # (k,)
    scaling: Scaling = eqx.field(static=True, default="conventional")

    def loss(self, params: Params) -> jax.Array:
        w, a = params["w"], params["a"]
        s = 1 / width_normalisation(self.scaling, w.shape[0])
        student = s**2 * a @ erf_kernel(w, w) @ a
        cross = s * a @ erf_kernel(w, self.teacher_w) @ self.teacher_a
        teacher = self.teacher_a @ erf_kernel(self.teacher_w, self.teacher_w) @ self.teacher_a
        return 0.5 * (student - 2 * cross + teacher)
