"""A small, fast YAML emitter for the data mlc writes: dicts, lists, str, int, float, bool, None.

Block style, with collections of scalars on one line (`{name: run-id}`, `[python]`), short
lists of such maps too (`parameters: [{name: run-id}, {name: run-json}]`),
multi-line strings as literal blocks, and every other string either plain, when it is
unambiguous for YAML 1.1 and 1.2 readers alike (Kubernetes reads YAML 1.1), or double-quoted
with JSON escapes (a JSON string is a valid YAML double-quoted scalar). About ten times faster
than PyYAML's representer; tests round-trip its output through PyYAML on random data.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

# Plain scalars: start with a letter, digit, or one of `/ . _`; contain only safe characters;
# never look like a number, boolean, null, date or merge key to any YAML version.
_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./ =@%+-]*\Z")
_FLOW_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./=@%+-]*\Z")
_NUMBERISH = re.compile(r"[-+]?(\.?[0-9]|0[xob])|[-+]?\.(inf|nan)\Z", re.I)
_SPECIAL = frozenset(("y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", ""))
_COLONISH = re.compile(r"\d+(:\d+)+(\.\d*)?\Z")  # YAML 1.1 sexagesimal numbers
# Characters a YAML 1.1 or 1.2 reader takes raw (no C0/C1 controls, DEL, NEL, LS, PS, BOM,
# surrogates or non-characters): anything else is written as a \u escape. Single-quoted
# scalars: printable, no line breaks or tabs (folding would change them), and no leading or
# trailing space. Compiling the full classes takes 7 ms, so it waits for the first text that
# is not ASCII; for ASCII the classes reduce to the small ones.
_RAW = "\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_RAW_OK_ASCII = re.compile("[\t\n\x20-\x7e]*\\Z")
_SINGLE_OK_ASCII = re.compile("(?! )[\x20-\x7e]+(?<! )\\Z")


@functools.cache
def _full(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _raw_ok(text: str) -> bool:
    if text.isascii():
        return _RAW_OK_ASCII.match(text) is not None
    return _full("[" + _RAW + "]*\\Z").match(text) is not None


def _single_ok(text: str) -> bool:
    if text.isascii():
        return _SINGLE_OK_ASCII.match(text) is not None
    return _full("(?! )[" + _RAW[2:] + "]+(?<! )\\Z").match(text) is not None


def _plain_ok(text: str, flow: bool) -> bool:
    if not (_FLOW_PLAIN if flow else _PLAIN).match(text):
        return False
    if text[-1] == " " or len(text) <= 5 and text.lower() in _SPECIAL:
        return False
    if text[0] in "0123456789.":  # only these can start a number or a sexagesimal
        return not (_COLONISH.match(text) or _NUMBERISH.match(text))
    return True


def scalar(value: Any, flow: bool = False) -> str:
    if type(value) is str:
        return _text(value, flow)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = json.dumps(value)
        if "e" in text and "." not in text:  # YAML 1.1 floats need a dot: 1.0e-05
            text = text.replace("e", ".0e", 1)
        return text
    return _text(str(value), flow)


_QUOTE = json.encoder.encode_basestring  # json.dumps(text, ensure_ascii=False), without its
# Python layers (the C function, where there is one)


def _text(text: str, flow: bool) -> str:
    """A string scalar (documents repeat most strings: keys, names, paths)."""
    return _flow_text(text) if flow else _block_text(text)


def _scalar_text(text: str, flow: bool) -> str:
    if _plain_ok(text, flow):
        return text
    if '"' in text and text.count("'") < text.count('"') and _single_ok(text):
        # JSON payloads: single quotes keep their `"` unescaped (YAML 1.1 and 1.2 alike); a
        # `'` is written twice, cheaper than escaping every `"` (a launch manifest)
        return "'" + text.replace("'", "''") + "'"
    quoted = _QUOTE(text)
    if _raw_ok(quoted):
        return quoted
    return "".join(c if _raw_ok(c) else (f"\\u{ord(c):04x}" if ord(c) < 0x10000
                                                else f"\\U{ord(c):08x}") for c in quoted)


# One cache a context: a cache of one argument keys on the string itself (no key tuple)
@functools.lru_cache(maxsize=1 << 16)
def _flow_text(text: str) -> str:
    return _scalar_text(text, True)


@functools.lru_cache(maxsize=1 << 16)
def _block_text(text: str) -> str:
    return _scalar_text(text, False)


def _is_leaf(node: Any) -> bool:
    """A collection written on one line: scalars (no line breaks), and in a map also empty
    collections."""
    if isinstance(node, dict):
        values, empty_ok = node.values(), True
    elif isinstance(node, list):
        values, empty_ok = node, False
    else:
        return False
    for v in values:
        kind = type(v)
        if kind is str:  # the common case first: most values are strings
            if "\n" in v:
                return False
        elif kind is dict or kind is list or isinstance(v, (dict, list)):
            if v or not empty_ok:
                return False
        elif isinstance(v, str) and "\n" in v:
            return False
    return True


_MAP_LINES: dict[tuple, str] = {}


def _leaf_map(node: dict) -> str | None:
    """The one-line text of a non-empty map that is one line (`_is_leaf`), else None. A map of
    strings is looked up by its items first: a document repeats most of them (each task's
    `{name: run-json, value: ...}`, each container's mounts)."""
    strings = True
    for k, v in node.items():
        if type(v) is str:
            if "\n" in v:
                return None
        else:
            strings = False
            if isinstance(v, (dict, list)):
                if v:
                    return None
            elif isinstance(v, str) and "\n" in v:
                return None
        if type(k) is not str:
            strings = False
    if not strings:
        return _flow(node)
    items = tuple(node.items())
    text = _MAP_LINES.get(items)
    if text is None:
        text = _flow(node)
        if len(_MAP_LINES) < 1 << 16:
            _MAP_LINES[items] = text
    return text


def _flow(node: Any) -> str:
    kind = type(node)
    if kind is str:
        return _flow_text(node)
    if kind is dict or isinstance(node, dict):
        if not node:
            return "{}"
        return "{" + ", ".join([f"{_flow_text(k) if type(k) is str else scalar(k, True)}: "
                                f"{_flow_text(v) if type(v) is str else _flow(v)}"
                                for k, v in node.items()]) + "}"
    if kind is list or isinstance(node, list):
        if not node:
            return "[]"
        return "[" + ", ".join([_flow_text(v) if type(v) is str else _flow(v)
                                for v in node]) + "]"
    return scalar(node, flow=True)


def _block_literal(text: str) -> bool:
    """Literal blocks only where they are unambiguous: no trailing blanks, no leading space or
    newline, at most one final newline, printable characters."""
    lines = text.split("\n")
    return all(line == line.rstrip(" \t") for line in lines) and \
        not text.startswith((" ", "\n", "\t")) and not text.endswith("\n\n") and \
        _raw_ok(text)


SHORT_LINE = 120  # a list of one-line maps that fits this width is written as one flow line
SHORT_ITEMS = 6


def _short_flow(value: Any, key_prefix: str, parts: list[str]) -> str | None:
    """`key: [{name: a}, {name: b}]` when `value` is a list of one-line maps and the line is
    short; None otherwise (long lists stay one item a line, so diffs stay readable). `parts`
    receives the flow text of each leading one-line map looked at, for the block to reuse."""
    if not (isinstance(value, list) and len(value) <= SHORT_ITEMS):
        return None
    length = len(key_prefix) + 1  # ends as the line's: `<prefix> [` + items + `, `s + `]`
    for v in value:
        text = _leaf_map(v) if isinstance(v, dict) and v else None
        if text is None:
            return None
        parts.append(text)
        length += len(text) + 2
        if length > SHORT_LINE:  # stop as soon as the line cannot fit
            return None
    return f"{key_prefix} [{', '.join(parts)}]"


def _value(value: Any, indent: str, out: list[str], key_prefix: str) -> None:
    """Append `key_prefix` followed by `value` (a key line or a list dash is the prefix)."""
    if type(value) is str and "\n" not in value:  # most values: a one-line string
        out.append(f"{key_prefix} {_block_text(value)}")
        return
    if isinstance(value, (dict, list)):
        if not value or _is_leaf(value):
            out.append(f"{key_prefix} {_flow(value)}" if key_prefix else _flow(value))
            return
        if isinstance(value, dict):
            out.append(key_prefix)
            _block(value, indent + "  ", out)
            return
        flows: list[str] = []
        short = _short_flow(value, key_prefix, flows) if key_prefix else None
        if short is not None:
            out.append(short)
            return
        out.append(key_prefix)
        _block(value, indent, out, flows)
        return
    if isinstance(value, str) and "\n" in value and _block_literal(value):
        out.append(f"{key_prefix} {'|' if value.endswith(chr(10)) else '|-'}")
        for line in value[:-1].split("\n") if value.endswith("\n") else value.split("\n"):
            out.append(f"{indent}  {line}" if line else "")
        return
    out.append(f"{key_prefix} {_block_text(value) if type(value) is str else scalar(value)}")


def _key(k: Any) -> str:
    return _block_text(k) if type(k) is str else scalar(k)


def _block(node: Any, indent: str, out: list[str], flows: list[str] = ()) -> None:
    """`node` one entry a line; `flows`: the flow texts of the list's first items, known to be
    one-line maps (`_short_flow`)."""
    if isinstance(node, dict):
        for k, v in node.items():
            key = _block_text(k) if type(k) is str else scalar(k)
            if type(v) is str and "\n" not in v:  # most values: `_value`'s first case, inline
                out.append(f"{indent}{key}: {_block_text(v)}")
            else:
                _value(v, indent, out, f"{indent}{key}:")
        return
    for i, item in enumerate(node):
        if i < len(flows):
            out.append(f"{indent}- {flows[i]}")
        elif isinstance(item, dict) and item and not _is_leaf(item):
            first, inner = True, indent + "  "
            for k, v in item.items():
                prefix = f"{indent}- {_key(k)}:" if first else f"{inner}{_key(k)}:"
                if type(v) is str and "\n" not in v:
                    out.append(f"{prefix} {_block_text(v)}")
                else:
                    _value(v, inner, out, prefix)
                first = False
        elif isinstance(item, list) and item and not _is_leaf(item):
            out.append(f"{indent}-")
            _block(item, indent + "  ", out)
        else:
            _value(item, indent + "  ", out, f"{indent}-")


def dump(doc: Any) -> str:
    """One document, block style, ending with a newline."""
    if not isinstance(doc, (dict, list)) or not doc:
        return _flow(doc) + "\n"
    out: list[str] = []
    _block(doc, "", out)
    return "\n".join(out) + "\n"
