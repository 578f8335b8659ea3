"""What every target provides, and lazy loading by name (kfp is imported only for kubeflow)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..diagnostics import Diagnostic
from ..plan import Plan
from ..spec.config import Config


@dataclass
class Lowered:
    """A target's output: files (relative path -> documents or text) and any diagnostics."""

    files: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    kind: str = "template"      # argo: template | workflow


class Target(Protocol):
    name: str

    def lower(self, plan: Plan, cfg: Config, options: Options) -> Lowered: ...


def load_target(name: str) -> Target:
    """Import `mlc.lower.<name>` only when that target is asked for."""
    module = importlib.import_module(f"{__package__}.{name}")
    return module.TARGET
