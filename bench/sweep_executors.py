"""Benchmark: a CPU-bound sweep of 64 points on 2 cores, local executor with 2 worker
processes and a local Dask cluster of 2 workers, each against one process (targets: speed-up
>= 1.7 for both), and the Dask path's per-point overhead (target < 50 ms).

Every configuration runs the same sweep into a fresh store (nothing cached) as a fresh
``gflab sweep`` process, timed end to end (process start-up, JAX import and compilation
included). The overhead is the wall time per no-op task through a warm Dask cluster of 2
workers. For context, the sweep also runs as one process pinned to one core: one gflab process
is not one core, since JAX shares each point's ensemble over one XLA device per core, so the
speed-up of more processes comes from the parts of a point that one process runs serially
(Python, figures, store writes, compilation).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SWEEP = """
experiment = "sgd-second-moment"
[params]
paths = {paths}
steps = 4
[grid]
eta = {{linspace = [0.25, 3.0, 16]}}
batch_size = [1, 2, 4, 8]
"""


def timed_sweep(spec: Path, *options: str, core: int | None = None) -> float:
    """Wall time of ``gflab sweep spec OPTIONS`` as a fresh process into a fresh store; ``core``
    pins the process (and so its JAX) to one core."""
    with tempfile.TemporaryDirectory() as store:
        command = [sys.executable, "-m", "gflab.cli", "sweep", str(spec), "--out", store, "--quiet", "--json", *options]
        pin = (lambda: os.sched_setaffinity(0, {core})) if core is not None else None
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, check=True, preexec_fn=pin)
        elapsed = time.perf_counter() - start
    summary = json.loads(proc.stdout)
    assert summary["points"] == 64 and summary["counts"].get("error", 0) == 0, summary
    return elapsed


def noop(x: int) -> int:
    return x


def dask_overhead(tasks: int = 400) -> float:
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            client.gather(client.map(noop, range(10), pure=False))  # warm
            start = time.perf_counter()
            client.gather(client.map(noop, range(tasks), pure=False))
            return (time.perf_counter() - start) / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paths", type=int, default=400_000, help="SGD runs per point (the work per point)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "bench.toml"
        spec.write_text(SWEEP.format(paths=args.paths))
        one_core = timed_sweep(spec, "--jobs", "1", core=min(os.sched_getaffinity(0)))
        one = timed_sweep(spec, "--jobs", "1")
        local = timed_sweep(spec, "--jobs", "2")
        dask = timed_sweep(spec, "--executor", "dask", "--workers", "2")
    overhead = dask_overhead()
    print(f"64 points, {args.paths} SGD runs each")
    print(f"one process, one core {one_core:6.1f} s   (context: what a process of its own core costs)")
    print(f"one process          {one:7.1f} s   (JAX shares its ensembles over both cores: {one_core / one:.2f}x of one core)")
    print(f"local, 2 processes   {local:7.1f} s   speed-up {one / local:.2f} (target >= 1.7)")
    print(f"dask, 2 workers      {dask:7.1f} s   speed-up {one / dask:.2f} (target >= 1.7)")
    print(f"dask per-point overhead {1e3 * overhead:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
