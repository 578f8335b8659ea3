"""YAML 1.2 core schema resolution of scalars (https://yaml.org/spec/1.2.2/#103-core-schema).

Nothing is constructed from tags: only the core tags are accepted, and they only select one of
these resolutions.
"""

from __future__ import annotations

import math
import re
from typing import Any

_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_INT10 = re.compile(r"[-+]?[0-9]+\Z")
_INT8 = re.compile(r"0o[0-7]+\Z")
_INT16 = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")

# Plain values YAML 1.1 reads as booleans but YAML 1.2 as strings (W106), compared lower-cased.
YAML11_BOOLEANS = {"y": True, "yes": True, "on": True, "n": False, "no": False, "off": False}

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

TAG_PREFIX = "tag:yaml.org,2002:"
CORE_SCALAR_TAGS = {TAG_PREFIX + t: t for t in ("str", "int", "float", "bool", "null")}
CORE_COLLECTION_TAGS = {TAG_PREFIX + "seq": "seq", TAG_PREFIX + "map": "map"}


class BadScalar:
    """A scalar that parses but is out of range for mlc (E103, reported by the schema phase)."""

    __slots__ = ("raw", "reason")

    def __init__(self, raw: str, reason: str) -> None:
        self.raw = raw
        self.reason = reason

    def __repr__(self) -> str:
        return f"BadScalar({self.raw!r})"


def _int(raw: str) -> int | None:
    if _INT10.match(raw):
        return int(raw, 10)
    if _INT8.match(raw):
        return int(raw[2:], 8)
    if _INT16.match(raw):
        return int(raw[2:], 16)
    return None


def _checked_int(raw: str, value: int) -> int | BadScalar:
    if INT64_MIN <= value <= INT64_MAX:
        return value
    return BadScalar(raw, f"integer {raw} is beyond the 64-bit range")


def _checked_float(raw: str) -> float | BadScalar:
    if _INF.match(raw) or _NAN.match(raw):
        return BadScalar(raw, f"'{raw}' is not a finite number")
    value = float(raw)
    if math.isinf(value):
        return BadScalar(raw, f"number {raw} is out of range")
    return value


def resolve_plain(raw: str) -> Any:
    """The core-schema value of a plain (unquoted, untagged) scalar."""
    if raw in _NULL:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    c = raw[0]
    if c.isdigit() or c in "+-.":
        as_int = _int(raw)
        if as_int is not None:
            return _checked_int(raw, as_int)
        if _FLOAT.match(raw) or _INF.match(raw) or _NAN.match(raw):
            return _checked_float(raw)
    return raw


def resolve_tagged(raw: str, tag: str) -> Any:
    """The value of a scalar with an explicit core tag; ValueError if it does not fit the tag."""
    kind = CORE_SCALAR_TAGS[tag]
    if kind == "str":
        return raw
    if kind == "null":
        if raw in _NULL:
            return None
    elif kind == "bool":
        if raw in _TRUE or raw in _FALSE:
            return raw in _TRUE
    elif kind == "int":
        as_int = _int(raw)
        if as_int is not None:
            return _checked_int(raw, as_int)
    elif kind == "float":
        if _FLOAT.match(raw) or _INF.match(raw) or _NAN.match(raw) or _int(raw) is not None:
            return _checked_float(raw)
    raise ValueError(f"'{raw}' is not a valid !!{kind}")
