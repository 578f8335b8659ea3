"""What every target provides, and lazy loading by name (kfp is imported only for kubeflow).

A lowering takes the plan and its own target's settings, nothing else: it never reads the
spec (import-linter holds `mlc.lower` away from `mlc.spec`, `mlc.source`, `mlc.api`,
`mlc.cli` and `mlc.run`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..diagnostics import Diagnostic
from ..plan import Plan
from ..plan.settings import Settings
from ..record import MutableRecord, Record


@dataclass(eq=False, repr=False)
class Lowered(MutableRecord):
    """A target's output: files (relative path -> documents or text) and any diagnostics."""

    files: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True, eq=False, repr=False)
class Options(Record):
    """Options of one `mlc compile` that are not target settings."""

    kind: str = "template"      # argo: template | workflow
    rbac: bool = False          # argo: also rbac.yaml (the service account's Role)


class Target(Protocol):
    name: str

    def lower(self, plan: Plan, settings: Settings, options: Options) -> Lowered: ...


def load_target(module: str) -> Target:
    """Import `mlc.lower.<module>` only when that target is asked for."""
    return importlib.import_module(f"{__package__}.{module}").TARGET
