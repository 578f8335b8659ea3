"""The differential check of the kubeflow target: the same pipeline written with kfp's DSL
and kfp-kubernetes, compiled by kfp's own compiler, compared with mlc's `pipeline.yaml` after
normalising names (tests only; kfp never runs inside `mlc compile`).

The DSL program is rebuilt from what each of mlc's tasks reads (a pipeline param, another
task's output, a loop item's field, a collection of a loop's outputs), its container, and its
policies. Everything else is kfp's to write: the nesting of loops and conditions, the channels
(`pipelinechannel--...`, `...-loop-item`), the inputs each nested DAG declares and passes on,
the collected outputs of loops, `dependentTasks`, the trigger conditions, the iterator
policies, the component interfaces, and the platform spec. Any difference is a finding.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from pathlib import Path
from typing import Any, List

import yaml

TYPES = {"STRING": str, "LIST": list, "STRUCT": dict, "NUMBER_INTEGER": int,
         "NUMBER_DOUBLE": float, "BOOLEAN": bool}


def _artifact_class(schema: str):
    from kfp import dsl

    return {"system.Model": dsl.Model, "system.Dataset": dsl.Dataset,
            "system.Metrics": dsl.Metrics}.get(schema, dsl.Artifact)


def _component(task: str, comp: dict, executor: dict):
    """A kfp container (or importer stand-in) component with mlc's interface and container."""
    from kfp import dsl

    params = []
    defs = comp.get("inputDefinitions", {})
    for name, d in defs.get("artifacts", {}).items():
        cls = _artifact_class(d["artifactType"]["schemaTitle"])
        ann = dsl.Input[List[cls]] if d.get("isArtifactList") else dsl.Input[cls]
        params.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        annotation=ann))
    for name, d in defs.get("parameters", {}).items():
        params.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        annotation=TYPES[d["parameterType"]]))
    outs = comp.get("outputDefinitions", {})
    for name, d in outs.get("artifacts", {}).items():
        cls = _artifact_class(d["artifactType"]["schemaTitle"])
        params.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        annotation=dsl.Output[cls]))
    for name, d in outs.get("parameters", {}).items():
        params.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        annotation=dsl.OutputPath(TYPES[d["parameterType"]])))
    container = executor["container"]

    def fn(*_args):
        return dsl.ContainerSpec(image=container["image"], command=container["command"],
                                 args=container["args"])

    fn.__signature__ = inspect.Signature(params)
    fn.__name__ = task.replace("-", "_")
    return dsl.container_component(fn)


class Rebuild:
    """mlc's IR, written again with kfp's DSL."""

    def __init__(self, ir: dict, platform: dict) -> None:
        self.ir = ir
        self.platform = platform
        self.built: dict[str, Any] = {}       # mlc task name -> kfp PipelineTask

    def pipeline(self):
        from kfp import dsl

        root = self.ir["root"]
        names = list(root.get("inputDefinitions", {}).get("parameters", {}))
        params = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str,
                                    default="") for n in names]

        def body(*args):
            self.dag(root["dag"], dict(zip(names, args)))

        body.__signature__ = inspect.Signature(params)
        body.__name__ = self.ir["pipelineInfo"]["name"].replace("-", "_")
        return dsl.pipeline(name=self.ir["pipelineInfo"]["name"])(body)

    def dag(self, dag: dict, env: dict) -> None:
        """Build a DAG's tasks; `env` maps the channels this DAG receives to DSL values."""
        for name in _topological(dag["tasks"]):
            self.task(name, dag["tasks"][name], env)

    def value(self, spec: dict, env: dict):
        from kfp import dsl

        if "runtimeValue" in spec:
            return spec["runtimeValue"]["constant"]
        if "componentInputParameter" in spec:
            v = env[spec["componentInputParameter"]]
            sel = spec.get("parameterExpressionSelector")
            if sel:
                field = re.fullmatch(r'parseJson\(string_value\)\["(.+)"\]', sel)[1]
                return getattr(v, field)
            return v
        if "componentInputArtifact" in spec:
            return env[spec["componentInputArtifact"]]
        if "taskOutputParameter" in spec or "taskOutputArtifact" in spec:
            ref = spec.get("taskOutputParameter") or spec.get("taskOutputArtifact")
            key = ref.get("outputParameterKey") or ref.get("outputArtifactKey")
            producer = ref["producerTask"]
            if producer in self.loops:  # collected from a loop's body
                sel = self.loops[producer][key]
                return dsl.Collected(self.built[sel[0]].outputs[sel[1]])
            return self.built[producer].outputs[key]
        raise ValueError(spec)

    loops: dict[str, dict] = {}

    def task(self, name: str, task: dict, env: dict) -> None:
        from kfp import dsl

        comp = self.ir["components"][task["componentRef"]["name"]]
        inputs = task.get("inputs", {})
        args = {k: self.value(v, env) for section in ("parameters", "artifacts")
                for k, v in inputs.get(section, {}).items()}
        if "dag" in comp:
            inner_env = dict(args)
            outputs = comp["dag"].get("outputs", {})
            self.loops[name] = {}
            for section, key in (("parameters", "valueFromParameter"),
                                 ("artifacts", "artifactSelectors")):
                for ch, sel in outputs.get(section, {}).items():
                    s = sel[key] if section == "parameters" else sel[key][0]
                    self.loops[name][ch] = (s["producerSubtask"],
                                            s.get("outputParameterKey") or s["outputArtifactKey"])
            if "parameterIterator" in task:
                it = task["parameterIterator"]
                items = it["items"]
                source = json.loads(items["raw"]) if "raw" in items else \
                    args[items["inputParameter"]]
                limit = task.get("iteratorPolicy", {}).get("parallelismLimit", 0)
                with dsl.ParallelFor(source, parallelism=limit) as item:
                    inner_env[it["itemInput"]] = item
                    self.dag(comp["dag"], inner_env)
            else:
                cond = task["triggerPolicy"]["condition"]
                m = re.fullmatch(r"inputs\.parameter_values\['(.+)'\] == '(.*)'", cond)
                with dsl.If(args[m[1]] == m[2]):
                    self.dag(comp["dag"], inner_env)
            return
        executor = self.ir["deploymentSpec"]["executors"][comp["executorLabel"]]
        if "importer" in executor:
            cls = _artifact_class(comp["outputDefinitions"]["artifacts"]["artifact"]
                                  ["artifactType"]["schemaTitle"])
            t = dsl.importer(artifact_uri=args["uri"], artifact_class=cls, reimport=False)
        else:
            t = _component(name, comp, executor)(**args)
        self.built[name] = t
        caching = task.get("cachingOptions", {})
        t.set_caching_options(bool(caching.get("enableCache")))
        retry = task.get("retryPolicy")
        if retry:
            kw = {}
            if "backoffDuration" in retry:
                kw = {"backoff_duration": retry["backoffDuration"],
                      "backoff_factor": retry["backoffFactor"]}
                if "backoffMaxDuration" in retry:
                    kw["backoff_max_duration"] = retry["backoffMaxDuration"]
            t.set_retry(num_retries=retry["maxRetryCount"], **kw)
        res = executor.get("container", {}).get("resources", {})
        if "resourceCpuRequest" in res:
            t.set_cpu_request(res["resourceCpuRequest"])
        if "resourceMemoryRequest" in res:
            t.set_memory_request(res["resourceMemoryRequest"])
        if "resourceMemoryLimit" in res:
            t.set_memory_limit(res["resourceMemoryLimit"])
        if "accelerator" in res:
            t.set_accelerator_type(res["accelerator"]["resourceType"])
            t.set_accelerator_limit(res["accelerator"]["resourceCount"])
        self.kubernetes(t, self.platform.get(comp.get("executorLabel", ""), {}))
        for dep in task.get("dependentTasks", []):
            if dep in self.built:
                t.after(self.built[dep])

    def kubernetes(self, t: Any, config: dict) -> None:
        from kfp import kubernetes

        for s in config.get("secretAsEnv", []):
            kubernetes.use_secret_as_env(t, secret_name=s["secretName"], secret_key_to_env={
                k["secretKey"]: k["envVar"] for k in s["keyToEnv"]})
        for s in config.get("secretAsVolume", []):
            kubernetes.use_secret_as_volume(t, secret_name=s["secretName"],
                                            mount_path=s["mountPath"])
        for k, v in config.get("nodeSelector", {}).get("labels", {}).items():
            kubernetes.add_node_selector(t, label_key=k, label_value=v)
        if "activeDeadlineSeconds" in config:
            kubernetes.set_timeout(t, int(config["activeDeadlineSeconds"]))
        meta = config.get("podMetadata", {})
        for k, v in meta.get("labels", {}).items():
            kubernetes.add_pod_label(t, label_key=k, label_value=v)
        for k, v in meta.get("annotations", {}).items():
            kubernetes.add_pod_annotation(t, annotation_key=k, annotation_value=v)


def _topological(tasks: dict) -> list[str]:
    """Tasks in an order where producers come first (data and dependentTasks)."""
    def deps(task: dict) -> set[str]:
        out = set(task.get("dependentTasks", []))
        for section in task.get("inputs", {}).values():
            for v in section.values():
                ref = v.get("taskOutputParameter") or v.get("taskOutputArtifact")
                if ref:
                    out.add(ref["producerTask"])
        return out & set(tasks)

    done: list[str] = []
    pending = sorted(tasks)
    while pending:
        for name in pending:
            if deps(tasks[name]) <= set(done):
                done.append(name)
                pending.remove(name)
                break
        else:
            raise ValueError(f"cycle among {pending}")
    return done


def kfp_compile(mlc_pipeline: Path, out: Path) -> Path:
    """Compile the DSL rebuild of `mlc_pipeline` with kfp's compiler into `out`."""
    from kfp import compiler

    docs = [d for d in yaml.safe_load_all(mlc_pipeline.read_text()) if d]
    ir = docs[0]
    platform = docs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"] \
        if len(docs) > 1 else {}
    Rebuild.loops = {}
    compiler.Compiler().compile(Rebuild(ir, platform).pipeline(), str(out))
    return out


# -- normalising names ----------------------------------------------------------------------

def normalised(path: Path) -> dict:
    """The documents with every component inlined at its use (component and executor names
    are names only), DAG task names of loops and conditions replaced by a name drawn from
    their contents, loop-item channels of literal lists renamed likewise, and the SDK
    version dropped."""
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    ir = copy.deepcopy(docs[0])
    platform = docs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"] \
        if len(docs) > 1 else {}
    renames: dict[str, str] = {}

    def leaves(comp_name: str) -> list[str]:
        comp = ir["components"][comp_name]
        out = []
        for tname, t in comp["dag"]["tasks"].items():
            inner = ir["components"][t["componentRef"]["name"]]
            out += leaves(t["componentRef"]["name"]) if "dag" in inner else \
                [renames.get(tname, tname)]
        return sorted(out)

    def collect(dag: dict) -> None:
        for tname, t in dag["tasks"].items():
            inner = ir["components"][t["componentRef"]["name"]]
            if "dag" in inner:
                kind = "loop" if "parameterIterator" in t else "if"
                new = f"{kind}({','.join(leaves(t['componentRef']['name']))})"
                renames[tname] = new
                item = t.get("parameterIterator", {}).get("itemInput", "")
                if item.startswith("pipelinechannel--loop-item-param-"):
                    renames[item] = f"pipelinechannel--item-of-{new}"
                collect(inner["dag"])

    def importers(dag: dict) -> None:
        # kfp names every importer task `importer[-N]`: name them by the URI they import
        for tname, t in dag["tasks"].items():
            comp = ir["components"][t["componentRef"]["name"]]
            if "dag" in comp:
                importers(comp["dag"])
            elif "importer" in ir["deploymentSpec"]["executors"][comp["executorLabel"]]:
                uri = t["inputs"]["parameters"]["uri"]
                renames[tname] = "importer<-" + json.dumps(uri, sort_keys=True)

    importers(ir["root"]["dag"])
    collect(ir["root"]["dag"])

    def rename(node: Any, key: str = "") -> Any:
        """Task names where tasks are named (keys of `tasks`, producers, dependencies);
        literal-loop item channels wherever they appear."""
        if isinstance(node, dict):
            return {(renames.get(k, k) if key == "tasks" else chan(k)): rename(v, k)
                    for k, v in node.items()}
        if isinstance(node, list):
            out = [rename(v, key) for v in node]
            return sorted(out) if key == "dependentTasks" else out
        if isinstance(node, str):
            if key in ("producerTask", "producerSubtask", "dependentTasks"):
                return renames.get(node, node)
            return chan(node)
        return node

    def chan(text: str) -> str:
        for old, new in renames.items():
            if old.startswith("pipelinechannel--") and old in text:
                text = text.replace(old, new)
        return text

    def inline(dag: dict) -> dict:
        out = {}
        for tname, t in dag["tasks"].items():
            t = dict(t)
            comp = dict(ir["components"][t.pop("componentRef")["name"]])
            if "dag" in comp:
                comp["dag"] = dict(comp["dag"], tasks=inline(comp["dag"]))
            else:
                label = comp.pop("executorLabel")
                comp["executor"] = ir["deploymentSpec"]["executors"][label]
                comp["platform"] = platform.get(label, {})
            t["component"] = comp
            t.pop("taskInfo", None)
            out[tname] = t
        return out

    root = dict(ir["root"], dag=dict(ir["root"]["dag"], tasks=inline(ir["root"]["dag"])))
    return rename({"root": root, "pipelineInfo": ir["pipelineInfo"],
                   "schemaVersion": ir["schemaVersion"]})


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two normalised documents differ (paths, capped)."""
    out: list[str] = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'mlc' if k in a else 'kfp'}")
            else:
                out += differences(a[k], b[k], f"{path}/{k}")
    elif a != b:
        out.append(f"{path}: mlc {json.dumps(a)[:200]} != kfp {json.dumps(b)[:200]}")
    return out[:40]
