"""Templates of one step: its container, and the generated scripts that serve it.

Field reference: https://argo-workflows.readthedocs.io/en/latest/fields/#template
Each builder returns `(template, needed)`: the template dict and the input parameters it reads,
so callers can declare and pass exactly those.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from ...plan import ArtifactInput, DimSource, Mode, Slot, SlotKind, StepPlan, Unit
from ...plan.keys import (
    best_trial_key,
    chunks_key,
    gates_key,
    index_key,
    input_key,
    metrics_key,
    output_key,
    passed_key,
)
from ...plan.values import env_name, static_digest
from ...runtime import compact_source
from ..kube import pod_volumes
from .syntax import (
    CONFIG_PATH,
    RUN,
    INPUTS_DIR,
    OUTPUTS_DIR,
    SCRIPT_OUT,
    config_json,
    gen,
    json_text,
    k8s,
    key_text,
    render_text,
    run_field,
    slot_param,
    tag,
    text_params,
)

ARCHIVE_NONE = {"none": {}}  # upload directories as they are, not as .tgz


def inputs_block(parameters: set[str], artifacts: list[dict] | None = None) -> dict:
    """`inputs:` with parameters in a stable order (https://argo-workflows.readthedocs.io/en/latest/fields/#inputs)."""
    out: dict = {}
    if parameters:
        out["parameters"] = [{"name": n} for n in sorted(parameters)]
    if artifacts:
        out["artifacts"] = artifacts
    return out


def script_source(module: str) -> str:
    """A runtime module's source, compacted (the file in mlc/runtime documents it)."""
    return compact_source(module)


def script_template(ctx: Any, name: str, module: str, env: list[dict], *,
                    parameters: set[str], outputs: list[str] = (), artifacts_in: list[dict] = (),
                    artifacts_out: list[dict] = ()) -> dict:
    """A generated task: inline standard-library Python on runtime_image
    (https://argo-workflows.readthedocs.io/en/latest/fields/#scripttemplate)."""
    template: dict = {"name": name}
    inputs = inputs_block(parameters, list(artifacts_in))
    if inputs:
        template["inputs"] = inputs
    out: dict = {}
    if outputs:
        out["parameters"] = [{"name": o, "valueFrom": {"path": f"{SCRIPT_OUT}/{o}"}}
                             for o in outputs]
    if artifacts_out:
        out["artifacts"] = list(artifacts_out)
    if out:
        template["outputs"] = out
    template["script"] = {"image": ctx.runtime_image, "command": ["python"],
                          "env": sorted(env, key=lambda e: e["name"]),
                          "source": script_source(module)}
    return template


def env_value(name: str, value: str) -> dict:
    return {"name": name, "value": value}


# --- the step's own container -----------------------------------------------------------------

SHELL = ["/bin/sh", "-c"]
RUN_FIELDS = ("date", "id", "started_at")
DEFAULT_ENV = frozenset({"MLC_STEP_CONFIG"} | {env_name("run", f) for f in RUN_FIELDS})


def container_defaults(image: str) -> dict:
    """`spec.templateDefaults`: what every step's container has, written once per document
    (SPEC 6.1: `MLC_STEP_CONFIG` and `MLC_RUN_*` are always set; a shell command runs under
    `/bin/sh -c`). Argo merges it into each container template before it substitutes the
    template's tags (`mergedTemplateDefaultsInto`, operator.go: a strategic merge, `env` by
    name, a template's own `command` replacing the default); templates of other types (DAGs,
    scripts, resources) do not get the `container` part. So the run fields read the
    template's own `run-json` input, which every step container declares (the id too: a
    template that only the main Workflow runs has no `run-id` input, `in_main_workflow`).
    `image` is there for Argo's JSON schema, which requires one in any container; every step
    sets its own."""
    env = [env_value("MLC_STEP_CONFIG", CONFIG_PATH)]
    env += [env_value(env_name("run", f), run_field(f)) for f in RUN_FIELDS]
    return {"container": {"image": image, "command": list(SHELL),
                          "env": sorted(env, key=lambda e: e["name"])}}


def input_artifact(ctx: Any, art: ArtifactInput) -> dict:
    """https://argo-workflows.readthedocs.io/en/latest/fields/#artifact"""
    entry = {"name": input_name(art), "path": f"{INPUTS_DIR}/{art.name}"}
    entry.update(ctx.store.location(input_key_text(ctx, art)))
    return entry


def input_key_text(ctx: Any, art: ArtifactInput) -> str:
    """Where a consumer reads an input: under this run, or for a cached producer without
    foreach under the run that wrote it (`from-<producer>`: its `mlc-run`, this run's id on a
    miss, the computing run's on a cache hit; issue 17, item 1)."""
    text = key_text(input_key(art))
    if art.producer in ctx.reporting:
        text = tag(from_param(art.producer)) + text[len(tag("run-id")):]
    return text


def container_template(ctx: Any, step: StepPlan, *, trial: bool = False) -> tuple[dict, set[str]]:
    """The step's container (https://argo-workflows.readthedocs.io/en/latest/fields/#container)."""
    template, needed, _ = _container(ctx, step, trial, main=False)
    return template, needed


# The run's id in a template that only the main Workflow runs: its name, which the run task
# gives the run (workflow.py, `MLC_RUN_NAME`; runtime/run_info.py). A child Workflow (SPEC 10)
# has a name of its own: its templates take the parent's id as their `run-id` input.
MAIN_RUN = "{{workflow.name}}"


def in_main_workflow(ctx: Any, step: StepPlan) -> tuple[dict, set[str], list[dict]]:
    """The step's container for a template which only the main DAG calls, made smaller in two
    ways; returns the template, what the calling task must pass (the template's inputs), and
    the artifacts it hands over.
    - Its run is `{{workflow.name}}`, not a `run-id` input: one argument and one input less.
      Argo substitutes the `workflow.*` globals in the whole template before its inputs
      (`common.SubstituteParams`). (The structural checks of the tests fail on any
      `{{inputs.parameters.run-id}}` left behind.)
    - An input from a cached producer of the main DAG (`handed_over`) comes by Argo's
      artifact passing, `from:` the producer task's output, instead of by a key under the
      producer's `from-<producer>` run: on a cache hit Argo restores the output's location
      with the rest of the node's outputs, so both say the same place."""
    return _container(ctx, step, False, main=True)


def _container(ctx: Any, step: StepPlan, trial: bool, main: bool,
               ) -> tuple[dict, set[str], list[dict]]:
    """`container_template`, or with `main` `in_main_workflow`: each template is built once,
    with its final inputs (thousands of steps)."""
    needed: set[str] = {"run-id", "run-json"}  # read by the defaults' env
    env = []
    for var in step.env:
        if var.name in DEFAULT_ENV:
            continue  # the same in every step: spec.templateDefaults (container_defaults)
        if var.secret is not None:
            env.append({"name": var.name, "valueFrom": {"secretKeyRef": {
                "name": var.secret[0], "key": var.secret[1]}}})
        else:
            env.append(env_value(var.name, render_text(var.value)))
            needed |= text_params(var.value)
    env.sort(key=lambda e: e["name"])
    container: dict = {"image": step.image}
    if step.shell is not None:
        container["args"] = [render_text(step.shell)]  # command: the defaults' SHELL
    else:
        container["command"] = [render_text(a) for a in step.argv]
        for a in step.argv:
            needed |= text_params(a)
    if env:
        container["env"] = env
    resources = ctx.resources(step.resources)
    if resources:
        container["resources"] = resources
    config, config_needs = config_json(step.config, ctx.value_types)
    needed |= config_needs
    artifacts = [{"name": "mlc-config", "path": CONFIG_PATH, "raw": {"data": config}}]
    handed: list[dict] = []  # artifacts the main-DAG task hands its step
    for a in step.artifacts:
        if main and handed_over(ctx, a):
            artifacts.append({"name": input_name(a), "path": f"{INPUTS_DIR}/{a.name}"})
            handed.append({"name": input_name(a), "from": output_ref(a)})
            continue
        artifacts.append(input_artifact(ctx, a))
        if a.producer in ctx.reporting:
            needed.add(from_param(a.producer))
    if step.foreach or any(a.mode is Mode.ZIP for a in step.artifacts):
        needed.add("item-key")
    mounts, volumes = pod_volumes(step)
    if mounts:
        container["volumeMounts"] = mounts
    template: dict = {"name": k8s(step.name)}
    outputs = _outputs(ctx, step, trial)
    if trial:
        needed.add("trial")
    policies = _policies(ctx, step, trial)
    needed |= policies.params
    if main:
        # where a container template writes the run's id: artifact keys, `mlc-run`, its
        # command and variables (its config has the run's JSON, `run-json`)
        needed.discard("run-id")
        for entry in [*artifacts, *outputs.get("artifacts", ())]:
            for location in ("s3", "gcs"):
                if location in entry:
                    entry[location]["key"] = entry[location]["key"].replace(RUN, MAIN_RUN)
        for param in outputs.get("parameters", ()):
            if "value" in param:
                param["value"] = param["value"].replace(RUN, MAIN_RUN)
        for field in ("args", "command"):
            if field in container:
                container[field] = [a.replace(RUN, MAIN_RUN) for a in container[field]]
        for var in env:
            if "value" in var:
                var["value"] = var["value"].replace(RUN, MAIN_RUN)
    else:
        needed.add("run-id")
    template["inputs"] = inputs_block(needed, artifacts)
    if outputs:
        template["outputs"] = outputs
    placement = ctx.node_selector(step.resources)
    if placement:
        template["nodeSelector"] = placement
    template["container"] = container
    if volumes:
        template["volumes"] = volumes
    template.update(policies.fields)
    return template, needed, handed


def handed_over(ctx: Any, art: ArtifactInput) -> bool:
    """Does a main-DAG task hand `art` to its step (`in_main_workflow`)? When its producer is
    a cached step whose own main-DAG task runs its container (`ctx.handing`: no foreach, no
    sweep, no relink), so that task's outputs hold the artifact."""
    return art.producer in ctx.handing and art.mode is Mode.SINGLE


def input_name(art: ArtifactInput) -> str:
    return "in-" + art.name.replace("/", "-").replace("_", "-")


def output_ref(art: ArtifactInput) -> str:
    """The producer task's output artifact, in the main DAG."""
    return "{{tasks.%s.outputs.artifacts.out-%s}}" % (k8s(art.producer),
                                                       art.output.replace("_", "-"))


# The output parameter naming the run that wrote a cached node's artifacts (`-`: no output of a
# spec is named so)
RUN_OUTPUT = "mlc-run"


def reports_run(step: StepPlan) -> bool:
    """A cached step (not a sweep: promote reads its best trial from the run that wrote it)
    whose container writes artifacts, which a cache hit leaves under another run's keys
    (issue 17, item 1): its container reports that run (`mlc-run`)."""
    if not step.cache or step.sweep:
        return False
    foreach = step.foreach
    for o in step.outputs:
        if not o.by_mlc and (o.artifact or foreach):
            return True
    return False


def relinked_outputs(step: StepPlan) -> list:
    """The outputs a relink task copies into this run after a cache hit: those of a foreach
    step (each item may come from another run) or of an evaluate step (its gate reads its
    metrics). Consumers of other cached steps read the producer's run instead
    (`reads_producer_run`)."""
    if not (step.foreach or step.unit is Unit.EVALUATE) or not reports_run(step):
        return []
    return [o for o in step.outputs if not o.by_mlc and (o.artifact or step.foreach)]


def reads_producer_run(plan: Any, producer: str) -> bool:
    """Consumers read `producer`'s artifacts under the run that wrote them (a parameter
    `from-<producer>`, its task's `mlc-run`), not this run's."""
    step = plan.steps.get(producer)
    return step is not None and reports_run(step) and not relinked_outputs(step)


def from_param(producer: str) -> str:
    return "from-" + k8s(producer)


RELINK = "mlc--relink"


def relink_template(ctx: Any, slots: int) -> dict:
    """The one relink task of the document (runtime/relink.py): after a cache hit it copies up
    to `slots` restored artifacts (`in-<n>`, from the cached node's outputs) to this run's keys
    (`key-<n>`, under the store's prefix). Unused slots have no input and write nothing."""
    arts_in = [{"name": f"in-{n}", "path": f"{SCRIPT_OUT}/relink-in/{n}", "optional": True}
               for n in range(slots)]
    arts_out = []
    for n in range(slots):
        entry = {"name": f"out-{n}", "path": f"{SCRIPT_OUT}/relink/{n}", "archive": ARCHIVE_NONE,
                 "optional": True}
        entry.update(ctx.store.location(tag(f"key-{n}")))
        arts_out.append(entry)
    template = script_template(ctx, RELINK, "relink",
                               [env_value("MLC_RELINK_IN", f"{SCRIPT_OUT}/relink-in")],
                               parameters=set(), artifacts_in=arts_in, artifacts_out=arts_out)
    template["inputs"] = {"parameters": [{"name": f"key-{n}", "default": ""}
                                         for n in range(slots)], "artifacts": arts_in}
    return template


def relink_task_args(step: StepPlan) -> tuple[dict[str, str], list[dict]]:
    """Arguments of a step's relink task in its item's DAG: this run's key of each output, and
    the cached node's artifacts."""
    outs = relinked_outputs(step)
    args = {f"key-{n}": key_text(output_key(step.name, o.name, step.foreach))
            for n, o in enumerate(outs)}
    artifacts = [{"name": f"in-{n}", "from": "{{tasks.run.outputs.artifacts.out-%s}}"
                  % o.name.replace("_", "-")} for n, o in enumerate(outs)]
    return args, artifacts


def _outputs(ctx: Any, step: StepPlan, trial: bool) -> dict:
    """Artifacts under the store; values as parameters when the step has one of each."""
    artifacts, parameters = [], []
    item = step.foreach
    for out in step.outputs:
        if out.by_mlc:
            continue  # written by the gate or the promote task
        if out.artifact or item or trial:
            entry = {"name": "out-" + out.name.replace("_", "-"),
                     "path": f"{OUTPUTS_DIR}/{out.name}", "archive": ARCHIVE_NONE}
            entry.update(ctx.store.location(key_text(output_key(step.name, out.name, item,
                                                                trial))))
            artifacts.append(entry)
        if not out.artifact and not item and not trial:
            parameters.append({"name": out.name, "valueFrom": {"path": f"{OUTPUTS_DIR}/{out.name}"}})
    if trial:
        metrics = next(o.name for o in step.outputs if o.type == "metrics")
        parameters.append({"name": "metrics", "valueFrom": {"path": f"{OUTPUTS_DIR}/{metrics}"}})
        parameters.append({"name": "index", "value": tag("trial")})
        if step.cache:
            # the run that wrote the trial's artifacts: this one, or on a cache hit the one
            # whose outputs Argo restored (issue 17, item 1); promote reads the best from there
            parameters.append({"name": RUN_OUTPUT, "value": tag("run-id")})
    elif reports_run(step):
        # likewise for a cached step's own outputs: consumers read them there, or a relink
        # task copies them into this run
        parameters.append({"name": RUN_OUTPUT, "value": tag("run-id")})
    out: dict = {}
    if parameters:
        out["parameters"] = parameters
    if artifacts:
        out["artifacts"] = artifacts
    return out


class _Policies(NamedTuple):
    fields: dict  # retryStrategy, activeDeadlineSeconds, memoize
    params: set[str]  # the input parameters they read


def _policies(ctx: Any, step: StepPlan, trial: bool) -> _Policies:
    """retryStrategy, activeDeadlineSeconds, memoize (SPEC 6.7); the parameters they read."""
    fields: dict = {}
    extra: set[str] = set()
    if step.retry is not None:
        fields["retryStrategy"] = ctx.retry_strategy(step.retry)
    if step.timeout_s is not None:
        fields["activeDeadlineSeconds"] = str(step.timeout_s)
    if step.cache:
        if step.artifacts:
            key, extra = tag("cache-key"), {"cache-key"}
            digest = "inputs.parameters['cache-key']"
        else:
            key, extra = expression_key(step)
            digest = key[3:-2]
        key += "-" + tag("trial") if trial else ""
        # one ConfigMap per step and first two hex digits of the key: 256 of at most 1 MiB
        # each, where one for everything filled up and failed nodes (issue 17, item 2)
        name = f"{ctx.cache_config_map}-{k8s(step.name)}-" + \
            "{{=sprig.substr(0, 2, " + digest + ")}}"
        # Argo 3.x types the cache's configMap as a ConfigMapKeySelector (`key` required by
        # its schema, unused by the controller); 4.x as a LocalObjectReference (no `key`)
        config_map = {"name": name}
        if ctx.settings.argo_version.startswith("3."):
            config_map["key"] = "memo"
        fields["memoize"] = {"key": key, "maxAge": ctx.max_age(step.cache_max_age_s),
                             "cache": {"configMap": config_map}}
    return _Policies(fields, extra)


def expression_key(step: StepPlan) -> tuple[str, set[str]]:
    """A memoize key computed by Argo for a step that reads no artifacts: the static digest
    and the JSON of its params and item, hashed."""
    names = ["pj-" + p for p in step.params] + (["item-json"] if step.foreach else [])
    parts = ", ".join("inputs.parameters['" + n + "']" for n in names)
    return ("{{=sprig.sha256sum('" + static_digest(step) + "' + toJson([" + parts + "]))}}",
            set(names))


# --- generated scripts of a step -------------------------------------------------------------

def items_template(ctx: Any, group: list[StepPlan]) -> tuple[dict, set[str]]:
    """Items of the steps sharing one set of foreach dimensions, their sweeps' trials and
    index.json files (runtime/items.py). Literal lists and trial values travel as env values."""
    owner = group[0]
    needed = {"run-id"}
    env, lists = [], []
    for d in owner.dims:
        if d.source is not DimSource.LITERAL:
            param = "pj-" + d.param if d.source is DimSource.PARAM else "list-" + k8s(d.name)
            needed.add(param)
            lists.append(payload_file(param))
            env.append(env_value(d.env + "_FILE", lists[-1]["path"]))
    dims = [d.payload() for d in owner.dims]
    env.append(env_value("MLC_DIMS", json_text(dims, separators=(",", ":"), ensure_ascii=False)))
    sweeps = {k8s(s.name): ({"grid": [[hp, list(v)] for hp, v in s.grid]} if s.grid is not None
                            else {"trials": list(s.trials)})
              for s in group if s.sweep and s.child_runs is None}  # children: manifest
    if sweeps:
        env.append(env_value("MLC_SWEEPS", json_text(sweeps, separators=(",", ":"),
                                                      ensure_ascii=False)))
    artifacts, dirs = [], []
    for step in group:
        for o in step.index_outputs:
            dirs.append(f"{step.name}/{o}")
            entry = {"name": f"index-{k8s(step.name)}-{o.replace('_', '-')}",
                     "path": f"{SCRIPT_OUT}/{step.name}/{o}/index.json", "archive": ARCHIVE_NONE}
            entry.update(ctx.store.location(key_text(index_key(step.name, o))))
            artifacts.append(entry)
    if dirs:
        env.append(env_value("MLC_INDEX_DIRS", json.dumps(dirs)))
    chunked = {k8s(s.name): {"per": s.child_runs.per, "size": s.child_runs.size}
               for s in group if s.child_runs is not None and s.child_runs.per != "item"}
    if chunked:
        # SPEC 10: child runs read their items from these files, never from parameters
        env.append(env_value("MLC_CHUNKS", json_text(chunked, separators=(",", ":"))))
        for step in group:
            if step.child_runs is not None and step.child_runs.per != "item":
                entry = {"name": f"chunks-{k8s(step.name)}",
                         "path": f"{SCRIPT_OUT}/mlc-chunks/{k8s(step.name)}",
                         "archive": ARCHIVE_NONE}
                entry.update(ctx.store.location(key_text(chunks_key(step.name))))
                artifacts.append(entry)
    # the whole list is a parameter only where a task loops over it in this Workflow
    outputs = ["items"] if len(chunked) < len(group) else []
    outputs += ["trials-" + name for name in sweeps] + ["chunks-" + name for name in chunked]
    template = script_template(ctx, gen(owner.name, "items"), "items", env, parameters=needed,
                               outputs=outputs, artifacts_in=lists, artifacts_out=artifacts)
    return template, needed


def chunk_items_template(ctx: Any, step: StepPlan) -> tuple[dict, set[str]]:
    """`<step>--chunk-items`, in a child run: its chunk file (an artifact) becomes the `items`
    its fan-out loops over (runtime/chunk.py)."""
    path = f"{SCRIPT_OUT}/in/chunk.json"
    artifact = {"name": "chunk", "path": path}
    artifact.update(ctx.store.location(key_text(chunks_key(step.name)) + "/"
                                       + tag("chunk") + ".json"))
    needed = {"run-id", "chunk"}
    template = script_template(ctx, gen(step.name, "chunk-items"), "chunk",
                               [env_value("MLC_CHUNK_IN", path)], parameters=needed,
                               outputs=["items"], artifacts_in=[artifact])
    return template, needed


def partition_index_template(ctx: Any, step: StepPlan) -> tuple[dict, set[str]]:
    """index.json of each output of a partitioned features step that a consumer reads whole
    (SPEC 6.2 fan-in), written once the step has listed its `partitions`: runtime/items.py
    with the partition column as the one dimension, so the entries are the keys
    `<by>=<enc(value)>` the step wrote its directories under."""
    part = step.partition
    dims = [{"name": part.by, "bound": part.max_partitions, "env": "MLC_LIST_PARTITIONS"}]
    env = [env_value("MLC_LIST_PARTITIONS_FILE", PAYLOADS_DIR + "/partitions.json"),
           env_value("MLC_DIMS", json.dumps(dims, separators=(",", ":"), ensure_ascii=False))]
    outputs = step.index_outputs
    env.append(env_value("MLC_INDEX_DIRS", json.dumps([f"{step.name}/{o}" for o in outputs])))
    artifacts = []
    for o in outputs:
        entry = {"name": f"index-{k8s(step.name)}-{o.replace('_', '-')}",
                 "path": f"{SCRIPT_OUT}/{step.name}/{o}/index.json", "archive": ARCHIVE_NONE}
        entry.update(ctx.store.location(key_text(index_key(step.name, o))))
        artifacts.append(entry)
    needed = {"run-id", "partitions"}
    template = script_template(ctx, gen(step.name, "index"), "items", env, parameters=needed,
                               outputs=["items"], artifacts_in=[payload_file("partitions")],
                               artifacts_out=artifacts)
    return template, needed


CACHE_KEY = "mlc--cache-key"


def cache_key_template(ctx: Any, slots: int) -> dict:
    """The one cache-key task of the document (runtime/cachekey.py, SPEC 6.7): it hashes up to
    `slots` input artifacts, each supplied by the calling task at `/mlc/inputs/<n>`; the key's
    material and the artifacts' names come as one parameter, `[material, names]` (the nth name
    is the artifact at `/mlc/inputs/<n>`). One template for every keyed step, so the script
    appears once per document."""
    artifacts = [{"name": f"in-{n}", "path": f"{INPUTS_DIR}/{n}", "optional": True}
                 for n in range(slots)]
    env = [env_value("MLC_CACHE", tag("material"))]
    return script_template(ctx, CACHE_KEY, "cachekey", env, parameters={"material"},
                           outputs=["key"], artifacts_in=artifacts)


def cache_key_args(ctx: Any, step: StepPlan, ref: Callable[[str], str] | None = None,
                   ) -> tuple[dict[str, str], list[dict], set[str]]:
    """Arguments of a step's cache-key task: its parameters, its artifacts (the step's input
    artifacts, in slot order), and the input parameters of the caller they read. The caller's
    parameters appear as its own input tags, or as `ref(name)` where the caller is the main
    DAG."""
    needed = {"run-id"}
    digest = static_digest(step)  # the same key, in fewer bytes
    if step.params or step.foreach:
        dynamic: dict = {"params": {p: "@" + tag("pj-" + p) for p in step.params}}
        needed |= {"pj-" + p for p in step.params}
        if step.foreach:
            dynamic["item"] = "@" + tag("item-json")
            needed |= {"item-json", "item-key"}
        dyn = "{" + ",".join(json.dumps(k) + ":" + _dyn(v) for k, v in dynamic.items()) + "}"
        material = '{"static":"' + digest + '","dynamic":' + dyn + "}"
    else:
        # without run-time values the material is the digest alone (a JSON string, which no
        # material with values, a JSON object, can equal)
        material = '"' + digest + '"'
    artifacts = []
    names = []
    for n, art in enumerate(step.artifacts):
        names.append(art.name)
        entry = {"name": f"in-{n}"}
        if art.mode is Mode.ZIP:
            needed.add("item-key")
        if ref is not None and handed_over(ctx, art):
            # a main-DAG caller (`ref`) hands over what it can, as it does to the step itself
            entry["from"] = output_ref(art)
        else:
            entry.update(ctx.store.location(input_key_text(ctx, art)))
            if art.producer in ctx.reporting:
                needed.add(from_param(art.producer))
        artifacts.append(entry)
    # with the names of the input artifacts, in slot order: one parameter, not two
    args = {"material": "[" + material + "," + _COMPACT(names) + "]"}
    args, artifacts = _scoped(args, artifacts, needed, ref)
    return args, artifacts, needed


_COMPACT = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def _dyn(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + _dyn(v) for k, v in value.items()) + "}"
    return value[1:]  # "@{{tag}}": the tag's text is JSON already


GATE = "mlc--gate"


def gate_template(ctx: Any) -> dict:
    """The one gate check of the document (runtime/gates.py, SPEC 6.5): the gates, whether a
    deploy reads the decision, and where to read the metrics and write the decision come from
    the calling task."""
    metrics_in = {"name": "metrics", "path": "/mlc/inputs/metrics"}
    outs = []
    for name, key in (("gates.json", "gates-key"), ("passed", "passed-key")):
        entry = {"name": name.replace(".", "-"), "path": f"{SCRIPT_OUT}/{name}",
                 "archive": ARCHIVE_NONE}
        entry.update(ctx.store.location(tag(key)))  # the caller's key, under the store
        outs.append(entry)
    env = [env_value("MLC_GATES", tag("gates")),
           env_value("MLC_METRICS_PATH", "/mlc/inputs/metrics"),
           env_value("MLC_CONSUMED", tag("consumed"))]
    return script_template(ctx, GATE, "gates", env,
                           parameters={"gates", "consumed", "gates-key", "passed-key"},
                           outputs=["passed"], artifacts_in=[metrics_in], artifacts_out=outs)


def gate_args(ctx: Any, step: StepPlan, ref: Callable[[str], str] | None = None,
              ) -> tuple[dict[str, str], list[dict], set[str]]:
    """Arguments of an evaluate step's gate task: its gates (thresholds that are params read
    the caller's own parameters), keys and metrics artifact; and the caller's parameters they
    read, as its input tags or as `ref(name)`."""
    needed = {"run-id"}
    gates = []
    check = step.gate_check
    for g in check.gates:
        entry = {}
        for k, v in g.fields().items():
            if isinstance(v, Slot):  # a param, as JSON
                needed.add(slot_param(v))
                entry[k] = "@" + tag(slot_param(v))
            else:
                entry[k] = v
        gates.append(entry)
    spec = {"datasets": list(check.datasets), "metrics": list(check.metrics)}
    gates_json = "[" + ",".join("{" + ",".join(
        json.dumps(k) + ":" + (v[1:] if isinstance(v, str) and v.startswith("@{{") else
                               json.dumps(v)) for k, v in g.items()) + "}" for g in gates) + "]"
    spec_json = json_text(spec, separators=(",", ":"))[:-1] + ',"gates":' + gates_json + "}"
    item = step.foreach
    if item:
        needed.add("item-key")
    metrics = {"name": "metrics"}
    metrics.update(ctx.store.location(key_text(metrics_key(step.name, item))))
    args = {"gates": spec_json, "consumed": "true" if check.consumed_by_deploy else "false",
            "gates-key": key_text(gates_key(step.name, item)),
            "passed-key": key_text(passed_key(step.name, item))}
    return (*_scoped(args, [metrics], needed, ref), needed)


def _scoped(args: dict[str, str], artifacts: list[dict], needed: set[str],
            ref: Callable[[str], str] | None) -> tuple[dict[str, str], list[dict]]:
    """Arguments written with the caller's input tags, rewritten for a caller whose values
    come from elsewhere (`ref(name)`: the main DAG's tasks, a loop's `{{item.key}}`)."""
    if ref is None:
        return args, artifacts

    pairs = [(tag(name), name) for name in needed]

    def scoped(value: Any) -> Any:
        if isinstance(value, str):
            if "{{" in value:
                for text, name in pairs:
                    if text in value:
                        value = value.replace(text, ref(name))
            return value
        if isinstance(value, dict):
            return {k: scoped(v) for k, v in value.items()}
        return [scoped(v) for v in value]

    return {k: scoped(v) for k, v in args.items()}, [scoped(a) for a in artifacts]


def promote_template(ctx: Any, step: StepPlan) -> tuple[dict, set[str]]:
    """Copy the best trial's outputs to the item's outputs (runtime/promote.py)."""
    item = step.foreach
    needed = {"run-id", "best", "best-params", "trials-summary"} | ({"item-key"} if item else set())
    if step.cache:
        needed.add("best-run")
    pairs, arts_in, arts_out, params_out = [], [], [], []
    for out in step.outputs:
        if out.name == "passed":
            continue
        if out.by_mlc:
            src = None
        else:
            src = f"/mlc/best/{out.name}"
            entry = {"name": "best-" + out.name.replace("_", "-"), "path": src}
            key = key_text(best_trial_key(step.name, out.name, item))
            if step.cache:  # where the best trial was written, by this run or a cached one
                key = tag("best-run") + key[len(tag("run-id")):]
            entry.update(ctx.store.location(key))
            arts_in.append(entry)
        dst = f"{SCRIPT_OUT}/{out.name}"
        if src:
            pairs.append({"src": src, "dst": dst})
        art = {"name": "out-" + out.name.replace("_", "-"), "path": dst, "archive": ARCHIVE_NONE}
        art.update(ctx.store.location(key_text(output_key(step.name, out.name, item))))
        arts_out.append(art)
        if not out.artifact and not item:
            params_out.append(out.name)
    env = [env_value("MLC_PROMOTE", json.dumps(pairs, separators=(",", ":"))),
           env_value("MLC_BEST_PARAMS", tag("best-params")),
           env_value("MLC_TRIALS_SUMMARY_FILE", PAYLOADS_DIR + "/trials-summary.json"),
           env_value("MLC_BEST_PARAMS_PATH", f"{SCRIPT_OUT}/best_params"),
           env_value("MLC_TRIALS_PATH", f"{SCRIPT_OUT}/trials")]
    arts_in.append(payload_file("trials-summary"))
    template = script_template(ctx, gen(step.name, "promote"), "promote", env, parameters=needed,
                               outputs=params_out, artifacts_in=arts_in, artifacts_out=arts_out)
    return template, needed


SELECT = "mlc--select"


def select_template(ctx: Any) -> dict:
    """The one select-best task of the document (runtime/select.py): the trials' aggregated
    outputs, the trials and the sweep's objective come as parameters."""
    parameters = {"results", "trials", "objective"}
    env = [env_value("MLC_RESULTS_FILE", PAYLOADS_DIR + "/results.json"),
           env_value("MLC_TRIALS_FILE", PAYLOADS_DIR + "/trials.json"),
           env_value("MLC_OBJECTIVE", tag("objective"))]
    return script_template(ctx, SELECT, "select", env, parameters=parameters,
                           outputs=["best", "best_params", "best_run", "trials"],
                           artifacts_in=[payload_file("results"), payload_file("trials")])


# Lists go to generated tasks as files (raw artifacts), never as one environment string:
# Linux refuses to start a process with an environment string over 128 KiB (MAX_ARG_STRLEN).
PAYLOADS_DIR = "/tmp/mlc/payloads"


def payload_file(parameter: str) -> dict:
    """An input parameter's text as a file at PAYLOADS_DIR/<parameter>.json."""
    return {"name": f"payload-{parameter}", "path": f"{PAYLOADS_DIR}/{parameter}.json",
            "raw": {"data": tag(parameter)}}


def objective_json(step: StepPlan) -> str:
    metric, goal = step.objective
    return json.dumps({"primary_metric": metric, "goal": goal})


