"""pydantic models of mlc/v1 (SPEC 7): a closed world, frozen, strict.

Every union is tagged (by `type`, by shape, by `provider`), so a validation error names exactly
one branch and its location maps back to the YAML. Cross-field rules that need the whole
document live in `semantics.py`.
"""


import contextlib
import os
import re
from collections.abc import Iterator
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..diagnostics.suggest import article
from .types import (
    AnyMapping,
    Binding,
    Bool,
    DnsLabel,
    Duration,
    EnvName,
    InputValue,
    Int,
    LabelKey,
    LabelValue,
    Name,
    Number,
    NumberOrBinding,
    ProjectName,
    Quantity,
    Scalar,
    SecretStoreName,
    SemVer,
    Text,
    UniqueScalars,
    _typed,
    fail,
    list_or_scalar,
    one_of,
    scalar_or_map,
    tagged,
)

# Empty defaults come from a factory: pydantic deep-copies a mutable default for every model
# it builds (thousands of steps, several fields each), and calls a factory at C speed
# (the JSON Schema still says `default: {}`)
_EMPTY_MAP: Any = Field(default_factory=dict, json_schema_extra={"default": {}})
_EMPTY_LIST: Any = Field(default_factory=list, json_schema_extra={"default": []})

ACCELERATORS = ("nvidia-t4", "nvidia-l4", "nvidia-a10g", "nvidia-v100", "nvidia-a100-40gb",
                "nvidia-a100-80gb", "nvidia-h100-80gb", "nvidia-h200-141gb")
OUTPUT_TYPES = ("dataset", "model", "dir", "metrics", "file", "string", "integer", "number",
                "boolean", "list")
ARTIFACT_TYPES = ("dataset", "model", "dir", "metrics", "file")
PARAM_TYPES = ("string", "integer", "number", "boolean", "list")
SOURCE_TYPES = ("snowflake", "bigquery", "redshift", "postgres", "s3", "gcs", "local")
STEP_TYPES = ("run", "features", "evaluate", "deploy")
ROLLBACK_EVENTS = ("deploy_failed", "analysis_failed", "experiment_lost")
CANARY_KINDS = ("mirror", "set_weight", "pause", "analysis", "experiment")


@contextlib.contextmanager
def without_plugins() -> Iterator[None]:
    """mlc's own models are built (deferred, on first use) without pydantic's plugins: looking
    for them reads every installed package's entry points (12 ms a process), and mlc's schema is
    not a plugin's business. The variable is put back at once, so a user's models keep their
    plugins; typer does the same for its options."""
    previous = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = previous


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True,
                              protected_namespaces=(), defer_build=True)


# --- project, params, secrets -----------------------------------------------------------------

class Project(Model):
    name: ProjectName
    version: SemVer
    description: Optional[Text] = None
    labels: dict[LabelKey, LabelValue] = _EMPTY_MAP


_PARAM_CHECK = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
}


class Param(Model):
    type: one_of(*PARAM_TYPES)
    default: Optional[InputValue] = None
    enum: Optional[list[Scalar]] = None
    max_items: Optional[Int(1)] = None

    @model_validator(mode="after")
    def _consistent(self) -> "Param":
        ok = _PARAM_CHECK[self.type]
        if self.max_items is not None and self.type != "list":
            raise fail("E104", "max_items is allowed only for list params", at=("max_items",))
        if self.enum is not None:
            for i, value in enumerate(self.enum):
                if not ok(value):
                    raise fail("E103", f"enum value {value!r} is not {article(self.type)}", at=("enum", i))
        default = self.default
        if default is None or (isinstance(default, str) and "${{" in default):
            return self
        if not ok(default):
            raise fail("E103", f"default {default!r} is not {article(self.type)}", at=("default",))
        if self.enum is not None and default not in self.enum:
            raise fail("E103", f"default {default!r} is not one of the enum values",
                       at=("default",))
        if self.max_items is not None and len(default) > self.max_items:
            raise fail("E103", f"default has {len(default)} items; max_items is {self.max_items}",
                       at=("default",))
        return self


# --- sources -----------------------------------------------------------------------------------

class Table(Model):
    identifier: Optional[Text] = None
    query: Optional[Text] = None
    path: Optional[Text] = None
    format: Optional[one_of("parquet", "csv", "jsonl", "delta")] = None
    timestamp_field: Optional[Text] = None
    partition_by: Optional[Name] = None
    holdout: Bool = False

    @model_validator(mode="after")
    def _one_locator(self) -> "Table":
        given = [k for k in ("identifier", "query", "path") if getattr(self, k) is not None]
        if len(given) != 1:
            what = "neither" if not given else f"{' and '.join(given)} together"
            raise fail("E104", f"a table needs exactly one of identifier, query, path ({what})")
        if self.format is not None and self.path is None:
            raise fail("E104", "format is allowed only with path", at=("format",))
        return self

    @property
    def file_format(self) -> str:
        return self.format or "parquet"


class _SourceBase(Model):
    credentials: Optional[Binding] = None
    tables: dict[Name, Table] = _EMPTY_MAP


class Snowflake(_SourceBase):
    type: one_of("snowflake")
    account: Text
    warehouse: Optional[Text] = None
    role: Optional[Text] = None
    database: Text
    schema_: Text = Field(alias="schema")


class BigQuery(_SourceBase):
    type: one_of("bigquery")
    project: Text
    dataset: Text
    location: Optional[Text] = None


class Redshift(_SourceBase):
    type: one_of("redshift")
    host: Optional[Text] = None
    workgroup: Optional[Text] = None
    database: Text
    schema_: Optional[Text] = Field(default=None, alias="schema")

    @model_validator(mode="after")
    def _host_or_workgroup(self) -> "Redshift":
        if (self.host is None) == (self.workgroup is None):
            raise fail("E104", "a redshift source needs exactly one of host, workgroup")
        return self


class Postgres(_SourceBase):
    type: one_of("postgres")
    host: Text
    port: Int(1, 65535) = 5432
    database: Text
    schema_: Text = Field(default="public", alias="schema")


class S3(_SourceBase):
    type: one_of("s3")
    bucket: Text
    prefix: Optional[Text] = None


class GCS(_SourceBase):
    type: one_of("gcs")
    bucket: Text
    prefix: Optional[Text] = None


class Local(_SourceBase):
    type: one_of("local")
    path: Text


SourceSpec = tagged("type", None, {"snowflake": Snowflake, "bigquery": BigQuery,
                                   "redshift": Redshift, "postgres": Postgres, "s3": S3,
                                   "gcs": GCS, "local": Local})

CONNECTION_FIELDS = {
    "snowflake": ("account", "warehouse", "role", "database", "schema"),
    "bigquery": ("project", "dataset", "location"),
    "redshift": ("host", "workgroup", "database", "schema"),
    "postgres": ("host", "port", "database", "schema"),
    "s3": ("bucket", "prefix"),
    "gcs": ("bucket", "prefix"),
    "local": ("path",),
}

# --- step parts --------------------------------------------------------------------------------


class Resources(Model):
    cpu: Optional[Quantity] = None
    memory: Optional[Quantity] = None
    gpu: Int(0) = 0
    accelerator: Optional[one_of(*ACCELERATORS)] = None


class Backoff(Model):
    duration: Optional[Duration] = None
    factor: Number(0, exclusive_lo=True) = 2
    max_duration: Optional[Duration] = None


class Retries(Model):
    limit: Int(0, 100)
    backoff: Optional[Backoff] = None


class CacheSpec(Model):
    max_age: Optional[Duration] = None
    include: Optional[list[Text]] = None     # code files (globs, relative to the mlc file)


class Output(Model):
    type: one_of(*OUTPUT_TYPES)
    max_items: Optional[Int(1)] = None

    @model_validator(mode="after")
    def _max_items_for_lists(self) -> "Output":
        if self.max_items is not None and self.type != "list":
            raise fail("E104", "max_items is allowed only for list outputs", at=("max_items",))
        return self


class Choice(Model):
    type: one_of("choice")
    values: UniqueScalars = Field(min_length=1)


class Range(Model):
    type: one_of("uniform", "loguniform", "randint")
    min_value: Number()
    max_value: Number()


HyperParameter = tagged("type", None, {"choice": Choice, "uniform": Range, "loguniform": Range,
                                       "randint": Range})


class Objective(Model):
    primary_metric: Text
    goal: one_of("maximize", "minimize")


class SweepLimits(Model):
    max_total_trials: Int(1)


class Sweep(Model):
    sampling_algorithm: one_of("grid", "random")
    search_space: dict[Name, HyperParameter] = Field(min_length=1)
    objective: Objective
    limits: Optional[SweepLimits] = None
    seed: Int() = 0


Command = list_or_scalar(list[Scalar], Text)
ForeachBinding = list_or_scalar(UniqueScalars, Binding)
RetriesField = scalar_or_map(Int(0, 100), Retries)
CacheField = scalar_or_map(Bool, CacheSpec)


class _StepBase(Model):
    needs: list[Name] = _EMPTY_LIST


class _ContainerStep(_StepBase):
    image: Text
    command: Command
    env: dict[EnvName, Scalar] = _EMPTY_MAP
    inputs: dict[Name, InputValue] = _EMPTY_MAP
    outputs: dict[Name, Output] = _EMPTY_MAP
    foreach: dict[Name, ForeachBinding] = _EMPTY_MAP
    max_parallel: Optional[Int(1)] = None
    resources: Optional[Resources] = None
    retries: Optional[RetriesField] = None
    timeout: Optional[Duration] = None
    cache: Optional[CacheField] = None


class RunStep(_ContainerStep):
    type: one_of("run") = "run"
    sweep: Optional[Sweep] = None


# features --------------------------------------------------------------------------------------

class Feast(Model):
    provider: one_of("feast")
    repo: Text
    features: list[Text] = Field(min_length=1)


class Tecton(Model):
    provider: one_of("tecton")
    workspace: Text
    feature_service: Text


FeatureStore = tagged("provider", None, {"feast": Feast, "tecton": Tecton})


class PointInTime(Model):
    entity_key: Text
    timestamp: Optional[Text] = None
    label: Text
    label_horizon: Duration
    max_feature_age: Optional[Duration] = None


class Split(Model):
    by: one_of("time", "random", "group")
    ratios: dict[one_of("train", "validation", "test"), Number(0, 1, exclusive_lo=True)]
    gap: Optional[Duration] = None
    group_by: Optional[Text] = None
    seed: Optional[Int()] = None

    @model_validator(mode="after")
    def _ratios(self) -> "Split":
        if "train" not in self.ratios:
            raise fail("E104", "split.ratios needs a train ratio", at=("ratios",))
        total = sum(self.ratios.values())
        if abs(total - 1.0) > 1e-9:
            raise fail("E103", f"split ratios sum to {total:g}, not 1", at=("ratios",))
        if self.by == "group" and self.group_by is None:
            raise fail("E104", "split by group needs group_by")
        if self.by != "group" and self.group_by is not None:
            raise fail("E104", "group_by is allowed only with by: group", at=("group_by",))
        return self


class Partition(Model):
    by: Name
    max_partitions: Int(1)
    min_rows: Int(0) = 0
    only: Optional[UniqueScalars] = None


class FeaturesStep(_ContainerStep):
    type: one_of("features")
    entities: Binding
    as_of: Optional[Text] = None
    feature_store: Optional[FeatureStore] = None
    point_in_time: Optional[PointInTime] = None
    split: Optional[Split] = None
    partition: Optional[Partition] = None


# evaluate --------------------------------------------------------------------------------------

class Gate(Model):
    metric: Text
    dataset: Text
    min: Optional[NumberOrBinding] = None
    max: Optional[NumberOrBinding] = None
    min_absolute_change: Optional[NumberOrBinding] = None
    min_relative_change: Optional[NumberOrBinding] = None
    greater_is_better: Bool = True

    @property
    def conditions(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in THRESHOLD_KINDS if getattr(self, k) is not None}


THRESHOLD_KINDS = ("min", "max", "min_absolute_change", "min_relative_change")


def _metric_name(v: Any) -> str:
    if isinstance(v, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,63}", v):
        return v
    if isinstance(v, str):
        raise fail("E105", f"'{v}' is not a valid metric name (^[a-z][a-z0-9_]{{0,63}}$)")
    raise fail("E103", f"expected a metric name, got {type(v).__name__}")


MetricName = _typed(str, _metric_name, {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"})


class EvaluateStep(_ContainerStep):
    type: one_of("evaluate")
    model: Binding
    baseline: Optional[Text] = None
    datasets: dict[Name, Binding] = Field(min_length=1)
    metrics: list[MetricName] = Field(min_length=1)
    gates: list[Gate] = _EMPTY_LIST


# deploy ----------------------------------------------------------------------------------------

class Replicas(Model):
    min: Int(0) = 1
    max: Int(1) = 1

    @model_validator(mode="after")
    def _ordered(self) -> "Replicas":
        if self.min > self.max:
            raise fail("E103", f"replicas.min ({self.min}) is greater than replicas.max "
                       f"({self.max})", at=("min",))
        return self


class Mirror(Model):
    percent: Int(1, 100)
    duration: Duration


class Pause(Model):
    duration: Duration


class AnalysisHold(Model):
    duration: Duration


class Platform(Model):
    provider: Text
    experiment: Text
    credentials: Optional[Binding] = None


class Experiment(Model):
    weight: Int()
    duration: Duration
    on_inconclusive: one_of("rollback", "continue") = "rollback"
    platform: Optional[Platform] = None


class CanaryStep(Model):
    mirror: Optional[Mirror] = None
    set_weight: Optional[Int()] = None
    pause: Optional[Pause] = None
    analysis: Optional[AnalysisHold] = None
    experiment: Optional[Experiment] = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "CanaryStep":
        given = [k for k in CANARY_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise fail("E104", "a canary step has exactly one of: " + ", ".join(CANARY_KINDS)
                       + (f" (got {', '.join(given)})" if given else ""))
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CANARY_KINDS if getattr(self, k) is not None)


class AnalysisMetric(Model):
    name: Text
    query: Text
    min: Optional[Number()] = None
    max: Optional[Number()] = None

    @model_validator(mode="after")
    def _bounded(self) -> "AnalysisMetric":
        if self.min is None and self.max is None:
            raise fail("E104", "an analysis metric needs min or max")
        return self


class Analysis(Model):
    provider: Optional[one_of("prometheus", "cloudwatch")] = None
    address: Optional[Text] = None
    credentials: Optional[Binding] = None
    interval: Duration
    failure_limit: Int(0) = 0
    metrics: list[AnalysisMetric] = Field(min_length=1)


class Canary(Model):
    steps: Optional[list[CanaryStep]] = None
    analysis: Optional[Analysis] = None


class Strategy(Model):
    canary: Canary


class Rollback(Model):
    on: Optional[list[one_of(*ROLLBACK_EVENTS)]] = None
    retain_previous: Duration = "24h"


with without_plugins():
    _default_replicas = Replicas()


class DeployStep(_StepBase):
    type: one_of("deploy")
    image: Optional[Text] = None
    model: Binding
    gate: Optional[Binding] = None
    min_pass_rate: Number(0, 1) = 1.0
    server: Optional[one_of("kserve", "sagemaker")] = None
    model_format: Optional[Text] = None
    instance_type: Optional[Text] = None
    endpoint: DnsLabel
    route_by: Optional[Name] = None
    replicas: Replicas = _default_replicas
    resources: Optional[Resources] = None
    strategy: Optional[Strategy] = None
    rollback: Optional[Rollback] = None


StepSpec = tagged("type", "run", {"run": RunStep, "features": FeaturesStep,
                                  "evaluate": EvaluateStep, "deploy": DeployStep})
STEP_MODELS = {"run": RunStep, "features": FeaturesStep, "evaluate": EvaluateStep,
               "deploy": DeployStep}

# --- schedule and targets ---------------------------------------------------------------------


class Schedule(Model):
    cron: Text
    timezone: Text = "UTC"
    concurrency: one_of("allow", "forbid", "replace") = "forbid"


class Monitoring(Model):
    prometheus: Optional[Text] = None


class KubeLimits(Model):
    max_nodes_per_workflow: Optional[Int(1)] = None
    max_definition_bytes: Optional[Int(1)] = None


class ArgoLimits(KubeLimits):
    max_cache_entries: Optional[Int(1)] = None


class SfnLimits(Model):
    inline_map_max_concurrency: Optional[Int(1)] = None
    max_parallel: Optional[Int(1)] = None
    max_definition_bytes: Optional[Int(1)] = None


def _store_uri(schemes: tuple[str, ...]) -> Any:
    def check(v: Any) -> str:
        if not isinstance(v, str):
            raise fail("E103", f"expected a {' or '.join(schemes)} URI")
        if not any(v.startswith(s) and len(v) > len(s) for s in schemes):
            raise fail("E105", f"'{v}' is not a {' or '.join(schemes)} URI",
                       f"write e.g. {schemes[0]}my-bucket/prefix/")
        return v

    return _typed(str, check, {"type": "string", "pattern": "^(" + "|".join(schemes) + ")"})


class _KubeTarget(Model):
    namespace: Optional[DnsLabel] = None
    service_account: Optional[Text] = None
    mesh: one_of("none", "istio") = "none"
    monitoring: Optional[Monitoring] = None
    accelerators: dict[one_of(*ACCELERATORS), dict[LabelKey, Scalar]] = _EMPTY_MAP
    runtime_image: Optional[Text] = None
    limits: Optional[KubeLimits] = None


ARGO_VERSIONS = ("3.6", "3.7", "4.0", "4.1")


def _argo_version() -> Any:
    """`targets.argo.version`: the oldest Argo Workflows the output must run on (major.minor;
    YAML reads an unquoted 3.6 as a number, which is accepted as the same version)."""
    def check(v: Any) -> str:
        text = f"{v:.1f}" if isinstance(v, (int, float)) and not isinstance(v, bool) else v
        if isinstance(text, str) and text in ARGO_VERSIONS:
            return text
        raise fail("E103", f"{v!r} is not a supported Argo version ({', '.join(ARGO_VERSIONS)})",
                   "write the cluster's Argo Workflows major.minor, e.g. version: \"3.7\"")

    return _typed(str, check, {"anyOf": [{"type": "string", "enum": list(ARGO_VERSIONS)},
                                         {"type": "number", "enum": [float(v) for v in
                                                                     ARGO_VERSIONS]}]})


class ArgoTarget(_KubeTarget):
    version: _argo_version() = "3.6"
    artifact_store: Optional[_store_uri(("s3://", "gs://"))] = None
    limits: Optional[ArgoLimits] = None


class KubeflowTarget(_KubeTarget):
    pipeline_root: Optional[Text] = None
    scheduler_timezone: Text = "UTC"


class StepFunctionsTarget(Model):
    region: Optional[Text] = None
    role: Optional[Text] = None
    artifact_store: Optional[_store_uri(("s3://",))] = None
    job_queue: Optional[Text] = None
    job_role: Optional[Text] = None
    scheduler_role: Optional[Text] = None
    model_role: Optional[Text] = None
    accelerators: dict[one_of(*ACCELERATORS), Text] = _EMPTY_MAP
    runtime_image: Optional[Text] = None
    limits: Optional[SfnLimits] = None


class Targets(Model):
    argo: Optional[ArgoTarget] = None
    kubeflow: Optional[KubeflowTarget] = None
    stepfunctions: Optional[StepFunctionsTarget] = None


# --- the document -------------------------------------------------------------------------------

class Document(Model):
    api_version: one_of("mlc/v1") = Field(alias="apiVersion")
    project: Project
    params: Optional[dict[Name, Param]] = None
    secrets: Optional[dict[Name, SecretStoreName]] = None
    sources: Optional[dict[Name, SourceSpec]] = None
    steps: dict[Name, StepSpec] = Field(min_length=1)
    schedule: Optional[Schedule] = None
    targets: Optional[Targets] = None
    profiles: Optional[dict[Name, AnyMapping]] = None


TOP_LEVEL_KEYS = ("apiVersion", "project", "params", "secrets", "sources", "steps", "schedule",
                  "targets", "profiles")

Step = RunStep | FeaturesStep | EvaluateStep | DeployStep
ContainerStep = RunStep | FeaturesStep | EvaluateStep
