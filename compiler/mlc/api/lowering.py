"""Plan, lower and render one configuration in memory, and check what the target can hold
(E405): `mlc compile` writes the result, `mlc validate` reports the same E405 (SPEC 9.4)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..diagnostics import Diagnostic
from ..graph import PipelineGraph
from ..record import MutableRecord
from ..spec.config import Config
from ..spec.registry import REGISTRY


@dataclass(eq=False, repr=False)
class Rendered(MutableRecord):
    """Rendered files by name, and the diagnostics of lowering and E405."""

    files: dict[str, bytes] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def render_target(cfg: Config, graph: PipelineGraph, target: str, kind: str = "template",
                  source_name: str = "mlc.yaml", rbac: bool = False) -> Rendered:
    """The files `mlc compile --target target` would write, and the lowering's and E405's
    diagnostics. The configuration must have passed phases 1-7."""
    from ..lower.base import Options, load_target
    from ..plan.build import build_plan, build_settings
    from ..render import render_file
    from ..render.bytes import render_documents

    plan = build_plan(cfg, graph, target)
    lowered = load_target(REGISTRY[target].lowering).lower(plan, build_settings(cfg, target),
                                                           Options(kind=kind, rbac=rbac))
    documents = {name: render_documents(content if isinstance(content, list) else [content])
                 for name, content in lowered.files.items() if name.endswith(".yaml")}
    files = {name: render_file(name, content, source_name, documents.get(name))
             for name, content in sorted(lowered.files.items())}
    return Rendered(files, lowered.diagnostics + definition_sizes(cfg, target, lowered.files,
                                                                  documents, files))


def definition_sizes(cfg: Config, target: str, files: dict,
                     documents: dict[str, list[bytes]],
                     rendered: dict[str, bytes] | None = None) -> list[Diagnostic]:
    """E405: each Argo object, pipeline.yaml and the ASL (its file's bytes, as uploaded) at
    most max_definition_bytes; on stepfunctions each CloudFormation template too."""
    from ..targets import limit

    cap = limit(cfg.doc, target, "max_definition_bytes")
    out = []
    for name, content in sorted(files.items()):
        docs = content if isinstance(content, list) else [content]
        for i, doc in enumerate(docs):
            if name in documents:
                size = len(documents[name][i])
            elif rendered is not None and name in rendered:
                size = len(rendered[name])
            else:
                size = len(json.dumps(doc).encode("utf-8"))
            if size > cap:
                kind = doc.get("kind") if isinstance(doc, dict) else None
                what = f"{kind} in {name}" if kind else name
                out.append(cfg.at("E405", f"{what} is {size} bytes; limit {cap}", (1, 1),
                                  hint="reduce literal lists and steps, or raise "
                                  f"targets.{target}.limits.max_definition_bytes")
                           .tagged(target=target))
    return out
