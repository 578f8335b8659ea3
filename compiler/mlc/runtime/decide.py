"""The deploy decision (SPEC 6.6) and the KServe/Istio manifests it rolls out.
Standard library only.

As a script: MLC_DEPLOY (JSON: endpoint, route_by, min_pass_rate, canary, storage prefix,
and the manifest templates of plan/kserve.py: isvc, mirror, graph), MLC_PASSED ("true"/"false") or MLC_PASSED_DIR (a collection of `passed` files with
index.json), MLC_MODEL_INDEX (index.json of a collection model, if any); on Kubeflow instead
MLC_PASSED_ITEMS and MLC_PASSED_VALUES, MLC_MODEL_ITEMS and MLC_MODEL_URIS (collected lists,
items as `{"key", "item"}` texts) or MLC_MODEL_URI. Writes decision.json,
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


def fill(spec, template, name, uri=""):
    """A compile-time manifest (plan/kserve.py) for one model, with the rollout's metadata.
    Names are DNS-safe and artifact keys percent-encoded: placeholders are replaced as is."""
    obj = json.loads(template.replace("@NAME@", name).replace("@URI@", uri))
    obj["metadata"].update(spec.get("metadata") or {})
    return obj


def inference_service(spec, name, uri, canary=None):
    obj = fill(spec, spec["isvc"], name, uri)
    if canary is not None and canary < 100:
        obj["spec"]["predictor"]["canaryTrafficPercent"] = canary
    return obj


def gjson_condition(field, value):
    """KServe InferenceGraph Switch condition (GJSON) selecting requests with field == value."""
    return f"[@this].#({field}=={json.dumps(value)})"


def inference_graph(spec, deployed):
    obj = fill(spec, spec["graph"], "")
    obj["spec"]["nodes"]["root"]["steps"] = [
        {"name": d["name"], "serviceName": d["name"],
         "condition": gjson_condition(spec["route_by"], d["route_value"])} for d in deployed]
    return obj


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
            if "uris" in spec:  # Kubeflow: each model's artifact URI, as KFP reported it
                uri = spec["uris"].get(key, spec["uris"].get("", ""))
            else:
                uri = spec["storage_prefix"] + (key + "/" if key else "") + \
                    spec.get("storage_suffix", "")
            entry = {"key": key, "name": name,
                     "route_value": item.get(spec["route_by"]) if spec.get("route_by") else None,
                     "manifest": _text(inference_service(spec, name, uri, weight))}
            if mirror is not None:
                entry["shadow"] = _text(inference_service(spec, name + "-shadow", uri))
                entry["mirror"] = _text(fill(spec, spec["mirror"], name))
            deployed.append(entry)
    record["deployed_items"] = [d["key"] for d in deployed]
    graph = inference_graph(spec, deployed) if spec.get("route_by") and deployed else None
    return record, deployed, graph


def _text(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)


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
    elif os.environ.get("MLC_PASSED_ITEMS"):  # Kubeflow: collected from the gate's loop
        keys = [json.loads(t)["key"] for t in json.loads(os.environ["MLC_PASSED_ITEMS"])]
        values = json.loads(os.environ["MLC_PASSED_VALUES"])
        passed = {k: str(v).strip() == "true" for k, v in zip(keys, values)}
    else:
        passed = {"": os.environ.get("MLC_PASSED", "false").strip() == "true"}
    if os.environ.get("MLC_MODEL_ITEMS"):  # Kubeflow: the collected models and their URIs
        models = [json.loads(t) for t in json.loads(os.environ["MLC_MODEL_ITEMS"])]
        items = [(m["key"], m["item"]) for m in models]
        spec["uris"] = dict(zip([m["key"] for m in models],
                                json.loads(os.environ["MLC_MODEL_URIS"])))
        if list(passed) == [""]:
            passed = {key: passed[""] for key, _ in items}
    elif os.environ.get("MLC_MODEL_URI"):  # Kubeflow: one model
        spec["uris"] = {"": os.environ["MLC_MODEL_URI"]}
        items = [("", {})]
    elif os.environ.get("MLC_MODEL_INDEX"):
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
