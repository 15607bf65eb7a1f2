"""Run directories: cached by spec hash, written atomically, safe to interrupt.

A run directory ``<root>/<experiment>-<hash16>/`` holds ``spec.json`` (the validated spec),
``summary.json`` (the ``--json`` object), ``metrics.parquet`` (tidy table) and PNG figures.
It is written under ``<root>/.tmp-...`` and renamed into place, so a directory that exists
under its final name is complete; a killed run leaves only a ``.tmp-`` folder, which is
ignored and cleaned up by the next run. A ``.tmp-`` name carries its writer's pid and host
(``.tmp-<what>-<pid>.<host>-<random>``), so a store shared by the machines of a cluster only
ever removes the leftovers of dead processes of the machine doing the cleaning.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gflab.errors import BadInput

SPEC_VERSION = 2  # 2: gd-stability draws a figure; summaries record wall time


def jsonable(value: Any) -> Any:
    """Plain JSON: numpy scalars to Python, non-finite floats to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def spec_hash(experiment: str, params: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"experiment": experiment, "params": params, "version": SPEC_VERSION}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _tmp_name(what: str) -> str:
    return f".tmp-{what}-{os.getpid()}.{_HOST}-{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """A folder of run directories: look up, write atomically, clean up. Knows nothing of the science."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        if not os.fspath(root).strip():
            raise BadInput("--out", "must name a folder (got an empty string)")
        self.root = Path(root)

    def run_dir(self, experiment: str, params: dict[str, Any]) -> Path:
        return self.root / f"{experiment}-{spec_hash(experiment, params)}"

    def check_writable(self) -> None:
        """Create the store folder and a temporary folder in it, before any compute: a store
        that cannot be written is :class:`BadInput` naming ``--out``."""
        probe = self.root / _tmp_name("probe")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.mkdir()
            probe.rmdir()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise BadInput(
                "--out", f"cannot write run directories to {str(self.root)!r} ({reason}); give a writable folder"
            ) from None

    @contextmanager
    def lock(self, final: Path) -> Iterator[None]:
        """Hold the lock of one run directory: a second process running the same spec waits,
        then finds the first one's result instead of computing it again."""
        locks = self.root / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        with open(locks / f"{final.name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def load(self, run_dir: Path) -> dict[str, Any] | None:
        """The summary of a complete run directory, or None. Its ``run_dir`` is stored
        relative to the store and resolved here, so a store folder can be moved or copied."""
        try:
            summary = json.loads((run_dir / "summary.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if isinstance(summary, dict) and isinstance(summary.get("run_dir"), str):
            summary["run_dir"] = str(run_dir.resolve())
        return summary

    def write(self, final: Path, files: Mapping[str, Callable[[Path], None]]) -> None:
        """Write a run directory atomically: each ``files[name](path)`` writes one file into a
        temporary folder, which is then renamed to ``final`` (replacing an older one)."""
        self._clean_stale()
        tmp = self.root / _tmp_name(final.name)
        tmp.mkdir(parents=True)
        for name, write_file in files.items():
            write_file(tmp / name)
        self._publish(tmp, final)

    def _publish(self, tmp: Path, final: Path) -> None:
        """Rename ``tmp`` to ``final`` (replacing an older complete run when forced)."""
        if final.exists():
            trash = self.root / _tmp_name(f"old-{final.name}")
            final.rename(trash)
            tmp.rename(final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            tmp.rename(final)

    def runs(self) -> list[dict[str, Any]]:
        """The complete run directories, newest first: name, experiment, params, claim
        verdicts, modification time and size on disk."""
        rows = []
        for run_dir in self.root.glob("*-*"):
            summary = self.load(run_dir) if run_dir.is_dir() and not run_dir.name.startswith(".") else None
            if summary is None:
                continue
            size = sum(f.stat().st_size for f in run_dir.iterdir() if f.is_file())
            verdicts = [c.get("verdict") for c in summary.get("claims", [])]
            rows.append(
                {
                    "run": run_dir.name,
                    "experiment": summary.get("experiment"),
                    "params": summary.get("params", {}),
                    "verdicts": {v: verdicts.count(v) for v in sorted(set(verdicts), key=str)},
                    "modified": (run_dir / "summary.json").stat().st_mtime,
                    "bytes": size,
                }
            )
        return sorted(rows, key=lambda row: -row["modified"])

    def clean(self) -> list[Path]:
        """Remove the temporary folders of runs whose process is gone; returns them."""
        return self._clean_stale()

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private scratch folder inside the store (for tables spooled while a run computes),
        removed afterwards, or by the next cleaning if this process is killed."""
        folder = self.root / _tmp_name("scratch")
        folder.mkdir(parents=True)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _clean_stale(self) -> list[Path]:
        """Remove ``.tmp-`` folders left by this machine's runs whose process is gone."""
        removed: list[Path] = []
        if not self.root.exists():
            return removed
        for path in self.root.glob(".tmp-*"):
            try:
                pid_text, _, host = path.name.rsplit("-", 2)[-2].partition(".")
                pid = int(pid_text)
            except (ValueError, IndexError):
                continue
            if host in ("", _HOST) and not _pid_alive(pid):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        return removed


def read_params_file(path: str) -> dict[str, Any]:
    """Parameters from a TOML or JSON file; :class:`BadInput` if unreadable or malformed."""
    import tomllib

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput("spec", f"cannot read {path!r}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise BadInput("spec", f"{path!r} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        data = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput("spec", f"{path!r} is not valid {'JSON' if path.endswith('.json') else 'TOML'}: {exc}") from None
    if not isinstance(data, dict):
        raise BadInput("spec", f"{path!r} must hold a table of parameters")
    return data
