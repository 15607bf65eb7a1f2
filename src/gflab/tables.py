"""Results tables too large for memory, built chunk by chunk on disk.

An experiment with millions of trajectories appends one chunk of rows at a time; each chunk
becomes a row group of a Parquet file in a private temporary folder (pyarrow's
``ParquetWriter``), so memory stays bounded by one chunk. Writing the run directory moves the
file into place; a table never written is removed with its folder when it is collected.
The folder is made inside :func:`spool_into`'s folder when one is set (the orchestration sets
the store's scratch folder, so the table is on the store's disk, not in a RAM-backed /tmp, and
a killed run's spool is cleaned with the store's other leftovers), else in the system's.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

_SPOOL_FOLDER: ContextVar[Path | None] = ContextVar("gflab_spool_folder", default=None)


@contextmanager
def spool_into(folder: Path) -> Iterator[None]:
    """Spool the tables made inside this block under ``folder``."""
    token = _SPOOL_FOLDER.set(folder)
    try:
        yield
    finally:
        _SPOOL_FOLDER.reset(token)


class SpooledTable:
    """A tidy table spooled to a Parquet file, one row group per appended chunk."""

    def __init__(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="gflab-table-", dir=_SPOOL_FOLDER.get()))
        self._path = folder / "table.parquet"
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0
        self._cleanup = weakref.finalize(self, shutil.rmtree, folder, True)

    def append(self, frame: pd.DataFrame) -> None:
        """Add the rows of ``frame`` (same columns and types as the first chunk)."""
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._path, table.schema)
        self._writer.write_table(table)
        self.rows += len(frame)

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def write(self, path: Path) -> None:
        """Move the finished table to ``path`` (the table cannot be appended to afterwards)."""
        self._close()
        if not self._path.exists():
            raise ValueError("an empty SpooledTable has no columns to write")
        shutil.move(self._path, path)

    def to_pandas(self) -> pd.DataFrame:
        """The whole table in memory (for tests and small runs)."""
        self._close()
        return pq.read_table(self._path).to_pandas()


__all__ = ["SpooledTable", "spool_into"]
