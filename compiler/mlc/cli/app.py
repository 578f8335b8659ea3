"""mlc commands. Options are declared once in `options.py` and reused."""

from __future__ import annotations

import shlex
import sys
from typing import Optional

import typer

from .. import __version__
from . import options as opt
from .help import Command
from .memory import settle

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


@app.command(cls=Command)
def validate(
    files: Optional[list[str]] = typer.Argument(  # noqa: UP007
        None, metavar="FILE", show_default=False,
        help="The mlc files (default: ./mlc.yaml); several are checked as one report."),
    profile: Optional[list[str]] = opt.PROFILES,  # noqa: UP007
    target: Optional[list[str]] = opt.TARGETS,  # noqa: UP007
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on warnings too."),
    fmt: str = opt.FORMAT,
    max_file_size: str = opt.MAX_FILE_SIZE,
) -> None:
    """Check FILE and report every problem at once, as file:line:col with a hint.

    Covers the base document and every profile (or only the --profile ones); target rules run
    for --target, else for each configuration's own targets. Several files (as pre-commit
    passes them) give one report and one exit code.

    Examples:

    \b
      mlc validate                          # ./mlc.yaml, every profile, its own targets
      mlc validate mlc.yaml --profile dev --target local
      mlc validate --format json > diagnostics.json
      mlc validate --format github          # annotations in a GitHub Actions job
    """
    from ..api import UsageError, validate as run_validate
    from .report import report

    settle()
    diags = []
    try:
        for file in files or ["mlc.yaml"]:
            result = run_validate(file, profiles=profile or None, targets=target or None,
                                  limits=opt.limits(max_file_size))
            diags += result.diagnostics
    except UsageError as exc:
        raise usage_error(str(exc)) from None
    raise typer.Exit(report(diags, fmt, strict=strict))


@app.command(cls=Command)
def compile(  # noqa: A001 - the command is called compile
    file: str = opt.FILE,
    target: str = typer.Option(..., "--target", "-t", metavar="TARGET",
                              help="argo, kubeflow or stepfunctions."),
    profile: Optional[str] = opt.PROFILE,  # noqa: UP007
    out: str = typer.Option("build", "--out", "-o", metavar="DIR", help="Output root; mlc owns <out>/<target>/."),
    kind: str = typer.Option("template", "--kind", metavar="KIND",
                             help="argo: template (WorkflowTemplate [+ CronWorkflow]) or workflow "
                                  "(adds a Workflow that runs it)."),
    rbac: bool = typer.Option(False, "--rbac", help="argo: also write rbac.yaml, the Role and "
                                                    "RoleBinding its service account needs."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if any file would "
                                                      "be added, changed or removed."),
    diff: bool = typer.Option(False, "--diff", help="Print a unified diff of what would change; "
                                                    "exit like --check."),
    stdout: bool = typer.Option(False, "--stdout", help="Print the documents instead of writing."),
    max_file_size: str = opt.MAX_FILE_SIZE,
) -> None:
    """Compile FILE for a production orchestrator, deterministically (same input, same bytes).

    Writes <out>/<target>/ atomically: argo/workflow.yaml, kubeflow/pipeline.yaml,
    stepfunctions/statemachine.asl.json and template.yaml.

    Examples:

    \b
      mlc compile --target argo                       # ./mlc.yaml -> build/argo/workflow.yaml
      mlc compile mlc.yaml --target argo --profile prod --kind workflow
      mlc compile --target argo --check               # in CI: are committed outputs current?
      mlc compile --target argo --rbac                # also build/argo/rbac.yaml
    """
    from ..api import UsageError, compile as run_compile
    from ..render import WriteMode
    from .report import report

    settle()

    if sum((check, diff, stdout)) > 1:
        raise usage_error("--check, --diff and --stdout exclude each other")
    mode = WriteMode.from_flags(check, diff, stdout)
    try:
        result = run_compile(file, target=target, profile=profile, out=out, kind=kind,
                             mode="write" if mode is WriteMode.WRITE else "check",
                             limits=opt.limits(max_file_size), rbac=rbac)
    except UsageError as exc:
        raise usage_error(str(exc)) from None
    if not result.ok:
        raise typer.Exit(report(result.diagnostics, "text"))
    if result.diagnostics:
        report(result.diagnostics, "text")
    again = ["mlc", "compile"] + ([file] if file != "mlc.yaml" else []) + ["--target", target]
    again += (["--profile", profile] if profile else []) + \
        (["--out", out] if out != "build" else []) + \
        (["--kind", kind] if kind != "template" else []) + (["--rbac"] if rbac else []) + \
        (["--max-file-size", max_file_size] if max_file_size != opt.DEFAULT_MAX_FILE_SIZE else [])
    raise typer.Exit(_compile_output(result, mode, shlex.join(again)))


def _compile_output(result, mode, again: str) -> int:
    from ..render import WriteMode

    written = result.write
    if mode is WriteMode.STDOUT:
        for name, data in result.files.items():
            sys.stdout.write(data.decode("utf-8"))
        return 0
    if mode is WriteMode.DIFF:
        sys.stdout.write(written.diff)
    if mode in (WriteMode.CHECK, WriteMode.DIFF):
        for label, names in (("missing", written.added), ("stale", written.changed),
                             ("extra", written.removed)):
            for name in names:
                sys.stderr.write(f"mlc: {label}: {result.directory}/{name}\n")
        if written.stale:
            sys.stderr.write(f"mlc: {result.directory} is out of date; run {again}\n")
            return 1
        sys.stderr.write(f"mlc: {result.directory} is up to date\n")
        return 0
    for name, data in result.files.items():
        state = "wrote" if written.written else "unchanged"
        sys.stderr.write(f"mlc: {state} {result.directory}/{name} ({len(data)} bytes)\n")
    return 0


@app.command(cls=Command)
def run(
    file: str = opt.FILE,
    profile: Optional[str] = opt.PROFILE,  # noqa: UP007
    param: Optional[list[str]] = typer.Option(None, "--param", metavar="NAME=VALUE",  # noqa: UP007
                                              help="NAME=VALUE, typed per param (lists as JSON)."),
    run_id: Optional[str] = typer.Option(None, "--run-id", metavar="ID", help="Name of the run folder."),  # noqa: UP007
    parallel: Optional[int] = typer.Option(None, "--parallel", "-j", metavar="N",  # noqa: UP007
                                           help="At most this many tasks at once (default: CPUs)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Run everything; use no cache."),
    secrets_dir: Optional[str] = typer.Option(None, "--secrets-dir", metavar="DIR",  # noqa: UP007
                                              help="Secrets as <name>/<key> files "
                                                   "(default ~/.config/mlc/secrets)."),
    max_file_size: str = opt.MAX_FILE_SIZE,
) -> None:
    """Run the pipeline on this machine: the same DAG, fan-out, sweeps, gates, retries and caching
    as on the orchestrators, as local processes. Deploy steps are rendered, not applied.

    Writes .mlc/runs/<run-id>/ next to FILE (run.json, run.log, each task's config, logs and
    outputs) and caches task outputs in .mlc/cache/. Exit codes: 0 succeeded, 1 failed (a step
    or a gate), 2 usage error, 130 interrupted.

    Examples:

    \b
      mlc run examples/minimal/mlc.yaml
      mlc run examples/churn/mlc.yaml --profile dev --param min_auc=0.65
      mlc run --no-cache --parallel 4
    """
    from ..api import UsageError, run as run_pipeline
    from .report import report

    try:
        diags, outcome = run_pipeline(file, profile=profile, params=param or [], run_id=run_id,
                                      parallel=parallel, no_cache=no_cache,
                                      secrets_dir=secrets_dir, limits=opt.limits(max_file_size))
    except UsageError as exc:
        raise usage_error(str(exc)) from None
    if outcome is None:
        raise typer.Exit(report(diags, "text"))
    if diags:
        report(diags, "text")
    sys.stderr.write(outcome.summary)
    raise typer.Exit(outcome.exit_code)


@app.command(cls=Command)
def diff(
    base: str = typer.Argument(..., metavar="BASE", help="The old mlc file, or REV:path (e.g. main:mlc.yaml)."),
    head: str = typer.Argument(..., metavar="HEAD", help="The new mlc file, or REV:path."),
    fmt: str = typer.Option("text", "--format", "-f", metavar="FORMAT",
                            help="text (terminal), markdown (a PR comment), json (tools)."),
    exit_code: bool = typer.Option(False, "--exit-code",
                                   help="Exit 1 when anything changed, like git diff."),
    max_file_size: str = opt.MAX_FILE_SIZE,
) -> None:
    """Semantic diff of two mlc files: what the pipeline does differently, per profile.

    Steps added, removed and changed field by field, dependency edges, fan-out (the expansion
    estimate), resources, gates, rollout plans, schedule and settings. Comments, key order and
    values equal to their defaults do not count. The markdown form is ready to post as a
    pull-request comment, with a Mermaid picture of the DAG.

    Exit codes: 0 compared (1 with --exit-code when anything changed), 1 a side has errors,
    2 usage error (a missing file, an unknown revision).

    Examples:

    \b
      mlc diff old/mlc.yaml mlc.yaml
      mlc diff main:mlc.yaml mlc.yaml --format markdown > comment.md
      mlc diff HEAD~1:examples/churn/mlc.yaml examples/churn/mlc.yaml --exit-code
    """
    from ..api import UsageError, diff as diff_files
    from ..diff.render import RENDERERS
    from .report import report

    if fmt not in RENDERERS:
        raise usage_error(f"unknown format '{fmt}' (choose from {', '.join(RENDERERS)})")
    try:
        diags, result = diff_files(base, head, limits=opt.limits(max_file_size))
    except UsageError as exc:
        raise usage_error(str(exc)) from None
    if result is None:  # a side does not validate: say so where the diff would have gone
        sys.stdout.write(_no_diff(fmt, base, head, diags))
        report(diags, "text")
        raise typer.Exit(1)
    sys.stdout.write(RENDERERS[fmt](result))
    raise typer.Exit(1 if exit_code and result.changed else 0)


def _no_diff(fmt: str, base: str, head: str, diags: list) -> str:
    """What `mlc diff` prints instead of a diff when BASE or HEAD has errors."""
    import json

    errors = {side: sum(1 for d in diags if d.is_error and d.file == spec)
              for side, spec in (("base", base), ("head", head))}
    broken = [(side, spec) for side, spec in (("base", base), ("head", head)) if errors[side]]
    if fmt == "json":
        return json.dumps({"base": base, "head": head, "status": "error",
                           "errors": errors}, indent=2) + "\n"
    parts = [f"{side.upper()} ({spec}) has {errors[side]} error"
             f"{'s' if errors[side] != 1 else ''}" for side, spec in broken]
    what = " and ".join(parts)
    if fmt == "markdown":
        fixes = ", ".join(f"`mlc validate {spec}`" for _, spec in broken)
        return f"**mlc diff**: {what}, so there is nothing to compare yet. Run {fixes}.\n"
    return f"mlc diff: {what}; nothing to compare (the diagnostics follow on stderr)\n"


@app.command(cls=Command)
def init(
    directory: str = typer.Argument(".", metavar="DIR", show_default=False,
                                    help="Where to create the project (default: here)."),
    template: Optional[str] = typer.Option(  # noqa: UP007
        None, "--template", "-t", metavar="NAME", help="minimal or churn (asked on a terminal; else minimal)."),
    name: Optional[str] = typer.Option(  # noqa: UP007
        None, "--name", "-n", metavar="NAME", help="Project name (asked on a terminal; else from DIR)."),
    force: bool = typer.Option(False, "--force",
                               help="Write into a non-empty DIR (the template's files win)."),
    no_data: bool = typer.Option(False, "--no-data",
                                 help="Skip the template's post-init scripts (dev data)."),
) -> None:
    """Create a project from a template: mlc.yaml, working step code and small data, a README,
    a GitHub Actions workflow and a pre-commit config. The result passes `mlc validate` and
    runs with no edits.

    On a terminal, mlc asks for what the flags do not say; elsewhere it takes the defaults.
    Compiled definitions of the configured targets are written to build/ (CI checks them).

    Examples:

    \b
      mlc init my-project
      mlc init churn-de --template churn --name churn-de
      mlc init . --template minimal --force
    """
    from pathlib import Path

    from ..api import UsageError, init as run_init, init_templates
    from ..scaffold import check_name, project_name

    try:
        templates = init_templates()
        if template is None and sys.stdin.isatty():
            for key, text in templates.items():
                sys.stderr.write(f"  {key:8} {text}\n")
            while template not in templates:
                template = typer.prompt(f"Template ({', '.join(templates)})",
                                        default="minimal", err=True)
        if name is None and sys.stdin.isatty():
            default = project_name(Path(directory).resolve().name)
            while True:
                name = typer.prompt("Project name", default=default, err=True)
                problem = check_name(name)
                if not problem:
                    break
                sys.stderr.write(f"mlc: {problem}\n")
        result = run_init(directory, template=template or "minimal", name=name, force=force,
                          post_init=not no_data)
    except UsageError as exc:
        raise usage_error(str(exc)) from None
    where = result.directory
    sys.stderr.write(f"mlc: created {where} from template {result.template} "
                     f"(project {result.name}, {len(result.files)} files)\n")
    for path in result.compiled:
        sys.stderr.write(f"mlc: compiled {path}\n")
    failed = False
    for script, ok, output in result.post_init:
        if ok:
            sys.stderr.write(f"mlc: ran python {script}\n")
        else:
            failed = True
            last = output.splitlines()[-1] if output else "no output"
            sys.stderr.write(f"mlc: warning: python {script} failed: {last}\n"
                             "    help: pip install -r requirements.txt, then run "
                             f"python {script} in {shlex.quote(where)}\n")
    sys.stderr.write("\nNext:\n")
    if where not in (".", "./"):
        sys.stderr.write(f"  cd {shlex.quote(where)}\n")
    sys.stderr.write("  pip install -r requirements.txt   # the step code's libraries\n")
    if failed:
        for script, ok, _ in result.post_init:
            if not ok:
                sys.stderr.write(f"  python {script}\n")
    sys.stderr.write(f"  mlc validate\n  {result.run}\n")


@app.command(cls=Command)
def schema() -> None:
    """Print the JSON Schema of mlc/v1 (for editors and other tools).

    Example:

    \b
      mlc schema > mlc-v1.schema.json
    """
    from ..spec.jsonschema import schema_text

    sys.stdout.write(schema_text())


@app.command(cls=Command)
def explain(code: str = typer.Argument(..., metavar="CODE",
                                       help="A diagnostic code such as E202, or 202.")) -> None:
    """Explain a diagnostic code: what it catches, why, an example and the fix.

    Example:

    \b
      mlc explain E202
    """
    from ..diagnostics import REGISTRY, lookup

    entry = lookup(code)
    if entry is None:
        raise usage_error(f"unknown code '{code}'; codes: {', '.join(REGISTRY)}")
    sys.stdout.write(entry.explain())


@app.command(cls=Command)
def graph(
    file: str = opt.FILE,
    profile: Optional[str] = opt.PROFILE,  # noqa: UP007
    fmt: str = typer.Option("mermaid", "--format", "-f", metavar="FORMAT", help="mermaid or dot."),
    max_file_size: str = opt.MAX_FILE_SIZE,
) -> None:
    """Print the pipeline DAG as Mermaid or Graphviz DOT text.

    Examples:

    \b
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
