"""The ``gflab`` command (typer + rich). It parses and prints; the work is a Python call.

Exit status: 0 success (a failing claim included), 1 a run raised, 2 bad input.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gflab.cli_output import echo_json, print_claims, print_quick_budget, print_summary
from gflab.errors import BadInput

app = typer.Typer(
    name="gflab",
    help="A laboratory for the dynamics of learning: run experiments, reproduce the papers' claims.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from gflab import __version__

        typer.echo(f"gflab {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """A laboratory for the dynamics of learning: run experiments, reproduce the papers' claims."""


def parse_sets(items: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; values are JSON when they parse (numbers, lists, true) else strings."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or not key.replace("_", "").isalnum():
            raise BadInput("--set", f"expected key=value with a parameter name as key (got {item!r})")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if isinstance(value, float) and value != value:  # NaN parsed by json
            raise BadInput(key, f"must be a finite number (got {raw!r})")
        params[key] = value
    return params


@app.command("list")
def list_cmd(
    markdown: Annotated[bool, typer.Option("--markdown", help="The claims table as markdown (README).")] = False,
) -> None:
    """Experiments (family, paper, summary) and claims, one line each."""
    from gflab.experiments import CLAIMS, REGISTRY, claims_markdown, experiment_family, experiment_paper

    if markdown:
        typer.echo(claims_markdown())
        return
    for name, entry in REGISTRY.items():
        typer.echo(f"experiment  {name:<24} {experiment_family(name):<12} {entry.summary}  [{experiment_paper(name)}]")
    for claim in CLAIMS:
        typer.echo(f"claim       {claim.id:<44} {claim.statement[:110]}")


@app.command()
def describe(
    experiment: Annotated[str, typer.Argument(help="Experiment name (see `gflab list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="The parameters as one JSON list.")] = False,
) -> None:
    """The parameters of an experiment: type, default, bounds, meaning, and the claims that set them."""
    from gflab.experiments import REGISTRY
    from gflab.lab import describe as describe_experiment

    rows = describe_experiment(experiment)
    if as_json:
        echo_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "parameter",
        "type",
        "default",
        "bounds",
        "meaning",
        "set by claims",
        title=f"{experiment}: {REGISTRY[experiment].summary}",
    )
    for row in rows:
        table.add_row(
            row["name"], row["type"], json.dumps(row["default"]), row["bounds"], row["description"], ", ".join(row["claims"])
        )
    Console().print(table)


@app.command()
def run(
    experiment: Annotated[str, typer.Argument(help="Experiment name (see `gflab list`).")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Parameter key=value (repeatable).")] = None,
    spec: Annotated[str | None, typer.Option("--spec", help="TOML or JSON file of parameters (--set overrides).")] = None,
    out: Annotated[str, typer.Option("--out", help="Store folder for run directories.")] = "gflab-runs",
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Recompute even if the same spec is stored.")] = False,
) -> None:
    """Run one experiment and store its run directory."""
    from gflab.lab import run as run_experiment
    from gflab.store import read_params_file

    params = read_params_file(spec) if spec else {}
    params |= parse_sets(set_ or [])
    summary = run_experiment(experiment, params, out=out, force=force, progress=True)
    if as_json:
        echo_json(summary)
        return
    print_summary(summary)


@app.command()
def reproduce(
    claim_ids: Annotated[list[str] | None, typer.Argument(help="Claim ids (default: all).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="All registered claims.")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="The CI size (minutes) instead of the full size.")] = False,
    out: Annotated[str, typer.Option("--out", help="Output folder for report.html, claims.json, figures.")] = "gflab-report",
    as_json: Annotated[bool, typer.Option("--json", help="Print the claims list as JSON on stdout.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Recompute stored runs.")] = False,
    jobs: Annotated[int | None, typer.Option("--jobs", help="Worker processes (default: one per core).")] = None,
    executor: Annotated[str, typer.Option("--executor", help="local (worker processes) or dask.")] = "local",
    address: Annotated[str | None, typer.Option("--address", help="Dask scheduler address (executor dask).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Local Dask cluster size (executor dask).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Run claims; write report.html (+ PNG figures) and claims.json."""
    from rich.console import Console

    from gflab.lab import reproduce as reproduce_claims

    if all_ and claim_ids:
        raise BadInput("--all", f"give claim ids or --all, not both (got --all and {len(claim_ids)} id(s))")
    _check_parallelism(executor, jobs, address, workers)
    results = reproduce_claims(
        None if all_ else claim_ids, quick=quick, out=out, force=force, progress=not quiet,
        executor=executor, jobs=jobs, address=address, workers=workers,
    )  # fmt: skip
    if quick:
        print_quick_budget(results)
    if as_json:
        echo_json(results)
        return
    console = Console()
    print_claims(console, results)
    console.print(f"report: {Path(out, 'report.html').resolve()}\nclaims: {Path(out, 'claims.json').resolve()}")


SWEEP_HELP = """Run a grid of experiment runs: one tidy table (sweep.parquet) and phase-diagram figures.

Every point is an ordinary run in the store (cached by its spec),
so an interrupted sweep resumes where it stopped. The spec is a
TOML file with these keys:

    experiment = "index-recovery"     # every point's experiment
    seeds = 2                         # optional: seeds 0..N-1
    metrics = ["recovered_fraction"]  # optional: heat maps

    \\[params]                          # fixed parameters
    d = 64

    \\[grid]                            # every combination
    k = [2, 4, 8]                     # a list of values, or
    beta = {linspace = [0, 0.9, 10]}  # linspace / logspace

    \\[plot]                            # optional: heat map axes
    x = "k"
    y = "beta"
    metric = "recovered_fraction"

Examples: examples/sweeps/*.toml.
Output: STORE/sweeps/NAME-HASH/ (sweep.parquet, sweep.json, PNGs).
"""


@app.command(help=SWEEP_HELP)
def sweep(
    spec: Annotated[str, typer.Argument(help="The sweep's TOML file (keys above).")],
    executor: Annotated[str, typer.Option("--executor", help="local (worker processes) or dask.")] = "local",
    jobs: Annotated[
        int | None, typer.Option("--jobs", help="Worker processes of the local executor (default: one per core).")
    ] = None,
    address: Annotated[str | None, typer.Option("--address", help="Dask scheduler address (default: a local cluster).")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Processes of the local Dask cluster (default: one per core).")
    ] = None,
    out: Annotated[str, typer.Option("--out", help="Store folder (runs, and sweeps/ for the tables).")] = "gflab-runs",
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the sweep's summary as JSON on stdout.")] = False,
) -> None:
    from gflab.sweep import run_sweep

    _check_parallelism(executor, jobs, address, workers)
    summary = run_sweep(spec, executor=executor, jobs=jobs, address=address, workers=workers, out=out, progress=not quiet)
    if as_json:
        echo_json(summary)
        return
    counts = ", ".join(f"{n} {status}" for status, n in summary["counts"].items())
    typer.echo(f"{summary['points']} points ({counts}) -> {summary['folder']}")


def _check_parallelism(executor: str, jobs: int | None, address: str | None, workers: int | None) -> None:
    """The executor options, refused before any work when they cannot apply."""
    from gflab.executors import EXECUTORS

    if executor not in EXECUTORS:
        raise BadInput("--executor", f"unknown executor {executor!r}; accepted: {', '.join(EXECUTORS)}")
    for name, value in (("--jobs", jobs), ("--workers", workers)):
        if value is not None and not 1 <= value <= 256:
            raise BadInput(name, f"must be a number of processes in 1..256 (got {value})")
    if executor == "local" and (address or workers):
        raise BadInput("--address" if address else "--workers", "applies to --executor dask only")
    if executor == "dask" and jobs is not None:
        raise BadInput("--jobs", "applies to --executor local only (use --workers for a local Dask cluster)")


@app.command()
def runs(
    out: Annotated[str, typer.Option("--out", help="Store folder.")] = "gflab-runs",
    experiment: Annotated[str | None, typer.Option("--experiment", help="Only runs of this experiment.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON list.")] = False,
) -> None:
    """The runs in a store, newest first: experiment, claim verdicts, date, size."""
    import datetime

    from gflab.store import Store

    rows = [r for r in Store(out).runs() if experiment is None or r["experiment"] == experiment]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        when = datetime.datetime.fromtimestamp(r["modified"]).strftime("%Y-%m-%d %H:%M")
        verdicts = " ".join(f"{k} {v}" for k, v in r["verdicts"].items()) or "no claims"
        typer.echo(f"{r['run']:<48} {when}  {r['bytes'] / 1024:8.0f} KiB  {verdicts}")


@app.command()
def show(
    run_dir: Annotated[str, typer.Argument(help="A run directory (or its name inside --out).")],
    out: Annotated[str, typer.Option("--out", help="Store folder.")] = "gflab-runs",
) -> None:
    """A stored run's summary: its parameters and claims (the --json object on stdout)."""
    from gflab.store import Store

    path = Path(run_dir) if Path(run_dir).is_dir() else Path(out) / run_dir
    summary = Store(path.parent).load(path)
    if summary is None:
        raise BadInput("run", f"no complete run directory at {str(path)!r}; list them with `gflab runs --out DIR`")
    echo_json(summary)


@app.command()
def report(
    source: Annotated[str, typer.Argument(help="A report folder (claims.json + runs/), a run folder, or a store.")],
    out: Annotated[str | None, typer.Option("--out", help="Where to write (default: in place, or SOURCE/report).")] = None,
) -> None:
    """Rebuild report.html from stored runs (a moved or copied folder works)."""
    from gflab.report import rebuild_report

    typer.echo(str(rebuild_report(Path(source), Path(out) if out else None)))


@app.command()
def gc(out: Annotated[str, typer.Option("--out", help="Store folder.")] = "gflab-runs") -> None:
    """Remove the temporary folders that killed runs left in a store."""
    from gflab.store import Store

    removed = Store(out).clean()
    typer.echo(f"removed {len(removed)} temporary folder(s) from {out}", err=True)


def _experiment_help(args: list[str]) -> bool:
    """``gflab run EXPERIMENT --help``: the command's options, then the experiment's parameters."""
    if len(args) < 3 or args[0] != "run" or not {"--help", "-h"} & set(args[2:]):
        return False
    from gflab.experiments import REGISTRY

    if args[1] not in REGISTRY:
        return False
    try:
        app(["run", "--help"], standalone_mode=False)
    except SystemExit:
        pass
    describe(args[1], as_json=False)
    return True


def _interrupted(signum: int, frame: Any) -> None:
    """Ctrl-C: say so and leave at once (exit 130). Finished runs are already in the store;
    the temporary folder of the interrupted one is removed by the next run. A handler of our
    own because a KeyboardInterrupt raised while XLA computes can be swallowed on its way up."""
    sys.stderr.write("\ngflab: interrupted\n")
    sys.stderr.flush()
    os._exit(130)


def main() -> None:
    """Entry point: one-line errors; exit 2 for bad input, 1 when a run raised."""
    from typer.exceptions import Abort, Exit, TyperException

    signal.signal(signal.SIGINT, _interrupted)
    try:
        if _experiment_help(sys.argv[1:]):
            sys.exit(0)
        code = app(standalone_mode=False)
    except BadInput as exc:
        sys.stderr.write(f"gflab: error: {exc}\n")
        sys.exit(2)
    except Exit as exc:
        sys.exit(exc.exit_code)
    except TyperException as exc:  # usage errors: unknown option, missing argument
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.exit(0)
        sys.stderr.write(f"gflab: error: {exc.format_message().splitlines()[0]}\n")
        sys.exit(2)
    except (Abort, KeyboardInterrupt):
        sys.stderr.write("gflab: interrupted\n")
        sys.exit(130)
    except Exception as exc:  # a run raised: one line, the traceback only on request
        if os.environ.get("GFLAB_DEBUG"):
            raise
        sys.stderr.write(f"gflab: error: run raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}\n")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
