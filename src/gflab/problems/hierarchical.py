"""A two-parameter model Phi(u, v) in R^d whose gradient flow learns almost every target
(Yarotsky 2024, "Learnability of high-dimensional targets by two-parameter models and
gradient flow", Theorem 6; the construction of its Figures 2 and 3, made finite).

The level curves Gamma_u = Phi(u, .) are deformed stage by stage as u grows; v is fast
(Phi(u, v) = Gamma(u, sigma_0 + lambda v)), so along a gradient-flow trajectory Phi(w(t))
stays at the point of Gamma_u nearest to the target f, and by the envelope theorem u moves
with du/dt = -d/du (1/2 dist(f, Gamma_u)^2): u advances exactly while every deformation
brings that nearest point strictly closer to f. :class:`Hierarchical` is the family Gamma
(parameters (u, sigma), what :class:`gflab.dynamics.AdiabaticLimit` moves);
``Hierarchical.two_timescale()`` is the model Phi(u, v) for the flow at finite lambda.

**Boxes.** Targets live in [0, 1]^d. Stage 0 does not split: the root curve is a line
along x_0 lying MU_ROOT below the box in every other coordinate. Stage n >= 1 splits
coordinate x_n into ``m`` children with gaps between them (their total measure per split is
phi, so the fat Cantor set of non-gap targets has measure (1 - phi)^(N-1) >= 1 - eps).

**A stage** (running coordinate c = x_n, tooth direction k = x_{n+1 mod d}). Within a box
the curve is a segment along c at the box's floor in k. Each child owns a *tooth* just
outside its edge (in the gap), and the segment between teeth is a ramp that peaks at the
tooth and bottoms out (the watershed) in the gap on the child's far side:
- *gathering* (amplitude A_n(u) of the ramps grows): the ramps rise towards every target
  of the box, and the nearest point slides up its ramp to the peak, i.e. to the tooth of
  the target's own child; a target is then "more above than beside" its tooth as long as
  its height over the floor exceeds its offset from the tooth (mu >~ child width);
- *spreading* (tooth height T_n(u) grows): the tip passes the target's height x_k = f_k
  and the nearest point slips off onto the tooth's flank at x_k = f_k, which is the next
  stage's segment (running along k);
- *drift* H_n(u): from then on the tooth moves slowly towards its child, which keeps the
  distance strictly decreasing (u never stalls) without moving anything along k.
After the last stage every coordinate but the last tooth's is known to within the child
width plus the tooth offset: the resolution delta_N.

**Parametrisation** (hand-written: no library builds such curves). Gamma is C^1 in
(u, sigma) (tested), its blends C^2 (quintic smoothsteps, corners whose slope follows a
cubic smoothstep, lead-in/out speeds joining with zero acceleration). Its speed
|dGamma/dsigma| vanishes only on a level's future flanks before their teeth grow (vertical,
see ii); the parent's spreading slides the nearest point across them while they slope by
(1 - g) of the ramp (g the tooth's growth), slowly near g = 1. Three design choices, each
forced by a failure of the simpler one: (i) each level's sigma share: a tooth region (the
next level's room) is only rho ~ eps/(2m) of its unit's length but gets SHARE of its
parameter interval (``Level.units`` warps pos by a C^2 zeta), so a level costs a factor ~2m
of sigma, not ~2m/eps; at uniform speed d = 5's deepest level would hold ~1e-18 of sigma,
below float64's resolution; (ii) flanks are vertical (x_c flat along them) -- a flank
tilted by omega/T shifts the nearest point along it by (offset in x_c) x tilt, enough to
land a target in the wrong child, so the corners where x_c stops and restarts lie in the
next level's leads, outside the box; (iii) a tooth's flank is exactly the next level's
segment (tooth profile and ramp compensate), and each level's offsets vanish with zero
slope at its box's ends.

The levels' geometry is in :mod:`gflab.problems.hierarchical_levels`, their design (re-splits
beyond N = d, delta_N, the float64 limit on N) in :mod:`gflab.problems.hierarchical_design`.
"""

from __future__ import annotations

import equinox as eqx

from gflab._jax import jax_module
from gflab.problems.blends import smoothstep
from gflab.problems.curves import AbstractCurveFamily, TwoTimescale
from gflab.problems.hierarchical_design import design, max_stages, resolution
from gflab.problems.hierarchical_levels import LEAD, MU_0, MU_ROOT, THETA, Level, Schedule, terminal_flank
from gflab.theory.learnability import check_stages

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

__all__ = ["LAMBDA", "MU_0", "MU_ROOT", "Hierarchical", "Level", "design", "hierarchical", "resolution"]

LAMBDA = 100.0  # time-scale separation of ``Hierarchical.two_timescale``: Phi(u, v) = Gamma(u, sigma_0 + LAMBDA v)


class Hierarchical(AbstractCurveFamily):
    """The hierarchical family Gamma(u, sigma) in R^d, parameters w = (u, sigma).

    ``levels`` come from :func:`design`; u runs from 0 to N (stage n acts on [n, n + 1]),
    ``sigma0`` is where the straight root curve passes x_0 = 1/2 (the paths' start).
    ``two_timescale()`` is the model Phi(u, v) = Gamma(u, sigma0 + lambda v) for gradient flow.
    """

    levels: tuple[Level, ...] = eqx.field(static=True)
    n_out: int = eqx.field(static=True)
    sigma0: float = eqx.field(static=True)

    @property
    def d(self) -> int:
        return self.n_out

    @property
    def n_stages(self) -> int:
        return len(self.levels)

    def two_timescale(self, lam: float = LAMBDA) -> TwoTimescale:
        """Phi(u, v) = Gamma(u, sigma0 + lam v): the model whose gradient flow this family is
        the lambda -> infinity limit of."""
        return TwoTimescale(family=self, sigma0=self.sigma0, lam=lam)

    def curve(self, u: jax.Array, sigma: jax.Array) -> jax.Array:
        """Gamma(u, sigma) for sigma in [0, 1] (constant beyond)."""
        schedule = Schedule(self.n_stages, self.n_out)
        s = jnp.clip(sigma, 0.0, 1.0)
        root = self.levels[0]
        x = [jnp.full_like(s, -MU_ROOT) for _ in range(self.n_out)]
        p, at = root.positions(s)
        x[0] = root.start + at
        inside = jnp.ones_like(s, dtype=bool)
        for n, level in enumerate(self.levels):
            in_tooth, t, on_flank, s_next = level.tooth_coordinates(s)
            if n + 1 < self.n_stages:  # the next level's pos, and where its segment is (this tooth's drop)
                p_next, drop = self.levels[n + 1].positions(s_next)
            else:
                p_next, drop = p, terminal_flank(level, s_next)
            profile = level.ramp_profile(p)
            # Tooth: its back rises to the tip; on the flank it is shaped so that, fully
            # grown, ramp + tooth is exactly the next level's segment (or a plain drop).
            flank = (level.height + level.ramp * (1.0 - profile) - drop) / level.height
            tooth = jnp.where(in_tooth, jnp.where(t < THETA, smoothstep(t / THETA), flank), 0.0)
            window = jnp.where(
                in_tooth,
                jnp.where(t < THETA, smoothstep(t / THETA), 1.0 - smoothstep((s_next - 1.0 + LEAD / 2) / (LEAD / 2))),
                0.0,
            )
            lift = schedule.ramp(n, u) * level.ramp * profile + schedule.tooth(n, u) * level.height * tooth
            x[level.k] = x[level.k] + jnp.where(inside, level.rise * lift, 0.0)
            shift = schedule.drift(n, u) * level.drift * window
            x[level.c] = x[level.c] + jnp.where(inside, level.orient * shift, 0.0)
            inside = inside & on_flank
            s, p = s_next, p_next
        return jnp.stack(x, axis=-1)


def hierarchical(d: int, n_stages: int | None = None, m: int = 150, eps: float = 0.05) -> Hierarchical:
    """The model for targets in [0, 1]^d with N stages (default d; N > d re-splits) and m
    children per first split; :class:`BadInput` for N < 1 or beyond what float64 holds."""
    check_depth(d, n_stages, m, eps)
    n_stages = d if n_stages is None else n_stages
    levels = design(d, n_stages, m, eps)
    root = levels[0]
    lo, hi = 0.0, 1.0
    for _ in range(100):  # sigma_0 by bisection (100 halvings: below float64 resolution): where the root curve passes x_0 = 1/2
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if root.start + float(root.pos(jnp.asarray(mid))) < 0.5 else (lo, mid)
    return Hierarchical(levels=levels, n_out=d, sigma0=0.5 * (lo + hi))


def check_depth(d: int, n_stages: int | None, m: int, eps: float) -> None:
    """:class:`BadInput` unless 1 <= N (default d) <= the largest N whose deepest level
    float64 holds for this d, m and eps (:func:`~gflab.problems.hierarchical_design.max_stages`)."""
    check_stages(n_stages, d, deepest=max_stages(d, m, eps))
