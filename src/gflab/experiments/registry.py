"""One registry line: where an experiment's class lives and what it shows (read without JAX)."""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    """An experiment's module, its class name and a one-line summary for ``gflab list``."""

    module: str
    cls: str
    summary: str
