"""The adiabatic (lambda -> infinity) limit of a two-timescale gradient flow, by continuation.

For a model Phi(u, v) = Gamma(u, sigma_0 + lambda v) and L = 1/2 |Phi - f|^2, the flow
du/dt = -dL/du, dv/dt = -dL/dv is lambda^2 faster in v. As lambda -> infinity (Tikhonov),
sigma sits at a local minimum of d(sigma) = |Gamma(u, sigma) - f| and moves with it, while
u moves at the envelope rate du/dt = -(Gamma - f) . dGamma/du (seed 000, the argument of
Theorem 6). u never turns back while that rate is positive, so the slow path is the branch
of nearest points followed in u; time only reparametrises it. Where the rate would vanish
with d > 0 the flow stalls at a spurious minimum (reported).

Why by hand (no ODE solver): the branch is followed on a grid of u by descent steps on
d(sigma)^2 from the previous point (see ``_relax``). Integrating the full flow in t is stiff
for the hierarchical model (level n holds ~(2m)^-n of the sigma interval; issue-5 notes).
Each step moves Gamma by at most ~``cap`` in target space and is accepted only if it lowers
d, so the iterate slides downhill and cannot hop over a barrier into a neighbouring basin,
as the fast flow could not either.
"""

from __future__ import annotations

from collections.abc import Callable

from gflab._jax import jax_module

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

Curve = Callable[[jax.Array, jax.Array], jax.Array]
HALVINGS = 20  # the Gauss-Newton step is tried at 1, 1/4, ..., 4^-19 of its length


def _relax(
    curve: Curve, target: jax.Array, u: jax.Array, sigma: jax.Array, iterations: int, cap: float, xtol: float
) -> jax.Array:
    """Up to ``iterations`` descent steps on d(sigma)^2 / 2 at fixed u; stops once the
    tangential residual |(Gamma - f) . t| is at most ``xtol`` (stationary) or a step moves
    Gamma by at most ``xtol``.

    Each step takes the better of two candidates that lower d and move Gamma by at most
    2 ``cap``: the Newton step, and the Gauss-Newton step (the foot of the perpendicular on
    the tangent, curvature ignored) backtracked by quarters. Newton alone converges
    quadratically but is fooled where the curve turns sharply just ahead (a rounded corner
    before a nearly flat stretch): its quadratic model puts the minimum an ulp away while d
    keeps falling beyond the corner. Both loops are ``while_loop`` s: under vmap a batch runs
    only as many steps and trials as its slowest member needs.
    """

    def descend(s: jax.Array) -> tuple[jax.Array, jax.Array]:
        one = jnp.ones_like(s)
        (point, speed), (_, bend) = jax.jvp(lambda q: jax.jvp(lambda p: curve(u, p), (q,), (one,)), (s,), (one,))
        r = point - target
        speed2 = jnp.maximum(speed @ speed, 1e-300)
        slope, curvature = r @ speed, speed2 + r @ bend  # L_sigma, L_sigma_sigma
        limit = cap / jnp.sqrt(speed2)
        newton_step = jnp.clip(slope / jnp.maximum(curvature, speed2), -limit, limit)
        gauss_step = jnp.clip(slope / speed2, -limit, limit)

        State = tuple[jax.Array, jax.Array, jax.Array, jax.Array, jax.Array]

        def trial(count: jax.Array, step: jax.Array) -> State:
            """(count, candidate, its change of d^2 (exact in rounding), how far Gamma moved,
            whether acceptable)."""
            candidate = jnp.clip(s - step, 0.0, 1.0)
            moved_by = curve(u, candidate) - point
            change, length = moved_by @ (moved_by + 2.0 * r), jnp.sqrt(moved_by @ moved_by)
            # Gamma really moved at most 2 cap: where the speed nearly vanishes (a tooth's
            # tip) the first-order cap alone lets a step land on another tooth.
            return count, candidate, change, length, (change < 0.0) & (length <= 2.0 * cap)

        def untried(state: State) -> jax.Array:
            count, *_, ok = state
            return ~ok & (count < HALVINGS)

        def backtrack(state: State) -> State:
            return trial(state[0] + 1, 0.25 ** state[0] * gauss_step)

        stationary = jnp.abs(slope) <= xtol * jnp.sqrt(speed2)
        _, by_newton, newton_change, newton_length, newton_ok = trial(jnp.asarray(0), newton_step)
        newton_ok = newton_ok & ~stationary
        zero = jnp.asarray(0.0)
        _, by_gauss, gauss_change, gauss_length, gauss_ok = jax.lax.while_loop(
            untried, backtrack, (jnp.asarray(0), s, zero, zero, stationary)
        )
        gauss_ok = gauss_ok & ~stationary
        take_gauss = gauss_ok & (~newton_ok | (gauss_change < newton_change))
        candidate = jnp.where(take_gauss, by_gauss, jnp.where(newton_ok, by_newton, s))
        return candidate, jnp.where(take_gauss, gauss_length, jnp.where(newton_ok, newton_length, 0.0))

    def unconverged(state: tuple[jax.Array, jax.Array, jax.Array]) -> jax.Array:
        count, _, moved = state
        return (count < iterations) & (moved > xtol)

    def iterate(state: tuple[jax.Array, jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array, jax.Array]:
        count, s, _ = state
        return (count + 1, *descend(s))

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
