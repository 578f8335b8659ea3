"""The deploy decision (SPEC 6.6) and the KServe/Istio manifests it rolls out.
Standard library only.

As a script: MLC_DEPLOY (JSON: endpoint, namespace, replicas, Kubernetes resources,
model_format or image, route_by, min_pass_rate, canary, labels, storage prefix), MLC_PASSED ("true"/"false") or MLC_PASSED_DIR (a collection of `passed` files with
index.json), MLC_MODEL_INDEX (index.json of a collection model, if any). Writes decision.json,
`deployed` (a JSON list, one entry per model to roll out, with its manifests), `graph` and
`proceed` under MLC_OUT; exits 1 when the gate blocks the deploy (the run fails, reason gate).
"""

import hashlib
import json
import os
import sys


def isvc_name(endpoint, key):
    """<endpoint>-<first 8 hex of sha256(item key)> for a collection item, else the endpoint."""
    if not key:
        return endpoint
    return f"{endpoint}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}"


def inference_service(spec, name, storage_uri, canary=None, labels=None):
    """A KServe v1beta1 InferenceService for one model."""
    predictor = {"minReplicas": spec["replicas"][0], "maxReplicas": spec["replicas"][1]}
    if canary is not None and canary < 100:
        predictor["canaryTrafficPercent"] = canary
    resources = spec.get("resources")  # Kubernetes form, formatted by mlc at compile time
    if spec.get("model_format"):
        model = {"modelFormat": {"name": spec["model_format"]}, "storageUri": storage_uri}
        if resources:
            model["resources"] = resources
        predictor["model"] = model
    else:
        container = {"name": "kserve-container", "image": spec["image"],
                     "env": [{"name": "STORAGE_URI", "value": storage_uri}]}
        if resources:
            container["resources"] = resources
        predictor["containers"] = [container]
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": _meta(spec, name, labels), "spec": {"predictor": predictor}}


def _meta(spec, name, labels=None):
    meta = {"name": name}
    if spec.get("namespace"):
        meta["namespace"] = spec["namespace"]
    merged = dict(spec.get("labels") or {})
    merged.update(labels or {})
    if merged:
        meta["labels"] = merged
    if spec.get("annotations"):
        meta["annotations"] = dict(spec["annotations"])
    return meta


def gjson_condition(field, value):
    """KServe InferenceGraph Switch condition (GJSON) selecting requests with field == value."""
    return f"[@this].#({field}=={json.dumps(value)})"


def inference_graph(spec, deployed):
    steps = [{"name": d["name"], "serviceName": d["name"],
              "condition": gjson_condition(spec["route_by"], d["route_value"])}
             for d in deployed]
    return {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "InferenceGraph",
            "metadata": _meta(spec, spec["endpoint"]),
            "spec": {"nodes": {"root": {"routerType": "Switch", "steps": steps}}}}


def virtual_service(spec, name, percent):
    """Istio mirroring: copies `percent` % of the traffic of `name` to its shadow."""
    ns = spec.get("namespace") or "default"
    host = f"{name}-predictor.{ns}.svc.cluster.local"
    shadow = f"{name}-shadow-predictor.{ns}.svc.cluster.local"
    return {"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
            "metadata": _meta(spec, f"{name}-mirror"),
            "spec": {"hosts": [host],
                     "http": [{"route": [{"destination": {"host": host}}],
                               "mirror": {"host": shadow},
                               "mirrorPercentage": {"value": percent}}]}}


def first_weight(canary):
    for step in canary:
        if step["kind"] in ("set_weight", "experiment"):
            return step["weight"]
    return 100


def decide(passed, min_pass_rate):
    """passed: {item key: bool}. Returns the decision record (without deployed items)."""
    total = len(passed)
    ok = sum(1 for v in passed.values() if v)
    rate = ok / total if total else 0.0
    return {"items": total, "passed": ok, "pass_rate": rate, "min_pass_rate": min_pass_rate,
            "proceed": total > 0 and rate >= min_pass_rate}


def rollout(spec, items, passed):
    """Decision record and the models to roll out with their manifests.

    items: [(key, item)] of the model collection ([("", {})] for one model).
    passed: {key: bool} from the gate (a single gate applies to every item).
    """
    record = decide(passed, spec["min_pass_rate"])
    deployed = []
    if record["proceed"]:
        weight = first_weight(spec["canary"])
        mirror = next((s for s in spec["canary"] if s["kind"] == "mirror"), None)
        for key, item in items:
            if not passed.get(key, passed.get("", False)):
                continue
            name = isvc_name(spec["endpoint"], key)
            uri = spec["storage_prefix"] + (key + "/" if key else "")
            entry = {"key": key, "name": name,
                     "route_value": item.get(spec["route_by"]) if spec.get("route_by") else None,
                     "manifest": json.dumps(inference_service(spec, name, uri, weight),
                                            separators=(",", ":"), sort_keys=True)}
            if mirror is not None:
                entry["shadow"] = json.dumps(inference_service(spec, name + "-shadow", uri),
                                             separators=(",", ":"), sort_keys=True)
                entry["mirror"] = json.dumps(virtual_service(spec, name, mirror["percent"]),
                                             separators=(",", ":"), sort_keys=True)
            deployed.append(entry)
    record["deployed_items"] = [d["key"] for d in deployed]
    graph = inference_graph(spec, deployed) if spec.get("route_by") and deployed else None
    return record, deployed, graph


def _read_collection(directory):
    with open(os.path.join(directory, "index.json"), encoding="utf-8") as fh:
        index = json.load(fh)
    return index


def main():
    spec = json.loads(os.environ["MLC_DEPLOY"])
    out = os.environ.get("MLC_OUT", "/tmp/mlc")
    os.makedirs(out, exist_ok=True)
    if os.environ.get("MLC_PASSED_DIR"):
        directory = os.environ["MLC_PASSED_DIR"]
        passed = {}
        for entry in _read_collection(directory):
            with open(os.path.join(directory, entry["path"]), encoding="utf-8") as fh:
                passed[entry["path"]] = fh.read().strip() == "true"
    else:
        passed = {"": os.environ.get("MLC_PASSED", "false").strip() == "true"}
    if os.environ.get("MLC_MODEL_INDEX"):
        with open(os.environ["MLC_MODEL_INDEX"], encoding="utf-8") as fh:
            items = [(e["path"], e["key"]) for e in json.load(fh)]
        if list(passed) == [""]:
            passed = {key: passed[""] for key, _ in items}
    else:
        items = [("", {})]
    record, deployed, graph = rollout(spec, items, passed)
    with open(os.path.join(out, "decision.json"), "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=2, sort_keys=True)
    with open(os.path.join(out, "deployed"), "w", encoding="utf-8") as fh:
        json.dump(deployed, fh, separators=(",", ":"))
    with open(os.path.join(out, "graph"), "w", encoding="utf-8") as fh:
        fh.write(json.dumps(graph, separators=(",", ":"), sort_keys=True) if graph else "")
    with open(os.path.join(out, "proceed"), "w", encoding="utf-8") as fh:
        fh.write("true" if record["proceed"] else "false")
    print(f"gate: {record['passed']}/{record['items']} passed "
          f"(min_pass_rate {record['min_pass_rate']}): "
          f"{'deploying ' + str(len(deployed)) if record['proceed'] else 'blocked'}")
    if not record["proceed"]:
        sys.exit("mlc: the gate blocks this deploy")


if __name__ == "__main__":
    main()
