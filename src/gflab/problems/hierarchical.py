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
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import equinox as eqx
import numpy as np

from gflab._jax import jax_module
from gflab.problems.blends import lead, rounded_ramp, smoothstep
from gflab.problems.curves import AbstractCurveFamily, TwoTimescale
from gflab.theory.learnability import check_stages

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

# Shape of a level's parameter interval (fractions of it, or of one unit of it).
LEAD = 0.02  # lead-in and lead-out: each this fraction of a box's interval
THETA = 0.05  # the tip sits at this fraction of the tooth region; the flank is the rest
SHARE = 0.5  # a tooth region's share of its unit's parameter interval (the next level's room)
ROUNDING = 0.25  # a rounded ramp's corners: this fraction of its length (or of a tooth region)

# Geometry in target units.
MU_ROOT = 3.0  # distance of the root curve below the box in x_1..x_{d-1}
MU_0 = 0.1  # offset of the root tooth below the box in x_0
TOP = 0.05  # how far the last teeth reach above the box
ROOT_LEAD = 0.1  # x_0 length of the root segment's lead-in and lead-out
ROOT_REACH = 1.2  # x_0 length of the root's one unit beyond its tooth offset: the box and 0.2 past it
ROOT_TOOTH = MU_0 / 4  # x_0 extent of the root's tooth region
LEVEL_LEAD_IN = 0.05  # x_c length of a split level's lead-in, above the box
TOOTH_REGION = 0.9  # a split level's tooth region: this fraction of the tooth offset tau
WATERSHED = 0.25  # the ramp's lowest point: this fraction into the gap beyond the child
DRIFT = 0.5  # final drift H_n towards the child: this fraction of the tooth offset tau
ROOT_RAMP = MU_ROOT / 2  # stage 0's gathering amplitude A_0 (in x_1)
SPLIT_RAMP = 0.5  # gathering amplitude A_n of the stages n >= 1 (in x_{n+1})
X0_RAMP = MU_0 / 4  # gathering amplitude of a stage whose tooth direction is x_0 (n = d - 1)

# When each stage acts, in u (stage n on [n, n + 1]).
GATHERING = 0.5  # gathering on [n, n + GATHERING]
SPREADING = 0.45  # spreading on [n + SPREADING, n + 1]; the drift from n + SPREADING to N

LAMBDA = 100.0  # time-scale separation of ``Hierarchical.two_timescale``: Phi(u, v) = Gamma(u, sigma_0 + LAMBDA v)


@dataclass(frozen=True)
class Level:
    """Static geometry of one stage (every box of a level has the same).

    Lengths are in target units. ``pos`` runs from 0 at the start of the box's parameter
    interval to ``length`` at its end; the running coordinate is ``start + orient * pos``.
    Units (one per child) are [tooth region | ramp region]: the tooth region holds the
    tooth's rising back, its tip (pos ``tip`` + i spacing) and its flank; the ramp descends
    from the tip over the child to the watershed (``valley`` after the tip) and rises to the
    next tip.
    """

    c: int  # running (split) coordinate
    k: int  # tooth direction
    orient: float  # +1: pos runs up in x_c; -1: down
    start: float  # x_c at pos = 0
    m: int  # children (units)
    spacing: float  # Delta: pos from one tooth to the next
    width: float  # child width w
    offset: float  # tau: tooth centre to the child's near edge
    tooth_width: float  # omega: pos extent of a tooth region
    lead_in: float  # pos length before the first tooth region
    lead_out: float  # pos length after the last unit
    end_speed: float  # dpos/ds at s = 1 (matches the parent's ramp slope at its foot)
    valley: float  # pos from a tip to its watershed
    floor: float  # x_k of the segment before this stage
    ramp: float  # gathering amplitude A_n (in x_k)
    height: float  # tooth height T_n at the tip (in x_k)
    drift: float  # final drift H_n (in x_c, towards the children)

    def tooth_of(self, x: np.ndarray) -> np.ndarray:
        """x_c of the tooth of the child holding x_c = x (stages n >= 1: teeth sit tau above
        their child, children counted down from the box's top)."""
        child = np.floor((1.0 - x) / self.spacing)
        return 1.0 - child * self.spacing + self.offset

    def in_gap(self, x: np.ndarray) -> np.ndarray:
        """Whether x_c = x lies in a gap between children (stages n >= 1)."""
        return (1.0 - x) % self.spacing > self.width

    def gaps(self) -> list[tuple[float, float]]:
        """The m - 1 gaps (low, high) in x_c between children (stages n >= 1)."""
        return [(1.0 - (i + 1) * self.spacing, 1.0 - i * self.spacing - self.width) for i in range(self.m - 1)]

    @property
    def unit(self) -> float:
        return (1.0 - 2 * LEAD) / self.m

    @property
    def alpha(self) -> float:
        """dpos/ds over a tooth region, in units of spacing / unit: the region is rho =
        tooth_width / spacing of the unit's length but SHARE of its parameter interval."""
        return self.tooth_width / self.spacing / SHARE

    @property
    def speed(self) -> float:
        """dpos/ds over a tooth region, at the ends of every unit and where the leads join them."""
        return self.alpha * self.spacing / self.unit

    def units(self, s: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """(unit index i, fraction r of the unit's parameter interval, the unit counter z)
        for s over the units; z = i + zeta(r) runs uniformly in pos, r uniformly in s.

        zeta(r) = alpha r on the tooth region r < SHARE (lesson i), then a rounded ramp up to
        1 with slope alpha again at r = 1 (C^2 in s)."""
        x = jnp.clip((s - LEAD) / self.unit, 0.0, float(self.m))
        i = jnp.minimum(jnp.floor(x), self.m - 1)
        r = x - i
        zeta = self.alpha * r + (1.0 - self.alpha) * rounded_ramp(r - SHARE, 1.0 - SHARE, ROUNDING * (1.0 - SHARE))
        return i, r, i + zeta

    @property
    def length(self) -> float:
        return self.lead_in + self.m * self.spacing + self.lead_out

    @property
    def tip(self) -> float:
        return self.lead_in + THETA * self.tooth_width

    def pos(self, s: jax.Array) -> jax.Array:
        """The position map on the box's interval, s in [0, 1]: speed 0 at s = 0 (the
        parent's tip), ``end_speed`` at s = 1 (the parent's foot)."""
        p_in = LEAD * lead(s / LEAD, 0.0, self.speed, self.lead_in / LEAD)
        _, _, z = self.units(s)
        p_units = self.spacing * z
        p_out = LEAD * lead((s - 1.0 + LEAD) / LEAD, self.speed, self.end_speed, self.lead_out / LEAD)
        return p_in + p_units + p_out

    def geometric_pos(self, s: jax.Array) -> jax.Array:
        """Where the segment actually is along x_c: ``pos`` with every flank made vertical
        (x_c flat from just below the tip to the foot; a tilted flank would bias the nearest
        point along it by (offset in x_c) x tilt), the advance given back over the ramp."""
        i, _, z = self.units(s)
        q = self.spacing * (z - i)  # pos within the unit
        flank = (1.0 - THETA) * self.tooth_width
        corner = LEAD * flank  # in the next level's lead-in/out, outside the box (lesson ii)
        lost = flank - corner
        flatten = lost * rounded_ramp(q - THETA * self.tooth_width, flank, corner)
        back = lost * rounded_ramp(
            q - self.tooth_width, self.spacing - self.tooth_width, ROUNDING * (self.spacing - self.tooth_width)
        )
        inside = (s > LEAD) & (s < 1.0 - LEAD)
        return self.pos(s) + jnp.where(inside, back - flatten, 0.0)

    def ramp_profile(self, p: jax.Array) -> jax.Array:
        """F(pos) in [0, 1]: 1 at every tip (sharply rounded), straight down over the child
        to 0 at the watershed, up to the next tip; 0 at both ends of the box."""
        rise_len = self.spacing - self.valley
        q = p - self.tip
        i = jnp.clip(jnp.floor(q / self.spacing), 0, self.m - 1)
        xi = q - i * self.spacing
        down = 1.0 - rounded_ramp(xi, self.valley, ROUNDING * self.tooth_width)
        up = jnp.where(i < self.m - 1, rounded_ramp(xi - self.valley, rise_len, ROUNDING * rise_len), 0.0)
        first = rounded_ramp(p, self.tip, ROUNDING * self.tip)
        return jnp.where(q < 0, first, jnp.where(xi < self.valley, down, up))

    def tooth_coordinates(self, s: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
        """(in a tooth region, t in [0, 1) across it, on a flank, s' in [0, 1] on the flank)."""
        z = (s - LEAD) / self.unit
        i = jnp.floor(z)
        r = z - i
        t = r / SHARE
        inside = (i >= 0) & (i < self.m) & (t < 1.0)
        return inside, t, inside & (t >= THETA), jnp.clip((t - THETA) / (1.0 - THETA), 0.0, 1.0)

    @property
    def foot(self) -> float:
        """x_k where a tooth's flank meets its ramp (end of the first tooth region)."""
        with jax.ensure_compile_time_eval():  # a design-time number, also when traced
            return self.floor + self.ramp * float(self.ramp_profile(jnp.asarray(self.lead_in + self.tooth_width)))

    def foot_slope(self) -> float:
        """d x_k / d pos on the ramp just past the foot (the flank must end with it)."""
        p, h = self.lead_in + self.tooth_width, 1e-7
        with jax.ensure_compile_time_eval():
            return self.ramp * float(self.ramp_profile(jnp.asarray(p + h)) - self.ramp_profile(jnp.asarray(p))) / h

    def flank_rate(self) -> float:
        """ds'/ds: how fast the flank's coordinate runs against this level's."""
        return 1.0 / ((1.0 - THETA) * SHARE * self.unit)

    def flank_sigma(self, j: int, s: np.ndarray) -> np.ndarray:
        """This level's s at s' = s on the flank of tooth j (inverse of tooth_coordinates)."""
        return LEAD + self.unit * (j + SHARE * (THETA + s * (1.0 - THETA)))

    def flank_end_speed(self) -> float:
        """dpos/ds' at the foot for whatever runs along this level's flanks: the ramp's
        slope there, so that flank and ramp join C^1."""
        return -self.foot_slope() * self.speed / self.flank_rate()


@dataclass(frozen=True)
class Schedule:
    """When each stage n acts: gathering on [n, n + GATHERING], spreading on
    [n + SPREADING, n + 1], drift from n + SPREADING until u = N, where everything stops."""

    n_stages: int

    def ramp(self, n: int, u: jax.Array) -> jax.Array:
        return smoothstep((u - n) / GATHERING)

    def tooth(self, n: int, u: jax.Array) -> jax.Array:
        return smoothstep((u - n - SPREADING) / (1.0 - SPREADING))

    def drift(self, n: int, u: jax.Array) -> jax.Array:
        return smoothstep((u - n - SPREADING) / (self.n_stages - n - SPREADING))


def _floor(k: int) -> float:
    """x_k of the segment a stage with tooth direction k starts from: the root tooth (k = 0)
    or the root curve (k >= 1, untouched before)."""
    return -MU_0 if k == 0 else -MU_ROOT


def design(d: int, n_stages: int, m: int, eps: float) -> tuple[Level, ...]:
    """The levels of a model for [0, 1]^d.

    Stage 0 gathers all of x_0 to one tooth MU_0 below the box; stage n = 1..N-1 splits
    x_n into m children (gap fraction phi = 1 - (1 - eps)^(1/(N-1)) per split, so the
    non-gap targets have measure >= 1 - eps). Teeth of stages n >= 1 sit tau = gap/2
    above their child (their segments run downwards); each tooth's flank is exactly the
    next stage's segment, from its tip down to the ramp at the tooth's foot.
    """
    phi = 1.0 - (1.0 - eps) ** (1.0 / max(n_stages - 1, 1))
    gap = phi / (m - 1) if m > 1 else 0.0
    width = (1.0 - (m - 1) * gap) / m
    levels: list[Level] = []
    for n in range(n_stages):
        k = (n + 1) % d
        if n == 0:  # one child, the whole box; the tooth MU_0 below it, watershed beyond it
            count, shape = (
                1,
                dict(orient=1.0, spacing=ROOT_REACH + MU_0, width=1.0, offset=MU_0, tooth_width=ROOT_TOOTH, lead_in=ROOT_LEAD),
            )
            shape["start"] = -MU_0 - ROOT_LEAD - THETA * ROOT_TOOTH  # the tip at x_0 = -MU_0
            shape["lead_out"] = ROOT_LEAD
        else:
            count, shape = (
                m,
                dict(
                    orient=-1.0,
                    spacing=width + gap,
                    width=width,
                    offset=gap / 2,
                    tooth_width=TOOTH_REGION * gap / 2,
                    lead_in=LEVEL_LEAD_IN,
                ),
            )
            shape["start"] = 1.0 + gap / 2 + LEVEL_LEAD_IN + THETA * TOOTH_REGION * gap / 2  # first tip tau above the box
            shape["lead_out"] = 0.0  # set below, once the parent's foot is known
        # the watershed, WATERSHED into the gap beyond the child (root: 0.075 beyond the box)
        valley = shape["offset"] + shape["width"] + WATERSHED * (shape["spacing"] - shape["width"])
        ramp = X0_RAMP if k == 0 else (ROOT_RAMP if n == 0 else SPLIT_RAMP)
        levels.append(
            Level(
                c=n,
                k=k,
                m=count,
                end_speed=0.0,
                valley=valley,
                floor=_floor(k),
                ramp=ramp,
                height=0.0,
                drift=DRIFT * shape["offset"],
                **shape,
            )
        )
    for n, level in enumerate(levels):
        if n + 1 < n_stages:
            child = levels[n + 1]
            last_tooth = child.start - child.lead_in - child.m * child.spacing
            levels[n + 1] = replace(child, lead_out=last_tooth - level.foot, end_speed=level.flank_end_speed())
            tip = child.start
        else:
            tip = 1.0 + TOP
        levels[n] = replace(level, height=tip - level.floor - level.ramp)
    return tuple(levels)


def _terminal_flank(level: Level, s: jax.Array) -> jax.Array:
    """Drop from the last tip along its flank (no children below it)."""
    return lead(s, 0.0, level.flank_end_speed(), 1.0 + TOP - level.foot)


def resolution(levels: tuple[Level, ...], d: int) -> float:
    """delta_N: the largest final distance to a non-gap target that the design allows.

    Per coordinate: a split coordinate is known to within child width + tooth offset; the
    last tooth's direction exactly; the root coordinate x_0 (if no tooth ever climbs it)
    to within 1 + MU_0; untouched coordinates to within 1 + MU_ROOT.
    """
    errors = np.full(d, 1.0 + MU_ROOT)
    errors[0] = 1.0 + MU_0
    for level in levels[1:]:
        errors[level.c] = level.width + level.offset
    errors[levels[-1].k] = 0.0
    return float(np.sqrt(np.sum(errors**2)))


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
        schedule = Schedule(self.n_stages)
        s = jnp.clip(sigma, 0.0, 1.0)
        root = self.levels[0]
        x = [jnp.full_like(s, -MU_ROOT) for _ in range(self.n_out)]
        x[0] = root.start + root.geometric_pos(s)
        inside = jnp.ones_like(s, dtype=bool)
        for n, level in enumerate(self.levels):
            in_tooth, t, on_flank, s_next = level.tooth_coordinates(s)
            drop = self.levels[n + 1].geometric_pos(s_next) if n + 1 < self.n_stages else _terminal_flank(level, s_next)
            p = level.pos(s)
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
            x[level.k] = x[level.k] + jnp.where(inside, lift, 0.0)
            shift = schedule.drift(n, u) * level.drift * window
            x[level.c] = x[level.c] + jnp.where(inside, level.orient * shift, 0.0)
            inside = inside & on_flank
            s = s_next
        return jnp.stack(x, axis=-1)


def hierarchical(d: int, n_stages: int | None = None, m: int = 150, eps: float = 0.05) -> Hierarchical:
    """The model for targets in [0, 1]^d with N stages (default d) and m children per split."""
    check_stages(n_stages, d)
    n_stages = d if n_stages is None else n_stages
    levels = design(d, n_stages, m, eps)
    root = levels[0]
    lo, hi = 0.0, 1.0
    for _ in range(100):  # sigma_0 by bisection (100 halvings: below float64 resolution): where the root curve passes x_0 = 1/2
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if root.start + float(root.pos(jnp.asarray(mid))) < 0.5 else (lo, mid)
    return Hierarchical(levels=levels, n_out=d, sigma0=0.5 * (lo + hi))
