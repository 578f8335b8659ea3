"""The DAG as text that renders as a picture: Mermaid flowcharts and Graphviz DOT."""

from __future__ import annotations

import json

from ..spec.models import RunStep
from .expansion import expansion
from .pipeline_graph import PipelineGraph


def step_label(graph: PipelineGraph, name: str) -> str:
    """`train` / `run` / `foreach country (250) x 100 trials`."""
    step = graph.step(name)
    exp = expansion(graph.cfg, name)
    parts = [name, step.type]
    fan = []
    for d in exp.dims:
        fan.append(f"{d.dim} ({d.size if d.size is not None else '?'})")
    if fan:
        parts.append("foreach " + " x ".join(fan))
    if isinstance(step, RunStep) and step.sweep is not None:
        parts.append(f"{exp.trials} trials")
    return " / ".join(parts[:2]) + ("\n" + ", ".join(parts[2:]) if len(parts) > 2 else "")


def mermaid_id(name: str) -> str:
    return "s_" + name


def to_mermaid(graph: PipelineGraph, styles: dict[str, str] | None = None) -> str:
    """A Mermaid flowchart; `styles` maps step -> class name (for diffs)."""
    lines = ["flowchart TD"]
    for name in graph.order():
        label = step_label(graph, name).replace('"', "'").replace("\n", "<br/>")
        shape = ('[/"', '"/]') if graph.step(name).type == "deploy" else (
            '{{"', '"}}') if graph.step(name).type == "evaluate" else ('["', '"]')
        lines.append(f"    {mermaid_id(name)}{shape[0]}{label}{shape[1]}")
    for producer, consumer in sorted(graph.g.edges, key=lambda e: (graph.position[e[0]],
                                                                   graph.position[e[1]])):
        lines.append(f"    {mermaid_id(producer)} --> {mermaid_id(consumer)}")
    for name, cls in sorted((styles or {}).items()):
        lines.append(f"    class {mermaid_id(name)} {cls}")
    return "\n".join(lines) + "\n"


def to_dot(graph: PipelineGraph, title: str) -> str:
    """A Graphviz digraph (render with `dot -Tpng`)."""
    shapes = {"features": "cylinder", "run": "box", "evaluate": "diamond", "deploy": "house"}
    lines = [f"digraph {json.dumps(title)} {{", "    rankdir=TB;",
             '    node [shape=box, style="rounded,filled", fillcolor="#eef3fb", '
             'fontname="Helvetica"];', '    edge [color="#555555"];']
    for name in graph.order():
        label = step_label(graph, name)
        shape = shapes.get(graph.step(name).type, "box")
        lines.append(f"    {json.dumps(name)} [label={json.dumps(label)}, shape={shape}];")
    for producer, consumer in sorted(graph.g.edges, key=lambda e: (graph.position[e[0]],
                                                                   graph.position[e[1]])):
        lines.append(f"    {json.dumps(producer)} -> {json.dumps(consumer)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
