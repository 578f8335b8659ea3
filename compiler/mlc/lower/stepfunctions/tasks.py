"""What each Batch job runs: the `MLC_TASK` of runtime/batch.py, from the plan.

A template here is JSON the driver resolves at run time: text is a list of literal strings
and slots `[kind, step, name, dims]`; in the config, a slot is `{"\\u0000": slot}` and a
string with slots inside `{"\\u0000t": pieces}`. No spec text holds a NUL, so no literal can
be read as a slot, and values are never re-templated (SPEC 5.4).
"""

from __future__ import annotations

import json
from typing import Any

from ...plan import (
    ArtifactInput,
    Credentials,
    Mode,
    PathKind,
    PathSlot,
    Plan,
    Slot,
    StepPlan,
    StrText,
)
from ...plan.values import static_digest

# Paths under the job's data directory (/mlc, or MLC_DATA_DIR): the driver joins them.
INPUTS = "inputs"
OUTPUTS = "outputs"
CONFIG_PATH = "config.json"
GATE_OUT = "gate"
SCRIPT_OUT = "out"
SLOT = "\u0000"
TEXT = "\u0000t"


def compact(obj: Any) -> str:
    """JSON text for the template: `{{` escaped, so that no value can become a CloudFormation
    dynamic reference (`{{resolve:...}}`); JSON readers restore it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False,
                      sort_keys=True).replace("{{", "{\\u007b")


class TaskSpecs:
    """MLC_TASK of every job, for one plan and store."""

    def __init__(self, plan: Plan, store: str, region: str) -> None:
        self.plan = plan
        self.base = {"store": store, "region": region, "pipeline": plan.base_name}

    # templates ------------------------------------------------------------------------------
    def slot(self, slot: Slot) -> list:
        dims: list = []
        if slot.step and slot.step in self.plan.steps:
            dims = [d.name for d in self.plan.steps[slot.step].dims]
        return [slot.kind.value, slot.step, slot.name, dims]

    def path(self, piece: PathSlot, step: StepPlan) -> list:
        """A path as a slot the driver resolves under its data directory."""
        if piece.kind is PathKind.OUTPUT:
            return ["path", "", f"{OUTPUTS}/{piece.name}", []]
        return ["path", "", f"{INPUTS}/{piece.name}", []]

    def text(self, text: tuple, step: StepPlan) -> list:
        out: list = []
        for piece in text:
            if isinstance(piece, Slot):
                out.append(self.slot(piece))
            elif isinstance(piece, PathSlot):
                out.append(self.path(piece, step))
            else:
                out.append(piece)
        merged: list = []
        for piece in out:  # adjacent literals as one string
            if isinstance(piece, str) and merged and isinstance(merged[-1], str):
                merged[-1] += piece
            else:
                merged.append(piece)
        return merged

    def config(self, node: Any, step: StepPlan) -> Any:
        if isinstance(node, Slot):
            return {SLOT: self.slot(node)}
        if isinstance(node, PathSlot):
            return {SLOT: self.path(node, step)}
        if isinstance(node, StrText):
            return {TEXT: self.text(node.text, step)}
        if isinstance(node, Credentials):
            return {"secret": node.secret, "env": "MLC_SECRET_" + node.secret.upper()}
        if isinstance(node, dict):
            return {k: self.config(v, step) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return [self.config(v, step) for v in node]
        return node

    # staging ----------------------------------------------------------------------------------
    def input_entry(self, art: ArtifactInput) -> dict:
        producer = self.plan.steps[art.producer]
        spec = next((o for o in producer.outputs if o.name == art.output), None)
        directory = bool(spec and spec.directory)
        entry: dict = {"name": art.name, "path": f"{INPUTS}/{art.name}"}
        if art.mode is Mode.FANIN:
            col: dict = {"producer": art.producer, "output": art.output, "directory": directory}
            if producer.partition_index:
                col["partitions"] = producer.partition.by
            else:
                col["group"] = producer.group or producer.name
            entry["collection"] = col
            return entry
        entry.update(producer=art.producer, output=art.output, directory=directory,
                     dims=[d.name for d in producer.dims])
        if art.mode is Mode.ZIP and not producer.foreach:
            entry["partition"] = True       # this item's partition of a features output
        return entry

    # tasks ------------------------------------------------------------------------------------
    def step(self, step: StepPlan) -> dict:
        task: dict = dict(self.base, step=step.name)
        if step.group is not None:
            task["group"] = step.group
        task["env"] = {v.name: self.text(v.value, step) for v in step.env
                       if v.secret is None and v.value is not None}
        task["path_env"] = {"MLC_STEP_CONFIG": CONFIG_PATH}
        if step.shell is not None:
            task["command"] = {"shell": self.text(step.shell, step)}
        else:
            task["command"] = {"argv": [self.text(a, step) for a in step.argv]}
        task["config"] = self.config(step.config, step)
        task["config_path"] = CONFIG_PATH
        task["inputs"] = [self.input_entry(a) for a in step.artifacts]
        task["outputs"] = [{"name": o.name, "path": f"{OUTPUTS}/{o.name}",
                            "to": f"outputs/{o.name}", "directory": o.directory}
                           for o in step.outputs if not o.by_mlc]
        task["params"] = list(step.params)
        if step.trials is not None:
            task["trials"] = list(step.trials) if step.grid is None else _grid(step.grid)
        if step.cache:
            task["cache"] = {"material": static_digest(step), "max_age": step.cache_max_age_s}
        if step.gate_check is not None:
            check = step.gate_check
            metrics = next(o.name for o in step.outputs if o.type == "metrics")
            task["gates"] = {
                "spec": self.config({"datasets": list(check.datasets),
                                     "metrics": list(check.metrics),
                                     "gates": [g.fields() for g in check.gates]}, step),
                "metrics": f"{OUTPUTS}/{metrics}", "out": GATE_OUT}
        return task

    def run_task(self) -> dict:
        from ...plan import params_payload

        timezone = self.plan.schedule.timezone if self.plan.schedule else "UTC"
        return dict(self.base, step="mlc-run", kind="run", command={"module": "MLC_SCRIPT"},
                    path_env={"MLC_OUT": SCRIPT_OUT},
                    literal_env={"MLC_TIMEZONE": timezone,
                                 "MLC_PARAMS": compact(params_payload(self.plan.params))})

    def items_task(self, owner: str) -> dict:
        group = self.plan.groups.get(owner)
        dims = group.dims if group is not None else ()
        env: dict = {}
        for d in dims:
            if d.source.value == "param":
                env[d.env] = [["param_json", "", d.param, []]]
            elif d.source.value == "output":
                producer = self.plan.steps[d.producer]
                env[d.env] = [["output_json", d.producer, d.output,
                               [x.name for x in producer.dims]]]
        literal = {"MLC_DIMS": compact([d.payload() for d in dims])}
        return dict(self.base, step=f"{owner}-items", kind="items", group=owner,
                    command={"module": "MLC_SCRIPT"}, env=env, literal_env=literal,
                    path_env={"MLC_OUT": SCRIPT_OUT})

    def select_task(self, step: StepPlan) -> dict:
        metrics = next(o.name for o in step.outputs if o.type == "metrics")
        trials = list(step.trials) if step.grid is None else _grid(step.grid)
        task = dict(self.base, step=step.name, kind="select", command={"module": "MLC_SCRIPT"},
                    path_env={"MLC_OUT": SCRIPT_OUT},
                    literal_env={"MLC_OBJECTIVE": compact(
                        {"primary_metric": step.objective[0], "goal": step.objective[1]})},
                    sweep={"step": step.name, "trials": trials, "metrics": metrics})
        if step.group is not None:
            task["group"] = step.group
        return task

    def decide_task(self, name: str) -> dict:
        deploy = self.plan.deploys[name]
        spec = {"endpoint": deploy.endpoint, "route_by": None,
                "min_pass_rate": deploy.min_pass_rate, "canary": list(deploy.canary),
                "isvc": '{"metadata":{},"spec":{"predictor":{}}}', "storage_prefix": ""}
        task: dict = dict(self.base, step=name, kind="decide", command={"module": "MLC_SCRIPT"},
                          path_env={"MLC_OUT": SCRIPT_OUT},
                          literal_env={"MLC_DEPLOY": compact(spec)},
                          outputs=[{"name": "decision", "path": f"{SCRIPT_OUT}/decision.json",
                                    "to": "decision.json", "directory": False}])
        if deploy.gate is not None:
            evaluate = self.plan.steps[deploy.gate[0]]
            if evaluate.foreach:
                task["inputs"] = [{"name": "passed", "path": f"{INPUTS}/passed",
                                   "collection": {"producer": evaluate.name, "output": "passed",
                                                  "directory": False,
                                                  "group": evaluate.group or evaluate.name}}]
                task["path_env"]["MLC_PASSED_DIR"] = f"{INPUTS}/passed"
            else:
                task["env"] = {"MLC_PASSED": [["output", evaluate.name, "passed", []]]}
        return task


def _grid(grid: tuple) -> list[dict]:
    import itertools

    names = [g[0] for g in grid]
    return [dict(zip(names, combo)) for combo in itertools.product(*[g[1] for g in grid])]
