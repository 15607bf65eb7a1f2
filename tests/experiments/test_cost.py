"""Run costs: the memory budget refuses what the machine cannot hold and caps parallel runs."""

from __future__ import annotations

import pytest

from gflab.errors import BadInput
from gflab.experiments.cost import cost, jobs_within_memory


def test_a_run_beyond_the_budget_is_refused_naming_its_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GFLAB_MEMORY_GIB", "4")
    cost(3.0, 10.0, "paths").check()  # 3.2 GiB fits
    with pytest.raises(BadInput, match=r"4\.0 GiB") as info:
        cost(5.0, 10.0, "paths", "steps").check()
    assert info.value.field == "paths" and "paths, steps" in str(info.value)


@pytest.mark.parametrize(
    ("budget", "gib", "jobs", "expected"), [(10, 1.8, 8, 5), (10, 4.8, 8, 2), (10, 9.8, 2, 1), (100, 0.8, 2, 2)]
)
def test_parallel_runs_are_capped_so_the_largest_together_fit(
    monkeypatch: pytest.MonkeyPatch, budget: float, gib: float, jobs: int, expected: int
) -> None:
    monkeypatch.setenv("GFLAB_MEMORY_GIB", str(budget))
    costs = [cost(gib, 1.0, "n"), None, cost(0.0, 1.0, "n")]  # the cost adds 0.2 GiB of start-up
    assert jobs_within_memory(costs, jobs) == expected
    assert jobs_within_memory([None, None], jobs) == jobs  # no estimates: no cap
