"""Claims: evaluation, applicability, and the README table kept current."""

from __future__ import annotations

from pathlib import Path

import pytest

from gflab.claims import Claim
from gflab.errors import BadInput
from gflab.experiments import CLAIMS, claims_markdown, get_claims

CLAIM = Claim(
    id="x.y",
    experiment="x",
    statement="s",
    paper="p",
    measured="a.b",
    relation="<=",
    threshold=0.01,
    predicted=0.0,
    quick={"m": 1, "n": 10},
    full={"m": 1, "n": 100},
)


@pytest.mark.parametrize(
    ("metrics", "verdict"),
    [({"a": {"b": 0.005}}, "pass"), ({"a": {"b": 0.02}}, "fail"), ({"a": {}}, "error"), ({"a": {"b": None}}, "error")],
)
def test_evaluate(metrics: dict, verdict: str) -> None:
    row = CLAIM.evaluate(metrics)
    assert row["verdict"] == verdict
    assert set(row) == {"id", "statement", "paper", "predicted", "measured", "tolerance", "verdict", "figures", "finding"}


def test_within_and_covers_relations() -> None:
    within = Claim("x.w", "x", "s", "p", "a.value", "within", 0.1, predicted=0.5)
    assert within.evaluate({"a": {"value": 0.58}})["verdict"] == "pass"
    assert within.evaluate({"a": {"value": 0.38}})["verdict"] == "fail"
    assert within.tolerance == "|measured - predicted| <= 0.1"
    covers = Claim("x.c", "x", "s", "p", "a.fraction", "covers", 0.0, predicted=0.5)
    assert covers.evaluate({"a": {"fraction": 0.55, "low": 0.45, "high": 0.6}})["verdict"] == "pass"
    assert covers.evaluate({"a": {"fraction": 0.65, "low": 0.55, "high": 0.7}})["verdict"] == "fail"
    assert covers.evaluate({"a": {"fraction": 0.65}})["verdict"] == "fail"


def test_applies_only_to_matching_runs() -> None:
    assert CLAIM.applies_to("x", {"m": 1, "n": 5})
    assert not CLAIM.applies_to("x", {"m": 2, "n": 10})
    assert not CLAIM.applies_to("z", {"m": 1})


def test_ids_are_unique_and_prefixed_by_their_experiment() -> None:
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    assert all(c.id.startswith(c.experiment + ".") for c in CLAIMS)
    with pytest.raises(BadInput):
        get_claims(["nope"])


def test_claim_parameters_validate() -> None:
    from gflab.experiments import get_experiment

    for claim in CLAIMS:
        for quick in (True, False):
            get_experiment(claim.experiment).validate(claim.params(quick))


def test_readme_claims_table_is_current() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert claims_markdown() in readme, "regenerate the table with `gflab list --markdown`"
