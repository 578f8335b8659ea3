"""`mlc init`: render a template, validate it, write it, compile its targets."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..record import MutableRecord
from ..spec.registry import COMPILE_TARGETS
from .compiling import compile
from .validation import UsageError, validate


@dataclass(eq=False, repr=False)
class InitResult(MutableRecord):
    """What `mlc init` wrote, compiled and ran."""

    directory: str
    template: str
    name: str
    files: list[str]
    compiled: list[str] = field(default_factory=list)
    post_init: list[tuple[str, bool, str]] = field(default_factory=list)  # script, ok, output
    run: str = "mlc run"


def init_templates() -> dict[str, str]:
    """Template name -> one-line description (for prompts and --help)."""
    from ..scaffold import TemplateError, available

    try:
        return {name: t.description for name, t in available().items()}
    except TemplateError as exc:
        raise UsageError(str(exc)) from None


def init(directory: str, *, template: str = "minimal", name: str | None = None,
         force: bool = False, post_init: bool = True) -> InitResult:
    """Scaffold a project: render the template in memory, validate its mlc.yaml, write the
    files, compile the configured targets into build/ (CI checks them), run the template's
    post-init scripts (e.g. the dev data). UsageError for a bad template, name or directory."""
    import subprocess
    import sys
    from pathlib import Path

    from ..scaffold import (
        TemplateError,
        available,
        check_name,
        occupied,
        project_name,
        render,
        write,
    )

    templates = available()
    if template not in templates:
        raise UsageError(f"unknown template '{template}' (templates: {', '.join(templates)})")
    target_dir = Path(directory)
    name = name or project_name(target_dir.resolve().name)
    problem = check_name(name)
    if problem:
        raise UsageError(problem)
    if target_dir.exists() and not target_dir.is_dir():
        raise UsageError(f"{directory} is a file; give a directory for the new project")
    present = occupied(target_dir)
    if present and not force:
        shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
        raise UsageError(f"{directory} is not empty ({shown}); choose an empty directory or "
                         "pass --force to write over the template's files")

    def checks_of(data: bytes) -> tuple[list[dict], list[str]]:
        result = validate("mlc.yaml", data=data)
        if not result.ok:  # a shipped template must be valid: this is mlc's bug
            raise RuntimeError("template mlc.yaml is invalid: " + str(result.errors[0]))
        checks = []
        for profile, cfg in result.configs.items():
            block = cfg.doc.targets
            for t in COMPILE_TARGETS:
                if block is None or getattr(block, t) is None:
                    continue
                args = ["--target", t]
                if profile is not None:
                    args += ["--profile", profile, "--out", f"build/{profile}"]
                checks.append({"target": t, "profile": profile, "args": args,
                               "out": f"build/{profile}" if profile else "build",
                               "label": t if profile is None else f"{t}, {profile}"})
        return checks, result.profiles

    try:
        files, variables = render(templates[template], name, checks_of)
    except TemplateError as exc:
        raise UsageError(str(exc)) from None
    try:
        write(target_dir, files)
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or directory}: {exc.strerror}") from None
    outcome = InitResult(str(target_dir), template, name, sorted(files),
                         run=templates[template].run)
    mlc_file = str(target_dir / "mlc.yaml")
    for check in variables["compile_checks"]:
        done = compile(mlc_file, target=check["target"], profile=check["profile"],
                       out=str(target_dir / check["out"]))
        if not done.ok:
            raise RuntimeError("template does not compile: " + str(done.diagnostics[0]))
        outcome.compiled += [f"{check['out']}/{check['target']}/{f}" for f in done.files]
    for script in templates[template].post_init if post_init else []:
        done = subprocess.run([sys.executable, script], cwd=target_dir, capture_output=True,
                              text=True)
        output = (done.stdout + done.stderr).strip()
        outcome.post_init.append((script, done.returncode == 0, output))
    return outcome
