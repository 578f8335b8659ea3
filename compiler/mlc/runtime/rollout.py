"""Roll a decided deploy out on Kubernetes (SPEC 6.6) from inside the cluster, for targets
without native resource actions (Kubeflow). Standard library only.

The same sequence Argo runs as resource and suspend templates: apply each model's
InferenceService (and the InferenceGraph when routed), mirror, shift weights, pause, analyse
(runtime/analysis.py's loop, shipped beside this module), hold the previous version for
`retain_previous`, and on a listed failure send traffic back and stop mirroring.

As a script: MLC_ROLLOUT (JSON: canary steps, analysis, rollback_on, retain_s, namespace),
MLC_DEPLOYED (decide's `deployed` list), MLC_GRAPH (decide's `graph`, may be empty). Talks to
the API server with the pod's service account (server-side apply, field manager `mlc`).
"""

import json
import os
import ssl
import sys
import time
import urllib.request

SA = "/var/run/secrets/kubernetes.io/serviceaccount"
PLURAL = {"InferenceService": "inferenceservices", "InferenceGraph": "inferencegraphs",
          "VirtualService": "virtualservices"}


class Kube:
    def __init__(self, namespace=None):
        host = os.environ.get("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc")
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        self.base = f"https://{host}:{port}"
        with open(os.path.join(SA, "token"), encoding="utf-8") as fh:
            self.token = fh.read().strip()
        self.context = ssl.create_default_context(cafile=os.path.join(SA, "ca.crt"))
        if namespace is None:
            with open(os.path.join(SA, "namespace"), encoding="utf-8") as fh:
                namespace = fh.read().strip()
        self.namespace = namespace

    def path(self, obj):
        group_version = obj["apiVersion"]
        namespace = obj["metadata"].get("namespace") or self.namespace
        return (f"/apis/{group_version}/namespaces/{namespace}/{PLURAL[obj['kind']]}/"
                f"{obj['metadata']['name']}")

    def call(self, method, path, body=None, content_type="application/json"):
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + self.token)
        request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            if method == "DELETE" and exc.code == 404:
                return 404
            raise RuntimeError(f"{method} {path}: {exc.code} {exc.read()[:300]!r}") from None

    def apply(self, obj):
        self.call("PATCH", self.path(obj) + "?fieldManager=mlc&force=true", obj,
                  "application/apply-patch+yaml")

    def delete(self, obj):
        self.call("DELETE", self.path(obj))

    def weight(self, name, weight):
        obj = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
               "metadata": {"name": name}}
        self.call("PATCH", self.path(obj), {"spec": {"predictor": {
            "canaryTrafficPercent": weight}}}, "application/merge-patch+json")


def rollout(spec, deployed, graph, kube, analyse, sleep=time.sleep):
    """Run the canary steps; return the failure event (None when the rollout finished)."""
    applied, failures = False, 0
    for step in spec["canary"]:
        kind = step["kind"]
        try:
            if kind == "mirror":
                for d in deployed:
                    kube.apply(json.loads(d["shadow"]))
                    kube.apply(json.loads(d["mirror"]))
                sleep(step["duration_s"])
                for d in deployed:
                    kube.delete(json.loads(d["mirror"]))
                    kube.delete(json.loads(d["shadow"]))
                continue
            if kind in ("set_weight", "experiment"):
                if not applied:
                    for d in deployed:
                        kube.apply(json.loads(d["manifest"]))
                    if graph:
                        kube.apply(json.loads(graph))
                    applied = True
                else:
                    for d in deployed:
                        kube.weight(d["name"], step["weight"])
        except RuntimeError as exc:
            print(f"mlc: {exc}")
            return "deploy_failed"
        if kind == "set_weight":
            continue
        if kind == "pause" and not (spec.get("analysis") and applied):
            sleep(step["duration_s"])
            continue
        mode = "experiment" if kind == "experiment" else "analysis"
        failures, event = analyse(step, mode, failures)
        if event:
            return event
    sleep(spec.get("retain_s", 0))
    return None


def main():
    spec = json.loads(os.environ["MLC_ROLLOUT"])
    deployed = json.loads(os.environ.get("MLC_DEPLOYED") or "[]")
    graph = os.environ.get("MLC_GRAPH", "")
    kube = Kube(spec.get("namespace"))

    def analyse(step, mode, failures):
        analysis = spec.get("analysis")
        if not analysis:
            time.sleep(step["duration_s"])
            return failures, None
        token = None
        path = os.environ.get("MLC_TOKEN_FILE", "")
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                token = fh.read().strip()
        failures, measured = run(analysis, step["duration_s"], failures, token=token)  # noqa: F821
        if failures > analysis["failure_limit"]:
            return failures, "experiment_lost" if mode == "experiment" else "analysis_failed"
        if mode == "experiment" and not measured and \
                step.get("on_inconclusive", "rollback") == "rollback":
            return failures, "experiment_lost"
        return failures, None

    event = rollout(spec, deployed, graph, kube, analyse)
    if event is None:
        print(f"rolled out {len(deployed)} model(s)")
        return
    if event in spec.get("rollback_on", []):
        for d in deployed:
            kube.weight(d["name"], 0)
            if "mirror" in d:
                kube.delete(json.loads(d["mirror"]))
        print(f"mlc: {event}: traffic sent back to the current version")
    sys.exit(f"mlc: rollout stopped: {event}")


if __name__ == "__main__":
    main()
