"""The store alone: spec hashes, atomic writes, no half-written run under a final name."""

from __future__ import annotations

from pathlib import Path

import pytest

from gflab.errors import BadInput
from gflab.store import Store, spec_hash


def test_spec_hash_ignores_key_order_and_sees_values() -> None:
    assert spec_hash("x", {"a": 1, "b": 2}) == spec_hash("x", {"b": 2, "a": 1})
    assert spec_hash("x", {"a": 1}) != spec_hash("x", {"a": 2})
    assert spec_hash("x", {"a": 1}) != spec_hash("y", {"a": 1})


def test_write_publishes_every_file_or_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path)
    final = store.run_dir("x", {"a": 1})

    def broken(path: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.write(final, {"spec.json": lambda p: p.write_text("{}") and None, "summary.json": broken})
    assert not final.exists() and store.load(final) is None

    store.write(final, {"summary.json": lambda p: p.write_text('{"n": 1}') and None})
    assert store.load(final) == {"n": 1}
    store.write(final, {"summary.json": lambda p: p.write_text('{"n": 2}') and None})  # replaced in place
    assert store.load(final) == {"n": 2}
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".tmp-")] == [final.name]


@pytest.mark.parametrize("where", ["a-file", "read-only", "dev-null", "empty"])
def test_an_unwritable_store_is_refused_naming_out(where: str, tmp_path: Path) -> None:
    import os

    if where == "a-file":
        root = tmp_path / "file"
        root.write_text("not a folder")
    elif where == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        (tmp_path / "ro").mkdir(mode=0o500)
        root = tmp_path / "ro" / "runs"
    else:
        root = "/dev/null" if where == "dev-null" else ""
    with pytest.raises(BadInput, match="--out"):
        Store(root).check_writable()


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_cleaning_removes_only_this_machines_leftovers_of_dead_processes(tmp_path: Path) -> None:
    import os

    from gflab.store import _HOST

    dead = _dead_pid()
    mine_dead = tmp_path / f".tmp-run-{dead}.{_HOST}-0a1b2c3d"
    mine_alive = tmp_path / f".tmp-run-{os.getpid()}.{_HOST}-0a1b2c3d"
    other_host = tmp_path / f".tmp-run-{dead}.ffffffff-0a1b2c3d"  # its pid means nothing here
    for folder in (mine_dead, mine_alive, other_host):
        folder.mkdir()
    assert Store(tmp_path).clean() == [mine_dead]
    assert mine_alive.exists() and other_host.exists()


def test_spooled_tables_of_a_run_live_in_the_stores_scratch_and_go_with_it(tmp_path: Path) -> None:
    import pandas as pd

    from gflab.tables import SpooledTable, spool_into

    store = Store(tmp_path)
    with store.scratch() as scratch, spool_into(scratch):
        table = SpooledTable()
        table.append(pd.DataFrame({"t": [0.0, 1.0]}))
        table.append(pd.DataFrame({"t": [2.0]}))
        assert list(scratch.glob("gflab-table-*/table.parquet"))  # spooled on the store's disk
        assert table.to_pandas()["t"].tolist() == [0.0, 1.0, 2.0]
    assert not scratch.exists() and list(tmp_path.iterdir()) == []
