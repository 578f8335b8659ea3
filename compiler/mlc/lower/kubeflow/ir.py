"""Kubeflow Pipelines IR (`PipelineSpec`, schema 2.1.0) as plain dicts, built the way kfp's
compiler builds it: components, executors and DAGs, with the channel names the KFP backend's
driver reads (`pipelinechannel--<task>-<output>`, `pipelinechannel--<param>`,
`...-loop-item`).

Reference: kfp 2.x `sdk/python/kfp/compiler/pipeline_spec_builder.py` and
`api/v2alpha1/pipeline_spec.proto` (kubeflow/pipelines).

A `Scope` is one DAG (the root, a ParallelFor body, a condition). A task reads a `Ref`: a
constant, a pipeline parameter, another task's output, or a field of the loop item. When the
producer lives in an enclosing DAG, the value enters the inner DAG as a component input named
by its channel, and every DAG on the way passes it on, as kfp does; when it lives in a loop
below, the loop's DAG outputs collect it (`dsl.Collected`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...record import Record

STRING, LIST, STRUCT = "STRING", "LIST", "STRUCT"
ARTIFACT_VERSION = "0.0.1"


def artifact_type(schema: str) -> dict:
    return {"schemaTitle": schema, "schemaVersion": ARTIFACT_VERSION}


@dataclass(frozen=True, eq=False, repr=False)
class Ref(Record):
    """A value a task reads."""

    kind: str                       # const | param | output | item
    name: str                       # constant value, pipeline param, output key, item field
    task: str = ""                  # output: the producing task
    artifact: bool = False          # output: an artifact (else a parameter)
    schema: str = "system.Artifact"  # artifact: its schema title

    @property
    def channel(self) -> str:
        if self.kind == "param":
            return f"pipelinechannel--{self.name}"
        return f"pipelinechannel--{self.task}-{self.name}"


def const(value: str) -> Ref:
    return Ref("const", value)


def param(name: str) -> Ref:
    return Ref("param", name)


def output(task: str, key: str, *, artifact: bool = False,
           schema: str = "system.Artifact") -> Ref:
    return Ref("output", key, task, artifact, schema)


def item(field_name: str, loop: str) -> Ref:
    """A field of the item of the loop whose item channel is `loop`."""
    return Ref("item", field_name, loop)


@dataclass(eq=False)
class Scope:
    """One DAG: its tasks, the inputs it receives from its parent, the outputs it collects."""

    name: str                                   # its component's name (root: "root")
    parent: Scope | None = None
    task_name: str = ""                         # the task that runs it in the parent
    tasks: dict[str, dict] = field(default_factory=dict)
    param_inputs: dict[str, str] = field(default_factory=dict)     # channel -> type
    artifact_inputs: dict[str, tuple[str, bool]] = field(default_factory=dict)
    passed: dict[str, Ref] = field(default_factory=dict)           # channel -> what it carries
    outputs: dict[str, dict] = field(default_factory=dict)          # dag outputs (collected)
    output_defs: dict[str, dict] = field(default_factory=dict)
    loop: tuple[Ref, str] | None = None         # (the list, item channel) of a ParallelFor
    owner: dict[str, Scope] = field(default_factory=dict)          # task -> scope (shared)
    deps_out: set[str] = field(default_factory=set)  # what this DAG's own task runs after

    def child(self, name: str, task_name: str) -> Scope:
        return Scope(name, self, task_name, owner=self.owner)

    def ancestors(self) -> list[Scope]:
        out, s = [], self
        while s is not None:
            out.append(s)
            s = s.parent
        return out


class Pipeline:
    """Components, executors and the root DAG of one pipeline."""

    def __init__(self) -> None:
        self.components: dict[str, dict] = {}
        self.executors: dict[str, dict] = {}
        self.root = Scope("root")
        self.platform: dict[str, dict] = {}
        self.item_types: dict[str, str] = {}   # loop-item channel -> STRUCT | STRING

    # -- components ------------------------------------------------------------------------
    def component(self, name: str, inputs: dict[str, str], artifacts_in: dict[str, tuple],
                  outputs: dict[str, str], artifacts_out: dict[str, str],
                  executor: dict) -> str:
        """A container (or importer) component `comp-<name>` with executor `exec-<name>`.
        inputs/outputs: name -> parameter type; artifacts_in: name -> (schema, is_list)."""
        comp: dict = {"executorLabel": f"exec-{name}"}
        defs: dict = {}
        if artifacts_in:
            defs["artifacts"] = {}
            for n, (schema, is_list) in sorted(artifacts_in.items()):
                entry: dict = {"artifactType": artifact_type(schema)}
                if is_list:
                    entry["isArtifactList"] = True
                defs["artifacts"][n] = entry
        if inputs:
            defs["parameters"] = {n: {"parameterType": t} for n, t in sorted(inputs.items())}
        if defs:
            comp["inputDefinitions"] = defs
        out: dict = {}
        if artifacts_out:
            out["artifacts"] = {n: {"artifactType": artifact_type(s)}
                                for n, s in sorted(artifacts_out.items())}
        if outputs:
            out["parameters"] = {n: {"parameterType": t} for n, t in sorted(outputs.items())}
        if out:
            comp["outputDefinitions"] = out
        self.components[f"comp-{name}"] = comp
        self.executors[f"exec-{name}"] = executor
        return f"comp-{name}"

    # -- tasks -----------------------------------------------------------------------------
    def add_task(self, scope: Scope, name: str, component: str, *,
                 params: dict[str, Ref] | None = None, artifacts: dict[str, Ref] | None = None,
                 after: tuple[str, ...] | list[str] = (), **extra: object) -> dict:
        """A task of `scope`: each input resolved from where its value lives."""
        task: dict = {"componentRef": {"name": component}, "taskInfo": {"name": name}}
        deps: set[str] = set()
        inputs: dict = {}
        if artifacts:
            inputs["artifacts"] = {k: self.resolve(scope, r, deps) for k, r in
                                   sorted(artifacts.items())}
        if params:
            inputs["parameters"] = {k: self.resolve(scope, r, deps) for k, r in
                                    sorted(params.items())}
        if inputs:
            task["inputs"] = inputs
        task.update(extra)
        task["_deps"] = deps
        scope.tasks[name] = task
        scope.owner[name] = scope
        for other in after:
            self.depend(scope, name, other)
        return task

    def depend(self, scope: Scope, task: str, other: str) -> None:
        """`task` (of `scope`) runs after `other`: at the lowest DAG that holds both, the
        task or nested DAG on `task`'s side depends on the one on `other`'s side."""
        where = scope.owner[other]
        up = where.ancestors()
        common = next(s for s in scope.ancestors() if s in up)

        def side(s: Scope, name: str) -> tuple[Scope | None, str]:
            if s is common:
                return None, name
            while s.parent is not common:
                s = s.parent
            return s, s.task_name

        _, right = side(where, other)
        left_scope, left = side(scope, task)
        if left == right:
            return
        if left_scope is None:
            scope.tasks[task].setdefault("_explicit", set()).add(right)
        else:
            left_scope.deps_out.add(right)

    def resolve(self, scope: Scope, ref: Ref, deps: set[str]) -> dict:
        """How a task of `scope` reads `ref` (IR `TaskInputsSpec` entry)."""
        if ref.kind == "const":
            return {"runtimeValue": {"constant": ref.name}}
        if ref.kind == "item":
            channel = ref.task
            loop = next(s for s in scope.ancestors() if getattr(s, "loop_item", "") == channel)
            if loop is not scope:
                self.need(scope, channel, self.item_types.get(channel, STRUCT),
                          Ref("item", "", channel))
            return {"componentInputParameter": channel,
                    "parameterExpressionSelector": f'parseJson(string_value)["{ref.name}"]'}
        if ref.kind == "param":
            if scope.parent is None:
                return {"componentInputParameter": ref.name}
            self.need(scope, ref.channel, STRING, ref)
            return {"componentInputParameter": ref.channel}
        where = scope.owner[ref.task]
        key = "outputArtifactKey" if ref.artifact else "outputParameterKey"
        if where is scope:
            deps.add(ref.task)
            if ref.artifact:
                return {"taskOutputArtifact": {key: ref.name, "producerTask": ref.task}}
            return {"taskOutputParameter": {key: ref.name, "producerTask": ref.task}}
        if scope in where.ancestors():  # collected from a loop below
            loop = where
            while loop.parent is not scope:
                loop = loop.parent
            self.collect(loop, where, ref)
            deps.add(loop.task_name)
            inner = Ref("output", ref.name, ref.task, ref.artifact, ref.schema)
            if ref.artifact:
                return {"taskOutputArtifact": {key: inner.channel, "producerTask": loop.task_name}}
            return {"taskOutputParameter": {key: inner.channel, "producerTask": loop.task_name}}
        if ref.artifact:
            self.need_artifact(scope, ref)
            return {"componentInputArtifact": ref.channel}
        self.need(scope, ref.channel, STRING, ref)
        return {"componentInputParameter": ref.channel}

    def collect(self, loop: Scope, where: Scope, ref: Ref) -> None:
        """`dsl.Collected`: the loop's DAG outputs gather the producer's output per item."""
        if where is not loop:
            raise ValueError("collecting across nested loops")
        channel = ref.channel
        if ref.artifact:
            loop.outputs.setdefault("artifacts", {})[channel] = {"artifactSelectors": [
                {"outputArtifactKey": ref.name, "producerSubtask": ref.task}]}
            loop.output_defs.setdefault("artifacts", {})[channel] = {
                "artifactType": artifact_type(ref.schema), "isArtifactList": True}
        else:
            loop.outputs.setdefault("parameters", {})[channel] = {"valueFromParameter": {
                "outputParameterKey": ref.name, "producerSubtask": ref.task}}
            loop.output_defs.setdefault("parameters", {})[channel] = {"parameterType": LIST}

    def need(self, scope: Scope, channel: str, kind: str, ref: Ref) -> None:
        """`scope` receives a parameter channel from its parent."""
        if channel in scope.param_inputs:
            return
        scope.param_inputs[channel] = kind
        scope.passed[channel] = ref

    def need_artifact(self, scope: Scope, ref: Ref) -> None:
        if ref.channel in scope.artifact_inputs:
            return
        scope.artifact_inputs[ref.channel] = (ref.schema, False)
        scope.passed[ref.channel] = ref

    # -- nested DAGs -----------------------------------------------------------------------
    def close(self, scope: Scope, extra: dict) -> dict:
        """The task that runs `scope` in its parent, and `scope`'s component; inputs the scope
        needs resolve in the parent in turn (outermost last)."""
        parent = scope.parent
        deps: set[str] = set()
        params, artifacts = {}, {}
        for channel, ref in sorted(scope.passed.items()):
            if ref.kind == "item":
                if getattr(parent, "loop_item", "") != channel:
                    self.need(parent, channel, self.item_types.get(channel, STRUCT), ref)
                params[channel] = {"componentInputParameter": channel}
            elif ref.kind == "output" and ref.artifact:
                artifacts[channel] = self.resolve(parent, ref, deps)
            else:
                params[channel] = self.resolve(parent, ref, deps)
        if scope.loop is not None:
            source, item_channel = scope.loop
            list_channel = item_channel[: -len("-loop-item")]
            params[list_channel] = self.resolve(parent, source, deps)
            scope.param_inputs[list_channel] = LIST
            scope.param_inputs[item_channel] = STRING  # kfp: items of a task output
        task: dict = {"componentRef": {"name": f"comp-{scope.name}"},
                      "taskInfo": {"name": scope.task_name}}
        inputs: dict = {}
        if artifacts:
            inputs["artifacts"] = dict(sorted(artifacts.items()))
        if params:
            inputs["parameters"] = dict(sorted(params.items()))
        if inputs:
            task["inputs"] = inputs
        task.update(extra)
        task["_deps"] = deps
        task["_explicit"] = set(scope.deps_out)
        parent.tasks[scope.task_name] = task
        parent.owner[scope.task_name] = parent
        comp: dict = {"dag": self.dag(scope)}
        defs: dict = {}
        if scope.artifact_inputs:
            defs["artifacts"] = {c: {"artifactType": artifact_type(s)}
                                 for c, (s, _) in sorted(scope.artifact_inputs.items())}
        if scope.param_inputs:
            defs["parameters"] = {c: {"parameterType": t}
                                  for c, t in sorted(scope.param_inputs.items())}
        if defs:
            comp["inputDefinitions"] = defs
        if scope.output_defs:
            comp["outputDefinitions"] = {k: dict(sorted(v.items()))
                                         for k, v in sorted(scope.output_defs.items())}
        self.components[f"comp-{scope.name}"] = comp
        return task

    def dag(self, scope: Scope) -> dict:
        out: dict = {}
        if scope.outputs:
            out["outputs"] = {k: dict(sorted(v.items())) for k, v in sorted(scope.outputs.items())}
        tasks = {}
        data = {name: task["_deps"] for name, task in scope.tasks.items()}

        def implied_by(starts: set[str], wanted: set[str]) -> set[str]:
            """Which of `wanted` the data dependencies reach (iteratively; stops early)."""
            seen, stack, found = set(starts), list(starts), set(starts) & wanted
            while stack and found != wanted:
                for d in data.get(stack.pop(), ()):
                    if d not in seen:
                        seen.add(d)
                        stack.append(d)
                        if d in wanted:
                            found.add(d)
            return found

        for name, task in sorted(scope.tasks.items()):
            task = dict(task)
            deps = set(task.pop("_deps"))
            # an explicit `needs` that the data already implies adds nothing (kfp writes
            # dependentTasks from data and `.after` only)
            explicit = set(task.pop("_explicit", ())) - deps
            if explicit:
                deps |= explicit - implied_by(deps, explicit)
            deps = sorted(deps)
            if deps:
                task["dependentTasks"] = deps
            tasks[name] = dict(sorted(task.items()))
        out["tasks"] = tasks
        return out
