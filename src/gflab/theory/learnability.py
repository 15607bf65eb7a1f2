"""Predictions of Yarotsky (2024), "Learnability of high-dimensional targets by two-parameter
models and gradient flow" (seed 000).

- Corollary 10: for an elementary model Phi: R^W -> R^d with W < d (trigonometric sums,
  polynomials, the sin-curve), gradient flow learns only a Lebesgue-null set of targets.
  Hence the learned fraction under any target law with a density is 0.
- Control: a linear Phi(w) = A w with W = d and A invertible gives a strictly convex loss
  whose unique minimum has Phi(w*) = f: every target is learned (fraction 1).
- Theorem 4: if W < d, every subset of targets homeomorphic to the W-sphere contains a
  non-learnable target (the limit map cannot be continuous on the sphere and equal to the
  identity there, by a Borsuk-Ulam-type argument).
"""

from __future__ import annotations

PAPER = "Yarotsky 2024, Learnability of high-dimensional targets by two-parameter models and gradient flow"


def learned_fraction(model: str, W: int, d: int) -> float:
    """Predicted fraction of targets (law with a density) learned by gradient flow."""
    if model == "linear" and W == d:
        return 1.0
    if W < d:
        return 0.0
    raise ValueError(f"no prediction for model {model!r} with W={W}, d={d}")


def sphere_has_nonlearnable_target(W: int, d: int) -> bool:
    """Theorem 4: a W-sphere of targets contains a non-learnable one whenever W < d."""
    return W < d
