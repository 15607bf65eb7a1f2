"""What ends a trajectory (:class:`Stop`), and what the engine's compiled round takes as
arguments rather than as constants: the stop thresholds (:class:`Limits`) and the float
hyperparameters of the problem and the dynamics (:func:`traced_floats`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from gflab._jax import jax_module

jax_module()  # float64 and host devices, before JAX is first used
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


@dataclass(frozen=True)
class Stop:
    """Stop events: ``loss < tol`` (learned), ``|grad| < gtol`` (critical point), divergence
    (non-finite, or any of loss, |grad|, |params| beyond ``bound``), and ``event(problem,
    params) -> bool`` (an experiment's own condition, e.g. an overlap reached). None switches
    one off. The thresholds are arguments of the compiled program (runs that differ only in
    them share it); ``event`` is part of the program's key: give a hashable object that
    compares by value (a frozen dataclass), not a fresh lambda, to reuse compilations."""

    tol: float | None = None
    gtol: float | None = None
    bound: float = 1e8
    event: Callable[[Any, Any], jax.Array] | None = None

    def limits(self) -> Limits:
        """The thresholds as float64 arrays: arguments of the compiled round, not part of its
        key, so runs that differ only in them share one program. A rule that is off (None)
        gets -inf (``x < -inf`` never holds, not even for NaN), an unbounded one +inf."""
        below = lambda v: jnp.asarray(-math.inf if v is None else float(v))  # noqa: E731
        return Limits(below(self.tol), below(self.gtol), jnp.asarray(math.inf if self.bound is None else float(self.bound)))


class Limits(NamedTuple):
    """:class:`Stop`'s thresholds as 0-d float64 arrays."""

    tol: jax.Array
    gtol: jax.Array
    bound: jax.Array


def traced_floats(tree: Any) -> Any:
    """``tree`` with its Python float leaves as (weakly typed) float64 0-d arrays.

    ``eqx.filter_jit`` keys a compiled program on every non-array leaf by value: two ensembles
    whose dynamics or problem differ only in a float hyperparameter (a step size, a momentum,
    a tolerance, a final time) would each compile their own program. As arrays they are the
    program's arguments instead. The arithmetic is the same (a Python float is a weakly typed
    float64 constant under x64, and the arrays keep its weak type, so dtypes promote alike); ints
    and bools stay static (shapes, step counts, code paths).
    """
    return jax.tree.map(lambda x: jnp.asarray(x) if type(x) is float else x, tree)


# What tracing raises when a float is used as a Python number (in an ``if``, by numpy or math).
NEEDS_CONCRETE = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerIntegerConversionError,
)
