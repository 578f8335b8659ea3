"""`argo/rbac.yaml` (`mlc compile --target argo --rbac`): the Role and RoleBinding that the
workflow's service account needs for what this WorkflowTemplate does, and nothing more.

https://kubernetes.io/docs/reference/access-authn-authz/rbac/ ; the needs per resource are
listed in docs/targets/argo.md, "What the workflow's service account needs". The workflow
controller's own role (memoization cache, ARGO_TEMPLATE offload) is the installation's.
"""

from __future__ import annotations

from typing import Any

from ...plan import Plan


def rules(plan: Plan, mesh: str) -> list[dict]:
    """The rules, by what the templates do: every pod reports its outputs; launchers create
    child Workflows and wait on them; mlc--limits creates the run's semaphore ConfigMap; deploy
    steps apply, patch and delete KServe objects (and Istio's, for `mirror` on a mesh)."""
    out = [_rule("argoproj.io", "workflowtaskresults", "create", "patch")]
    split = [s for s in plan.steps.values() if s.child_runs is not None]
    if split:
        out += [_rule("argoproj.io", "workflows", "create", "get"),
                _rule("argoproj.io", "workflows/finalizers", "update")]
    if any(s.max_parallel for s in split):
        out.append(_rule("", "configmaps", "create"))
    deploys = list(plan.deploys.values())
    if deploys:
        out.append(_rule("serving.kserve.io", "inferenceservices", "create", "delete", "get",
                         "patch"))
    if any(d.route_by is not None for d in deploys):
        out.append(_rule("serving.kserve.io", "inferencegraphs", "create", "get", "patch"))
    if mesh == "istio" and any(c["kind"] == "mirror" for d in deploys for c in d.canary):
        out.append(_rule("networking.istio.io", "virtualservices", "create", "delete", "get",
                         "patch"))
    return out


def _rule(group: str, resource: str, *verbs: str) -> dict:
    return {"apiGroups": [group], "resources": [resource], "verbs": sorted(verbs)}


def documents(plan: Plan, metadata: Any, service_account: str | None, mesh: str) -> list[dict]:
    """The Role `<base>-mlc` and its RoleBinding to the service account (else `default`)."""
    name = f"{plan.base_name}-mlc"
    account = service_account or "default"
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": metadata(name=name), "rules": rules(plan, mesh)}
    subject: dict = {"kind": "ServiceAccount", "name": account}
    meta = metadata(name=name)
    if "namespace" in meta:
        subject["namespace"] = meta["namespace"]
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": meta,
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                           "name": name},
               "subjects": [subject]}
    return [role, binding]
