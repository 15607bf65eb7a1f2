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
