"""The report: ``report.html`` (self-contained, figures inlined), ``claims.json``,
``provenance.json`` and ``figures/``; :func:`rebuild_report` rebuilds one from disk."""

from __future__ import annotations

from gflab.report.folder import rebuild_report, write_report

__all__ = ["rebuild_report", "write_report"]
