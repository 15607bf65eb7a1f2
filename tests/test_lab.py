"""Running through the store: cache by spec hash, --force, atomic directories, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from gflab import lab
from gflab.experiments.learnability import learnability
from gflab.store import Store

SMALL = {"model": "trig", "d": 3, "W": 2, "n_targets": 40, "n_show": 2, "t1": 100.0}


@pytest.mark.slow
def test_run_directory_contents_and_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = lab.run("learnability", SMALL, out=str(tmp_path))
    run_dir = Path(first["run_dir"])
    assert {p.name for p in run_dir.iterdir()} >= {
        "spec.json",
        "summary.json",
        "metrics.parquet",
        "final_loss.png",
        "trajectories.png",
    }
    table = pd.read_parquet(run_dir / "metrics.parquet")
    assert set(table.columns) >= {"trajectory", "t", "loss", "verdict"}
    assert table["trajectory"].nunique() == 40
    assert json.loads((run_dir / "spec.json").read_text())["params"]["n_targets"] == 40

    calls = []
    original = learnability.Learnability.run

    def counting_run(self: learnability.Learnability, spec: learnability.LearnabilitySpec, progress: bool = False) -> object:
        calls.append(1)
        return original(self, spec, progress=progress)

    monkeypatch.setattr(learnability.Learnability, "run", counting_run)
    assert lab.run("learnability", SMALL, out=str(tmp_path)) == first  # cached: run() not called
    assert calls == []
    assert lab.run("learnability", SMALL, out=str(tmp_path), force=True)["metrics"] == first["metrics"]  # --force recomputes
    assert calls == [1]
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [run_dir.name]  # replaced in place

    moved = tmp_path.parent / f"{tmp_path.name}-moved"
    tmp_path.rename(moved)  # a store folder can be moved: its summaries point into it
    again = lab.run("learnability", SMALL, out=str(moved))
    assert again["run_dir"] == str(moved / run_dir.name) and again["metrics"] == first["metrics"]


@pytest.mark.slow
def test_same_spec_gives_identical_numbers(tmp_path: Path) -> None:
    a = lab.run("learnability", SMALL, out=str(tmp_path / "a"))
    b = lab.run("learnability", SMALL, out=str(tmp_path / "b"))
    assert a["metrics"] == b["metrics"]
    assert a["claims"] == b["claims"]


@pytest.mark.slow
def test_sigkill_mid_run_publishes_nothing_and_next_run_recomputes(tmp_path: Path) -> None:
    params = json.dumps(SMALL | {"n_targets": 300_000, "n_show": 0})  # about a minute of compute
    code = f"from gflab import lab; lab.run('learnability', {params}, out={str(tmp_path)!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    time.sleep(8.0)  # imports take ~2 s: the run is now computing
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert [p for p in tmp_path.iterdir() if not p.name.startswith(".")] == []  # .tmp- and .locks only
    summary = lab.run("learnability", SMALL, out=str(tmp_path))
    assert Path(summary["run_dir"]).is_dir()


@pytest.mark.slow
def test_half_written_folder_of_a_dead_run_is_ignored_and_cleaned(tmp_path: Path) -> None:
    store = Store(tmp_path)
    final = store.run_dir("learnability", learnability.LearnabilitySpec(**SMALL).model_dump(mode="json"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    partial = tmp_path / f".tmp-{final.name}-{dead}-deadbeef"
    partial.mkdir(parents=True)
    (partial / "spec.json").write_text("{")  # killed while writing
    summary = lab.run("learnability", SMALL, out=str(tmp_path))
    assert summary["run_dir"] == str(final)
    assert (final / "summary.json").exists()
    assert not partial.exists()
    assert os.path.basename(summary["run_dir"]).startswith("learnability-")


@pytest.mark.slow
def test_concurrent_identical_runs_compute_once_and_both_succeed(tmp_path: Path) -> None:
    code = f"from gflab import lab; print(lab.run('learnability', {SMALL!r}, out={str(tmp_path)!r})['run_dir'])"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [proc.communicate(timeout=300)[0].strip() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0]
    assert len(set(outputs)) == 1 and Path(outputs[0]).is_dir()
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [Path(outputs[0]).name]


@pytest.mark.slow
def test_reproduce_with_two_workers_gives_the_serial_numbers(tmp_path: Path) -> None:
    from gflab.lab import quick_budget, reproduce

    ids = ["gd-stability.critical-step", "gd-stability.critical-step-momentum"]
    serial = reproduce(ids, quick=True, out=str(tmp_path / "serial"), jobs=1)
    parallel = reproduce(ids, quick=True, out=str(tmp_path / "parallel"), jobs=2)
    assert [(r["id"], r["measured"], r["verdict"]) for r in serial] == [(r["id"], r["measured"], r["verdict"]) for r in parallel]
    assert (tmp_path / "parallel" / "report.html").is_file()
    total, runs = quick_budget(serial)  # the compute of each distinct run, counted once
    walls = {r["run_dir"]: json.loads((Path(r["run_dir"]) / "summary.json").read_text())["wall_s"] for r in serial}
    assert [wall for _, wall in runs] == sorted(walls.values(), reverse=True)
    assert total == pytest.approx(sum(walls.values()))


def test_reproduce_runs_a_claim_whose_spec_refuses_some_defaults_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The learnability claims run the flow, whose spec refuses an explicit eta (a GD-only
    parameter): the worker must validate the claim's own parameters, not a full dump of the spec.
    Only a run still to compute is announced: the second reproduction loads it from the store."""
    from gflab.lab import reproduce

    announced: list[str] = []
    monkeypatch.setattr(lab, "announce", lambda experiment, spec: announced.append(experiment))
    (row,) = reproduce(["learnability.linear"], quick=True, out=str(tmp_path), jobs=1)
    assert row["verdict"] != "error", row.get("error")
    assert announced == ["learnability"]
    (again,) = reproduce(["learnability.linear"], quick=True, out=str(tmp_path), jobs=1)
    assert again["measured"] == row["measured"] and announced == ["learnability"]
