"""mlc commands. Options are declared once in `options.py` and reused."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from .. import __version__
from . import options as opt

app = typer.Typer(
    name="mlc",
    help="Compile one typed mlc.yaml into Argo Workflows, Kubeflow Pipelines or AWS Step "
         "Functions, or run it on this machine.\n\n"
         "Exit codes: 0 no errors, 1 errors found (or a failed run), 2 usage or internal error.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"mlc {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(version: Optional[bool] = typer.Option(  # noqa: UP007 - typer needs Optional
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit.")
          ) -> None:
    """mlc: from notebook prototype to production pipeline."""


def usage_error(message: str) -> typer.Exit:
    sys.stderr.write(f"mlc: error: {message}\n")
    return typer.Exit(2)


@app.command()
def validate(
    file: str = opt.FILE,
    profile: Optional[list[str]] = opt.PROFILES,  # noqa: UP007
    target: Optional[list[str]] = opt.TARGETS,  # noqa: UP007
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on warnings too."),
    fmt: str = opt.FORMAT,
    max_file_size: str = opt.MAX_FILE_SIZE,
) -> None:
    """Check FILE and report every problem at once, as file:line:col with a hint.

    Covers the base document and every profile (or only the --profile ones); target rules run
    for --target, else for each configuration's own targets.

    Examples:

      mlc validate                          # ./mlc.yaml, every profile, its own targets

      mlc validate mlc.yaml --profile dev --target local

      mlc validate --format json > diagnostics.json
    """
    from ..api import UsageError, validate as run_validate
    from .report import report

    try:
        result = run_validate(file, profiles=profile or None, targets=target or None,
                              limits=opt.limits(max_file_size))
    except UsageError as exc:
        raise usage_error(str(exc)) from None
    raise typer.Exit(report(result.diagnostics, fmt, strict=strict, result=result))


@app.command()
def schema() -> None:
    """Print the JSON Schema of mlc/v1 (for editors and other tools).

    Example:

      mlc schema > mlc-v1.schema.json
    """
    from ..spec.jsonschema import schema_text

    sys.stdout.write(schema_text())


@app.command()
def explain(code: str = typer.Argument(..., help="A diagnostic code such as E202.")) -> None:
    """Explain a diagnostic code: what it catches, why, an example and the fix.

    Example:

      mlc explain E202
    """
    from ..diagnostics import REGISTRY, lookup

    entry = lookup(code)
    if entry is None:
        raise usage_error(f"unknown code '{code}'; codes: {', '.join(REGISTRY)}")
    sys.stdout.write(entry.explain())


@app.command()
def graph(
    file: str = opt.FILE,
    profile: Optional[str] = opt.PROFILE,  # noqa: UP007
    fmt: str = typer.Option("mermaid", "--format", "-f", help="mermaid or dot."),
    max_file_size: str = opt.MAX_FILE_SIZE,
) -> None:
    """Print the pipeline DAG as Mermaid or Graphviz DOT text.

    Examples:

      mlc graph --format mermaid            # paste into a Markdown ```mermaid block

      mlc graph --format dot | dot -Tpng > dag.png
    """
    from ..api import UsageError, validate as run_validate
    from ..graph.render import to_dot, to_mermaid
    from .report import report

    if fmt not in ("mermaid", "dot"):
        raise usage_error(f"unknown format '{fmt}' (mermaid, dot)")
    try:
        result = run_validate(file, profiles=[profile] if profile else None, targets=None,
                              limits=opt.limits(max_file_size), phase7="selected")
    except UsageError as exc:
        raise usage_error(str(exc)) from None
    if not result.ok:
        raise typer.Exit(report(result.diagnostics, "text"))
    g = result.graphs[profile]
    title = result.configs[profile].doc.project.name
    sys.stdout.write(to_mermaid(g) if fmt == "mermaid" else to_dot(g, title))
