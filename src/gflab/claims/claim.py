"""The claim: one theoretical statement, one measurement, one tolerance, one verdict (no JAX here)."""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Any, Literal

# Comparisons of metrics[measured] with the threshold; "within": |measured - predicted| <= threshold;
# "covers": predicted lies in the interval [low, high] stored beside the measured value.
Relation = Literal["<=", ">=", "==", "<", ">", "within", "covers"]
_OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "<": operator.lt, ">": operator.gt}


@dataclass(frozen=True)
class Claim:
    """A statement checked by comparing ``metrics[measured]`` with ``threshold``."""

    id: str
    experiment: str
    statement: str
    paper: str
    measured: str
    relation: Relation
    threshold: float
    predicted: float | None
    quick: dict[str, Any] = field(default_factory=dict)
    full: dict[str, Any] = field(default_factory=dict)
    # the run's figures that show this claim (names without .png; empty: all of the run's figures)
    figures: tuple[str, ...] = ()
    # why the measurement is expected to disagree with the prediction, or what a failure means:
    # shown beside a failing verdict in the report (a failing claim is a finding)
    finding: str = ""

    @property
    def tolerance(self) -> str:
        if self.relation == "within":
            return f"|measured - predicted| <= {self.threshold:g}"
        if self.relation == "covers":
            return "predicted inside the measured 95% interval"
        return f"measured {self.relation} {self.threshold:g}"

    def params(self, quick: bool) -> dict[str, Any]:
        return dict(self.quick if quick else self.full)

    def applies_to(self, experiment: str, params: dict[str, Any]) -> bool:
        """True when a run of ``experiment`` with ``params`` measures this claim."""
        defining = {k: v for k, v in self.quick.items() if self.full.get(k) == v}
        return experiment == self.experiment and all(_same(params.get(k), v) for k, v in defining.items())

    def evaluate(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """The claim's row of ``claims.json``."""
        measured = _lookup(metrics, self.measured)
        if measured is None or not math.isfinite(measured):
            verdict = "error"
        else:
            verdict = "pass" if self._holds(metrics, measured) else "fail"
        return {
            "id": self.id,
            "statement": self.statement,
            "paper": self.paper,
            "predicted": self.predicted,
            "measured": measured,
            "tolerance": self.tolerance,
            "verdict": verdict,
            "figures": list(self.figures),
            "finding": self.finding if verdict == "fail" else "",
        }

    def _holds(self, metrics: dict[str, Any], measured: float) -> bool:
        if self.relation == "within":
            assert self.predicted is not None, f"{self.id}: 'within' needs a prediction"
            return abs(measured - self.predicted) <= self.threshold
        if self.relation == "covers":
            assert self.predicted is not None, f"{self.id}: 'covers' needs a prediction"
            parent = self.measured.rsplit(".", 1)[0]
            low, high = _lookup(metrics, parent + ".low"), _lookup(metrics, parent + ".high")
            return low is not None and high is not None and low <= self.predicted <= high
        return bool(_OPS[self.relation](measured, self.threshold))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return list(a) == list(b)
    return bool(a == b)


def _lookup(metrics: dict[str, Any], path: str) -> float | None:
    value: Any = metrics
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
