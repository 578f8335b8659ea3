"""Validated scalar types of SPEC 7, each failing with its own diagnostic code and hint.

Every type is a plain validator function, so pydantic never coerces and the message is always
mlc's: an error carries `{code, message, hint, at}` in its context (`at` relocates a model-level
error to one of the model's fields).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from pydantic import Discriminator, Tag
from pydantic_core import PydanticCustomError, core_schema

from ..diagnostics.suggest import close_match

REF_HINT = "${{ "


def fail(code: str, message: str, hint: str | None = None, at: tuple = ()) -> PydanticCustomError:
    """An error for pydantic that the schema phase turns into a Diagnostic."""
    return PydanticCustomError("mlc", "{message}",
                               {"code": code, "message": message, "hint": hint, "at": at})


def kind_of(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "mapping"
    if isinstance(v, list):
        return "sequence"
    return type(v).__name__


def shown(v: Any) -> str:
    """A short rendering of a value for a message."""
    if isinstance(v, (dict, list)):
        return kind_of(v)
    text = repr(v) if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
    if isinstance(v, str) and len(text) > 60:
        text = text[:57] + "...'"
    return f"{kind_of(v)} {text}" if not isinstance(v, str) else text


def wrong_type(expected: str, v: Any) -> PydanticCustomError:
    if isinstance(v, str) and REF_HINT[:3] in v:
        return fail("E203", "a reference is not allowed here", "use a literal value")
    return fail("E103", f"expected {expected}, got {shown(v)}" if isinstance(v, str) else
                f"expected {expected}, got {shown(v)}")


def is_reference_text(v: Any) -> bool:
    return isinstance(v, str) and "${{" in v


class _Validated:
    """What `PlainValidator(validator)` and `WithJsonSchema(schema)` give a field, built
    directly: a plain validator function (no serialization schema of the base type, no
    signature inspection: `validator` takes the value only) and the given JSON schema."""

    __slots__ = ("validator", "schema")

    def __init__(self, validator: Callable[[Any], Any], schema: dict) -> None:
        self.validator = validator
        self.schema = schema

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return core_schema.no_info_plain_validator_function(self.validator)

    def __get_pydantic_json_schema__(self, core: Any, handler: Any) -> dict:
        return dict(self.schema)


def _typed(base: Any, validator: Callable[[Any], Any], schema: dict) -> Any:
    """`base`, checked by `validator` alone, documented as `schema` (Python 3.10 safe)."""
    return Annotated[(base, _Validated(validator, schema))]


# --- strings and names ------------------------------------------------------------------------

def _string(v: Any) -> str:
    if isinstance(v, str):
        return v
    raise wrong_type("a string", v)


Text = _typed(str, _string, {"type": "string"})

NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
NAME_PATTERN = "^[a-z][a-z0-9_]{0,39}$"


def suggest_name(v: str) -> str:
    out = re.sub(r"[^a-z0-9_]", "_", re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", v).lower())
    out = out.strip("_") or "x"
    if not out[0].isalpha():
        out = "x_" + out
    return out[:40]


def _name(v: Any) -> str:
    if not isinstance(v, str):
        raise wrong_type("a name", v)
    if NAME_RE.match(v):
        return v
    raise fail("E105", f"'{v}' is not a valid name (lower-case letters, digits and _, starting "
               "with a letter, at most 40)", f"use '{suggest_name(v)}'")


Name = _typed(str, _name, {"type": "string", "pattern": NAME_PATTERN})

PROJECT_RE = re.compile(r"[a-z][a-z0-9-]{0,39}\Z")


def _project_name(v: Any) -> str:
    if not isinstance(v, str):
        raise wrong_type("a project name", v)
    if PROJECT_RE.match(v):
        return v
    better = re.sub(r"[^a-z0-9-]", "-", v.lower()).strip("-")[:40] or "project"
    raise fail("E105", f"'{v}' is not a valid project name (lower-case letters, digits and -, "
               "starting with a letter, at most 40)", f"use '{better}'")


ProjectName = _typed(str, _project_name, {"type": "string",
                                                     "pattern": "^[a-z][a-z0-9-]{0,39}$"})

SEMVER_RE = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                       r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\Z")


def _semver(v: Any) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        raise fail("E103", f"expected a semantic version string, got number {v}",
                   f'quote it and give three parts: "{v}.0"' if isinstance(v, float) else
                   f'quote it and give three parts: "{v}.0.0"')
    if not isinstance(v, str):
        raise wrong_type("a semantic version", v)
    if SEMVER_RE.match(v):
        return v
    raise fail("E105", f"'{v}' is not a semantic version", "write MAJOR.MINOR.PATCH, e.g. 1.0.0")


SemVer = _typed(str, _semver, {"type": "string"})

DNS_LABEL_RE = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z")
DNS_SUBDOMAIN_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\Z")


def _dns_label(v: Any) -> str:
    if not isinstance(v, str):
        raise wrong_type("a DNS-1123 label", v)
    if DNS_LABEL_RE.match(v):
        return v
    better = re.sub(r"[^a-z0-9-]", "-", v.lower()).strip("-")[:63] or "name"
    raise fail("E105", f"'{v}' is not a DNS-1123 label (lower-case letters, digits and -, at most "
               "63)", f"use '{better}'")


DnsLabel = _typed(str, _dns_label, {"type": "string", "maxLength": 63,
                                               "pattern": "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"})


def _secret_store_name(v: Any) -> str:
    if not isinstance(v, str):
        raise wrong_type("a secret name", v)
    if len(v) <= 253 and DNS_SUBDOMAIN_RE.match(v):
        return v
    better = re.sub(r"[^a-z0-9.-]", "-", v.lower()).strip("-.")[:253] or "secret"
    raise fail("E603", f"secret name '{v}' is not a DNS-1123 subdomain", f"use '{better}'")


SecretStoreName = _typed(str, _secret_store_name, {"type": "string", "maxLength": 253})

LABEL_NAME_RE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)\Z")


def _label_key(v: Any) -> str:
    if not isinstance(v, str):
        raise wrong_type("a label key", v)
    prefix, _, name = v.rpartition("/")
    ok = LABEL_NAME_RE.match(name) is not None and (
        not prefix or (len(prefix) <= 253 and DNS_SUBDOMAIN_RE.match(prefix) is not None))
    if ok:
        return v
    raise fail("E105", f"'{v}' is not a Kubernetes label key",
               "use [prefix/]name with letters, digits, -, _ and . (name at most 63)")


def _label_value(v: Any) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        raise fail("E103", f"label values are strings, got number {v}", f'quote it: "{v}"')
    if not isinstance(v, str):
        raise wrong_type("a label value", v)
    if v == "" or LABEL_NAME_RE.match(v):
        return v
    raise fail("E105", f"'{v}' is not a Kubernetes label value",
               "at most 63 letters, digits, -, _ and ., starting and ending alphanumeric")


LabelKey = _typed(str, _label_key, {"type": "string"})
LabelValue = _typed(str, _label_value, {"type": "string", "maxLength": 63})

ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _env_name(v: Any) -> str:
    if not isinstance(v, str):
        raise wrong_type("an environment variable name", v)
    if not ENV_RE.match(v):
        raise fail("E105", f"'{v}' is not a valid environment variable name",
                   "use letters, digits and _, not starting with a digit")
    if v.upper().startswith("MLC_"):
        raise fail("E105", f"'{v}': the MLC_ prefix is reserved for variables mlc sets",
                   f"rename it, e.g. '{v[4:] or 'VALUE'}'")
    return v


EnvName = _typed(str, _env_name, {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"})

# --- numbers -----------------------------------------------------------------------------------


def _int_range(lo: int | None, hi: int | None) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise wrong_type("an integer", v)
        if lo is not None and v < lo:
            raise fail("E103", f"expected an integer >= {lo}, got {v}")
        if hi is not None and v > hi:
            raise fail("E103", f"expected an integer <= {hi}, got {v}")
        return v
    return check


def Int(lo: int | None = None, hi: int | None = None) -> Any:  # noqa: N802 - a type factory
    schema: dict = {"type": "integer"}
    if lo is not None:
        schema["minimum"] = lo
    if hi is not None:
        schema["maximum"] = hi
    return _typed(int, _int_range(lo, hi), schema)


def _number_range(lo: float | None, hi: float | None, *, exclusive_lo: bool = False) -> Callable:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise wrong_type("a number", v)
        if lo is not None and (v <= lo if exclusive_lo else v < lo):
            raise fail("E103", f"expected a number {'>' if exclusive_lo else '>='} {lo:g}, got {v}")
        if hi is not None and v > hi:
            raise fail("E103", f"expected a number <= {hi:g}, got {v}")
        return v
    return check


def Number(lo: float | None = None, hi: float | None = None, *,  # noqa: N802
           exclusive_lo: bool = False) -> Any:
    schema: dict = {"type": "number"}
    if lo is not None:
        schema["exclusiveMinimum" if exclusive_lo else "minimum"] = lo
    if hi is not None:
        schema["maximum"] = hi
    return _typed(float, _number_range(lo, hi, exclusive_lo=exclusive_lo), schema)


def _boolean(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("yes", "no", "on", "off", "y", "n"):
        raise fail("E103", f"expected a boolean, got string '{v}'", "write true or false")
    raise wrong_type("a boolean", v)


Bool = _typed(bool, _boolean, {"type": "boolean"})


def _number_or_binding(v: Any) -> float | str:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    if isinstance(v, str) and "${{" in v:
        return v
    raise fail("E103", f"expected a number or a ${{{{ params.* }}}} binding, got {shown(v)}")


NumberOrBinding = _typed(Any, _number_or_binding, {
    "anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^\s*\$\{\{.*\}\}\s*$"}]})


# --- enumerations ------------------------------------------------------------------------------

def one_of(*values: str) -> Any:
    """A string from a closed set; a near miss gets a did-you-mean."""
    allowed = tuple(values)

    def check(v: Any) -> str:
        if isinstance(v, str) and v in allowed:
            return v
        if isinstance(v, str) or isinstance(v, bool) or v is None:
            text = v if isinstance(v, str) else shown(v)
            match = close_match(v, allowed) if isinstance(v, str) else None
            hint = f"did you mean '{match}'?" if match else None
            if isinstance(v, bool):
                hint = f"write one of: {', '.join(allowed)}"
            quoted = f"'{text}'" if isinstance(v, str) else text
            raise fail("E103", f"{quoted} is not one of: {', '.join(allowed)}", hint)
        raise fail("E103", f"expected one of: {', '.join(allowed)}; got {shown(v)}")

    return _typed(str, check, {"type": "string", "enum": list(allowed)})


# --- quantities and durations -----------------------------------------------------------------

QUANTITY_RE = re.compile(r"(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE]\d+)?\Z")
_QUANTITY_FIX = {"KB": "k", "MB": "M", "GB": "G", "TB": "T", "KIB": "Ki", "MIB": "Mi", "GIB": "Gi",
                 "TIB": "Ti", "K": "k", "G": "G"}


def _quantity(v: Any) -> str | float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if v <= 0:
            raise fail("E103", f"expected a positive quantity, got {v}")
        return v
    if not isinstance(v, str):
        raise wrong_type("a Kubernetes quantity", v)
    if QUANTITY_RE.match(v):
        return v
    found = re.match(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)\Z", v)
    hint = "use a Kubernetes quantity such as 16Gi, 512Mi or 500m"
    if found and found.group(2).upper() in _QUANTITY_FIX:
        num, unit = found.groups()
        binary = {"K": "Ki", "KB": "Ki", "MB": "Mi", "GB": "Gi", "TB": "Ti"}.get(unit.upper())
        hint = f"did you mean {num}{binary}? ({num}{_QUANTITY_FIX[unit.upper()]} is decimal)" \
            if binary else f"did you mean {num}{_QUANTITY_FIX[unit.upper()]}?"
    raise fail("E105", f"'{v}' is not a Kubernetes quantity", hint)


Quantity = _typed(Any, _quantity, {"anyOf": [
    {"type": "number", "exclusiveMinimum": 0},
    {"type": "string", "pattern": r"^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE]\d+)?$"}]})

DURATION_RE = re.compile(r"(\d+)([smhd])\Z")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> int:
    """Seconds of a validated duration such as `45m`."""
    m = DURATION_RE.match(text)
    assert m is not None, text
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def _duration_hint(v: str) -> str:
    m = re.match(r"(\d+(?:\.\d+)?)\s*([a-z]+)\Z", v.strip().lower())
    if m:
        value, unit = float(m.group(1)), m.group(2)
        per = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60,
               "mins": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600,
               "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400,
               "w": 604800, "week": 604800, "weeks": 604800}.get(unit)
        if per:
            seconds = value * per
            for u, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
                if seconds >= size and seconds % size == 0:
                    return f"write {int(seconds // size)}{u}"
            if seconds == int(seconds):
                return f"write {int(seconds)}s"
    return "write an integer and one of s, m, h, d: 30s, 90m, 4h, 7d"


def _duration(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        raise fail("E105", f"duration {v} has no unit", f"write {v}s")
    if not isinstance(v, str):
        raise wrong_type("a duration", v)
    if DURATION_RE.match(v):
        return v
    raise fail("E105", f"'{v}' is not a duration", _duration_hint(v))


Duration = _typed(str, _duration, {"type": "string", "pattern": r"^\d+[smhd]$"})


def _scalar(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)):
        return v
    raise wrong_type("a scalar (string, number or boolean)", v)


Scalar = _typed(Any, _scalar, {"type": ["string", "number", "boolean"]})


def _unique_scalars(v: Any) -> list:
    if not isinstance(v, list):
        raise wrong_type("a list", v)
    seen: set = set()
    for i, item in enumerate(v):
        if not isinstance(item, (str, int, float, bool)):
            raise fail("E103", f"list items must be scalars, got {kind_of(item)}", at=(i,))
        marker = (type(item) is bool, item)
        if marker in seen:
            raise fail("E103", f"duplicate item {shown(item)}", "items must be unique", at=(i,))
        seen.add(marker)
    return v


UniqueScalars = _typed(list, _unique_scalars, {
    "type": "array", "items": {"type": ["string", "number", "boolean"]}, "uniqueItems": True})


def _any_value(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, list):
        for i, item in enumerate(v):
            if isinstance(item, (dict, list)) or item is None:
                raise fail("E103", f"list items must be scalars, got {kind_of(item)}", at=(i,))
        return v
    raise wrong_type("a value (string, number, boolean or list)", v)


InputValue = _typed(Any, _any_value, {"anyOf": [
    {"type": ["string", "number", "boolean"]}, {"type": "array"}]})


def _binding(v: Any) -> str:
    if isinstance(v, str):
        return v
    raise fail("E103", f"expected a ${{{{ }}}} reference, got {shown(v)}")


Binding = _typed(str, _binding, {"type": "string"})


def _map_of_any(v: Any) -> dict:
    if isinstance(v, dict):
        return v
    raise wrong_type("a mapping", v)


AnyMapping = _typed(dict, _map_of_any, {"type": "object"})


# --- tagged unions -----------------------------------------------------------------------------

def scalar_or_map(scalar_type: Any, map_type: Any) -> Any:
    """`scalar | Model` with the branch chosen by shape, so errors name one branch only."""
    return Annotated[
        Annotated[scalar_type, Tag("scalar")] | Annotated[map_type, Tag("map")],
        Discriminator(lambda v: "map" if isinstance(v, dict) else "scalar"),
    ]


def list_or_scalar(list_type: Any, scalar_type: Any) -> Any:
    return Annotated[
        Annotated[list_type, Tag("list")] | Annotated[scalar_type, Tag("scalar")],
        Discriminator(lambda v: "list" if isinstance(v, list) else "scalar"),
    ]


def tagged(field: str, default: str | None, members: dict[str, Any]) -> Any:
    """A union chosen by the value of `field` (with `default` when absent)."""
    names = tuple(members)

    def pick(v: Any) -> str | None:
        if not isinstance(v, dict):
            return names[0]
        value = v.get(field, default)
        return value if isinstance(value, str) and value in members else None

    union = None
    for name, model in members.items():
        part = Annotated[model, Tag(name)]
        union = part if union is None else union | part
    return Annotated[union, Discriminator(
        pick, custom_error_type="mlc_tag",
        custom_error_message=f"{field} must be one of: {', '.join(names)}")]


def names_in(values: Iterable[str]) -> str:
    return ", ".join(values)
