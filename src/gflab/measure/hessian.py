"""Hessian spectra without forming the Hessian: Lanczos on Hessian-vector products (matfree).

H v = d/de grad L(w + e v) at e = 0 (forward-over-reverse, one gradient's cost). matfree's
tridiagonalisation (full reorthogonalisation) gives Ritz pairs (theta, u); each comes with
its residual |H u - theta u|, a bound on its distance to the spectrum (Bauer-Fike for
symmetric H), which is the error estimate reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gflab._jax import jax_module

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402


def hessian_vector_product(loss: Callable[[Any], jax.Array], params: Any) -> Callable[[Any], Any]:
    """v -> H(params) v by forward-mode differentiation of the gradient."""
    grad = jax.grad(loss)
    return lambda v: jax.jvp(grad, (params,), (v,))[1]


@dataclass(frozen=True)
class TopEigenvalues:
    """Largest Ritz values (descending), their residual error bounds, and the products used."""

    values: np.ndarray
    errors: np.ndarray
    matvecs: int


def _ritz_pairs(
    loss: Callable[[Any], jax.Array], params: Any, num_matvecs: int, seed: int
) -> tuple[jax.Array, jax.Array, Callable[[jax.Array], jax.Array]]:
    """Ritz values and vectors of the Hessian from ``num_matvecs`` Lanczos steps, and the
    flat matvec that produced them."""
    from matfree import decomp, eig

    flat, unravel = ravel_pytree(params)
    product = hessian_vector_product(loss, params)
    matvec = lambda v: ravel_pytree(product(unravel(v)))[0]  # noqa: E731
    v0 = jax.random.normal(jax.random.key(seed), flat.shape, flat.dtype)
    values, vectors = eig.eigh_partial(decomp.tridiag_sym(min(num_matvecs, flat.size)))(matvec, v0 / jnp.linalg.norm(v0))
    return values, vectors, matvec


def top_eigenvalues(
    loss: Callable[[Any], jax.Array], params: Any, *, k: int = 1, num_matvecs: int = 40, seed: int = 0
) -> TopEigenvalues:
    """The k largest eigenvalues of the Hessian of ``loss`` at ``params`` by Lanczos."""
    values, vectors, matvec = _ritz_pairs(loss, params, num_matvecs, seed)
    order = jnp.argsort(values)[::-1][:k]
    top, top_vectors = values[order], vectors[order]
    residuals = jnp.stack([jnp.linalg.norm(matvec(u) - theta * u) for theta, u in zip(top, top_vectors, strict=True)])
    return TopEigenvalues(values=np.asarray(top), errors=np.asarray(residuals), matvecs=int(values.shape[0]) + k)


def sharpness_array(loss: Callable[[Any], jax.Array], params: Any, num_matvecs: int = 20, seed: int = 0) -> jax.Array:
    """lambda_max by Lanczos as a traceable scalar (for observables inside jit / vmap)."""
    return jnp.max(_ritz_pairs(loss, params, num_matvecs, seed)[0])


def sharpness(loss: Callable[[Any], jax.Array], params: Any, **kwargs: Any) -> tuple[float, float]:
    """(lambda_max of the Hessian, its error bound)."""
    top = top_eigenvalues(loss, params, k=1, **kwargs)
    return float(top.values[0]), float(top.errors[0])
