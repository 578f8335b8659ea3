"""KServe and Istio objects of a deploy step (SPEC 6.6), built at compile time.

Each is JSON text with two placeholders, `@NAME@` (the InferenceService name: DNS-safe) and
`@URI@` (the model's storage URI: artifact keys are percent-encoded), which the rollout driver
(runtime/decide.py) fills in per model at run time, and `mlc run` fills in locally.
"""

from __future__ import annotations

import json

from .model import DeployPlan
from .values import k8s_resources

NAME, URI = "@NAME@", "@URI@"


def metadata(namespace: str | None, labels: dict, annotations: dict) -> dict:
    """What every object of the rollout carries besides its name (set by `fill`)."""
    meta: dict = {}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def inference_service(d: DeployPlan) -> str:
    """A KServe v1beta1 InferenceService (https://kserve.github.io/website/latest/reference/api/)."""
    predictor: dict = {"minReplicas": d.replicas[0], "maxReplicas": d.replicas[1]}
    resources = k8s_resources(d.resources)
    if d.model_format:
        model: dict = {"modelFormat": {"name": d.model_format}, "storageUri": URI}
        if resources:
            model["resources"] = resources
        predictor["model"] = model
    else:
        container: dict = {"name": "kserve-container", "image": d.image,
                           "env": [{"name": "STORAGE_URI", "value": URI}]}
        if resources:
            container["resources"] = resources
        predictor["containers"] = [container]
    obj = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
           "metadata": {"name": NAME}, "spec": {"predictor": predictor}}
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)


def virtual_service(namespace: str | None, percent: int) -> str:
    """Istio mirroring of `percent` % of a model's traffic to its shadow
    (https://istio.io/latest/docs/tasks/traffic-management/mirroring/)."""
    ns = namespace or "default"
    host = f"{NAME}-predictor.{ns}.svc.cluster.local"
    obj = {"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
           "metadata": {"name": f"{NAME}-mirror"},
           "spec": {"hosts": [host],
                    "http": [{"route": [{"destination": {"host": host}}],
                              "mirror": {"host": f"{NAME}-shadow-predictor.{ns}.svc.cluster.local"},
                              "mirrorPercentage": {"value": percent}}]}}
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)


def inference_graph(d: DeployPlan) -> str:
    """The Switch InferenceGraph routing by `route_by`; `steps` is filled in at run time
    (https://kserve.github.io/website/latest/modelserving/inference_graph/)."""
    obj = {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "InferenceGraph",
           "metadata": {"name": d.endpoint},
           "spec": {"nodes": {"root": {"routerType": "Switch", "steps": []}}}}
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)


def templates(d: DeployPlan, namespace: str | None, labels: dict, annotations: dict) -> dict:
    """What the rollout driver needs, keyed as runtime/decide.py reads them."""
    out = {"metadata": metadata(namespace, labels, annotations), "isvc": inference_service(d)}
    mirror = next((s for s in d.canary if s["kind"] == "mirror"), None)
    if mirror is not None:
        out["mirror"] = virtual_service(namespace, mirror["percent"])
    if d.route_by is not None:
        out["graph"] = inference_graph(d)
    return out
