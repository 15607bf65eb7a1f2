"""One registry line: where an experiment's class lives and what it shows (read without JAX)."""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    """An experiment's module, its class name, a one-line summary for ``gflab list``, and the
    name of its spec class in the family's ``specs`` module (so that input is validated
    without importing the experiment, and JAX with it)."""

    module: str
    cls: str
    summary: str
    spec: str = ""
