"""Bad input is refused before any compute: exit 2, one line naming the field, no traceback.

Every case runs the command line in process; a refusal must come before any run starts (the
store stays empty). ``bench/refusal_latency.py`` times each case as a fresh process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gflab.cli import main
from gflab.experiments import REGISTRY, get_experiment

NOT_UTF8 = "{tmp}/latin1.toml"
LIST_SPEC = "{tmp}/list.json"
SWEEP_GRID_TYPE = "{tmp}/grid-type.toml"
SWEEP_PARAMS_TYPE = "{tmp}/params-type.toml"
SWEEP_HUGE = "{tmp}/huge.toml"
SWEEP_UNKNOWN = "{tmp}/unknown.toml"
SWEEP_BAD_POINT = "{tmp}/bad-point.toml"

FILES = {
    NOT_UTF8: "model = 'caf\xe9'\n".encode("latin-1"),
    LIST_SPEC: b"[1, 2, 3]",
    SWEEP_GRID_TYPE: b'experiment = "learnability"\ngrid = [1, 2]\n',
    SWEEP_PARAMS_TYPE: b'experiment = "learnability"\nparams = "d=3"\n[grid]\nseed = [0]\n',
    SWEEP_HUGE: b'experiment = "learnability"\n[grid]\n'
    + b"".join(f"p{i} = {{linspace = [0, 1, 100]}}\n".encode() for i in range(8)),
    SWEEP_UNKNOWN: b'experiment = "nope"\n[grid]\nseed = [0, 1]\n',
    SWEEP_BAD_POINT: b'experiment = "learnability"\n[grid]\nn_targets = [10, -1]\n',
}

CASES: list[tuple[list[str], str]] = [
    # names
    (["run", "nope"], "experiment"),
    (["describe", "nope"], "experiment"),
    (["reproduce", "no.such-claim"], "claim"),
    (["reproduce", "--all", "learnability.linear"], "--all"),
    (["run", "learnability", "--bogus"], "bogus"),
    (["run", "learnability", "--set", "colour=red"], "colour"),
    (["run", "learnability", "--set", "model=spiral"], "model"),
    (["run", "search-phase", "--set", "sigma=swish"], "sigma"),
    (["run", "edge-of-stability", "--set", "sigma=banana"], "sigma"),
    (["run", "directional-convergence", "--set", "sigma_star=banana"], "sigma_star"),
    (["run", "edge-of-stability", "--set", "data=mnist"], "data"),
    (["run", "two-timescale", "--set", "link=nope"], "link"),
    # --set syntax
    (["run", "learnability", "--set", "noequals"], "--set"),
    (["run", "learnability", "--set", "=5"], "--set"),
    (["run", "learnability", "--set", "a\nb=1"], "--set"),
    (["run", "learnability", "--set", "model=" + "x" * 100_000], "model"),
    # types
    (["run", "learnability", "--set", "n_targets=many"], "n_targets"),
    (["run", "learnability", "--set", "n_targets=true"], "n_targets"),
    (["run", "learnability", "--set", "n_targets=1e400"], "n_targets"),
    (["run", "learnability", "--set", "d=[1, 2]"], "d"),
    (["run", "learnability", "--set", "t1=NaN"], "t1"),
    (["run", "learnability", "--set", "rtol=Infinity"], "rtol"),
    (["run", "ntk-vs-meanfield", "--set", "widths=250"], "widths"),
    # ranges of numbers
    (["run", "learnability", "--set", "n_targets=0"], "n_targets"),
    (["run", "learnability", "--set", "tol=-1e-3"], "tol"),
    (["run", "learnability", "--set", "t1=-5"], "t1"),
    (["run", "learnability", "--set", "seed=9223372036854775808"], "seed"),
    (["run", "learnability", "--set", "seed=-1"], "seed"),
    (["run", "gd-stability", "--set", "momentum=1"], "momentum"),
    (["run", "hierarchical", "--set", "eps=1.5"], "eps"),
    (["run", "hierarchical", "--set", "n_stages=0"], "n_stages"),
    (["run", "hierarchical", "--set", "d=2", "--set", "n_stages=9"], "n_stages"),
    (["run", "hierarchical-flow", "--set", "lam=0"], "lam"),
    (["run", "hierarchical-flow", "--set", "lambdas=[30, -1]"], "lambdas"),
    (["run", "sphere-obstruction", "--set", "radius=-1"], "radius"),
    (["run", "sgd-minima", "--set", "n_samples=5000"], "n_samples"),
    (["run", "sgd-second-moment", "--set", "eta=0"], "eta"),
    (["run", "index-recovery", "--set", "beta=1"], "beta"),
    # list items
    (["run", "search-phase", "--set", "d_values=[32, 1e20]"], "d_values"),
    (["run", "search-phase", "--set", "d_values=[64,32]"], "d_values"),
    (["run", "search-phase", "--set", "d_values=[1, 2]"], "d_values"),
    (["run", "two-timescale", "--set", "d_values=[2, 8]"], "d_values"),
    (["run", "ntk-vs-meanfield", "--set", "widths=[-5, 10]"], "widths"),
    (["run", "ntk-vs-meanfield", "--set", "widths=[10, 1e12]"], "widths"),
    (["run", "ntk-vs-meanfield", "--set", "widths=[]"], "widths"),
    (["run", "random-features-rate", "--set", "widths=[0, 1]"], "widths"),
    (["run", "directional-convergence", "--set", "coverage_ks=[-1]"], "coverage_ks"),
    (["run", "gradient-variance", "--set", "family_sizes=[-4, 0]"], "family_sizes"),
    (["run", "edge-of-stability", "--set", "etas=[-0.1]"], "etas"),
    (["run", "sde-flatness", "--set", "etas=[0.5]"], "etas"),
    (["run", "sgd-minima", "--set", "batch_sizes=[0]"], "batch_sizes"),
    (["run", "beta-threshold", "--set", "ks=[1]"], "ks"),
    (["run", "beta-threshold", "--set", "ks=[2, 100]"], "ks"),
    # fields that must agree
    (["run", "learnability", "--set", "model=linear", "--set", "W=1", "--set", "d=3"], "W"),
    (["run", "directional-convergence", "--set", "d=4", "--set", "k=8"], "d"),
    (["run", "directional-convergence", "--set", "sigma=relu", "--set", "sigma_star=relu"], "sigma"),
    (["run", "gd-stability", "--set", "eta_low=10", "--set", "eta_high=1"], "eta_low"),
    (["run", "gd-stability", "--set", "lambda_min=20"], "lambda_min"),
    (["run", "sgd-stability", "--set", "batch_sizes=[3]"], "batch_sizes"),
    (["run", "sgd-second-moment", "--set", "scheme=reshuffling", "--set", "batch_size=3"], "batch_size"),
    (["run", "planted", "--set", "d=3"], "d"),
    (["run", "index-recovery", "--set", "k=8", "--set", "d=8"], "d"),
    # sizes beyond the machine (memory or time estimated before any compute)
    (["run", "gradient-variance", "--set", "d=4", "--set", "grid=4096"], "grid"),
    (["run", "sde-flatness", "--set", "t1=1e12"], "t1"),
    (["run", "directional-convergence", "--set", "loss=mse", "--set", "d=1000000000"], "d"),
    (["run", "search-phase", "--set", "flow=full", "--set", "d_values=[64, 1000000000]"], "d_values"),
    (["run", "gd-stability", "--set", "d=2000", "--set", "n_quadratics=1000", "--set", "grid=1025"], "d"),
    (["run", "random-features-rate", "--set", "train_points=1000000", "--set", "widths=[100000, 100000]"], "widths"),
    (["run", "ntk-vs-meanfield", "--set", "widths=[100000, 100000]", "--set", "seeds=100", "--set", "d=1000"], "widths"),
    # files
    (["run", "learnability", "--spec", "/does/not/exist.toml"], "spec"),
    (["run", "learnability", "--spec", NOT_UTF8], "spec"),
    (["run", "learnability", "--spec", LIST_SPEC], "spec"),
    (["sweep", "/does/not/exist.toml"], "spec"),
    (["sweep", SWEEP_GRID_TYPE], "sweep.grid"),
    (["sweep", SWEEP_PARAMS_TYPE], "sweep.params"),
    (["sweep", SWEEP_HUGE], "sweep.grid"),
    (["sweep", SWEEP_UNKNOWN], "experiment"),
    (["sweep", SWEEP_BAD_POINT], "n_targets"),
    # options
    (["sweep", SWEEP_UNKNOWN, "--executor", "slurm"], "--executor"),
    (["reproduce", "--quick", "--jobs", "0"], "--jobs"),
    (["reproduce", "--quick", "--address", "tcp://x:1"], "--address"),
    (["show", "no-such-run"], "run"),
    (["report", "/does/not/exist"], "report"),
]


@pytest.mark.parametrize(("args", "field"), CASES, ids=[f"{i}-{a[0]}-{f}" for i, (a, f) in enumerate(CASES)])
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], field: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, content in FILES.items():
        Path(name.format(tmp=tmp_path)).write_bytes(content)
    args = [a.format(tmp=tmp_path) if a.startswith("{tmp}") else a for a in args]
    store = tmp_path / "store"
    out = [] if args[0] in ("describe", "report") else ["--out", str(store)]
    monkeypatch.setattr(sys, "argv", ["gflab", *args, *out])
    with pytest.raises(SystemExit) as exit_info:
        main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert not store.exists() or not [p for p in store.rglob("*") if not p.name.startswith(".")]  # nothing was run
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gflab: error: ") and field in lines[0] and len(lines[0]) < 1200
    assert "Traceback" not in err


def _keys(experiment: str) -> st.SearchStrategy[str]:
    fields = sorted(get_experiment(experiment).spec_class.model_fields)
    return st.one_of(st.sampled_from(fields), st.sampled_from(fields), st.text(min_size=1, max_size=8))


SET_VALUES = st.one_of(
    st.text(max_size=10),
    st.integers(-5, 5).map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.lists(st.integers(-3, 10**13), max_size=4).map(str),
    st.sampled_from(["[1,2]", "null", "true", "[]", "{}", "sin-curve", "relu", "1e400", "[0.1, -0.1]"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_set_strings_for_every_experiment(
    data: st.DataObject,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Random key=value for a random experiment: a valid spec (validated only, not run) or
    exit 2 with one line. The fixtures only patch module attributes idempotently."""
    experiment = data.draw(st.sampled_from(sorted(REGISTRY)))
    pairs = data.draw(st.lists(st.tuples(_keys(experiment), SET_VALUES), min_size=1, max_size=3))

    def stored_only(store: Any, name: str, spec: Any, **_: Any) -> dict[str, Any]:
        """After the real validation: no run, a summary naming the validated spec."""
        return {"experiment": name, "params": spec.model_dump(mode="json"), "metrics": {}, "claims": [], "run_dir": ""}

    monkeypatch.setattr("gflab.lab._run_in", stored_only)
    argv = ["gflab", "run", experiment, "--json"]
    for key, value in pairs:
        argv += ["--set", f"{key}={value}"]
    monkeypatch.setattr(sys, "argv", [*argv, "--out", str(tmp_path_factory.mktemp("store"))])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    assert exit_info.value.code in (0, 2), err
    if exit_info.value.code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("gflab: error: "), err
    else:  # accepted: the validated spec holds every key given
        summary = json.loads(out)
        assert summary["experiment"] == experiment and {k for k, _ in pairs} <= set(summary["params"])
