"""CI formats: GitHub Actions workflow commands and SARIF 2.1.0 (no timestamps, stable order)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote

from .. import __version__
from ..meta import project_urls
from .codes import REGISTRY
from .model import Diagnostic

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def escape_data(text: str) -> str:
    """Workflow command data: `%`, CR and LF are percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Workflow command properties: also `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _full_text(d: Diagnostic) -> str:
    lines = [d.full_message()]
    if d.hint:
        lines.append(f"help: {d.hint}")
    for n in d.notes:
        where = f"{n.file or d.file}:{n.line}:{n.col}: " if n.line is not None else ""
        lines.append(f"note: {where}{n.message}")
    return "\n".join(lines)


def render_github(diags: Iterable[Diagnostic]) -> str:
    """`::error file=F,line=L,col=C,title=CODE::message` per diagnostic."""
    out = []
    for d in diags:
        props = ",".join(f"{k}={escape_property(str(v))}" for k, v in (
            ("file", d.file), ("line", d.line), ("col", d.col), ("title", d.code)))
        out.append(f"::{d.severity} {props}::{escape_data(_full_text(d))}\n")
    return "".join(out)


def _rule(code: str, docs: str | None) -> dict:
    entry = REGISTRY[code]
    rule = {
        "id": code,
        "name": entry.name,
        "shortDescription": {"text": entry.summary.split(". ")[0].rstrip(".") + "."},
        "fullDescription": {"text": entry.summary},
        "help": {"text": entry.explain(), "markdown": entry.explain()},
        "defaultConfiguration": {"level": entry.severity},
    }
    if docs:
        rule["helpUri"] = f"{docs}#{code.lower()}"
    return rule


def render_sarif(diags: Iterable[Diagnostic]) -> str:
    """One SARIF run whose rules are the whole registry; deterministic bytes."""
    codes = list(REGISTRY)
    index = {c: i for i, c in enumerate(codes)}
    results = []
    for d in diags:
        result: dict = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": d.severity,
            "message": {"text": _full_text(d)},
            "locations": [_location(d.file, d.line, d.col)],
        }
        related = [dict(_location(n.file or d.file, n.line, n.col), id=i,
                        message={"text": n.message})
                   for i, n in enumerate(d.notes) if n.line is not None]
        if related:
            result["relatedLocations"] = related
        props = {k: v for k, v in (("profile", d.profile), ("target", d.target)) if v}
        if props:
            result["properties"] = props
        results.append(result)
    docs = project_urls().get("Diagnostics")  # [project.urls] of pyproject.toml
    driver: dict = {"name": "mlc", "version": __version__}
    if docs:
        driver["informationUri"] = docs
    driver["rules"] = [_rule(c, docs) for c in codes]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _location(file: str, line: int | None, col: int | None) -> dict:
    """A relative URI reference, as code scanning expects (a space is %20, `%` is %25)."""
    return {"physicalLocation": {"artifactLocation": {"uri": quote(file, safe="/")},
                                 "region": {"startLine": line or 1, "startColumn": col or 1}}}
