"""The report: ``claims.json`` and a self-contained ``report.html`` (PNG figures inlined)."""

from __future__ import annotations

import base64
import html
import json
import shutil
from pathlib import Path
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
th{background:#f4f4f4}.pass{background:#d9f2d9}.fail{background:#f8d0d0}.error{background:#fde9c4}
figure{display:inline-block;margin:8px}figure img{max-width:560px}figcaption{font-size:12px;color:#555}
code{font-size:12px}
"""


def _number(value: Any) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def write_report(out: Path, results: list[dict[str, Any]], summaries: list[dict[str, Any]], *, quick: bool) -> Path:
    """Write ``claims.json``, ``figures/*.png`` and ``report.html`` into ``out``; return the HTML path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "claims.json").write_text(json.dumps(results, indent=2))
    figures_dir = out / "figures"
    figures_dir.mkdir(exist_ok=True)
    counts = {v: sum(r["verdict"] == v for r in results) for v in ("pass", "fail", "error")}
    rows = []
    for r in results:
        extra = f"<br><small>{html.escape(r['error'])}</small>" if r.get("error") else ""
        rows.append(
            f"<tr class='{r['verdict']}'><td><code>{html.escape(r['id'])}</code></td><td>{html.escape(r['statement'])}</td>"
            f"<td>{html.escape(r['paper'])}</td><td>{_number(r['predicted'])}</td><td>{_number(r['measured'])}</td>"
            f"<td>{html.escape(r['tolerance'])}</td><td><b>{r['verdict']}</b>{extra}</td></tr>"
        )
    sections = []
    for summary in summaries:
        if not summary.get("run_dir"):
            continue
        run_dir = Path(summary["run_dir"])
        images = []
        for png in sorted(run_dir.glob("*.png")):
            target = figures_dir / f"{run_dir.name}-{png.name}"
            shutil.copyfile(png, target)
            data = base64.b64encode(png.read_bytes()).decode()
            images.append(
                f"<figure><img src='data:image/png;base64,{data}' alt='{png.stem}'><figcaption>{html.escape(target.name)}</figcaption></figure>"
            )
        params = html.escape(json.dumps(summary["params"], sort_keys=True))
        sections.append(
            f"<h3>{html.escape(summary['experiment'])} <small>({html.escape(run_dir.name)})</small></h3><p><code>{params}</code></p>{''.join(images)}"
        )
    size = "quick" if quick else "full"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>gflab report</title><style>{_STYLE}</style></head><body>
<h1>gflab: claims reproduced ({size} size)</h1>
<p>{counts["pass"]} pass, {counts["fail"]} fail, {counts["error"]} error. A failing claim is a finding: the measurement disagrees with the paper.</p>
<table><tr><th>claim</th><th>statement</th><th>paper</th><th>predicted</th><th>measured</th><th>tolerance</th><th>verdict</th></tr>
{"".join(rows)}</table>
<h2>Figures</h2>{"".join(sections)}
</body></html>"""
    path = out / "report.html"
    path.write_text(page)
    return path
