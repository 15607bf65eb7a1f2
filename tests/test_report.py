"""The report page: links from claims to figures and runs, the claim's own quantity, findings,
provenance, and rebuilding a report from a folder that has moved."""

from __future__ import annotations

import json
import shutil
import struct
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gflab.claims.claim import Claim, Quantity
from gflab.errors import BadInput
from gflab.report import rebuild_report, write_report
from gflab.report.provenance import git_commit


def _png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size (8-bit greyscale, no filter)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


GD = Claim(
    id="gd.step",
    experiment="gd",
    statement="GD converges iff eta < 2 / lambda_max",
    paper="paper A",
    measured="max_relative_error",
    relation="<=",
    threshold=0.01,
    predicted=0.0,
    figures=("steps",),
    measured_label="largest relative error of eta_c",
    quantity=Quantity("critical step eta_c", measured="eta.measured", predicted="eta.predicted", over="quadratic"),
)
SGD = Claim(
    id="sgd.bound",
    experiment="sgd",
    statement="every minimum has s <= sqrt(B) / eta",
    paper="paper B",
    measured="ratio",
    relation="<=",
    threshold=1.05,
    predicted=1.0,
    finding="the bound is sufficient, not necessary",
)


def _store(root: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two run folders as the store writes them (summary.json with a relative run_dir, PNGs) and
    the rows and summaries that ``lab.reproduce`` hands to ``write_report``."""
    metrics = {
        "gd": {"max_relative_error": 6e-5, "eta": {"measured": [0.20001, 0.10002], "predicted": [0.2, 0.1]}},
        "sgd": {"ratio": 1.14},
    }
    figures = {"gd": {"steps": (1650, 462), "loss": (550, 462)}, "sgd": {"diagram": (605, 495)}}
    rows, summaries = [], []
    for claim in (GD, SGD):
        run_dir = root / "runs" / f"{claim.experiment}-0123456789abcdef"
        run_dir.mkdir(parents=True)
        for name, size in figures[claim.experiment].items():
            (run_dir / f"{name}.png").write_bytes(_png(*size))
        row = claim.evaluate(metrics[claim.experiment])
        summary = {
            "experiment": claim.experiment,
            "params": {"seed": 0},
            "metrics": metrics[claim.experiment],
            "claims": [row],
            "run_dir": run_dir.name,
            "wall_s": 12.5,
            "finished": "2026-01-01T00:00:00+00:00",
        }
        (run_dir / "summary.json").write_text(json.dumps(summary))
        rows.append(row | {"run_dir": str(run_dir.resolve())})
        summaries.append(summary | {"run_dir": str(run_dir.resolve())})
    return rows, summaries


class _Page(HTMLParser):
    """The parts of report.html the tests read: element ids, the links of each claim row, the images."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: dict[str, str] = {}  # id -> tag
        self.rows: dict[str, list[dict[str, str]]] = {}  # claim row id -> its links' attributes
        self.images: list[dict[str, str]] = []
        self._open_rows: list[str | None] = []  # the table rows we are inside (claim id or None), innermost last
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids[a["id"]] = tag
        claim_row = next((r for r in reversed(self._open_rows) if r), None)
        if tag == "tr":
            is_claim = "claim" in a.get("class", "").split()
            self._open_rows.append(a["id"] if is_claim else None)
            if is_claim:
                self.rows[a["id"]] = []
        elif tag == "a" and claim_row is not None:
            self.rows[claim_row].append(a)
        elif tag == "img" and a.get("src"):
            self.images.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._open_rows:
            self._open_rows.pop()


def test_claim_rows_link_to_their_figures_and_runs(tmp_path: Path) -> None:
    rows, summaries = _store(tmp_path)
    html = write_report(tmp_path, rows, summaries, quick=True).read_text()
    page = _Page(html)
    gd, sgd = (page.rows[f"claim-{c.id}"] for c in (GD, SGD))
    figure_links = [a["href"] for a in gd if "figure-link" in a["class"]]
    assert figure_links == ["#fig-gd-0123456789abcdef-steps"]  # the claim names one of its run's two figures
    assert sorted(a["href"] for a in sgd if "figure-link" in a["class"]) == ["#fig-sgd-0123456789abcdef-diagram"]  # all
    for href in figure_links:
        assert page.ids[href[1:]] == "figure"
    folders = [a["href"] for a in gd if "folder-link" in a["class"]]
    assert folders == ["runs/gd-0123456789abcdef/"] and (tmp_path / folders[0]).is_dir()
    assert page.ids["run-gd-0123456789abcdef"] == "section"
    # every figure inlined at its own size (no fixed shrink) and copied beside the page
    sizes = {(img["width"], img["height"]) for img in page.images}
    assert sizes == {("1650", "462"), ("550", "462"), ("605", "495")}
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "gd-0123456789abcdef-loss.png",
        "gd-0123456789abcdef-steps.png",
        "sgd-0123456789abcdef-diagram.png",
    ]


def test_a_named_figure_the_run_lacks_is_marked_missing(tmp_path: Path) -> None:
    rows, summaries = _store(tmp_path)
    rows[0] = rows[0] | {"figures": ["nowhere"]}
    page = _Page(write_report(tmp_path, rows, summaries, quick=True).read_text())
    links = [a for a in page.rows["claim-gd.step"] if "figure-link" in a["class"]]
    assert [("missing" in a["class"], "href" in a) for a in links] == [(True, False)]


def test_quantity_finding_and_provenance_are_shown(tmp_path: Path) -> None:
    rows, summaries = _store(tmp_path)
    html = write_report(tmp_path, rows, summaries, quick=True).read_text()
    assert "critical step eta_c per quadratic" in html and "0.20001" in html and "largest relative error of eta_c" in html
    assert [r["verdict"] for r in rows] == ["pass", "fail"]
    assert html.count("class='finding'") == 1 and "sufficient, not necessary" in html
    facts = json.loads((tmp_path / "provenance.json").read_text())
    assert facts["size"] == "quick" and facts["python"] == ".".join(map(str, sys.version_info[:3]))
    assert facts["versions"]["jax"] and facts["cores"]["usable"] >= 1
    assert "12.5 s" in html  # wall time per run
    assert json.loads((tmp_path / "claims.json").read_text()) == rows


def test_rebuilt_report_of_a_moved_folder_finds_its_runs(tmp_path: Path) -> None:
    rows, summaries = _store(tmp_path / "a")
    write_report(tmp_path / "a", rows, summaries, quick=False)
    shutil.move(tmp_path / "a", tmp_path / "b")
    page = _Page(rebuild_report(tmp_path / "b").read_text())
    assert len(page.images) == 3 and set(page.rows) == {"claim-gd.step", "claim-sgd.bound"}
    moved = json.loads((tmp_path / "b" / "claims.json").read_text())
    assert [Path(r["run_dir"]) for r in moved] == [
        (tmp_path / "b" / "runs" / f"{e}-0123456789abcdef").resolve() for e in ("gd", "sgd")
    ]
    assert json.loads((tmp_path / "b" / "provenance.json").read_text())["size"] == "full"  # kept from the first writing


def test_report_rebuilt_from_a_run_folder_or_a_store(tmp_path: Path) -> None:
    _store(tmp_path)
    single = _Page(rebuild_report(tmp_path / "runs" / "sgd-0123456789abcdef").read_text())
    assert list(single.rows) == ["claim-sgd.bound"] and len(single.images) == 1
    store = _Page(rebuild_report(tmp_path / "runs", tmp_path / "out").read_text())
    assert set(store.rows) == {"claim-gd.step", "claim-sgd.bound"} and len(store.images) == 3
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match=r"no claims\.json"):
        rebuild_report(tmp_path / "empty")
    with pytest.raises(BadInput, match="not a folder"):
        rebuild_report(tmp_path / "nowhere")


def test_one_number_quantity_is_a_line_and_other_claims_of_the_run_are_listed(tmp_path: Path) -> None:
    rows, summaries = _store(tmp_path)
    rate = Claim("gd.rate", "gd", "s", "p", "e", "<=", 0.2, predicted=0.0, quantity=Quantity("rate ratio", measured="r"))
    rows[0] = rows[0] | {"quantity": rate.evaluate({"e": 0.01, "r": 0.99})["quantity"]}
    summaries[0]["claims"] = [*summaries[0]["claims"], rate.evaluate({"e": 0.5, "r": 0.5})]
    html = write_report(tmp_path, rows, summaries, quick=True).read_text()
    assert "rate ratio: measured 0.99</div>" in html
    assert "<code>gd.rate</code> <span class='label'>(when the run was made; not in this report)" in html


def test_crashed_run_is_an_error_row_without_figures(tmp_path: Path) -> None:
    row = GD.evaluate({}) | {"run_dir": None, "error": "MemoryError: too big"}
    summary = {"experiment": "gd", "params": {}, "metrics": {}, "claims": [], "run_dir": None, "error": "MemoryError: too big"}
    html = write_report(tmp_path, [row], [summary], quick=True).read_text()
    assert row["verdict"] == "error" and html.count("MemoryError: too big") == 2  # the row and the run's section
    assert _Page(html).rows["claim-gd.step"] == []


def test_commit_is_none_outside_a_git_checkout(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None


def test_rows_of_claims_without_the_new_fields_keep_their_keys() -> None:
    plain = Claim("x.y", "x", "s", "p", "a", "<=", 1.0, predicted=None)
    assert "quantity" not in plain.evaluate({"a": 0.5}) and "measured_label" not in plain.evaluate({"a": 0.5})


@given(st.dictionaries(st.sampled_from(["2", "4", "8", "16"]), st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=1))
def test_quantity_pairs_values_by_their_key(thresholds: dict[str, tuple[float, float]]) -> None:
    metrics = {"thresholds": {k: {"predicted": p, "flow": m, "note": "x"} for k, (p, m) in thresholds.items()}}
    quantity = Quantity("beta_c", measured="thresholds.*.flow", predicted="thresholds.*.predicted", over="k")
    assert {e["label"]: (e["predicted"], e["measured"]) for e in quantity.entries(metrics)} == thresholds


@given(st.lists(st.tuples(st.integers(1, 64), st.floats(0, 10), st.floats(0, 10)), min_size=1, max_size=8))
def test_quantity_runs_over_lists_of_records_with_labels(records: list[tuple[int, float, float]]) -> None:
    metrics = {"boundary": [{"B": b, "predicted": p, "measured": m} for b, p, m in records]}
    quantity = Quantity("eta_c", measured="boundary.measured", predicted="boundary.predicted", over="B", labels="boundary.B")
    assert [(e["label"], e["predicted"], e["measured"]) for e in quantity.entries(metrics)] == [
        (str(b), p, m) for b, p, m in records
    ]
    parallel = Quantity("eta_c", measured="m", predicted="p").entries(
        {"m": [m for *_, m in records], "p": [p for _, p, _ in records]}
    )
    assert [e["label"] for e in parallel] == [str(i + 1) for i in range(len(records))]
