"""Canonical text (SPEC 5.3), config JSON with run-time slots, and env variable names."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..runtime.items import canonical  # SPEC 5.3; generated tasks carry the same function
from .model import Credentials, PathSlot, Resources, Slot, StrText


def value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "list"
    return "string"


ENV_PREFIX = {"param": "PARAM", "foreach": "FOREACH", "trial": "TRIAL", "run": "RUN",
              "input": "INPUT", "output": "OUTPUT"}


def env_name(kind: str, name: str) -> str:
    return f"MLC_{ENV_PREFIX[kind]}_{name.upper()}"


def render_json(node: Any, raw: Callable[[Slot], str], escaped: Callable[[Slot], str],
                path: Callable[[PathSlot], str],
                credentials: Callable[[Credentials], Any] | None = None) -> str:
    """Serialise a config template: slots become target syntax.

    `raw(slot)` renders a slot that stands for a whole JSON value; `escaped(slot)` renders a slot
    inside a JSON string (its text, JSON-escaped, without quotes). `{{` never appears in the
    literal JSON (string contents have their `{` escaped as `\\u007b` when doubled), so target
    template engines see only the tags the renderers insert. Keys are sorted: the order of keys
    in the spec carries no meaning.

    The literal JSON comes from the C encoder in one call; each slot is written there as a
    placeholder string (NUL, its number, NUL: no spec text holds a NUL) and then replaced.
    `credentials(c)` is the target's marker for a source's credentials (`credentials_as`),
    written where the encoder meets them, so the config is not copied first.
    """
    rendered: list[str] = []

    def placeholder(obj: Any) -> str:
        kind = type(obj)
        if kind is Slot:
            text = raw(obj)
        elif kind is PathSlot:
            text = _ENCODE_STR(path(obj))
        elif isinstance(obj, StrText):
            text = '"' + "".join(escaped(p) if isinstance(p, Slot) else
                                 _escape(path(p)) if isinstance(p, PathSlot) else _escape(p)
                                 for p in obj.text) + '"'
        elif isinstance(obj, Credentials) and credentials is not None:
            text = render_json(credentials(obj), raw, escaped, path, credentials)
        else:
            raise TypeError(f"not JSON: {obj!r}")
        rendered.append(text)
        return f"\0{len(rendered) - 1}\0"

    text = _safe(json.dumps(node, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                            default=placeholder, check_circular=False))
    if not rendered:
        return text
    parts = _PLACEHOLDER.split(text)  # literal, number, literal, ...: no callback a slot
    for i in range(1, len(parts), 2):
        parts[i] = rendered[int(parts[i])]
    return "".join(parts)


_PLACEHOLDER = re.compile(r'"\\u0000(\d+)\\u0000"')


def _escape(text: str) -> str:
    return _safe(json.dumps(text, ensure_ascii=False)[1:-1])


def _safe(text: str) -> str:
    """No `{{` in literal JSON: template engines (Argo) would read it as a tag."""
    return text.replace("{{", "{\\u007b")


def credentials_as(node: Any, marker: Callable[[Credentials], Any]) -> Any:
    """A config template with each source's credentials replaced by the target's marker
    (SPEC 6.2: `{secret, path}` on Kubernetes and locally, `{secret, env}` on AWS Batch)."""
    if isinstance(node, Credentials):
        return marker(node)
    if isinstance(node, dict):
        return {k: credentials_as(v, marker) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [credentials_as(v, marker) for v in node]
    return node


JsonTemplate = tuple  # literal JSON text (str) and holes (Slot, PathSlot, StrText), in order


def json_template(node: Any, now: Callable[[Any], str | None] | None = None) -> JsonTemplate:
    """`node` as `json.dumps(node, ensure_ascii=False)` writes it, each slot left as a hole:
    built once per step, so a task only fills the holes (`fill_json`) instead of rebuilding
    and encoding the whole config (`mlc run`, thousands of tasks). `now(hole)` may give a
    hole's JSON text at once (a value every task shares); it is then literal text."""
    holes: list[Any] = []

    def hole(obj: Any) -> str:
        if not isinstance(obj, (Slot, PathSlot, StrText)):
            raise TypeError(f"not JSON: {obj!r}")
        holes.append(obj)
        return f"\0{len(holes) - 1}\0"

    pieces = _PLACEHOLDER.split(json.dumps(node, ensure_ascii=False, default=hole))
    out: list[Any] = [pieces[0]]
    for i in range(1, len(pieces), 2):
        piece = holes[int(pieces[i])]
        text = now(piece) if now is not None else None
        if text is None:
            out += [piece, pieces[i + 1]]
        else:  # literal: joins the text around it
            out[-1] += text + pieces[i + 1]
    return tuple(out)


_ENCODE = json.JSONEncoder(ensure_ascii=False,  # json.dumps(v, ensure_ascii=False), for trees
                           check_circular=False).encode
_ENCODE_STR = json.encoder.encode_basestring  # the same, for a str (the C function)


def fill_json(template: JsonTemplate, values: Callable[[Slot], Any],
              path: Callable[[PathSlot], str]) -> str:
    """The JSON text of `resolve_json(node, values, path)`, from `json_template(node)`."""
    out = []
    for piece in template:
        if type(piece) is str:
            out.append(piece)
            continue
        if isinstance(piece, Slot):
            value = values(piece)
        elif isinstance(piece, PathSlot):
            value = path(piece)
        else:
            value = "".join(canonical(values(p)) if isinstance(p, Slot) else
                            path(p) if isinstance(p, PathSlot) else p for p in piece.text)
        out.append(_ENCODE_STR(value) if type(value) is str else _ENCODE(value))
    return "".join(out)


def resolve_json(node: Any, values: Callable[[Slot], Any], path: Callable[[PathSlot], str]) -> Any:
    """The config with actual values (for `mlc run`)."""
    if isinstance(node, Slot):
        return values(node)
    if isinstance(node, PathSlot):
        return path(node)
    if isinstance(node, StrText):
        return "".join(canonical(values(p)) if isinstance(p, Slot) else
                       path(p) if isinstance(p, PathSlot) else p for p in node.text)
    if isinstance(node, dict):
        return {k: resolve_json(v, values, path) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [resolve_json(v, values, path) for v in node]
    return node


def k8s_resources(res: Resources) -> dict:
    """Kubernetes resources of SPEC 7 `resources`: cpu and memory requested, memory and GPUs
    limited (https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/)."""
    requests, limits = {}, {}
    if res.cpu is not None:
        requests["cpu"] = str(res.cpu)
    if res.memory is not None:
        requests["memory"] = limits["memory"] = str(res.memory)
    if res.gpu:
        limits["nvidia.com/gpu"] = str(res.gpu)
    out = {}
    if requests:
        out["requests"] = requests
    if limits:
        out["limits"] = limits
    return out


def static_digest(step) -> str:
    """sha256 of the static part of a step's SPEC 6.7 cache key (and its sweep's trials)."""
    import hashlib

    static = _CANONICAL({"static": step.cache_material, "trials": step.trials})
    return hashlib.sha256(static.encode("utf-8")).hexdigest()


# Plans are trees (no cycles), so the encoders skip json's cycle check, which costs as much as
# the encoding itself on these small documents (thousands of steps)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              check_circular=False).encode


def resource_labels(plan) -> tuple[dict, dict]:
    """SPEC 11 labels and annotations of every generated resource: the label holds the first
    32 hex digits of the spec's SHA-256 (label values have at most 63 characters), the
    annotation of the same key all 64."""
    labels = {"app.kubernetes.io/managed-by": "mlc", "mlc.dev/project": plan.project}
    if plan.profile is not None:
        labels["mlc.dev/profile"] = plan.profile
    labels.update(plan.labels)
    labels["mlc.dev/spec-sha256"] = plan.spec_sha256[:32]
    return labels, {"mlc.dev/spec-sha256": plan.spec_sha256}
