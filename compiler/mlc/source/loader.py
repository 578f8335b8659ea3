"""Read bytes into a positioned tree, rejecting hostile input fast (SPEC 9.3).

The tree is built from libyaml's event stream (PyYAML's C `CParser`), not from a round-trip
loader: libyaml gives line and column of every event at C speed, and counting nodes and depth
on the events (with memoised anchor sizes) bounds alias bombs before any tree exists.
See docs/architecture.md for the measurements behind this choice.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from ..diagnostics import Diagnostic
from ..record import MutableRecord, Record
from .resolve import (
    CORE_COLLECTION_TAGS,
    CORE_SCALAR_TAGS,
    TAG_PREFIX,
    YAML11_BOOLEANS,
    BadScalar,
    resolve_plain,
    resolve_tagged,
)
from .tree import Span, YMap, YSeq, dotted

try:  # libyaml; the pure-Python parser is a slow but correct fallback
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _PyParser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _PyParser.__init__(self)


MiB = 1024 * 1024
# YAML 1.2 c-printable, minus what libyaml refuses (https://yaml.org/spec/1.2.2/#51-character-set)
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd"
                            "\U00010000-\U0010ffff]")


@dataclass(frozen=True, eq=False, repr=False)
class Limits(Record):
    """Hostile-input bounds (SPEC 9.3); `--max-file-size` overrides the first."""

    max_file_size: int = 10 * MiB
    max_nodes: int = 100_000
    max_depth: int = 64


@dataclass(eq=False, repr=False)
class Source(MutableRecord):
    """One parsed mlc file: its text, positioned tree, and what the parse noticed."""

    file: str
    text: str
    root: Any
    sha256: str
    # (path, span, message): values that parse but are E103 (beyond int64, .inf, bad keys)
    deferred: list[tuple[tuple, Span, str]] = field(default_factory=list)
    # (path, span, raw): plain values YAML 1.1 reads as booleans (W106)
    yaml11_booleans: list[tuple[tuple, Span, str]] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class Loaded(MutableRecord):
    """A loaded file: its positioned tree (None when it did not parse) and diagnostics."""

    source: Source | None
    diagnostics: list[Diagnostic]


class _Stop(Exception):
    """Raised inside the builder with the diagnostic that ends the parse."""

    def __init__(self, diag: Diagnostic) -> None:
        super().__init__(diag.message)
        self.diag = diag


def load_path(path: str | os.PathLike, display: str | None = None,
              limits: Limits = Limits()) -> Loaded:
    """Read and parse a file, checking its size before reading it whole."""
    name = display if display is not None else os.fspath(path)
    with open(path, "rb") as fh:
        data = fh.read(limits.max_file_size + 1)
    return load_bytes(data, name, limits)


def load_bytes(data: bytes, file: str, limits: Limits = Limits()) -> Loaded:
    """Parse `data` into a `Source`, or return the E100/E102 diagnostics that stop it."""
    if len(data) > limits.max_file_size:
        return _fail(file, 1, 1, f"file is larger than {_size(limits.max_file_size)} "
                     "(--max-file-size); mlc reads nothing of it",
                     "split the pipeline or raise --max-file-size")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data[:exc.start].decode("utf-8"))
        return _fail(file, line, col, f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); mlc reads "
                     "UTF-8 only", "re-save the file as UTF-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        line, col = _line_col(text[:bad.start()])
        char = bad.group()
        what = "NUL byte" if char == "\x00" else f"character U+{ord(char):04X}"
        return _fail(file, line, col, f"{what} is not allowed in YAML; mlc reads text only",
                     "remove it (YAML allows tab, LF, CR and printable characters)")
    builder = _Builder(file, text, limits)
    try:
        root = builder.build(*_yaml12_breaks(text))
    except _Stop as stop:
        return Loaded(None, [stop.diag])
    except yaml.YAMLError as exc:
        return Loaded(None, [_syntax_error(file, text, exc)])
    if builder.duplicates:
        return Loaded(None, builder.duplicates)
    digest = hashlib.sha256(data).hexdigest()
    return Loaded(Source(file, text, root, digest, builder.deferred, builder.yaml11), [])


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n % MiB == 0 else f"{n} bytes"


def _fail(file: str, line: int, col: int, message: str, hint: str | None) -> Loaded:
    return Loaded(None, [Diagnostic("E100", message, file, line, col, hint=hint)])


# YAML 1.2 breaks lines at LF and CR only; libyaml (YAML 1.1) also at NEL, LS and PS, which
# would shift every later line number and end a comment mid-line. They are handed to libyaml
# as noncharacters of the same length (one code point each, so columns stay right) and put back
# in the scalars it returns. A file that holds one of those noncharacters itself is parsed as
# it is (it then reads NEL, LS and PS as libyaml does).
_YAML11_BREAKS = {0x85: 0xFDD0, 0x2028: 0xFDD1, 0x2029: 0xFDD2}
_PUT_BACK = {v: k for k, v in _YAML11_BREAKS.items()}


def _yaml12_breaks(text: str) -> tuple[str, dict | None]:
    """(text for libyaml, the table that restores scalars, or None when nothing changed)."""
    if not any(chr(c) in text for c in _YAML11_BREAKS):
        return text, None
    if any(chr(c) in text for c in _PUT_BACK):
        return text, None
    return text.translate(_YAML11_BREAKS), _PUT_BACK


def _line_col(before: str) -> tuple[int, int]:
    """(line, col) of the character that follows `before`."""
    line = before.count("\n") + 1
    return line, len(before) - (before.rfind("\n") + 1) + 1


# --- syntax errors --------------------------------------------------------------------------

_KEY_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)\s*:\s*$")


def _syntax_error(file: str, text: str, exc: yaml.YAMLError) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        index, line, col = mark.index, mark.line + 1, mark.column + 1
    else:  # ReaderError: libyaml reports a UTF-8 byte offset
        raw = text.encode("utf-8", "surrogatepass")[:getattr(exc, "position", 0)]
        index = len(raw.decode("utf-8", "ignore"))
        line, col = _line_col(text[:index])
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    context = getattr(exc, "context", None)
    index = min(max(index, 0), len(text))
    if 0 < index <= len(text) and text[index - 1] == "$" and text.startswith("{{", index):
        return _unquoted_reference(file, text, index - 1, line, col - 1)
    line_text = text.split("\n")[line - 1] if line - 1 < text.count("\n") + 1 else ""
    indent = line_text[: len(line_text) - len(line_text.lstrip(" \t"))]
    if "\t" in indent or "tab" in problem:
        tab_col = line_text.index("\t") + 1 if "\t" in line_text else col
        return Diagnostic("E100", "tab character in indentation; YAML indents with spaces only",
                          file, line, tab_col, hint="replace the tab with spaces")
    if "control characters" in problem or getattr(exc, "character", None) is not None:
        return Diagnostic("E100", f"character not allowed in YAML: {problem}", file, line, col)
    message = f"YAML syntax error: {problem}"
    if context:
        message += f" ({context})"
    return Diagnostic("E100", message, file, line, col,
                      hint="check indentation, colons and quotes near this position")


def _unquoted_reference(file: str, text: str, dollar: int, line: int, col: int) -> Diagnostic:
    end = text.find("}}", dollar)
    ref = text[dollar:end + 2] if end >= 0 else "${{ ... }}"
    line_start = text.rfind("\n", 0, dollar) + 1
    key = _KEY_BEFORE.search(text[line_start:dollar])
    quoted = f'{key.group(1)}: "{ref}"' if key else f'"{ref}"'
    in_seq = _innermost_flow(text, dollar) == "["
    kind = "sequence" if in_seq else "mapping"
    return Diagnostic("E100", f"unquoted ${{{{ }}}} inside a flow {kind} is a YAML parse error",
                      file, line, col, hint=f"quote it: {quoted}")


def _innermost_flow(text: str, at: int) -> str:
    depth: list[str] = []
    for ch in text[max(0, text.rfind("\n", 0, at) - 2000):at]:
        if ch in "[{":
            depth.append(ch)
        elif ch in "]}" and depth:
            depth.pop()
    return depth[-1] if depth else "{"


# --- the event-stream builder ---------------------------------------------------------------


def _tag_text(tag: str) -> str:
    return "!!" + tag[len(TAG_PREFIX):] if tag.startswith(TAG_PREFIX) else tag


_new_span = tuple.__new__  # Span(...) without the Python frame of its __new__


class _Frame:
    __slots__ = ("node", "is_map", "key", "kspan", "key_bad", "anchor", "start_count", "height",
                 "path", "mark")

    def __init__(self, node: Any, is_map: bool, anchor: str | None, start_count: int,
                 path: tuple, mark: Any) -> None:
        self.node = node
        self.is_map = is_map
        self.key: Any = _NO_KEY
        self.kspan: Span | None = None
        self.key_bad = False
        self.anchor = anchor
        self.start_count = start_count
        self.height = 0
        self.path = path
        self.mark = mark


_NO_KEY = object()


class _Builder:
    """Builds the tree from events, counting nodes and depth as it goes."""

    def __init__(self, file: str, text: str, limits: Limits) -> None:
        self.file = file
        self.text = text
        self.limits = limits
        self.count = 0
        self.anchors: dict[str, tuple[Any, int, int, Span]] = {}
        self.open_anchors: set[str] = set()
        self.stack: list[_Frame] = []
        self.duplicates: list[Diagnostic] = []
        self.deferred: list[tuple[tuple, Span, str]] = []
        self.yaml11: list[tuple[tuple, Span, str]] = []
        self.root: Any = None
        self.documents = 0
        self.restore: dict | None = None

    def stop(self, mark: Any, message: str, hint: str | None = None) -> _Stop:
        return _Stop(Diagnostic("E100", message, self.file, mark.line + 1, mark.column + 1,
                                hint=hint))

    def build(self, yaml_text: str | None = None, restore: dict | None = None) -> Any:
        self.restore = restore
        parser = _Parser(self.text if yaml_text is None else yaml_text)
        get = parser.get_event
        limit = self.limits.max_nodes
        while True:
            ev = get()
            if ev is None:
                break
            kind = type(ev)
            if kind is ScalarEvent:
                self.count += 1
                if self.count > limit:
                    raise self._too_many(ev.start_mark, alias=False)
                self.scalar(ev)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self.count += 1
                if self.count > limit:
                    raise self._too_many(ev.start_mark, alias=False)
                self.start(ev, kind is MappingStartEvent)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                self.end(ev)
            elif kind is AliasEvent:
                self.alias(ev)
            elif kind is DocumentStartEvent:
                self.document(ev)
            elif kind is DocumentEndEvent:
                pass
        if self.documents == 0:
            raise _Stop(Diagnostic("E100", "expected exactly one YAML document, found none",
                                   self.file, 1, 1, hint="start with: apiVersion: mlc/v1"))
        return self.root

    def _too_many(self, mark: Any, *, alias: bool) -> _Stop:
        n = self.limits.max_nodes
        if alias:
            return self.stop(mark, f'alias expansion exceeds {n} nodes ("billion laughs")',
                             "write the data out instead of multiplying it through aliases")
        return self.stop(mark, f"the document has more than {n} nodes")

    def document(self, ev: DocumentStartEvent) -> None:
        self.documents += 1
        if self.documents > 1:
            raise self.stop(ev.start_mark, "expected exactly one YAML document, found a second one",
                            "put each pipeline in its own file")
        if ev.version is not None and tuple(ev.version) != (1, 2):
            line, col = self._directive("%YAML", ev.start_mark)
            raise _Stop(Diagnostic("E100", f"%YAML {ev.version[0]}.{ev.version[1]} is not "
                                   "supported; mlc reads YAML 1.2", self.file, line, col,
                                   hint="remove the directive or write %YAML 1.2"))
        if ev.tags:
            line, col = self._directive("%TAG", ev.start_mark)
            raise _Stop(Diagnostic("E100", "%TAG directives are not allowed", self.file, line,
                                   col, hint="remove the directive; mlc uses core tags only"))

    def _directive(self, name: str, mark: Any) -> tuple[int, int]:
        found = re.search(rf"(?m)^{re.escape(name)}\b", self.text)
        if found is None:
            return mark.line + 1, mark.column + 1
        return _line_col(self.text[:found.start()])

    def check_tag(self, ev: Any, allowed: dict[str, str], what: str) -> None:
        tag = ev.tag
        if tag is None or tag in allowed:
            return
        if tag.startswith(TAG_PREFIX) and (tag in CORE_SCALAR_TAGS or tag in CORE_COLLECTION_TAGS):
            raise self.stop(ev.start_mark, f"tag '{_tag_text(tag)}' does not fit a {what}")
        raise self.stop(ev.start_mark, f"tag '{_tag_text(tag)}' is not allowed; mlc reads the "
                        "YAML 1.2 core schema and constructs nothing",
                        "remove the tag; allowed: !!str !!int !!float !!bool !!null !!seq !!map")

    def span(self, ev: Any, style: str) -> Span:
        m = ev.start_mark
        return _new_span(Span, (m.line + 1, m.column + 1, m.index, ev.end_mark.index, style))

    def scalar(self, ev: ScalarEvent) -> None:
        raw = ev.value if self.restore is None else ev.value.translate(self.restore)
        style = ev.style or ""
        tag = ev.tag
        if tag is None and ev.anchor is None:  # the common case, without the general path
            value = (resolve_plain(raw) if raw else None) if style == "" and ev.implicit[0] \
                else raw
            m = ev.start_mark
            self.add(value, _new_span(Span, (m.line + 1, m.column + 1, m.index,
                                             ev.end_mark.index, style)),
                     plain=style == "", raw=raw)
            return
        self.check_tag(ev, CORE_SCALAR_TAGS, "scalar")
        if ev.tag is not None:
            try:
                value = resolve_tagged(raw, ev.tag)
            except ValueError as exc:
                raise self.stop(ev.start_mark, str(exc)) from None
        elif style == "" and ev.implicit[0]:
            value = resolve_plain(raw) if raw else None
        else:
            value = raw
        span = self.span(ev, style)
        if ev.anchor is not None:
            self.anchors[ev.anchor] = (value, 1, 0, span)
        self.add(value, span, plain=(style == "" and ev.tag is None), raw=raw)

    def start(self, ev: Any, is_map: bool) -> None:
        self.check_tag(ev, CORE_COLLECTION_TAGS, "mapping" if is_map else "sequence")
        if ev.tag is not None and CORE_COLLECTION_TAGS[ev.tag] != ("map" if is_map else "seq"):
            raise self.stop(ev.start_mark, f"tag '{_tag_text(ev.tag)}' does not fit a "
                            f"{'mapping' if is_map else 'sequence'}")
        depth = len(self.stack) + 1
        if depth > self.limits.max_depth:
            raise self.stop(ev.start_mark, f"nesting deeper than {self.limits.max_depth} levels",
                            "flatten the structure")
        node = YMap() if is_map else YSeq()
        if ev.anchor is not None:
            self.open_anchors.add(ev.anchor)
        self.stack.append(_Frame(node, is_map, ev.anchor, self.count - 1, self._child_path(),
                                 ev.start_mark))

    def _child_path(self) -> tuple:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.is_map:
            return top.path + (top.key,) if top.key is not _NO_KEY else top.path + ("<key>",)
        return top.path + (len(top.node),)

    def end(self, ev: Any) -> None:
        frame = self.stack.pop()
        node = frame.node
        m = frame.mark
        style = "{" if frame.is_map else "["
        span = _new_span(Span, (m.line + 1, m.column + 1, m.index, ev.end_mark.index, style))
        node.span = span
        height = frame.height + 1
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = (node, self.count - frame.start_count, height, span)
        self.add(node, span, plain=False, raw=None, height=height)

    def alias(self, ev: AliasEvent) -> None:
        name = ev.anchor
        if name in self.open_anchors:
            raise self.stop(ev.start_mark, f"recursive alias *{name} refers to its own anchor")
        if name not in self.anchors:
            raise self.stop(ev.start_mark, f"undefined alias *{name}",
                            f"define the anchor &{name} before using it")
        node, size, height, _ = self.anchors[name]
        self.count += size
        if self.count > self.limits.max_nodes:
            raise self._too_many(ev.start_mark, alias=True)
        if len(self.stack) + height > self.limits.max_depth:
            raise self.stop(ev.start_mark, f"nesting deeper than {self.limits.max_depth} levels "
                            f"(through alias *{name})", "flatten the structure")
        self.add(node, self.span(ev, "*"), plain=False, raw=None, height=height)

    def add(self, value: Any, span: Span, *, plain: bool, raw: str | None,
            height: int = 0) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if height > top.height:
            top.height = height
        if top.is_map:
            if top.key is _NO_KEY:
                self.set_key(top, value, span, plain, raw)
                return
            key, kspan = top.key, top.kspan
            top.key = _NO_KEY
            if top.key_bad:
                top.key_bad = False
                return
            node: YMap = top.node
            if key in node:
                self.duplicate(top, key, kspan)
                return
            node[key] = value
            node.kspans[key] = kspan
            node.vspans[key] = span
        else:
            seq: YSeq = top.node
            key = len(seq)
            seq.append(value)
            seq.ispans.append(span)
        # (the path only where it is kept: thousands of values need none)
        if plain and raw and len(raw) <= 3 and raw.lower() in YAML11_BOOLEANS:
            self.yaml11.append((top.path + (key,), span, raw))
        if isinstance(value, BadScalar):
            self.deferred.append((top.path + (key,), span, value.reason))

    def set_key(self, top: _Frame, key: Any, span: Span, plain: bool, raw: str | None) -> None:
        top.key, top.kspan, top.key_bad = key, span, False
        if plain and raw == "<<":
            raise _Stop(Diagnostic("E100", "merge keys (<<) are not supported", self.file,
                                   span.line, span.col,
                                   hint="write the keys out; YAML 1.2 has no merge keys"))
        if not isinstance(key, str):
            top.key_bad = True
            shown = raw if raw is not None else ("a mapping" if isinstance(key, dict)
                                                 else "a sequence" if isinstance(key, list)
                                                 else repr(key))
            self.deferred.append((top.path + ("<key>",), span,
                                  f"mapping keys must be strings; got {shown}"))

    def duplicate(self, top: _Frame, key: str, kspan: Span | None) -> None:
        first = top.node.kspans[key]
        where = f"(first defined at {first.line}:{first.col})"
        if top.path == ("steps",):
            message = f"duplicate step name '{key}' {where}"
        else:
            at = f" in {dotted(top.path)}" if top.path else ""
            message = f"duplicate key '{key}'{at} {where}"
        assert kspan is not None
        self.duplicates.append(Diagnostic("E102", message, self.file, kspan.line, kspan.col,
                                          hint="remove or rename one of them"))
