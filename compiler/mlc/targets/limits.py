"""Target limits (SPEC 10), overridable in `targets.<t>.limits`."""

from __future__ import annotations

from ..spec.models import Document
from ..spec.registry import REGISTRY

DEFAULTS: dict[str, dict[str, int]] = {name: dict(t.limits) for name, t in REGISTRY.items()}

# Name-length limits (E404).
K8S_NAME = 63
CRON_WORKFLOW_NAME = 52
GENERATE_NAME_SUFFIX = 5          # Kubernetes appends 5 random characters to generateName
SFN_NAME = 80
SFN_SCHEDULE_NAME = 64


def limit(doc: Document, target: str, key: str) -> int:
    """A limit from `targets.<t>.limits`, else the SPEC 10 default."""
    block = getattr(doc.targets, target, None) if doc.targets is not None else None
    limits = getattr(block, "limits", None)
    value = getattr(limits, key, None) if limits is not None else None
    return value if value is not None else DEFAULTS[target][key]
