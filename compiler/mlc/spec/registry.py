"""The one registry of targets: what the CLI offers, what `api` compiles with, what validation
checks, each target's default deploy server and SPEC 10 limits. It is plain data at the bottom
of the stages, so every stage reads the same rows. A new target is a row here, a lowering
`mlc.lower.<name>` and its rules (docs/architecture.md, "Adding a target").
"""

from __future__ import annotations

from dataclasses import dataclass

from ..record import Record


@dataclass(frozen=True, eq=False, repr=False)
class TargetInfo(Record):
    """One target: whether and how it compiles, and its defaults."""

    name: str
    compiles: bool              # `mlc compile --target NAME` (local is `mlc run`'s)
    lowering: str | None        # module under mlc.lower; None: advertised, not built yet
    server: str                 # the default deploy server (SPEC 6.6)
    child_runs: bool = False    # splits a run above its node budget (SPEC 10)
    limits: tuple[tuple[str, int], ...] = ()   # SPEC 10 defaults


MIB = 1024 * 1024
# Argo's memoization cache: a step's entries spread over 256 ConfigMaps (by the key's first two
# hex digits); a ConfigMap holds 1 MiB, about 900 entries of about 1 KiB (docs/targets/argo.md)
CACHE_SHARDS = 256
CACHE_ENTRIES_PER_MAP = 900

REGISTRY: dict[str, TargetInfo] = {
    "argo": TargetInfo("argo", True, "argo", "kserve", child_runs=True,
                       limits=(("max_nodes_per_workflow", 5000), ("max_definition_bytes", MIB),
                               ("max_cache_entries", CACHE_SHARDS * CACHE_ENTRIES_PER_MAP))),
    "kubeflow": TargetInfo("kubeflow", True, "kubeflow", "kserve",
                           limits=(("max_nodes_per_workflow", 5000),
                                   ("max_definition_bytes", MIB))),
    "stepfunctions": TargetInfo("stepfunctions", True, "stepfunctions", "sagemaker",
                                limits=(("inline_map_max_concurrency", 40),
                                        ("max_parallel", 10000), ("max_definition_bytes", MIB))),
    "local": TargetInfo("local", False, None, "kserve"),
}

TARGETS = tuple(REGISTRY)
COMPILE_TARGETS = tuple(name for name, t in REGISTRY.items() if t.compiles)


def info(name: str) -> TargetInfo:
    return REGISTRY[name]
