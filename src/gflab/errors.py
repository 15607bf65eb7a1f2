"""Errors that the command line turns into a one-line message and exit status 2."""

from __future__ import annotations


class BadInput(ValueError):
    """Bad user input: unknown name, invalid value, unreadable spec.

    The message names the field and what it accepts; the CLI prints it on one line.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = _one_line(field, 80)
        super().__init__(f"{self.field}: {_one_line(message, 1000)}")


def _one_line(text: str, limit: int) -> str:
    """``text`` on one line (newlines shown as \\n) and at most ``limit`` characters: a
    pasted 100 KB value or a key with a newline must not flood the terminal."""
    text = str(text).replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."
