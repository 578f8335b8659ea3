"""Target limits (SPEC 10), overridable in `targets.<t>.limits`."""

from __future__ import annotations

from ..spec.models import Document

TARGETS = ("argo", "kubeflow", "stepfunctions", "local")
COMPILE_TARGETS = ("argo", "kubeflow", "stepfunctions")

DEFAULTS: dict[str, dict[str, int]] = {
    "argo": {"max_nodes_per_workflow": 5000, "max_definition_bytes": 1024 * 1024},
    "kubeflow": {"max_nodes_per_workflow": 5000, "max_definition_bytes": 1024 * 1024},
    "stepfunctions": {"inline_map_max_concurrency": 40, "max_parallel": 10000,
                      "max_definition_bytes": 1024 * 1024},
}

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
