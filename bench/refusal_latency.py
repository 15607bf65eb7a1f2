"""Benchmark: every bad-input case of ``tests/test_bad_input.py`` is refused in under 1 second.

Each case runs as a fresh ``gflab`` process (what a user waits for), timed from start to exit;
the baseline for the ratio is the smallest run that computes anything, one learnability target
(a refusal should cost what ``--help`` costs, not what a run costs).
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def load_cases() -> tuple[list[tuple[list[str], str]], dict[str, bytes]]:
    path = Path(__file__).parents[1] / "tests" / "test_bad_input.py"
    spec = importlib.util.spec_from_file_location("bad_input_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES, module.FILES


def seconds(args: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "gflab.cli", *args], capture_output=True, timeout=300)
    return time.perf_counter() - start, proc.returncode


def main() -> None:
    cases, files = load_cases()
    with tempfile.TemporaryDirectory() as tmp:
        for name, content in files.items():
            Path(name.format(tmp=tmp)).write_bytes(content)
        times = []
        for args, field in cases:
            args = [a.format(tmp=tmp) if a.startswith("{tmp}") else a for a in args]
            out = [] if args[0] in ("describe", "report") else ["--out", f"{tmp}/store"]
            elapsed, code = seconds([*args, *out])
            times.append(elapsed)
            flag = "" if code == 2 and elapsed < 1.0 else f"   <-- exit {code}"
            print(f"{elapsed:6.3f} s  {field:<16} {' '.join(args)[:90]}{flag}")
        run_s, _ = seconds(["run", "learnability", "--set", "n_targets=1", "--set", "n_show=0", "--out", f"{tmp}/run"])
    slowest = max(times)
    print(
        f"\n{len(times)} refusals: median {statistics.median(times):.3f} s, slowest {slowest:.3f} s "
        f"({sum(t < 1.0 for t in times)} under 1 s; target: all)"
    )
    print(f"smallest run (1 target) {run_s:.2f} s: the slowest refusal is {run_s / slowest:.1f}x faster")


if __name__ == "__main__":
    main()
