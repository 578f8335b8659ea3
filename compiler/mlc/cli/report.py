"""Print diagnostics in the chosen format and compute the exit code (one place)."""

from __future__ import annotations

import sys

import typer

from ..diagnostics import Diagnostic, exit_code
from ..diagnostics.render import FORMATS, render_json, render_text, summary_line


def report(diags: list[Diagnostic], fmt: str, *, strict: bool = False) -> int:
    """Text goes to stderr with a summary line; machine formats go to stdout."""
    if fmt not in FORMATS:
        sys.stderr.write(f"mlc: error: unknown format '{fmt}' ({', '.join(FORMATS)})\n")
        raise typer.Exit(2)
    if fmt == "text":
        sys.stderr.write(render_text(diags))
        sys.stderr.write(summary_line(diags) + "\n")
    elif fmt == "json":
        sys.stdout.write(render_json(diags))
    elif fmt == "github":
        from ..diagnostics.ci import render_github

        sys.stdout.write(render_github(diags))
    else:
        from ..diagnostics.ci import render_sarif

        sys.stdout.write(render_sarif(diags))
    return exit_code(diags, strict=strict)
