"""Phase 5 (cycles E301, unused W302) and the graph half of phase 6 (E402)."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Note
from ..spec.config import Config
from ..spec.models import RunStep
from .expansion import expansion
from .pipeline_graph import PipelineGraph


def check_graph(cfg: Config) -> tuple[PipelineGraph, list[Diagnostic]]:
    """Build the graph; report every cycle (each edge located) and unused declarations."""
    graph = PipelineGraph(cfg)
    diags = [_cycle(cfg, graph, cycle) for cycle in graph.cycles()]
    diags.extend(_unused(cfg))
    return graph, diags


def _cycle(cfg: Config, graph: PipelineGraph, cycle: list[str]) -> Diagnostic:
    notes = []
    first_pos = None
    for consumer, producer in zip(cycle, cycle[1:]):
        edge = graph.first_edge(producer, consumer)
        if edge.use is not None:
            pos = (edge.use.line, edge.use.col)
            text = f"{consumer} reads {edge.use.ref.path}"
        else:
            span = cfg.span(("steps", consumer, "needs", edge.needs_index))
            pos = (span.line, span.col)
            text = f"{consumer} needs {producer}"
        first_pos = first_pos or pos
        notes.append(Note(text, cfg.file, pos[0], pos[1]))
    return cfg.at("E301", "dependency cycle: " + " -> ".join(cycle), first_pos, notes=tuple(notes),
                  hint=None if len(cycle) > 2 or cycle[0] != cycle[1] else
                  "a step cannot read its own outputs through steps.*; use ${{ outputs.<o> }}",
                  path=("steps", cycle[0]))


def _unused(cfg: Config) -> list[Diagnostic]:
    doc, refs = cfg.doc, cfg.refs
    assert refs is not None
    out = []
    used_params = refs.referenced("params")
    for name in doc.params or {}:
        if name not in used_params:
            out.append(cfg.diag("W302", f"param '{name}' is never referenced", ("params", name),
                                key=True, hint=f"reference it as ${{{{ params.{name} }}}} or "
                                "remove it"))
    used_secrets = refs.referenced("secrets")
    for name in doc.secrets or {}:
        if name not in used_secrets:
            out.append(cfg.diag("W302", f"secret '{name}' is never referenced",
                                ("secrets", name), key=True, hint="remove it, or bind it in "
                                "env or credentials"))
    used_sources = refs.referenced("sources")
    for name in doc.sources or {}:
        if name not in used_sources:
            out.append(cfg.diag("W302", f"source '{name}' is never referenced",
                                ("sources", name), key=True,
                                hint=f"read a table as ${{{{ sources.{name}.<table> }}}} or "
                                "remove it"))
    out.extend(_unused_outputs(cfg))
    return out


def _unused_outputs(cfg: Config) -> list[Diagnostic]:
    doc, refs = cfg.doc, cfg.refs
    consumed = {(u.target.step, u.target.name) for u in refs.uses
                if u.target.kind in ("step_output", "output")}
    out = []
    for name, step in doc.steps.items():
        if not isinstance(step, RunStep):
            continue
        own_text = _own_text(step)
        for output, spec in step.outputs.items():
            if step.sweep is not None and spec.type == "metrics":
                continue
            if (name, output) in consumed or f"MLC_OUTPUT_{output.upper()}" in own_text:
                continue
            out.append(cfg.diag(
                "W302", f"output '{output}' of step '{name}' is never consumed, and its command "
                "never writes it", ("steps", name, "outputs", output), key=True,
                hint=f"write it at ${{{{ outputs.{output} }}}} in the command, or remove it"))
    return out


def _own_text(step: RunStep) -> str:
    parts = [step.command] if isinstance(step.command, str) else [str(c) for c in step.command]
    parts.extend(str(v) for v in step.env.values())
    return "\n".join(parts)


def check_fanout_bounds(cfg: Config) -> list[Diagnostic]:
    """E402: every foreach dimension needs a static bound."""
    out = []
    for name, step in cfg.doc.steps.items():
        for bound in expansion(cfg, name).dims:
            if bound.size is None:
                out.append(cfg.diag(
                    "E402", f"steps.{name}.foreach.{bound.dim} is unbounded: {bound.origin}",
                    ("steps", name, "foreach", bound.dim),
                    hint="add max_items to the list param or output it binds"))
    return out
