"""Sweeps: the spec is bounded and checked before anything is built; every point is a stored
run; killed drivers lose nothing finished; executors agree; failures are rows, not the end."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gflab.errors import BadInput
from gflab.sweep import MAX_POINTS, parse, run_sweep

# A cheap experiment: a few hundred scalar SGD runs per point.
TINY = """
experiment = "sgd-second-moment"
metrics = ["growth_rate"]
[params]
paths = 200
[grid]
eta = {linspace = [0.5, 3.0, 3]}
batch_size = [1, 2]
[plot]
x = "batch_size"
y = "eta"
metric = "growth_rate"
"""


def gflab_cmd(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gflab.cli", *args], capture_output=True, text=True, timeout=timeout)


def test_ranges_and_seeds_expand_in_grid_order() -> None:
    sweep = parse({"experiment": "x", "seeds": 2, "grid": {"a": [1, 2], "b": {"logspace": [1, 100, 3]}}})
    points = sweep.points()
    assert sweep.size == len(points) == 12
    assert points[0] == {"a": 1, "b": 1.0, "seed": 0} and points[1] == {"a": 1, "b": 1.0, "seed": 1}
    assert [p["b"] for p in points[:6:2]] == pytest.approx([1.0, 10.0, 100.0])


def test_a_huge_grid_is_refused_before_it_is_built() -> None:
    grid = {f"p{i}": {"linspace": [0, 1, 100]} for i in range(8)}  # 10^16 points
    start = time.perf_counter()
    with pytest.raises(BadInput, match="at most") as info:
        parse({"experiment": "x", "grid": grid})
    assert time.perf_counter() - start < 0.5
    assert info.value.field == "sweep.grid" and str(MAX_POINTS) in str(info.value)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"grid": {"a": [1]}}, "sweep.experiment"),
        ({"experiment": "x", "grid": [1, 2]}, "sweep.grid"),
        ({"experiment": "x", "params": "d=3", "grid": {"a": [1]}}, "sweep.params"),
        ({"experiment": "x", "grid": {}}, "sweep.grid"),
        ({"experiment": "x", "grid": {"a": []}}, "sweep.grid.a"),
        ({"experiment": "x", "grid": {"a": 3}}, "sweep.grid.a"),
        ({"experiment": "x", "grid": {"a": {"linspace": [0, 1]}}}, "sweep.grid.a"),
        ({"experiment": "x", "grid": {"a": {"linspace": [0, 1, 2.5]}}}, "sweep.grid.a"),
        ({"experiment": "x", "grid": {"a": {"logspace": [0, 1, 3]}}}, "sweep.grid.a"),
        ({"experiment": "x", "grid": {"a": {"arange": [0, 1, 3]}}}, "sweep.grid.a"),
        ({"experiment": "x", "seeds": 0, "grid": {"a": [1]}}, "sweep.seeds"),
        ({"experiment": "x", "seeds": [1, -2], "grid": {"a": [1]}}, "sweep.seeds"),
        ({"experiment": "x", "seeds": 2, "grid": {"seed": [1]}}, "sweep.seeds"),
        ({"experiment": "x", "metrics": "m", "grid": {"a": [1]}}, "sweep.metrics"),
        ({"experiment": "x", "grid": {"a": [1]}, "plot": {"x": "b"}}, "sweep.plot.x"),
        ({"experiment": "x", "grid": {"a": [1]}, "plot": {"colour": "red"}}, "sweep.plot.colour"),
        ({"experiment": "x", "grid": {"a": [1]}, "extra": 1}, "sweep"),
        ({"experiment": "x", "grid": {"a": [1]}, "plot": {"x": ["a"]}}, "sweep.plot.x"),
        ({"experiment": "x", "grid": {"a": [1]}, "plot": {"x": "a", "y": "a"}}, "sweep.plot.y"),
        ({"experiment": "x", "params": {"a": 2}, "grid": {"a": [1]}}, "sweep.params"),
        ({"experiment": "x", "seeds": 2, "params": {"seed": 1}, "grid": {"a": [1]}}, "sweep.params"),
    ],
)
def test_malformed_specs_name_their_key(spec: dict[str, Any], field: str) -> None:
    with pytest.raises(BadInput) as info:
        parse(spec)
    assert info.value.field == field


def _table(folder: Path) -> pd.DataFrame:
    (sweep_dir,) = (folder / "sweeps").iterdir()
    return pd.read_parquet(sweep_dir / "sweep.parquet")


@pytest.mark.slow
def test_a_sweep_writes_its_table_and_figure_and_resumes_from_the_store(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    summary = run_sweep(str(spec), jobs=1, out=str(tmp_path), progress=False)
    table = _table(tmp_path)
    assert summary["points"] == len(table) == 6
    assert summary["counts"] == {"ok": 3, "diverged": 3, "error": 0}
    assert (table.status == "diverged").tolist() == (table.growth_rate > 0).tolist()
    # the measured sign agrees with the theory's boundary away from it
    far = (table["param.eta"] - table.critical_step).abs() > 0.3
    assert ((table.growth_rate > 0) == (table["param.eta"] > table.critical_step))[far].all()
    assert Path(summary["figures"][0]).stat().st_size > 10_000
    again = run_sweep(str(spec), jobs=1, out=str(tmp_path), progress=False)
    assert again["points"] == 6 and _table(tmp_path).finished.tolist() == table.finished.tolist()  # nothing recomputed


@pytest.mark.slow
def test_a_point_that_raises_is_a_row_and_the_sweep_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gflab.lab

    real = gflab.lab.run

    def flaky(experiment: str, params: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if params["eta"] == 3.0 and params["batch_size"] == 2:
            raise FloatingPointError("overflow in the point")
        return real(experiment, params, **kwargs)

    monkeypatch.setattr(gflab.lab, "run", flaky)
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    summary = run_sweep(str(spec), jobs=1, out=str(tmp_path), progress=False)
    table = _table(tmp_path)
    assert summary["counts"] == {"ok": 3, "diverged": 2, "error": 1}
    (error,) = table[table.status == "error"].error
    assert error == "FloatingPointError: overflow in the point"


def _complete_runs(store: Path) -> dict[str, str]:
    """Finished run folders and the time each was computed; every file of each must read."""
    runs = {}
    for folder in store.glob("sgd-second-moment-*"):
        summary = json.loads((folder / "summary.json").read_text())
        pd.read_parquet(folder / "metrics.parquet")
        runs[folder.name] = summary["finished"]
    return runs


@pytest.mark.slow
def test_sigkilled_drivers_lose_nothing_and_recompute_nothing(tmp_path: Path) -> None:
    spec = tmp_path / "kill.toml"
    spec.write_text(TINY.replace("[0.5, 3.0, 3]", "[0.5, 3.0, 6]"))  # 12 points
    rng = random.Random(7)
    seen: dict[str, str] = {}
    for _ in range(10):
        proc = subprocess.Popen(
            [sys.executable, "-m", "gflab.cli", "sweep", str(spec), "--out", str(tmp_path), "--jobs", "1", "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(1.0, 8.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        runs = _complete_runs(tmp_path)
        assert all(runs[name] == stamp for name, stamp in seen.items())  # finished points stay as they were
        seen = runs
    proc_final = gflab_cmd("sweep", str(spec), "--out", str(tmp_path), "--quiet", "--json")
    assert proc_final.returncode == 0, proc_final.stderr
    runs = _complete_runs(tmp_path)
    assert len(runs) == 12 and all(runs[name] == stamp for name, stamp in seen.items())
    assert json.loads(proc_final.stdout)["points"] == 12


@pytest.mark.slow
def test_two_sweeps_sharing_points_compute_each_once(tmp_path: Path) -> None:
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text(TINY)
    second.write_text(TINY.replace("batch_size = [1, 2]", "batch_size = [2, 4]"))  # shares the B = 2 points
    args = ["--out", str(tmp_path / "store"), "--jobs", "1", "--quiet", "--json"]
    procs = [
        subprocess.Popen([sys.executable, "-m", "gflab.cli", "sweep", str(s), *args], stdout=subprocess.PIPE, text=True)
        for s in (first, second)
    ]
    outputs = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
    assert [o["points"] for o in outputs] == [6, 6] and all(p.returncode == 0 for p in procs)
    tables = [pd.read_parquet(Path(o["folder"]) / "sweep.parquet") for o in outputs]
    shared = [t[t["param.batch_size"] == 2].set_index("param.eta").finished for t in tables]
    assert shared[0].equals(shared[1])  # the same computation, reused
    assert len(list((tmp_path / "store").glob("sgd-second-moment-*"))) == 9


@pytest.mark.slow
def test_dask_with_a_worker_killed_mid_sweep_gives_the_local_table(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    import psutil

    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    local = gflab_cmd("sweep", str(spec), "--out", str(tmp_path / "local"), "--jobs", "1", "--quiet", "--json")
    assert local.returncode == 0, local.stderr
    args = ["sweep", str(spec), "--out", str(tmp_path / "dask"), "--executor", "dask", "--workers", "2", "--quiet", "--json"]
    proc = subprocess.Popen([sys.executable, "-m", "gflab.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    killed = False
    while not killed and time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
        if list((tmp_path / "dask").glob("sgd-second-moment-*")):  # a point is done: workers are busy
            workers = [c for c in psutil.Process(proc.pid).children(recursive=True) if "spawn" in " ".join(c.cmdline())]
            if len(workers) >= 2:
                workers[-1].kill()
                killed = True
    out, err = proc.communicate(timeout=600)
    assert killed and proc.returncode == 0, err
    tables = [pd.read_parquet(Path(json.loads(o)["folder"]) / "sweep.parquet") for o in (local.stdout, out)]
    columns = ["param.eta", "param.batch_size", "growth_rate", "critical_step", "status"]
    np.testing.assert_array_equal(*(t.sort_values(columns[:2])[columns].to_numpy() for t in tables))


@pytest.mark.slow
def test_workers_of_a_sigkilled_driver_exit(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    spec = tmp_path / "orphans.toml"
    spec.write_text(TINY.replace("[0.5, 3.0, 3]", "[0.5, 3.0, 12]"))  # 24 points: still running when killed
    args = ["sweep", str(spec), "--out", str(tmp_path), "--jobs", "2", "--quiet"]
    proc = subprocess.Popen([sys.executable, "-m", "gflab.cli", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = psutil.Process(proc.pid)
    deadline = time.time() + 120
    workers: list[Any] = []
    while len(workers) < 2 and time.time() < deadline:
        time.sleep(0.2)
        workers = [c for c in driver.children(recursive=True) if "spawn" in " ".join(c.cmdline())]
    assert len(workers) >= 2, "the pool never started"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"{len(alive)} workers outlived their driver"


def _cores_of_this_process(_: int) -> frozenset[int]:
    import os

    time.sleep(0.1)  # long enough that every worker gets tasks
    return frozenset(os.sched_getaffinity(0))


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["local", "dask"])
def test_each_worker_runs_on_its_own_share_of_the_cores(executor: str) -> None:
    import os

    from gflab.executors import run_tasks

    if executor == "dask":
        pytest.importorskip("dask.distributed")
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two cores")
    options: dict[str, Any] = {"workers": 2} if executor == "dask" else {"jobs": 2}
    shares = {share for _, share in run_tasks(_cores_of_this_process, range(16), executor=executor, progress=False, **options)}
    assert len(shares) == 2 and not set.intersection(*map(set, shares))  # two disjoint shares


def test_a_sweep_that_needs_long_is_announced_before_it_starts(capsys: pytest.CaptureFixture[str]) -> None:
    from gflab.experiments.cost import cost
    from gflab.sweep import _announce

    sweep = parse({"experiment": "x", "grid": {"a": list(range(40))}})
    _announce(sweep, [cost(0.1, 5.0, "a")] * 40)  # 40 points of ~10 s: under 10 min, quiet
    assert capsys.readouterr().err == ""
    _announce(sweep, [cost(0.1, 60.0, "a"), None] * 20)  # 20 points of ~65 s, 20 unmodelled
    assert "sweep sweep (40 points) will need ~0.3 GiB, ~22 min (the largest" in capsys.readouterr().err
