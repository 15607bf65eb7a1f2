"""Curve and surface models Phi: R^W -> R^d fitted to a target f (Yarotsky 2024, "Learnability
of high-dimensional targets by two-parameter models and gradient flow").

The problem is L_f(w) = 1/2 |Phi(w) - f|^2 under gradient flow dw/dt = -grad L_f(w) from a
fixed w0. A target is *learned* when Phi(w(t)) -> f. With W < d the image of Phi has measure
zero, so elementary models learn almost no target; ``linear`` (W = d) is the control where
everything is learned.

Families of curves Gamma_u (:class:`AbstractCurveFamily`) are the two-parameter models of
two timescales: as a model of w = (u, sigma) they are what the adiabatic limit
(:class:`gflab.dynamics.AdiabaticLimit`) moves; :class:`TwoTimescale` makes them the model
Phi(u, v) = Gamma(u, sigma_0 + lambda v) that gradient flow moves at finite lambda.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.errors import BadInput
from gflab.fastmath import sincos
from gflab.problems.base import AbstractProblem
from gflab.theory.learnability import check_dims

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


class AbstractCurveModel(eqx.Module):
    """A map Phi: R^W -> R^d."""

    @property
    @abc.abstractmethod
    def W(self) -> int:  # noqa: N802 (the papers' name)
        """Number of parameters."""

    @property
    @abc.abstractmethod
    def d(self) -> int:
        """Target dimension."""

    @abc.abstractmethod
    def __call__(self, w: jax.Array) -> jax.Array:
        """Phi(w), shape (d,)."""

    def value_and_jacobian(self, w: jax.Array) -> tuple[jax.Array, jax.Array]:
        """``(Phi(w), dPhi/dw)``, shapes (d,) and (d, W): forward-mode autodiff (W is small);
        models with a closed form override it."""
        jacobian, value = jax.jacfwd(lambda v: (self(v), self(v)), has_aux=True)(w)
        return value, jacobian


class SinCurve(AbstractCurveModel):
    """Phi(w) = (sin(a_1 w), ..., sin(a_d w)), W = 1, incommensurate a_i.

    With a = (1, sqrt 2) this is the paper's Figure 4: the curve is dense in [-1, 1]^2 yet
    gradient flow is trapped at a spurious minimum for almost every target (Corollary 10).
    """

    frequencies: jax.Array

    @property
    def W(self) -> int:  # noqa: N802
        return 1

    @property
    def d(self) -> int:
        return int(self.frequencies.shape[0])

    def __call__(self, w: jax.Array) -> jax.Array:
        return jnp.sin(self.frequencies * w[0])

    def value_and_jacobian(self, w: jax.Array) -> tuple[jax.Array, jax.Array]:
        sin, cos = sincos(self.frequencies * w[0])
        return sin, (self.frequencies * cos)[:, None]


class LinearModel(AbstractCurveModel):
    """Phi(w) = A w with A square and well conditioned: the convex control."""

    A: jax.Array

    @property
    def W(self) -> int:  # noqa: N802
        return int(self.A.shape[1])

    @property
    def d(self) -> int:
        return int(self.A.shape[0])

    def __call__(self, w: jax.Array) -> jax.Array:
        return self.A @ w


class TrigModel(AbstractCurveModel):
    """Phi_i(w) = sum_k a_ik sin(b_ik . w + c_ik): a random elementary trigonometric model."""

    a: jax.Array  # (d, K)
    b: jax.Array  # (d, K, W)
    c: jax.Array  # (d, K)

    @property
    def W(self) -> int:  # noqa: N802
        return int(self.b.shape[2])

    @property
    def d(self) -> int:
        return int(self.a.shape[0])

    def __call__(self, w: jax.Array) -> jax.Array:
        return jnp.sum(self.a * jnp.sin(self.b @ w + self.c), axis=-1)

    def value_and_jacobian(self, w: jax.Array) -> tuple[jax.Array, jax.Array]:
        """dPhi_i/dw = sum_k a_ik cos(b_ik . w + c_ik) b_ik, with sin and cos from one
        :func:`gflab.fastmath.sincos` (the ensembles' hot loop: 1.5x faster than autodiff)."""
        sin, cos = sincos(self.b @ w + self.c)
        return jnp.sum(self.a * sin, axis=-1), jnp.einsum("dk,dkw->dw", self.a * cos, self.b)


class PolynomialModel(AbstractCurveModel):
    """Phi_i(w) = sum_m C_im prod_j w_j^{E_mj}: a random polynomial map of given degree."""

    coefficients: jax.Array  # (d, M)
    exponents: tuple[tuple[int, ...], ...] = eqx.field(static=True)  # M monomials of W powers

    @property
    def W(self) -> int:  # noqa: N802
        return len(self.exponents[0])

    @property
    def d(self) -> int:
        return int(self.coefficients.shape[0])

    def __call__(self, w: jax.Array) -> jax.Array:
        # Static integer powers (lax.integer_pow): finite gradients at w_j <= 0.
        monomials = jnp.stack([math.prod(w[j] ** e for j, e in enumerate(m)) for m in self.exponents])
        return self.coefficients @ monomials


class CustomModel(AbstractCurveModel):
    """Any user function Phi given from Python (JAX-traceable)."""

    fn: Callable[[jax.Array], jax.Array] = eqx.field(static=True)
    n_params: int = eqx.field(static=True)
    n_out: int = eqx.field(static=True)

    @property
    def W(self) -> int:  # noqa: N802
        return self.n_params

    @property
    def d(self) -> int:
        return self.n_out

    def __call__(self, w: jax.Array) -> jax.Array:
        return jnp.asarray(self.fn(w)).reshape(self.n_out)


def custom(fn: Callable[[jax.Array], jax.Array], W: int, d: int) -> CustomModel:
    """Wrap a JAX-traceable ``fn: R^W -> R^d`` as a model.

    Example:
        >>> import jax.numpy as jnp
        >>> from gflab.problems.curves import custom
        >>> helix = custom(lambda w: jnp.array([jnp.cos(w[0]), jnp.sin(w[0]), w[0] / 5]), W=1, d=3)
        >>> helix.W, helix.d
        (1, 3)
    """
    if W < 1 or d < 1:
        raise BadInput("W, d", f"must be positive integers (got W={W}, d={d})")
    return CustomModel(fn=fn, n_params=int(W), n_out=int(d))


class AbstractCurveFamily(AbstractCurveModel):
    """A family of curves Gamma_u: sigma -> Gamma(u, sigma) in R^d, as the model of the two
    parameters w = (u, sigma): Phi(w) = Gamma(u, sigma), W = 2.

    u is the slow variable that deforms the curve, sigma the curve's own parameter. Under
    :class:`gflab.dynamics.AdiabaticLimit` sigma sits at the nearest point of Gamma_u to the
    target while u advances; :class:`TwoTimescale` gives the same family to gradient flow.
    """

    @property
    def W(self) -> int:  # noqa: N802
        return 2

    @abc.abstractmethod
    def curve(self, u: jax.Array, sigma: jax.Array) -> jax.Array:
        """Gamma(u, sigma), shape (d,)."""

    def __call__(self, w: jax.Array) -> jax.Array:
        return self.curve(w[0], w[1])


class CustomFamily(AbstractCurveFamily):
    """Any user family ``gamma(u, sigma) -> R^d`` given from Python (JAX-traceable)."""

    gamma: Callable[[jax.Array, jax.Array], jax.Array] = eqx.field(static=True)
    n_out: int = eqx.field(static=True)

    @property
    def d(self) -> int:
        return self.n_out

    def curve(self, u: jax.Array, sigma: jax.Array) -> jax.Array:
        return jnp.asarray(self.gamma(u, sigma)).reshape(self.n_out)


class TwoTimescale(AbstractCurveModel):
    """Phi(u, v) = Gamma(u, sigma_0 + lambda v): a curve family with a fast variable v, W = 2.

    Gradient flow on 1/2 |Phi - f|^2 moves sigma lambda^2 times faster than u; as lambda ->
    infinity it becomes the adiabatic limit of ``family`` (Tikhonov: the gap is O(1/lambda^2)).
    """

    family: AbstractCurveFamily
    sigma0: float
    lam: float

    @property
    def W(self) -> int:  # noqa: N802
        return 2

    @property
    def d(self) -> int:
        return self.family.d

    def __call__(self, w: jax.Array) -> jax.Array:
        return self.family.curve(w[0], self.sigma(w))

    def sigma(self, w: jax.Array) -> jax.Array:
        """The family's curve parameter sigma = sigma_0 + lambda v at w = (u, v)."""
        return self.sigma0 + self.lam * w[1]

    def with_sigma(self, w: jax.Array, sigma: jax.Array) -> jax.Array:
        """w with its v set so that sigma_0 + lambda v = sigma (u unchanged)."""
        return jnp.stack([w[0], (sigma - self.sigma0) / self.lam])


class CurveFit(AbstractProblem):
    """L_f(w) = 1/2 |Phi(w) - f|^2 for a model Phi and a target f (batched in ensembles)."""

    model: AbstractCurveModel
    target: jax.Array

    def loss(self, params: jax.Array) -> jax.Array:
        residual = self.model(params) - self.target
        return 0.5 * jnp.sum(residual**2)

    def value_and_gradient(self, params: jax.Array) -> tuple[jax.Array, jax.Array]:
        """L = |r|^2 / 2 and grad L = J^T r, r = Phi(w) - f, J = dPhi/dw (the model's own)."""
        output, jacobian = self.model.value_and_jacobian(params)
        residual = output - self.target
        return 0.5 * jnp.sum(residual**2), jacobian.T @ residual

    def gradient(self, params: jax.Array) -> jax.Array:
        return self.value_and_gradient(params)[1]


def output(problem: CurveFit, params: jax.Array) -> jax.Array:
    """Observable: the model's point Phi(w) in target space."""
    return problem.model(params)


def _primes(count: int) -> list[int]:
    primes: list[int] = []
    candidate = 2
    while len(primes) < count:
        if all(candidate % p for p in primes if p * p <= candidate):
            primes.append(candidate)
        candidate += 1
    return primes


def sin_curve_frequencies(d: int) -> np.ndarray:
    """(1, sqrt 2, sqrt 3, sqrt 5, ...): rationally independent, so the curve is dense."""
    return np.array([1.0] + [math.sqrt(p) for p in _primes(d - 1)])


def make_model(name: str, d: int, W: int | None = None, seed: int = 0, terms: int = 3, degree: int = 3) -> AbstractCurveModel:
    """Build a named zoo model; random coefficients come from ``seed``.

    ``terms`` is the number of sines per output of ``trig``; ``degree`` the total degree of
    ``poly``. Raises :class:`BadInput` for an unknown name or an impossible (W, d).
    """
    W = check_dims(name, d, W)
    rng = np.random.default_rng(seed)
    if name == "sin-curve":
        return SinCurve(frequencies=jnp.asarray(sin_curve_frequencies(d)))
    if name == "linear":
        q1, _ = np.linalg.qr(rng.normal(size=(d, d)))
        q2, _ = np.linalg.qr(rng.normal(size=(d, d)))
        singular = np.geomspace(0.5, 2.0, d)
        return LinearModel(A=jnp.asarray(q1 @ np.diag(singular) @ q2))
    if name == "trig":
        a = rng.normal(size=(d, terms)) / math.sqrt(terms)
        b = rng.normal(size=(d, terms, W)) * 1.5
        c = rng.uniform(0.0, 2 * math.pi, size=(d, terms))
        return TrigModel(a=jnp.asarray(a), b=jnp.asarray(b), c=jnp.asarray(c))
    exponents = tuple(e for e in np.ndindex(*([degree + 1] * W)) if 0 < sum(e) <= degree)
    coefficients = rng.normal(size=(d, len(exponents))) / math.sqrt(len(exponents))
    return PolynomialModel(coefficients=jnp.asarray(coefficients), exponents=tuple(tuple(int(x) for x in e) for e in exponents))
