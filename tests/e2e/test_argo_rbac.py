"""`mlc compile --target argo --rbac` (issue 17, item 9): the Role grants the workflow's
service account what the compiled templates do, read back from workflow.yaml, and no more."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.argo_checks import substituted
from tests.conftest import run_cli

ROOT = Path(__file__).parents[2]
SPECS = {"churn": ROOT / "examples" / "churn" / "mlc.yaml",
         "plain": ROOT / "tests" / "golden" / "argo" / "foreach_literal" / "mlc.yaml",
         "shards": ROOT / "tests" / "golden" / "argo" / "shards" / "mlc.yaml",
         "split": ROOT / "tests" / "golden" / "argo" / "split" / "mlc.yaml",
         "rollout": ROOT / "tests" / "golden" / "argo" / "rollout" / "mlc.yaml"}
VERBS = {"create": {"create"}, "apply": {"get", "create", "patch"}, "patch": {"get", "patch"},
         "delete": {"delete"}}
PLURAL = {"Workflow": "workflows", "ConfigMap": "configmaps",
          "InferenceService": "inferenceservices", "InferenceGraph": "inferencegraphs",
          "VirtualService": "virtualservices"}


def group(api_version: str) -> str:
    return api_version.split("/")[0] if "/" in api_version else ""


def embedded_objects(node) -> list[dict]:
    """Kubernetes objects inside JSON text anywhere in the document (the deploy spec)."""
    found = []
    if isinstance(node, dict):
        if "apiVersion" in node and "kind" in node:
            found.append(node)
        for v in node.values():
            found += embedded_objects(v)
    elif isinstance(node, list):
        for v in node:
            found += embedded_objects(v)
    elif isinstance(node, str) and node.lstrip().startswith(("{", "[")):
        try:
            found += embedded_objects(json.loads(substituted(node)))
        except ValueError:
            pass
    return found


def needs(spec: dict) -> dict[tuple[str, str], set[str]]:
    """What the templates do, per (API group, resource)."""
    out: dict[tuple[str, str], set[str]] = {}

    def need(api_version: str, kind: str, verbs: set[str]) -> None:
        out.setdefault((group(api_version), PLURAL[kind]), set()).update(verbs)

    templates = spec["templates"]
    if any("container" in t or "script" in t for t in templates):
        out[("argoproj.io", "workflowtaskresults")] = {"create", "patch"}
    dynamic_actions = set()
    for t in templates:
        resource = t.get("resource")
        if resource is None:
            continue
        verbs = set(VERBS[resource["action"]])
        if "successCondition" in resource or "failureCondition" in resource:
            verbs.add("get")
        if resource["manifest"] == "{{inputs.parameters.manifest}}":
            dynamic_actions.add(resource["action"])
            continue
        obj = json.loads(substituted(resource["manifest"]))
        need(obj["apiVersion"], obj["kind"], verbs)
        if obj["kind"] == "Workflow" and resource.get("setOwnerReference"):
            out[("argoproj.io", "workflows/finalizers")] = {"update"}
    deployed = {(o["apiVersion"], o["kind"]) for o in embedded_objects(templates)
                if o["kind"] in ("InferenceService", "InferenceGraph", "VirtualService")}
    for api_version, kind in deployed:
        if "apply" in dynamic_actions:
            need(api_version, kind, VERBS["apply"])
        if "delete" in dynamic_actions and kind != "InferenceGraph":
            need(api_version, kind, {"delete"})  # shadows and mirror routes are deleted
    return out


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_role_grants_what_the_templates_do(tmp_path, name: str) -> None:
    done = run_cli("compile", str(SPECS[name]), "--target", "argo", "--rbac", "--out",
                   str(tmp_path))
    assert done.returncode == 0, done.stderr
    workflow = next(yaml.safe_load_all((tmp_path / "argo" / "workflow.yaml").read_text()))
    role, binding = [d for d in yaml.safe_load_all((tmp_path / "argo" / "rbac.yaml").read_text())
                     if d]
    granted = {(r["apiGroups"][0], r["resources"][0]): set(r["verbs"]) for r in role["rules"]}
    assert granted == needs(workflow["spec"])
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    account = workflow["spec"].get("serviceAccountName", "default")
    assert binding["subjects"][0]["name"] == account
    assert role["metadata"].get("namespace") == workflow["metadata"].get("namespace")


def test_rbac_is_only_written_when_asked_and_only_for_argo(tmp_path) -> None:
    done = run_cli("compile", str(SPECS["plain"]), "--target", "argo", "--out", str(tmp_path))
    assert done.returncode == 0 and not (tmp_path / "argo" / "rbac.yaml").exists()
    done = run_cli("compile", str(SPECS["plain"]), "--target", "kubeflow", "--rbac", "--out",
                   str(tmp_path))
    assert done.returncode == 2 and "--rbac is for --target argo" in done.stderr
