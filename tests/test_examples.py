"""Every example runs (smoke test of its main())."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[1] / "examples"


@pytest.mark.slow
def test_sin_curve_example(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("sin_curve", EXAMPLES / "sin_curve.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fractions = module.main(n_targets=300, out=str(tmp_path / "fig.png"))
    assert (tmp_path / "fig.png").stat().st_size > 10_000
    assert fractions["learned"]["high"] < 0.05
