"""Experiment contract: a validated spec in, a :class:`Result` out (metrics, table, figures, claims)."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from gflab.errors import BadInput
from gflab.experiments.cost import Cost

if TYPE_CHECKING:
    import pandas as pd

    from gflab.tables import SpooledTable

INT64_MAX = 2**63 - 1  # integers travel to numpy and JAX as int64


class Spec(BaseModel):
    """Base of every experiment spec: frozen, unknown keys rejected, no inf/nan, no booleans
    where a number is meant (``n_targets=true`` is not one target), every integer within int64."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=False)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                field_info = cls.model_fields.get(name)
                if field_info is None or "bool" in str(field_info.annotation):
                    continue
                if isinstance(value, bool) or (isinstance(value, list | tuple) and any(isinstance(v, bool) for v in value)):
                    raise BadInput(name, f"expects {_type_name(field_info.annotation)}, not true/false")
        return data

    @model_validator(mode="after")
    def _integers_fit_int64(self) -> Spec:
        for name in type(self).model_fields:
            value = getattr(self, name)
            items = value if isinstance(value, list | tuple) else [value]
            if any(isinstance(v, int) and not isinstance(v, bool) and abs(v) > INT64_MAX for v in items):
                raise BadInput(name, f"integers must lie within +-(2^63 - 1) (got {_short(value)})")
        return self

    def cost(self) -> Cost | None:
        """Estimated memory and time of the run (None: small at every accepted size)."""
        return None


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Result:
    """What an experiment run produces.

    metrics: JSON-able numbers and small lists (go into summary.json).
    table: tidy frame, one row per recorded time and trajectory (metrics.parquet); a
        :class:`~gflab.tables.SpooledTable` when it is built chunk by chunk on disk.
    figures: name -> matplotlib Figure (saved as PNG).
    """

    metrics: dict[str, Any]
    table: pd.DataFrame | SpooledTable
    figures: dict[str, Any] = field(default_factory=dict)


class Experiment(abc.ABC):
    """One paper experiment: ``name``, its ``Spec`` class, and ``run(spec)``.

    Its one-line summary lives in :data:`gflab.experiments.REGISTRY` (read without importing JAX)."""

    name: ClassVar[str]
    spec_class: ClassVar[type[Spec]]

    @abc.abstractmethod
    def run(self, spec: Any, *, progress: bool = False) -> Result:
        """Run the experiment for a validated spec."""

    def phase_boundary(self, x: str, y: str, params: dict[str, Any]) -> tuple[Any, Any] | None:
        """The theory's curve in the plane of parameters (x, y) of a sweep, as arrays (xs, ys),
        at the fixed ``params``; None when the experiment predicts none there."""
        return None

    def validate(self, params: dict[str, Any]) -> Spec:
        """Validate raw parameters; a :class:`BadInput` naming the first bad field otherwise."""
        return validate_spec(self.name, self.spec_class, params)


def validate_spec(experiment: str, spec_class: type[Spec], params: dict[str, Any]) -> Spec:
    """``spec_class(**params)``, or a :class:`BadInput` naming ``experiment.field`` and what it accepts;
    then a spec whose run this machine cannot hold or finish (:meth:`Spec.cost`) is refused, after
    every consistency check (so an inconsistent spec is refused for its inconsistency)."""
    try:
        spec = spec_class(**params)
    except ValidationError as exc:
        raise BadInput(*_describe(experiment, spec_class, exc)) from None
    estimate = spec.cost()
    if estimate is not None:
        try:
            estimate.check()
        except BadInput as exc:
            raise BadInput(f"{experiment}.{exc.field}", str(exc).split(": ", 1)[1]) from None
    return spec


def _describe(experiment: str, spec_class: type[Spec], exc: ValidationError) -> tuple[str, str]:
    error = exc.errors()[0]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, BadInput):
        return f"{experiment}.{cause.field}", str(cause).split(": ", 1)[1]
    loc = ".".join(str(x) for x in error["loc"]) or "spec"
    if error["type"] == "extra_forbidden":
        accepted = ", ".join(sorted(spec_class.model_fields))
        return f"{experiment}.{loc}", f"unknown parameter; accepted: {accepted}"
    return f"{experiment}.{loc}", f"{error['msg']} (got {_short(error.get('input'))})"
