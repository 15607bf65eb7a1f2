"""Benchmark: JAX compilation against compute in the quick reproduction, cold (issue 20).

Each distinct quick run (one per claim spec, as ``gflab reproduce --quick`` runs them) is run
in its own fresh process, pinned to one core as a worker of ``gflab reproduce --jobs 2`` is
(so with one XLA host device), with its own empty JAX compilation cache (``GFLAB_JAX_CACHE``,
as on a fresh machine; ``--shared-cache``: one cache for all the runs, filled as they go, as in
one worker of a cold reproduction), and JAX's monitoring events are summed in that process:

- programs: XLA backend compilations (``/jax/core/compile/backend_compile_duration`` events);
- compile: the process's CPU seconds in them, and in tracing to a jaxpr and lowering to MLIR
  (``jaxpr_trace`` and ``jaxpr_to_mlir_module`` events): what a warm cache saves;
- compute: the run's other CPU seconds (the dynamics, measurements, figures);
- wall: the run's in-process wall time.

CPU seconds, not wall time: on the shared 2-core development machine the wall time of the same
run varies by 2-5x with the other processes' load, its CPU seconds by ~10-30% (hyperthreads and
caches are shared too): compare settings on the same run, several times.

Options: ``--experiments`` (names; default every experiment of the quick claims),
``--exclude``, ``--one-each`` (the first quick run of each experiment: a cheaper sample),
``--xla-flags`` (added to XLA_FLAGS, e.g. to try compiler options),
``--metrics DIR`` (write each run's metrics as JSON, to compare two settings' numbers),
``--compare DIR`` (largest relative difference of the numeric metrics against a former
``--metrics`` folder), ``--names`` (the programs of each run with the most compile seconds, and
the programs lowered more than once with the same shapes of the arguments they read: the same
program but for static arguments or constants, e.g. a float hyperparameter baked in).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EVENTS = {
    "/jax/core/compile/backend_compile_duration": "backend",
    "/jax/core/compile/jaxpr_trace_duration": "trace",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
}


def quick_runs(experiments: list[str], exclude: list[str], one_each: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """The distinct (experiment, quick params) of the claims, in registry order (``one_each``:
    the first run of each experiment only)."""
    from gflab.experiments import CLAIMS

    runs: dict[str, tuple[str, dict[str, Any]]] = {}
    for claim in CLAIMS:
        if (experiments and claim.experiment not in experiments) or claim.experiment in exclude:
            continue
        if one_each and any(e == claim.experiment for e, _ in runs.values()):
            continue
        params = claim.params(True)
        runs.setdefault(json.dumps([claim.experiment, params], sort_keys=True), (claim.experiment, params))
    return list(runs.values())


def measure_one(experiment: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run one experiment in this process and return its compile/compute split.

    JAX announces each trace, lowering and backend compilation when it starts (a scalar event)
    and when it ends (a duration event); the process's CPU clock is read at both. Only the
    outermost interval counts (a jit traced inside another one's trace is part of it).
    """
    from gflab._jax import jax_module

    jax = jax_module()
    open_events: list[tuple[str, float, float]] = []
    cpu_s = {"backend": 0.0, "trace": 0.0, "lower": 0.0}
    wall_s = dict(cpu_s)
    programs: dict[str, list[float]] = {}

    def started(event: str, value: float, **_: Any) -> None:
        if event in EVENTS:
            open_events.append((event, time.process_time(), time.perf_counter()))

    def ended(event: str, duration: float, fun_name: str = "?", **_: Any) -> None:
        if event not in EVENTS or not open_events:
            return
        _, cpu0, wall0 = open_events.pop()
        kind = EVENTS[event]
        if kind == "backend":
            programs.setdefault(fun_name, []).append(time.process_time() - cpu0)
        if not open_events:
            cpu_s[kind] += time.process_time() - cpu0
            wall_s[kind] += time.perf_counter() - wall0

    jax.monitoring.register_scalar_listener(started)
    jax.monitoring.register_event_duration_secs_listener(ended)
    lowered: dict[tuple[str, str], int] = {}

    class Lowerings(logging.Handler):
        """Counts JAX's "Compiling <name> with global shapes and types <avals>" (debug) records."""

        def emit(self, record: logging.LogRecord) -> None:
            if str(record.msg).startswith("Compiling ") and len(record.args or ()) >= 2:
                key = (str(record.args[0]), str(record.args[1]))  # type: ignore[index]
                lowered[key] = lowered.get(key, 0) + 1

    pxla = logging.getLogger("jax._src.interpreters.pxla")
    pxla.setLevel(logging.DEBUG)
    pxla.propagate = False
    pxla.addHandler(Lowerings())

    from gflab.experiments import get_experiment, validate

    spec = validate(experiment, params)
    cpu, wall = time.process_time(), time.perf_counter()
    result = get_experiment(experiment).run(spec, progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    compile_cpu = sum(cpu_s.values())
    return {
        "experiment": experiment,
        "params": params,
        "programs": sum(len(v) for v in programs.values()),
        "backend_s": cpu_s["backend"],
        "trace_s": cpu_s["trace"] + cpu_s["lower"],
        "compile_s": compile_cpu,
        "compute_s": cpu - compile_cpu,
        "compile_wall_s": sum(wall_s.values()),
        "wall_s": wall,
        "cpu_s": cpu,
        "longest": sorted(((sum(v), len(v), k) for k, v in programs.items()), reverse=True)[:8],
        "repeated": _repeated(lowered),
        "metrics": result.metrics,
    }


def _repeated(lowered: dict[tuple[str, str], int]) -> list[tuple[int, str]]:
    """Programs lowered more than once with the same name and argument shapes and types:
    (extra lowerings, name), most first. A hint, not a proof of duplicates: they differ in
    static arguments or baked-in constants (a float hyperparameter, a random draw's shape), or
    in the shapes of arguments that the program does not read (JAX drops those)."""
    extra: dict[str, int] = {}
    for (name, _), count in lowered.items():
        if count > 1:
            extra[name] = extra.get(name, 0) + count - 1
    return sorted(((n, name) for name, n in extra.items()), reverse=True)


def numbers(tree: Any, prefix: str = "") -> dict[str, float]:
    """The numeric leaves of a metrics tree by dotted path."""
    if isinstance(tree, dict):
        return {k: v for key, value in tree.items() for k, v in numbers(value, f"{prefix}{key}.").items()}
    if isinstance(tree, list | tuple):
        return {k: v for i, value in enumerate(tree) for k, v in numbers(value, f"{prefix}{i}.").items()}
    if isinstance(tree, bool) or not isinstance(tree, int | float):
        return {}
    return {prefix.rstrip("."): float(tree)}


def largest_difference(new: Any, old: Any) -> tuple[float, str]:
    """Largest relative difference |a - b| / max(|a|, |b|, 1e-300) over common numeric leaves."""
    a, b = numbers(new), numbers(old)
    worst = (0.0, "")
    for key in a.keys() & b.keys():
        x, y = a[key], b[key]
        if math.isnan(x) and math.isnan(y):
            continue
        diff = 0.0 if x == y else abs(x - y) / max(abs(x), abs(y), 1e-300)
        worst = max(worst, (diff, key))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiments", nargs="*", default=[], help="experiment names (default: all of the quick claims)")
    parser.add_argument("--exclude", nargs="*", default=[], help="experiment names to leave out")
    parser.add_argument("--one-each", action="store_true", help="only the first quick run of each experiment")
    parser.add_argument("--xla-flags", default="", help="added to XLA_FLAGS in every run")
    parser.add_argument("--metrics", type=Path, help="write each run's metrics into this folder")
    parser.add_argument("--compare", type=Path, help="compare the metrics with a former --metrics folder")
    parser.add_argument("--names", action="store_true", help="print the longest compilations of each run")
    parser.add_argument("--shared-cache", action="store_true", help="one compilation cache for all the runs")
    parser.add_argument("--core", type=int, help="the core to pin the runs to (default: the last one this process may use)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one run, in a child process
    args = parser.parse_args()
    if args.one:
        if args.core is not None:
            os.sched_setaffinity(0, {args.core})  # before JAX: one thread pool, one host device
        experiment, params = json.loads(args.one)
        print(json.dumps(measure_one(experiment, params), default=float))
        return

    runs = quick_runs(args.experiments, args.exclude, args.one_each)
    core = args.core if args.core is not None else max(os.sched_getaffinity(0))
    caches = "one compilation cache, filled as they go" if args.shared_cache else "an empty compilation cache each"
    print(f"{len(runs)} quick runs, each in a fresh process on core {core}, {caches}", flush=True)
    shared = tempfile.TemporaryDirectory()
    print(
        f"{'experiment':24} {'params':44} {'programs':>8} {'compile s':>9} {'compute s':>9} {'wall s':>7}  metrics vs --compare"
    )
    sums = {"programs": 0.0, "compile_s": 0.0, "compute_s": 0.0, "wall_s": 0.0}
    for experiment, params in runs:
        with tempfile.TemporaryDirectory() as own:
            flags = f"{os.environ.get('XLA_FLAGS', '')} {args.xla_flags}".strip()
            env = os.environ | {"GFLAB_JAX_CACHE": shared.name if args.shared_cache else own, "XLA_FLAGS": flags}
            child = [sys.executable, __file__, "--one", json.dumps([experiment, params]), "--core", str(core)]
            proc = subprocess.run(child, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            print(f"{experiment:24} failed: {proc.stderr.strip().splitlines()[-1:]}", flush=True)
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        for key in sums:
            sums[key] += row[key]
        name = f"{experiment}-{hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]}.json"
        versus = ""
        if args.compare is not None and (args.compare / name).exists():
            diff, key = largest_difference(row["metrics"], json.loads((args.compare / name).read_text()))
            versus = f"max rel diff {diff:.1e} ({key})" if diff else "identical"
        if args.metrics is not None:
            args.metrics.mkdir(parents=True, exist_ok=True)
            (args.metrics / name).write_text(json.dumps(row["metrics"], default=float))
        label = json.dumps(params, sort_keys=True, separators=(",", ":"))
        label = label if len(label) <= 44 else label[:41] + "..."
        print(
            f"{experiment:24} {label:44} {row['programs']:8d} {row['compile_s']:9.1f} {row['compute_s']:9.1f} {row['wall_s']:7.1f}  {versus}",
            flush=True,
        )
        for seconds, count, program in row["longest"] if args.names else []:
            print(f"    {seconds:6.2f} s  {count:3d} x {program}")
        if args.names and row["repeated"]:
            repeats = ", ".join(f"{name} +{n}" for n, name in row["repeated"][:8])
            print(f"    lowered again with the same used-argument shapes: {repeats}")
    print(
        f"{'total':69} {sums['programs']:8.0f} {sums['compile_s']:9.1f} {sums['compute_s']:9.1f} {sums['wall_s']:7.1f}"
        f"  (compile = {sums['compile_s'] / max(sums['compile_s'] + sums['compute_s'], 1e-9):.0%} of the CPU seconds)"
    )
    shared.cleanup()


if __name__ == "__main__":
    main()
