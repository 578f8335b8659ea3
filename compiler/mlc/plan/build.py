"""Build the target-independent Plan from a validated configuration and its graph."""

from __future__ import annotations

from typing import Any

from ..graph import PipelineGraph
from ..spec.catalog import (
    is_database_file,
    is_partitions_list,
    outputs_of,
    split_outputs,
    table_kind,
)
from ..spec.config import Config
from ..spec.deploy_rules import PROVIDER, effective_server
from ..spec.models import (
    ARTIFACT_TYPES,
    CONNECTION_FIELDS,
    DeployStep,
    EvaluateStep,
    FeaturesStep,
    Local,
)
from ..spec.profiles import base_name
from ..spec.refgrammar import Ref, Template, parse_template
from ..spec.references import RefUse
from ..spec.registry import REGISTRY
from ..spec.semantics import cache_enabled
from ..spec.shell import expansion, quoting_at
from ..spec.sweep import trials as sweep_trials
from ..spec.types import duration_seconds
from .decompose import decompose
from .model import (
    ArtifactInput,
    Credentials,
    DeployPlan,
    Dim,
    DimSource,
    EnvVar,
    Gate,
    GateCheck,
    Mode,
    OutputSpec,
    ParamSpec,
    Partition,
    PathKind,
    PathSlot,
    Plan,
    Resources,
    Retry,
    Schedule,
    SecretMount,
    Slot,
    SlotKind,
    StepPlan,
    StrText,
    Text,
)
from .settings import (
    DEFAULT_RUNTIME_IMAGE,
    KubeSettings,
    LocalSettings,
    Settings,
    StepFunctionsSettings,
)
from .values import canonical, env_name, value_type

DIRECTORY_TYPES = ("dataset", "model", "dir")
JSON_KIND = {SlotKind.PARAM: SlotKind.PARAM_JSON, SlotKind.RUN: SlotKind.RUN_JSON,
             SlotKind.FOREACH: SlotKind.FOREACH_JSON, SlotKind.TRIAL: SlotKind.TRIAL_JSON,
             SlotKind.OUTPUT: SlotKind.OUTPUT_JSON}


def build_plan(cfg: Config, graph: PipelineGraph, target: str) -> Plan:
    """The Plan of one configuration for `target` (argo, kubeflow, stepfunctions or local)."""
    doc = cfg.doc
    uses = cfg.refs.by_step()
    deploy_gates = {u.target.step for u in cfg.refs.uses if u.field == "gate"}
    steps: dict[str, StepPlan] = {}
    deploys: dict[str, DeployPlan] = {}
    for name in graph.order():
        step = doc.steps[name]
        if isinstance(step, DeployStep):
            deploys[name] = _DeployBuilder(cfg, graph, name, step, uses.get(name, []),
                                           target).build()
        else:
            steps[name] = _StepBuilder(cfg, graph, name, step, uses.get(name, []),
                                       name in deploy_gates).build()
    child_runs: tuple[str, ...] = ()
    if REGISTRY[target].child_runs:
        from ..targets import argo_plan, limit

        child_runs = tuple(argo_plan(cfg, limit(doc, target, "max_nodes_per_workflow")).split)
    steps, groups = decompose(steps, deploys, child_runs)
    labels = dict(sorted(doc.project.labels.items()))
    schedule = doc.schedule
    return Plan(project=doc.project.name, version=doc.project.version, profile=cfg.profile,
                base_name=base_name(doc.project.name, cfg.profile),
                spec_sha256=cfg.source.sha256, labels=labels,
                params={name: _param(name, p) for name, p in sorted((doc.params or {}).items())},
                secrets=dict(sorted((doc.secrets or {}).items())),
                order=tuple(graph.order()), steps=steps, deploys=deploys, groups=groups,
                schedule=Schedule(schedule.cron, schedule.timezone, schedule.concurrency)
                if schedule is not None else None)


def build_settings(cfg: Config, target: str) -> Settings:
    """`targets.<target>` of `cfg` as the lowering receives it, SPEC 10 limits filled in."""
    from ..targets import limit

    doc = cfg.doc
    block = getattr(doc.targets, target, None) if doc.targets is not None else None
    limits = {key: limit(doc, target, key) for key, _ in REGISTRY[target].limits}
    if target in ("argo", "kubeflow"):
        if block is None:
            return KubeSettings(**limits)
        accelerators = {accel: {k: str(v).lower() if isinstance(v, bool) else str(v)
                                for k, v in labels.items()}
                        for accel, labels in block.accelerators.items()}
        return KubeSettings(
            namespace=block.namespace, service_account=block.service_account,
            artifact_store=getattr(block, "artifact_store", None),
            pipeline_root=getattr(block, "pipeline_root", None),
            scheduler_timezone=getattr(block, "scheduler_timezone", "UTC"), mesh=block.mesh,
            prometheus=block.monitoring.prometheus if block.monitoring else None,
            accelerators=accelerators,
            runtime_image=block.runtime_image or DEFAULT_RUNTIME_IMAGE, **limits)
    if target == "stepfunctions":
        if block is None:
            return StepFunctionsSettings(**limits)
        return StepFunctionsSettings(
            region=block.region, role=block.role, artifact_store=block.artifact_store,
            job_queue=block.job_queue, job_role=block.job_role,
            scheduler_role=block.scheduler_role, model_role=block.model_role,
            accelerators=dict(block.accelerators),
            runtime_image=block.runtime_image or DEFAULT_RUNTIME_IMAGE, **limits)
    return LocalSettings()


def _param(name: str, param: Any) -> ParamSpec:
    default, template = param.default, None
    if isinstance(default, str) and "${{" in default:
        template = tuple(("text", p) if isinstance(p, str) else ("run", p.parts[0])
                         for p in parse_template(default)[0].pieces)
        default = None
    return ParamSpec(name, param.type, tuple(param.enum) if param.enum is not None else None,
                     param.max_items, default, template)


# --- shared resolution -----------------------------------------------------------------------

class _Resolver:
    """Turns reference templates into Text (slots, paths, literal text) for one step."""

    def __init__(self, cfg: Config, name: str, step: Any, uses: list[RefUse]) -> None:
        self.cfg = cfg
        self.doc = cfg.doc
        self.name = name
        self.step = step
        self.by_ref = {(u.path, u.ref.start): u for u in uses}
        self.input_kinds: dict[str, str] = {}

    def template(self, path: tuple, value: Any) -> Template:
        found = self.cfg.refs.templates.get(path)
        if found is not None:
            return found
        return parse_template(value)[0] if isinstance(value, str) else Template(str(value), ())

    def use(self, path: tuple, ref: Ref) -> RefUse:
        return self.by_ref[(path, ref.start)]

    def text(self, path: tuple, value: Any) -> Text:
        """A value template as Text (for env values, exec arguments, value handles)."""
        if not isinstance(value, str):
            return (canonical(value),)
        template = self.template(path, value)
        out: list = []
        for piece in template.pieces:
            out.append(piece if isinstance(piece, str) else self.ref_text(self.use(path, piece)))
        return _flatten(out)

    def ref_text(self, use: RefUse) -> Any:
        ref, target = use.ref, use.target
        ctx = ref.context
        if ctx == "params":
            return Slot(SlotKind.PARAM, ref.parts[0])
        if ctx == "run":
            return Slot(SlotKind.RUN, ref.parts[0])
        if ctx == "foreach":
            return Slot(SlotKind.FOREACH, ref.parts[0])
        if ctx == "search_space":
            return Slot(SlotKind.TRIAL, ref.parts[0])
        if ctx == "outputs":
            return PathSlot(PathKind.OUTPUT, ref.parts[0])
        if ctx == "inputs":
            return self.input_text(ref.parts[0])
        if ctx == "sources":
            return source_uri(self.doc, *ref.parts[:2])
        if ctx == "steps":
            return Slot(SlotKind.OUTPUT, target.name, target.step)
        raise AssertionError(f"no text for {ref.path}")

    def input_text(self, name: str) -> Any:
        value = self.step.inputs[name]
        kind = self.input_kinds.get(name) or self.input_kind(name, value)
        if kind == "artifact":
            return PathSlot(PathKind.INPUT, name)
        if kind == "source":
            template = self.template(("steps", self.name, "inputs", name), value)
            ref = template.refs[0]
            return source_uri(self.doc, *ref.parts[:2])
        return self.text(("steps", self.name, "inputs", name), value)

    def input_kind(self, name: str, value: Any) -> str:
        path = ("steps", self.name, "inputs", name)
        kind = "value"
        if isinstance(value, str):
            template = self.template(path, value)
            if template.is_binding:
                use = self.use(path, template.refs[0])
                if use.target.kind == "step_output" and (use.target.type in ARTIFACT_TYPES
                                                         or use.target.dims):
                    kind = "artifact"
                elif use.target.kind in ("file", "table"):
                    kind = "source"
        self.input_kinds[name] = kind
        return kind


def _flatten(pieces: list) -> Text:
    out: list = []
    for p in pieces:
        if isinstance(p, tuple):
            out.extend(p)
        else:
            out.append(p)
    merged: list = []
    for p in out:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif p != "":
            merged.append(p)
    return tuple(merged)


def source_uri(doc: Any, source: str, table: str) -> Any:
    """SPEC 5.3: file sources interpolate as their URI (absolute path when local)."""
    src = doc.sources[source]
    tab = src.tables[table]
    if src.type in ("s3", "gcs"):
        scheme = "s3" if src.type == "s3" else "gs"
        prefix = (src.prefix or "").strip("/")
        parts = [p for p in (prefix, (tab.path or "").lstrip("/")) if p]
        return f"{scheme}://{src.bucket}/" + "/".join(parts)
    if isinstance(src, Local):
        return Slot(SlotKind.LOCAL_PATH, _join_local(src.path, tab.path or ""))
    return f"{source}.{table}"


def _join_local(base: str, rel: str) -> str:
    if not rel:
        return base
    return base.rstrip("/") + "/" + rel.lstrip("/")


def source_handle(doc: Any, source: str, table: str, partition: Any = None) -> dict:
    """SPEC 6.2 source handle (credentials as a marker rendered per target)."""
    src = doc.sources[source]
    tab = src.tables[table]
    kind = table_kind(doc, source, table)
    connection = {f: getattr(src, "schema_" if f == "schema" else f)
                  for f in CONNECTION_FIELDS[src.type]}
    if isinstance(src, Local):
        connection = {"path": Slot(SlotKind.LOCAL_PATH, src.path)}
    uri = source_uri(doc, source, table) if kind == "file" else None
    credentials = None
    if src.credentials is not None:
        secret = parse_template(src.credentials)[0].refs[0].parts[0]
        credentials = Credentials(secret, doc.secrets[secret])
    return {"kind": "source", "source": source, "table": table, "type": src.type,
            "connection": connection, "identifier": tab.identifier, "query": tab.query,
            "path": tab.path, "uri": StrText((uri,)) if isinstance(uri, Slot) else uri,
            "format": tab.file_format if tab.path is not None and not (
                isinstance(src, Local) and is_database_file(src.path)) else None,
            "timestamp_field": tab.timestamp_field, "partition_by": tab.partition_by,
            "partition": partition, "holdout": tab.holdout, "credentials": credentials}


# --- steps ------------------------------------------------------------------------------------

class _StepBuilder(_Resolver):
    def __init__(self, cfg: Config, graph: PipelineGraph, name: str, step: Any,
                 uses: list[RefUse], consumed_by_deploy: bool) -> None:
        super().__init__(cfg, name, step, uses)
        self.graph = graph
        self.uses = uses
        self.consumed = consumed_by_deploy
        self.artifacts: list[ArtifactInput] = []
        self.handles: dict[str, Any] = {}
        self.env: dict[str, EnvVar] = {}
        self.mounts: dict[str, SecretMount] = {}

    def build(self) -> StepPlan:
        step, name = self.step, self.name
        self.collect_inputs()
        shell, argv = self.command()
        section = self.section()
        outputs = tuple(OutputSpec(o.name, o.type, o.is_artifact, o.type in DIRECTORY_TYPES,
                                   o.auto and o.name in ("passed", "best_params", "trials"))
                        for o in sorted(outputs_of(step).values(), key=lambda o: o.name))
        params = tuple(sorted({u.ref.parts[0] for u in self.uses if u.ref.context == "params"}))
        self.base_env(params, outputs)
        config = self.config(params, outputs, section)
        sweep = getattr(step, "sweep", None)
        trials = tuple(sweep_trials(sweep)) if sweep is not None else None
        retry = _retry(step.retries)
        cache = cache_enabled(step)
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
            params=params, config=config, resources=_resources(step.resources), retry=retry,
            timeout_s=duration_seconds(step.timeout) if step.timeout else None, cache=cache,
            cache_max_age_s=duration_seconds(max_age) if max_age else None,
            cache_material=self.cache_material(shell, argv, section),
            secret_mounts=tuple(sorted(self.mounts.values(), key=lambda m: m.secret)),
            upstream=tuple(self.graph.upstream(name)), max_parallel=step.max_parallel,
            partition=partition, split_outputs=split or (),
            gate_check=self.gate_check(section) if isinstance(step, EvaluateStep) else None)

    # inputs ------------------------------------------------------------------
    def collect_inputs(self) -> None:
        for i, value in self.step.inputs.items():
            self.handles[i] = self.handle(("steps", self.name, "inputs", i), i, value)
            kind = self.input_kinds.get(i)
            if kind == "artifact":
                self.set_env("input", i, (PathSlot(PathKind.INPUT, i),))
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
            return {"kind": "artifact", "type": target.type, "path": PathSlot(PathKind.INPUT, stage),
                    "collection": collection}
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
        return _flatten(out), None

    def shell_ref(self, use: RefUse) -> PathSlot | str:
        ctx, name = use.ref.context, use.ref.parts[0]
        if ctx == "outputs":
            return PathSlot(PathKind.OUTPUT, name)
        if ctx == "inputs" and self.input_kinds.get(name) == "artifact":
            return PathSlot(PathKind.INPUT, name)
        kind = {"params": "param", "run": "run", "foreach": "foreach",
                "search_space": "trial", "inputs": "input"}[ctx]
        return env_name(kind, name)

    def set_env(self, kind: str, name: str, value: Text) -> None:
        var = env_name(kind, name)
        self.env[var] = EnvVar(var, value)

    def base_env(self, params: tuple[str, ...], outputs: tuple[OutputSpec, ...]) -> None:
        for field in ("id", "date", "started_at"):
            self.set_env("run", field, (Slot(SlotKind.RUN, field),))
        for p in params:
            self.set_env("param", p, (Slot(SlotKind.PARAM, p),))
        for dim in getattr(self.step, "foreach", {}) or {}:
            self.set_env("foreach", dim, (Slot(SlotKind.FOREACH, dim),))
        sweep = getattr(self.step, "sweep", None)
        for hp in (sweep.search_space if sweep is not None else {}):
            self.set_env("trial", hp, (Slot(SlotKind.TRIAL, hp),))
        for o in outputs:
            if not o.by_mlc:
                self.set_env("output", o.name, (PathSlot(PathKind.OUTPUT, o.name),))
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
            "target": Slot(SlotKind.TARGET), "run": Slot(SlotKind.RUN_OBJECT), "step": self.name,
            "type": step.type,
            "item": Slot(SlotKind.ITEM_OBJECT) if getattr(step, "foreach", None) else {},
            "trial": Slot(SlotKind.TRIAL_OBJECT) if getattr(step, "sweep", None) else None,
            "params": {p: Slot(SlotKind.PARAM_JSON, p) for p in params},
            "inputs": dict(self.handles),
            "outputs": {o.name: {"type": o.type, "path": PathSlot(PathKind.OUTPUT, o.name)}
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
                info = outputs_of(producer)[output]
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
        return {"image": self.step.image,
                "command": describe(shell) if shell is not None else [describe(a) for a in argv],
                "env": env, "inputs": describe_json(self.handles),
                "section": describe_json(section)}


def _described(piece: Slot | PathSlot) -> str:
    """A slot's text in the static cache key: its kind and name (the value varies)."""
    if isinstance(piece, PathSlot):
        return f"<{piece.kind.value}-path:{piece.name}>"
    name = piece.output_ref if piece.step else piece.name
    return f"<{piece.kind.value}:{name}>"


def describe(text: Text) -> str:
    return "".join(p if isinstance(p, str) else _described(p) for p in text)


def describe_json(node: Any) -> Any:
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


def _resources(res: Any) -> Resources:
    if res is None:
        return Resources()
    return Resources(res.cpu, res.memory, res.gpu, res.accelerator)


# --- deploy -----------------------------------------------------------------------------------

class _DeployBuilder(_Resolver):
    def __init__(self, cfg: Config, graph: PipelineGraph, name: str, step: DeployStep,
                 uses: list[RefUse], target: str) -> None:
        super().__init__(cfg, name, step, uses)
        self.graph = graph
        self.uses = uses
        self.target = target

    def build(self) -> DeployPlan:
        step = self.step
        model_use = next(u for u in self.uses if u.field == "model")
        mt = model_use.target
        model = ArtifactInput("model", mt.step, mt.name, mt.type,
                              Mode(model_use.mode or "single"), mt.dims)
        gate_use = next((u for u in self.uses if u.field == "gate"), None)
        gate = (gate_use.target.step, gate_use.target.name) if gate_use else None
        server = effective_server(step, self.target) or "kserve"
        canary = step.strategy.canary if step.strategy is not None else None
        return DeployPlan(
            name=self.name, server=server, endpoint=step.endpoint, model=model, gate=gate,
            gate_dims=gate_use.target.dims if gate_use else (),
            min_pass_rate=step.min_pass_rate, route_by=step.route_by,
            model_format=step.model_format, image=step.image, instance_type=step.instance_type,
            replicas=(step.replicas.min, step.replicas.max),
            resources=_resources(step.resources),
            canary=tuple(_canary_steps(canary.steps if canary and canary.steps is not None
                                       else None)),
            analysis=_analysis(canary.analysis if canary else None, server),
            rollback_on=tuple(step.rollback.on) if step.rollback and step.rollback.on is not None
            else ("deploy_failed", "analysis_failed", "experiment_lost"),
            retain_previous_s=duration_seconds(step.rollback.retain_previous
                                               if step.rollback else "24h"),
            upstream=tuple(self.graph.upstream(self.name)))


def _canary_steps(steps: Any) -> list[dict]:
    if steps is None:
        return [{"kind": "set_weight", "weight": 100}]
    out = []
    for cs in steps:
        kind = cs.kind
        if kind == "set_weight":
            out.append({"kind": kind, "weight": cs.set_weight})
        elif kind == "mirror":
            out.append({"kind": kind, "percent": cs.mirror.percent,
                        "duration_s": duration_seconds(cs.mirror.duration)})
        elif kind == "pause":
            out.append({"kind": kind, "duration_s": duration_seconds(cs.pause.duration)})
        elif kind == "analysis":
            out.append({"kind": kind, "duration_s": duration_seconds(cs.analysis.duration)})
        else:
            e = cs.experiment
            platform = None
            if e.platform is not None:
                platform = {"provider": e.platform.provider, "experiment": e.platform.experiment,
                            "credentials": parse_template(e.platform.credentials)[0].refs[0]
                            .parts[0] if e.platform.credentials else None}
            out.append({"kind": kind, "weight": e.weight,
                        "duration_s": duration_seconds(e.duration),
                        "on_inconclusive": e.on_inconclusive, "platform": platform})
    return out


def _analysis(analysis: Any, server: str) -> dict | None:
    if analysis is None:
        return None
    return {"provider": analysis.provider or PROVIDER[server], "address": analysis.address,
            "credentials": parse_template(analysis.credentials)[0].refs[0].parts[0]
            if analysis.credentials else None,
            "interval_s": duration_seconds(analysis.interval),
            "failure_limit": analysis.failure_limit,
            "metrics": [{"name": m.name, "query": m.query, "min": m.min, "max": m.max}
                        for m in analysis.metrics]}

