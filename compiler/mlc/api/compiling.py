"""`mlc compile`: validate, build the plan and the target's settings, lower, render, write;
E405 on the rendered sizes."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field

from .. import __version__
from ..diagnostics import Diagnostic, sort_diagnostics
from ..record import MutableRecord
from ..source import Limits
from ..spec.registry import COMPILE_TARGETS, REGISTRY
from .lowering import render_target
from .validation import UsageError, validate


@dataclass(eq=False, repr=False)
class CompileResult(MutableRecord):
    """What `compile` produced: files by relative path, and how they compare on disk."""

    diagnostics: list[Diagnostic]
    target: str
    directory: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    write: object = None  # render.WriteResult

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def compile(path: str, *, target: str, profile: str | None = None, out: str = "build",  # noqa: A001
            kind: str = "template", mode: str = "write",
            limits: Limits = Limits(), rbac: bool = False) -> CompileResult:
    """Validate (base 1-6, the selected configuration 1-7 for `target`), lower, render, write.

    Nothing is written unless every phase passed and `mode` is "write".
    """
    from ..render import WriteMode, apply

    if target not in COMPILE_TARGETS:
        raise UsageError(f"unknown target '{target}' (choose from {', '.join(COMPILE_TARGETS)})")
    lowering = REGISTRY[target].lowering
    if lowering is None:
        raise UsageError(f"mlc {__version__} cannot compile for {target} yet; `mlc validate "
                         f"--target {target}` checks a pipeline against its rules")
    if kind not in ("template", "workflow"):
        raise UsageError(f"unknown kind '{kind}' (template, workflow)")
    if rbac and target != "argo":
        raise UsageError("--rbac is for --target argo (the Role its service account needs)")
    result = validate(path, profiles=[profile] if profile else None, targets=[target],
                      limits=limits, phase7="selected", sizes=False)
    outcome = CompileResult(result.diagnostics, target)
    if not result.ok:
        return outcome
    rendered = render_target(result.configs[profile], result.graphs[profile], target, kind,
                             os.path.basename(path), rbac=rbac)
    files = rendered.files
    outcome.diagnostics = sort_diagnostics(result.diagnostics + rendered.diagnostics,
                                           result.profiles)
    if not outcome.ok:
        return outcome
    directory = os.path.join(out, target)
    outcome.directory, outcome.files = directory, files
    from pathlib import Path

    try:
        outcome.write = apply(Path(directory), files, WriteMode(mode),
                              f"{out}/{target}".lstrip("./"))
    except (FileExistsError, NotADirectoryError) as exc:
        raise UsageError(f"cannot write {directory}: {exc.filename} is a file, not a folder"
                         ) from None
    except OSError as exc:
        hint = " (is it a mount point?)" if exc.errno == errno.EBUSY else ""
        raise UsageError(f"cannot write {directory}: {exc.strerror or exc}{hint}") from None
    return outcome
