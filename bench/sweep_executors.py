"""Benchmark: a CPU-bound sweep of 64 points on 2 cores, local executor with 2 worker
processes and a local Dask cluster of 2 workers, each against one process (targets: speed-up
>= 1.7 for both), and the Dask path's per-point overhead (target < 50 ms).

Every configuration runs the same sweep into a fresh store (nothing cached), timed end to end
from the command line's call (process start-up, JAX import and compilation included). The
overhead is the wall time per no-op task through a warm Dask cluster of 2 workers.
"""

from __future__ import annotations

import argparse
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


def timed_sweep(spec: Path, **executor: object) -> float:
    from gflab.sweep import run_sweep

    with tempfile.TemporaryDirectory() as store:
        start = time.perf_counter()
        summary = run_sweep(str(spec), out=store, progress=False, **executor)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
    assert summary["points"] == 64 and summary["counts"]["error"] == 0, summary
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
        one = timed_sweep(spec, jobs=1)
        local = timed_sweep(spec, jobs=2)
        dask = timed_sweep(spec, executor="dask", workers=2)
    overhead = dask_overhead()
    print(f"64 points, {args.paths} SGD runs each")
    print(f"one process          {one:7.1f} s")
    print(f"local, 2 processes   {local:7.1f} s   speed-up {one / local:.2f} (target >= 1.7)")
    print(f"dask, 2 workers      {dask:7.1f} s   speed-up {one / dask:.2f} (target >= 1.7)")
    print(f"dask per-point overhead {1e3 * overhead:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
