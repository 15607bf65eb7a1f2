"""Named results: why a trajectory stopped and what its end means.

Enumerations whose members carry their message (diffrax's ``RESULTS`` is the model); they
are ``IntEnum`` s, so jitted code compares integer codes and the host reads names back.
"""

from __future__ import annotations

import enum


class _Coded(enum.IntEnum):
    """An integer code with a one-line message."""

    message: str

    def __new__(cls, value: int, message: str) -> _Coded:
        member = int.__new__(cls, value)
        member._value_ = value
        member.message = message
        return member

    @property
    def label(self) -> str:
        """The lower-case name used in tables and JSON (``learned``, ``reached-t1``)."""
        return self.name.lower().replace("_", "-")


class StopReason(_Coded):
    """Why the engine stopped a trajectory."""

    RUNNING = 0, "not stopped yet"
    LOSS_BELOW_TOL = 1, "the loss fell below tol"
    GRAD_BELOW_GTOL = 2, "the gradient norm fell below gtol"
    DIVERGED = 3, "a non-finite value, or the loss, gradient or parameters beyond the bound, or the step size collapsed"
    REACHED_T1 = 4, "the final time t1 was reached"
    MAX_STEPS = 5, "the step budget max_steps ran out"
    EVENT = 6, "the experiment's own stop event fired"


class Verdict(_Coded):
    """What the end of a trajectory means for learning."""

    LEARNED = 0, "loss below tol"
    TRAPPED = 1, "gradient below gtol with the loss at or above tol: a spurious critical point"
    UNDECIDED = 2, "neither learned nor trapped by the end"
    DIVERGED = 3, "non-finite or beyond the bound"


VERDICT_NAMES: tuple[str, ...] = tuple(v.label for v in Verdict)
