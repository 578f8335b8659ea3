"""The argo target: a WorkflowTemplate, a CronWorkflow when scheduled, and with
`--kind workflow` a Workflow (SPEC 8, 10, 11). Plain dicts; `render/` turns them into bytes.

Field reference: https://argo-workflows.readthedocs.io/en/latest/fields/
"""

from __future__ import annotations

import json
from typing import Any

from ...plan import Plan, Retry, k8s_resources
from ...plan.values import resource_labels
from ...spec.config import Config
from ...targets import argo_plan, limit
from ..base import Lowered, Options
from .dag import StepDAG, task
from .deploy import DeployDAG, shared_templates
from .steps import env_value, script_template
from .syntax import Store, gen, k8s

DEFAULT_RUNTIME_IMAGE = "python:3.12-slim"
CONCURRENCY = {"allow": "Allow", "forbid": "Forbid", "replace": "Replace"}


class ArgoTarget:
    name = "argo"

    def lower(self, plan: Plan, cfg: Config, options: Options) -> Lowered:
        builder = Builder(plan, cfg)
        docs = [builder.workflow_template()]
        if plan.schedule is not None:
            docs.append(builder.cron_workflow())
        if options.kind == "workflow":
            docs.append(builder.workflow())
        return Lowered(files={"workflow.yaml": docs})


TARGET = ArgoTarget()


class Builder:
    """Lowering context: target settings and the helpers the template builders share."""

    def __init__(self, plan: Plan, cfg: Config) -> None:
        self.plan = plan
        self.cfg = cfg
        block = cfg.doc.targets.argo if cfg.doc.targets is not None and \
            cfg.doc.targets.argo is not None else None
        self.block = block
        self.store = Store(block.artifact_store if block else None)
        self.runtime_image = (block.runtime_image if block else None) or DEFAULT_RUNTIME_IMAGE
        self.namespace = block.namespace if block and block.namespace else None
        self.prometheus = block.monitoring.prometheus if block and block.monitoring else None
        self.split = set(argo_plan(cfg, limit(cfg.doc, "argo", "max_nodes_per_workflow")).split)
        self.value_types = {f"{s}.{o.name}": o.type for s, st in plan.steps.items()
                            for o in st.outputs}
        self.cache_config_map = f"mlc-cache-{plan.base_name}"
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

    def secret_store(self, secret: str) -> str:
        return (self.cfg.doc.secrets or {})[secret]

    def resources(self, res: dict) -> dict:
        return k8s_resources(res)

    def node_selector(self, res: dict) -> dict:
        accel = res.get("accelerator")
        if not accel or self.block is None:
            return {}
        return {k: str(v) if not isinstance(v, bool) else str(v).lower()
                for k, v in self.block.accelerators.get(accel, {}).items()}

    def retry_strategy(self, retry: Retry) -> dict:
        """https://argo-workflows.readthedocs.io/en/latest/fields/#retrystrategy (SPEC 6.7:
        delay k = min(duration x factor^(k-1), max_duration): Argo's `cap`)."""
        out: dict = {"limit": str(retry.limit), "retryPolicy": "Always"}
        if retry.duration_s:
            backoff = {"duration": f"{retry.duration_s}s", "factor": _number(retry.factor)}
            if retry.max_duration_s is not None:
                backoff["cap"] = f"{retry.max_duration_s}s"
            out["backoff"] = backoff
        return out

    def max_age(self, seconds: int | None) -> str:
        # Without cache.max_age an entry never expires; Argo needs a value: ten years.
        return f"{seconds if seconds is not None else 10 * 365 * 86400}s"

    def main_args(self, needed: set[str], step: Any) -> dict[str, str]:
        """Arguments for a main-DAG task, from the run task, the items task or producers."""
        out: dict[str, str] = {}
        run_out = "{{tasks.mlc-run.outputs.parameters.%s}}"
        for n in needed:
            if n.startswith(("run-", "p-", "pj-")):
                out[n] = run_out % n
            elif n in ("items", "trials"):
                owner = self.items_group(step.name)[0].name
                value = n if n == "items" else "trials-" + k8s(step.name)
                out[n] = "{{tasks.%s.outputs.parameters.%s}}" % (gen(owner, "items"), value)
            elif n.startswith("list-"):
                dim = next(d for d in step.dims if d.name.replace("_", "-") == n[5:])
                producer, output = dim.ref.split(".")
                out[n] = "{{tasks.%s.outputs.parameters.%s}}" % (k8s(producer), output)
            elif n.startswith("o-"):
                producer, output = self._output_of(n)
                out[n] = "{{tasks.%s.outputs.parameters.%s}}" % (k8s(producer), output)
        return out

    def _output_of(self, param: str) -> tuple[str, str]:
        for key in self.value_types:
            step, output = key.split(".")
            if f"o-{k8s(step)}-{output}" == param:
                return step, output
        raise KeyError(param)

    def list_sources(self, step: Any) -> set[str]:
        """Steps whose outputs are the lists a step's dimensions iterate over."""
        return {d.ref.split(".")[0] for d in step.dims if d.source == "output"}

    def items_group(self, name: str) -> list:
        """The steps that share `name`'s dimensions, in plan order; the first owns the task."""
        step = self.plan.steps[name]
        key = _dims_key(step)
        return [s for s in self.plan.steps.values()
                if (s.foreach or s.sweep) and _dims_key(s) == key]

    def partition_index(self, step: str) -> bool:
        """Does `step` need a `<step>--index` task: a partitioned features step (no fan-out of
        its own) with an output some consumer reads whole?"""
        plan = self.plan.steps.get(step)
        return (plan is not None and plan.type == "features" and not plan.foreach
                and plan.config["features"]["partition"] is not None
                and bool(self.index_outputs(step)))

    def index_outputs(self, step: str) -> list[str]:
        """Outputs of `step` read as whole collections: they get an index.json."""
        out = set()
        for other in self.plan.steps.values():
            for art in other.artifacts:
                if art.producer == step and art.mode == "fanin":
                    out.add(art.output)
        for d in self.plan.deploys.values():
            if d.model.producer == step and d.model.mode == "fanin":
                out.add(d.model.output)
            if d.gate is not None and d.gate[0] == step and d.gate_dims:
                out.add("passed")
        return sorted(out)

    # -- the run task ----------------------------------------------------------------------
    def run_template(self) -> dict:
        """`mlc-run`: run fields and param values, once per run (runtime/run_info.py)."""
        spec = {}
        for name, param in self.plan.params.items():
            entry: dict = {"type": param.type}
            if param.enum is not None:
                entry["enum"] = list(param.enum)
            if param.max_items is not None:
                entry["max_items"] = param.max_items
            default = param.default
            if isinstance(default, str) and "${{" in default:
                entry["default_template"] = _run_template(default)
            elif default is not None:
                entry["default"] = default
            spec[name] = entry
        schedule = self.plan.schedule
        env = [env_value("MLC_RUN_NAME", "{{workflow.name}}"),
               env_value("MLC_CREATED", "{{workflow.creationTimestamp}}"),
               env_value("MLC_TIMEZONE", schedule.timezone if schedule else "UTC"),
               env_value("MLC_PARAMS", json.dumps(spec, sort_keys=True, separators=(",", ":"),
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
        deploys = False
        for name in self.plan.order:
            if name in self.plan.steps:
                t, k = StepDAG(self, self.plan.steps[name]).build()
            else:
                t, k = DeployDAG(self, self.plan.deploys[name]).build()
                deploys = True
            templates += t
            tasks += k
        if deploys:
            templates += shared_templates()
        main = {"name": "main", "dag": {"tasks": tasks}}
        return [main] + templates, tasks

    def workflow_template(self) -> dict:
        """https://argo-workflows.readthedocs.io/en/latest/fields/#workflowtemplate"""
        templates, _ = self.templates_and_tasks()
        spec: dict = {"entrypoint": "main"}
        if self.block is not None and self.block.service_account:
            spec["serviceAccountName"] = self.block.service_account
        if self.plan.params:
            spec["arguments"] = {"parameters": [{"name": p, "value": ""}
                                                for p in self.plan.params]}
        spec["workflowMetadata"] = {"labels": dict(self.labels),
                                    "annotations": dict(self.annotations)}
        spec["podMetadata"] = {"labels": dict(self.labels), "annotations": dict(self.annotations)}
        spec["templates"] = templates
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
                "metadata": self.metadata(name=self.plan.base_name), "spec": spec}

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


def _dims_key(step: Any) -> tuple:
    return tuple((d.name, d.source, d.values, d.ref, d.bound, d.only) for d in step.dims)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _run_template(text: str) -> list[list[str]]:
    """A default like `${{ run.date }}` as [["run", "date"]] / [["text", "..."]] pieces."""
    from ...spec.refgrammar import parse_template

    template, _ = parse_template(text)
    return [["text", p] if isinstance(p, str) else ["run", p.parts[0]] for p in template.pieces]


__all__ = ["TARGET", "ArgoTarget", "Builder", "script_template"]
