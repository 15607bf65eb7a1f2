"""The report page's style sheet and its one script (a lightbox: a click on a figure shows it
at full size; without JavaScript the figure's link opens the PNG in figures/)."""

from __future__ import annotations

STYLE = """
:root{--pass:#d9f2d9;--fail:#f8d0d0;--error:#fde9c4;--line:#ccc;--muted:#555}
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1900px;padding:0 1.5em;color:#222;line-height:1.4}
h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:2px solid #eee}
table{border-collapse:collapse;font-size:14px}th,td{border:1px solid var(--line);padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f4f4f4}td.num{font-variant-numeric:tabular-nums;min-width:10em;max-width:16em}
table.claims{width:100%}
tr.pass>td.verdict,.badge.pass{background:var(--pass)}tr.fail>td.verdict,.badge.fail{background:var(--fail)}
tr.error>td.verdict,.badge.error{background:var(--error)}
.badge{display:inline-block;padding:0 .5em;border-radius:3px;font-weight:bold;font-size:13px}
.label,.paper,.caption-claims{font-size:12px;color:var(--muted)}
.finding{margin-top:.4em;padding:.3em .6em;border-left:4px solid #d62728;background:#fff6f6;font-size:13px}
.run-error{margin-top:.4em;padding:.3em .6em;border-left:4px solid #e6a100;background:#fffaf0;font-size:13px}
table.quantity{margin-top:.4em;font-size:13px}table.quantity caption{text-align:left;white-space:nowrap}table.quantity th,table.quantity td{padding:2px 6px}
td.links a{display:inline-block;margin-right:.6em}a.missing{color:#d62728}
dl.provenance{display:grid;grid-template-columns:max-content 1fr;gap:2px 1em;font-size:14px}dl.provenance dt{font-weight:bold}
section.run{margin-top:2em;border-top:1px solid #ddd;padding-top:.5em}
.run-body{display:grid;grid-template-columns:minmax(240px,22rem) minmax(0,1fr);gap:0 1.5em;align-items:start}
.run-body>.run-claims{grid-column:1}.run-body>figure{grid-column:2}.run-body>figure.wide{grid-column:1/-1}
@media (max-width:1100px){.run-body{grid-template-columns:1fr}.run-body>figure{grid-column:1}}
.run-claims{font-size:14px;margin-bottom:1em}.run-claims ul{list-style:none;padding:0;margin:0}
.run-claims li{margin:.3em 0;padding:.3em;border:1px solid #eee;border-radius:4px}
figure{margin:0 0 1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #eee;cursor:zoom-in}
figcaption{font-size:13px;color:var(--muted)}
code{font-size:12px}details{margin:.4em 0}
#lightbox{position:fixed;inset:0;background:rgba(0,0,0,.85);overflow:auto;z-index:10;cursor:zoom-out;padding:1em}
#lightbox img{display:block;margin:auto;max-width:none;background:#fff}
"""

SCRIPT = """
(() => {
  const box = document.getElementById('lightbox');
  const shown = box.querySelector('img');
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a.zoom');
    if (link) {
      event.preventDefault();
      shown.src = link.querySelector('img').src;
      shown.alt = link.querySelector('img').alt;
      box.hidden = false;
    } else if (!box.hidden && event.target.closest('#lightbox')) {
      box.hidden = true;
    }
  });
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape') box.hidden = true; });
})();
"""
