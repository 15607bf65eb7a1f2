"""The HTML of ``report.html``: provenance, the claims table, one section per run.

Each claim row links to its figures (``Claim.figures``; none named: all of its run's figures)
and to its run's section and folder; each run's section lists the claims it measured beside
its figures. Figures are inlined (the page is one self-contained file), shown at their natural
size (multi-panel ones across the section's full width, so that their axis labels stay
readable) and open full size on click.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gflab.report.assets import SCRIPT, STYLE

# figures wider than this (multi-panel ones) span the run's whole width, below its claims;
# narrower ones sit beside the claims at their own size
WIDE_PX = 1000


@dataclass(frozen=True)
class Figure:
    """One PNG of a run, as the page shows it."""

    run: str  # the run folder's name
    name: str  # the figure's name (the PNG's stem)
    file: str  # its copy, relative to the report folder
    png: bytes

    @property
    def anchor(self) -> str:
        return f"fig-{self.run}-{self.name}"

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels, read from the PNG header."""
        return int.from_bytes(self.png[16:20], "big"), int.from_bytes(self.png[20:24], "big")


@dataclass(frozen=True)
class Run:
    """One run's summary with where its files are."""

    summary: dict[str, Any]
    name: str | None  # the run folder's name (None: the run crashed before writing one)
    href: str | None  # link to the run folder, relative to the report when inside it
    figures: tuple[Figure, ...]


def render(results: list[dict[str, Any]], runs: list[Run], provenance: dict[str, Any]) -> str:
    """The whole page."""
    by_run = {run.name: run for run in runs if run.name}
    counts = {v: sum(r["verdict"] == v for r in results) for v in ("pass", "fail", "error")}
    rows = "".join(_claim_row(r, by_run.get(_run_name(r) or "")) for r in results)
    sections = "".join(_run_section(run, [r for r in results if run.name and _run_name(r) == run.name]) for run in runs)
    title = f"gflab: claims reproduced ({provenance['size']} size)"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{STYLE}</style>
<script type="application/json" id="provenance">{_json_in_script(provenance)}</script></head><body>
<h1>{html.escape(title)}</h1>
<p>{counts["pass"]} pass, {counts["fail"]} fail, {counts["error"]} error. A failing claim is a finding: the measurement
disagrees with the paper; its row says what we think the disagreement means.</p>
{_provenance(provenance, runs)}
<h2>Claims</h2>
<table class="claims"><thead><tr><th>verdict</th><th>claim</th><th>statement</th><th>predicted</th><th>measured</th>
<th>tolerance</th><th>figures and run</th></tr></thead><tbody>{rows}</tbody></table>
<h2>Runs and figures</h2>{sections}
<div id="lightbox" hidden><img alt=""></div>
<script>{SCRIPT}</script>
</body></html>
"""


def _provenance(facts: dict[str, Any], runs: list[Run]) -> str:
    versions = ", ".join(f"{name} {version}" for name, version in facts["versions"].items() if version)
    cores = facts["cores"]
    items = {
        "size": f"{facts['size']} (the claims' {facts['size']} parameters)" if facts["size"] != "not recorded" else facts["size"],
        "date": facts["date"],
        "gflab commit": facts["commit"] or "not a git checkout",
        "Python": facts["python"],
        "packages": versions,
        "machine": f"{facts['cpu']}, {cores['usable']} usable of {cores['total']} cores; {facts['platform']}",
    }
    if "rebuilt" in facts:
        items["rebuilt"] = facts["rebuilt"]
    facts_html = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in items.items())
    rows = "".join(
        f"<tr><td>{html.escape(run.summary.get('experiment', '?'))}</td><td>{_run_link(run)}</td>"
        f"<td class='num'>{_seconds(run.summary.get('wall_s'))}</td><td>{_number(run.summary.get('finished'))}</td></tr>"
        for run in runs
    )
    total = sum(float(run.summary.get("wall_s") or 0.0) for run in runs)
    return (
        f"<dl class='provenance'>{facts_html}</dl><details open><summary>wall time per run "
        f"(total {_seconds(total)}; a run found in the store shows the time it took when it was computed)</summary>"
        f"<table><thead><tr><th>experiment</th><th>run</th><th>wall time</th><th>finished</th></tr></thead><tbody>{rows}</tbody></table></details>"
    )


def _claim_row(row: dict[str, Any], run: Run | None) -> str:
    verdict = html.escape(row["verdict"])
    notes = ""
    if row.get("finding"):
        notes += f"<div class='finding'><b>Finding.</b> {html.escape(row['finding'])}</div>"
    if row.get("error"):
        notes += f"<div class='run-error'><b>Run failed.</b> {html.escape(row['error'])}</div>"
    if row.get("quantity"):
        notes += _quantity(row["quantity"])
    label = f"<div class='label'>{html.escape(row['measured_label'])}</div>" if row.get("measured_label") else ""
    return (
        f"<tr class='claim {verdict}' id='{_attr('claim-' + row['id'])}'><td class='verdict'><b>{verdict}</b></td>"
        f"<td><code>{html.escape(row['id'])}</code><div class='paper'>{html.escape(row['paper'])}</div></td>"
        f"<td>{html.escape(row['statement'])}{notes}</td><td class='num'>{_number(row['predicted'])}</td>"
        f"<td class='num'>{_number(row['measured'])}{label}</td><td>{html.escape(row['tolerance'])}</td>"
        f"<td class='links'>{_claim_links(row, run)}</td></tr>"
    )


def _claim_links(row: dict[str, Any], run: Run | None) -> str:
    if run is None:
        return "no run"
    shown = {f.name: f for f in run.figures}
    links = [
        f"<a class='figure-link' href='#{_attr(shown[name].anchor)}'>{html.escape(name)}</a>"
        if name in shown
        else f"<a class='figure-link missing' title='the run has no figure of this name'>{html.escape(name)} (missing)</a>"
        for name in _claim_figures(row, run)
    ]
    links.append(f"<a class='run-link' href='#{_attr('run-' + (run.name or ''))}'>run section</a>")
    if run.href:
        links.append(f"<a class='folder-link' href='{_attr(run.href)}'>run folder</a>")
    return "".join(links)


def _claim_figures(row: dict[str, Any], run: Run) -> list[str]:
    """The names of a claim's figures: those it names, or all of its run's."""
    return list(row.get("figures") or [f.name for f in run.figures])


def _quantity(quantity: dict[str, Any]) -> str:
    entries = quantity.get("entries") or []
    if not entries:
        return ""
    if len(entries) == 1 and not entries[0]["label"]:  # one number: a line, not a table
        (entry,) = entries
        predicted = f"predicted {_number(entry['predicted'], digits=6)}, " if entry.get("predicted") is not None else ""
        return f"<div class='label'>{html.escape(quantity['name'])}: {predicted}measured {_number(entry['measured'], digits=6)}</div>"
    over = html.escape(quantity.get("over") or "")
    head = "".join(f"<th>{html.escape(e['label'])}</th>" for e in entries)
    lines = [("measured", "measured")]
    if any(e.get("predicted") is not None for e in entries):
        lines.insert(0, ("predicted", "predicted"))
    body = "".join(
        f"<tr><th>{title}</th>" + "".join(f"<td class='num'>{_number(e.get(key), digits=6)}</td>" for e in entries) + "</tr>"
        for title, key in lines
    )
    return (
        f"<table class='quantity'><caption class='label'>{html.escape(quantity['name'])}"
        f"{' per ' + over if over else ''}</caption><tr><th>{over}</th>{head}</tr>{body}</table>"
    )


def _run_section(run: Run, claims: list[dict[str, Any]]) -> str:
    experiment = html.escape(run.summary.get("experiment", "?"))
    if run.name is None:
        error = html.escape(str(run.summary.get("error", "no run folder")))
        return f"<section class='run'><h3>{experiment}</h3><div class='run-error'><b>Run failed.</b> {error}</div></section>"
    items = "".join(
        f"<li><span class='badge {html.escape(r['verdict'])}'>{html.escape(r['verdict'])}</span> "
        f"<a href='#{_attr('claim-' + r['id'])}'><code>{html.escape(r['id'])}</code></a><br>"
        f"<span class='label'>{_measured_in_words(r)}; {html.escape(r['tolerance'])}</span></li>"
        for r in claims
    )
    reported = {r["id"] for r in claims}
    items += "".join(  # what the run evaluated when it ran, beyond this report's claims
        f"<li><span class='badge {html.escape(str(c.get('verdict')))}'>{html.escape(str(c.get('verdict')))}</span> "
        f"<code>{html.escape(str(c.get('id')))}</code> <span class='label'>(when the run was made; not in this report)</span></li>"
        for c in run.summary.get("claims", [])
        if isinstance(c, dict) and c.get("id") not in reported
    )
    figures = "".join(_figure(f, [r["id"] for r in claims if f.name in _claim_figures(r, run)]) for f in run.figures)
    if not run.figures:
        figures = "<p>This run has no figure.</p>"
    params = html.escape(json.dumps(run.summary.get("params", {}), sort_keys=True))
    facts = [_run_link(run)]
    if run.summary.get("wall_s") is not None:
        facts.append(f"computed in {_seconds(run.summary['wall_s'])}")
    if run.summary.get("finished"):
        facts.append(f"finished {html.escape(str(run.summary['finished']))}")
    return (
        f"<section class='run' id='{_attr('run-' + run.name)}'><h3>{experiment} <small>{' &middot; '.join(facts)}</small></h3>"
        f"<details><summary>parameters</summary><code>{params}</code></details>"
        f"<div class='run-body'><aside class='run-claims'><b>Claims measured by this run</b>"
        f"<ul>{items or '<li>none of the reported claims</li>'}</ul></aside>{figures}</div></section>"
    )


def _measured_in_words(row: dict[str, Any]) -> str:
    if row.get("measured_label"):
        return f"{html.escape(row['measured_label'])}: {_number(row['measured'])}"
    return f"predicted {_number(row['predicted'])}, measured {_number(row['measured'])}"


def _figure(figure: Figure, claim_ids: Iterable[str]) -> str:
    width, height = figure.size
    data = base64.b64encode(figure.png).decode()
    wide = " class='wide'" if width > WIDE_PX else ""
    shows = ", ".join(claim_ids)
    caption = f"{html.escape(figure.name)} &middot; {width} x {height} px &middot; click to enlarge"
    if shows:
        caption += f"<div class='caption-claims'>shows {html.escape(shows)}</div>"
    return (
        f"<figure id='{_attr(figure.anchor)}'{wide}><a class='zoom' href='{_attr(figure.file)}'>"
        f"<img src='data:image/png;base64,{data}' width='{width}' height='{height}' alt='{_attr(figure.name)}'></a>"
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _run_link(run: Run) -> str:
    name = html.escape(run.name or "no folder")
    return f"<a href='{_attr(run.href)}'>{name}</a>" if run.href else name


def _run_name(row: dict[str, Any]) -> str | None:
    return Path(row["run_dir"]).name if row.get("run_dir") else None


def _number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return html.escape(str(value))


def _seconds(value: Any) -> str:
    if value is None:
        return "&ndash;"
    seconds = float(value)
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _json_in_script(value: Any) -> str:
    """JSON that cannot close its <script> element."""
    return json.dumps(value, sort_keys=True).replace("<", "\\u003c")
