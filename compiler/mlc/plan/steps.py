"""A run, features or evaluate step as a StepPlan: command, env, staged inputs, outputs,
dimensions, trials, the SPEC 6.2 config template and the static part of its cache key."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from ..graph import PipelineGraph
from ..spec.catalog import is_partitions_list, split_outputs, step_outputs
from ..spec.config import Config
from ..runtime.cachekey import tree_digest as file_digest
from ..spec.models import ARTIFACT_TYPES, EvaluateStep, FeaturesStep, Local
from ..spec.references import RefUse
from ..spec.refgrammar import parse_template
from ..spec.semantics import cache_enabled, code_files
from ..spec.shell import expansion, quoting_at
from ..spec.sweep import trials as sweep_trials
from ..spec.types import duration_seconds
from .model import (
    ArtifactInput,
    Credentials,
    Dim,
    DimSource,
    EnvVar,
    Gate,
    GateCheck,
    Mode,
    OutputSpec,
    Partition,
    PathKind,
    PathSlot,
    Resources,
    Retry,
    SecretMount,
    Slot,
    SlotKind,
    StepPlan,
    StrText,
    Text,
)
from .resolve import Resolver, flatten, source_handle
from .values import env_name, value_type

DIRECTORY_TYPES = ("dataset", "model", "dir")
JSON_KIND = {SlotKind.PARAM: SlotKind.PARAM_JSON, SlotKind.RUN: SlotKind.RUN_JSON,
             SlotKind.FOREACH: SlotKind.FOREACH_JSON, SlotKind.TRIAL: SlotKind.TRIAL_JSON,
             SlotKind.OUTPUT: SlotKind.OUTPUT_JSON}


class StepBuilder(Resolver):
    def __init__(self, cfg: Config, graph: PipelineGraph, name: str, step: Any,
                 uses: list[RefUse], consumed_by_deploy: bool) -> None:
        super().__init__(cfg, graph, name, step, uses)
        self.consumed = consumed_by_deploy
        self.artifacts: list[ArtifactInput] = []
        self.handles: dict[str, Any] = {}
        self.env: dict[str, EnvVar] = {}
        self.mounts: dict[str, SecretMount] = {}
        self.local_reads: set[str] = set()
        cache = vars(step).get("cache")
        include = cache.include if cache is not None and not isinstance(cache, bool) else None
        self.code_files: tuple[str, ...] = tuple(sorted(
            {f for files in code_files(str(self.base), include).values() for f in files}
        )) if include and os.path.isfile(cfg.file) else ()

    @property
    def base(self) -> Path:
        """The mlc file's directory (once per configuration: thousands of steps share it)."""
        cfg = self.cfg
        return cfg.memo(("base",), lambda: Path(os.path.abspath(cfg.file)).parent)

    def build(self) -> StepPlan:
        step, name = self.step, self.name
        self.collect_inputs()
        shell, argv = self.command()
        section = self.section()
        declared = step_outputs(self.cfg)[name]
        outputs = tuple(OutputSpec(o.name, o.type, o.is_artifact, o.type in DIRECTORY_TYPES,
                                   o.auto and o.name in ("passed", "best_params", "trials"))
                        for o in sorted(declared.values(), key=lambda o: o.name))
        # SPEC 6.2: a param that only feeds `foreach` reaches each task as its item, never as
        # the whole list (not in config `params`, MLC_PARAM_*, or the cache key)
        foreach = ("steps", name, "foreach")
        params = tuple(sorted({u.ref.parts[0] for u in self.uses if u.ref.context == "params"
                               and u.path[:3] != foreach}))
        self.base_env(params, outputs)
        config = self.config(params, outputs, section)
        sweep = getattr(step, "sweep", None)
        trials = tuple(sweep_trials(sweep)) if sweep is not None else None
        retry = _retry(step.retries)
        cache = cache_enabled(step, self.doc)
        max_age = step.cache.max_age if step.cache is not None and not isinstance(
            step.cache, bool) else None
        partition = split = None
        if isinstance(step, FeaturesStep):
            split = split_outputs(step)
            if step.partition is not None:
                p = step.partition
                partition = Partition(p.by, p.max_partitions, p.min_rows,
                                      tuple(p.only) if p.only is not None else None)
        return StepPlan(
            name=name, type=step.type, image=step.image, shell=shell, argv=argv,
            env=tuple(sorted(self.env.values(), key=lambda e: e.name)),
            artifacts=tuple(sorted(self.artifacts, key=lambda a: a.name)), outputs=outputs,
            dims=self.dims(), trials=trials,
            grid=tuple((hp, tuple(spec.values)) for hp, spec in sweep.search_space.items())
            if sweep is not None and sweep.sampling_algorithm == "grid" else None,
            objective=(sweep.objective.primary_metric, sweep.objective.goal) if sweep else None,
            params=params, config=config, resources=resources_of(step.resources), retry=retry,
            timeout_s=duration_seconds(step.timeout) if step.timeout else None, cache=cache,
            cache_max_age_s=duration_seconds(max_age) if max_age else None,
            cache_material=self.cache_material(shell, argv, section),
            secret_mounts=tuple(sorted(self.mounts.values(), key=lambda m: m.secret)),
            local_sources=tuple(sorted(self.local_reads)), code_files=self.code_files,
            upstream=tuple(self.graph.upstream(name)), max_parallel=step.max_parallel,
            partition=partition, split_outputs=split or (),
            gate_check=self.gate_check(section) if isinstance(step, EvaluateStep) else None)

    # inputs ------------------------------------------------------------------
    def collect_inputs(self) -> None:
        for i, value in self.step.inputs.items():
            self.handles[i] = self.handle(("steps", self.name, "inputs", i), i, value)
            kind = self.input_kinds.get(i)
            if kind == "artifact":
                self.set_env("input", i, (_path_slot(PathKind.INPUT, i),))
            elif kind == "source":
                if self.handles[i].get("uri") is not None:  # file tables: their URI
                    self.set_env("input", i, (self.input_text(i),))
            else:
                self.set_env("input", i, self.input_text(i))

    def handle(self, path: tuple, stage: str, value: Any) -> Any:
        """A SPEC 6.2 handle for the value at `path`; registers artifacts to stage."""
        if not isinstance(value, str):
            return {"kind": "value", "type": value_type(value), "value": value}
        template = self.template(path, value)
        if not template.refs:
            return {"kind": "value", "type": "string", "value": template.literal}
        if not template.is_binding:
            return {"kind": "value", "type": "string", "value": StrText(self.text(path, value))}
        use = self.use(path, template.refs[0])
        target = use.target
        if target.kind == "step_output" and (target.type in ARTIFACT_TYPES or target.dims):
            self.input_kinds[stage] = "artifact"
            mode = use.mode or "single"
            self.artifacts.append(ArtifactInput(stage, target.step, target.name, target.type,
                                                Mode(mode), target.dims))
            collection = {"dims": list(target.dims)} if mode == "fanin" else None
            return {"kind": "artifact", "type": target.type,
                    "path": _path_slot(PathKind.INPUT, stage), "collection": collection}
        if target.kind in ("file", "table"):
            self.input_kinds[stage] = "source"
            return self.source(use)
        slot = self.ref_text(use)
        return {"kind": "value", "type": _slot_type(self.doc, use),
                "value": Slot(JSON_KIND[slot.kind], slot.name, slot.step)}

    def source(self, use: RefUse) -> dict:
        src_name, table = use.ref.parts[:2]
        src = self.doc.sources[src_name]
        if src.credentials is not None:
            secret = parse_template(src.credentials)[0].refs[0].parts[0]
            self.mounts[secret] = SecretMount(secret, self.doc.secrets[secret])
        if isinstance(src, Local):  # read from disk: its content is part of the cache key
            tab = src.tables[table]
            self.local_reads.add(src.path if tab.path is None else
                                 src.path.rstrip("/") + "/" + tab.path.lstrip("/"))
        partition = None
        if use.mode == "zip":
            column = src.tables[table].partition_by
            partition = {"column": column, "value": Slot(SlotKind.FOREACH_JSON, column)}
        return source_handle(self.doc, src_name, table, partition)

    # command and env -----------------------------------------------------------
    def command(self) -> tuple[Text | None, tuple[Text, ...] | None]:
        cmd, base = self.step.command, ("steps", self.name, "command")
        if isinstance(cmd, list):
            return None, tuple(self.text(base + (i,), v) for i, v in enumerate(cmd))
        template = self.template(base, cmd)
        if not template.refs:
            return (template.literal,), None
        states = quoting_at(template.source, [r.start for r in template.refs])
        state_of = {r.start: s for r, s in zip(template.refs, states)}
        out: list = []
        for piece in template.pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            path_or_var = self.shell_ref(self.use(base, piece))
            if isinstance(path_or_var, PathSlot):
                out.append(path_or_var)
            else:
                out.append(expansion(path_or_var, state_of[piece.start]))
        return flatten(out), None

    def shell_ref(self, use: RefUse) -> PathSlot | str:
        ctx, name = use.ref.context, use.ref.parts[0]
        if ctx == "outputs":
            return _path_slot(PathKind.OUTPUT, name)
        if ctx == "inputs" and self.input_kinds.get(name) == "artifact":
            return _path_slot(PathKind.INPUT, name)
        kind = {"params": "param", "run": "run", "foreach": "foreach",
                "search_space": "trial", "inputs": "input"}[ctx]
        return env_name(kind, name)

    def set_env(self, kind: str, name: str, value: Text) -> None:
        var = env_name(kind, name)
        self.env[var] = EnvVar(var, value)

    def base_env(self, params: tuple[str, ...], outputs: tuple[OutputSpec, ...]) -> None:
        self.env.update(_RUN_ENV)
        for p in params:
            self.set_env("param", p, (Slot(SlotKind.PARAM, p),))
        for dim in getattr(self.step, "foreach", {}) or {}:
            self.set_env("foreach", dim, (Slot(SlotKind.FOREACH, dim),))
        sweep = getattr(self.step, "sweep", None)
        for hp in (sweep.search_space if sweep is not None else {}):
            self.set_env("trial", hp, (Slot(SlotKind.TRIAL, hp),))
        for o in outputs:
            if not o.by_mlc:
                self.set_env("output", o.name, (_path_slot(PathKind.OUTPUT, o.name),))
        for var, value in self.step.env.items():
            path = ("steps", self.name, "env", var)
            template = self.template(path, value) if isinstance(value, str) else None
            if template is not None and template.is_binding and \
                    template.refs[0].context == "secrets":
                ref = template.refs[0]
                self.env[var] = EnvVar(var, secret=(self.doc.secrets[ref.parts[0]], ref.parts[1]))
            else:
                self.env[var] = EnvVar(var, self.text(path, value))

    # config (SPEC 6.2) ---------------------------------------------------------
    def config(self, params, outputs, section) -> dict:
        step = self.step
        config: dict = {
            "mlc_step_config": 1, "project": self.doc.project.name, "profile": self.cfg.profile,
            "target": _TARGET, "run": _RUN_OBJECT, "step": self.name,
            "type": step.type,
            "item": _ITEM_OBJECT if getattr(step, "foreach", None) else {},
            "trial": _TRIAL_OBJECT if getattr(step, "sweep", None) else None,
            "params": {p: Slot(SlotKind.PARAM_JSON, p) for p in params},
            "inputs": dict(self.handles),
            "outputs": {o.name: {"type": o.type, "path": _path_slot(PathKind.OUTPUT, o.name)}
                        for o in outputs if not o.by_mlc},
        }
        if step.type in ("features", "evaluate"):
            config[step.type] = section
        return config

    def section(self) -> dict:
        if isinstance(self.step, FeaturesStep):
            return self.features()
        if isinstance(self.step, EvaluateStep):
            return self.evaluate()
        return {}

    def features(self) -> dict:
        step, base = self.step, ("steps", self.name)
        entities = self.handle(base + ("entities",), "features/entities", step.entities)
        as_of = step.as_of if step.as_of is not None else "${{ run.date }}"
        as_of_value: Any = as_of
        if "${{" in as_of:
            text = (Slot(SlotKind.RUN, "date"),) if step.as_of is None else \
                self.text(base + ("as_of",), step.as_of)
            as_of_value = StrText(text)
        pit = None
        if step.point_in_time is not None:
            p = step.point_in_time
            timestamp = p.timestamp or (entities.get("timestamp_field") if isinstance(
                entities, dict) else None)
            pit = {"entity_key": p.entity_key, "timestamp": timestamp, "label": p.label,
                   "label_horizon": duration_seconds(p.label_horizon),
                   "max_feature_age": duration_seconds(p.max_feature_age)
                   if p.max_feature_age else None}
        split = None
        if step.split is not None:
            s = step.split
            gap = s.gap or (step.point_in_time.label_horizon if step.point_in_time else None)
            split = {"by": s.by, "ratios": dict(s.ratios),
                     "gap": duration_seconds(gap) if gap else 0, "group_by": s.group_by,
                     "seed": s.seed}
        partition = step.partition.model_dump(mode="json") if step.partition else None
        store = step.feature_store.model_dump(mode="json") if step.feature_store else None
        return {"entities": entities, "as_of": as_of_value, "feature_store": store,
                "point_in_time": pit, "split": split, "partition": partition}

    def evaluate(self) -> dict:
        step, base = self.step, ("steps", self.name)
        model = self.handle(base + ("model",), "evaluate/model", step.model)
        baseline = None
        if step.baseline is not None:
            template = self.template(base + ("baseline",), step.baseline)
            if template.is_binding and template.refs[0].context == "steps":
                baseline = self.handle(base + ("baseline",), "evaluate/baseline", step.baseline)
            else:
                baseline = {"kind": "uri", "uri": StrText(self.text(base + ("baseline",),
                                                                    step.baseline))}
        datasets = {d: self.handle(base + ("datasets", d), f"evaluate/datasets/{d}", v)
                    for d, v in step.datasets.items()}
        gates = []
        for i, gate in enumerate(step.gates):
            entry: dict = {"metric": gate.metric, "dataset": gate.dataset}
            for kind in ("min", "max", "min_absolute_change", "min_relative_change"):
                value = getattr(gate, kind)
                if isinstance(value, str):
                    ref = self.template(base + ("gates", i, kind), value).refs[0]
                    value = Slot(SlotKind.PARAM_JSON, ref.parts[0])
                entry[kind] = value
            entry["greater_is_better"] = gate.greater_is_better
            gates.append(entry)
        return {"model": model, "baseline": baseline, "datasets": datasets,
                "metrics": list(step.metrics), "gates": gates}

    def gate_check(self, section: dict) -> GateCheck:
        gates = tuple(Gate(g["metric"], g["dataset"], g["min"], g["max"],
                           g["min_absolute_change"], g["min_relative_change"],
                           g["greater_is_better"]) for g in section["gates"])
        return GateCheck(tuple(sorted(section["datasets"])), tuple(section["metrics"]), gates,
                         self.consumed)

    # the rest ---------------------------------------------------------------
    def dims(self) -> tuple[Dim, ...]:
        out = []
        for dim, binding in (getattr(self.step, "foreach", None) or {}).items():
            if isinstance(binding, list):
                out.append(Dim(dim, DimSource.LITERAL, values=tuple(binding),
                               bound=len(binding)))
                continue
            ref = parse_template(binding)[0].refs[0]
            if ref.context == "params":
                param = self.doc.params[ref.parts[0]]
                out.append(Dim(dim, DimSource.PARAM, param=ref.parts[0], bound=param.max_items))
                continue
            producer = self.doc.steps[ref.parts[0]]
            output = ref.parts[2]
            if is_partitions_list(producer, output):
                part = producer.partition
                out.append(Dim(dim, DimSource.OUTPUT, producer=ref.parts[0], output=output,
                               bound=part.max_partitions,
                               only=tuple(part.only) if part.only is not None else None))
            else:
                info = step_outputs(self.cfg)[ref.parts[0]][output]
                out.append(Dim(dim, DimSource.OUTPUT, producer=ref.parts[0], output=output,
                               bound=info.max_items))
        return tuple(out)

    def cache_material(self, shell, argv, section) -> dict:
        """The static part of the SPEC 6.7 key (artifact paths masked as their names)."""
        env = {}
        for var in self.step.env:
            entry = self.env[var]
            env[var] = f"secret:{entry.secret[0]}/{entry.secret[1]}" if entry.secret \
                else describe(entry.value)
        material = {"image": self.step.image,
                    "command": describe(shell) if shell is not None else
                    [describe(a) for a in argv],
                    "env": env, "inputs": describe_json(self.handles),
                    "section": describe_json(section)}
        if self.code_files:  # cache.include, hashed now (SPEC 6.7: into the static key)
            material["code"] = {rel: file_digest(self.base / rel) for rel in self.code_files}
        return material


# Values every step has, and the paths of inputs and outputs by name (immutable: one of each
# serves all steps; thousands of steps would otherwise build thousands of equal objects)
_RUN_ENV = {env_name("run", field): EnvVar(env_name("run", field), (Slot(SlotKind.RUN, field),))
            for field in ("id", "date", "started_at")}
_NO_RESOURCES = Resources()
_path_slot = functools.lru_cache(maxsize=1 << 12)(PathSlot)
_TARGET, _RUN_OBJECT = Slot(SlotKind.TARGET), Slot(SlotKind.RUN_OBJECT)
_ITEM_OBJECT, _TRIAL_OBJECT = Slot(SlotKind.ITEM_OBJECT), Slot(SlotKind.TRIAL_OBJECT)


def _described(piece: Slot | PathSlot) -> str:
    """A slot's text in the static cache key: its kind and name (the value varies)."""
    if isinstance(piece, PathSlot):
        return f"<{piece.kind.value}-path:{piece.name}>"
    name = piece.output_ref if piece.step else piece.name
    return f"<{piece.kind.value}:{name}>"


def describe(text: Text) -> str:
    return "".join(p if isinstance(p, str) else _described(p) for p in text)


def describe_json(node: Any) -> Any:
    kind = type(node)
    if kind is dict:
        return {k: describe_json(v) for k, v in node.items()}
    if kind is str or node is None:
        return node
    if isinstance(node, (Slot, PathSlot)):
        return _described(node)
    if isinstance(node, StrText):
        return describe(node.text)
    if isinstance(node, Credentials):
        return f"<secret:{node.secret}>"
    if isinstance(node, dict):
        return {k: describe_json(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [describe_json(v) for v in node]
    return node


def _slot_type(doc: Any, use: RefUse) -> str:
    if use.target.kind == "param":
        return doc.params[use.target.name].type
    if use.target.kind == "step_output":
        return use.target.type
    return "string" if use.target.kind == "run" else "scalar"


def _retry(retries: Any) -> Retry | None:
    if retries is None:
        return None
    if isinstance(retries, int):
        return Retry(retries) if retries else None
    backoff = retries.backoff
    if backoff is None:
        return Retry(retries.limit)
    return Retry(retries.limit,
                 duration_seconds(backoff.duration) if backoff.duration else 0,
                 backoff.factor,
                 duration_seconds(backoff.max_duration) if backoff.max_duration else None)


def resources_of(res: Any) -> Resources:
    if res is None:
        return _NO_RESOURCES
    return Resources(res.cpu, res.memory, res.gpu, res.accelerator)
