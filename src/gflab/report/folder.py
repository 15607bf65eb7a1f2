"""The report folder: ``report.html`` (self-contained), ``claims.json``, ``provenance.json`` and
``figures/`` (copies of the runs' PNGs); written after a reproduction, or rebuilt from a folder."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gflab.errors import BadInput
from gflab.report.page import Figure, Run, render
from gflab.report.provenance import provenance


def write_report(
    out: Path,
    results: list[dict[str, Any]],
    summaries: list[dict[str, Any]],
    *,
    quick: bool | None,
    facts: dict[str, Any] | None = None,
) -> Path:
    """Write the report of ``results`` (claim rows, each with its ``run_dir``) measured by the runs
    ``summaries`` (each with an absolute ``run_dir``, or None for a crashed run) into ``out``;
    return the path of ``report.html``. ``facts``: the provenance to show (default: this machine now)."""
    out.mkdir(parents=True, exist_ok=True)
    facts = facts or provenance(quick=quick)
    (out / "claims.json").write_text(json.dumps(results, indent=2))
    (out / "provenance.json").write_text(json.dumps(facts, indent=2))
    figures_dir = out / "figures"
    figures_dir.mkdir(exist_ok=True)
    runs = [_run(summary, out, figures_dir) for summary in summaries]
    path = out / "report.html"
    path.write_text(render(results, runs, facts))
    return path


def rebuild_report(source: Path, out: Path | None = None) -> Path:
    """Rebuild a report from what is on disk; return the path of ``report.html``.

    ``source`` is one of: a report folder (``claims.json`` and ``runs/``, rebuilt in place by
    default, with the provenance it recorded), a run folder (``summary.json``), or a store of run
    folders (its claims are those each run evaluated when it ran). The runs are found by their
    folder names, so a moved or copied folder still works. ``out`` defaults to ``source`` for a
    report folder and to ``source/report`` otherwise.
    """
    if not source.is_dir():
        raise BadInput("report", f"{source} is not a folder (give a report folder, a run folder or a store)")
    if (source / "claims.json").is_file():
        results = _read_json(source / "claims.json", list)
        names = list(dict.fromkeys(Path(r["run_dir"]).name for r in results if r.get("run_dir")))
        summaries = [s for name in names if (s := _load_run(source / "runs" / name)) is not None]
        facts_file = source / "provenance.json"
        facts = _read_json(facts_file, dict) if facts_file.is_file() else provenance(quick=None)
        target = out or source
    else:
        folders = [source] if (source / "summary.json").is_file() else sorted(p for p in source.iterdir() if p.is_dir())
        summaries = [s for folder in folders if (s := _load_run(folder)) is not None]
        if not summaries:
            raise BadInput("report", f"{source} holds no claims.json, no summary.json and no run folders")
        results = [claim | {"run_dir": s["run_dir"]} for s in summaries for claim in s.get("claims", [])]
        facts = provenance(quick=None)
        target = out or source / "report"
    located = {Path(s["run_dir"]).name: s["run_dir"] for s in summaries}
    results = [r | {"run_dir": located.get(Path(r["run_dir"]).name)} if r.get("run_dir") else r for r in results]
    facts = facts | {"rebuilt": datetime.now(UTC).isoformat(timespec="seconds")}
    return write_report(target, results, summaries, quick=None, facts=facts)


def _load_run(folder: Path) -> dict[str, Any] | None:
    """The summary of a run folder with its ``run_dir`` made absolute, or None."""
    if folder.name.startswith(".") or not (folder / "summary.json").is_file():
        return None
    summary = _read_json(folder / "summary.json", dict)
    return summary | {"run_dir": str(folder.resolve())}


def _read_json(path: Path, kind: type) -> Any:
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput("report", f"cannot read {path}: {exc}") from None
    if not isinstance(value, kind):
        raise BadInput("report", f"{path} does not hold a JSON {kind.__name__}")
    return value


def _run(summary: dict[str, Any], out: Path, figures_dir: Path) -> Run:
    """A run as the page shows it; its PNGs copied into ``figures_dir``."""
    if not summary.get("run_dir"):
        return Run(summary=summary, name=None, href=None, figures=())
    run_dir = Path(summary["run_dir"])
    figures = []
    for png in sorted(run_dir.glob("*.png")):
        target = figures_dir / f"{run_dir.name}-{png.name}"
        shutil.copyfile(png, target)
        figures.append(Figure(run=run_dir.name, name=png.stem, file=target.relative_to(out).as_posix(), png=png.read_bytes()))
    return Run(summary=summary, name=run_dir.name, href=_href(run_dir, out), figures=tuple(figures))


def _href(run_dir: Path, out: Path) -> str:
    """The run folder's link: relative when it lies inside the report folder, else a file URI."""
    run_dir, out = run_dir.resolve(), out.resolve()
    return Path(os.path.relpath(run_dir, out)).as_posix() + "/" if run_dir.is_relative_to(out) else run_dir.as_uri()
