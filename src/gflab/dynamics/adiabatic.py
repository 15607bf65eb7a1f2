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
HALVINGS = 20  # a Newton step is tried at 1, 1/4, ..., 4^-19 of its length


def _relax(
    curve: Curve, target: jax.Array, u: jax.Array, sigma: jax.Array, iterations: int, cap: float, xtol: float
) -> jax.Array:
    """Up to ``iterations`` damped, capped Newton steps on d(sigma)^2 / 2 at fixed u; stops
    once a step would move Gamma by at most ``xtol`` (converged).

    Each step tries the Newton step, then quarters of it, and takes the first that lowers d.
    Both loops are ``while_loop`` s: under vmap a batch runs only as many steps and trials
    as its slowest member needs, where a fixed count would pay for all of them every time.
    """

    def newton(s: jax.Array) -> tuple[jax.Array, jax.Array]:
        one = jnp.ones_like(s)
        (point, speed), (_, bend) = jax.jvp(lambda q: jax.jvp(lambda p: curve(u, p), (q,), (one,)), (s,), (one,))
        r = point - target
        speed2 = speed @ speed
        slope, curvature = r @ speed, speed2 + r @ bend  # L_sigma, L_sigma_sigma
        step = slope / jnp.maximum(jnp.maximum(curvature, speed2), 1e-300)  # Newton, or a gradient step
        limit = cap / jnp.sqrt(jnp.maximum(speed2, 1e-300))
        step = jnp.clip(step, -limit, limit)
        moved = jnp.abs(step) * jnp.sqrt(speed2)  # the step's length in target space, to first order
        loss = r @ r

        def untried(state: tuple[jax.Array, jax.Array, jax.Array]) -> jax.Array:
            trial, _, better = state
            return ~better & (trial < HALVINGS)

        def attempt(state: tuple[jax.Array, jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array, jax.Array]:
            trial, _, _ = state
            candidate = jnp.clip(s - 0.25**trial * step, 0.0, 1.0)
            return trial + 1, candidate, jnp.sum((curve(u, candidate) - target) ** 2) < loss

        converged = moved <= xtol
        _, candidate, better = jax.lax.while_loop(untried, attempt, (jnp.asarray(0), s, converged))
        return jnp.where(better & ~converged, candidate, s), jnp.where(better, moved, 0.0)

    def unconverged(state: tuple[jax.Array, jax.Array, jax.Array]) -> jax.Array:
        count, _, moved = state
        return (count < iterations) & (moved > xtol)

    def iterate(state: tuple[jax.Array, jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array, jax.Array]:
        count, s, _ = state
        return (count + 1, *newton(s))

    _, sigma, _ = jax.lax.while_loop(unconverged, iterate, (jnp.asarray(0), sigma, jnp.asarray(jnp.inf)))
    return sigma


def nearest_point_path(
    curve: Curve,
    target: jax.Array,
    sigma_start: jax.Array,
    us: jax.Array,
    *,
    iterations: int = 32,
    cap: float = 1e-3,
    xtol: float = 1e-13,
) -> dict[str, jax.Array]:
    """The slow path for one target: at every u of the grid ``us`` (increasing), the nearest
    point followed from the previous one. ``sigma_start`` is relaxed (uncapped) at us[0].

    At the last u, v relaxes completely (16 x ``iterations``). Returns per grid point:
    ``sigma``, ``point`` Gamma(u, sigma), ``distance`` |Gamma - f|, ``tangential`` (Gamma - f) . t (unit tangent t; 0 on the branch), ``rate`` du/dt =
    -(Gamma - f) . dGamma/du (u stalls where it is <= 0 with the distance > 0).
    """
    sigma0 = _relax(curve, target, us[0], jnp.asarray(sigma_start, dtype=jnp.float64), 4 * iterations, 1e300, xtol)

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
        sigma = _relax(curve, target, u, sigma, iterations, cap, xtol)
        return sigma, observe(u, sigma)

    sigma, path = jax.lax.scan(advance, sigma0, us[:-1])
    # At the last u the deformation stops and v relaxes completely (the flow's t -> infinity).
    last = observe(us[-1], _relax(curve, target, us[-1], sigma, 16 * iterations, cap, xtol))
    return jax.tree.map(lambda head, tail: jnp.concatenate([head, tail[None]]), path, last)
