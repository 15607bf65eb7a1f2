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
class Quantity:
    """The claim's own quantity, predicted and measured side by side.

    For a claim decided on an error or a distance ("predicted 0, measured 9e-05") the report
    shows this quantity beside that number: e.g. the critical step eta_c, predicted and
    measured, per quadratic. ``predicted`` and ``measured`` are dotted paths into the run's metrics; a ``*``
    part runs over a dict's keys and a list (of numbers or of records) is run over entry by
    entry, so each path gives one value per entry. ``over`` names what the entries run over
    ("k", "quadratic"); ``labels`` is an optional path of the entries' labels (default: the
    dict keys met at ``*``, or the list positions 1, 2, ...). An empty ``predicted`` shows
    the measured values alone.
    """

    name: str
    measured: str
    predicted: str = ""
    over: str = ""
    labels: str = ""

    def entries(self, metrics: dict[str, Any]) -> list[dict[str, Any]]:
        """One ``{"label", "predicted", "measured"}`` per entry (empty when the paths match nothing)."""
        measured = _values(metrics, self.measured)
        predicted = dict(_values(metrics, self.predicted)) if self.predicted else {}
        names = {key: f"{v:g}" for key, v in _values(metrics, self.labels) if v is not None} if self.labels else {}
        return [{"label": names.get(key, key), "predicted": predicted.get(key), "measured": value} for key, value in measured]


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
    # what the measured number is, in words ("largest relative error of eta_c"): shown beside it
    measured_label: str = ""
    # the claim's own quantity, predicted and measured (for claims decided on an error or a distance)
    quantity: Quantity | None = None

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
        row: dict[str, Any] = {
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
        if self.measured_label:
            row["measured_label"] = self.measured_label
        if self.quantity is not None:
            row["quantity"] = {"name": self.quantity.name, "over": self.quantity.over, "entries": self.quantity.entries(metrics)}
        return row

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


def _values(metrics: dict[str, Any], path: str) -> list[tuple[str, float | None]]:
    """(key, number) for every value that the dotted ``path`` reaches (see :class:`Quantity`)."""
    found: list[tuple[str, Any]] = [("", metrics)]
    for part in path.split("."):
        step: list[tuple[str, Any]] = []
        for key, value in found:
            if isinstance(value, list):  # run over the entries, then take the part of each record
                items = [(_join(key, i), v) for i, v in enumerate(value)]
            else:
                items = [(key, value)]
            for item_key, item in items:
                if not isinstance(item, dict):
                    continue
                if part == "*":
                    step += [(f"{item_key}.{k}" if item_key else str(k), v) for k, v in item.items()]
                elif part in item:
                    step.append((item_key, item[part]))
        found = step
    flat: list[tuple[str, Any]] = []
    for key, value in found:
        flat += [(_join(key, i), v) for i, v in enumerate(value)] if isinstance(value, list) else [(key, value)]
    return [(key, _number(value)) for key, value in flat]


def _join(key: str, index: int) -> str:
    """The label of entry ``index`` of a list met under ``key`` (positions count from 1)."""
    return f"{key}.{index + 1}" if key else str(index + 1)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _lookup(metrics: dict[str, Any], path: str) -> float | None:
    value: Any = metrics
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return _number(value)
