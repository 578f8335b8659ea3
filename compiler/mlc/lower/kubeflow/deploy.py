"""Deploy steps on Kubeflow (SPEC 6.6, 8): the decide task, then, under `dsl.If` on its
`proceed`, one rollout task that applies the KServe (and Istio) manifests through the
Kubernetes API (runtime/rollout.py, with runtime/analysis.py's loop for canary analysis).
KFP has no resource or suspend templates, so the whole canary sequence is one long-running
task; the manifests are the ones decide renders on every target (plan/kserve.py).
"""

from __future__ import annotations

import json
from typing import Any

from ...plan import DeployPlan, Mode
from ...runtime import compact_source
from .ir import LIST, STRING, output
from .syntax import SCRIPT_OUT, command, in_param, k8s


def rollout_source() -> str:
    """analysis.py's functions, then rollout.py: one standalone script."""
    analysis = compact_source("analysis").split("\nif __name__ ==")[0]
    return analysis + "\n" + compact_source("rollout")


def deploy(b: Any, d: DeployPlan) -> None:
    name = k8s(d.name)
    ir = b.ir
    spec = d.rollout_spec(b.settings.namespace, b.labels, b.annotations)
    env: dict[str, str] = {"MLC_DEPLOY": json.dumps(spec, sort_keys=True, separators=(",", ":"),
                                                    ensure_ascii=False)}
    inputs: dict[str, str] = {}
    params: dict = {}
    model = b.plan.steps[d.model.producer]
    if d.model.mode is Mode.FANIN and model.foreach:
        env["MLC_MODEL_ITEMS"] = in_param("model_items")
        env["MLC_MODEL_URIS"] = in_param("model_uris")
        inputs |= {"model_items": LIST, "model_uris": LIST}
        params["model_items"] = output(b.item_task(model), "mlc_item")
        params["model_uris"] = uri_ref(b, model, d.model.output)
    else:
        env["MLC_MODEL_URI"] = in_param("model_uri")
        inputs["model_uri"] = STRING
        params["model_uri"] = uri_ref(b, model, d.model.output)
    if d.gate is not None:
        evaluate = b.plan.steps[d.gate[0]]
        if d.gate_dims:
            env["MLC_PASSED_ITEMS"] = in_param("passed_items")
            env["MLC_PASSED_VALUES"] = in_param("passed_values")
            inputs |= {"passed_items": LIST, "passed_values": LIST}
            params["passed_items"] = output(k8s(evaluate.name), "mlc_item")
            params["passed_values"] = output(f"{k8s(evaluate.name)}-gate", "passed")
        else:
            env["MLC_PASSED"] = in_param("passed")
            inputs["passed"] = STRING
            params["passed"] = output(f"{k8s(evaluate.name)}-gate", "passed")
    decide = f"{name}-decide"
    comp = b.generated(decide, "decide", env, inputs,
                       {"deployed": STRING, "graph": STRING, "proceed": STRING})
    ir.add_task(ir.root, decide, comp, params=params, cachingOptions={},
                after=[b.last_task(u) for u in d.upstream if u != d.model.producer])
    # dsl.If(decide.outputs['proceed'] == 'true')
    condition = ir.root.child(f"condition-{name}", f"condition-{name}")
    rollout = {"canary": list(d.canary), "analysis": _analysis(b, d),
               "rollback_on": list(d.rollback_on), "retain_s": d.retain_previous_s,
               "namespace": b.settings.namespace}
    renv = {"MLC_ROLLOUT": json.dumps(rollout, sort_keys=True, separators=(",", ":"),
                                      ensure_ascii=False),
            "MLC_DEPLOYED": in_param("deployed"), "MLC_GRAPH": in_param("graph"),
            "MLC_OUT": SCRIPT_OUT}
    args: list[str] = []
    for var in sorted(renv):
        args += ["--env", f"{var}={renv[var]}"]
    args += ["--", "python", "-c", rollout_source()]
    task = f"{name}-rollout"
    comp = ir.component(task, {"deployed": STRING, "graph": STRING}, {}, {}, {},
                        {"container": {"args": args, "command": command(args),
                                       "image": b.settings.runtime_image}})
    b.platform(f"exec-{task}")
    secret = (d.analysis or {}).get("credentials")
    if secret:
        b.ir.platform[f"exec-{task}"]["secretAsVolume"] = [{
            "mountPath": f"/mlc/secrets/{secret}", "optional": False,
            "secretName": b.plan.secrets[secret],
            "secretNameParameter": {"runtimeValue": {"constant": b.plan.secrets[secret]}}}]
    ir.add_task(condition, task, comp, params={"deployed": output(decide, "deployed"),
                                               "graph": output(decide, "graph")},
                cachingOptions={})
    proceed = output(decide, "proceed")
    condition.passed[proceed.channel] = proceed
    condition.param_inputs[proceed.channel] = STRING
    ir.close(condition, {"triggerPolicy": {
        "condition": f"inputs.parameter_values['{proceed.channel}'] == 'true'"}})


def uri_ref(b: Any, step: Any, out: str):
    """The URI of a step's output artifact (per item, collected, for a foreach step)."""
    if step.sweep:
        return output(f"{k8s(step.name)}-select", f"uri_{out}")
    return output(k8s(step.name), f"uri_{out}")


def _analysis(b: Any, d: DeployPlan) -> dict | None:
    if d.analysis is None:
        return None
    spec = dict(d.analysis)
    spec["address"] = spec.get("address") or b.settings.prometheus or ""
    return spec
