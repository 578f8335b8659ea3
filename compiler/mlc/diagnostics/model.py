"""The one diagnostic type every stage returns (SPEC 9.2)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from ..record import Record

Severity = Literal["error", "warning"]

# Characters that print as nothing, or reorder what follows (zero-width, bidi controls, BOM):
# a message shows them escaped, so `unknown key 'retries\u200b'` says why the key is unknown.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u206f\ufeff\ufff9-\ufffb]")


def visible(text: str) -> str:
    """`text` with invisible and direction-changing characters written as `\\uXXXX`."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Note(Record):
    """A continuation line. Located notes render with their own `file:line:col:` prefix."""

    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", visible(self.message))

    def to_dict(self) -> dict:
        return {"message": self.message, "file": self.file, "line": self.line, "col": self.col}


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Diagnostic(Record):
    """A problem in user input, located at a 1-based line and a column in code points."""

    code: str
    message: str
    file: str
    line: int
    col: int
    hint: str | None = None
    notes: tuple[Note, ...] = ()
    profile: str | None = None
    target: str | None = None
    path: tuple = field(default=(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", visible(self.message))
        if self.hint is not None:
            object.__setattr__(self, "hint", visible(self.hint))

    @property
    def severity(self) -> Severity:
        return "warning" if self.code.startswith("W") else "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def tagged(self, *, profile: str | None = None, target: str | None = None) -> Diagnostic:
        """The same diagnostic attributed to a profile and/or target configuration."""
        return replace(
            self,
            profile=profile if profile is not None else self.profile,
            target=target if target is not None else self.target,
        )

    def full_message(self) -> str:
        """The message with its `[profile P]` / `[target T]` tags, as printed."""
        tags = ""
        if self.profile:
            tags += f"[profile {self.profile}] "
        if self.target:
            tags += f"[target {self.target}] "
        return tags + self.message

    def check_tuple(self) -> tuple[str, int, int]:
        """(code, line, col): what tests compare."""
        return (self.code, self.line, self.col)

    def identity(self) -> tuple:
        """What makes two diagnostics 'identical' when deduplicating a profile against the base."""
        return (self.code, self.file, self.line, self.col, self.message, self.target)

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "profile": self.profile,
            "target": self.target,
            "help": self.hint,
            "notes": [n.to_dict() for n in self.notes],
        }


def sort_diagnostics(diags: list[Diagnostic], profile_order: list[str] | None = None) -> list[Diagnostic]:
    """SPEC 9.2 order: base first, then profiles in file order; each by line, column, code."""
    order = {name: i + 1 for i, name in enumerate(profile_order or [])}

    def key(d: Diagnostic) -> tuple:
        return (order.get(d.profile, len(order) + 1) if d.profile else 0, d.line, d.col, d.code,
                d.target or "", d.message)

    return sorted(diags, key=key)


def exit_code(diags: list[Diagnostic], *, strict: bool = False) -> int:
    """SPEC 9.1: 1 if any error (or any warning with --strict), else 0."""
    if any(d.is_error for d in diags):
        return 1
    if strict and diags:
        return 1
    return 0
