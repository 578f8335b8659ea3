"""Argo template syntax: names, slots as template tags, artifact locations.

Every run-time value enters a template as an input parameter and is referenced by name
(`{{inputs.parameters.f-country}}`); values themselves never appear in shell text or in an
expression. Literal text never contains `{{` (E200 rejects it in the spec, and config JSON
escapes it), so Argo only ever sees tags that mlc wrote.
"""

from __future__ import annotations

from typing import Any

from ...plan import PathSlot, Slot, Text
from ...plan.build import Credentials
from ...plan.values import render_json

INPUTS_DIR = "/mlc/inputs"
OUTPUTS_DIR = "/mlc/outputs"
CONFIG_PATH = "/mlc/config.json"
SECRETS_DIR = "/mlc/secrets"
SCRIPT_OUT = "/tmp/mlc"


def k8s(name: str) -> str:
    """An mlc name as an Argo template/task name (`_` is not allowed there)."""
    return name.replace("_", "-")


def gen(step: str, role: str) -> str:
    """A generated template or task belonging to a step: `<step>--<role>`."""
    return f"{k8s(step)}--{role}"


def tag(name: str) -> str:
    return "{{inputs.parameters." + name + "}}"


def escaped_tag(name: str) -> str:
    """The parameter's text, JSON-escaped, for use inside a JSON string."""
    return ("{{=sprig.trimSuffix('\"', sprig.trimPrefix('\"', toJson(inputs.parameters['"
            + name + "'])))}}")


def json_tag(name: str) -> str:
    """The parameter's text as a JSON string literal."""
    return "{{=toJson(inputs.parameters['" + name + "'])}}"


def slot_param(slot: Slot) -> str:
    """The input parameter that carries a slot's text."""
    kind, name = slot.kind, slot.name
    if kind in ("param", "param_json"):
        return ("pj-" if kind == "param_json" else "p-") + name
    if kind in ("foreach", "foreach_json"):
        return ("fj-" if kind == "foreach_json" else "f-") + name
    if kind in ("trial", "trial_value_json"):
        return ("tj-" if kind == "trial_value_json" else "t-") + name
    if kind in ("run", "run_field_json", "run_json"):
        return "run-json"
    if kind == "item_json":
        return "item-json"
    if kind == "trial_json":
        return "trial-json"
    if kind in ("output", "output_json"):
        step, output = name.split(".")
        return f"o-{k8s(step)}-{output}"
    raise ValueError(f"no Argo parameter for slot {slot}")


def path_of(slot: PathSlot) -> str:
    if slot.kind == "input":
        return f"{INPUTS_DIR}/{slot.name}"
    if slot.kind == "output":
        return f"{OUTPUTS_DIR}/{slot.name}"
    return f"{SECRETS_DIR}/{slot.name}"


def run_field(name: str, as_json: bool = False) -> str:
    """A run field, read from the run's JSON (one parameter carries all three fields)."""
    expr = "jsonpath(inputs.parameters['run-json'], '$." + name + "')"
    return "{{=" + (f"toJson({expr})" if as_json else expr) + "}}"


def render_text(text: Text) -> str:
    """Text for an env value, an exec argument or shell text: literal, tags and paths."""
    out = []
    for piece in text:
        if isinstance(piece, Slot):
            if piece.kind == "target":
                out.append("argo")
            elif piece.kind == "run" and piece.name == "id":
                out.append(tag("run-id"))
            elif piece.kind == "run":
                out.append(run_field(piece.name))
            else:
                out.append(tag(slot_param(piece)))
        elif isinstance(piece, PathSlot):
            out.append(path_of(piece))
        else:
            out.append(piece)
    return "".join(out)


def text_params(text: Text) -> set[str]:
    out = set()
    for p in text:
        if isinstance(p, Slot) and p.kind != "target":
            out.add("run-id" if (p.kind, p.name) == ("run", "id") else slot_param(p))
    return out


def config_json(config: dict, value_types: dict[str, str]) -> tuple[str, set[str]]:
    """The step config (SPEC 6.2) as JSON text with tags, and the parameters it needs."""
    needed: set[str] = set()

    def raw(slot: Slot) -> str:
        if slot.kind == "target":
            return '"argo"'
        name = slot_param(slot)
        needed.add(name)
        if slot.kind == "run_field_json":
            return run_field(slot.name, as_json=True)
        if slot.kind == "output_json" and value_types.get(slot.name) == "string":
            return json_tag(name)
        return tag(name)

    def escaped(slot: Slot) -> str:
        name = slot_param(slot)
        needed.add(name)
        if slot.kind == "run":
            return ("{{=sprig.trimSuffix('\"', sprig.trimPrefix('\"', toJson(jsonpath("
                    "inputs.parameters['run-json'], '$." + slot.name + "'))))}}")
        return escaped_tag(name)

    text = render_json(_markers(config), raw, escaped, path_of)
    return text, needed


def _markers(node: Any) -> Any:
    if isinstance(node, Credentials):
        return {"secret": node.secret, "path": f"{SECRETS_DIR}/{node.secret}"}
    if isinstance(node, dict):
        return {k: _markers(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_markers(v) for v in node]
    return node


class Store:
    """Artifact locations under `targets.argo.artifact_store` (or the default repository)."""

    def __init__(self, uri: str | None) -> None:
        self.scheme = self.bucket = None
        self.prefix = ""
        if uri:
            self.scheme, rest = uri.split("://", 1)
            self.bucket, _, prefix = rest.partition("/")
            self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def location(self, key: str) -> dict:
        """An artifact location for `key` (relative to the store's prefix)."""
        full = self.prefix + key
        if self.scheme == "gs":
            return {"gcs": {"bucket": self.bucket, "key": full}}
        if self.bucket:
            return {"s3": {"bucket": self.bucket, "key": full}}
        return {"s3": {"key": full}}

    def uri(self, key: str) -> str:
        scheme = "gs" if self.scheme == "gs" else "s3"
        bucket = self.bucket or "ARTIFACT-REPOSITORY-BUCKET"
        return f"{scheme}://{bucket}/{self.prefix}{key}"


RUN = tag("run-id")


def output_key(step: str, output: str, item: bool, trial: bool = False) -> str:
    """`<run>/<step>/<output>[/<item key>]`, trials under `<run>/<step>/trials/...`."""
    if trial:
        base = f"{RUN}/{step}/trials/"
        if item:
            base += tag("item-key") + "/"
        return base + "trial=" + tag("trial") + "/" + output
    key = f"{RUN}/{step}/{output}"
    return key + "/" + tag("item-key") if item else key
