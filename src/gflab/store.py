"""Run directories: cached by spec hash, written atomically, safe to interrupt.

A run directory ``<root>/<experiment>-<hash16>/`` holds ``spec.json`` (the validated spec),
``summary.json`` (the ``--json`` object), ``metrics.parquet`` (tidy table) and PNG figures.
It is written under ``<root>/.tmp-...`` and renamed into place, so a directory that exists
under its final name is complete; a killed run leaves only a ``.tmp-`` folder, which is
ignored and cleaned up by the next run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from gflab.errors import BadInput

SPEC_VERSION = 1


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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """A folder of run directories."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def run_dir(self, experiment: str, params: dict[str, Any]) -> Path:
        return self.root / f"{experiment}-{spec_hash(experiment, params)}"

    def load(self, run_dir: Path) -> dict[str, Any] | None:
        """The summary of a complete run directory, or None."""
        try:
            return json.loads((run_dir / "summary.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def run(self, experiment: str, params: dict[str, Any], *, force: bool = False, progress: bool = False) -> dict[str, Any]:
        """Validate, then load the cached run or compute and store it; returns the summary."""
        from gflab.claims import CLAIMS
        from gflab.console import stderr_console
        from gflab.experiments import get_experiment

        exp = get_experiment(experiment)
        spec = exp.validate(params)
        full_params = jsonable(spec.model_dump(mode="json"))
        final = self.run_dir(experiment, full_params)
        if not force and (cached := self.load(final)) is not None:
            if progress:
                stderr_console().print(f"[dim]{experiment}: cached {final}[/dim]")
            return cached
        self._clean_stale()
        start = time.perf_counter()
        result = exp.run(spec, progress=progress)
        claims = [c.evaluate(result.metrics) for c in CLAIMS if c.applies_to(experiment, full_params)]
        summary = {
            "experiment": experiment,
            "params": full_params,
            "metrics": jsonable(result.metrics),
            "claims": jsonable(claims),
            "run_dir": str(final),
        }
        tmp = self.root / f".tmp-{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        (tmp / "spec.json").write_text(
            json.dumps({"experiment": experiment, "params": full_params, "version": SPEC_VERSION}, indent=2, sort_keys=True)
        )
        result.table.to_parquet(tmp / "metrics.parquet", index=False)
        if result.figures:
            import matplotlib.pyplot as plt

            for name, fig in result.figures.items():
                fig.savefig(tmp / f"{name}.png", dpi=110)
                plt.close(fig)
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2))
        self._publish(tmp, final)
        if progress:
            stderr_console().print(f"[dim]{experiment}: {time.perf_counter() - start:.1f} s -> {final}[/dim]")
        return summary

    def _publish(self, tmp: Path, final: Path) -> None:
        """Rename ``tmp`` to ``final`` (replacing an older complete run when forced)."""
        if final.exists():
            trash = self.root / f".tmp-old-{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            final.rename(trash)
            tmp.rename(final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            tmp.rename(final)

    def _clean_stale(self) -> None:
        """Remove ``.tmp-`` folders left by runs whose process is gone."""
        if not self.root.exists():
            return
        for path in self.root.glob(".tmp-*"):
            try:
                pid = int(path.name.rsplit("-", 2)[-2])
            except (ValueError, IndexError):
                continue
            if not _pid_alive(pid):
                shutil.rmtree(path, ignore_errors=True)


def read_params_file(path: str) -> dict[str, Any]:
    """Parameters from a TOML or JSON file; :class:`BadInput` if unreadable or malformed."""
    import tomllib

    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise BadInput("spec", f"cannot read {path!r}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput("spec", f"{path!r} is not valid {'JSON' if path.endswith('.json') else 'TOML'}: {exc}") from None
    if not isinstance(data, dict):
        raise BadInput("spec", f"{path!r} must hold a table of parameters")
    return data
