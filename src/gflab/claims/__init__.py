"""Claims: one theoretical statement, one measurement, one tolerance, one verdict.

Claims are data (no JAX here), so ``gflab list`` is instant. Each names the experiment and
the parameters that measure it at two sizes: ``quick`` (CI, minutes) and ``full``. The
registry is one module per paper family; this module gathers them and runs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gflab.claims import learnability, multi_index, networks, stability
from gflab.claims.claim import Claim
from gflab.errors import BadInput

CLAIMS: tuple[Claim, ...] = learnability.CLAIMS + multi_index.CLAIMS + stability.CLAIMS + networks.CLAIMS


def get_claims(ids: Iterable[str] | None = None) -> list[Claim]:
    """Claims by id (all when ``ids`` is empty or None)."""
    ids = list(ids or [])
    known = {c.id: c for c in CLAIMS}
    for claim_id in ids:
        if claim_id not in known:
            raise BadInput("claim", f"unknown claim {claim_id!r}; accepted: {', '.join(known)}")
    return [known[i] for i in ids] if ids else list(CLAIMS)


def claims_markdown() -> str:
    """The README's claims table, generated from the registry."""
    lines = ["| claim | statement | paper | predicted | tolerance |", "|---|---|---|---|---|"]
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731  (a pipe would end the cell)
    for c in CLAIMS:
        predicted = "" if c.predicted is None else f"{c.predicted:g}"
        lines.append(f"| `{c.id}` | {cell(c.statement)} | {cell(c.paper)} | {predicted} | {cell(c.tolerance)} |")
    return "\n".join(lines)


def reproduce(
    ids: Iterable[str] | None = None,
    *,
    quick: bool = False,
    out: str = "gflab-report",
    force: bool = False,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Run claims (sharing runs with equal parameters), write claims.json and report.html."""
    import json
    from pathlib import Path

    from gflab.report import write_report
    from gflab.store import Store

    claims = get_claims(ids)
    store = Store(Path(out) / "runs")
    results, summaries = [], {}
    for claim in claims:
        params = claim.params(quick)
        key = json.dumps([claim.experiment, params], sort_keys=True)
        if key not in summaries:
            try:
                summaries[key] = store.run(claim.experiment, params, force=force, progress=progress)
            except BadInput:
                raise
            except Exception as exc:  # a crashed run is an `error` verdict, not a lost report
                summaries[key] = {
                    "experiment": claim.experiment,
                    "params": params,
                    "metrics": {},
                    "claims": [],
                    "run_dir": None,
                    "error": f"{type(exc).__name__}: {exc}",
                }
        summary = summaries[key]
        row = claim.evaluate(summary["metrics"]) | {"run_dir": summary["run_dir"]}
        if "error" in summary:
            row["error"] = summary["error"]
        results.append(row)
    write_report(Path(out), results, list(summaries.values()), quick=quick)
    return results


__all__ = ["CLAIMS", "Claim", "claims_markdown", "get_claims", "reproduce"]
