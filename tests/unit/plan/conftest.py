"""Plans of small inline specs (no lowering involved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlc.api import validate
from mlc.plan import Plan
from mlc.plan.build import build_plan, build_settings

HEADER = "apiVersion: mlc/v1\nproject: {name: p, version: 1.0.0}\n"


def plan_of(tmp_path: Path, body: str, target: str = "argo") -> Plan:
    """The plan of `HEADER + body` for `target`; the spec must be valid."""
    path = tmp_path / "mlc.yaml"
    path.write_text(HEADER + body, encoding="utf-8")
    result = validate(str(path), targets=[target], phase7="selected")
    assert result.ok, [str(d) for d in result.errors]
    return build_plan(result.configs[None], result.graphs[None], target)


def settings_of(tmp_path: Path, body: str, target: str = "argo"):
    path = tmp_path / "mlc.yaml"
    path.write_text(HEADER + body, encoding="utf-8")
    result = validate(str(path), targets=[target], phase7="selected")
    assert result.ok, [str(d) for d in result.errors]
    return build_settings(result.configs[None], target)


@pytest.fixture
def plan(tmp_path):
    return lambda body, target="argo": plan_of(tmp_path, body, target)


@pytest.fixture
def settings(tmp_path):
    return lambda body, target="argo": settings_of(tmp_path, body, target)
