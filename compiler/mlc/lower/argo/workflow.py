"""The documents of the argo target: a WorkflowTemplate, a CronWorkflow when scheduled, and with
`--kind workflow` a Workflow (SPEC 8, 10, 11). Plain dicts; `render/` turns them into bytes.

Field reference: https://argo-workflows.readthedocs.io/en/latest/fields/
"""

from __future__ import annotations

import json
from typing import Any

from ...plan import DimSource, Plan, Resources, Retry, StepPlan, Unit, params_payload
from ...plan.settings import KubeSettings
from ...plan.values import resource_labels
from ..base import Lowered, Options
from ..kube import container_resources, node_selector
from . import rbac
from .dag import LIMITS, StepDAG, limits_template, task
from .deploy import DeployDAG, shared_templates
from .steps import (
    cache_key_template,
    container_defaults,
    env_value,
    gate_template,
    MAIN_RUN,
    RUN_OUTPUT,
    from_param,
    reads_producer_run,
    relink_template,
    relinked_outputs,
    script_template,
    select_template,
)
from .syntax import Store, gen, json_text, k8s, output_param

DEFAULT_CACHE_MAX_AGE_S = 30 * 86400
CONCURRENCY = {"allow": "Allow", "forbid": "Forbid", "replace": "Replace"}


class ArgoTarget:
    name = "argo"

    def lower(self, plan: Plan, settings: KubeSettings, options: Options) -> Lowered:
        builder = Builder(plan, settings)
        docs = [builder.workflow_template()]
        if plan.schedule is not None:
            docs.append(builder.cron_workflow())
        if options.kind == "workflow":
            docs.append(builder.workflow())
        files: dict = {"workflow.yaml": docs}
        if options.rbac:
            files["rbac.yaml"] = rbac.documents(plan, builder.metadata, settings.service_account,
                                                settings.mesh)
        return Lowered(files=files)


TARGET = ArgoTarget()


class Builder:
    """Lowering context: target settings and the helpers the template builders share."""

    def __init__(self, plan: Plan, settings: KubeSettings) -> None:
        self.plan = plan
        self.settings = settings
        self.store = Store(settings.artifact_store)
        self.runtime_image = settings.runtime_image
        self.namespace = settings.namespace
        self.prometheus = settings.prometheus
        self.value_types = {f"{s}.{o.name}": o.type for s, st in plan.steps.items()
                            for o in st.outputs}
        # Where each value output's parameter comes from in the main DAG (a lookup: parameter
        # names are never parsed back into steps).
        self.output_args = {output_param(s, o.name): "{{tasks.%s.outputs.parameters.%s}}"
                            % (k8s(s), o.name) for s, st in plan.steps.items()
                            for o in st.outputs if not o.artifact}
        self.cache_config_map = f"mlc-cache-{plan.base_name}"
        # cached producers whose consumers read their artifacts under the run that wrote them
        self.reporting = {s for s in plan.steps if reads_producer_run(plan, s)}
        # ... of which those whose own main-DAG task runs the container: that task's outputs
        # hold the artifacts, which main-DAG consumers are handed (`in_main_workflow`)
        self.handing = {s for s in self.reporting if not plan.steps[s].foreach
                        and plan.steps[s].unit in (Unit.KEYED, Unit.CONTAINER)}
        # the run that wrote a cached producer's artifacts, for its other consumers' keys
        self.from_args = {from_param(s): "{{tasks.%s.outputs.parameters.%s}}"
                          % (k8s(s), RUN_OUTPUT) for s in self.reporting}
        self.runs_read: set[str] = set()  # the `from-<producer>` parameters tasks pass
        self.labels, self.annotations = resource_labels(plan)

    # -- labels (SPEC 11) ------------------------------------------------------------------
    def metadata(self, **extra: Any) -> dict:
        meta = dict(extra)
        if self.namespace:
            meta["namespace"] = self.namespace
        meta["labels"] = dict(self.labels)
        meta["annotations"] = dict(self.annotations)
        return meta

    def metadata_json(self, extra_labels: dict | None = None) -> str:
        labels = dict(self.labels)
        labels.update(extra_labels or {})
        text = json.dumps({"labels": labels, "annotations": self.annotations},
                          separators=(",", ":"))
        return text[1:-1]

    # -- helpers used by the template builders ---------------------------------------------
    def task_name(self, step: str) -> str:
        return k8s(step)

    def after(self, tasks: list[str]) -> list[str]:
        """What a main-DAG task depends on: `tasks`, or the run task when there are none.
        Every main task depends on `mlc-run`, directly or through these (Argo reads outputs
        of any ancestor, transitively: `common.GetTaskAncestry`)."""
        return list(tasks) if tasks else ["mlc-run"]

    def secret_store(self, secret: str) -> str:
        return self.plan.secrets[secret]

    def resources(self, res: Resources) -> dict:
        return container_resources(res)

    def node_selector(self, res: Resources) -> dict:
        return node_selector(self.settings, res)

    def retry_strategy(self, retry: Retry) -> dict:
        """https://argo-workflows.readthedocs.io/en/latest/fields/#retrystrategy (SPEC 6.7:
        delay k = min(duration x factor^(k-1), max_duration): Argo's `cap`, from Argo 3.7;
        for 3.6 the cap is left out, and validate warns, W407)."""
        out: dict = {"limit": str(retry.limit), "retryPolicy": "Always"}
        if retry.duration_s:
            backoff = {"duration": f"{retry.duration_s}s", "factor": _number(retry.factor)}
            if retry.max_duration_s is not None and self.settings.argo_version != "3.6":
                backoff["cap"] = f"{retry.max_duration_s}s"
            out["backoff"] = backoff
        return out

    def max_age(self, seconds: int | None) -> str:
        # Without cache.max_age, 30 days: entries that never expire fill the cache ConfigMaps
        # (issue 17, item 2; docs/targets/argo.md, "Caching").
        return f"{seconds if seconds is not None else DEFAULT_CACHE_MAX_AGE_S}s"

    def main_args(self, needed: set[str], step: StepPlan) -> dict[str, str]:
        """Arguments for a main-DAG task, from the run task, the items task or producers."""
        out: dict[str, str] = {}
        run_out = "{{tasks.mlc-run.outputs.parameters.%s}}"
        lists = {"list-" + k8s(d.name): d for d in step.dims if d.source is DimSource.OUTPUT}
        for n in needed:
            if n == "run-id":  # the main DAG runs in the main Workflow only: its name
                out[n] = MAIN_RUN
            elif n.startswith(("run-", "p-", "pj-")):
                out[n] = run_out % n
            elif n in ("items", "trials"):
                value = n if n == "items" else "trials-" + k8s(step.name)
                out[n] = "{{tasks.%s.outputs.parameters.%s}}" % (gen(step.group, "items"), value)
            elif n in lists:
                d = lists[n]
                out[n] = "{{tasks.%s.outputs.parameters.%s}}" % (k8s(d.producer), d.output)
            elif n in self.output_args:
                out[n] = self.output_args[n]
            elif n in self.from_args:
                out[n] = self.producer_run(n)
        return out

    def producer_run(self, param: str) -> str:
        """The argument for a `from-<producer>` parameter: the producer task's `mlc-run`."""
        self.runs_read.add(param)
        return self.from_args[param]

    def list_sources(self, step: StepPlan) -> set[str]:
        """Steps whose outputs are the lists a step's dimensions iterate over."""
        return {d.producer for d in step.dims if d.source is DimSource.OUTPUT}

    def items_group(self, step: StepPlan) -> list[StepPlan]:
        """The steps that share `step`'s item group, in plan order; the first owns the task."""
        return [self.plan.steps[m] for m in self.plan.groups[step.group].members]

    # -- the run task ----------------------------------------------------------------------
    def run_template(self) -> dict:
        """`mlc-run`: run fields and param values, once per run (runtime/run_info.py)."""
        spec = params_payload(self.plan.params)
        schedule = self.plan.schedule
        env = [env_value("MLC_RUN_NAME", "{{workflow.name}}"),
               env_value("MLC_CREATED", "{{workflow.creationTimestamp}}"),
               env_value("MLC_TIMEZONE", schedule.timezone if schedule else "UTC"),
               env_value("MLC_PARAMS", json_text(spec, sort_keys=True, separators=(",", ":"),
                                                  ensure_ascii=False))]
        env += [env_value("MLC_ARG_" + p.upper(), "{{workflow.parameters.%s}}" % p)
                for p in self.plan.params]
        outputs = ["run-id", "run-json"]
        outputs += [f"{k}-{p}" for p in self.plan.params for k in ("p", "pj")]
        return script_template(self, "mlc-run", "run_info", env, parameters=set(),
                               outputs=outputs)

    # -- documents -------------------------------------------------------------------------
    def templates_and_tasks(self) -> tuple[list[dict], list[dict]]:
        templates, tasks = [self.run_template()], [task("mlc-run", "mlc-run")]
        if any(s.child_runs is not None and s.max_parallel for s in self.plan.steps.values()):
            templates.append(limits_template(self))
            tasks.append(task(LIMITS, "mlc--limits"))
        deploys = False
        for name in self.plan.order:
            if name in self.plan.steps:
                t, k = StepDAG(self, self.plan.steps[name]).build()
            else:
                t, k = DeployDAG(self, self.plan.deploys[name]).build()
                deploys = True
            templates += t
            tasks += k
        slots = max((len(s.artifacts) for s in self.plan.steps.values() if s.keyed), default=0)
        if slots:
            templates.append(cache_key_template(self, slots))
        if any(s.sweep for s in self.plan.steps.values()):
            templates.append(select_template(self))
        if any(s.gate_check is not None for s in self.plan.steps.values()):
            templates.append(gate_template(self))
        relinks = max((len(relinked_outputs(s)) for s in self.plan.steps.values()), default=0)
        if relinks:
            templates.append(relink_template(self, relinks))
        if deploys:
            templates += shared_templates()
        main = {"name": "main", "dag": {"tasks": tasks}}
        drop_unread_run_outputs(self, templates)
        return [main] + templates, tasks

    def workflow_template(self) -> dict:
        """https://argo-workflows.readthedocs.io/en/latest/fields/#workflowtemplate"""
        templates, _ = self.templates_and_tasks()
        spec: dict = {"entrypoint": "main"}
        if self.settings.service_account:
            spec["serviceAccountName"] = self.settings.service_account
        if self.plan.params:
            spec["arguments"] = {"parameters": [{"name": p, "value": ""}
                                                for p in self.plan.params]}
        spec["workflowMetadata"] = {"labels": dict(self.labels),
                                    "annotations": dict(self.annotations)}
        spec["podMetadata"] = {"labels": dict(self.labels), "annotations": dict(self.annotations)}
        if any("container" in t for t in templates):
            spec["templateDefaults"] = container_defaults(self.runtime_image)
        spec["templates"] = templates
        metadata = self.metadata(name=self.plan.base_name)
        # the Argo version the fields were chosen for (targets.argo.version)
        metadata["annotations"]["mlc.dev/argo-version"] = self.settings.argo_version
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
                "metadata": metadata, "spec": spec}

    def cron_workflow(self) -> dict:
        """https://argo-workflows.readthedocs.io/en/latest/fields/#cronworkflow"""
        schedule = self.plan.schedule
        spec = {"schedules": [schedule.cron], "timezone": schedule.timezone,
                "concurrencyPolicy": CONCURRENCY[schedule.concurrency],
                "workflowSpec": {"workflowTemplateRef": {"name": self.plan.base_name}}}
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow",
                "metadata": self.metadata(name=self.plan.base_name), "spec": spec}

    def workflow(self) -> dict:
        """https://argo-workflows.readthedocs.io/en/latest/fields/#workflow"""
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": self.metadata(generateName=self.plan.base_name + "-"),
                "spec": {"workflowTemplateRef": {"name": self.plan.base_name}}}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def drop_unread_run_outputs(ctx: ArgoContext, templates: list[dict]) -> None:
    """A cached step of the main DAG reports its run (`mlc-run`) for whoever reads its
    artifacts by key; where every consumer is handed them instead (`in_main_workflow`),
    no task passes it on (`producer_run`), and it goes."""
    by_name = {t["name"]: t for t in templates}
    for name in sorted(ctx.handing):
        if from_param(name) in ctx.runs_read:
            continue
        template = by_name[k8s(name)]
        outputs = template.get("outputs", {})
        params = [p for p in outputs.get("parameters", []) if p["name"] != RUN_OUTPUT]
        if params:
            outputs["parameters"] = params
        else:
            outputs.pop("parameters", None)
        if not outputs:
            template.pop("outputs", None)
