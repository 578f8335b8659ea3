"""Diagnostic renderers: the only place that formats a diagnostic (SPEC 9.2)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from .model import Diagnostic

FORMATS = ("text", "json", "github", "sarif")


def render_text(diags: Iterable[Diagnostic]) -> str:
    """GNU-style lines with indented `help:`/`note:` continuations, one block per diagnostic."""
    out: list[str] = []
    for d in diags:
        out.append(f"{d.file}:{d.line}:{d.col}: {d.severity}[{d.code}]: {d.full_message()}")
        if d.hint:
            out.append(f"    help: {d.hint}")
        for n in d.notes:
            if n.line is not None:
                out.append(f"{n.file or d.file}:{n.line}:{n.col}: note: {n.message}")
            else:
                out.append(f"    note: {n.message}")
    return "".join(line + "\n" for line in out)


def summary_line(diags: list[Diagnostic]) -> str:
    errors = sum(1 for d in diags if d.is_error)
    warnings = len(diags) - errors
    return f"mlc: {errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"


def render_json(diags: Iterable[Diagnostic]) -> str:
    """An array of `{file, line, col, severity, code, message, profile, target, help, notes}`."""
    return json.dumps([d.to_dict() for d in diags], indent=2, ensure_ascii=False) + "\n"
