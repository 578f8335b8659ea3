"""Checks of emitted Argo documents: the upstream JSON Schema with unknown fields rejected, and
what the schema cannot see (templates that exist, dependencies that exist, every `{{...}}`
naming a parameter or artifact that exists where it is used, JSON that stays JSON)."""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

UPSTREAM = Path(__file__).parent / "upstream" / "argo-workflows"
SCHEMA = UPSTREAM / "schema-v4.1.2.json"
# targets.argo.version -> the schema its output is validated against (SOURCE.md)
SCHEMAS = {"3.6": UPSTREAM / "schema-v3.6.19.json", "3.7": UPSTREAM / "schema-v3.7.18.json",
           "4.0": SCHEMA, "4.1": SCHEMA}
PREFIX = "io.argoproj.workflow.v1alpha1."
TAG = re.compile(r"\{\{(.*?)\}\}")


@functools.lru_cache(maxsize=4)
def strict_schema(path: Path = SCHEMA) -> dict:
    """The upstream schema with `additionalProperties: false` on every closed object."""
    schema = json.loads(path.read_text(encoding="utf-8"))

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
                node.setdefault("additionalProperties", False)
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    strict = copy.deepcopy(schema)
    close(strict["definitions"])
    return strict


@functools.lru_cache(maxsize=16)
def validator(kind: str, path: Path = SCHEMA) -> jsonschema.Draft202012Validator:
    schema = strict_schema(path)
    root = {"$ref": f"#/definitions/{PREFIX}{kind}", "definitions": schema["definitions"]}
    return jsonschema.Draft202012Validator(root)


def load(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def schema_errors(doc: dict, path: Path = SCHEMA) -> list[str]:
    errors = validator(doc["kind"], path).iter_errors(doc)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors)


# --- what the schema cannot check -------------------------------------------------------------

def depends_names(expression: str) -> set[str]:
    """Task names in a `depends` expression (`a && (b.Failed || c)`)."""
    names = set()
    for token in re.split(r"&&|\|\||[()!]", expression):
        token = token.strip()
        if token:
            names.add(token.split(".")[0])
    return names


def with_defaults(spec: dict) -> list[dict]:
    """The templates as the controller runs them: `templateDefaults` merged into each (Argo's
    `mergedTemplateDefaultsInto`, operator.go: a strategic merge where the template wins, `env`
    merged by name, a type's part only into templates of that type)."""
    defaults = spec.get("templateDefaults") or {}
    out = []
    for template in spec.get("templates", []):
        merged = dict(template)
        for key, value in defaults.items():
            if key in ("container", "script", "dag", "steps", "resource", "data", "suspend"):
                if key not in template:
                    continue
                part = dict(value) | template[key]
                if "env" in value:
                    own = {e["name"] for e in template[key].get("env", [])}
                    part["env"] = [e for e in value["env"] if e["name"] not in own] + \
                        list(template[key].get("env", []))
                merged[key] = part
            elif key not in merged:
                merged[key] = value
        out.append(merged)
    return out


def structural_errors(spec: dict) -> list[str]:
    """Templates named by tasks exist; dependencies name tasks of the same DAG; every tag
    refers to something that exists where it is used (the templates with `templateDefaults`
    merged in, as the controller runs them)."""
    templates = {t["name"]: t for t in with_defaults(spec)}
    arguments = {p["name"] for p in spec.get("arguments", {}).get("parameters", [])}
    errors: list[str] = []
    if spec.get("entrypoint") and spec["entrypoint"] not in templates:
        errors.append(f"entrypoint {spec['entrypoint']} does not exist")
    for template in templates.values():
        inputs = {p["name"] for p in template.get("inputs", {}).get("parameters", [])}
        dag = template.get("dag")
        tasks = {t["name"]: t for t in dag["tasks"]} if dag else {}
        for t in tasks.values():
            if t["template"] not in templates:
                errors.append(f"{template['name']}/{t['name']}: no template {t['template']}")
            for dep in depends_names(t.get("depends", "")):
                if dep not in tasks:
                    errors.append(f"{template['name']}/{t['name']}: depends on unknown {dep}")
            callee = templates.get(t["template"], {})
            declared = {p["name"] for p in callee.get("inputs", {}).get("parameters", [])}
            given = {p["name"] for p in t.get("arguments", {}).get("parameters", [])}
            if given - declared:
                errors.append(f"{template['name']}/{t['name']}: passes undeclared {given - declared}")
            missing = {p["name"] for p in callee.get("inputs", {}).get("parameters", [])
                       if "value" not in p and "default" not in p} - given
            if missing:
                errors.append(f"{template['name']}/{t['name']}: does not pass {missing}")
            # an input artifact with no location of its own must be handed over by the task
            # (common.ProcessArgs: "inputs.artifacts.<name> was not supplied")
            handed = {a["name"] for a in t.get("arguments", {}).get("artifacts", [])}
            for art in callee.get("inputs", {}).get("artifacts", []):
                if not art.get("optional") and not set(art) & LOCATIONS and \
                        art["name"] not in handed:
                    errors.append(f"{template['name']}/{t['name']}: does not hand over "
                                  f"artifact {art['name']}")
            for text in strings(t):
                errors += tag_errors(text, f"{template['name']}/{t['name']}", inputs, arguments,
                                     tasks, templates, loop=bool(t.get("withParam")
                                                                 or t.get("withItems")),
                                     ancestors=dag_ancestors(tasks, t["name"]))
        body = {k: v for k, v in template.items() if k != "dag"}
        for text in strings(body):
            errors += tag_errors(text, template["name"], inputs, arguments, tasks, templates,
                                 loop=False, own_outputs=True)
        if dag is None:
            continue
        for out in template.get("outputs", {}).get("parameters", []):
            source = out.get("valueFrom", {}).get("parameter", "")
            errors += tag_errors(source, template["name"], inputs, arguments, tasks, templates,
                                 loop=False)
    return errors


LOCATIONS = {"s3", "gcs", "raw", "http", "git", "artifactory", "hdfs", "oss", "azure"}


def dag_ancestors(tasks: dict, name: str) -> set[str]:
    """The tasks `name` depends on, transitively: the only ones whose outputs it may read
    (Argo's validation, `common.GetTaskAncestry`)."""
    out: set[str] = set()
    todo = [name]
    while todo:
        for dep in depends_names(tasks[todo.pop()].get("depends", "")):
            if dep in tasks and dep not in out:
                out.add(dep)
                todo.append(dep)
    return out


def strings(node: Any):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


def tag_errors(text: str, where: str, inputs: set[str], arguments: set[str], tasks: dict,
               templates: dict, *, loop: bool, own_outputs: bool = False,
               ancestors: set[str] | None = None) -> list[str]:
    errors = []
    for body in TAG.findall(text):
        refs = []
        if body.startswith("="):
            refs += [("inputs.parameters." + m) for m in re.findall(
                r"inputs\.parameters\['([^']+)'\]", body)]
            refs += re.findall(r"\b(?:workflow|tasks|inputs|item)\.[\w.\-]+", body.replace(
                "inputs.parameters['", "XX"))
        else:
            refs.append(body.strip())
        for ref in refs:
            problem = _ref_problem(ref, inputs, arguments, tasks, templates, loop, own_outputs)
            if problem is None and ancestors is not None and ref.startswith("tasks.") and \
                    ref.split(".")[1] not in ancestors:
                problem = f"task {ref.split('.')[1]} is not an ancestor"
            if problem:
                errors.append(f"{where}: {{{{{body}}}}}: {problem}")
    return errors


def _ref_problem(ref: str, inputs: set[str], arguments: set[str], tasks: dict, templates: dict,
                 loop: bool, own_outputs: bool) -> str | None:
    parts = ref.split(".")
    if parts[0] == "inputs" and parts[1] == "parameters":
        return None if ".".join(parts[2:]) in inputs else f"no input parameter {parts[2:]}"
    if parts[0] == "workflow":
        if parts[1] == "parameters":
            return None if ".".join(parts[2:]) in arguments else "no workflow argument"
        known = {"name", "namespace", "uid", "creationTimestamp", "serviceAccountName"}
        return None if parts[1] in known else f"unknown workflow variable {parts[1]}"
    if parts[0] == "item":
        return None if loop else "{{item}} outside a loop"
    if parts[0] == "tasks":
        task = tasks.get(parts[1])
        if task is None:
            return f"no task {parts[1]} in this DAG"
        if len(parts) == 4 and parts[2:] == ["outputs", "parameters"]:
            return None
        if parts[2:4] == ["outputs", "parameters"]:
            callee = templates.get(task["template"], {})
            names = {p["name"] for p in callee.get("outputs", {}).get("parameters", [])}
            return None if parts[4] in names else f"task {parts[1]} has no output {parts[4]}"
        if parts[2:4] == ["outputs", "artifacts"] and len(parts) == 5:
            callee = templates.get(task["template"], {})
            names = {a["name"] for a in callee.get("outputs", {}).get("artifacts", [])}
            return None if parts[4] in names else f"task {parts[1]} has no artifact {parts[4]}"
        return f"unexpected task reference {ref}"
    return f"unknown variable {ref}"


# --- JSON that must stay JSON after substitution ----------------------------------------------

def substituted(text: str) -> str:
    """`text` with every tag replaced by a value of the kind Argo would put there: text inside
    a JSON string, a JSON value (here `null`) outside one, a string for `toJson(...)`."""
    out, last = [], 0
    for m in TAG.finditer(text):
        out.append(text[last:m.start()])
        body = m.group(1)
        inside = _in_string(text, m.start())
        if body.startswith("=") and "toJson" in body and "trimPrefix" not in body:
            out.append('"value"' if not inside else "value")
        else:
            out.append("value" if inside else "null")
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def _in_string(text: str, at: int) -> bool:
    inside, i = False, 0
    while i < at:
        if text[i] == "\\" and inside:
            i += 2
            continue
        if text[i] == '"':
            inside = not inside
        i += 1
    return inside


def json_errors(spec: dict) -> list[str]:
    """Raw config artifacts, resource manifests and JSON env values parse after substitution."""
    errors = []
    for template in spec.get("templates", []):
        texts = [a["raw"]["data"] for a in template.get("inputs", {}).get("artifacts", [])
                 if "raw" in a]
        if "resource" in template and "{{inputs.parameters.manifest}}" not in \
                template["resource"]["manifest"]:
            texts.append(template["resource"]["manifest"])
        for env in template.get("script", {}).get("env", []) + \
                template.get("container", {}).get("env", []):
            if env["name"] in ("MLC_GATES", "MLC_CACHE", "MLC_DEPLOY", "MLC_DIMS", "MLC_PARAMS",
                               "MLC_SWEEPS", "MLC_ANALYSIS"):
                texts.append(env["value"])
        for text in texts:
            try:
                json.loads(substituted(text))
            except ValueError as exc:
                errors.append(f"{template['name']}: not JSON after substitution: {exc}")
    return errors


# --- running a script template as Argo does ---------------------------------------------------

INPUT_TAG = re.compile(r"\{\{inputs\.parameters\.([\w-]+)\}\}")


def run_script(template: dict, params: dict[str, str], out: Path, **env: str) -> str:
    """Run a script template as Argo does: its source as a file, its env with the input
    parameters substituted (MLC_OUT pointed at `out`)."""
    out.mkdir(parents=True, exist_ok=True)
    source = out / "script.py"
    source.write_text(template["script"]["source"])

    def value(text: str) -> str:
        return INPUT_TAG.sub(lambda m: params[m.group(1)], text).replace("/tmp/mlc", str(out))

    for art in template.get("inputs", {}).get("artifacts", []):
        if "raw" in art:  # the executor writes a raw artifact's data at its path
            path = Path(value(art["path"]))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(INPUT_TAG.sub(lambda m: params[m.group(1)], art["raw"]["data"]))
    environ = {e["name"]: value(e["value"]) for e in template["script"].get("env", [])}
    environ.update(env, MLC_OUT=str(out), PATH=os.environ["PATH"])
    done = subprocess.run([sys.executable, str(source)], env=environ, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for param in template.get("outputs", {}).get("parameters", []):
        path = param["valueFrom"]["path"]
        assert (out / Path(path).relative_to("/tmp/mlc")).exists(), path
    return done.stdout


# --- child Workflows and their semaphores (SPEC 10) --------------------------------------------

def manifests(spec: dict) -> dict[str, dict]:
    """Resource templates' manifests, parsed (tags replaced by placeholder values)."""
    out = {}
    for template in spec.get("templates", []):
        manifest = template.get("resource", {}).get("manifest")
        if manifest and "{{inputs.parameters.manifest}}" not in manifest:
            out[template["name"]] = json.loads(substituted(manifest))
    return out


def child_errors(spec: dict, name: str) -> list[str]:
    """Each child Workflow a launcher creates references this WorkflowTemplate, its
    entrypoint exists and receives every input it declares; each semaphore a template holds
    names the run's ConfigMap (created by `mlc--limits`) and a key that ConfigMap declares."""
    templates = {t["name"]: t for t in spec.get("templates", [])}
    errors = []
    limits = None
    for where, manifest in manifests(spec).items():
        if manifest["kind"] == "ConfigMap":
            limits = manifest
        if manifest["kind"] != "Workflow":
            continue
        child = manifest["spec"]
        if child.get("workflowTemplateRef", {}).get("name") != name:
            errors.append(f"{where}: the child does not reference WorkflowTemplate {name}")
        entry = templates.get(child.get("entrypoint"))
        if entry is None:
            errors.append(f"{where}: child entrypoint {child.get('entrypoint')} does not exist")
            continue
        given = {p["name"] for p in child.get("arguments", {}).get("parameters", [])}
        declared = {p["name"] for p in entry.get("inputs", {}).get("parameters", [])}
        if declared - given:
            errors.append(f"{where}: the child's entrypoint is not given {declared - given}")
        if "withParam" in json.dumps(child):
            errors.append(f"{where}: an item list travels in the child's parameters")
    for template in templates.values():
        for sem in template.get("synchronization", {}).get("semaphores", []):
            ref = sem["configMapKeyRef"]
            if ref["name"] != "{{inputs.parameters.mlc-limits}}":
                errors.append(f"{template['name']}: semaphore ConfigMap {ref['name']}")
            if limits is None:
                errors.append(f"{template['name']}: no mlc--limits ConfigMap is created")
            elif ref["key"] not in limits["data"]:
                errors.append(f"{template['name']}: the ConfigMap declares no key {ref['key']}")
    return errors


def argo_version(docs: list[dict]) -> str:
    """The Argo version the document was compiled for (its WorkflowTemplate's annotation)."""
    template = next(d for d in docs if d["kind"] == "WorkflowTemplate")
    return template["metadata"]["annotations"]["mlc.dev/argo-version"]


def all_errors(path: Path) -> list[str]:
    """Schema errors against the schema of the Argo version compiled for
    (`targets.argo.version`), and the structural checks."""
    errors = []
    docs = load(path)
    schema = SCHEMAS[argo_version(docs)]
    for doc in docs:
        errors += [f"{doc['kind']} ({schema.stem}): {e}" for e in schema_errors(doc, schema)]
        if doc["kind"] == "WorkflowTemplate":
            errors += structural_errors(doc["spec"])
            errors += json_errors(doc["spec"])
            errors += child_errors(doc["spec"], doc["metadata"]["name"])
    return errors
