"""Parameter sweeps: a grid of ordinary runs, one tidy table, phase-diagram figures.

A sweep spec (TOML)::

    experiment = "index-recovery"      # the experiment of every point
    seeds = 2                          # seeds 0..seeds-1 per point (or a list of seeds)
    metrics = ["recovered_fraction"]   # metrics for the table's plots (dotted paths)

    [params]                           # fixed parameters of every point
    d = 64

    [grid]                             # every combination of these axes
    k = [2, 3, 4, 6, 8]                # a list of values
    beta = {linspace = [0.0, 0.9, 10]} # or a range: linspace / logspace = [start, stop, num]

    [plot]                             # optional: a heat map of metric over (x, y)
    x = "k"
    y = "beta"
    metric = "recovered_fraction"

The number of points is computed from the axes' lengths and bounded (:data:`MAX_POINTS`)
before any point is built; every point is validated before any is run. Each point is a normal
run in the store (same spec hash, same cache), so an interrupted sweep resumes where it
stopped and two sweeps that share points compute them once. The sweep writes
``<store>/sweeps/<name>-<hash>/``: ``sweep.parquet`` (one row per point and seed: parameters,
scalar metrics, status, error, run folder), ``sweep.json`` (counts) and a heat map per
metric, with the experiment's theory curve drawn over it where it has one
(:meth:`gflab.experiments.base.Experiment.phase_boundary`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gflab.console import stderr_console
from gflab.errors import BadInput
from gflab.executors import Failed, cores, run_tasks
from gflab.experiments import get_experiment, validate
from gflab.experiments.cost import Cost, jobs_within_memory
from gflab.lab import run_point
from gflab.store import Store, jsonable, read_params_file

ANNOUNCE_SWEEP_MINUTES = 10.0
MAX_POINTS = 100_000  # runs per sweep (x seeds): beyond this, split the sweep
KEYS = ("experiment", "seeds", "metrics", "params", "grid", "plot")
RANGES: dict[str, Callable[..., np.ndarray]] = {"linspace": np.linspace, "logspace": np.geomspace}


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep: the experiment, the fixed parameters, the grid axes, seeds, plots."""

    name: str
    experiment: str
    fixed: dict[str, Any]
    axes: dict[str, list[Any]]
    seeds: list[int] | None
    metrics: list[str]
    plot: dict[str, str]

    @property
    def size(self) -> int:
        return math.prod(len(values) for values in self.axes.values()) * len(self.seeds or [None])

    def points(self) -> list[dict[str, Any]]:
        """Every combination of the axes, for every seed (the grid's first axis varies slowest)."""
        grids = np.meshgrid(*[np.arange(len(v)) for v in self.axes.values()], indexing="ij")
        flat = [g.ravel() for g in grids]
        keys = list(self.axes)
        points = []
        for n in range(flat[0].size if flat else 1):
            point = self.fixed | {k: self.axes[k][int(flat[j][n])] for j, k in enumerate(keys)}
            points += [point | {"seed": s} for s in self.seeds] if self.seeds is not None else [point]
        return points

    @property
    def key(self) -> str:
        canonical = json.dumps([self.experiment, self.fixed, self.axes, self.seeds], sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def parse(spec: dict[str, Any], name: str = "sweep") -> SweepSpec:
    """A :class:`SweepSpec` from the TOML's dict, checked and bounded before anything is built."""
    unknown = sorted(set(spec) - set(KEYS))
    if unknown:
        raise BadInput("sweep", f"unknown keys {unknown}; accepted: {', '.join(KEYS)}")
    experiment = spec.get("experiment")
    if not isinstance(experiment, str):
        raise BadInput("sweep.experiment", 'the spec must name the experiment (experiment = "...")')
    for table in ("params", "grid", "plot"):
        if not isinstance(spec.get(table, {}), dict):
            raise BadInput(f"sweep.{table}", f"must be a table ([{table}] with key = value lines)")
    grid = spec.get("grid", {})
    if not grid:
        raise BadInput("sweep.grid", "needs at least one axis (name = [values] or {linspace = [start, stop, num]})")
    lengths = {key: _axis_length(key, value) for key, value in grid.items()}
    seeds = _seeds(spec.get("seeds"))
    size = math.prod(lengths.values()) * len(seeds or [None])
    if size > MAX_POINTS:
        raise BadInput("sweep.grid", f"{size:.3g} points; at most {MAX_POINTS} per sweep (split it or shorten the axes)")
    if seeds is not None and "seed" in grid:
        raise BadInput("sweep.seeds", "give the seeds either as seeds = N or as a grid axis, not both")
    metrics = spec.get("metrics", [])
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise BadInput("sweep.metrics", "must be a list of metric names (dotted paths into the run's metrics)")
    plot = {str(k): v for k, v in spec.get("plot", {}).items()}
    for key, value in plot.items():
        if key not in ("x", "y", "metric"):
            raise BadInput(f"sweep.plot.{key}", "unknown key; accepted: x, y, metric")
        if not isinstance(value, str):
            raise BadInput(f"sweep.plot.{key}", f"must be a name (a string), got {value!r}")
    for axis in ("x", "y"):
        if axis in plot and plot[axis] not in grid:
            raise BadInput(f"sweep.plot.{axis}", f"must name a grid axis ({', '.join(grid)}), got {plot[axis]!r}")
    if "x" in plot and plot.get("x") == plot.get("y"):
        raise BadInput("sweep.plot.y", f"must differ from x (both {plot['x']!r})")
    fixed = dict(spec.get("params", {}))
    clash = sorted(set(fixed) & (set(grid) | ({"seed"} if seeds is not None else set())))
    if clash:
        raise BadInput("sweep.params", f"{clash} also set by the grid or by seeds; give each parameter once")
    axes = {key: _axis_values(key, value) for key, value in grid.items()}
    return SweepSpec(name, experiment, fixed, axes, seeds, metrics, plot)


def _axis_length(key: str, value: Any) -> int:
    if isinstance(value, list):
        if not value:
            raise BadInput(f"sweep.grid.{key}", "must not be empty")
        return len(value)
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in RANGES:
        ((kind, args),) = value.items()
        if not (isinstance(args, list) and len(args) == 3 and all(isinstance(a, int | float) for a in args)):
            raise BadInput(f"sweep.grid.{key}", f"{kind} takes [start, stop, num] (got {args!r})")
        num = args[2]
        if not (isinstance(num, int) and 1 <= num <= MAX_POINTS):
            raise BadInput(f"sweep.grid.{key}", f"{kind}'s num must be an integer in 1..{MAX_POINTS} (got {num!r})")
        if kind == "logspace" and min(args[0], args[1]) <= 0:
            raise BadInput(f"sweep.grid.{key}", f"logspace needs positive start and stop (got {args[:2]})")
        return num
    raise BadInput(
        f"sweep.grid.{key}", "must be a list of values, {linspace = [start, stop, num]} or {logspace = [start, stop, num]}"
    )


def _axis_values(key: str, value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    ((kind, (start, stop, num)),) = value.items()
    return [float(v) for v in RANGES[kind](start, stop, num)]


def _seeds(value: Any) -> list[int] | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_POINTS:
        return list(range(value))
    if isinstance(value, list) and value and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value):
        return value
    raise BadInput("sweep.seeds", f"must be a count in 1..{MAX_POINTS} or a list of non-negative integers (got {value!r})")


def run_sweep(
    path: str,
    *,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    workers: int | None = None,
    out: str = "gflab-runs",
    progress: bool = True,
) -> dict[str, Any]:
    """Run every point of the sweep at ``path`` (all validated first); write its table and figures.

    Returns the sweep's summary: counts of points by status and the folder it wrote.
    """
    sweep = parse(read_params_file(path), Path(path).stem)
    points = sweep.points()
    costs = [validate(sweep.experiment, point).cost() for point in points]
    jobs, workers = jobs_within_memory(costs, jobs or cores()), jobs_within_memory(costs, workers or cores())
    _announce(sweep, costs)
    out = str(Path(out).resolve())  # workers (of a remote Dask cluster too) must not resolve it themselves
    store = Store(out)
    store.check_writable()
    rows: list[dict[str, Any] | None] = [None] * len(points)
    tasks = [(sweep.experiment, point, out) for point in points]
    for index, result in run_tasks(
        run_point,
        tasks,
        executor=executor,
        jobs=jobs,
        address=address,
        workers=workers,
        label=f"sweep {sweep.name}",
        progress=progress,
    ):
        rows[index] = _row(points[index], result)
    folder = Path(out) / "sweeps" / f"{sweep.name}-{sweep.key}"
    return _write(folder, sweep, [r for r in rows if r is not None], points[0])


def _announce(sweep: SweepSpec, costs: list[Cost | None]) -> None:
    """Say on stderr what a sweep will cost in all (the points' modelled compute), when that is
    :data:`ANNOUNCE_SWEEP_MINUTES` or more."""
    minutes = sum(c.minutes for c in costs if c is not None and c.minutes is not None)
    if minutes >= ANNOUNCE_SWEEP_MINUTES:
        total = Cost(gib=max((c.gib for c in costs if c is not None), default=0.0), minutes=minutes, fields=())
        message = (
            f"gflab: sweep {sweep.name} ({sweep.size} points) will need {total} (the largest point's memory, all points' compute)"
        )
        stderr_console().print(f"[yellow]{message}[/yellow]", highlight=False)


def _row(point: dict[str, Any], result: Any) -> dict[str, Any]:
    """One row of the table: the point's parameters, its scalar metrics, status, error, run."""
    if isinstance(result, Failed):
        return {"params": point, "metrics": {}, "status": "error", "error": result.error, "run_dir": None, "finished": None}
    metrics = _scalars(result["metrics"])
    status = "diverged" if metrics.get("verdict") == "diverged" else "ok"  # a point experiment's own verdict
    return {
        "params": point,
        "metrics": metrics,
        "status": status,
        "error": "",
        "run_dir": result["run_dir"],
        "finished": result.get("finished"),  # when the run was computed (a cached run keeps its stamp)
    }


def _scalars(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The metrics' numbers, booleans and strings, flattened to dotted names."""
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= _scalars(value, name + ".")
        elif isinstance(value, bool | int | float | str) or value is None:
            flat[name] = value
    return flat


def _write(folder: Path, sweep: SweepSpec, rows: list[dict[str, Any]], first_point: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    from gflab.phase_diagram import heat_map

    folder.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(
        [
            {**{f"param.{k}": jsonable(v) for k, v in r["params"].items() if k in sweep.axes or k == "seed"}, **r["metrics"]}
            | {"status": r["status"], "error": r["error"], "run_dir": r["run_dir"], "finished": r["finished"]}
            for r in rows
        ]
    )
    table.to_parquet(folder / "sweep.parquet.tmp", index=False)
    (folder / "sweep.parquet.tmp").replace(folder / "sweep.parquet")
    counts = {status: int((table.status == status).sum()) for status in ("ok", "diverged", "error")}
    figures: list[str] = []
    notes: list[str] = []
    if sweep.plot.get("x") and sweep.plot.get("y"):
        x, y = sweep.plot["x"], sweep.plot["y"]
        boundary = None
        try:  # at a valid point's parameters (the fixed ones alone need not make a valid spec)
            boundary = get_experiment(sweep.experiment).phase_boundary(x, y, first_point)
        except Exception as exc:  # the table is the result; a heat map without its curve is still one
            notes.append(f"no theory curve: {type(exc).__name__}: {exc}")
        for metric in [sweep.plot["metric"]] if "metric" in sweep.plot else sweep.metrics:
            numeric = metric in table and pd.api.types.is_numeric_dtype(table[metric])
            if not (numeric and all(pd.api.types.is_numeric_dtype(table[f"param.{a}"]) for a in (x, y))):
                notes.append(f"no heat map of {metric!r}: it and the axes {x}, {y} must be numeric columns of the table")
                continue
            figure_path = folder / f"{metric.replace('.', '_')}.png"
            heat_map(table, x, y, metric, boundary, figure_path, title=f"{sweep.experiment}: {metric}")
            figures.append(str(figure_path))
    for note in notes:
        stderr_console().print(f"[yellow]gflab: sweep {sweep.name}: {note}[/yellow]", highlight=False)
    summary = {
        "sweep": sweep.name,
        "experiment": sweep.experiment,
        "points": len(rows),
        "counts": counts,
        "folder": str(folder),
        "figures": figures,
        "notes": notes,
    }
    (folder / "sweep.json").write_text(json.dumps(summary, indent=2))
    return summary


__all__ = ["MAX_POINTS", "SweepSpec", "parse", "run_sweep"]
