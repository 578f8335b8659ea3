"""A target's own settings (`targets.<t>` with SPEC 10's limits filled in), as the lowering of
that target receives them: typed, immutable, and free of the spec's models.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..record import Record

DEFAULT_RUNTIME_IMAGE = "python:3.12-slim"


@dataclass(frozen=True, eq=False, repr=False)
class KubeSettings(Record):
    """`targets.argo` and `targets.kubeflow` (SPEC 7)."""

    namespace: str | None = None
    service_account: str | None = None
    artifact_store: str | None = None              # argo
    pipeline_root: str | None = None               # kubeflow
    scheduler_timezone: str = "UTC"                # kubeflow
    mesh: str = "none"
    prometheus: str | None = None
    accelerators: dict[str, dict[str, str]] = field(default_factory=dict)  # node labels
    runtime_image: str = DEFAULT_RUNTIME_IMAGE
    max_nodes_per_workflow: int = 5000
    max_definition_bytes: int = 1024 * 1024
    max_cache_entries: int = 230400                # argo
    argo_version: str = "3.6"                      # argo: the oldest Argo to run on

    def node_selector(self, accelerator: str | None) -> dict[str, str]:
        """The node labels that place a step needing `accelerator` (SPEC 7, E501)."""
        return dict(self.accelerators.get(accelerator, {})) if accelerator else {}


@dataclass(frozen=True, eq=False, repr=False)
class StepFunctionsSettings(Record):
    """`targets.stepfunctions` (SPEC 7)."""

    region: str | None = None
    role: str | None = None
    artifact_store: str | None = None
    job_queue: str | None = None
    job_role: str | None = None
    scheduler_role: str | None = None
    model_role: str | None = None
    accelerators: dict[str, str] = field(default_factory=dict)  # job queue ARNs
    runtime_image: str = DEFAULT_RUNTIME_IMAGE
    inline_map_max_concurrency: int = 40
    max_parallel: int = 10000
    max_definition_bytes: int = 1024 * 1024


@dataclass(frozen=True, eq=False, repr=False)
class LocalSettings(Record):
    """`mlc run` has no settings block; its options come from the command line."""


Settings = KubeSettings | StepFunctionsSettings | LocalSettings
