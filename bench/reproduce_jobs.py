"""Benchmark: ``gflab reproduce --quick`` with ``--jobs 2`` against ``--jobs 1`` (target: at
least 1.6 times faster; and the whole quick reproduction under 5 minutes on 2 cores).

Both run as fresh ``gflab`` processes into fresh folders, each with its own empty JAX
compilation cache (``GFLAB_JAX_CACHE``: nothing cached, as on a fresh machine; a shared cache
would let the second run reuse the first one's programs), one after the other in this script. ``--claims`` restricts both to some claim ids (default: every claim).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def reproduce(jobs: int, claims: list[str]) -> tuple[float, dict[str, int]]:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "gflab.cli",
                "reproduce",
                *claims,
                "--quick",
                "--quiet",
                "--json",
                "--jobs",
                str(jobs),
                "--out",
                out,
            ],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ | {"GFLAB_JAX_CACHE": os.path.join(out, "jax-cache")},
        )
        elapsed = time.perf_counter() - start
    rows = json.loads(proc.stdout)
    return elapsed, {v: sum(r["verdict"] == v for r in rows) for v in ("pass", "fail", "error")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", nargs="*", default=[], help="claim ids (default: all)")
    args = parser.parse_args()
    serial, verdicts_1 = reproduce(1, args.claims)
    parallel, verdicts_2 = reproduce(2, args.claims)
    print(f"--jobs 1  {serial:7.1f} s  {verdicts_1}")
    print(f"--jobs 2  {parallel:7.1f} s  {verdicts_2}")
    print(f"speed-up {serial / parallel:.2f} (target >= 1.6); --jobs 2 wall {parallel / 60:.1f} min (target < 5 min)")


if __name__ == "__main__":
    main()
