"""What the ``gflab`` command prints: run summaries, claim tables, the quick budget (rich)."""

from __future__ import annotations

import json
import sys
from typing import Any


def echo_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")


def print_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{summary['experiment']}[/bold] -> {summary['run_dir']}")
    fractions = summary["metrics"].get("fractions")
    if fractions:
        from gflab.results import Verdict

        meaning = {v.label: v.message for v in Verdict}
        table = Table("verdict", "count", "fraction", "95% interval", "meaning")
        for name, f in fractions.items():
            table.add_row(
                name, str(f["count"]), f"{f['fraction']:.4f}", f"[{f['low']:.4f}, {f['high']:.4f}]", meaning.get(name, "")
            )
        console.print(table)
    print_claims(console, summary["claims"])


def print_claims(console: Any, claims: list[dict[str, Any]]) -> None:
    from rich.table import Table

    if not claims:
        return
    table = Table("claim", "predicted", "measured", "tolerance", "verdict")
    colour = {"pass": "green", "fail": "red", "error": "yellow"}
    for c in claims:
        fmt = lambda v: "-" if v is None else f"{v:.4g}"  # noqa: E731
        table.add_row(
            c["id"], fmt(c["predicted"]), fmt(c["measured"]), c["tolerance"], f"[{colour[c['verdict']]}]{c['verdict']}[/]"
        )
    console.print(table)


def print_quick_budget(results: list[dict[str, Any]]) -> None:
    """On stderr: the quick runs' compute against the budget, naming the longest runs when over."""
    from gflab.console import stderr_console
    from gflab.lab import QUICK_BUDGET_S, quick_budget

    total, runs = quick_budget(results)
    line = f"quick runs: {len(runs)} runs, {total:.0f} s of compute (budget {QUICK_BUDGET_S:.0f} s)"
    if total <= QUICK_BUDGET_S:
        stderr_console().print(f"[dim]{line}[/dim]", highlight=False)
        return
    longest = ", ".join(f"{name} {wall:.0f} s" for name, wall in runs[:5])
    stderr_console().print(f"[yellow]{line}: over budget; longest: {longest}[/yellow]", highlight=False)
