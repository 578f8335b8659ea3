"""The state machine (SPEC 8, 10): the plan's steps as Batch `submitJob.sync` tasks, in
topological levels (steps of one level run side by side in a `Parallel` state), fan-outs as
`Map` states, gates as `Choice` states.

What a state carries is small and the same size for every fan-out: `$.mlc` (the run id and,
with a deploy, a tag for the names of SageMaker resources) and, in a map iteration, the item's
index (an inline Map, at most `inline_map_max_concurrency` items) or its key and JSON (a
Distributed Map, which reads the items from S3 with an `ItemReader`). Everything else (params,
lists, outputs, index.json) stays in S3, where runtime/batch.py reads it.
"""

from __future__ import annotations

import math

from ...plan import DimSource, Plan, StepPlan, Unit
from ...plan.settings import StepFunctionsSettings
from .asl import BATCH, S3_GET, S3_READER, SDK, Chain, env, fmt, retry
from .names import Names

TOP = "top"
INLINE = "inline"
DISTRIBUTED = "distributed"
MAX_RANGE = 1000      # States.ArrayRange returns at most 1,000 elements


class Machine:
    def __init__(self, plan: Plan, settings: StepFunctionsSettings, names: Names,
                 tags: dict[str, str]) -> None:
        self.plan = plan
        self.tags = tags
        self.settings = settings
        self.names = names
        bucket, _, prefix = (settings.artifact_store or "s3://mlc-artifacts")[5:].partition("/")
        self.bucket = bucket
        prefix = prefix.strip("/")
        self.root = (prefix + "/" if prefix else "") + plan.base_name + "/"
        self.inline_max = settings.inline_map_max_concurrency

    # the whole machine ------------------------------------------------------------------------
    def definition(self, comment: str) -> dict:
        chain = Chain()
        self.start(chain)
        for level in self.levels():
            if len(level) == 1:
                chain.extend(self.node(level[0]))
                continue
            branches = [self.node(n).machine(f"{n}-done") for n in level]
            chain.add(self.names.state("level-" + "-".join(level)),
                      {"Type": "Parallel", "Branches": branches, "ResultPath": None})
        machine = chain.machine("mlc-done")
        return {"Comment": comment, "StartAt": machine["StartAt"], "States": machine["States"]}

    def levels(self) -> list[list[str]]:
        """Nodes (items tasks, steps, deploys) by topological level, in plan order."""
        deps: dict[str, list[str]] = {}
        groups_done: set[str] = set()
        for name in self.plan.order:
            step = self.plan.steps.get(name)
            grouped = step is not None and step.group is not None and \
                bool(self.plan.groups[step.group].dims)
            if grouped and step.group not in groups_done:
                groups_done.add(step.group)
                group = self.plan.groups[step.group]
                deps[f"{group.owner}-items"] = sorted({d.producer for d in group.dims
                                                       if d.source is DimSource.OUTPUT})
            upstream = list(step.upstream if step is not None else
                            self.plan.deploys[name].upstream)
            if grouped:
                upstream.append(f"{step.group}-items")
            deps[name] = upstream
        level: dict[str, int] = {}
        for name in deps:  # deps come before their dependents in this order
            level[name] = 1 + max((level[d] for d in deps[name]), default=0)
        out: list[list[str]] = []
        for name, n in level.items():
            while len(out) < n:
                out.append([])
            out[n - 1].append(name)
        return [lv for lv in out if lv]

    def node(self, name: str) -> Chain:
        if name.endswith("-items") and name[:-6] in self.plan.groups:
            return self.items_node(name[:-6])
        if name in self.plan.deploys:
            from .deploy import deploy_chain

            return deploy_chain(self, self.plan.deploys[name])
        return self.step_node(self.plan.steps[name])

    # the start --------------------------------------------------------------------------------
    def start(self, chain: Chain) -> None:
        schedule = self.plan.schedule
        if schedule is not None and schedule.concurrency == "forbid":
            chain.add("mlc-guard", {
                "Type": "Task", "Comment": "concurrency forbid: another running execution "
                "ends this one, Succeeded",
                "Resource": SDK + "sfn:listExecutions",
                "Parameters": {"StateMachineArn.$": "$$.StateMachine.Id",
                               "StatusFilter": "RUNNING"},
                "ResultSelector": {"running.$": "States.ArrayLength($.Executions)"},
                "ResultPath": "$.guard"})
            chain.add("mlc-guard-check", {"Type": "Choice", "Choices": [
                {"Variable": "$.guard.running", "NumericGreaterThan": 1,
                 "Next": "mlc-already-running"}]})
            chain.side("mlc-already-running", {"Type": "Succeed",
                                               "Comment": "another execution is running"})
        mlc = {"run.$": "$$.Execution.Name"}
        if self.plan.deploys:
            mlc["tag.$"] = "States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 0)"
        start: dict = {"Type": "Pass", "Parameters": {"mlc": mlc}}
        if self.plan.params:
            chain.add("mlc-input", {"Type": "Choice", "Choices": [
                {"Variable": "$.params", "IsPresent": False, "Next": "mlc-no-params"}]})
            chain.side("mlc-no-params", {"Type": "Pass", "Result": {}, "ResultPath": "$.params",
                                         "Next": "mlc-start"})
            start["Parameters"]["args.$"] = "States.JsonToString($.params)"
        else:
            start["Parameters"]["args"] = "{}"
        chain.add("mlc-start", start)
        run = self.batch("mlc-run", self.names.job("mlc-run"), TOP, extra=[
            env("MLC_CREATED", path="$$.Execution.StartTime"), env("MLC_ARGS", path="$.args")])
        # the params are in S3 from here on (run.json): the state keeps only the job's id
        run["ResultSelector"] = {"job.$": "$.JobId"}
        run["ResultPath"] = "$.args"
        chain.add("mlc-run", run)

    # tasks ------------------------------------------------------------------------------------
    def batch(self, job_name: str, job: str, context: str, *, trial: bool = False,
              extra: list | None = None, step: StepPlan | None = None) -> dict:
        variables = [env("MLC_RUN_ID", path="$.mlc.run")]
        if context == INLINE:
            variables.append(env("MLC_ITEM_INDEX", path="States.Format('{}', $.index)"))
        elif context == DISTRIBUTED:
            variables += [env("MLC_ITEM_KEY", path="$.key"), env("MLC_ITEM_JSON", path="$.json")]
        if trial:
            variables.append(env("MLC_TRIAL_INDEX", path="States.Format('{}', $.trial)"))
        variables += extra or []
        queue = "JobQueue"
        if step is not None and step.resources.accelerator:
            queue = self.names.queue(step.resources.accelerator)
        state: dict = {"Type": "Task", "Resource": BATCH, "Parameters": {
            "JobName": job_name, "JobDefinition": "${%s}" % job, "JobQueue": "${%s}" % queue,
            "ContainerOverrides": {"Environment": variables}}, "ResultPath": None}
        if step is not None:
            if step.timeout_s is not None:
                state["TimeoutSeconds"] = step.timeout_s
            if step.retry is not None and step.retry.limit > 0:
                r = step.retry
                state["Retry"] = [retry(r.limit, r.duration_s, r.factor, r.max_duration_s)]
        return state

    def items_node(self, owner: str) -> Chain:
        chain = Chain()
        name = f"{owner}-items"
        chain.add(name, self.batch(name, self.names.job(name), TOP))
        return chain

    def step_node(self, step: StepPlan) -> Chain:
        if not step.foreach:
            return self.unit(step, TOP, step.name)
        group = self.plan.groups[step.group]
        bound = math.prod(d.bound if d.bound is not None else len(d.values) for d in group.dims)
        literal = all(d.source is DimSource.LITERAL for d in group.dims)
        chain = Chain()
        if bound <= self.inline_max:
            count = self.names.state(f"{step.name}-count")
            if literal:
                n = math.prod(len(d.values) for d in group.dims)
                chain.add(count, {"Type": "Pass", "Parameters": {
                    "indices.$": f"States.ArrayRange(0, {n - 1}, 1)"}, "ResultPath": "$.map"})
            else:
                chain.add(count, {
                    "Type": "Task", "Resource": S3_GET,
                    "Parameters": {"Bucket": self.bucket, "Key.$": fmt(
                        f"{self.root}runs/{{}}/groups/{group.owner}/count", "$.mlc.run")},
                    "ResultSelector": {"indices.$": "States.ArrayRange(0, States.MathAdd("
                                       "States.StringToJson($.Body), -1), 1)"},
                    "ResultPath": "$.map"})
            body = self.unit(step, INLINE, f"{step.name}-item").machine(f"{step.name}-item-done")
            state = {"Type": "Map", "ItemsPath": "$.map.indices",
                     "ItemSelector": {"mlc.$": "$.mlc", "index.$": "$$.Map.Item.Value"},
                     "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **body}}
        else:
            body = self.unit(step, DISTRIBUTED, f"{step.name}-item").machine(
                f"{step.name}-item-done")
            state = {"Type": "Map",
                     "ItemReader": {"Resource": S3_READER, "ReaderConfig": {"InputType": "JSON"},
                                    "Parameters": {"Bucket": self.bucket, "Key.$": fmt(
                                        f"{self.root}runs/{{}}/groups/{group.owner}/items.json",
                                        "$.mlc.run")}},
                     "ItemSelector": {"mlc.$": "$.mlc", "key.$": "$$.Map.Item.Value.key",
                                      "json.$": "$$.Map.Item.Value.json"},
                     "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                                                           "ExecutionType": "STANDARD"}, **body},
                     "Label": self.names.label(step.name)}
        if step.max_parallel is not None:
            state["MaxConcurrency"] = step.max_parallel
        state["ResultPath"] = None
        chain.add(self.names.state(step.name), state)
        return chain

    def unit(self, step: StepPlan, context: str, name: str) -> Chain:
        """What a step runs once (TOP) or per item: its job, or a sweep's trials and select,
        then an evaluate step's gate when no deploy reads it."""
        chain = Chain()
        job = self.names.job(step.name)
        if step.unit is Unit.SWEEP:
            self.trials(chain, step, context, name)
            chain.add(self.names.state(f"{name}-select"), self.batch(
                f"{step.name}-select", self.names.job(f"{step.name}-select"), context))
        else:
            chain.add(self.names.state(name), self.batch(step.name, job, context, step=step))
        if step.gate_check is not None and not step.gate_check.consumed_by_deploy:
            self.gate(chain, step, context, name)
        return chain

    def trials(self, chain: Chain, step: StepPlan, context: str, name: str) -> None:
        n = len(step.trials) if step.grid is None else math.prod(len(v) for _, v in step.grid)
        listing = self.names.state(f"{name}-trial-list")
        if n <= MAX_RANGE:
            chain.add(listing, {"Type": "Pass", "Parameters": {
                "indices.$": f"States.ArrayRange(0, {n - 1}, 1)"}, "ResultPath": "$.trials"})
        else:
            chain.add(listing, {"Type": "Pass", "Result": {"indices": list(range(n))},
                                "ResultPath": "$.trials"})
        carry = {"mlc.$": "$.mlc", "trial.$": "$$.Map.Item.Value"}
        if context == INLINE:
            carry["index.$"] = "$.index"
        elif context == DISTRIBUTED:
            carry.update({"key.$": "$.key", "json.$": "$.json"})
        inner = Chain()
        inner.add(self.names.state(f"{name}-trial"),
                  self.batch(f"{step.name}-trial", self.names.job(step.name), context,
                             trial=True, step=step))
        mode = {"Mode": "INLINE"} if n <= self.inline_max else \
            {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
        state: dict = {"Type": "Map", "ItemsPath": "$.trials.indices", "ItemSelector": carry,
                       "ItemProcessor": {"ProcessorConfig": mode,
                                         **inner.machine(f"{name}-trial-done")}}
        if mode["Mode"] == "DISTRIBUTED":
            state["Label"] = self.names.label(f"{step.name}-trials")
        if step.max_parallel is not None and not step.foreach:
            state["MaxConcurrency"] = step.max_parallel
        state["ResultPath"] = None
        chain.add(self.names.state(f"{name}-trials"), state)

    def gate(self, chain: Chain, step: StepPlan, context: str, name: str) -> None:
        """SPEC 6.5: the gate report (written by the job's gate check) read back, a Choice on
        `passed`, and a Fail that carries the report."""
        base = f"{self.root}runs/{{}}/steps/{step.name}/"
        if context == INLINE:
            key = fmt(base + "at/{}/gates.json", "$.mlc.run", "$.index")
        elif context == DISTRIBUTED:
            key = fmt(base + "items/{}/gates.json", "$.mlc.run", "$.key")
        else:
            key = fmt(base + "gates.json", "$.mlc.run")
        chain.add(self.names.state(f"{name}-report"), {
            "Type": "Task", "Resource": S3_GET,
            "Parameters": {"Bucket": self.bucket, "Key.$": key},
            "ResultSelector": {"report.$": "States.StringToJson($.Body)", "text.$": "$.Body"},
            "ResultPath": "$.gate"})
        failed = self.names.state(f"{name}-gate-failed")
        chain.add(self.names.state(f"{name}-gate"), {
            "Type": "Choice",
            "Choices": [{"Variable": "$.gate.report.passed", "BooleanEquals": True}],
            "Default": failed})
        chain.side(failed, {"Type": "Fail", "Error": "mlc.GateFailed",
                            "CausePath": "$.gate.text"})
