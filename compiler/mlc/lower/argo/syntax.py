"""Argo template syntax: names, slots as template tags, artifact locations.

Every run-time value enters a template as an input parameter and is referenced by name
(`{{inputs.parameters.f-country}}`); values themselves never appear in shell text or in an
expression. Literal text never contains `{{` (E200 rejects it in the spec, and config JSON
escapes it), so Argo only ever sees tags that mlc wrote.
"""

from __future__ import annotations

import json
from typing import Any

from ...plan import Credentials, PathKind, PathSlot, Slot, SlotKind, Text
from ...plan.keys import Key, KeyPart
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


# The input parameter that carries each kind of slot (a prefix and the slot's name, or a
# fixed name). TARGET is the literal "argo"; RUN fields are read from `run-json` (run.id has
# its own parameter); LOCAL_PATH never reaches Argo (E406: no local sources on argo).
PARAM_OF: dict[SlotKind, str] = {
    SlotKind.PARAM: "p-", SlotKind.PARAM_JSON: "pj-",
    SlotKind.FOREACH: "f-", SlotKind.FOREACH_JSON: "fj-",
    SlotKind.TRIAL: "t-", SlotKind.TRIAL_JSON: "tj-",
    SlotKind.OUTPUT: "o-", SlotKind.OUTPUT_JSON: "o-",
}
FIXED_PARAM: dict[SlotKind, str] = {
    SlotKind.RUN: "run-json", SlotKind.RUN_JSON: "run-json", SlotKind.RUN_OBJECT: "run-json",
    SlotKind.ITEM_OBJECT: "item-json", SlotKind.TRIAL_OBJECT: "trial-json",
}
NOT_A_PARAM = frozenset({SlotKind.TARGET, SlotKind.LOCAL_PATH})


def slot_param(slot: Slot) -> str:
    """The input parameter that carries a slot's text."""
    if slot.kind in FIXED_PARAM:
        return FIXED_PARAM[slot.kind]
    if slot.kind in (SlotKind.OUTPUT, SlotKind.OUTPUT_JSON):
        return output_param(slot.step, slot.name)
    if slot.kind in PARAM_OF:
        return PARAM_OF[slot.kind] + slot.name
    raise ValueError(f"no Argo parameter for slot {slot}")


def output_param(step: str, output: str) -> str:
    """The parameter that carries a value output of another step."""
    return f"o-{k8s(step)}-{output}"


def path_of(slot: PathSlot) -> str:
    if slot.kind is PathKind.INPUT:
        return f"{INPUTS_DIR}/{slot.name}"
    return f"{OUTPUTS_DIR}/{slot.name}"


def run_field(name: str, as_json: bool = False) -> str:
    """A run field, read from the run's JSON (one parameter carries all three fields)."""
    expr = "jsonpath(inputs.parameters['run-json'], '$." + name + "')"
    return "{{=" + (f"toJson({expr})" if as_json else expr) + "}}"


# Argo reads every `{{` of a template as the start of a tag, and fails on one it cannot
# resolve (`{{.Id}}` of a Go template) or substitutes one it can. Literal text reaches the
# process unchanged when each `{{` is written as an expression tag whose value is `{{`:
# Argo evaluates it once and never reads its result again (pkg/template: one pass).
LITERAL_BRACES = "{{='{{'}}"


def literal(text: str) -> str:
    """Text that Argo passes through unchanged (SPEC 5.1: any other `{{` is literal)."""
    return text.replace("{{", LITERAL_BRACES) if "{{" in text else text


def json_text(value: Any, **options: Any) -> str:
    """JSON for an env value or a raw artifact: a `{{` inside a string is written `{\\u007b`
    (the same JSON), so Argo sees no tag."""
    return json.dumps(value, **options).replace("{{", "{\\u007b")


def render_text(text: Text) -> str:
    """Text for an env value, an exec argument or shell text: literal, tags and paths."""
    out = []
    for piece in text:
        if isinstance(piece, Slot):
            if piece.kind is SlotKind.TARGET:
                out.append("argo")
            elif piece.kind is SlotKind.RUN and piece.name == "id":
                out.append(tag("run-id"))
            elif piece.kind is SlotKind.RUN:
                out.append(run_field(piece.name))
            else:
                out.append(tag(slot_param(piece)))
        elif isinstance(piece, PathSlot):
            out.append(path_of(piece))
        else:
            out.append(literal(piece))
    return "".join(out)


def text_params(text: Text) -> set[str]:
    out = set()
    for p in text:
        if isinstance(p, Slot) and p.kind is not SlotKind.TARGET:
            out.add("run-id" if (p.kind, p.name) == (SlotKind.RUN, "id") else slot_param(p))
    return out


def config_json(config: dict, value_types: dict[str, str]) -> tuple[str, set[str]]:
    """The step config (SPEC 6.2) as JSON text with tags, and the parameters it needs."""
    needed: set[str] = set()

    def raw(slot: Slot) -> str:
        if slot.kind is SlotKind.TARGET:
            return '"argo"'
        name = slot_param(slot)
        needed.add(name)
        if slot.kind is SlotKind.RUN_JSON:
            return run_field(slot.name, as_json=True)
        if slot.kind is SlotKind.OUTPUT_JSON and value_types.get(slot.output_ref) == "string":
            return json_tag(name)
        return tag(name)

    def escaped(slot: Slot) -> str:
        if slot.kind is SlotKind.TARGET:
            return "argo"
        name = slot_param(slot)
        needed.add(name)
        if slot.kind is SlotKind.RUN:
            return ("{{=sprig.trimSuffix('\"', sprig.trimPrefix('\"', toJson(jsonpath("
                    "inputs.parameters['run-json'], '$." + slot.name + "'))))}}")
        return escaped_tag(name)

    text = render_json(config, raw, escaped, path_of, _marker)
    return text, needed


def _marker(c: Credentials) -> dict:
    """A source's credentials in the config: the secret and where it is mounted."""
    return {"secret": c.secret, "path": f"{SECRETS_DIR}/{c.secret}"}


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
        """An artifact location for `key` (relative to the store's prefix).

        S3 locations are key-only: the workflow's artifact repository supplies the bucket,
        endpoint and credentials. A location with a bucket but no endpoint is incomplete to
        Argo (`S3Artifact.HasLocation`), and the executor relocates it into the repository's
        bucket anyway, keeping only the key (issue 17, item 3). A GCS bucket and key are a
        complete location (`GCSArtifact.HasLocation`), read with the pod's credentials."""
        full = self.prefix + key
        if self.scheme == "gs":
            return {"gcs": {"bucket": self.bucket, "key": full}}
        return {"s3": {"key": full}}

    def uri(self, key: str) -> str:
        scheme = "gs" if self.scheme == "gs" else "s3"
        bucket = self.bucket or "ARTIFACT-REPOSITORY-BUCKET"
        return f"{scheme}://{bucket}/{self.prefix}{key}"


RUN = tag("run-id")
KEY_PARTS = {KeyPart.RUN: RUN, KeyPart.ITEM: tag("item-key"),
             KeyPart.TRIAL: "trial=" + tag("trial"), KeyPart.BEST: "trial=" + tag("best")}


def key_text(key: Key) -> str:
    """An artifact key of the plan (plan/keys.py) with Argo's tags for the run, item and
    trial."""
    return "/".join(KEY_PARTS[p] if isinstance(p, KeyPart) else p for p in key)
