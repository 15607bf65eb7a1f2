"""What a run will cost before it starts: peak memory and compute time, estimated from its spec.

A spec whose size-like fields (targets, paths, widths, grid points, steps) ask for more than the
machine can give is refused at validation, naming those fields; a large one is announced
("~N GiB, ~M min") before any compute. The estimates are coarse models, linear in the work,
with rates measured on a 2-core development machine; they are meant to be right within a
factor of a few, which is what deciding "refuse / warn / run" needs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from gflab.errors import BadInput

GIB = 2.0**30
MAX_HOURS = 24.0  # one run; longer studies are sweeps of runs, each resumable
ANNOUNCE_MINUTES = 1.0
ANNOUNCE_GIB = 1.0


def machine_memory_gib() -> float:
    """Physical memory of this machine in GiB (8 GiB when the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    except (ValueError, OSError, AttributeError):
        return 8.0


def memory_budget_gib() -> float:
    """The memory one run may plan to use: 60% of the machine (the rest for the system, JAX's
    compiler and the other processes of a sweep). ``GFLAB_MEMORY_GIB`` overrides it."""
    override = os.environ.get("GFLAB_MEMORY_GIB")
    return float(override) if override else 0.6 * machine_memory_gib()


@dataclass(frozen=True)
class Cost:
    """Estimated peak memory (GiB) and compute time (minutes) of a run, and the spec fields
    that drive them (named in the refusal)."""

    gib: float
    minutes: float | None  # None: not modelled
    fields: tuple[str, ...]

    def __str__(self) -> str:
        if self.minutes is None:
            return f"~{self.gib:.1f} GiB"
        minutes = f"~{self.minutes:.0f} min" if self.minutes < 120 else f"~{self.minutes / 60:.0f} h"
        return f"~{self.gib:.1f} GiB, {minutes}"

    @property
    def large(self) -> bool:
        """Worth announcing before it starts."""
        return (self.minutes or 0.0) >= ANNOUNCE_MINUTES or self.gib >= ANNOUNCE_GIB

    def check(self) -> None:
        """Refuse a run that this machine cannot hold or finish within :data:`MAX_HOURS`."""
        budget = memory_budget_gib()
        names = ", ".join(self.fields)
        if self.gib > budget:
            raise BadInput(self.fields[0], f"this run needs {self} but one run may use {budget:.1f} GiB here; lower {names}")
        if self.minutes is not None and self.minutes > 60 * MAX_HOURS:
            raise BadInput(self.fields[0], f"this run needs {self}, beyond {MAX_HOURS:g} h for one run; lower {names}")


def cost(gib: float, seconds: float | None, *fields: str) -> Cost:
    """A :class:`Cost` from bytes-free units: ``gib`` of memory and ``seconds`` of compute
    (None: not modelled; a fixed 0.2 GiB and 5 s of start-up, JAX and compilation, are added)."""
    return Cost(gib=0.2 + gib, minutes=None if seconds is None else (5.0 + seconds) / 60.0, fields=fields)


def jobs_within_memory(costs: Iterable[Cost | None], jobs: int) -> int:
    """How many of these runs may run at once: ``jobs``, lowered so that that many of the
    largest together stay within the memory budget (runs without an estimate count as small)."""
    largest = max((c.gib for c in costs if c is not None), default=0.0)
    if largest <= 0.0:
        return jobs
    return max(1, min(jobs, int(memory_budget_gib() // largest)))


__all__ = ["Cost", "cost", "jobs_within_memory", "machine_memory_gib", "memory_budget_gib"]
