"""Generate docs/diagnostics.md from the registry: `python -m mlc.diagnostics.docs`."""

from __future__ import annotations

from .codes import REGISTRY


def diagnostics_markdown() -> str:
    out = ["# Diagnostics reference", "",
           "Generated from the code registry (`compiler/mlc/diagnostics/codes.py`) by "
           "`make docs`; do not edit by hand. `mlc explain CODE` prints the same text.", "",
           "Every diagnostic is printed as `FILE:LINE:COL: SEVERITY[CODE]: MESSAGE` with "
           "indented `help:` and `note:` lines. Exit codes: 0 no errors (warnings allowed "
           "unless `--strict`), 1 errors, 2 usage or internal error.", "",
           "| Code | Name | Severity | Phase |", "|---|---|---|---|"]
    for c in REGISTRY.values():
        out.append(f"| [{c.code}](#{c.code.lower()}) | {c.name} | {c.severity} | {c.phase} |")
    for c in REGISTRY.values():
        out += ["", f"## {c.code}", "", f"**{c.name}** ({c.severity}, phase: {c.phase})", "",
                "What it catches: " + c.summary, "", "Why: " + c.why, "", "Example:", "",
                "```yaml", c.example.strip("\n"), "```", "", "Fix: " + c.fix]
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(diagnostics_markdown())
