"""Hessian spectra without forming the Hessian: Krylov methods on Hessian-vector products.

H v = d/de grad L(w + e v) at e = 0 (forward-over-reverse, one gradient's cost). On top of it,
with matfree for the Krylov parts:

- top eigenvalues by Lanczos (full reorthogonalisation); each Ritz pair (theta, u) comes with
  its residual |H u - theta u|, a bound on its distance to the spectrum (Bauer-Fike for
  symmetric H), which is the error estimate reported;
- the trace by Hutchinson's estimator E[v^T H v] (Rademacher v), with its standard error;
- the spectral density by stochastic Lanczos quadrature (Ubaru, Chen and Saad 2017): for each
  probe, the Ritz values theta_k with weights (u_k . v)^2 are a Gauss quadrature of the
  probe's spectral measure; the density is their Gaussian-smoothed average;
- the non-uniformity s of Wu, Ma & E 2018 ("How SGD selects the global minima in
  over-parameterized learning"): s^2 = lambda_max((1/n) sum_i H_i^2 - H^2) with H_i the
  per-sample Hessians, Sigma v = (1/n) sum_i H_i (H_i v) - H (H v) by vmapped per-sample
  products, never a matrix.

Every function takes ``block``: the name of one parameter block (a key of a dict of
parameters), giving that block's diagonal block of the Hessian (the others held fixed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import equinox as eqx
import numpy as np

from gflab._jax import jax_module

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402

Loss = Callable[[Any], jax.Array]
FlatOperator = Callable[[jax.Array], jax.Array]


def hessian_vector_product(loss: Loss, params: Any) -> Callable[[Any], Any]:
    """v -> H(params) v by forward-mode differentiation of the gradient."""
    grad = jax.grad(loss)
    return lambda v: jax.jvp(grad, (params,), (v,))[1]


def restrict(loss: Loss, params: Any, block: str | None) -> tuple[Loss, Any]:
    """(loss, params) of one parameter block with the others fixed (the whole problem if None)."""
    if block is None:
        return loss, params
    if block not in params:
        from gflab.errors import BadInput

        raise BadInput("block", f"unknown parameter block {block!r}; accepted: {', '.join(sorted(params))}")
    return (lambda b: loss({**params, block: b})), params[block]


def _hessian_product(loss: Loss, params: Any, block: str | None, v: jax.Array) -> jax.Array:
    """H v on flat vectors (the Hessian of ``block``, the others held fixed)."""
    loss, params = restrict(loss, params, block)
    _, unravel = ravel_pytree(params)
    return ravel_pytree(hessian_vector_product(loss, params)(unravel(v)))[0]


def _flat_hessian_operator(loss: Loss, params: Any, block: str | None) -> tuple[FlatOperator, jax.Array]:
    """The Hessian (of ``block``) as a matvec on flat vectors, and the flat parameters.

    The matvec is a pytree (``eqx.Partial``) whose arrays (the parameters, and those of a loss
    given as an equinox module's method) are inputs of the compiled Krylov programs, not
    constants: a second call at other parameters of the same shapes reuses them."""
    flat = ravel_pytree(restrict(loss, params, block)[1])[0]
    return eqx.Partial(_hessian_product, loss, params, block), flat


def dense_hessian(loss: Loss, params: Any, block: str | None = None) -> np.ndarray:
    """The Hessian as a dense (P, P) matrix, for cross-checks on small models."""
    loss, params = restrict(loss, params, block)
    flat, unravel = ravel_pytree(params)
    return np.asarray(jax.hessian(lambda v: loss(unravel(v)))(flat))


def _lanczos(matvec: FlatOperator, like: jax.Array, num_matvecs: int, key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Ritz values, Ritz vectors (rows) and the unit start vector of ``num_matvecs`` Lanczos steps."""
    from matfree import decomp, eig

    v0 = jax.random.normal(key, like.shape, like.dtype)
    v0 = v0 / jnp.linalg.norm(v0)
    values, vectors = eig.eigh_partial(decomp.tridiag_sym(min(num_matvecs, like.size)))(matvec, v0)
    return values, vectors, v0


@dataclass(frozen=True)
class TopEigenvalues:
    """Largest Ritz values (descending), their residual error bounds, and the products used."""

    values: np.ndarray
    errors: np.ndarray
    matvecs: int


@eqx.filter_jit
def _top_arrays(matvec: FlatOperator, like: jax.Array, k: int, num_matvecs: int, key: jax.Array) -> tuple[jax.Array, ...]:
    values, vectors, _ = _lanczos(matvec, like, num_matvecs, key)
    order = jnp.argsort(values)[::-1][:k]
    top, top_vectors = values[order], vectors[order]
    residuals = jnp.stack([jnp.linalg.norm(matvec(u) - theta * u) for theta, u in zip(top, top_vectors, strict=True)])
    return top, residuals, values


def _top(matvec: FlatOperator, like: jax.Array, k: int, num_matvecs: int, seed: int) -> TopEigenvalues:
    top, residuals, values = _top_arrays(matvec, like, k, num_matvecs, jax.random.key(seed))
    return TopEigenvalues(values=np.asarray(top), errors=np.asarray(residuals), matvecs=int(values.shape[0]) + k)


def top_eigenvalues(
    loss: Loss, params: Any, *, k: int = 1, num_matvecs: int = 40, seed: int = 0, block: str | None = None
) -> TopEigenvalues:
    """The k largest eigenvalues of the Hessian of ``loss`` at ``params`` by Lanczos."""
    matvec, flat = _flat_hessian_operator(loss, params, block)
    return _top(matvec, flat, k, num_matvecs, seed)


def sharpness_array(loss: Loss, params: Any, num_matvecs: int = 20, seed: int = 0) -> jax.Array:
    """lambda_max by Lanczos as a traceable scalar (for observables inside jit / vmap): the
    largest Ritz value, a lower bound that converges from below as ``num_matvecs`` grows."""
    matvec, flat = _flat_hessian_operator(loss, params, None)
    return jnp.max(_lanczos(matvec, flat, num_matvecs, jax.random.key(seed))[0])


def sharpness(loss: Loss, params: Any, **kwargs: Any) -> tuple[float, float]:
    """(lambda_max of the Hessian, its error bound)."""
    top = top_eigenvalues(loss, params, k=1, **kwargs)
    return float(top.values[0]), float(top.errors[0])


def hessian_trace(loss: Loss, params: Any, *, probes: int = 100, seed: int = 0, block: str | None = None) -> tuple[float, float]:
    """(tr H, its standard error) by Hutchinson's estimator with Rademacher probes (matfree)."""
    matvec, flat = _flat_hessian_operator(loss, params, block)
    mean, sem = _hutchinson(matvec, flat, probes, jax.random.key(seed))
    return float(mean), float(sem)


@eqx.filter_jit
def _hutchinson(matvec: FlatOperator, flat: jax.Array, probes: int, key: jax.Array) -> tuple[jax.Array, jax.Array]:
    from matfree import stochtrace

    estimate = stochtrace.estimator_monte_carlo_mean_and_sem(
        stochtrace.monte_carlo_trace(), stochtrace.sampler_signs(flat, num=probes)
    )
    return estimate(matvec, key)


@dataclass(frozen=True)
class SpectralDensity:
    """Stochastic Lanczos quadrature: per probe, nodes (Ritz values) and weights summing to 1."""

    nodes: np.ndarray  # (probes, m)
    weights: np.ndarray  # (probes, m)
    dimension: int

    def density(self, grid: np.ndarray, width: float) -> np.ndarray:
        """The spectral density (integrates to 1) smoothed by a Gaussian of std ``width``, on ``grid``."""
        z = (grid[:, None, None] - self.nodes[None]) / width
        kernel = np.exp(-0.5 * z**2) / (width * np.sqrt(2 * np.pi))
        return np.mean(np.sum(self.weights[None] * kernel, axis=-1), axis=-1)

    def moment(self, f: Callable[[np.ndarray], np.ndarray]) -> float:
        """tr f(H) / P estimated by the quadrature (f = identity gives the normalised trace)."""
        return float(np.mean(np.sum(self.weights * f(self.nodes), axis=-1)))


def spectral_density(
    loss: Loss, params: Any, *, probes: int = 10, num_matvecs: int = 60, seed: int = 0, block: str | None = None
) -> SpectralDensity:
    """The Hessian's spectral density by stochastic Lanczos quadrature."""
    matvec, flat = _flat_hessian_operator(loss, params, block)
    nodes, weights = _quadrature(matvec, flat, num_matvecs, jax.random.split(jax.random.key(seed), probes))
    return SpectralDensity(nodes=np.asarray(nodes), weights=np.asarray(weights), dimension=int(flat.size))


@eqx.filter_jit
def _quadrature(matvec: FlatOperator, flat: jax.Array, num_matvecs: int, keys: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Per probe key: the Ritz values and their weights (u_k . v)^2."""

    def one_probe(key: jax.Array) -> tuple[jax.Array, jax.Array]:
        values, vectors, v0 = _lanczos(matvec, flat, num_matvecs, key)
        return values, (vectors @ v0) ** 2

    return jax.lax.map(one_probe, keys)


def non_uniformity(
    sample_loss: Callable[[Any, Any], jax.Array],
    params: Any,
    samples: Any,
    *,
    num_matvecs: int = 30,
    seed: int = 0,
) -> tuple[float, float]:
    """(s, its error bound): s^2 = lambda_max((1/n) sum_i H_i^2 - H^2), H_i the Hessian of
    ``sample_loss(params, sample_i)`` over the leading axis of ``samples`` (Wu, Ma & E 2018).

    Sigma is positive semi-definite (the covariance of the random matrix H_I, I uniform), so
    s = sqrt(lambda_max); the Ritz residual err bounds |s^2 - s_true^2|, hence
    |s - s_true| <= err / (s + s_true) <= err / s."""
    flat = ravel_pytree(params)[0]
    top = _top(eqx.Partial(_sigma_product, sample_loss, params, samples), flat, 1, num_matvecs, seed)
    s2 = max(float(top.values[0]), 0.0)
    s = float(np.sqrt(s2))
    return s, float(top.errors[0]) / s if s > 0 else float(np.sqrt(top.errors[0]))


def _sigma_product(sample_loss: Callable[[Any, Any], jax.Array], params: Any, samples: Any, v: jax.Array) -> jax.Array:
    """Sigma v = (1/n) sum_i H_i (H_i v) - H (H v) on flat vectors, by vmapped per-sample products."""
    flat, unravel = ravel_pytree(params)

    def sample_product(sample: Any, u: jax.Array) -> jax.Array:
        """H_i u for one sample i."""
        grad = jax.grad(lambda p: sample_loss(unravel(p), sample))
        return jax.jvp(grad, (flat,), (u,))[1]

    hv = jax.vmap(sample_product, in_axes=(0, None))(samples, v)  # (n, P): H_i v
    second = jnp.mean(jax.vmap(sample_product)(samples, hv), axis=0)  # (1/n) sum H_i H_i v
    h_v = jnp.mean(hv, axis=0)
    return second - jnp.mean(jax.vmap(sample_product, in_axes=(0, None))(samples, h_v), axis=0)
