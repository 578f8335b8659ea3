"""Phase 2: validate a positioned tree against the models and locate every error.

pydantic reports all errors at once; each is mapped to a code (E101-E105, E203, E603), a
position in the YAML (its `loc` walked through the tree, union tags skipped) and a hint
(did-you-mean from the model that owns the position).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ..diagnostics import Diagnostic
from ..diagnostics.suggest import did_you_mean
from ..record import MutableRecord
from ..source import ROOT_SPAN, Source, Span, YMap, YSeq, dotted
from ..source.resolve import BadScalar
from .models import STEP_MODELS, Document, without_plugins
from .types import kind_of, shown

NAME_KINDS = {"params": "param", "secrets": "secret", "sources": "source", "tables": "table",
              "steps": "step", "inputs": "input", "outputs": "output", "foreach": "dimension",
              "search_space": "hyperparameter", "datasets": "dataset", "profiles": "profile"}


@dataclass(eq=False, repr=False)
class SchemaResult(MutableRecord):
    """The validated model (None on errors) and the schema diagnostics."""

    document: Document | None
    diagnostics: list[Diagnostic]


def check_schema(source: Source, root: Any, *, profile: str | None = None) -> SchemaResult:
    """Validate `root` (the base tree or a merged profile tree) into a `Document`."""
    file, text = source.file, source.text
    diags = _deferred(source, profile)
    taken = {(d.line, d.col) for d in diags}
    if not isinstance(root, dict):
        span = getattr(root, "span", ROOT_SPAN)
        diags.append(Diagnostic("E103", f"the document must be a mapping, got {kind_of(root)}",
                                file, span.line, span.col,
                                hint="start with: apiVersion: mlc/v1"))
        return SchemaResult(None, diags)
    try:
        with without_plugins():
            document = Document.model_validate(root)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            diag = _diagnostic(err, root, file, text)
            if diag is not None and (diag.line, diag.col) not in taken:
                taken.add((diag.line, diag.col))
                diags.append(diag)
        return SchemaResult(None, diags)
    return SchemaResult(document if not diags else None, diags)


def _deferred(source: Source, profile: str | None) -> list[Diagnostic]:
    """E103 for values the parser accepted but mlc cannot (beyond int64, .inf, bad keys)."""
    out = []
    for path, span, message in source.deferred:
        in_profile = len(path) > 1 and path[0] == "profiles"
        if (profile is None and in_profile) or (profile is not None and
                                                (not in_profile or path[1] != profile)):
            continue
        out.append(Diagnostic("E103", message, source.file, span.line, span.col, path=path))
    return out


# --- locations ---------------------------------------------------------------------------------

def _walk(root: Any, loc: tuple) -> tuple[tuple, Any, Span, Span, bool]:
    """(tree path, node, value span, key span, fully found) for a pydantic `loc`."""
    node, path = root, []
    vspan = kspan = getattr(root, "span", ROOT_SPAN)
    found_all = True
    for i, part in enumerate(loc):
        if part == "[key]":
            continue
        if isinstance(node, YMap) and isinstance(part, str) and part in node:
            vspan, kspan = node.vspans.get(part, vspan), node.kspans.get(part, kspan)
            node = node[part]
            path.append(part)
        elif isinstance(node, YSeq) and isinstance(part, int) and part < len(node):
            vspan = kspan = node.ispans[part]
            node = node[part]
            path.append(part)
        elif i == len(loc) - 1:
            found_all = False
    return tuple(path), node, vspan, kspan, found_all


# --- model introspection (for did-you-mean) ---------------------------------------------------

def _members(tp: Any) -> list[tuple[str | None, Any]]:
    """Strip Annotated/Optional; return the (tag, type) members of a union, or [(None, tp)]."""
    from pydantic import Tag

    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        args = typing.get_args(tp)
        return _members(args[0])
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        out = []
        for arg in typing.get_args(tp):
            if arg is type(None):
                continue
            tag = None
            if typing.get_origin(arg) is typing.Annotated:
                tag = next((m.tag for m in typing.get_args(arg)[1:] if isinstance(m, Tag)), None)
            for _, inner in _members(arg):
                out.append((tag, inner))
        return out
    return [(None, tp)]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field(model: type[BaseModel], key: str) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if (info.alias or name) == key:
            return info
    return None


def model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class that owns the mapping at `loc` (pydantic's loc, tags included)."""
    current: Any = Document
    for part in loc:
        members = _members(current)
        tagged = [t for tag, t in members if tag is not None and tag == part]
        if tagged:
            current = tagged[0]
            continue
        models = [t for _, t in members if _is_model(t)]
        if models and isinstance(part, str) and _field(models[0], part) is not None:
            current = _field(models[0], part).annotation
            continue
        containers = [t for _, t in members if typing.get_origin(t) in (dict, list)]
        if containers:
            args = typing.get_args(containers[0])
            current = args[-1]
            continue
        return None
    models = [t for _, t in _members(current) if _is_model(t)]
    return models[0] if models else None


def keys_of(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def relocations(model: type[BaseModel]) -> dict[str, str]:
    """Keys valid one level down: `gpu` -> `resources.gpu` for a step."""
    own = set(keys_of(model))
    out: dict[str, str] = {}
    for name, info in model.model_fields.items():
        for _, tp in _members(info.annotation):
            if _is_model(tp):
                for sub in keys_of(tp):
                    if sub not in own:
                        out.setdefault(sub, f"{info.alias or name}.{sub}")
    return out


# --- error -> diagnostic -----------------------------------------------------------------------

def _diagnostic(err: dict, root: Any, file: str, text: str) -> Diagnostic | None:
    loc: tuple = tuple(err["loc"])
    etype: str = err["type"]
    ctx = err.get("ctx") or {}
    if etype == "mlc":
        return _custom(err, ctx, loc, root, file)
    path, node, vspan, kspan, found = _walk(root, loc)
    where = f" in {dotted(path[:-1] if found else path)}" if (path[:-1] if found else path) else ""
    if etype == "extra_forbidden":
        return _extra(loc, path, kspan, file)
    if etype == "missing":
        key = loc[-1]
        message = f"missing required field '{key}'" + (f" in {dotted(path)}" if path else "")
        hint = "start the file with: apiVersion: mlc/v1" if key == "apiVersion" else None
        return Diagnostic("E104", message, file, kspan.line, kspan.col, hint=hint, path=path)
    if etype == "mlc_tag":
        return _bad_tag(err, path, kspan, file, node)
    value = err.get("input")
    span = kspan if "[key]" in loc else vspan
    if etype in ("model_type", "model_attributes_type", "dict_type"):
        message = f"expected a mapping, got {shown(value)}"
    elif etype == "list_type":
        message = f"expected a list, got {shown(value)}"
    elif etype == "too_short":
        message = f"expected at least {ctx.get('min_length', 1)} item(s){where}"
        if path and path[-1] == "steps":
            return Diagnostic("E104", "a pipeline needs at least one step", file, kspan.line,
                              kspan.col, path=path)
    else:
        message = err["msg"]
    if isinstance(value, BadScalar):
        return None
    if isinstance(value, str) and "${{" in value:
        return Diagnostic("E203", f"a reference is not allowed in '{_field_name(path)}'", file,
                          span.line, span.col, hint="use a literal value", path=path)
    return Diagnostic("E103", message, file, span.line, span.col, path=path)


def _field_name(path: tuple) -> str:
    names = [p for p in path if isinstance(p, str)]
    return names[-1] if names else "document"


def _custom(err: dict, ctx: dict, loc: tuple, root: Any, file: str) -> Diagnostic:
    at = tuple(ctx.get("at") or ())
    is_key = "[key]" in loc
    path, node, vspan, kspan, found = _walk(root, loc + at)
    if isinstance(err.get("input"), BadScalar):
        return None  # type: ignore[return-value]
    code, message = ctx["code"], ctx["message"]
    if code == "E203":
        message = f"a reference is not allowed in '{_field_name(path)}'"
    if is_key and path:
        parent = path[-2] if len(path) > 1 else None
        kind = NAME_KINDS.get(parent) if isinstance(parent, str) else None
        if kind:
            message = message.replace("is not a valid name", f"is not a valid {kind} name")
    span = kspan if is_key else vspan
    if code == "E104" and not at and isinstance(node, dict):
        span = kspan
        if path:
            message = f"{message} (in {dotted(path)})"
    return Diagnostic(code, message, file, span.line, span.col, hint=ctx.get("hint"), path=path)


def _extra(loc: tuple, path: tuple, kspan: Span, file: str) -> Diagnostic:
    key = str(loc[-1])
    parent = path[:-1]
    owner = model_at(loc[:-1])
    where = f" in {dotted(parent)}" if parent else ""
    if len(parent) == 2 and parent[0] == "steps" and owner in STEP_MODELS.values():
        step_type = next(t for t, m in STEP_MODELS.items() if m is owner)
        homes = [t for t, m in STEP_MODELS.items() if m is not owner and key in keys_of(m)]
        if homes:
            return Diagnostic("E104", f"'{key}' is not allowed on {step_type} steps{where}", file,
                              kspan.line, kspan.col,
                              hint=f"'{key}' belongs to {_join(homes)} steps", path=path)
    valid = keys_of(owner) if owner is not None else []
    hint = did_you_mean(key, valid, relocations(owner) if owner is not None else None)
    return Diagnostic("E101", f"unknown key '{key}'{where}", file, kspan.line, kspan.col,
                      hint=hint, path=path)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _bad_tag(err: dict, path: tuple, kspan: Span, file: str, node: Any) -> Diagnostic:
    msg = err["msg"]
    field = msg.split(" must be", 1)[0]
    allowed = msg.split("one of: ", 1)[1].split(", ")
    if isinstance(node, YMap) and field in node:
        value = node[field]
        span = node.vspans[field]
        match = did_you_mean(str(value), allowed) if isinstance(value, str) else None
        text = f"'{value}'" if isinstance(value, str) else shown(value)
        return Diagnostic("E103", f"{text} is not one of: {', '.join(allowed)}", file, span.line,
                          span.col, hint=match, path=path + (field,))
    return Diagnostic("E104", f"missing required field '{field}' in {dotted(path)}", file,
                      kspan.line, kspan.col, hint=f"add {field}: one of {', '.join(allowed)}",
                      path=path)
