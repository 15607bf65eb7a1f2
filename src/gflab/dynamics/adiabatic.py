"""The adiabatic (lambda -> infinity) limit of a two-timescale gradient flow, by continuation.

For a model Phi(u, v) = Gamma(u, sigma_0 + lambda v) and L = 1/2 |Phi - f|^2, the flow
du/dt = -dL/du, dv/dt = -dL/dv is lambda^2 faster in v. As lambda -> infinity (Tikhonov),
sigma sits at a local minimum of d(sigma) = |Gamma(u, sigma) - f| and moves with it, while
u moves at the envelope rate du/dt = -(Gamma - f) . dGamma/du (seed 000, the argument of
Theorem 6). u never turns back while that rate is positive, so the slow path is the branch
of nearest points followed in u; time only reparametrises it. Where the rate would vanish
with d > 0 the flow stalls at a spurious minimum (reported).

Why by hand (no ODE solver): the branch is followed on a grid of u by damped Newton steps on
L_sigma = 0 from the previous point. Integrating the full flow in t needs absolute
tolerances on sigma near float64's limit for the hierarchical model (its deeper levels are
1e-10 of the sigma interval; issue-5 notes). Each Newton step is capped at ``cap`` in
target space and accepted only if it lowers d, so the iterate slides downhill and cannot
hop over a barrier into a neighbouring basin, as the fast flow could not either.
"""

from __future__ import annotations

from collections.abc import Callable

from gflab._jax import jax_module

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

Curve = Callable[[jax.Array, jax.Array], jax.Array]


def _relax(curve: Curve, target: jax.Array, u: jax.Array, sigma: jax.Array, iterations: int, cap: float) -> jax.Array:
    """``iterations`` damped, capped Newton steps on d(sigma)^2 / 2 at fixed u."""
    halvings = 0.25 ** jnp.arange(20.0)

    def newton(s: jax.Array, _: None) -> tuple[jax.Array, None]:
        one = jnp.ones_like(s)
        (point, speed), (_, bend) = jax.jvp(lambda q: jax.jvp(lambda p: curve(u, p), (q,), (one,)), (s,), (one,))
        r = point - target
        speed2 = speed @ speed
        slope, curvature = r @ speed, speed2 + r @ bend  # L_sigma, L_sigma_sigma
        step = slope / jnp.maximum(jnp.maximum(curvature, speed2), 1e-300)  # Newton, or a gradient step
        limit = cap / jnp.sqrt(jnp.maximum(speed2, 1e-300))
        trials = jnp.clip(s - halvings * jnp.clip(step, -limit, limit), 0.0, 1.0)
        losses = jax.vmap(lambda c: jnp.sum((curve(u, c) - target) ** 2))(trials)
        better = losses < r @ r
        return jnp.where(jnp.any(better), trials[jnp.argmax(better)], s), None

    sigma, _ = jax.lax.scan(newton, sigma, None, length=iterations)
    return sigma


def nearest_point_path(
    curve: Curve,
    target: jax.Array,
    sigma_start: jax.Array,
    us: jax.Array,
    *,
    iterations: int = 32,
    cap: float = 1e-3,
) -> dict[str, jax.Array]:
    """The slow path for one target: at every u of the grid ``us`` (increasing), the nearest
    point followed from the previous one. ``sigma_start`` is relaxed (uncapped) at us[0].

    At the last u, v relaxes completely (16 x ``iterations``). Returns per grid point:
    ``sigma``, ``point`` Gamma(u, sigma), ``distance`` |Gamma - f|, ``tangential`` (Gamma - f) . t (unit tangent t; 0 on the branch), ``rate`` du/dt =
    -(Gamma - f) . dGamma/du (u stalls where it is <= 0 with the distance > 0).
    """
    sigma0 = _relax(curve, target, us[0], jnp.asarray(sigma_start, dtype=jnp.float64), 4 * iterations, 1e300)

    def observe(u: jax.Array, sigma: jax.Array) -> dict[str, jax.Array]:
        point, speed = jax.jvp(lambda s: curve(u, s), (sigma,), (jnp.ones_like(sigma),))
        drift = jax.jvp(lambda v: curve(v, sigma), (u,), (jnp.ones_like(u),))[1]
        r = point - target
        return {
            "sigma": sigma,
            "point": point,
            "distance": jnp.sqrt(r @ r),
            "tangential": (r @ speed) / jnp.sqrt(speed @ speed),
            "rate": -(r @ drift),
        }

    def advance(sigma: jax.Array, u: jax.Array) -> tuple[jax.Array, dict[str, jax.Array]]:
        sigma = _relax(curve, target, u, sigma, iterations, cap)
        return sigma, observe(u, sigma)

    sigma, path = jax.lax.scan(advance, sigma0, us[:-1])
    # At the last u the deformation stops and v relaxes completely (the flow's t -> infinity).
    last = observe(us[-1], _relax(curve, target, us[-1], sigma, 16 * iterations, cap))
    return jax.tree.map(lambda head, tail: jnp.concatenate([head, tail[None]]), path, last)
