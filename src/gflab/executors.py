"""Run independent tasks on every core, or on a Dask cluster, with one progress bar.

``local`` (default): ``jobs`` worker processes (started with ``spawn``: JAX must not be
forked), each pinned to its share of the cores, so JAX in each worker sizes its thread pool
and host devices to that share and the workers do not fight over cores; ``jobs = 1`` runs in
this process. ``dask``: ``dask.distributed`` (an optional dependency, ``pip install
gflab[dask]``), on the scheduler at ``address`` or on a local cluster of ``workers``
single-threaded processes; a worker that dies has its tasks rescheduled on the others.

Tasks are module-level functions of one picklable item; what a task raises is returned as
its result (:class:`Failed`), so one bad point never stops the others.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from gflab._jax import cores
from gflab.console import stderr_console
from gflab.errors import BadInput

ExecutorName = Literal["local", "dask"]
EXECUTORS: tuple[str, ...] = ("local", "dask")


@dataclass(frozen=True)
class Failed:
    """A task that raised: the exception's type and message."""

    error: str


def _pin(index: int, jobs: int) -> None:
    """Pin this process to the ``index``-th of ``jobs`` shares of the cores (before JAX is
    imported, so that XLA sizes its threads and host devices to the share)."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(available) >= jobs:
        os.sched_setaffinity(0, available[index % jobs :: jobs])


def _pin_worker(counter: Any, jobs: int, driver: int) -> None:
    """Process-pool worker start-up: take the next share of the cores, and exit when the
    driver is gone (a killed driver must not leave its workers computing for no one)."""
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    _pin(index, jobs)
    threading.Thread(target=_exit_with_parent, args=(driver,), daemon=True).start()


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """Poll for the death of ``parent`` (the driver's pid, passed in: it may die before this
    worker starts; re-parenting changes ``getppid``); then exit at once. The store loses
    nothing: an unfinished run is only a ``.tmp-`` folder, removed later."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _guarded(task: Callable[[Any], Any], item: Any) -> Any:
    try:
        return task(item)
    except Exception as exc:  # a failed point is a result of the sweep, not its end
        return Failed(f"{type(exc).__name__}: {exc}")


def _result(future: Any) -> Any:
    """A finished future's result, or :class:`Failed` when its worker died (a killed or
    out-of-memory worker breaks a process pool; Dask gives up on a task after its workers died
    three times): the other tasks' results still arrive, and a rerun resumes from the store."""
    try:
        return future.result()
    except Exception as exc:
        return Failed(f"{type(exc).__name__}: {exc}")


def run_tasks(
    task: Callable[[Any], Any],
    items: Sequence[Any],
    *,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    workers: int | None = None,
    label: str = "tasks",
    progress: bool = True,
) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, task(items[index]) or Failed)`` as tasks finish, in any order."""
    if executor not in EXECUTORS:
        raise BadInput("--executor", f"unknown executor {executor!r}; accepted: {', '.join(EXECUTORS)}")
    with _bar(label, len(items), progress) as advance:
        if executor == "dask":
            results = _dask(task, items, address, workers)
        elif (jobs or cores()) <= 1 or len(items) <= 1:
            results = ((i, _guarded(task, item)) for i, item in enumerate(items))
        else:
            results = _local(task, items, min(jobs or cores(), len(items)))
        for index, result in results:
            advance()
            yield index, result


def _local(task: Callable[[Any], Any], items: Sequence[Any], jobs: int) -> Iterator[tuple[int, Any]]:
    context = multiprocessing.get_context("spawn")
    counter = context.Value("i", 0)
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_pin_worker, initargs=(counter, jobs, os.getpid())
    )
    try:
        pending: dict[Future[Any], int] = {pool.submit(_guarded, task, item): i for i, item in enumerate(items)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), _result(future)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _dask(
    task: Callable[[Any], Any], items: Sequence[Any], address: str | None, workers: int | None
) -> Iterator[tuple[int, Any]]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise BadInput("--executor", "dask needs dask.distributed: pip install 'gflab[dask]'") from None
    if address:
        client = Client(address, timeout=30)
        cluster = None
    else:
        import dask

        count = workers or cores()
        # Two of Dask's defaults cost CPU-bound points here: the stack sampling (every 10 ms) of
        # its dashboard's profile, which no one sees, and MALLOC_TRIM_THRESHOLD_ in the workers'
        # environment, which turns off glibc's adaptive mmap threshold, so that every array
        # over 128 KiB is fresh mmapped pages (measured: ~40% more CPU per point than a pool
        # worker). Its caps of the BLAS threads stay.
        environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        with dask.config.set({"distributed.worker.profile.enabled": False, "distributed.nanny.pre-spawn-environ": environ}):
            cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40)
        client = Client(cluster)
        client.register_plugin(_pin_plugin(count), name="gflab-pin")
    try:
        futures = client.map(_guarded, [task] * len(items), list(items), pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        for future in as_completed(futures):
            yield index[future.key], _result(future)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _pin_plugin(workers: int) -> Any:
    """A Dask worker plugin for a local cluster: worker ``i`` (its name) takes share ``i`` of
    the cores, as the process pool's workers do; a restarted worker is pinned again."""
    from dask.distributed import WorkerPlugin

    class PinToShare(WorkerPlugin):  # type: ignore[misc]
        def setup(self, worker: Any) -> None:
            if isinstance(worker.name, int):
                _pin(worker.name, workers)

    return PinToShare()


@contextmanager
def _bar(label: str, total: int, enabled: bool) -> Iterator[Callable[[], None]]:
    """One progress bar over the tasks, with rate and ETA (nothing when not ``enabled``)."""
    if not enabled:
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    start = time.perf_counter()
    with Progress(*columns, console=stderr_console()) as bar:
        task = bar.add_task(label, total=total, rate="")

        def advance() -> None:
            done = bar.tasks[0].completed + 1
            bar.update(task, advance=1, rate=f"{done / (time.perf_counter() - start):.2f}/s")

        yield advance


__all__ = ["EXECUTORS", "ExecutorName", "Failed", "cores", "run_tasks"]
