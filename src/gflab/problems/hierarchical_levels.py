"""The levels of the hierarchical model of Yarotsky 2024 ("Learnability of high-dimensional
targets by two-parameter models and gradient flow", Theorem 6): their static geometry
(:class:`Level`) and when each stage acts (:class:`Schedule`).

The design of a model's levels, re-splits included, is :mod:`gflab.problems.hierarchical_design`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gflab._jax import jax_module
from gflab.problems.blends import lead, rounded_ramp, smoothstep

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
    floor: float  # x_k of the segment before this stage (re-splits: 0, x_k measured from it along ``rise``)
    ramp: float  # gathering amplitude A_n (in x_k)
    height: float  # tooth height T_n at the tip (in x_k)
    drift: float  # final drift H_n (in x_c, towards the children)
    rise: float = 1.0  # the teeth grow along +x_k (+1) or -x_k (-1)
    top: float = 1.0 + TOP  # x_k (from ``floor``) that the teeth reach when no stage follows
    parent: Level | None = None  # re-splits: the previous split of x_c, whose child holding x_c is this level's cell

    def near_edge(self, x: np.ndarray) -> np.ndarray:
        """x_c where the cell holding x_c = x begins along ``orient`` (the box's top for a first
        split, its bottom for the root; for a re-split the far edge of its parent's child)."""
        if self.parent is None:
            return np.full_like(np.asarray(x, dtype=float), 1.0 if self.orient < 0 else 0.0)
        parent = self.parent
        return parent.near_edge(x) + parent.orient * (parent.child_of(x) * parent.spacing + parent.width)

    def child_of(self, x: np.ndarray) -> np.ndarray:
        """Index of the child (or of the gap after it) holding x_c = x, counted along ``orient``."""
        return np.floor(self.orient * (x - self.near_edge(x)) / self.spacing)

    def tooth_of(self, x: np.ndarray) -> np.ndarray:
        """x_c of the tooth of the child holding x_c = x (stages n >= 1: teeth sit tau before
        their child along ``orient``; first splits: above it, children counted down from the
        box's top)."""
        if self.parent is None:
            child = np.floor((1.0 - x) / self.spacing)
            return 1.0 - child * self.spacing + self.offset
        return self.near_edge(x) + self.orient * (self.child_of(x) * self.spacing - self.offset)

    def in_gap(self, x: np.ndarray) -> np.ndarray:
        """Whether x_c = x lies in a gap between children (stages n >= 1)."""
        if self.parent is None:
            return (1.0 - x) % self.spacing > self.width
        return (self.orient * (x - self.near_edge(x))) % self.spacing > self.width

    def gaps(self) -> list[tuple[float, float]]:
        """The m - 1 gaps (low, high) in x_c between children (first splits: one cell, the box)."""
        if self.parent is not None:
            raise ValueError("a re-split has a cell per box; use in_gap")
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
        return self._pos(s, self.units(s)[2])

    def _pos(self, s: jax.Array, z: jax.Array) -> jax.Array:
        """``pos`` from the unit counter z of ``units``."""
        p_in = LEAD * lead(s / LEAD, 0.0, self.speed, self.lead_in / LEAD)
        p_units = self.spacing * z
        p_out = LEAD * lead((s - 1.0 + LEAD) / LEAD, self.speed, self.end_speed, self.lead_out / LEAD)
        return p_in + p_units + p_out

    def positions(self, s: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(``pos``, the geometric position) at s, from one evaluation of ``units`` (the curve
        needs both: a smaller traced program). The geometric position is where the segment
        actually is along x_c: ``pos`` with every flank made vertical (x_c flat from just below
        the tip to the foot; a tilted flank would bias the nearest point along it by (offset in
        x_c) x tilt), the advance given back over the ramp."""
        i, _, z = self.units(s)
        p = self._pos(s, z)
        q = self.spacing * (z - i)  # pos within the unit
        flank = (1.0 - THETA) * self.tooth_width
        corner = LEAD * flank  # in the next level's lead-in/out, outside the box (lesson ii)
        lost = flank - corner
        flatten = lost * rounded_ramp(q - THETA * self.tooth_width, flank, corner)
        back = lost * rounded_ramp(
            q - self.tooth_width, self.spacing - self.tooth_width, ROUNDING * (self.spacing - self.tooth_width)
        )
        inside = (s > LEAD) & (s < 1.0 - LEAD)
        return p, p + jnp.where(inside, back - flatten, 0.0)

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
    [n + SPREADING, n + 1], drift from n + SPREADING until u = min(N, n + d), where it
    stops: a re-split of x_n begins at u = n + d, and a drift along x_n then would slide
    its ramps under the nearest point."""

    n_stages: int
    d: int

    def ramp(self, n: int, u: jax.Array) -> jax.Array:
        return smoothstep((u - n) / GATHERING)

    def tooth(self, n: int, u: jax.Array) -> jax.Array:
        return smoothstep((u - n - SPREADING) / (1.0 - SPREADING))

    def drift(self, n: int, u: jax.Array) -> jax.Array:
        return smoothstep((u - n - SPREADING) / (min(self.n_stages, n + self.d) - n - SPREADING))


def terminal_flank(level: Level, s: jax.Array) -> jax.Array:
    """Drop from the last tip along its flank (no children below it)."""
    return lead(s, 0.0, level.flank_end_speed(), level.top - level.foot)


def deepest_unit(levels: tuple[Level, ...]) -> float:
    """The sigma length of one unit (child) of the deepest level: each level's segments are
    the flanks of its parent's tooth regions, (1 - THETA) SHARE of a unit of it."""
    length = 1.0
    for level in levels[:-1]:
        length *= level.unit * SHARE * (1.0 - THETA)
    return length * levels[-1].unit
