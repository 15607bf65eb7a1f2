"""Experiment contract: a validated spec in, a :class:`Result` out (metrics, table, figures, claims)."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from gflab.errors import BadInput


class Spec(BaseModel):
    """Base of every experiment spec: strict, frozen, unknown keys rejected, no inf/nan."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=False)


@dataclass
class Result:
    """What an experiment run produces.

    metrics: JSON-able numbers and small lists (go into summary.json).
    table: tidy frame, one row per recorded time and trajectory (metrics.parquet).
    figures: name -> matplotlib Figure (saved as PNG).
    """

    metrics: dict[str, Any]
    table: pd.DataFrame
    figures: dict[str, Any] = field(default_factory=dict)


class Experiment(abc.ABC):
    """One paper experiment: ``name``, its ``Spec`` class, and ``run(spec)``.

    Its one-line summary lives in :data:`gflab.experiments.REGISTRY` (read without importing JAX)."""

    name: ClassVar[str]
    spec_class: ClassVar[type[Spec]]

    @abc.abstractmethod
    def run(self, spec: Any, *, progress: bool = False) -> Result:
        """Run the experiment for a validated spec."""

    def validate(self, params: dict[str, Any]) -> Spec:
        """Validate raw parameters; a :class:`BadInput` naming the first bad field otherwise."""
        try:
            return self.spec_class(**params)
        except ValidationError as exc:
            raise BadInput(*_describe(self.name, self.spec_class, exc)) from None


def _describe(experiment: str, spec_class: type[Spec], exc: ValidationError) -> tuple[str, str]:
    error = exc.errors()[0]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, BadInput):
        return f"{experiment}.{cause.field}", str(cause).split(": ", 1)[1]
    loc = ".".join(str(x) for x in error["loc"]) or "spec"
    if error["type"] == "extra_forbidden":
        accepted = ", ".join(sorted(spec_class.model_fields))
        return f"{experiment}.{loc}", f"unknown parameter; accepted: {accepted}"
    got = error.get("input")
    message = error["msg"].replace("\n", " ")
    return f"{experiment}.{loc}", f"{message} (got {got!r})"
