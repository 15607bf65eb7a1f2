"""report.html in a real browser (headless Chromium): every image decodes, every claim row links
to a figure that decodes, a click opens the figure at full size, figures are not shrunk below a
readable width; a screenshot is saved beside the report. ``.ci/run`` installs Debian's
``chromium`` when it is absent; without it this test is skipped, saying so."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gflab.claims.claim import Claim, Quantity
from gflab.plots import figure, save_figure
from gflab.report import write_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
WINDOW = (1600, 1200)  # CSS pixels of the headless window

# Appended to a copy of the page: once loaded (every image fetched), open the first figure in the
# lightbox, then write what the page shows into <pre id="gflab-check"> for --dump-dom to return.
CHECK = """<script>
window.addEventListener('load', () => {
  const figures = [...document.querySelectorAll('figure img')];
  const decoded = (img) => Boolean(img && img.complete && img.naturalWidth > 0);
  const rows = [...document.querySelectorAll('tr.claim')].map((tr) => ({
    id: tr.id,
    links: [...tr.querySelectorAll('a.figure-link')].map((a) => {
      const href = a.getAttribute('href') || '';
      const target = href.startsWith('#') ? document.getElementById(href.slice(1)) : null;
      return {href, decoded: decoded(target && target.querySelector('img'))};
    }),
  }));
  const images = figures.map((img) => ({
    alt: img.alt, decoded: decoded(img), natural: img.naturalWidth, shown: img.getBoundingClientRect().width,
    section: img.closest('.run-body').clientWidth,
  }));
  document.querySelector('figure a.zoom').click();
  const box = document.getElementById('lightbox');
  const lightbox = {open: !box.hidden, same: box.querySelector('img').src === figures[0].src};
  const out = document.createElement('pre');
  out.id = 'gflab-check';
  out.textContent = JSON.stringify({rows, images, lightbox});
  document.body.appendChild(out);
});
</script>"""


def _browser() -> str:
    for name in (os.environ.get("GFLAB_CHROMIUM", ""), *BROWSERS):
        if name and (path := shutil.which(name)):
            return path
    pytest.skip(
        "no headless browser: install Debian's chromium (`apt-get install chromium`, as .ci/run does) or set GFLAB_CHROMIUM"
    )


def _chromium(browser: str, profile: Path, *args: str) -> str:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={profile}"]
    command += [f"--window-size={WINDOW[0]},{WINDOW[1]}", "--allow-file-access-from-files", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _report(folder: Path) -> Path:
    """A report of two fabricated runs with real matplotlib figures (one three-panel, as wide as
    the widest experiments draw), one passing and one failing claim."""
    claims = (
        Claim(
            id="wide.step",
            experiment="wide",
            statement="a claim with its own quantity",
            paper="p",
            measured="error",
            relation="<=",
            threshold=0.01,
            predicted=0.0,
            figures=("panels",),
            measured_label="largest relative error",
            quantity=Quantity("critical step", measured="eta.measured", predicted="eta.predicted", over="quadratic"),
        ),
        Claim(id="narrow.bound", experiment="narrow", statement="a failing claim", paper="p", measured="ratio",
              relation="<=", threshold=1.0, predicted=1.0, finding="why it fails"),
    )  # fmt: skip
    metrics: dict[str, dict[str, Any]] = {
        "wide": {"error": 1e-4, "eta": {"measured": [0.2001, 0.1001], "predicted": [0.2, 0.1]}},
        "narrow": {"ratio": 1.1},
    }
    rows, summaries = [], []
    for claim, ncols in zip(claims, (3, 1), strict=True):
        run_dir = folder / "runs" / f"{claim.experiment}-0000000000000000"
        run_dir.mkdir(parents=True)
        for name in ("panels", "extra") if ncols > 1 else ("diagram",):
            fig, _ = figure(ncols)
            for ax in fig.axes:
                ax.plot([1, 2, 3], [3, 1, 2], "o-")
                ax.set(xlabel="step size eta", ylabel="loss ratio", title=name)
            save_figure(fig, run_dir / f"{name}.png")
        row = claim.evaluate(metrics[claim.experiment])
        summary = {"experiment": claim.experiment, "params": {}, "metrics": metrics[claim.experiment], "claims": [row],
                   "run_dir": str(run_dir), "wall_s": 1.0, "finished": "2026-01-01T00:00:00+00:00"}  # fmt: skip
        (run_dir / "summary.json").write_text(json.dumps(summary | {"run_dir": run_dir.name}))
        rows.append(row | {"run_dir": str(run_dir)})
        summaries.append(summary)
    return write_report(folder, rows, summaries, quick=True)


@pytest.mark.slow
def test_report_in_headless_chromium(tmp_path: Path) -> None:
    browser = _browser()
    page = _report(tmp_path / "report")
    probe = page.with_name("check.html")  # beside the page: the same relative links
    probe.write_text(page.read_text().replace("</body>", CHECK + "</body>"))
    dom = _chromium(browser, tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="gflab-check">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    check = json.loads(html.unescape(found.group(1)))

    assert len(check["images"]) == 3 and all(img["decoded"] for img in check["images"]), check["images"]
    assert [r["id"] for r in check["rows"]] == ["claim-wide.step", "claim-narrow.bound"]
    for row in check["rows"]:  # every claim row links to at least one figure, and each one decodes
        assert row["links"] and all(link["decoded"] for link in row["links"]), row
    # no shrinking of figures to a thumbnail: a one-panel figure is shown at its own size, a
    # three-panel one (1650 px) across its section's full width (~1550 px in a 1600 px window)
    for img in check["images"]:
        assert img["shown"] >= min(img["natural"], img["section"]) - 1 and img["section"] >= 0.9 * WINDOW[0], img
    assert check["lightbox"] == {"open": True, "same": True}  # a click shows the figure itself, at full size

    shot = tmp_path / "report.png"
    _chromium(browser, tmp_path / "profile", f"--screenshot={shot}", page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
