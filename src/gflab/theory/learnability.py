"""Predictions of Yarotsky (2024), "Learnability of high-dimensional targets by two-parameter
models and gradient flow", and the names and parameter counts of its model zoo.

- Corollary 10: for an elementary model Phi: R^W -> R^d with W < d (trigonometric sums,
  polynomials, the sin-curve), gradient flow learns only a Lebesgue-null set of targets.
  Hence the learned fraction under any target law with a density is 0.
- Control: a linear Phi(w) = A w with W = d and A invertible gives a strictly convex loss
  whose unique minimum has Phi(w*) = f: every target is learned (fraction 1).
- Theorem 4: if W < d, every subset of targets homeomorphic to the W-sphere contains a
  non-learnable target (the limit map cannot be continuous on the sphere and equal to the
  identity there, by a Borsuk-Ulam-type argument).
- Theorem 6: a two-parameter model exists (built stage by stage; one stage per coordinate)
  that learns all targets of [0, 1]^d but a set of measure at most eps.

No JAX: the experiments' specs validate against these names and counts without importing it.
"""

from __future__ import annotations

from typing import Literal, get_args

from gflab.errors import BadInput

PAPER = "Yarotsky 2024, Learnability of high-dimensional targets by two-parameter models and gradient flow"

ModelName = Literal["sin-curve", "linear", "trig", "poly"]
MODEL_NAMES: tuple[str, ...] = get_args(ModelName)
FREE_W_MODELS: tuple[str, ...] = ("trig", "poly")  # W is a parameter; sin-curve has W = 1, linear W = d

#: The deepest dimension of Theorem 6's model as built here: level n holds ~(2m)^-n of the
#: curve's parameter interval, ~2.6e-11 at d = 5 (m = 200); each further level costs ~2m more,
#: towards float64's resolution.
HIERARCHICAL_MAX_D = 5
#: Bound on the stages N of Theorem 6's model (stage n >= d re-splits; float64 bounds N
#: further, by d, m and eps).
HIERARCHICAL_MAX_STAGES = 16
#: Re-splits built and tested: the first one (stage d splits x_0 again). A second re-split
#: (N >= d + 2) traps the adiabatic paths (16 uniform targets: d = 2, m = 8, N = 4: none learned;
#: d = 3, m = 40, N = 5: 6). Two causes: (a) one descent step of the adiabatic path moves Gamma
#: by up to 2e-3, many teeth of the first re-split (their spacing in x_c is 1.5e-4 and 2.1e-5
#: there), so its gathering lands on the nearest tooth, often the next child's, from which the
#: second re-split's teeth grow away from the target; (b) while the first re-split's teeth
#: grow, the only thing that brings the point closer is that level's drift (~1e-6), so u
#: moves at ~1e-11, while the relaxed point's leftover error along the flank (~1e-10, float64)
#: times the flank's sliding speed in u (~0.36) adds a rate of the same size.
HIERARCHICAL_RESPLITS = 1
#: Where the adiabatic paths of Theorem 6's model start: at u = 0 every stage's schedule is
#: flat (du/dt = 0, a stall), by u = 0.05 stage 0's gathering is under way.
HIERARCHICAL_U_START = 0.05


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


def default_W(name: str, d: int) -> int:  # noqa: N802
    """The number of parameters a zoo model has when the spec does not say."""
    return {"sin-curve": 1, "linear": d}.get(name, max(1, min(2, d - 1)))


def check_dims(name: str, d: int, W: int | None) -> int:
    """The model's W for target dimension d; :class:`BadInput` if (name, W, d) is impossible."""
    if name not in MODEL_NAMES:
        raise BadInput("model", f"unknown model {name!r}; accepted: {', '.join(MODEL_NAMES)}")
    W = default_W(name, d) if W is None else W
    if name == "sin-curve" and (W != 1 or d < 2):
        raise BadInput("W, d", f"sin-curve has W = 1 and needs d >= 2 (got W={W}, d={d})")
    if name == "linear" and W != d:
        raise BadInput("W", f"linear has W = d = {d} (got {W})")
    return W


def check_stages(n_stages: int | None, d: int, deepest: int | None = None) -> None:
    """:class:`BadInput` unless 1 <= N <= d (stage n splits x_n once), or, with ``deepest``
    (re-splits: stage n >= d splits x_(n mod d) again), 1 <= N <= d + HIERARCHICAL_RESPLITS and
    N <= deepest, the most stages whose deepest level float64 holds. N = None is the default, d."""
    n = d if n_stages is None else n_stages
    given = f"got {n}" if n_stages is not None else f"n_stages defaults to d = {d}"
    if n < 1:
        raise BadInput("n_stages", f"at least one stage: 1 <= n_stages (got {n})")
    if deepest is None and n > d:
        raise BadInput("n_stages", f"stage n splits x_n once, so 1 <= n_stages <= d = {d} (got {n})")
    if deepest is not None and n > deepest:
        raise BadInput(
            "n_stages",
            f"float64 holds at most n_stages = {deepest} for d = {d} and this m and eps ({given}): "
            "a deeper level's children would span under 2^-42 of the curve parameter",
        )
    if deepest is not None and n > d + HIERARCHICAL_RESPLITS:
        raise BadInput(
            "n_stages",
            f"one re-split is built: n_stages <= d + {HIERARCHICAL_RESPLITS} = {d + HIERARCHICAL_RESPLITS} ({given}); "
            "a second re-split traps its paths",
        )
