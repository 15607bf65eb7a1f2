"""The design of the hierarchical model's levels (Yarotsky 2024, "Learnability of
high-dimensional targets by two-parameter models and gradient flow", Theorem 6) for
[0, 1]^d: :func:`design`, its resolution delta_N (:func:`resolution`) and how many stages
float64 holds (:func:`max_stages`).

**Re-splitting** (stages n >= d). Theorem 6's hierarchy cycles the split coordinate
k_n over 1..d without end. Stage n splits c = x_(n mod d) again, inside the child of its
previous split of c (``Level.parent``), so its segments run the other way (``orient``
flips), and its teeth point from the tooth of the previous split of the tooth direction k
into that split's child (``rise``, +1 or -1). Such a level's geometry is the same in every
box relative to the box, so its ``floor`` is 0 (x_k is measured from the floor along
``rise``) and its teeth's x_c from the box's own near edge. The drift of the previous split
of x_c carries everything on its flanks along x_c, so it ends before the re-split begins
(:class:`Schedule`) and the re-split is designed where the drift leaves it.

*How fine a re-split may be* (derived here). Stage n starts with the nearest point on its
segment at x_c = f_c and x_k at the floor, a distance h >= D_n from the target, where D_n
is the floor's gap to the child: the previous split's tooth offset, less its drift,
D_n = (1 - DRIFT) tau_L. Gathering moves the point along x_c to the tooth of the
target's child, up to valley ~ w_n from f_c, while the distance must keep falling; with a
ramp of height A the tooth is the nearest point only if (A / valley)(h - A) >= valley,
so A = D_n / 2 needs valley <= D_n / 2. The design takes w_n = GATHER D_n (half that),
so a re-split refines by w_n / w_L ~ GATHER (1 - DRIFT) phi / 2 against the previous
split of the tooth direction, phi the gap fraction per split, and needs
m_n ~ (cell of x_c) / w_n children: float64 (sigma in [0, 1]) holds few such levels
(:func:`max_stages`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from gflab.problems.hierarchical_levels import (
    DRIFT,
    LEAD,
    LEVEL_LEAD_IN,
    MU_0,
    MU_ROOT,
    ROOT_LEAD,
    ROOT_RAMP,
    ROOT_REACH,
    ROOT_TOOTH,
    SPLIT_RAMP,
    THETA,
    TOOTH_REGION,
    WATERSHED,
    X0_RAMP,
    Level,
    deepest_unit,
)

# Re-splits (stages n >= d), in units of the previous split's tooth offset tau_L or of D_n.
GATHER = 0.25  # a re-split's child width: this fraction of D_n = (1 - DRIFT) tau_L (see the module docstring)
RESPLIT_RAMP = 0.5  # a re-split's gathering amplitude: this fraction of D_n
RESPLIT_LEAD = 0.2  # a re-split's lead-in beyond its cell, and the last teeth's reach: this fraction of tau_L

#: The deepest level's unit must span at least this much of sigma in [0, 1] (about 2048
#: float64 steps of sigma just below 1; d = 5 with m = 150 has 8.2e-11, with m = 200 2.6e-11).
MIN_UNIT_SIGMA = 2.0**-42


def _floor(k: int) -> float:
    """x_k of the segment a stage with tooth direction k starts from: the root tooth (k = 0)
    or the root curve (k >= 1, untouched before)."""
    return -MU_0 if k == 0 else -MU_ROOT


def design(d: int, n_stages: int, m: int, eps: float) -> tuple[Level, ...]:
    """The levels of a model for [0, 1]^d.

    Stage 0 gathers all of x_0 to one tooth MU_0 below the box; stage n = 1..d-1 splits
    x_n into m children and stage n >= d splits x_(n mod d) again (a re-split, see the
    module docstring), each with gap fraction phi = 1 - (1 - eps)^(1/(N-1)), so the
    non-gap targets have measure >= 1 - eps. Teeth of stages n >= 1 sit tau = gap/2
    before their child (first splits: above it, their segments run downwards); each
    tooth's flank is exactly the next stage's segment, from its tip down to the ramp at the
    tooth's foot.
    """
    phi = 1.0 - (1.0 - eps) ** (1.0 / max(n_stages - 1, 1))
    gap = phi / (m - 1) if m > 1 else 0.0
    width = (1.0 - (m - 1) * gap) / m
    levels: list[Level] = []
    for n in range(n_stages):
        k = (n + 1) % d
        if n >= d:
            levels.append(_resplit(levels, n, d, phi))
            continue
        shape: dict[str, Any]
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
            # the child's first tip in this level's x_k: absolute while its cell is the box
            # (stages n + 1 <= d), else from this level's floor across the cell and beyond
            tip = child.start if n + 1 <= d else _beyond_cell(child.parent, _overshoot(child))
            if n + 1 >= d:  # a re-split: where its parent's flank and drift (done by u = n + 1) carry it along x_k
                tip -= _carried(child.parent)
            last_tooth = tip - child.lead_in - child.m * child.spacing
            levels[n + 1] = replace(child, lead_out=last_tooth - level.foot, end_speed=level.flank_end_speed())
        else:
            tip = level.top
        levels[n] = replace(level, height=tip - level.floor - level.ramp)
    return tuple(levels)


def _overshoot(level: Level) -> float:
    """How far before its cell a level's segment starts (at its parent's tip), along x_c."""
    return level.lead_in + THETA * level.tooth_width + level.offset


def _beyond_cell(split: Level | None, overshoot: float) -> float:
    """x_k from the floor of a re-split (the tooth of ``split``, the previous split of x_k)
    to ``overshoot`` past the far edge of that split's child."""
    if split is None:
        raise ValueError("a re-split's tooth direction has been split before")
    return split.offset + split.width + overshoot


def _carried(split: Level | None) -> float:
    """How far along its x_c (with ``orient``) everything on the teeth's flanks of ``split``
    lies from its teeth: half the corner where x_c stops (the geometric position of :meth:`Level.positions`: the flank's
    straight middle lies that far past the tip), plus the drift H (a re-split of that x_c
    starts only once the drift is done, see :class:`Schedule`)."""
    if split is None:
        raise ValueError("a re-split has a parent")
    return LEAD * (1.0 - THETA) * split.tooth_width / 2 + split.drift


def _previous_split(levels: list[Level], coordinate: int) -> Level:
    """The last level so far that split x_coordinate (the root for x_0)."""
    return next(level for level in reversed(levels) if level.c == coordinate)


def _resplit(levels: list[Level], n: int, d: int, phi: float) -> Level:
    """Stage n >= d: split x_(n mod d) again inside the child of its previous split, into
    children of width at most GATHER D_n (D_n the floor's gap to the cell of x_k, see the
    module docstring) with gap fraction phi; its teeth point from the tooth of the previous
    split of x_k into that split's child."""
    c, k = n % d, (n + 1) % d
    parent, below = _previous_split(levels, c), _previous_split(levels, k)
    cell = parent.width
    reach = (1.0 - DRIFT) * below.offset  # D_n
    count = max(2, math.ceil((1.0 - phi) * cell / (GATHER * reach)))
    gap = phi * cell / (count - 1)
    width = (1.0 - phi) * cell / count
    level = Level(
        c=c,
        k=k,
        orient=-parent.orient,
        start=0.0,  # set below
        m=count,
        spacing=width + gap,
        width=width,
        offset=gap / 2,
        tooth_width=TOOTH_REGION * gap / 2,
        lead_in=RESPLIT_LEAD * parent.offset,
        lead_out=0.0,  # set by design, once the parent's foot is known
        end_speed=0.0,
        valley=gap / 2 + width + WATERSHED * gap,
        floor=0.0,
        ramp=RESPLIT_RAMP * reach,
        height=0.0,
        drift=DRIFT * gap / 2,
        rise=below.orient,
        top=_beyond_cell(below, RESPLIT_LEAD * below.offset),
        parent=parent,
    )
    # x_c at pos 0: absolute where the cell is the box (the root's one child), else from the cell's near edge
    near = 1.0 if parent is levels[0] else 0.0
    return replace(level, start=near + parent.orient * _overshoot(level))


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


def max_stages(d: int, m: int, eps: float, limit: int = 64) -> int:
    """The largest N whose deepest unit spans at least MIN_UNIT_SIGMA of sigma (0 if none)."""
    best = 0
    for n_stages in range(1, limit + 1):
        if deepest_unit(design(d, n_stages, m, eps)) < MIN_UNIT_SIGMA:
            break
        best = n_stages
    return best
