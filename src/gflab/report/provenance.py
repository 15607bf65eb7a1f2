"""Where a report comes from: software versions, the commit, the machine, the date and the size."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# the packages whose versions decide the numbers (shown in this order)
PACKAGES = ("gflab", "jax", "jaxlib", "diffrax", "equinox", "optax", "numpy", "scipy", "matplotlib")


def provenance(*, quick: bool | None) -> dict[str, Any]:
    """The facts printed at the top of a report (JSON-able).

    ``quick``: the claims' quick sizes (True), their full sizes (False), or not recorded (None).
    """
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": {True: "quick", False: "full", None: "not recorded"}[quick],
        "commit": git_commit(),
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in PACKAGES},
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": {
            "usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "total": os.cpu_count(),
        },
    }


def git_commit(source: Path | None = None) -> str | None:
    """The commit of the git checkout holding gflab's source (with "+ uncommitted changes" when its
    tracked files differ from it), or None for an installed copy or when git is missing."""
    folder = source or Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--short=12", "HEAD")
    if commit is None:
        return None
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{commit} + uncommitted changes" if dirty else commit


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what :mod:`platform` says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
