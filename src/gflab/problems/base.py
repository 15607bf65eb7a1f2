"""The problem abstraction: a pure loss of a parameter pytree."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import equinox as eqx

from gflab._jax import jax_module

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

Params = Any


class AbstractProblem(eqx.Module):
    """What is learned: a loss ``L(params)`` (what is observed along a trajectory are
    functions of (problem, params) handed to :class:`gflab.Save`).

    Subclasses are final ``eqx.Module`` s; ensembles batch some of their array fields
    (for example one target per trajectory) and :func:`gflab.simulate` vmaps over them.
    """

    #: True when, for a parameter array W of shape (rows, D), row i of grad L depends on row i
    #: only and L is the sum of the rows' losses (neurons that do not interact), with
    #: ``value_and_gradient`` of one row (D,) giving that row's share. Explicit steps on a
    #: large W then run block by block of rows, each block's stages in cache
    #: (:func:`gflab.dynamics.runge_kutta.row_mapped_rk_step`).
    independent_rows: ClassVar[bool] = False

    @abc.abstractmethod
    def loss(self, params: Params) -> jax.Array:
        """Scalar loss at ``params``."""

    def gradient(self, params: Params) -> Params:
        """grad L(params): autodiff by default; problems may override it with a closed form
        (fewer passes over large parameters), which the tests check against autodiff."""
        return jax.grad(self.loss)(params)

    def value_and_gradient(self, params: Params) -> tuple[jax.Array, Params]:
        """``(L, grad L)``: one forward-backward pass when the gradient is autodiff's (the
        loss is its by-product); the loss and the closed form otherwise."""
        if type(self).gradient is AbstractProblem.gradient:
            return jax.value_and_grad(self.loss)(params)
        return self.loss(params), self.gradient(params)

    def retract(self, params: Params) -> Params:
        """Map back onto the parameter manifold after a discrete step (identity: Euclidean)."""
        return params

    def loss_and_grad_norm(self, params: Params) -> tuple[jax.Array, jax.Array]:
        """``(L, |grad L|)``: what stop rules and verdicts are made of."""
        value, grad = self.value_and_gradient(params)
        leaves = jax.tree_util.tree_leaves(grad)
        return value, jnp.sqrt(sum(jnp.sum(g**2) for g in leaves))
