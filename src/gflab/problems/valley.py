"""A valley of minima f(x, y) = h(x) y^2 with SGD-like noise on y, and its quasi-static limit.

E, Ma, Wojtowytsch & Wu, "Towards a mathematical theory of machine learning" (the talk's
example); Ma, Wu & E 2022 (the SDE of SGD near a manifold of minima drifts to flatter minima).

The manifold of minima is {y = 0}; its flatness is the curvature 2 h(x). The SDE of SGD near it,
with the noise covariance proportional to the Hessian there (D^2 = sigma^2/2 grad^2 f(x, 0)):

    dx = -h'(x) y^2 dt,    dy = -2 h(x) y dt + sqrt(eta h(x)) sigma dW

(the drift of y is -2 h(x) y: the talk's slide prints +2). The point {"x", "y"} may hold one
path (scalars) or several independent ones (arrays, the loss their sum). Quasi-static analysis
(:func:`gflab.theory.stability.valley_equilibrium_variance`): y equilibrates to
N(0, eta sigma^2 / 4) at every x, so x follows the gradient flow of eta sigma^2 h(x) / 4 and
drifts towards flatter minima (:class:`QuasiStatic`).

``h`` is named (:data:`gflab.theory.stability.Flatness`): ``quadratic`` h = 1 + x^2, ``cosh``
h = cosh(x), ``exponential`` h = exp(x).
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx

from gflab._jax import jax_module
from gflab.problems.base import AbstractProblem
from gflab.theory.stability import Flatness

jax_module()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

FLATNESS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "quadratic": lambda x: 1.0 + x**2,
    "cosh": jnp.cosh,
    "exponential": jnp.exp,
}
Point = dict[str, jax.Array]


class Valley(AbstractProblem):
    """f(x, y) = h(x) y^2 with the noise D(x, y) xi = sqrt(eta h(x)) sigma xi_y of SGD at step ``eta``."""

    eta: jax.Array  # () the SGD step that sets the noise scale
    sigma: jax.Array  # ()
    key: jax.Array  # raw uint32 key data of the noise
    h: Flatness = eqx.field(static=True, default="quadratic")

    def loss(self, params: Point) -> jax.Array:
        return jnp.sum(FLATNESS[self.h](params["x"]) * params["y"] ** 2)

    def diffusion(self, params: Point, xi: Point) -> Point:
        """D(x, y) xi: noise on y only, sqrt(eta h(x)) sigma."""
        return {"x": jnp.zeros_like(xi["x"]), "y": jnp.sqrt(self.eta * FLATNESS[self.h](params["x"])) * self.sigma * xi["y"]}


class QuasiStatic(AbstractProblem):
    """L(x) = coefficient h(x): its gradient flow is dx/dt = -eta sigma^2 h'(x) / 4."""

    coefficient: jax.Array
    h: Flatness = eqx.field(static=True, default="quadratic")

    def loss(self, x: jax.Array) -> jax.Array:
        return self.coefficient * jnp.sum(FLATNESS[self.h](x))


def position(problem: QuasiStatic, x: jax.Array) -> jax.Array:
    """Observable: the position x of the quasi-static flow."""
    return x
