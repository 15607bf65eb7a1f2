"""Experiments, one package per paper family, gathered here (without importing JAX).

A family package ``gflab/experiments/<family>/`` holds its experiment modules, its
``claims.py`` and a JAX-free ``__init__`` with ``EXPERIMENTS`` (name -> :class:`Entry`) and
``CLAIMS``. Adding a family is one line in :data:`FAMILIES`; adding an experiment is one
module in its family plus one line in the family's ``EXPERIMENTS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from gflab.claims import Claim
from gflab.errors import BadInput
from gflab.experiments import factorised, learnability, linear, multi_index, networks, online_sgd, stability
from gflab.experiments.registry import Entry

FAMILIES: tuple[ModuleType, ...] = (learnability, multi_index, stability, networks, linear, online_sgd, factorised)

REGISTRY: dict[str, Entry] = {name: entry for family in FAMILIES for name, entry in family.EXPERIMENTS.items()}
CLAIMS: tuple[Claim, ...] = tuple(claim for family in FAMILIES for claim in family.CLAIMS)


def get_experiment(name: str) -> Any:
    """The experiment object registered under ``name``."""
    if name not in REGISTRY:
        raise BadInput("experiment", f"unknown experiment {name!r}; accepted: {', '.join(REGISTRY)}")
    entry = REGISTRY[name]
    return getattr(importlib.import_module(entry.module), entry.cls)()


def get_claims(ids: Iterable[str] | None = None) -> list[Claim]:
    """Claims by id (all when ``ids`` is empty or None)."""
    ids = list(ids or [])
    known = {c.id: c for c in CLAIMS}
    for claim_id in ids:
        if claim_id not in known:
            raise BadInput("claim", f"unknown claim {claim_id!r}; accepted: {', '.join(known)}")
    return [known[i] for i in ids] if ids else list(CLAIMS)


def claims_markdown() -> str:
    """The README's claims table, generated from the registry."""
    lines = ["| claim | statement | paper | predicted | tolerance |", "|---|---|---|---|---|"]
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731  (a pipe would end the cell)
    for c in CLAIMS:
        predicted = "" if c.predicted is None else f"{c.predicted:g}"
        lines.append(f"| `{c.id}` | {cell(c.statement)} | {cell(c.paper)} | {predicted} | {cell(c.tolerance)} |")
    return "\n".join(lines)


__all__ = ["CLAIMS", "FAMILIES", "REGISTRY", "Entry", "claims_markdown", "get_claims", "get_experiment"]
