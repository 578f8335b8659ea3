"""The kubeflow target (SPEC 8, 10, 11): `pipeline.yaml`, the KFP v2 IR (`PipelineSpec`)
followed by the kfp-kubernetes `PlatformSpec`, and `recurring-run.json` when scheduled.

How the plan's units map (docs/targets/kubeflow.md):
- a step is a container component and a task (`syntax.DRIVER` delivers values as `MLC_*`);
- an item group is one `ParallelFor` over its items: a literal list (dimensions and sweeps
  known at compile time are expanded here, by the same code the items task runs) or the
  output of the group's items task; every step of the group runs in the loop's body, so a
  zipped input is the producer's output in the same iteration;
- a sweep is a `ParallelFor` over its trials, a select-best task over the collected results,
  and an importer per output artifact that takes the best trial's artifact (no copy);
- an evaluate step is its container and the gate check; a deploy reads the decision through
  `dsl.If` (`triggerPolicy.condition`);
- a fan-in is `dsl.Collected`, packed into one artifact with `index.json` (runtime/pack.py);
- caching is KFP's: its key holds the step's static digest (an argument), params and items
  (inputs) and input artifacts by identity, so it never reuses a result across two mlc keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ...plan import (
    ArtifactInput,
    Credentials,
    DimSource,
    Mode,
    PathKind,
    PathSlot,
    Plan,
    Slot,
    SlotKind,
    StepPlan,
    Text,
    Unit,
    params_payload,
)
from ...plan.settings import KubeSettings
from ...plan.values import render_json, resource_labels, static_digest
from ...runtime import compact_source
from ...runtime.items import expand, flat, sweep_trials
from ..base import Lowered, Options
from .ir import LIST, STRING, Pipeline, Ref, Scope, const, item, output, param
from .syntax import (
    CONFIG_PATH,
    CREATED,
    EXECUTOR_INPUT,
    JOB_NAME,
    SCRIPT_OUT,
    container_resources,
    ident,
    in_param,
    in_path,
    k8s,
    out_file,
    out_path,
    out_uri,
)
from .syntax import command as driver_command

SCHEMA = {"model": "system.Model", "dataset": "system.Dataset", "metrics": "system.Metrics"}
RUN = "mlc-run"
SECRETS_DIR = "/mlc/secrets"
RUN_FIELDS = ("id", "date", "started_at")


def schema_of(type_: str) -> str:
    return SCHEMA.get(type_, "system.Artifact")


class KubeflowTarget:
    name = "kubeflow"

    def lower(self, plan: Plan, settings: KubeSettings, options: Options) -> Lowered:
        builder = Builder(plan, settings)
        files = {"pipeline.yaml": builder.documents()}
        if plan.schedule is not None:
            files["recurring-run.json"] = builder.recurring_run()
        return Lowered(files=files)


TARGET = KubeflowTarget()


class Builder:
    def __init__(self, plan: Plan, settings: KubeSettings) -> None:
        self.plan = plan
        self.settings = settings
        self.ir = Pipeline()
        self.labels, self.annotations = resource_labels(plan)
        self.loops: dict[str, Scope] = {}          # item group owner -> its loop
        self.loop_count = 0
        self.shared: set[str] = set()
        self.packs: dict[tuple[str, str], Ref] = {}
        self.value_types = {f"{s}.{o.name}": o.type for s, st in plan.steps.items()
                            for o in st.outputs}
        # outputs some consumer reads as an artifact (value outputs get an artifact too)
        self.read_as_artifact = {(a.producer, a.output) for s in plan.steps.values()
                                 for a in s.artifacts}
        self.read_as_artifact |= {(d.model.producer, d.model.output)
                                  for d in plan.deploys.values()}

    # -- documents -------------------------------------------------------------------------
    def documents(self) -> list[dict]:
        self.run_task()
        for name in self.plan.order:
            if name in self.plan.steps:
                self.step(self.plan.steps[name])
            else:
                self.deploy(name)
        for loop in sorted(self.loops.values(), key=lambda s: -len(s.ancestors())):
            self.close_loop(loop)
        root = self.ir.root
        spec = {
            "components": dict(sorted(self.ir.components.items())),
            "deploymentSpec": {"executors": dict(sorted(self.ir.executors.items()))},
            "pipelineInfo": {"name": self.plan.base_name},
            "root": {"dag": self.ir.dag(root)},
            "schemaVersion": "2.1.0",
            "sdkVersion": "mlc-" + _mlc_version(),
        }
        if self.plan.params:
            spec["root"]["inputDefinitions"] = {"parameters": {
                p: {"defaultValue": "", "isOptional": True, "parameterType": STRING}
                for p in self.plan.params}}
        spec["root"] = dict(sorted(spec["root"].items()))
        platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": dict(
            sorted(self.ir.platform.items()))}}}}
        return [spec, platform]

    def recurring_run(self) -> dict:
        """kfp.Client.create_recurring_run's arguments, less experiment_id (SPEC 11)."""
        schedule = self.plan.schedule
        labels = dict(self.labels)
        labels["mlc.dev/spec-sha256"] = self.plan.spec_sha256
        run = {"job_name": self.plan.base_name,
               "description": f"{self.plan.project} {self.plan.version} (mlc)",
               "cron_expression": _kfp_cron(schedule.cron),
               "max_concurrency": 1 if schedule.concurrency == "forbid" else 10,
               "no_catchup": True, "enabled": True, "params": {},
               "pipeline_package_path": "pipeline.yaml"}
        if self.settings.service_account:
            run["service_account"] = self.settings.service_account
        return {"generator": f"mlc {_mlc_version()}", "labels": labels, "recurring_run": run}

    # -- platform (kfp-kubernetes) ---------------------------------------------------------
    def platform(self, executor: str, step: StepPlan | None = None) -> None:
        """Pod labels and annotations (SPEC 11) on every executor; a step's secrets, node
        selector and timeout (kfp.kubernetes use_secret_as_env / use_secret_as_volume /
        add_node_selector / set_timeout / add_pod_label / add_pod_annotation)."""
        config: dict = {}
        if step is not None:
            if step.timeout_s is not None:
                config["activeDeadlineSeconds"] = str(step.timeout_s)
            selector = self.settings.node_selector(step.resources.accelerator)
            if selector:
                config["nodeSelector"] = {"labels": dict(sorted(selector.items()))}
            config["podMetadata"] = self.pod_metadata()
            env = [v for v in step.env if v.secret is not None]
            if env:
                by_secret: dict[str, list] = {}
                for v in env:
                    by_secret.setdefault(v.secret[0], []).append(
                        {"envVar": v.name, "secretKey": v.secret[1]})
                config["secretAsEnv"] = [
                    {"keyToEnv": keys, "optional": False, "secretName": s,
                     "secretNameParameter": {"runtimeValue": {"constant": s}}}
                    for s, keys in sorted(by_secret.items())]
            if step.secret_mounts:
                config["secretAsVolume"] = [
                    {"mountPath": f"{SECRETS_DIR}/{m.secret}", "optional": False,
                     "secretName": m.store,
                     "secretNameParameter": {"runtimeValue": {"constant": m.store}}}
                    for m in step.secret_mounts]
        else:
            config["podMetadata"] = self.pod_metadata()
        self.ir.platform[executor] = dict(sorted(config.items()))

    def pod_metadata(self) -> dict:
        return {"annotations": dict(sorted(self.annotations.items())),
                "labels": dict(sorted(self.labels.items()))}

    # -- generated tasks -------------------------------------------------------------------
    def generated(self, name: str, module: str, env: dict[str, str],
                  inputs: dict[str, str], outputs: dict[str, str], *,
                  artifacts_in: dict[str, tuple] | None = None,
                  artifacts_out: dict[str, str] | None = None,
                  copies: list[tuple[str, str]] = (), files: dict[str, str] | None = None) -> str:
        """A container component running runtime/<module>.py on runtime_image: `env` values
        may hold placeholders; each output parameter is copied from what the script writes
        under MLC_OUT, as `files[name]` (default: the name itself), plus `copies`."""
        args: list[str] = []
        env = dict(env, MLC_OUT=SCRIPT_OUT)
        for var in sorted(env):
            args += ["--env", f"{var}={env[var]}"]
        for out in sorted(outputs):
            args += ["--copy", f"{SCRIPT_OUT}/{(files or {}).get(out, out)}", out_file(out)]
        for src, dst in copies:
            args += ["--copy", src, dst]
        args += ["--", "python", "-c", compact_source(module)]
        executor = {"container": {"args": args, "command": driver_command(args),
                                  "image": self.settings.runtime_image}}
        comp = self.ir.component(name, inputs, artifacts_in or {}, outputs,
                                 artifacts_out or {}, executor)
        self.platform(f"exec-{name}")
        return comp

    def run_task(self) -> None:
        """`mlc-run`: run fields and param values, once per run (runtime/run_info.py)."""
        plan = self.plan
        env = {"MLC_RUN_NAME": JOB_NAME, "MLC_CREATED": CREATED, "MLC_ESCAPED": "1",
               "MLC_TIMEZONE": plan.schedule.timezone if plan.schedule else "UTC",
               "MLC_PARAMS": json.dumps(params_payload(plan.params), sort_keys=True,
                                        separators=(",", ":"), ensure_ascii=False)}
        for p in plan.params:
            env["MLC_ARG_" + p.upper()] = in_param(p)
        files = {"run_id": "run-id", "run_json": "run-json", "run_date": "run-date",
                 "run_started_at": "run-started-at"}
        for p in plan.params:
            files |= {f"{k}_{p}": f"{k}-{p}" for k in ("p", "pj", "pe")}
        comp = self.generated(RUN, "run_info", env, {p: STRING for p in plan.params},
                              {o: STRING for o in files}, files=files)
        self.ir.add_task(self.ir.root, RUN, comp, params={p: param(p) for p in plan.params},
                         cachingOptions={})

    # -- steps -----------------------------------------------------------------------------
    def scope_of(self, step: StepPlan) -> Scope:
        if step.group is None or not step.foreach:
            return self.ir.root
        loop = self.loops.get(step.group)
        if loop is None:
            loop = self.open_loop(self.plan.groups[step.group].owner)
        return loop

    def open_loop(self, owner: str) -> Scope:
        """The ParallelFor of an item group: over a literal list when every dimension is
        known at compile time, else over its items task's output."""
        group = self.plan.groups[owner]
        self.loop_count += 1
        name = f"for-loop-{self.loop_count}"
        scope = self.ir.root.child(name, name)
        scope.items = True
        if all(d.source is DimSource.LITERAL for d in group.dims):
            dims = [dict(d.payload()) for d in group.dims]
            entries = [flat({"key": k}, i, i, escaped=True) for k, i in expand(dims)]
            scope.loop = ("raw", raw_list(entries))
            scope.loop_item = f"pipelinechannel--loop-item-param-{self.loop_count}"
        else:
            task = self.items_task(group)
            scope.loop = ("task", output(task, "items"))
            scope.loop_item = f"pipelinechannel--{task}-items-loop-item"
            self.ir.item_types[scope.loop_item] = STRING  # kfp: items of a task output
        members = [self.plan.steps[m] for m in group.members]
        limits = [s.max_parallel for s in members if s.max_parallel and not s.sweep]
        scope.parallelism = min(limits) if limits else None
        self.loops[owner] = scope
        return scope

    def items_task(self, group) -> str:
        """`<owner>-items`: the group's items from lists known at run time
        (runtime/items.py)."""
        owner = k8s(group.owner)
        name = f"{owner}-items"
        env = {"MLC_DIMS": json.dumps([d.payload() for d in group.dims], separators=(",", ":"),
                                      ensure_ascii=False), "MLC_ESCAPED": "1",
               "MLC_RUN_ID": in_param("run_id")}
        inputs, refs = {"run_id": STRING}, {"run_id": output(RUN, "run_id")}
        for d in group.dims:
            if d.source is DimSource.PARAM:
                inputs[f"pj_{d.param}"] = STRING
                refs[f"pj_{d.param}"] = output(RUN, f"pj_{d.param}")
                env[d.env] = in_param(f"pj_{d.param}")
            elif d.source is DimSource.OUTPUT:
                key = ident(f"o_{d.producer}_{d.output}")
                inputs[key] = STRING
                refs[key] = output(k8s(d.producer), d.output)
                env[d.env] = in_param(key)
        comp = self.generated(name, "items", env, inputs, {"items": LIST})
        self.ir.add_task(self.ir.root, name, comp, params=refs, cachingOptions={})
        return name

    def close_loop(self, scope: Scope) -> None:
        kind, source = scope.loop
        extra: dict = {}
        if scope.parallelism:
            extra["iteratorPolicy"] = {"parallelismLimit": scope.parallelism}
        if kind == "raw":
            extra["parameterIterator"] = {"itemInput": scope.loop_item,
                                          "items": {"raw": source}}
            scope.loop = None
            self.ir.close(scope, extra)
            scope.param_inputs[scope.loop_item] = "STRUCT"
            self.ir.components[f"comp-{scope.name}"]["inputDefinitions"] = _defs(scope)
        else:
            list_channel = scope.loop_item[: -len("-loop-item")]
            extra["parameterIterator"] = {"itemInput": scope.loop_item,
                                          "items": {"inputParameter": list_channel}}
            scope.loop = (source, scope.loop_item)
            self.ir.close(scope, extra)

    def step(self, step: StepPlan) -> None:
        scope = self.scope_of(step)
        if step.unit is Unit.SWEEP:
            self.sweep(scope, step)
        else:
            self.container(scope, step)
            if step.unit is Unit.EVALUATE:
                self.gate(scope, step)

    # values a container reads ---------------------------------------------------------------
    def value_ref(self, name: str, scope: Scope, trial_loop: Scope | None) -> Ref:
        """The Ref behind one component input name (see `slot_input`)."""
        loop = self.loop_channel(scope)
        if name in ("run_id", "run_json", "run_date", "run_started_at") or \
                name.startswith(("p_", "pj_", "pe_")):
            return output(RUN, name)
        if name == "item_key":
            return item("key", loop)
        if name == "item_json":
            return item("json", loop)
        if name.startswith(("f_", "fj_", "fe_")):
            prefix, dim = name.split("_", 1)
            return item({"f": "v_", "fj": "j_", "fe": "e_"}[prefix] + dim, loop)
        if name == "trial":
            return item("index", trial_loop.loop_item)
        if name == "trial_json":
            return item("json", trial_loop.loop_item)
        if name.startswith(("t_", "tj_", "te_")):
            prefix, hp = name.split("_", 1)
            return item({"t": "v_", "tj": "j_", "te": "e_"}[prefix] + hp, trial_loop.loop_item)
        if name.startswith("o__"):
            producer, out = name[3:].split("__", 1)
            return self.value_output(self.plan.steps[producer], out)
        raise ValueError(f"no value for input {name}")

    def value_output(self, producer: StepPlan, out: str) -> Ref:
        """A value output as a parameter: the step's own, or what mlc produced for it."""
        name = k8s(producer.name)
        if producer.unit is Unit.SWEEP and out in ("best_params", "trials"):
            return output(f"{name}-select", out)
        if producer.unit is Unit.EVALUATE and out == "passed":
            return output(f"{name}-gate", "passed")
        return output(name, out)

    def loop_channel(self, scope: Scope) -> str:
        for s in scope.ancestors():
            if getattr(s, "items", False):
                return s.loop_item
        return ""

    def container(self, scope: Scope, step: StepPlan, *, trial_loop: Scope | None = None) -> str:
        """The step's own container component and its task in `scope`."""
        name = k8s(step.name)
        task = name if trial_loop is None else f"{name}-trial"
        texts = Texts(self, step)
        args: list[str] = []
        for var in sorted((v for v in step.env if v.secret is None), key=lambda v: v.name):
            args += ["--env", f"{var.name}={texts.text(var.value)}"]
        args += ["--env", f"MLC_STEP_CONFIG={CONFIG_PATH}"]
        if step.cache:
            args += ["--env", f"MLC_CACHE_DIGEST={static_digest(step)}"]
        args += ["--file", CONFIG_PATH, texts.config()]
        outputs: dict[str, str] = {}
        artifacts_out: dict[str, str] = {}
        item_marker = step.foreach and trial_loop is None
        for out in step.outputs:
            if out.by_mlc:
                continue
            if out.artifact or trial_loop is not None:
                artifacts_out[out.name] = schema_of(out.type)
                if out.directory:
                    args += ["--dir", out_path(out.name)]
                if trial_loop is None:
                    outputs[f"uri_{out.name}"] = STRING
                    args += ["--file", out_file(f"uri_{out.name}"), out_uri(out.name)]
            else:
                outputs[out.name] = STRING
                if (step.name, out.name) in self.read_as_artifact:
                    artifacts_out[out.name + "_file"] = "system.Artifact"
                    args += ["--copy", out_file(out.name), out_path(out.name + "_file")]
        if item_marker:
            outputs["mlc_item"] = STRING
            texts.need("item_key")
            texts.need("item_json")
            args += ["--file", out_file("mlc_item"), '{"key":"%s","item":%s}'
                     % (in_param("item_key"), in_param("item_json"))]
        if trial_loop is not None:
            metrics = next(o.name for o in step.outputs if o.type == "metrics")
            uris = "{" + ",".join('"%s":"%s"' % (o.name, out_uri(o.name))
                                  for o in step.outputs if not o.by_mlc) + "}"
            outputs["result"] = STRING
            texts.need("trial")
            args += ["--result", out_file("result"), in_param("trial"), out_path(metrics), uris]
        if step.shell is not None:
            command = ["/bin/sh", "-c", texts.text(step.shell)]
        else:
            command = [texts.text(a) for a in step.argv]
        args += ["--"] + command
        container: dict = {"args": args, "command": driver_command(args), "image": step.image}
        resources = container_resources(step.resources)
        if resources:
            container["resources"] = resources
        comp = self.ir.component(task, {n: STRING for n in texts.inputs},
                                 {ident("in_" + a.name): (schema_of(a.type), False)
                                  for a in texts.artifacts}, outputs, artifacts_out,
                                 {"container": container})
        self.platform(f"exec-{task}", step)
        params = {n: self.value_ref(n, scope if trial_loop is None else trial_loop, trial_loop)
                  for n in texts.inputs}
        artifacts = {ident("in_" + a.name): self.artifact_ref(a, scope) for a in texts.artifacts}
        extra = self.policies(step)
        self.ir.add_task(trial_loop or scope, task, comp, params=params, artifacts=artifacts,
                         after=self.after(step), **extra)
        return task

    def after(self, step: StepPlan) -> list[str]:
        """Tasks this step waits for beyond the data it reads (`needs`)."""
        return [self.last_task(u) for u in step.upstream if self.last_task(u)]

    def last_task(self, name: str) -> str:
        if name in self.plan.deploys:
            return k8s(name)
        step = self.plan.steps[name]
        if step.unit is Unit.SWEEP:
            return f"{k8s(name)}-promote"
        if step.unit is Unit.EVALUATE:
            return f"{k8s(name)}-gate"
        return k8s(name)

    def policies(self, step: StepPlan) -> dict:
        """Retry policy and caching (set_retry, set_caching_options)."""
        extra: dict = {"cachingOptions": {"enableCache": True} if step.cache else {}}
        if step.retry is not None:
            r = step.retry
            # kfp's set_retry writes every field; without a cap its default is one hour
            max_s = r.max_duration_s if r.max_duration_s is not None else 3600
            extra["retryPolicy"] = {"backoffDuration": f"{r.duration_s}s",
                                    "backoffFactor": float(r.factor),
                                    "backoffMaxDuration": f"{max_s}s",
                                    "maxRetryCount": r.limit}
        return extra

    def artifact_ref(self, art: ArtifactInput, scope: Scope) -> Ref:
        producer = self.plan.steps[art.producer]
        if art.mode is Mode.FANIN and (producer.foreach or producer.partition is not None):
            return self.packed(producer, art.output)
        return self.output_ref(producer, art.output)

    def output_ref(self, producer: StepPlan, out_name: str) -> Ref:
        spec = next(o for o in producer.outputs if o.name == out_name)
        name = k8s(producer.name)
        if producer.unit is Unit.SWEEP:
            if spec.by_mlc:
                return output(f"{name}-promote", out_name, artifact=True)
            return output(f"{name}-best-{k8s(out_name)}", "artifact", artifact=True,
                          schema=schema_of(spec.type))
        if producer.unit is Unit.EVALUATE and out_name == "passed":
            return output(f"{name}-gate", "passed_file", artifact=True)
        if not spec.artifact:
            return output(name, out_name + "_file", artifact=True)
        return output(name, out_name, artifact=True, schema=schema_of(spec.type))

    def packed(self, producer: StepPlan, out_name: str) -> Ref:
        """A fan-in: the producer's outputs, collected and packed with index.json."""
        key = (producer.name, out_name)
        if key in self.packs:
            return self.packs[key]
        name = f"{k8s(producer.name)}-pack-{k8s(out_name)}"
        source = self.output_ref(producer, out_name)
        if producer.foreach:
            marker = output(self.item_task(producer), "mlc_item")
            env = {"MLC_EXECUTOR_INPUT": EXECUTOR_INPUT, "MLC_ITEMS": in_param("items_list"),
                   "MLC_PACKED": out_path("packed")}
            comp = self.shared_component(
                "mlc-pack", "pack", env, {"items_list": LIST}, {},
                artifacts_in={"items": ("system.Artifact", True)},
                artifacts_out={"packed": "system.Artifact"})
            self.ir.add_task(self.ir.root, name, comp, params={"items_list": marker},
                             artifacts={"items": source}, cachingOptions={"enableCache": True})
        else:  # a partitioned features output: index.json over its partitions
            part = producer.partition
            dims = [{"name": part.by, "bound": part.max_partitions, "env": "MLC_LIST_PARTITIONS"}]
            env = {"MLC_LIST_PARTITIONS": in_param("partitions"),
                   "MLC_DIMS": json.dumps(dims, separators=(",", ":"), ensure_ascii=False),
                   "MLC_INDEX_DIRS": '["index"]'}
            comp = self.shared_component(
                f"{k8s(producer.name)}-index", "items", env, {"partitions": STRING}, {},
                artifacts_in={"collection": ("system.Artifact", False)},
                artifacts_out={"packed": "system.Artifact"},
                copies=[(in_path("collection"), out_path("packed")),
                        (f"{SCRIPT_OUT}/index/index.json", out_path("packed") + "/index.json")])
            self.ir.add_task(self.ir.root, name, comp,
                             params={"partitions": output(k8s(producer.name), "partitions")},
                             artifacts={"collection": source},
                             cachingOptions={"enableCache": True})
        ref = output(name, "packed", artifact=True)
        self.packs[key] = ref
        return ref

    def item_task(self, step: StepPlan) -> str:
        """The task of a foreach step's loop body that reports its item (`mlc_item`)."""
        return f"{k8s(step.name)}-promote" if step.unit is Unit.SWEEP else k8s(step.name)

    def shared_component(self, name: str, module: str, env: dict, inputs: dict, outputs: dict,
                         **kw) -> str:
        if name not in self.shared:
            self.shared.add(name)
            self.generated(name, module, env, inputs, outputs, **kw)
        return f"comp-{name}"

    # -- sweeps ---------------------------------------------------------------------------
    def sweep(self, scope: Scope, step: StepPlan) -> None:
        """Trials as a ParallelFor, select-best over the collected results, an importer per
        output artifact (the best trial's), promote for best_params and trials."""
        name = k8s(step.name)
        self.loop_count += 1
        loop_name = f"for-loop-{self.loop_count}"
        trials = scope.child(loop_name, loop_name)
        sweep = {"grid": [[hp, list(v)] for hp, v in step.grid]} if step.grid is not None \
            else {"trials": list(step.trials)}
        entries = [flat({"index": str(i)}, t, {"index": i, "values": t}, escaped=True)
                   for i, t in enumerate(sweep_trials(sweep))]
        trials.loop_item = f"pipelinechannel--loop-item-param-{self.loop_count}"
        trials_json = raw_list(entries)
        self.container(scope, step, trial_loop=trials)
        extra: dict = {"parameterIterator": {"itemInput": trials.loop_item,
                                             "items": {"raw": trials_json}}}
        if step.max_parallel:
            extra["iteratorPolicy"] = {"parallelismLimit": step.max_parallel}
        result = output(f"{name}-trial", "result")
        # the select task reads the collected results: resolve before closing the loop
        select = f"{name}-select"
        env = {"MLC_RESULTS": in_param("results"), "MLC_TRIALS": in_param("trial_list"),
               "MLC_OBJECTIVE": in_param("objective")}
        outs = {"best": STRING, "best_params": STRING, "trials": STRING}
        uris = {f"uri_{o.name}": f"uri-{o.name}" for o in step.outputs if not o.by_mlc}
        outs |= {o: STRING for o in uris}
        comp = self.generated(select, "select", env,
                              {"results": LIST, "trial_list": STRING, "objective": STRING}, outs,
                              files=uris)
        metric, goal = step.objective
        self.ir.add_task(scope, select, comp, params={
            "results": result, "trial_list": const(trials_json),
            "objective": const(json.dumps({"primary_metric": metric, "goal": goal}))},
            cachingOptions={})
        self.ir.close(trials, extra)
        trials.param_inputs[trials.loop_item] = "STRUCT"
        self.ir.components[f"comp-{loop_name}"]["inputDefinitions"] = _defs(trials)
        for out in step.outputs:
            if out.by_mlc:
                continue
            imp = f"{name}-best-{k8s(out.name)}"
            comp = self.ir.component(imp, {"uri": STRING}, {}, {},
                                     {"artifact": schema_of(out.type)},
                                     {"importer": {"artifactUri": {"runtimeParameter": "uri"},
                                                   "typeSchema": {"schemaTitle": schema_of(
                                                       out.type), "schemaVersion": "0.0.1"}}})
            self.ir.add_task(scope, imp, comp, params={"uri": output(select, f"uri_{out.name}")},
                             cachingOptions={"enableCache": True})
        self.promote(scope, step, select)

    def promote(self, scope: Scope, step: StepPlan, select: str) -> None:
        name = f"{k8s(step.name)}-promote"
        env = {"MLC_PROMOTE": "[]", "MLC_BEST_PARAMS": in_param("best_params_json"),
               "MLC_TRIALS_SUMMARY": in_param("trials_json"),
               "MLC_BEST_PARAMS_PATH": out_path("best_params"),
               "MLC_TRIALS_PATH": out_path("trials")}
        outputs: dict[str, str] = {}
        copies = []
        params = {"best_params_json": output(select, "best_params"),
                  "trials_json": output(select, "trials")}
        inputs = {"best_params_json": STRING, "trials_json": STRING}
        if step.foreach:
            loop = self.loop_channel(scope)
            env["MLC_ITEM"] = '{"key":"%s","item":%s}' % (in_param("item_key"),
                                                          in_param("item_json"))
            inputs |= {"item_key": STRING, "item_json": STRING}
            params |= {"item_key": item("key", loop), "item_json": item("json", loop)}
            outputs["mlc_item"] = STRING
        comp = self.ir.component(
            name, inputs, {}, outputs,
            {o.name: "system.Artifact" for o in step.outputs if o.by_mlc and o.name != "passed"},
            {})
        args: list[str] = []
        for var in sorted(env):
            args += ["--env", f"{var}={env[var]}"]
        if step.foreach:
            args += ["--file", out_file("mlc_item"), env["MLC_ITEM"]]
        args += ["--", "python", "-c", compact_source("promote")]
        self.ir.executors[f"exec-{name}"] = {"container": {
            "args": args, "command": driver_command(args), "image": self.settings.runtime_image}}
        self.platform(f"exec-{name}")
        self.ir.add_task(scope, name, comp, params=params, cachingOptions={}, after=[
            f"{k8s(step.name)}-best-{k8s(o.name)}" for o in step.outputs if not o.by_mlc])
        del copies

    # -- evaluate --------------------------------------------------------------------------
    def gate(self, scope: Scope, step: StepPlan) -> None:
        """The gate check after an evaluate step's command (runtime/gates.py): one shared
        component when the thresholds are literal, the step's own when some are params."""
        check = step.gate_check
        name = f"{k8s(step.name)}-gate"
        texts = Texts(self, step)
        gates = [{k: Slot(SlotKind.PARAM_JSON, v.name) if isinstance(v, Slot) else v
                  for k, v in g.fields().items()} for g in check.gates]
        spec_text = texts.json({"datasets": list(check.datasets),
                                "metrics": list(check.metrics), "gates": gates})
        metrics = next(o.name for o in step.outputs if o.type == "metrics")
        kw = {"artifacts_in": {"metrics": ("system.Metrics", False)},
              "artifacts_out": {"gates_json": "system.Artifact",
                                "passed_file": "system.Artifact"},
              "copies": [(f"{SCRIPT_OUT}/gates.json", out_path("gates_json")),
                         (f"{SCRIPT_OUT}/passed", out_path("passed_file"))]}
        env = {"MLC_CONSUMED": in_param("consumed"),
               "MLC_METRICS_PATH": "{{$.inputs.artifacts['metrics'].path}}"}
        params = {"consumed": const("true" if check.consumed_by_deploy else "false")}
        if texts.inputs:
            comp = self.generated(name, "gates", env | {"MLC_GATES": spec_text},
                                  {"consumed": STRING} | {n: STRING for n in texts.inputs},
                                  {"passed": STRING}, **kw)
            params |= {n: self.value_ref(n, scope, None) for n in texts.inputs}
        else:
            comp = self.shared_component("mlc-gate", "gates", env | {
                "MLC_GATES": in_param("gates")}, {"gates": STRING, "consumed": STRING},
                {"passed": STRING}, **kw)
            params["gates"] = const(spec_text)
        self.ir.add_task(scope, name, comp, params=params, artifacts={
            "metrics": output(k8s(step.name), metrics, artifact=True, schema="system.Metrics")},
            cachingOptions={})

    # -- deploy ----------------------------------------------------------------------------
    def deploy(self, name: str) -> None:
        from .deploy import deploy

        deploy(self, self.plan.deploys[name])


class Texts:
    """A step's text and config with KFP placeholders; the inputs and artifacts they read."""

    def __init__(self, builder: Builder, step: StepPlan) -> None:
        self.builder = builder
        self.step = step
        self.inputs: set[str] = set()
        self.artifacts: list[ArtifactInput] = []
        self.by_name = {a.name: a for a in step.artifacts}

    def need(self, name: str) -> str:
        self.inputs.add(name)
        return in_param(name)

    def slot_input(self, slot: Slot, form: str) -> str:
        """The input carrying a slot; form: text | json | escaped."""
        k = slot.kind
        if k in (SlotKind.RUN, SlotKind.RUN_JSON):
            return f"run_{slot.name}"
        if k is SlotKind.RUN_OBJECT:
            return "run_json"
        if k is SlotKind.ITEM_OBJECT:
            return "item_json"
        if k is SlotKind.TRIAL_OBJECT:
            return "trial_json"
        if k in (SlotKind.OUTPUT, SlotKind.OUTPUT_JSON):
            return f"o__{slot.step}__{slot.name}"
        prefix = {SlotKind.PARAM: "p", SlotKind.PARAM_JSON: "p", SlotKind.FOREACH: "f",
                  SlotKind.FOREACH_JSON: "f", SlotKind.TRIAL: "t", SlotKind.TRIAL_JSON: "t"}[k]
        suffix = {"text": "", "json": "j", "escaped": "e"}[form]
        return f"{prefix}{suffix}_{slot.name}"

    def path(self, piece: PathSlot) -> str:
        if piece.kind is PathKind.OUTPUT:
            spec = next(o for o in self.step.outputs if o.name == piece.name)
            if spec.artifact or self.step.sweep:
                return out_path(piece.name)
            return out_file(piece.name)
        art = self.by_name[piece.name]
        if art not in self.artifacts:
            self.artifacts.append(art)
        path = in_path(ident("in_" + art.name))
        producer = self.builder.plan.steps[art.producer]
        if art.mode is Mode.ZIP and not producer.foreach:
            path += "/" + self.need("item_key")  # this item's partition of the output
        return path

    def text(self, text: Text) -> str:
        out = []
        for piece in text:
            if isinstance(piece, Slot):
                if piece.kind is SlotKind.TARGET:
                    out.append("kubeflow")
                else:
                    out.append(self.need(self.slot_input(piece, "text")))
            elif isinstance(piece, PathSlot):
                out.append(self.path(piece))
            else:
                out.append(piece)
        return "".join(out)

    def json(self, node: object,
             credentials: Callable[[Credentials], object] | None = None) -> str:
        def raw(slot: Slot) -> str:
            if slot.kind is SlotKind.TARGET:
                return '"kubeflow"'
            if slot.kind is SlotKind.RUN_JSON:
                return '"' + self.need(f"run_{slot.name}") + '"'
            name = self.slot_input(slot, "json")
            text = self.need(name)
            if slot.kind is SlotKind.OUTPUT_JSON and \
                    self.builder.value_types.get(slot.output_ref) == "string":
                return '"' + text + '"'
            return text

        def escaped(slot: Slot) -> str:
            if slot.kind is SlotKind.TARGET:
                return "kubeflow"
            if slot.kind in (SlotKind.RUN, SlotKind.OUTPUT):
                return self.need(self.slot_input(slot, "text"))
            return self.need(self.slot_input(slot, "escaped"))

        return render_json(node, raw, escaped, self.path, credentials)

    def config(self) -> str:
        # every artifact input is staged, referenced or not (SPEC 6.1)
        for art in self.step.artifacts:
            if art not in self.artifacts:
                self.artifacts.append(art)
        return self.json(self.step.config, lambda c: {
            "secret": c.secret, "path": f"{SECRETS_DIR}/{c.secret}"})


def _defs(scope: Scope) -> dict:
    defs: dict = {}
    if scope.artifact_inputs:
        from .ir import artifact_type

        defs["artifacts"] = {c: {"artifactType": artifact_type(s)}
                             for c, (s, _) in sorted(scope.artifact_inputs.items())}
    defs["parameters"] = {c: {"parameterType": t} for c, t in sorted(scope.param_inputs.items())}
    return defs


def raw_list(entries: list) -> str:
    """A literal ParallelFor list as kfp writes it (`json.dumps`, keys sorted)."""
    return json.dumps(entries, sort_keys=True, ensure_ascii=False)


def _kfp_cron(cron: str) -> str:
    """KFP's cron has a seconds field first (robfig/cron with seconds)."""
    return "0 " + cron


def _mlc_version() -> str:
    from ... import __version__

    return __version__
