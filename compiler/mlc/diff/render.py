"""`mlc diff` output: text for a terminal, Markdown for a pull-request comment (with a Mermaid
picture of the DAG: added, removed and changed steps styled apart), JSON for tools."""

from __future__ import annotations

import json
from typing import Any

from .compare import Change, ConfigDiff, Diff, FanOut

MAX_VALUE = 80
STYLES = {
    "added": "fill:#dafbe1,stroke:#1a7f37,color:#0f5323,stroke-width:2px",
    "removed": "fill:#ffebe9,stroke:#cf222e,color:#82071e,stroke-width:2px,stroke-dasharray:5 3",
    "changed": "fill:#fff8c5,stroke:#9a6700,color:#4d2d00,stroke-width:2px",
}
EDGE_STYLES = {"added": "stroke:#1a7f37,stroke-width:2px",
               "removed": "stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 3"}


def value(v: Any, limit: int | None = MAX_VALUE) -> str:
    if v is None:
        return "(absent)"
    text = json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    if limit is not None and len(text) > limit:
        text = text[:limit - 1] + "…"
    return text


def fan(side: tuple[int | None, int]) -> str:
    items, trials = side
    tasks = FanOut.tasks(side)
    shape = f"{'?' if items is None else f'{items:,}'} item(s)"
    if trials > 1:
        shape += f" x {trials:,} trials"
    return shape + (f" = {tasks:,} task(s)" if tasks is not None else " (unbounded)")


def title(c: ConfigDiff) -> str:
    return "base" if c.profile is None else f"profile {c.profile}"


def summary(d: Diff) -> str:
    base = d.configs[0]
    parts = []
    for n, what in ((len(base.steps_changed), "changed"), (len(base.steps_added), "added"),
                    (len(base.steps_removed), "removed")):
        if n:
            parts.append(f"{n} step(s) {what}")
    for n, what in ((len(base.edges_added), "edge(s) added"),
                    (len(base.edges_removed), "edge(s) removed")):
        if n:
            parts.append(f"{n} {what}")
    if base.fan_out:
        parts.append(f"fan-out of {len(base.fan_out)} step(s)")
    if base.rollout:
        parts.append(f"rollout of {len(base.rollout)} deploy step(s)")
    if base.schedule:
        parts.append("schedule")
    if base.settings:
        parts.append(f"{len(base.settings)} setting(s)")
    own = [c for c in d.configs[1:] if c.status in ("changed", "added", "removed")]
    if own:
        parts.append(f"{len(own)} profile(s) with changes of their own")
    return ", ".join(parts) if parts else "no changes"


# -- text --------------------------------------------------------------------------------------

def to_text(d: Diff) -> str:
    lines = [f"mlc diff {d.base} -> {d.head}"]
    inherit = [c.profile for c in d.configs[1:] if c.status == "base"]
    for c in d.configs:
        if c.status == "base" or (c.status == "unchanged" and c.profile is not None):
            continue
        if c.status == "unchanged" and not d.changed:
            break
        lines.append("")
        if c.status == "unchanged":
            lines.append(f"{title(c)}: no changes")
            continue
        if c.status in ("added", "removed"):
            lines.append(f"{title(c)}: {c.status}")
            continue
        lines.append(f"{title(c)}:")
        lines += _text_body(c)
    if inherit:
        lines += ["", f"profile{'s' if len(inherit) > 1 else ''} {', '.join(inherit)}: "
                  "nothing beyond the base's changes"]
    lines.append("")
    lines.append(f"mlc: {summary(d)}")
    return "\n".join(lines) + "\n"


def _text_body(c: ConfigDiff) -> list[str]:
    out = []
    for name in c.steps_added:
        out.append(f"  + step {name}")
    for name in c.steps_removed:
        out.append(f"  - step {name}")
    for name, changes in c.steps_changed.items():
        out.append(f"  ~ step {name}")
        out += [_text_change(ch) for ch in changes]
    for a, b in c.edges_added:
        out.append(f"  + edge {a} -> {b}")
    for a, b in c.edges_removed:
        out.append(f"  - edge {a} -> {b}")
    for f in c.fan_out:
        out.append(f"  ~ fan-out {f.step}: {fan(f.before)} -> {fan(f.after)}")
    for name, (was, now) in c.rollout.items():
        out.append(f"  ~ rollout {name}")
        out.append(f"      before: {was or '(no deploy step)'}")
        out.append(f"      after:  {now or '(no deploy step)'}")
    for ch in c.schedule:
        out.append(_text_change(ch, lead="  ~ "))
    for ch in c.settings:
        out.append(_text_change(ch, lead="  ~ "))
    return out


def _text_change(ch: Change, lead: str = "      ") -> str:
    where = f"  (line {ch.line})" if ch.line else ""
    tag = f"[{ch.category}] " if ch.category not in ("step",) and lead.startswith("      ") else ""
    return f"{lead}{tag}{ch.path}: {value(ch.before)} -> {value(ch.after)}{where}"


# -- markdown ----------------------------------------------------------------------------------

def to_markdown(d: Diff) -> str:
    lines = [f"### mlc diff: `{d.base}` → `{d.head}`", "", f"**{summary(d)}**"]
    base = d.configs[0]
    if base.status != "unchanged" or any(c.status == "changed" for c in d.configs[1:]):
        lines += ["", mermaid(base), "",
                  "<sub>green: added · red, dashed: removed · yellow: changed</sub>"]
    if base.status == "changed":
        lines += _md_body(base, level="####")
    inherit = [f"`{c.profile}`" for c in d.configs[1:] if c.status == "base"]
    if inherit:
        lines += ["", f"Profile{'s' if len(inherit) > 1 else ''} {', '.join(inherit)}: "
                  "nothing beyond the base's changes."]
    for c in d.configs[1:]:
        if c.status in ("unchanged", "base"):
            continue
        lines.append("")
        if c.status in ("added", "removed"):
            lines.append(f"#### Profile `{c.profile}`: {c.status}")
        else:
            lines += [f"<details><summary>Profile <code>{c.profile}</code>: changes of its own"
                      "</summary>", ""]
            if c.steps_added or c.steps_removed or c.edges_added or c.edges_removed:
                lines += [mermaid(c), ""]
            lines += _md_body(c, level="#####")
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _md_body(c: ConfigDiff, level: str) -> list[str]:
    out: list[str] = []
    step_rows = [(f"`{n}`", "added", "", "", "") for n in c.steps_added]
    step_rows += [(f"`{n}`", "removed", "", "", "") for n in c.steps_removed]
    for name, changes in c.steps_changed.items():
        for ch in changes:
            field = f"`{ch.path}`" + (f" (line {ch.line})" if ch.line else "")
            step_rows.append((f"`{name}`", ch.category, field, _code(ch.before),
                              _code(ch.after)))
    if step_rows:
        out += ["", f"{level} Steps", "", "| Step | Kind | Field | Before | After |",
                "|---|---|---|---|---|"]
        out += ["| " + " | ".join(r) + " |" for r in step_rows]
    edges = [(f"`{a}` → `{b}`", "added") for a, b in c.edges_added]
    edges += [(f"`{a}` → `{b}`", "removed") for a, b in c.edges_removed]
    if edges:
        out += ["", f"{level} Dependencies", "", "| Edge | |", "|---|---|"]
        out += [f"| {e} | {s} |" for e, s in edges]
    if c.fan_out:
        out += ["", f"{level} Fan-out (expansion estimate)", "", "| Step | Before | After |",
                "|---|---|---|"]
        out += [f"| `{f.step}` | {fan(f.before)} | {fan(f.after)} |" for f in c.fan_out]
    if c.rollout:
        out += ["", f"{level} Rollout", "", "| Deploy step | Before | After |", "|---|---|---|"]
        out += [f"| `{n}` | {_cell(w or '—')} | {_cell(v or '—')} |"
                for n, (w, v) in c.rollout.items()]
    rest = c.schedule + c.settings
    if rest:
        out += ["", f"{level} Schedule and settings", "", "| Field | Before | After |",
                "|---|---|---|"]
        out += [f"| `{ch.path}` | {_code(ch.before)} | {_code(ch.after)} |" for ch in rest]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(v: Any) -> str:
    if v is None:
        return "—"
    text = _cell(value(v))
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def mermaid(c: ConfigDiff) -> str:
    ids = {name: f"s{i}" for i, name in enumerate(c.nodes)}
    lines = ["```mermaid", "flowchart TD"]
    for name, (status, label, kind) in c.nodes.items():
        text = label.replace('"', "'").replace("\n", "<br/>")
        if status != "same":
            text += f"<br/>({status})"
        shape = ('[/"', '"/]') if kind == "deploy" else ('{{"', '"}}') if kind == "evaluate" \
            else ('["', '"]')
        lines.append(f"    {ids[name]}{shape[0]}{text}{shape[1]}")
    link_styles = []
    for i, ((a, b), status) in enumerate(c.edges.items()):
        arrow = "==>" if status == "added" else "-.->" if status == "removed" else "-->"
        lines.append(f"    {ids[a]} {arrow} {ids[b]}")
        if status in EDGE_STYLES:
            link_styles.append(f"    linkStyle {i} {EDGE_STYLES[status]}")
    lines += link_styles
    for status, style in STYLES.items():
        members = [ids[n] for n, (s, _, _) in c.nodes.items() if s == status]
        if members:
            lines.append(f"    classDef {status} {style}")
            lines.append(f"    class {','.join(members)} {status}")
    lines.append("```")
    return "\n".join(lines)


# -- json --------------------------------------------------------------------------------------

def to_json(d: Diff) -> str:
    data = {"base": d.base, "head": d.head, "changed": d.changed, "summary": summary(d),
            "configurations": [_json_config(c) for c in d.configs]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _json_change(ch: Change) -> dict:
    return {"path": ch.path, "category": ch.category, "before": ch.before, "after": ch.after,
            "line": ch.line}


def _json_config(c: ConfigDiff) -> dict:
    def side(s: tuple[int | None, int]) -> dict:
        return {"items": s[0], "trials": s[1], "tasks": FanOut.tasks(s)}

    return {
        "profile": c.profile,
        "status": c.status,
        "steps": {"added": c.steps_added, "removed": c.steps_removed,
                  "changed": {n: [_json_change(ch) for ch in cs]
                              for n, cs in c.steps_changed.items()}},
        "edges": {"added": [list(e) for e in c.edges_added],
                  "removed": [list(e) for e in c.edges_removed]},
        "fan_out": [{"step": f.step, "before": side(f.before), "after": side(f.after)}
                    for f in c.fan_out],
        "rollout": [{"step": n, "before": w, "after": v} for n, (w, v) in c.rollout.items()],
        "schedule": [_json_change(ch) for ch in c.schedule],
        "settings": [_json_change(ch) for ch in c.settings],
    }


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}
