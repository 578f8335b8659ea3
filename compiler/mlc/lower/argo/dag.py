"""DAGs: the main DAG, each step's fan-out and per-item DAGs, child Workflows (SPEC 6.4, 10).

Field reference: https://argo-workflows.readthedocs.io/en/latest/fields/#dagtemplate and
https://argo-workflows.readthedocs.io/en/latest/fields/#dagtask
"""

from __future__ import annotations

import json
from typing import Any

from ...plan import Mode, StepPlan, Unit
from .steps import (
    CACHE_KEY,
    GATE,
    RELINK,
    RUN_OUTPUT,
    SELECT,
    cache_key_args,
    chunk_items_template,
    container_template,
    gate_args,
    in_main_workflow,
    inputs_block,
    items_template,
    objective_json,
    partition_index_template,
    promote_template,
    relink_task_args,
    relinked_outputs,
)
from ...runtime.items import flat, sweep_trials
from .syntax import gen, json_text, k8s, tag

ITEM_PARAMS = ("item-key", "item-json")
LIMITS = "mlc-limits"           # the input naming the run's semaphore ConfigMap (SPEC 10)


def task(name: str, template: str, args: dict[str, str] | None = None,
         depends: list[str] | None = None, artifacts: list[dict] | None = None,
         **extra: Any) -> dict:
    """A DAG task, keys in a stable order: name, template, depends, arguments, the rest."""
    entry: dict = {"name": name, "template": template}
    if depends:
        entry["depends"] = " && ".join(dict.fromkeys(depends))
    if args or artifacts:
        entry["arguments"] = {}
    if args:
        entry["arguments"]["parameters"] = [{"name": k, "value": args[k]} for k in sorted(args)]
    if artifacts:
        entry["arguments"]["artifacts"] = artifacts
    entry.update(extra)
    return entry


def passthrough(needed: set[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Arguments that forward the caller's own inputs, except those given in `overrides`."""
    overrides = overrides or {}
    return {n: overrides.get(n, tag(n)) for n in needed}


def item_args(step: StepPlan, needed: set[str], source: str = "item") -> dict[str, str]:
    """Arguments taken from a withParam item (runtime/items.py's flat entries)."""
    out: dict[str, str] = {}
    for n in needed:
        if n == "item-key":
            out[n] = "{{" + source + ".key}}"
        elif n == "item-json":
            out[n] = "{{" + source + ".json}}"
        elif n.startswith("f-"):
            out[n] = "{{" + source + ".v_" + n[2:] + "}}"
        elif n.startswith("fj-"):
            out[n] = "{{" + source + ".j_" + n[3:] + "}}"
    return out


def trial_args(needed: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for n in needed:
        if n == "trial":
            out[n] = "{{item.index}}"
        elif n == "trial-json":
            out[n] = "{{item.json}}"
        elif n.startswith("t-"):
            out[n] = "{{item.v_" + n[2:] + "}}"
        elif n.startswith("tj-"):
            out[n] = "{{item.j_" + n[3:] + "}}"
    return out


def is_item_param(n: str) -> bool:
    return n in ITEM_PARAMS or n.startswith(("f-", "fj-"))


def is_trial_param(n: str) -> bool:
    return n in ("trial", "trial-json") or n.startswith(("t-", "tj-"))


class StepDAG:
    """All templates of one step, and the main-DAG tasks that run it."""

    def __init__(self, ctx: Any, step: StepPlan) -> None:
        self.ctx = ctx
        self.step = step
        self.templates: list[dict] = []

    def add(self, built: tuple[dict, set[str]]) -> set[str]:
        template, needed = built
        self.templates.append(template)
        return needed

    def build(self) -> tuple[list[dict], list[dict]]:
        """(templates, main DAG tasks)."""
        step, ctx = self.step, self.ctx
        name = k8s(step.name)
        pre = ctx.after([ctx.task_name(u) for u in step.upstream])
        pre += [gen(a.producer, "index") for a in step.artifacts
                if a.mode is Mode.FANIN and ctx.plan.steps[a.producer].partition_index]
        tasks: list[dict] = []
        if step.partition_index:
            index_needed = self.add(partition_index_template(ctx, step))
            args = ctx.main_args(index_needed - {"partitions"}, step)
            args["partitions"] = "{{tasks.%s.outputs.parameters.partitions}}" % name
            tasks.append(task(gen(step.name, "index"), gen(step.name, "index"), args, [name]))
        if step.group is not None:
            group = ctx.items_group(step)
            owner = group[0]
            if owner is step:
                items_needed = self.add(items_template(ctx, group))
                deps = ctx.after([ctx.task_name(u) for u in owner.upstream
                                  if u in ctx.list_sources(owner)])
                tasks.append(task(gen(step.name, "items"), gen(step.name, "items"),
                                  ctx.main_args(items_needed, step), deps))
            pre = pre + [gen(owner.name, "items")]
        # a cached step's outputs need a relink task after its run: its item's DAG holds both
        relink = bool(relinked_outputs(step))
        if step.foreach and step.unit is Unit.EVALUATE and not step.keyed and \
                not step.child_runs and not relink:
            # no cache key: the command and the gate check are two fan-outs of the items
            return self.templates, tasks + [self.evaluate_fanout(pre)]
        if step.unit is Unit.KEYED and not step.foreach and not relink:
            # one key, one run: both go straight into the main DAG
            return self.templates, tasks + self.keyed_tasks(pre)
        handed: list[dict] = []  # artifacts the main-DAG task hands its step
        if step.unit is Unit.CONTAINER and not relink:
            if step.foreach:
                template, needed = container_template(ctx, step)
            else:  # the main DAG runs it, not a fan-out or a child Workflow
                template, needed, handed = in_main_workflow(ctx, step)
            needed, unit = self.add((template, needed)), name
        else:
            needed, unit = self.item_dag(), gen(step.name, "item")
        if not step.foreach:
            tasks.append(task(name, unit, ctx.main_args(needed, step), pre, artifacts=handed))
        elif step.child_runs is not None:
            if step.max_parallel:
                needed = self.semaphore(unit, needed)
            pre = pre + ([LIMITS] if step.max_parallel else [])
            if step.child_runs.per == "item":
                # one child per item: the item travels in the launch's parameters
                self.launch(needed, unit)
                outer = {n for n in needed if not is_item_param(n) and n not in (LIMITS, "trials")}
                tasks.append(task(name, gen(step.name, "launch"),
                                  ctx.main_args(outer, step) | item_args(step, needed),
                                  pre, withParam=_items_of(ctx, step)))
            else:
                # one child per chunk: the child reads its items from the chunk's file
                entry_needed = self.chunk_entry(needed, unit)
                self.launch(entry_needed, gen(step.name, "chunk"))
                args = ctx.main_args(entry_needed - {"chunk", LIMITS, "trials"}, step)
                args["chunk"] = "{{item}}"
                tasks.append(task(name, gen(step.name, "launch"), args, pre,
                                  withParam="{{tasks.%s.outputs.parameters.chunks-%s}}"
                                  % (gen(step.group, "items"), name)))
        else:
            fan_needed = self.fanout(needed, unit)
            tasks.append(task(name, gen(step.name, "fanout"), ctx.main_args(fan_needed, step),
                              pre))
        return self.templates, tasks

    def keyed_tasks(self, pre: list[str]) -> list[dict]:
        """A keyed step without foreach in the main DAG: `<step>--key` after the step's
        dependencies, then the step after its key."""
        step, ctx = self.step, self.ctx
        key_task = gen(step.name, "key")
        args, artifacts, key_needed = cache_key_args(
            ctx, step, lambda n: ctx.main_args({n}, step)[n])
        template, run_needed, handed = in_main_workflow(ctx, step)
        self.add((template, run_needed))
        run_args = ctx.main_args(run_needed - {"cache-key"}, step)
        run_args["cache-key"] = "{{tasks.%s.outputs.parameters.key}}" % key_task
        return [task(key_task, CACHE_KEY, args, [p for p in pre if p != key_task],
                     artifacts=artifacts),
                task(k8s(step.name), k8s(step.name), run_args, [key_task], artifacts=handed)]

    # -- per item -------------------------------------------------------------------------
    def item_dag(self) -> set[str]:
        """`<step>--item`: cache key, the run (or trials, select, promote), the gate."""
        step, ctx = self.step, self.ctx
        tasks, needed, outputs = [], set(), {}
        key_dep: list[str] = []
        if step.keyed:
            args, artifacts, key_needed = cache_key_args(ctx, step)
            tasks.append(task("key", CACHE_KEY, args, artifacts=artifacts))
            needed |= key_needed
            key_dep = ["key"]
        inner = {"cache-key": "{{tasks.key.outputs.parameters.key}}"} if key_dep else {}
        if step.unit is Unit.SWEEP:
            run_needed = self.add(container_template(ctx, step, trial=True))
            args = passthrough({n for n in run_needed if not is_trial_param(n)}, inner)
            args |= trial_args(run_needed)
            tasks.append(task("trial", k8s(step.name), args, key_dep,
                              withParam=tag("trials")))
            needed |= {n for n in run_needed if not is_trial_param(n) and n != "cache-key"}
            needed.add("trials")
            tasks.append(task("select", SELECT, {
                "results": "{{tasks.trial.outputs.parameters}}", "trials": tag("trials"),
                "objective": objective_json(step)}, ["trial"]))
            promote_needed = self.add(promote_template(ctx, step))
            sel = "{{tasks.select.outputs.parameters.%s}}"
            tasks.append(task("promote", gen(step.name, "promote"), passthrough(
                promote_needed, {"best": sel % "best", "best-params": sel % "best_params",
                                 "best-run": sel % "best_run",
                                 "trials-summary": sel % "trials"}), ["select"]))
            needed |= promote_needed - {"best", "best-params", "best-run", "trials-summary"}
            source = "promote"
        else:
            run_needed = self.add(container_template(ctx, step))
            tasks.append(task("run", k8s(step.name), passthrough(run_needed, inner), key_dep))
            needed |= run_needed - {"cache-key"}
            source = "run"
            if relinked_outputs(step):
                # issue 17, item 1: after a cache hit the outputs are another run's; copy them
                # to this run's keys, which the steps after this one read
                args, artifacts = relink_task_args(step)
                tasks.append(task("relink", RELINK, args, ["run"], artifacts=artifacts,
                                  when="'{{tasks.run.outputs.parameters.%s}}' != '%s'"
                                  % (RUN_OUTPUT, tag("run-id"))))
                needed.add("run-id")
                source = "relink"
        for out in step.outputs:
            if not out.artifact and not step.foreach:
                outputs[out.name] = "{{tasks.%s.outputs.parameters.%s}}" % (
                    "promote" if step.unit is Unit.SWEEP else "run", out.name)
        if step.unit is Unit.EVALUATE:
            args, artifacts, gate_needed = gate_args(ctx, step)
            tasks.append(task("gate", GATE, args, [source], artifacts=artifacts))
            needed |= gate_needed
            outputs["passed"] = "{{tasks.gate.outputs.parameters.passed}}"
        template: dict = {"name": gen(step.name, "item")}
        if needed:
            template["inputs"] = inputs_block(needed)
        if outputs:
            template["outputs"] = {"parameters": [
                {"name": k, "valueFrom": {"parameter": v}} for k, v in sorted(outputs.items())]}
        if step.sweep and step.max_parallel:
            template["parallelism"] = step.max_parallel
        template["dag"] = {"tasks": tasks}
        self.templates.append(template)
        return needed

    def evaluate_fanout(self, pre: list[str]) -> dict:
        """A foreach evaluate step: the container, then the gate, over the items."""
        step, ctx = self.step, self.ctx
        run_needed = self.add(container_template(ctx, step))
        gate, artifacts, gate_needed = gate_args(
            ctx, step, lambda n: "{{item.key}}" if n == "item-key" else tag(n))
        outer = {n for n in run_needed | gate_needed if not is_item_param(n)}
        loop = tag("items")
        tasks = [task("item", k8s(step.name), passthrough(
                      {n for n in run_needed if not is_item_param(n)}) | item_args(step, run_needed),
                      withParam=loop),
                 task("gate", GATE, gate, ["item"], artifacts=artifacts, withParam=loop)]
        needed = outer | {"items"}
        template: dict = {"name": gen(step.name, "fanout"), "inputs": inputs_block(needed)}
        if step.max_parallel:
            template["parallelism"] = step.max_parallel
        template["dag"] = {"tasks": tasks}
        self.templates.append(template)
        return task(k8s(step.name), gen(step.name, "fanout"), ctx.main_args(needed, step), pre)

    def fanout(self, item_needed: set[str], unit: str) -> set[str]:
        """`<step>--fanout`: the unit once per item, at most max_parallel at once."""
        step = self.step
        outer = {n for n in item_needed if not is_item_param(n)}
        args = passthrough(outer) | item_args(step, item_needed)
        inner = task("item", unit, args, withParam=tag("items"))
        needed = outer | {"items"}
        template: dict = {"name": gen(step.name, "fanout"), "inputs": inputs_block(needed)}
        if step.max_parallel:
            template["parallelism"] = step.max_parallel
        template["dag"] = {"tasks": [inner]}
        self.templates.append(template)
        return needed

    def semaphore(self, unit: str, needed: set[str]) -> set[str]:
        """`max_parallel` across all child runs of the step together (SPEC 10): the unit of
        one item holds a slot of the run's semaphore while it runs. The slots are the key
        `<step>` of the ConfigMap `<workflow>-limits` that the parent creates (`mlc-limits`)."""
        template = next(t for t in self.templates if t["name"] == unit)
        template["inputs"] = inputs_block(
            {p["name"] for p in template.get("inputs", {}).get("parameters", [])} | {LIMITS},
            template.get("inputs", {}).get("artifacts"))
        template["synchronization"] = {"semaphores": [{"configMapKeyRef": {
            "name": tag(LIMITS), "key": k8s(self.step.name)}}]}
        return needed | {LIMITS}

    def chunk_entry(self, item_needed: set[str], unit: str) -> set[str]:
        """`<step>--chunk`, a child run's entrypoint: read the chunk's items, then the unit
        once per item."""
        step = self.step
        reader_needed = self.add(chunk_items_template(self.ctx, step))
        outer = {n for n in item_needed if not is_item_param(n)}
        tasks = [task("items", gen(step.name, "chunk-items"), passthrough(reader_needed)),
                 task("item", unit, passthrough(outer) | item_args(step, item_needed),
                      ["items"], withParam="{{tasks.items.outputs.parameters.items}}")]
        needed = outer | reader_needed
        self.templates.append({"name": gen(step.name, "chunk"), "inputs": inputs_block(needed),
                               "dag": {"tasks": tasks}})
        return needed

    def launch(self, item_needed: set[str], unit: str) -> set[str]:
        """`<step>--launch`: one child Workflow, from the same WorkflowTemplate (SPEC 10),
        whose entrypoint is `unit`: the step's unit of work for one item, or `<step>--chunk`.
        Its parameters are the entrypoint's inputs; `mlc-limits` names this run's ConfigMap."""
        ctx, step = self.ctx, self.step
        literal = {"trials"} if step.sweep else set()
        params = ['{"name":%s,"value":{{=toJson(inputs.parameters[%s])}}}'
                  % (json.dumps(n), "'" + n + "'")
                  for n in sorted(item_needed - {LIMITS} - literal)]
        if "trials" in item_needed and literal:
            # known at compile time: written into the manifest, not passed through the
            # launcher, whose inputs every launcher node would keep in the parent's status
            trial = next(t for t in self.templates if t["name"] == k8s(step.name))
            read = {p["name"] for p in trial.get("inputs", {}).get("parameters", [])}
            params.append('{"name":"trials","value":%s}'
                          % json.dumps(trials_json(step, trial_fields(read))))
        if LIMITS in item_needed:
            params.append('{"name":"%s","value":"%s"}' % (LIMITS, LIMITS_NAME))
        # `mlc.dev/parent` selects a run's children: `argo stop -l mlc.dev/parent=<run>`
        meta = ctx.metadata_json(extra_labels={"mlc.dev/step": step.name,
                                               "mlc.dev/parent": "{{workflow.name}}"})
        spec = {"workflowTemplateRef": {"name": ctx.plan.base_name}, "entrypoint": unit}
        spec_json = json.dumps(spec, separators=(",", ":"))[:-1]
        manifest = ('{"apiVersion":"argoproj.io/v1alpha1","kind":"Workflow","metadata":'
                    '{"generateName":%s,%s},"spec":%s,"arguments":{"parameters":[%s]}}}'
                    % (json.dumps(f"{ctx.plan.base_name}-{k8s(step.name)}-"), meta, spec_json,
                       ",".join(params)))
        template = {"name": gen(step.name, "launch"),
                    "inputs": inputs_block(item_needed - {LIMITS} - literal),
                    "resource": {"action": "create", "setOwnerReference": True,
                                 "successCondition": "status.phase == Succeeded",
                                 "failureCondition": "status.phase in (Failed, Error)",
                                 "manifest": manifest}}
        self.templates.append(template)
        return item_needed


LIMITS_NAME = "{{workflow.name}}-limits"


def limits_template(ctx: Any) -> dict:
    """`mlc--limits`: the run's semaphore ConfigMap, one key per split step with max_parallel
    (its value: the step's max_parallel), owned by the run (deleted with it)."""
    data = {k8s(s.name): str(s.max_parallel) for s in ctx.plan.steps.values()
            if s.child_runs is not None and s.max_parallel}
    manifest = ('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s",%s},"data":%s}'
                % (LIMITS_NAME, ctx.metadata_json(),
                   json.dumps(dict(sorted(data.items())), separators=(",", ":"))))
    return {"name": "mlc--limits",
            "resource": {"action": "create", "setOwnerReference": True, "manifest": manifest}}


def trial_fields(read: set[str]) -> set[str]:
    """The fields of a trial's withParam entry that are read: `index` and `json` (the trial's
    task and mlc--select), and `v_`/`j_` of each hyperparameter the trial's container takes
    (`trial_args`)."""
    return {"index", "json"} | {f"{k}_{n.split('-', 1)[1]}" for n in read
                                for prefix, k in (("t-", "v"), ("tj-", "j"))
                                if n.startswith(prefix)}


def trials_json(step: StepPlan, fields: set[str] | None = None) -> str:
    """The withParam entries of a sweep's trials, as runtime/items.py writes `trials-<step>`
    (the same functions), so a child run gets them from the manifest; with `fields`, only
    those (a field nothing reads would be kept by every child and the WorkflowTemplate)."""
    sweep = {"grid": [[hp, list(v)] for hp, v in step.grid]} if step.grid is not None \
        else {"trials": list(step.trials)}
    entries = [flat({"index": str(i)}, t, {"index": i, "values": t})
               for i, t in enumerate(sweep_trials(sweep))]
    if fields is not None:
        entries = [{k: v for k, v in e.items() if k in fields} for e in entries]
    return json_text(entries, separators=(",", ":"))


def _items_of(ctx: Any, step: StepPlan) -> str:
    return "{{tasks.%s.outputs.parameters.items}}" % gen(step.group, "items")
