"""Errors that the command line turns into a one-line message and exit status 2."""

from __future__ import annotations


class BadInput(ValueError):
    """Bad user input: unknown name, invalid value, unreadable spec.

    The message names the field and what it accepts; the CLI prints it on one line.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")
