"""One configuration being checked: the base document, or the base with one profile merged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..diagnostics import Diagnostic, Note
from ..record import MutableRecord
from ..source import Source, Span, locate

if TYPE_CHECKING:
    from .models import Document
    from .references import RefTable


@dataclass(eq=False, repr=False)
class Config(MutableRecord):
    """One configuration of a file (the base or a profile): tree, model, references."""

    source: Source
    root: Any
    doc: Document
    profile: str | None = None
    refs: RefTable | None = field(default=None, repr=False)
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """`compute()` once per configuration: what validation derives from the document
        (the Argo split, say) and the plan reads again. The document is frozen, so a value
        never goes stale."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute()
            return value

    @property
    def file(self) -> str:
        return self.source.file

    def span(self, path: tuple, *, key: bool = False) -> Span:
        return locate(self.root, path, key=key)

    def at(self, code: str, message: str, span: Span | tuple[int, int], *,
           hint: str | None = None, notes: tuple[Note, ...] = (), path: tuple = (),
           target: str | None = None) -> Diagnostic:
        line, col = (span.line, span.col) if isinstance(span, Span) else span
        return Diagnostic(code, message, self.file, line, col, hint=hint, notes=notes,
                          profile=self.profile, target=target, path=path)

    def diag(self, code: str, message: str, path: tuple, *, key: bool = False,
             hint: str | None = None, notes: tuple[Note, ...] = (),
             target: str | None = None) -> Diagnostic:
        """A diagnostic located at the value (or key) at `path` in this configuration."""
        return self.at(code, message, self.span(path, key=key), hint=hint, notes=notes,
                       path=path, target=target)

    def note(self, message: str, path: tuple, *, key: bool = False) -> Note:
        span = self.span(path, key=key)
        return Note(message, self.file, span.line, span.col)

    def where(self, path: tuple, *, key: bool = False) -> str:
        span = self.span(path, key=key)
        return f"{span.line}:{span.col}"
