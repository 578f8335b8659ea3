"""Deploy steps (SPEC 6.6) as an Argo DAG: decide, roll out on KServe, analyse, roll back.

Kubernetes resources are applied by Argo resource templates
(https://argo-workflows.readthedocs.io/en/latest/fields/#resourcetemplate); pauses are
suspend templates (https://argo-workflows.readthedocs.io/en/latest/fields/#suspendtemplate).
The manifests themselves are written at run time by the decide task (runtime/decide.py), the
same code `mlc run` uses to render them.
"""

from __future__ import annotations

from typing import Any

from ...plan import DeployPlan, Mode
from ...plan.keys import decision_key, index_key, passed_key, prefix_key
from .dag import task
from .steps import env_value, from_param, script_template
from .syntax import RUN, SCRIPT_OUT, escaped_tag, gen, json_text, k8s, key_text, tag

KSERVE = "serving.kserve.io/v1beta1"
EVENT_OF = {"apply": "deploy_failed", "weight": "deploy_failed", "graph": "deploy_failed",
            "mirror": "deploy_failed", "analysis": "analysis_failed",
            "experiment": "experiment_lost"}

ARCHIVE_NONE = {"none": {}}  # upload directories as they are, not as .tgz


def shared_templates() -> list[dict]:
    """Resource and suspend templates every deploy uses."""
    def resource(name: str, action: str, **extra: Any) -> dict:
        body = {"action": action, "manifest": tag("manifest")}
        body.update(extra)
        return {"name": name, "inputs": {"parameters": [{"name": "manifest"}]},
                "resource": body}

    return [
        resource("mlc-apply", "apply"),
        resource("mlc-delete", "delete", flags=["--ignore-not-found"]),
        {"name": "mlc-weight", "inputs": {"parameters": [{"name": "name"}, {"name": "weight"}]},
         "resource": {"action": "patch", "mergeStrategy": "merge",
                      "manifest": ('{"apiVersion":"%s","kind":"InferenceService","metadata":'
                                   '{"name":"{{inputs.parameters.name}}"},"spec":{"predictor":'
                                   '{"canaryTrafficPercent":{{inputs.parameters.weight}}}}}'
                                   % KSERVE)}},
        {"name": "mlc-wait", "inputs": {"parameters": [{"name": "seconds"}]},
         "suspend": {"duration": tag("seconds")}},
    ]


class DeployDAG:
    def __init__(self, ctx: Any, deploy: DeployPlan) -> None:
        self.ctx = ctx
        self.d = deploy
        self.templates: list[dict] = []

    def build(self) -> tuple[list[dict], list[dict]]:
        d, ctx = self.d, self.ctx
        self.templates.append(self.decide_template())
        if d.analysis is not None:
            self.templates.append(self.analysis_template())
        tasks = self.rollout_tasks()
        single_gate = d.gate is not None and not d.gate_dims
        inputs = [{"name": "passed"}] if single_gate else []
        model_run = self.model_run()
        template = {"name": gen(d.name, "rollout"),
                    "inputs": {"parameters": inputs + [{"name": n} for n in
                                                       sorted({"run-id"} | model_run)]},
                    "dag": {"tasks": tasks}}
        self.templates.append(template)
        pre = ctx.after([ctx.task_name(u) for u in d.upstream])
        args = {"run-id": "{{tasks.mlc-run.outputs.parameters.run-id}}"}
        args.update({n: ctx.producer_run(n) for n in model_run})
        if single_gate:
            args["passed"] = "{{tasks.%s.outputs.parameters.passed}}" % k8s(d.gate[0])
        main = task(k8s(d.name), gen(d.name, "rollout"), args, pre)
        return self.templates, [main]

    # -- decide ---------------------------------------------------------------------------
    def model_run(self) -> set[str]:
        """`from-<producer>` when the model's producer is cached without foreach: KServe reads
        the model under the run that wrote it (issue 17, item 1)."""
        producer = self.d.model.producer
        return {from_param(producer)} if producer in self.ctx.reporting else set()

    def decide_template(self) -> dict:
        d, ctx = self.d, self.ctx
        prefix = ctx.store.uri(key_text(prefix_key(d.model.producer, d.model.output)))
        model_run = self.model_run()
        prefix = prefix.replace(RUN, escaped_tag(next(iter(model_run), "run-id")))
        spec = d.rollout_spec(ctx.namespace, ctx.labels, ctx.annotations)
        spec_json = json_text(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        spec_json = spec_json[:-1] + ',"storage_prefix":"' + prefix + '"}'
        env = [env_value("MLC_DEPLOY", spec_json)]
        arts_in = []
        if d.gate_dims:
            arts_in.append(self._artifact("passed", key_text(passed_key(d.gate[0], False)),
                                          "/mlc/passed"))
            env.append(env_value("MLC_PASSED_DIR", "/mlc/passed"))
        elif d.gate is not None:
            env.append(env_value("MLC_PASSED", tag("passed")))
        if d.model.mode is Mode.FANIN:
            arts_in.append(self._artifact("model-index",
                                          key_text(index_key(d.model.producer, d.model.output)),
                                          "/mlc/model-index.json"))
            env.append(env_value("MLC_MODEL_INDEX", "/mlc/model-index.json"))
        decision = {"name": "decision", "path": f"{SCRIPT_OUT}/decision.json",
                    "archive": ARCHIVE_NONE}
        decision.update(ctx.store.location(key_text(decision_key(d.name))))
        params = {"run-id"} | ({"passed"} if d.gate is not None and not d.gate_dims else set())
        params |= model_run
        return script_template(ctx, gen(d.name, "decide"), "decide", env, parameters=params,
                               outputs=["deployed", "graph", "proceed"], artifacts_in=arts_in,
                               artifacts_out=[decision])

    def _artifact(self, name: str, key: str, path: str) -> dict:
        entry = {"name": name, "path": path}
        entry.update(self.ctx.store.location(key))
        return entry

    # -- analysis -------------------------------------------------------------------------
    def analysis_template(self) -> dict:
        d, ctx = self.d, self.ctx
        spec = dict(d.analysis)
        spec["address"] = spec.get("address") or ctx.prometheus or ""
        env = [env_value("MLC_ANALYSIS", json_text(spec, sort_keys=True,
                                                    separators=(",", ":"))),
               env_value("MLC_DURATION_S", tag("seconds")),
               env_value("MLC_FAILURES", tag("failures")),
               env_value("MLC_MODE", tag("mode")),
               env_value("MLC_ON_INCONCLUSIVE", tag("on-inconclusive"))]
        template = script_template(ctx, gen(d.name, "analysis"), "analysis", env,
                                   parameters={"seconds", "failures", "mode",
                                               "on-inconclusive"}, outputs=["failures"])
        if d.analysis.get("credentials"):
            secret = d.analysis["credentials"]
            env.append(env_value("MLC_TOKEN_FILE", f"/mlc/secrets/{secret}/token"))
            template["script"]["env"] = sorted(env, key=lambda e: e["name"])
            template["script"]["volumeMounts"] = [{"name": "analysis-secret",
                                                   "mountPath": f"/mlc/secrets/{secret}",
                                                   "readOnly": True}]
            template["volumes"] = [{"name": "analysis-secret",
                                    "secret": {"secretName": ctx.secret_store(secret)}}]
        return template

    # -- the rollout sequence --------------------------------------------------------------
    def rollout_tasks(self) -> list[dict]:
        d = self.d
        deployed = "{{tasks.decide.outputs.parameters.deployed}}"
        decide_args = {"run-id": tag("run-id")} | {n: tag(n) for n in self.model_run()}
        if d.gate is not None and not d.gate_dims:
            decide_args["passed"] = tag("passed")
        tasks = [task("decide", gen(d.name, "decide"), decide_args)]
        last, applied, failures_from = ["decide"], False, None
        applied_from: str | None = None
        events: dict[str, list[str]] = {}

        def add(name: str, template: str, args: dict, kind: str, **extra: Any) -> None:
            nonlocal last
            tasks.append(task(name, template, args, last, **extra))
            events.setdefault(EVENT_OF[kind], []).append(name)
            last = [name]

        for i, step in enumerate(d.canary):
            kind = step["kind"]
            if kind == "mirror":
                add(f"mirror-{i}", "mlc-apply", {"manifest": "{{item.shadow}}"}, "mirror",
                    withParam=deployed)
                add(f"mirror-{i}-route", "mlc-apply", {"manifest": "{{item.mirror}}"}, "mirror",
                    withParam=deployed)
                add(f"mirror-{i}-hold", "mlc-wait", {"seconds": str(step["duration_s"])},
                    "mirror")
                add(f"mirror-{i}-end", "mlc-delete", {"manifest": "{{item.mirror}}"}, "mirror",
                    withParam=deployed)
                add(f"mirror-{i}-shadow-end", "mlc-delete", {"manifest": "{{item.shadow}}"},
                    "mirror", withParam=deployed)
                continue
            if kind in ("set_weight", "experiment"):
                weight = step["weight"]
                if not applied:
                    add(f"weight-{i}", "mlc-apply", {"manifest": "{{item.manifest}}"}, "apply",
                        withParam=deployed)
                    applied_from = f"weight-{i}"
                    if d.route_by is not None:
                        add("graph", "mlc-apply",
                            {"manifest": "{{tasks.decide.outputs.parameters.graph}}"}, "graph")
                    applied = True
                else:
                    add(f"weight-{i}", "mlc-weight", {"name": "{{item.name}}",
                                                      "weight": str(weight)}, "weight",
                        withParam=deployed)
            if kind == "set_weight":
                continue
            seconds = str(step["duration_s"])
            analysed = d.analysis is not None and applied
            if kind == "pause" and not analysed:
                add(f"pause-{i}", "mlc-wait", {"seconds": seconds}, "mirror")
                continue
            mode = "experiment" if kind == "experiment" else "analysis"
            prior = "{{tasks.%s.outputs.parameters.failures}}" % failures_from \
                if failures_from else "0"
            add(f"{mode}-{i}", gen(d.name, "analysis"),
                {"seconds": seconds, "failures": prior, "mode": mode,
                 "on-inconclusive": step.get("on_inconclusive", "rollback")},
                "experiment" if kind == "experiment" else "analysis")
            failures_from = f"{mode}-{i}"
        tasks.append(task("retain", "mlc-wait", {"seconds": str(d.retain_previous_s)}, last))
        self.order = [t["name"] for t in tasks]
        tasks.extend(self.rollback(events, deployed, applied_from))
        return tasks

    def rollback(self, events: dict[str, list[str]], deployed: str,
                 applied_from: str | None) -> list[dict]:
        """On a listed event, send traffic back to the current version, stop mirroring and
        remove the shadow. A task that fails or errors counts (Argo: `Failed`, `Errored`).
        Traffic is patched back only for failures from the first apply on: before it, the
        InferenceService does not exist, and a patch would fail NotFound."""
        watched = [name for event in self.d.rollback_on for name in events.get(event, [])]
        watched = sorted(set(watched), key=watched.index)
        if not watched:
            return []

        def condition(names: list[str]) -> str:
            return " || ".join(f"{n}.Failed || {n}.Errored" for n in names)

        out = []
        after_apply = [] if applied_from is None else [
            n for n in watched if self.order.index(n) >= self.order.index(applied_from)]
        if after_apply:
            out.append({"name": "rollback", "template": "mlc-weight",
                        "depends": condition(after_apply),
                        "arguments": {"parameters": [{"name": "name", "value": "{{item.name}}"},
                                                     {"name": "weight", "value": "0"}]},
                        "withParam": deployed})
        if any(step["kind"] == "mirror" for step in self.d.canary):
            for name, manifest in (("rollback-mirror", "{{item.mirror}}"),
                                   ("rollback-shadow", "{{item.shadow}}")):
                out.append({"name": name, "template": "mlc-delete",
                            "depends": condition(watched),
                            "arguments": {"parameters": [{"name": "manifest",
                                                          "value": manifest}]},
                            "withParam": deployed})
        return out
