"""Phase 7 for `mlc run` (SPEC 12): local sources only, KServe deploys (rendered, not applied)."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic
from ..graph import PipelineGraph
from ..spec.config import Config
from .common import deploys


def check(cfg: Config, graph: PipelineGraph, local_profile: str | None) -> Iterator[Diagnostic]:
    yield from local_sources(cfg, local_profile)
    yield from deploys(cfg, "local", "kserve")


def local_sources(cfg: Config, local_profile: str | None) -> Iterator[Diagnostic]:
    """E406: `mlc run` reads local files only; the first names a profile that would do."""
    first = True
    for name, src in (cfg.doc.sources or {}).items():
        if src.type == "local":
            continue
        hint = None
        if first:
            hint = f"mlc run --profile {local_profile}" if local_profile else \
                "add a profile that points each source at local files"
        first = False
        yield cfg.diag("E406", f"source '{name}' has type '{src.type}'; mlc run reads local "
                       "sources only", ("sources", name, "type"), hint=hint)
