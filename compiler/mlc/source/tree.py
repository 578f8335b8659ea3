"""The positioned tree: plain dicts and lists that remember where every key and value was.

`YMap` and `YSeq` subclass `dict` and `list`, so the tree can be handed to pydantic as is, while
each container keeps the `Span` of its keys and values. Scalars are plain Python values; their
spans live in the parent. Positions are 1-based lines and columns counted in code points
(GNU/SPEC 9.2); `start`/`end` are code-point offsets into the source text.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Span(NamedTuple):
    line: int
    col: int
    start: int
    end: int
    style: str = ""  # "" plain, "'" or '"' quoted, "|" or ">" block, "[" "{" flow, "*" alias


ROOT_SPAN = Span(1, 1, 0, 0)


class YMap(dict):
    """A mapping with the spans of its keys (`kspans`) and values (`vspans`)."""

    __slots__ = ("span", "kspans", "vspans")

    def __init__(self, *args: Any, span: Span = ROOT_SPAN, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.span = span
        self.kspans: dict[Any, Span] = {}
        self.vspans: dict[Any, Span] = {}


class YSeq(list):
    """A sequence with the span of each item (`ispans`)."""

    __slots__ = ("span", "ispans")

    def __init__(self, *args: Any, span: Span = ROOT_SPAN) -> None:
        super().__init__(*args)
        self.span = span
        self.ispans: list[Span] = []


def child(node: Any, part: Any) -> tuple[bool, Any, Span | None, Span | None]:
    """(found, value, value span, key span) of `node[part]`."""
    if isinstance(node, YMap) and not isinstance(part, int) and part in node:
        return True, node[part], node.vspans.get(part), node.kspans.get(part)
    if isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node):
        sp = node.ispans[part] if part < len(node.ispans) else None
        return True, node[part], sp, sp
    return False, None, None, None


def locate(root: Any, path: tuple | list, *, key: bool = False) -> Span:
    """The span of the value at `path` (or of its key with `key=True`).

    Path elements that do not exist are skipped (pydantic adds union tags to its locations);
    when the walk cannot go further, the deepest span found is returned.
    """
    node = root
    best = getattr(root, "span", ROOT_SPAN)
    best_key = best
    for part in path:
        found, value, vspan, kspan = child(node, part)
        if not found:
            continue
        node = value
        best = vspan or best
        best_key = kspan or best
    return best_key if key else best


def locate_key(root: Any, path: tuple | list) -> Span:
    """The span of the key that holds `path` (for 'missing field' errors: SPEC 9.4 E104)."""
    return locate(root, path, key=True)


def text_position(text: str, span: Span, offset: int) -> tuple[int, int]:
    """(line, col) of `offset` code points after the start of `span` in the source text."""
    raw = text[span.start:span.start + offset]
    newlines = raw.count("\n")
    if not newlines:
        return span.line, span.col + offset
    return span.line + newlines, offset - raw.rfind("\n")


def find_in_scalar(text: str, span: Span, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """(line, col) of the `occurrence`-th `needle` inside the raw text of a scalar.

    The raw text is searched, not the scalar's value, so folded and quoted scalars map back to
    the lines the user wrote. Falls back to the scalar's own position.
    """
    raw = text[span.start:span.end]
    at = -1
    for _ in range(occurrence + 1):
        at = raw.find(needle, at + 1)
        if at < 0:
            return span.line, span.col
    return text_position(text, span, at)


def to_plain(node: Any) -> Any:
    """A copy of the tree as plain dicts and lists (shared alias targets stay shared)."""
    memo: dict[int, Any] = {}

    def walk(n: Any) -> Any:
        if isinstance(n, dict):
            if id(n) in memo:
                return memo[id(n)]
            out: dict = {}
            memo[id(n)] = out
            for k, v in n.items():
                out[k] = walk(v)
            return out
        if isinstance(n, list):
            if id(n) in memo:
                return memo[id(n)]
            lst: list = []
            memo[id(n)] = lst
            lst.extend(walk(v) for v in n)
            return lst
        return n

    return walk(node)


def dotted(path: tuple | list) -> str:
    """`('steps', 'release', 'strategy', 'canary', 'steps', 1)` -> `steps.release....steps[1]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
