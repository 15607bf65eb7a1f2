"""What is learned: problems are immutable pytrees with a pure loss."""

from gflab.problems.base import AbstractProblem
from gflab.problems.curves import (
    AbstractCurveModel,
    CurveFit,
    CustomModel,
    LinearModel,
    PolynomialModel,
    SinCurve,
    TrigModel,
    custom,
    make_model,
)

__all__ = [
    "AbstractCurveModel",
    "AbstractProblem",
    "CurveFit",
    "CustomModel",
    "LinearModel",
    "PolynomialModel",
    "SinCurve",
    "TrigModel",
    "custom",
    "make_model",
]
