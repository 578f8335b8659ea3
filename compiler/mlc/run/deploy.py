"""Deploy steps locally (SPEC 12): decided and rendered, never applied.

`steps/<step>/manifests.yaml` (the InferenceService(s), the InferenceGraph of a routed
collection), `rollout-plan.json` and `decision.json`, from the same manifest templates
(plan/kserve.py) and the same rollout driver (runtime/decide.py) the targets use.
"""

from __future__ import annotations

from typing import Any

from ..plan import DeployPlan, Mode, Plan
from ..plan.values import resource_labels
from ..render.emit import dump
from ..runtime import decide
from .folders import write_json


def render_deploy(plan: Plan, d: DeployPlan, ctx: Any, states: dict) -> dict:
    folders = ctx.folders
    out = folders.step_dir(d.name)
    out.mkdir(parents=True, exist_ok=True)
    if d.model.mode is Mode.FANIN:
        items = list(states[d.model.producer].items)
    else:
        items = [("", {})]
    passed = _passed(d, folders, states)
    labels, annotations = resource_labels(plan)
    spec = d.rollout_spec(None, labels, annotations)
    spec["storage_prefix"] = "file://" + str(folders.step_dir(d.model.producer)) + "/"
    spec["storage_suffix"] = f"outputs/{d.model.output}/"
    record, deployed, graph = decide.rollout(spec, items, passed)
    documents = [decide.json.loads(e["manifest"]) for e in deployed]
    if graph is not None:
        documents.append(graph)
    header = "# Rendered by mlc run; not applied.\n"
    (out / "manifests.yaml").write_text(header + "".join("---\n" + dump(doc) for doc in documents),
                                        encoding="utf-8")
    write_json(out / "rollout-plan.json", {
        "endpoint": d.endpoint, "server": d.server,
        "items": [{"key": key, "item": item} for key, item in items
                  if key in record["deployed_items"] or (not key and record["proceed"])],
        "route_by": d.route_by, "steps": list(d.canary), "analysis": d.analysis,
        "rollback": {"on": list(d.rollback_on), "retain_previous": d.retain_previous_s}})
    write_json(out / "decision.json", record)
    ctx.log(f"{d.name}: {record['passed']}/{record['items']} passed (min_pass_rate "
            f"{d.min_pass_rate}): {'rendered' if record['proceed'] else 'blocked'}; "
            "nothing is applied by mlc run")
    return record


def _passed(d: DeployPlan, folders: Any, states: dict) -> dict[str, bool]:
    if d.gate is None:
        return {"": False}
    step = d.gate[0]
    if d.gate_dims:
        return {key: (folders.task_dir(step, key) / "outputs" / "passed").read_text().strip()
                == "true" for key, _ in states[step].items}
    text = (folders.task_dir(step) / "outputs" / "passed").read_text().strip()
    return {"": text == "true"}
