"""`mlc compile`: validate, build the plan and the target's settings, lower, render, write;
E405 on the rendered sizes."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from .. import __version__
from ..diagnostics import Diagnostic, sort_diagnostics
from ..source import Limits
from ..spec.config import Config
from ..spec.registry import COMPILE_TARGETS, REGISTRY
from .validation import UsageError, validate


@dataclass
class CompileResult:
    """What `compile` produced: files by relative path, and how they compare on disk."""

    diagnostics: list[Diagnostic]
    target: str
    directory: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    write: object = None  # render.WriteResult

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def compile(path: str, *, target: str, profile: str | None = None, out: str = "build",  # noqa: A001
            kind: str = "template", mode: str = "write",
            limits: Limits = Limits()) -> CompileResult:
    """Validate (base 1-6, the selected configuration 1-7 for `target`), lower, render, write.

    Nothing is written unless every phase passed and `mode` is "write".
    """
    from ..lower.base import Options, load_target
    from ..plan.build import build_plan, build_settings
    from ..render import WriteMode, apply, render_file
    from ..render.bytes import render_documents

    if target not in COMPILE_TARGETS:
        raise UsageError(f"unknown target '{target}' (choose from {', '.join(COMPILE_TARGETS)})")
    lowering = REGISTRY[target].lowering
    if lowering is None:
        raise UsageError(f"mlc {__version__} cannot compile for {target} yet; `mlc validate "
                         f"--target {target}` checks a pipeline against its rules")
    if kind not in ("template", "workflow"):
        raise UsageError(f"unknown kind '{kind}' (template, workflow)")
    result = validate(path, profiles=[profile] if profile else None, targets=[target],
                      limits=limits, phase7="selected")
    outcome = CompileResult(result.diagnostics, target)
    if not result.ok:
        return outcome
    cfg, graph = result.configs[profile], result.graphs[profile]
    plan = build_plan(cfg, graph, target)
    lowered = load_target(lowering).lower(plan, build_settings(cfg, target), Options(kind=kind))
    source_name = os.path.basename(path)
    documents = {name: render_documents(content if isinstance(content, list) else [content])
                 for name, content in lowered.files.items() if name.endswith(".yaml")}
    files = {name: render_file(name, content, source_name, documents.get(name))
             for name, content in sorted(lowered.files.items())}
    size_errors = _definition_sizes(cfg, target, lowered.files, documents)
    outcome.diagnostics = sort_diagnostics(result.diagnostics + lowered.diagnostics + size_errors,
                                           result.profiles)
    if not outcome.ok:
        return outcome
    directory = os.path.join(out, target)
    outcome.directory, outcome.files = directory, files
    from pathlib import Path

    outcome.write = apply(Path(directory), files, WriteMode(mode), f"{out}/{target}".lstrip("./"))
    return outcome


def _definition_sizes(cfg: Config, target: str, files: dict,
                      documents: dict[str, list[bytes]]) -> list[Diagnostic]:
    """E405: each Argo object, pipeline.yaml and the ASL at most max_definition_bytes."""
    from ..targets import limit

    cap = limit(cfg.doc, target, "max_definition_bytes")
    out = []
    for name, content in sorted(files.items()):
        docs = content if isinstance(content, list) else [content]
        for i, doc in enumerate(docs):
            size = len(documents[name][i]) if name in documents else \
                len(json.dumps(doc).encode("utf-8"))
            if size > cap:
                kind = doc.get("kind", name) if isinstance(doc, dict) else name
                out.append(cfg.at("E405", f"[target {target}] {kind} in {name} is {size} bytes; "
                                  f"limit {cap}", (1, 1),
                                  hint="reduce literal lists and steps, or raise "
                                  f"targets.{target}.limits.max_definition_bytes"))
    return out
