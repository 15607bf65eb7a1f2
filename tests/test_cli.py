"""The command line: JSON contract, exit statuses, one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import gflab.cli


def gflab_cmd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gflab.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.mark.slow
def test_run_json_contract(tmp_path: Path) -> None:
    proc = gflab_cmd(
        "run",
        "learnability",
        "--set",
        "model=linear",
        "--set",
        "d=2",
        "--set",
        "n_targets=30",
        "--set",
        "n_show=0",
        "--out",
        str(tmp_path),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert set(obj) == {"experiment", "params", "metrics", "claims", "run_dir", "wall_s", "finished"}
    assert obj["metrics"]["fractions"]["learned"]["fraction"] == 1.0
    assert Path(obj["run_dir"]).is_dir()


@pytest.mark.slow
@pytest.mark.parametrize("command", [["run", "learnability"], ["reproduce", "learnability.sin-curve", "--quick"]])
def test_an_unwritable_out_is_refused_before_any_compute(command: list[str], tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    for out in ("/dev/null", str(tmp_path / "a-file"), ""):
        proc = gflab_cmd(*command, "--out", out)
        assert proc.returncode == 2, (out, proc.stderr)
        assert proc.stderr.startswith("gflab: error: --out:") and len(proc.stderr.strip().splitlines()) == 1
        assert "jax" not in proc.stderr.lower()


@pytest.mark.slow
def test_ctrl_c_says_interrupted_and_exits_130(tmp_path: Path) -> None:
    import signal
    import time

    args = ["run", "learnability", "--set", "n_targets=300000", "--set", "n_show=0", "--out", str(tmp_path)]
    proc = subprocess.Popen([sys.executable, "-m", "gflab.cli", *args], stderr=subprocess.PIPE, text=True)
    time.sleep(8.0)  # past the imports: computing
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "gflab: interrupted"
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == []  # nothing half-written


@pytest.mark.slow
def test_describe_lists_every_parameter_with_its_claims() -> None:
    from gflab.experiments import CLAIMS, get_experiment

    proc = gflab_cmd("describe", "gd-stability", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    spec_class = get_experiment("gd-stability").spec_class
    assert list(rows) == list(spec_class.model_fields)
    for name, row in rows.items():
        assert row["default"] == spec_class.model_fields[name].default
        setting = {c.id for c in CLAIMS if c.experiment == "gd-stability" and (name in c.quick or name in c.full)}
        assert set(row["claims"]) == setting


@pytest.mark.slow
def test_runs_show_and_gc_read_the_store(tmp_path: Path) -> None:
    params = ["--set", "model=linear", "--set", "d=2", "--set", "n_targets=10", "--set", "n_show=0"]
    made = json.loads(gflab_cmd("run", "learnability", *params, "--out", str(tmp_path), "--json").stdout)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    (tmp_path / f".tmp-learnability-0-{dead}-deadbeef").mkdir()  # left by a killed run
    listed = json.loads(gflab_cmd("runs", "--out", str(tmp_path), "--json").stdout)
    assert [r["run"] for r in listed] == [Path(made["run_dir"]).name]
    verdicts = [c["verdict"] for c in made["claims"]]
    assert listed[0]["verdicts"] == {v: verdicts.count(v) for v in set(verdicts)}
    shown = json.loads(gflab_cmd("show", Path(made["run_dir"]).name, "--out", str(tmp_path)).stdout)
    assert shown == made
    assert gflab_cmd("gc", "--out", str(tmp_path)).returncode == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []
    missing = gflab_cmd("show", "nope", "--out", str(tmp_path))
    assert missing.returncode == 2 and missing.stderr.startswith("gflab: error: run:")


def test_version() -> None:
    from gflab import __version__

    proc = gflab_cmd("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"gflab {__version__}"


@pytest.mark.slow
def test_malformed_spec_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("model = [unclosed\n")
    proc = gflab_cmd("run", "learnability", "--spec", str(bad), "--out", str(tmp_path))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "spec" in proc.stderr


def test_list_names_experiments_and_claims() -> None:
    proc = gflab_cmd("list")
    assert proc.returncode == 0
    assert "learnability" in proc.stdout and "sphere-obstruction.every-zoo-model" in proc.stdout


def test_help_does_not_import_jax() -> None:
    code = "import sys; sys.argv=['gflab','--help']\nimport gflab.cli\ntry:\n    gflab.cli.main()\nexcept SystemExit: pass\nprint('jax' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "False"
    assert gflab.cli.app is not None


@pytest.mark.slow
@pytest.mark.parametrize(
    "sets",
    [
        ["experiment=learnability", "w0=1e200", "n_targets=20", "n_show=2", "d=2"],  # diverging runs
        ["experiment=sgd-stability", "spread=0", "paths=200", "batch_sizes=[1]", 'schemes=["with-replacement"]'],  # exact zeros
    ],
)
def test_normal_runs_print_no_warnings(sets: list[str], tmp_path: Path) -> None:
    """Warnings are errors here (python -W error): a normal run must not print any."""
    experiment = sets[0].split("=", 1)[1]
    args = [a for s in sets[1:] for a in ("--set", s)]
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-m", "gflab.cli", "run", experiment, *args, "--out", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr
    json.loads(proc.stdout)


def test_the_quick_budget_line_names_the_longest_runs_only_when_over(capsys: pytest.CaptureFixture[str]) -> None:
    from gflab.cli_output import print_quick_budget
    from gflab.lab import QUICK_BUDGET_S

    rows = [{"run_dir": "/s/a-1", "wall_s": 100.0}, {"run_dir": "/s/a-1", "wall_s": 100.0}, {"run_dir": "/s/b-2", "wall_s": 50.0}]
    print_quick_budget(rows)  # two distinct runs, 150 s
    err = capsys.readouterr().err
    assert f"2 runs, 150 s of compute (budget {QUICK_BUDGET_S:.0f} s)" in err and "over budget" not in err
    print_quick_budget([*rows, {"run_dir": "/s/c-3", "wall_s": QUICK_BUDGET_S}])
    err = capsys.readouterr().err
    assert "over budget; longest: c-3" in err and err.index("c-3") < err.index("a-1") < err.index("b-2")
