"""Parameter grids over one experiment, run in-process or on dask.distributed.

Spec (TOML)::

    experiment = "learnability"
    [params]            # fixed parameters
    model = "trig"
    [grid]              # every combination of these lists
    seed = [0, 1, 2]
    d = [3, 4]

Each point goes through the store, so a sweep that was interrupted resumes where it stopped.
"""

from __future__ import annotations

import itertools
from typing import Any

from gflab.errors import BadInput
from gflab.experiments import get_experiment
from gflab.lab import run
from gflab.store import read_params_file


def grid_points(spec: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The experiment name and the list of parameter dicts of a sweep spec."""
    experiment = spec.get("experiment")
    if not isinstance(experiment, str):
        raise BadInput("sweep.experiment", 'the spec must name the experiment (experiment = "...")')
    unknown = set(spec) - {"experiment", "params", "grid"}
    if unknown:
        raise BadInput("sweep", f"unknown keys {sorted(unknown)}; accepted: experiment, params, grid")
    fixed = dict(spec.get("params", {}))
    grid = dict(spec.get("grid", {}))
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise BadInput(f"sweep.grid.{key}", "must be a non-empty list of values")
    keys = list(grid)
    return experiment, [fixed | dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))]


def run_sweep(path: str, *, executor: str = "local", address: str | None = None, out: str = "gflab-runs") -> list[dict[str, Any]]:
    """Run every grid point (validated first, all of them, before any compute)."""
    experiment, points = grid_points(read_params_file(path))
    exp = get_experiment(experiment)
    for point in points:
        exp.validate(point)
    if executor == "local":
        return [run(experiment, p, out=out, progress=True) for p in points]
    if executor == "dask":
        try:
            from dask.distributed import Client
        except ImportError:
            raise BadInput("--executor", "dask needs dask.distributed: pip install 'dask[distributed]'") from None
        with Client(address) if address else Client(processes=True) as client:
            futures = client.map(lambda p: run(experiment, p, out=out), points, pure=False)
            return client.gather(futures)
    raise BadInput("--executor", f"unknown executor {executor!r}; accepted: local, dask")
