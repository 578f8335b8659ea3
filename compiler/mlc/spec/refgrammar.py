"""The `${{ context.path }}` grammar (SPEC 5.1): parse a string into text and references.

```
reference = "${{" ws path ws "}}"         ws   = { " " }
path      = context "." name { "." name }  name = lower { lower | digit | "_" }    (* <= 40 *)
escape    = "$${{"                         (* literal "${{" *)
```
Foreign template syntax (`${item}`, `{{inputs.parameters.x}}`, `{{ var }}`) is reported, never
passed through. Pure functions; no positions beyond offsets into the string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..diagnostics.suggest import close_match
from ..record import Record

CONTEXTS = ("params", "secrets", "sources", "steps", "inputs", "outputs", "foreach",
            "search_space", "run")
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
_REF = re.compile(r"\$\{\{( *)([^}]*?)( *)\}\}")
_DVC = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")
_MUSTACHE = re.compile(r"\{\{(.*?)\}\}", re.S)
_EXPRESSION = re.compile(r"[|()\[\]+*/<>=!&,'\"]")  # a body with these is an expression


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Ref(Record):
    """One reference: `context.parts...` found at `start` (the `$`) up to `end` in the string."""

    context: str
    parts: tuple[str, ...]
    start: int
    end: int
    text: str
    offsets: tuple[int, ...]  # offset of the context and of each part, relative to `start`

    @property
    def path(self) -> str:
        return ".".join((self.context, *self.parts))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class RefError(Record):
    """A malformed reference or foreign template syntax (E200, E201)."""

    code: str  # E200 or E201
    start: int
    message: str
    hint: str | None = None
    # A Jinja-style `{{ name }}`: E200 only when `name` is a param, foreach dimension or
    # hyperparameter of the file (SPEC 5.1); any other `{{` is literal text. The grammar does
    # not know the file, so the reference checker decides.
    jinja_name: str | None = None


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Template(Record):
    """A string split into literal text and references (`$${{` already unescaped)."""

    source: str
    pieces: tuple[str | Ref, ...]
    refs: tuple[Ref, ...]  # the pieces that are references (validation reads them often)

    @property
    def is_binding(self) -> bool:
        """Exactly one reference and nothing else (SPEC 5.3)."""
        return len(self.pieces) == 1 and isinstance(self.pieces[0], Ref)

    @property
    def literal(self) -> str:
        return "".join(p for p in self.pieces if isinstance(p, str))


def has_template_syntax(text: str) -> bool:
    """Cheap pre-check: could this string hold a reference or foreign syntax?"""
    return "{" in text


def parse_template(text: str) -> tuple[Template, list[RefError]]:
    """Split `text` into pieces; report malformed references and foreign syntax. Validation,
    the plan and the lowerings each parse a step's strings, so results are kept (both parts
    are immutable; the caller gets its own list)."""
    template, errors = _parse_cached(text)
    return template, list(errors)


@lru_cache(maxsize=1 << 16)
def _parse_cached(text: str) -> tuple[Template, tuple[RefError, ...]]:
    template, errors = _parse(text)
    return template, tuple(errors)


# A string that is one well-formed reference and nothing else (most inputs: a binding), which
# `_parse` would split the same way
_BINDING = re.compile(r"\$\{\{( *)([a-z_]+(?:\.[a-z][a-z0-9_]{0,39})+)( *)\}\}\Z")


def _parse(text: str) -> tuple[Template, list[RefError]]:
    m = _BINDING.match(text)
    if m is not None:
        parts = m.group(2).split(".")
        if parts[0] in CONTEXTS:
            offsets, pos = [], 3 + len(m.group(1))
            for p in parts:
                offsets.append(pos)
                pos += len(p) + 1
            ref = Ref(parts[0], tuple(parts[1:]), 0, len(text), text, tuple(offsets))
            return Template(text, (ref,), (ref,)), []
    pieces: list[str | Ref] = []
    errors: list[RefError] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        at = text.find("{", i)
        if at < 0:
            buf.append(text[i:])
            break
        if at >= 2 and text.startswith("$${{", at - 2):  # escape: literal ${{
            buf.append(text[i:at - 2] + "${{")
            i = at + 2
            continue
        if at >= 1 and text[at - 1] == "$" and text.startswith("{{", at):
            buf.append(text[i:at - 1])
            ref, err, i = _reference(text, at - 1)
            if err is not None:
                errors.append(err)
                buf.append(text[at - 1:i])
            else:
                if buf:
                    pieces.append("".join(buf))
                    buf = []
                pieces.append(ref)
            continue
        if at >= 1 and text[at - 1] == "$":  # ${...}: DVC when it has a dot or is item/key
            m = _DVC.match(text, at - 1)
            if m and ("." in m.group(1) or m.group(1) in ("item", "key")):
                errors.append(_dvc(m))
            buf.append(text[i:at + 1])
            i = at + 1
            continue
        if text.startswith("{{", at):
            m = _MUSTACHE.match(text, at)
            found = _mustache(m) if m else None
            if found is not None:
                errors.append(found)
                buf.append(text[i:m.end()])
                i = m.end()
                continue
        buf.append(text[i:at + 1])
        i = at + 1
    if buf and "".join(buf):
        pieces.append("".join(buf))
    merged = tuple(_merge_text(pieces))
    return Template(text, merged, tuple(p for p in merged if type(p) is Ref)), errors


def _merge_text(pieces: list[str | Ref]) -> list[str | Ref]:
    out: list[str | Ref] = []
    for p in pieces:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        elif type(p) is Ref or p != "":
            out.append(p)
    return out


def _reference(text: str, start: int) -> tuple[Ref | None, RefError | None, int]:
    m = _REF.match(text, start)
    if m is None:
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        return None, RefError("E201", start, "unterminated reference: '${{' without '}}'",
                              "close it: ${{ context.name }}; write $${{ for a literal ${{"), end
    body = m.group(2)
    lead = 3 + len(m.group(1))
    raw = text[start:m.end()]
    if not body:
        return None, RefError("E201", start, "empty reference '${{ }}'",
                              "write ${{ context.name }}"), m.end()
    if _EXPRESSION.search(body):
        return None, RefError("E201", start, f"'{raw}' is not a valid reference: mlc has no "
                              "expression language", "compute the value in a step, or declare "
                              "a param with a default"), m.end()
    parts = body.split(".")
    bad = [p for p in parts[1:] if not NAME.match(p)]
    if parts[0] not in CONTEXTS:  # (each context is a word of [a-z_])
        guess = close_match(parts[0], CONTEXTS) if re.fullmatch(r"[\w-]+", parts[0]) else None
        hint = (f"did you mean '{guess}'?" if guess else
                "contexts: " + ", ".join(CONTEXTS))
        return None, RefError("E201", start, f"'{raw}' is not a valid reference: unknown context "
                              f"'{parts[0]}'", hint), m.end()
    if len(parts) < 2 or bad:
        what = f"'{bad[0]}' is not a valid name" if bad else "a name is missing after the context"
        return None, RefError("E201", start, f"'{raw}' is not a valid reference: {what}",
                              "names are lower-case letters, digits and _ (at most 40)"), m.end()
    offsets, pos = [], lead
    for p in parts:
        offsets.append(pos)
        pos += len(p) + 1
    ref = Ref(parts[0], tuple(parts[1:]), start, m.end(), raw, tuple(offsets))
    return ref, None, m.end()


def _dvc(m: re.Match) -> RefError:
    parts = m.group(1).split(".")
    if parts[0] in ("item", "key"):
        path = "foreach." + ".".join(parts[1:]) if len(parts) > 1 else "foreach.<dim>"
    elif parts[0] in CONTEXTS:
        path = m.group(1)
    else:
        path = "params." + m.group(1)
    return RefError("E200", m.start(), f"'{m.group(0)}' is DVC syntax; write ${{{{ {path} }}}}")


_JINJA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _mustache(m: re.Match) -> RefError | None:
    """E200 for `{{...}}` spellings of Argo that name something mlc has, a candidate for a
    Jinja `{{ name }}`, None for any other `{{` (a Go template: literal text)."""
    inner = m.group(1).strip()
    argo = re.match(r"(inputs\.parameters|inputs\.artifacts|workflow|item|tasks|steps)\b",
                    inner)
    if argo:
        tail = inner.split(".")[-1]
        if inner.startswith("inputs."):
            path = f"inputs.{tail}"
        elif inner.startswith("item"):
            path = "foreach." + (tail if "." in inner else "<dim>")
        elif inner.startswith("workflow."):
            path = "run.id" if "name" in inner or "uid" in inner else "run.started_at"
        else:
            path = "steps.<step>.outputs.<output>"
        return RefError("E200", m.start(),
                        f"'{m.group(0)}' is Argo template syntax; write ${{{{ {path} }}}}")
    if not _JINJA_NAME.match(inner):
        return None
    return RefError("E200", m.start(), f"'{m.group(0)}' is Jinja syntax; write "
                    f"${{{{ params.{inner} }}}}", "mlc resolves only ${{ context.path }}",
                    jinja_name=inner)
