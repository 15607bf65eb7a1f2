"""Orchestration: run one experiment, or reproduce claims, through the store.

The layer above the experiments, the claims and the store: :func:`run` validates a spec,
finds it in the store or runs the experiment, evaluates the claims that the run measures and
writes the run directory; :func:`reproduce` runs a set of claims (one run per distinct spec)
and writes the report. The store stays pure persistence.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_origin

from gflab.console import stderr_console
from gflab.executors import Failed, cores, run_tasks
from gflab.experiments import CLAIMS, get_claims, get_experiment, spec_class, validate
from gflab.experiments.base import Result, Spec
from gflab.experiments.cost import jobs_within_memory
from gflab.report import write_report
from gflab.store import SPEC_VERSION, Store, jsonable

if TYPE_CHECKING:
    import pandas as pd

    from gflab.tables import SpooledTable


def run(
    experiment: str, params: dict[str, Any] | None = None, *, out: str = "gflab-runs", force: bool = False, progress: bool = False
) -> dict[str, Any]:
    """Run one experiment through the store; returns the summary (the ``--json`` object).

    The same spec found complete in the store is loaded, not run again, unless ``force``.
    """
    store = Store(out)
    spec = validate(experiment, params or {})
    store.check_writable()
    announce(experiment, spec)
    return _run_in(store, experiment, spec, force=force, progress=progress)


def run_point(task: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    """One point of a sweep, ``(experiment, params, store)``, run quietly (in a worker process)."""
    experiment, params, out = task
    return run(experiment, params, out=out)


def announce(experiment: str, spec: Spec) -> None:
    """Say on stderr what a large run will cost before it starts."""
    estimate = spec.cost()
    if estimate is not None and estimate.large:
        fields = ", ".join(f"{name} = {getattr(spec, name)}" for name in estimate.fields)
        stderr_console().print(f"[yellow]gflab: {experiment} will need {estimate} ({fields})[/yellow]", highlight=False)


def _run_in(store: Store, experiment: str, spec: Any, *, force: bool, progress: bool) -> dict[str, Any]:
    """Load the stored run of a validated spec, or compute and store it (one process at a
    time per spec: a concurrent identical run waits and reuses the result)."""
    full_params = jsonable(spec.model_dump(mode="json"))
    final = store.run_dir(experiment, full_params)
    with store.lock(final):
        if not force and (cached := store.load(final)) is not None:
            if progress:
                stderr_console().print(f"[dim]{experiment}: cached {final}[/dim]")
            return cached
        from gflab.tables import spool_into  # pandas and pyarrow on use: the command line starts fast

        start = time.perf_counter()
        with store.scratch() as scratch, spool_into(scratch):
            result = get_experiment(experiment).run(spec, progress=progress)
            claims = [c.evaluate(result.metrics) for c in CLAIMS if c.applies_to(experiment, full_params)]
            summary = {
                "experiment": experiment,
                "params": full_params,
                "metrics": jsonable(result.metrics),
                "claims": jsonable(claims),
                "run_dir": final.name,  # relative to the store: the folder can move
                "wall_s": round(time.perf_counter() - start, 3),
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            store.write(final, _files(experiment, full_params, summary, result))
    if progress:
        stderr_console().print(f"[dim]{experiment}: {time.perf_counter() - start:.1f} s -> {final}[/dim]")
    return summary | {"run_dir": str(final.resolve())}


def _files(experiment: str, params: dict[str, Any], summary: dict[str, Any], result: Result) -> dict[str, Callable[[Path], None]]:
    """The run directory's files, each as a function writing it."""
    spec = {"experiment": experiment, "params": params, "version": SPEC_VERSION}

    def text(content: str) -> Callable[[Path], None]:
        def write(path: Path) -> None:
            path.write_text(content)

        return write

    def figure(fig: Any) -> Callable[[Path], None]:
        def save(path: Path) -> None:
            from gflab.plots import save_figure

            save_figure(fig, path)

        return save

    files: dict[str, Callable[[Path], None]] = {
        "spec.json": text(json.dumps(spec, indent=2, sort_keys=True)),
        "metrics.parquet": lambda path: _write_table(result.table, path),
    }
    files |= {f"{name}.png": figure(fig) for name, fig in result.figures.items()}
    files["summary.json"] = text(json.dumps(summary, indent=2))
    return files


def _write_table(table: pd.DataFrame | SpooledTable, path: Path) -> None:
    from gflab.tables import SpooledTable

    if isinstance(table, SpooledTable):
        table.write(path)
    else:
        table.to_parquet(path, index=False)


QUICK_BUDGET_S = 600.0
"""The quick reproduction's compute budget: the wall times of its distinct runs (each on its
worker's share of the cores) add up to at most this, so that ``--jobs 2`` reproduces every
claim in about half of it on two cores. Every claim added must keep the quick total within it;
``gflab reproduce --quick`` prints the total against the budget and names the longest runs."""


def quick_budget(results: list[dict[str, Any]]) -> tuple[float, list[tuple[str, float]]]:
    """The compute of a reproduction's distinct runs: the total wall time and the runs, longest first."""
    walls = {row["run_dir"]: float(row["wall_s"]) for row in results if row.get("run_dir") and row.get("wall_s") is not None}
    runs = sorted(((Path(run).name, wall) for run, wall in walls.items()), key=lambda item: -item[1])
    return sum(walls.values()), runs


def reproduce(
    ids: Iterable[str] | None = None,
    *,
    quick: bool = False,
    out: str = "gflab-report",
    force: bool = False,
    progress: bool = False,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    workers: int | None = None,
) -> list[dict[str, Any]]:
    """Run claims (one run per distinct spec, spread over ``jobs`` worker processes or a Dask
    cluster: :func:`gflab.executors.run_tasks`), then write claims.json and report.html once."""
    claims = get_claims(ids)
    specs = {c.id: validate(c.experiment, c.params(quick)) for c in claims}
    Store(out).check_writable()  # the report's folder
    store = Store(Path(out) / "runs")
    store.check_writable()
    keys = {c.id: json.dumps([c.experiment, c.params(quick)], sort_keys=True) for c in claims}
    root = str(store.root.resolve())  # workers (of a remote Dask cluster too) must not resolve it themselves
    # a worker validates the claim's own parameters again: a full dump would set fields that a
    # spec refuses when given explicitly (eta with dynamics = flow)
    distinct = {keys[c.id]: (c.experiment, c.params(quick), root, force) for c in claims}
    order = list(distinct)
    first_spec = {keys[c.id]: (c.experiment, specs[c.id]) for c in claims}
    to_compute = [(e, s) for e, s in first_spec.values() if force or not _stored(store, e, s)]
    for experiment, spec in to_compute:
        announce(experiment, spec)
    costs = [spec.cost() for _, spec in to_compute]
    jobs, workers = jobs_within_memory(costs, jobs or cores()), jobs_within_memory(costs, workers or cores())
    summaries: dict[str, dict[str, Any]] = {}
    for index, result in run_tasks(
        _stored_run, [distinct[k] for k in order], executor=executor, jobs=jobs, address=address, workers=workers,
        label="reproduce", progress=progress,
    ):  # fmt: skip
        experiment, spec = first_spec[order[index]]
        if isinstance(result, Failed):  # a crashed run is an `error` verdict, not a lost report
            result = {
                "experiment": experiment,
                "params": jsonable(spec.model_dump(mode="json")),
                "metrics": {},
                "claims": [],
                "run_dir": None,
                "error": result.error,
            }
        summaries[order[index]] = result
    results = []
    for claim in claims:
        summary = summaries[keys[claim.id]]
        row = claim.evaluate(summary["metrics"]) | {"run_dir": summary["run_dir"], "wall_s": summary.get("wall_s")}
        if "error" in summary:
            row["error"] = summary["error"]
        results.append(row)
    write_report(Path(out), results, [summaries[k] for k in order], quick=quick)
    return results


def _stored(store: Store, experiment: str, spec: Spec) -> bool:
    """Whether the store holds this spec's complete run (it will be loaded, not computed)."""
    return store.load(store.run_dir(experiment, jsonable(spec.model_dump(mode="json")))) is not None


def _stored_run(task: tuple[str, dict[str, Any], str, bool]) -> dict[str, Any]:
    """One distinct run of a reproduction, ``(experiment, params, store, force)`` (in a worker)."""
    experiment, params, root, force = task
    spec = validate(experiment, params)
    return _run_in(Store(root), experiment, spec, force=force, progress=False)


def describe(experiment: str) -> list[dict[str, Any]]:
    """The parameters of ``experiment``: name, type, default, bounds, description, and the
    claims whose specs set it (one dict per parameter, in the spec's order)."""
    fields = spec_class(experiment).model_fields
    claims = [c for c in CLAIMS if c.experiment == experiment]
    rows = []
    for name, info in fields.items():
        rows.append(
            {
                "name": name,
                "type": _type_label(info.annotation),
                "default": jsonable(info.default),
                "bounds": ", ".join(_bounds(info.metadata) + [f"each {b}" for b in _item_bounds(info.annotation)]),
                "description": info.description or "",
                "claims": [c.id for c in claims if name in c.quick or name in c.full],
            }
        )
    return rows


def _bounds(metadata: list[Any]) -> list[str]:
    """annotated_types constraints (Ge(ge=1), MaxLen(max_length=8), ...) as "ge=1"."""
    return [repr(m).split("(", 1)[1].rstrip(")") for m in metadata if type(m).__module__ == "annotated_types"]


def _item_bounds(annotation: Any) -> list[str]:
    """The constraints on the items of a list[Annotated[int, Field(ge=1)]] field."""
    from typing import get_args

    args = get_args(annotation)
    if get_origin(annotation) is list and args and hasattr(args[0], "__metadata__"):
        return [b for field_info in args[0].__metadata__ for b in _bounds(getattr(field_info, "metadata", []))]
    return []


def _type_label(annotation: Any) -> str:
    """int, float, list[int], "one of a | b | c" for a Literal."""
    from typing import Literal, get_args

    if get_origin(annotation) is Literal:
        return "one of " + " | ".join(str(a) for a in get_args(annotation))
    if get_origin(annotation) is list:
        (item,) = get_args(annotation) or (Any,)
        return f"list[{_type_label(get_args(item)[0] if hasattr(item, '__metadata__') else item)}]"
    return annotation.__name__ if isinstance(annotation, type) else str(annotation).replace("typing.", "")


__all__ = ["QUICK_BUDGET_S", "describe", "quick_budget", "reproduce", "run"]
