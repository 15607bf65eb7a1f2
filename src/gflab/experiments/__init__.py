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
from gflab.experiments.base import Spec, validate_spec
from gflab.experiments.registry import Entry

FAMILIES: tuple[ModuleType, ...] = (learnability, multi_index, stability, networks, linear, online_sgd, factorised)

FAMILY_PAPERS: dict[str, str] = {
    "learnability": "Yarotsky 2024",
    "multi_index": "Simsek, Bendjeddou & Hsu 2024; Bietti, Bruna & Pillaud-Vivien 2023",
    "stability": "Wu, Ma & E 2018; Cohen et al. 2021; Ma, Wu & E 2022",
    "networks": "E, Ma, Wojtowytsch & Wu 2020",
    "linear": "Velikanov, Kuznedelev & Yarotsky; Yarotsky (corner GD)",
    "online_sgd": "Saad & Solla 1995; Goldt et al. 2019",
    "factorised": "Golikov, Gusev & Yarotsky; Velikanov, Panov & Yarotsky",
}
REGISTRY: dict[str, Entry] = {name: entry for family in FAMILIES for name, entry in family.EXPERIMENTS.items()}
CLAIMS: tuple[Claim, ...] = tuple(claim for family in FAMILIES for claim in family.CLAIMS)


def experiment_family(name: str) -> str:
    """The family (package name) an experiment belongs to."""
    return REGISTRY[name].module.split(".")[2]


def experiment_paper(name: str) -> str:
    """The papers an experiment's family measures (short citations, for ``gflab list``)."""
    return FAMILY_PAPERS[experiment_family(name)]


def _entry(name: str) -> Entry:
    if name not in REGISTRY:
        raise BadInput("experiment", f"unknown experiment {name!r}; accepted: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def get_experiment(name: str) -> Any:
    """The experiment object registered under ``name`` (imports its module, and JAX)."""
    entry = _entry(name)
    return getattr(importlib.import_module(entry.module), entry.cls)()


def spec_class(name: str) -> type[Spec]:
    """The spec class of experiment ``name``, from its family's JAX-free ``specs`` module."""
    entry = _entry(name)
    if not entry.spec:
        return get_experiment(name).spec_class  # type: ignore[no-any-return]
    family = entry.module.rsplit(".", 1)[0]
    return getattr(importlib.import_module(f"{family}.specs"), entry.spec)  # type: ignore[no-any-return]


def validate(name: str, params: dict[str, Any]) -> Spec:
    """The validated spec of a run of ``name`` (no JAX imported: refusals are instant)."""
    return validate_spec(name, spec_class(name), params)


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


__all__ = [
    "CLAIMS",
    "FAMILIES",
    "REGISTRY",
    "Entry",
    "claims_markdown",
    "experiment_family",
    "experiment_paper",
    "get_claims",
    "get_experiment",
    "spec_class",
    "validate",
]
