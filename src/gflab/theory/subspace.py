"""The named links and their saddle-to-saddle predictions for the two-timescale Grassmannian flow.

Bietti, Bruna & Pillaud-Vivien 2023, "On learning Gaussian multi-index models with gradient flow".
Target y = g(V^T x) with a link g: R^r -> R written in the orthonormal Hermite basis,
g = sum_alpha a_alpha h_alpha(z) (:data:`LINKS`; the tensors T_l and the losses are built in
:mod:`gflab.problems.subspace`).

Derivation (leading small-overlap expansion). With L(M) = sum_l ||T_l||^2 - ||M^{(x) l} T_l||^2
(:mod:`gflab.problems.subspace`), suppose the first j - 1 index directions are learned and the
next one, v, has overlap m ~ d^(-1/2) with the student subspace (a random start). Expanding
||M^{(x) l} T_l||^2 in m, the lowest-order term that involves v is c m^(2l) for some order l
(the norm squares the overlap: order 2l, not l as in the correlation loss of Simsek, Bendjeddou
& Hsu 2024). On the
Grassmannian dm/dt = -dL/dm (1 - m^2) ~ 2 l c m^(2l - 1), so the plateau lasts

- l >= 2:  t ~ m0^(2 - 2l) / (2l (2l - 2) c)  ~ d^(l - 1);
- l = 1:   m ~ m0 e^(2 c t), t ~ log(1 / m0) / (2c) = log(d) / (4c) + O(1).

Per link (weights c from the tensors T_l, checked against the flow in the tests):

- he2 = h_2(z1): L = 1 - m^4: one plateau, l = 2, escape ~ d.
- he3 = h_3(z1): L = 1 - m^6: one plateau, l = 3, escape ~ d^2.
- staircase = z1 + z1 z2: first L ~ 2 - m_1^2 (l = 1, c = 1); with v1 learned the z1 z2 term
  gives ||M T_2 M^T||^2 ~ m_2^2 (l = 1, c = 1): two plateaus, each log(d) / 4, v1 first.
- he3-pair = h_3(z1) + h_3(z2) / 2: l = 3 with c = 1 then c = 1/4: v1 first, each ~ d^2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from gflab.errors import BadInput

PAPER = "Bietti, Bruna & Pillaud-Vivien 2023, On learning Gaussian multi-index models with gradient flow"

Link = Mapping[tuple[int, ...], float]

# Named links: multi-index alpha (per coordinate of z) -> coefficient of h_alpha.
LINKS: dict[str, Link] = {
    "he2": {(2,): 1.0},  # g = h_2(z1) = He_2(z1)/sqrt2: one plateau, escape ~ d
    "he3": {(3,): 1.0},  # g = h_3(z1): one plateau, escape ~ d^2
    "staircase": {(1, 0): 1.0, (1, 1): 1.0},  # g = z1 + z1 z2: two plateaus, each ~ (1/4) log d
    "he3-pair": {(3, 0): 1.0, (0, 3): 0.5},  # g = h_3(z1) + h_3(z2)/2: planted traps most starts; plateaus ~ d^2
}


def link(name: str) -> Link:
    """The link registered as ``name``; :class:`BadInput` naming the accepted ones otherwise."""
    if name not in LINKS:
        raise BadInput("link", f"unknown link {name!r}; accepted: {', '.join(LINKS)}")
    return LINKS[name]


def link_rank(coefficients: Link) -> int:
    """r, the number of index directions the link reads."""
    return len(next(iter(coefficients)))


@dataclass(frozen=True)
class Plateau:
    """One saddle of the saddle-to-saddle dynamics: the index direction learned when it ends,
    the order l of its leading term c m^(2l), and the weight c."""

    direction: int
    order: int
    weight: float

    @property
    def scaling(self) -> Literal["power", "log"]:
        return "log" if self.order == 1 else "power"

    @property
    def predicted(self) -> float:
        """Exponent l - 1 of d (l >= 2), or the slope 1 / (4c) of the escape time against log d (l = 1)."""
        return 1.0 / (4.0 * self.weight) if self.order == 1 else float(self.order - 1)


PLATEAUS: dict[str, tuple[Plateau, ...]] = {
    "he2": (Plateau(0, 2, 1.0),),
    "he3": (Plateau(0, 3, 1.0),),
    "staircase": (Plateau(0, 1, 1.0), Plateau(1, 1, 1.0)),
    "he3-pair": (Plateau(0, 3, 1.0), Plateau(1, 3, 0.25)),
}
