"""`mlc diff`: the two sides, read from files or git revisions (`REV:path`), compared."""

from __future__ import annotations

import os

from ..diagnostics import Diagnostic
from ..source import Limits
from .validation import UsageError, validate


def read_revision(spec: str, limits: Limits = Limits()) -> bytes:
    """The bytes of BASE or HEAD for `mlc diff`: a file, or `REV:path` through `git show`.

    The path of `REV:path` is git's: relative to the repository root, or to the current
    directory with `./`; when git finds nothing at the root-relative path, `./path` is tried.
    """
    import subprocess

    if os.path.isfile(spec):
        try:
            with open(spec, "rb") as fh:
                return fh.read(limits.max_file_size + 1)
        except OSError as exc:
            raise UsageError(f"{spec}: cannot read: {exc.strerror}") from None
    if os.path.isdir(spec):
        raise UsageError(f"{spec} is a directory; give the mlc.yaml file")
    rev, sep, rel = spec.partition(":")
    if not sep or not rel:
        raise UsageError(f"{spec}: no such file (a git revision is written REV:path, "
                         "e.g. main:mlc.yaml)")
    attempts = [f"{rev}:{rel}"]
    if not rel.startswith(("./", "../", "/")):
        attempts.append(f"{rev}:./{rel}")
    message = ""
    for obj in attempts:
        try:
            done = subprocess.run(["git", "show", obj], capture_output=True)
        except FileNotFoundError:
            raise UsageError(f"{spec}: git is not installed, so REV:path cannot be read") from None
        if done.returncode == 0:
            return done.stdout
        if not message and done.stderr.strip():  # git's first complaint is the clearest
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()[0]
    raise UsageError(f"{spec}: {message or 'git show failed'}")


def diff(base: str, head: str, *, limits: Limits = Limits()):
    """Validate BASE and HEAD (files or REV:path) and compare them (`mlc diff`).

    Returns (diagnostics, Diff | None): None when either side has errors (phases 1-6; target
    rules are not needed to compare two pipelines). UsageError for an unreadable side.
    """
    from ..diff import Side
    from ..diff import diff as compare

    sides = []
    diags: list[Diagnostic] = []
    for spec in (base, head):
        result = validate(spec, limits=limits, phase7="none",
                          data=read_revision(spec, limits))
        diags += result.diagnostics
        sides.append(Side(spec, result.configs, result.graphs, result.profiles)
                     if result.ok else None)
    if any(side is None for side in sides):
        return diags, None
    return diags, compare(sides[0], sides[1])
