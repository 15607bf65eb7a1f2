"""The family registry: names agree with their classes, specs are documented and JAX-free."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from gflab.experiments import FAMILIES, REGISTRY, get_experiment, spec_class


def _family_name(family: object) -> str:
    return str(getattr(family, "__name__", "")).rsplit(".", 1)[-1]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_registry_key_is_the_experiment_name(name: str) -> None:
    experiment = get_experiment(name)
    assert experiment.name == name
    assert experiment.spec_class.__module__ == f"{REGISTRY[name].module.rsplit('.', 1)[0]}.specs"
    assert spec_class(name) is experiment.spec_class  # the registry names it: validation needs no JAX


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_spec_field_is_described(name: str) -> None:
    spec_class = get_experiment(name).spec_class
    missing = [field for field, info in spec_class.model_fields.items() if not (info.description or "").strip()]
    assert missing == [], f"{name}: fields without a description: {missing}"


def test_registry_and_specs_import_without_jax() -> None:
    """``gflab list`` and the parameter contract never pay for JAX (every spec validated)."""
    modules = ["gflab.experiments"] + [f"gflab.experiments.{_family_name(f)}.specs" for f in FAMILIES]
    code = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        "from gflab.experiments import REGISTRY, spec_class\nfor name in REGISTRY: spec_class(name)\n"
        "print('jax' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_every_family_registers_its_own_experiments_and_claims() -> None:
    for family in FAMILIES:
        package = _family_name(family)
        for name, entry in family.EXPERIMENTS.items():
            assert entry.module.startswith(f"gflab.experiments.{package}."), (name, entry.module)
        assert {c.experiment for c in family.CLAIMS} <= set(family.EXPERIMENTS), package
        assert importlib.import_module(f"gflab.experiments.{package}.claims").CLAIMS == family.CLAIMS
