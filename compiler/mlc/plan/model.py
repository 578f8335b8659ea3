"""The target-neutral execution plan: the compiler's IR (STYLE.md 1).

Run-time values are `Slot`s (a param, a foreach value, a trial value, a run field, a value
output of another step); each target renders slots in its own syntax (Argo parameters, KFP
channels, Step Functions paths, actual values for `mlc run`). Paths are `PathSlot`s, because
every target stages artifacts somewhere else. Slot kinds are enums: a renderer handles each
one (tests/unit/plan/test_slots.py fails when one is missing), so no kind is found missing at
run time.

Beside what every step runs, the plan holds how it decomposes, which is the same on every
target: item groups (steps that share one set of foreach dimensions share one items task),
the unit each step runs per item (`Unit`), partition indexes, child runs, artifact keys, and
the payloads generated runtime tasks read (`Dim.payload`, `ParamSpec.payload`, gate specs,
the rollout spec). Nothing here knows any target, and nothing reads the spec.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Union

from ..record import Record

# A JSON value as it appears in a spec (literal lists, defaults, trial values).
JSON = Union[str, int, float, bool, None, list, dict]


class SlotKind(str, enum.Enum):
    """What a run-time value is; `*_JSON` kinds stand for the value as JSON text, the others
    for its canonical text (SPEC 5.3)."""

    PARAM = "param"                  # name: the param
    PARAM_JSON = "param_json"
    FOREACH = "foreach"              # name: the dimension
    FOREACH_JSON = "foreach_json"
    TRIAL = "trial"                  # name: the hyperparameter
    TRIAL_JSON = "trial_value_json"
    RUN = "run"                      # name: id | date | started_at
    RUN_JSON = "run_field_json"
    RUN_OBJECT = "run_json"          # the whole {id, date, started_at}
    ITEM_OBJECT = "item_json"        # the whole {dim: value}
    TRIAL_OBJECT = "trial_json"      # {index, values}
    OUTPUT = "output"                # step.name: producer, name: a value output
    OUTPUT_JSON = "output_json"
    TARGET = "target"                # the target's name
    LOCAL_PATH = "local_path"        # name: a path relative to the project (local sources)


class PathKind(str, enum.Enum):
    INPUT = "input"
    OUTPUT = "output"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Slot(Record):
    """A value known only at run time."""

    kind: SlotKind
    name: str = ""
    step: str = ""                   # OUTPUT, OUTPUT_JSON: the producing step

    @property
    def output_ref(self) -> str:
        """`step.output` of an OUTPUT slot (the key `mlc run` keeps value outputs under)."""
        return f"{self.step}.{self.name}"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class PathSlot(Record):
    """Where an artifact is staged: an input or an output, by name."""

    kind: PathKind
    name: str


Piece = Union[str, Slot, PathSlot]
Text = tuple  # tuple[Piece, ...]: literal text and slots, concatenated


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class StrText(Record):
    """In a config template: a JSON string whose content is a Text (literal and slots)."""

    text: Text


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Credentials(Record):
    """In a config template: the credentials of a source, rendered per target (SPEC 6.2)."""

    secret: str                      # logical name
    store: str                       # name in the target's secret store


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class EnvVar(Record):
    """An environment variable: a value template, or one key of a secret."""

    name: str
    value: Text | None = None
    secret: tuple[str, str] | None = None  # (store name, key)


class Mode(str, enum.Enum):
    """How a consumer reads a producer's output (SPEC 6.4)."""

    SINGLE = "single"
    ZIP = "zip"                      # its own item's element
    FANIN = "fanin"                  # the whole collection


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ArtifactInput(Record):
    """An artifact staged read-only before the command runs (SPEC 6.1)."""

    name: str            # staging name: an input name, `model`, `baseline`, `datasets.<d>`...
    producer: str
    output: str
    type: str
    mode: Mode
    dims: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class OutputSpec(Record):
    """A step output as the plan carries it."""

    name: str
    type: str
    artifact: bool       # dataset/model/dir/metrics/file (else a value written as JSON text)
    directory: bool      # dataset/model/dir: an empty directory is created before the command
    by_mlc: bool = False  # produced by mlc itself (evaluate `passed`, a sweep's best_params/trials)


class DimSource(str, enum.Enum):
    LITERAL = "literal"
    PARAM = "param"
    OUTPUT = "output"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Dim(Record):
    """A foreach dimension and where its list comes from."""

    name: str
    source: DimSource
    values: tuple = ()                # literal values
    param: str = ""                   # DimSource.PARAM: the list param
    producer: str = ""                # DimSource.OUTPUT: step and output
    output: str = ""
    bound: int | None = None          # static bound (max_items, max_partitions)
    only: tuple | None = None         # partition.only (features partitions)

    @property
    def env(self) -> str:
        """The variable a runtime items task reads a non-literal list from."""
        return "MLC_LIST_" + self.name.upper()

    def payload(self) -> dict:
        """This dimension as runtime/items.py reads it (MLC_DIMS): literal values inline,
        other lists from the variable `env`."""
        entry: dict = {"name": self.name, "bound": self.bound}
        if self.only is not None:
            entry["only"] = list(self.only)
        if self.source is DimSource.LITERAL:
            entry["values"] = list(self.values)
        else:
            entry["env"] = self.env
        return entry


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Retry(Record):
    """A step's retries: limit and backoff (SPEC 6.7)."""

    limit: int
    duration_s: int = 0
    factor: float = 2
    max_duration_s: int | None = None

    def delay(self, attempt: int) -> float:
        """Seconds before attempt `attempt + 1` (SPEC 6.7)."""
        return min(self.duration_s * self.factor ** (attempt - 1),
                   self.max_duration_s if self.max_duration_s is not None else 1e18)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SecretMount(Record):
    """A secret a step's pod mounts."""

    secret: str     # logical name (mounted at /mlc/secrets/<secret>/)
    store: str      # name in the target's secret store


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Resources(Record):
    """What a step's container requests (SPEC 7 `resources`)."""

    cpu: str | int | float | None = None
    memory: str | None = None
    gpu: int = 0
    accelerator: str | None = None


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Partition(Record):
    """A features step's `partition` (SPEC 6.3)."""

    by: str
    max_partitions: int
    min_rows: int = 0
    only: tuple | None = None


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Gate(Record):
    """One gate (SPEC 6.5); a threshold may be a PARAM_JSON slot."""

    metric: str
    dataset: str
    min: float | Slot | None = None
    max: float | Slot | None = None
    min_absolute_change: float | Slot | None = None
    min_relative_change: float | Slot | None = None
    greater_is_better: bool = True

    def fields(self) -> dict:
        """The gate as runtime/gates.py reads it (slots still unresolved), keys in order."""
        return {"metric": self.metric, "dataset": self.dataset, "min": self.min,
                "max": self.max, "min_absolute_change": self.min_absolute_change,
                "min_relative_change": self.min_relative_change,
                "greater_is_better": self.greater_is_better}


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class GateCheck(Record):
    """What the gate check of an evaluate step needs (runtime/gates.py)."""

    datasets: tuple[str, ...]        # sorted
    metrics: tuple[str, ...]
    gates: tuple[Gate, ...]
    consumed_by_deploy: bool         # a deploy step reads `passed`


class Unit(str, enum.Enum):
    """What a step runs for one item (or once, without foreach)."""

    CONTAINER = "container"          # the step's command
    KEYED = "keyed"                  # cache key (hashing input artifacts), then the command
    SWEEP = "sweep"                  # [cache key], trials, select, promote
    EVALUATE = "evaluate"            # [cache key], the command, then the gate check


@dataclass(frozen=True, eq=False, repr=False)
class ChildRuns(Record):
    """A foreach step that runs as child runs (Argo: child Workflows of the same
    WorkflowTemplate, SPEC 10), and how its items are divided among them."""

    per: str             # item: one child per item; outer: per outermost item; chunk: per
    size: int            # contiguous chunk of at most `size` items (in item order)
    children: int        # child runs, at most (from the static bounds)


@dataclass(frozen=True, eq=False, repr=False)
class StepPlan(Record):
    """One step, target-neutral: command, environment, artifacts, fan-out and unit."""

    name: str
    type: str                              # run | features | evaluate
    image: str
    shell: Text | None                     # `/bin/sh -c` text: values already `"$MLC_*"`
    argv: tuple[Text, ...] | None          # exec form: one Text per argument
    env: tuple[EnvVar, ...]
    artifacts: tuple[ArtifactInput, ...]
    outputs: tuple[OutputSpec, ...]
    dims: tuple[Dim, ...]
    trials: tuple[dict, ...] | None
    grid: tuple[tuple[str, tuple], ...] | None  # grid sweeps: ((hp, values), ...)
    objective: tuple[str, str] | None      # (primary_metric, goal)
    params: tuple[str, ...]                # params the step references (config `params`)
    config: dict                           # SPEC 6.2 template (Slots/PathSlots inside)
    resources: Resources
    retry: Retry | None
    timeout_s: int | None
    cache: bool
    cache_max_age_s: int | None
    cache_material: dict                   # the static part of the SPEC 6.7 key
    secret_mounts: tuple[SecretMount, ...]
    upstream: tuple[str, ...]              # steps that must finish first
    max_parallel: int | None
    unit: Unit = Unit.CONTAINER
    group: str | None = None               # the item group's owner (its items task)
    partition: Partition | None = None     # features
    split_outputs: tuple[str, ...] = ()    # features: the split outputs (or `dataset`)
    gate_check: GateCheck | None = None    # evaluate
    index_outputs: tuple[str, ...] = ()    # outputs read whole: they get an index.json
    child_runs: ChildRuns | None = None    # runs as child runs (one per item, outer item or chunk)
    local_sources: tuple[str, ...] = ()    # `type: local` paths read (relative to the project)
    code_files: tuple[str, ...] = ()       # cache.include files (relative to the project)

    @property
    def foreach(self) -> bool:
        return bool(self.dims)

    @property
    def sweep(self) -> bool:
        return self.trials is not None

    @property
    def keyed(self) -> bool:
        """A cache-key task hashes the input artifacts before the step runs (SPEC 6.7)."""
        return self.cache and bool(self.artifacts)

    @property
    def partition_index(self) -> bool:
        """A partitioned features step (no fan-out of its own) whose outputs some consumer
        reads whole: an index task writes their index.json once `partitions` is known."""
        return self.partition is not None and not self.foreach and bool(self.index_outputs)


@dataclass(frozen=True, eq=False, repr=False)
class ItemGroup(Record):
    """Steps with identical foreach dimensions: one items task lists their items (and the
    trials of their sweeps, and their index.json files) for all of them."""

    owner: str
    members: tuple[str, ...]
    dims: tuple[Dim, ...]


@dataclass(frozen=True, eq=False, repr=False)
class DeployPlan(Record):
    """One deploy step: server, endpoint, model and rollout."""

    name: str
    server: str
    endpoint: str
    model: ArtifactInput
    gate: tuple[str, str] | None            # (evaluate step, "passed")
    gate_dims: tuple[str, ...]
    min_pass_rate: float
    route_by: str | None
    model_format: str | None
    image: str | None
    instance_type: str | None
    replicas: tuple[int, int]
    resources: Resources
    canary: tuple[dict, ...]                # steps with durations in seconds
    analysis: dict | None
    rollback_on: tuple[str, ...]
    retain_previous_s: int
    upstream: tuple[str, ...]

    def rollout_spec(self, namespace: str | None, labels: dict, annotations: dict) -> dict:
        """The rollout driver's spec (runtime/decide.py), the same for every target; the
        storage location of the models is the target's to add."""
        from .kserve import templates

        spec = {"endpoint": self.endpoint, "route_by": self.route_by,
                "min_pass_rate": self.min_pass_rate, "canary": list(self.canary)}
        spec.update(templates(self, namespace, labels, annotations))
        return spec


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ParamSpec(Record):
    """A pipeline parameter, as the run-info task types and defaults it (runtime/run_info.py)."""

    name: str
    type: str                                # string | integer | number | boolean | list
    enum: tuple | None = None
    max_items: int | None = None
    default: JSON = None
    default_template: tuple[tuple[str, str], ...] | None = None  # (("text"|"run", s), ...)

    def payload(self) -> dict:
        entry: dict = {"type": self.type}
        if self.enum is not None:
            entry["enum"] = list(self.enum)
        if self.max_items is not None:
            entry["max_items"] = self.max_items
        if self.default_template is not None:
            entry["default_template"] = [list(p) for p in self.default_template]
        elif self.default is not None:
            entry["default"] = self.default
        return entry


def params_payload(params: dict[str, ParamSpec]) -> dict:
    """MLC_PARAMS of the run-info task, and what `mlc run` types --param values with."""
    return {name: p.payload() for name, p in params.items()}


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Schedule(Record):
    """The pipeline's schedule (SPEC 7 `schedule`)."""

    cron: str
    timezone: str = "UTC"
    concurrency: str = "forbid"              # allow | forbid | replace


@dataclass(frozen=True, eq=False, repr=False)
class Plan(Record):
    """A whole pipeline, ready for any target."""

    project: str
    version: str
    profile: str | None
    base_name: str
    spec_sha256: str
    labels: dict[str, str]
    params: dict[str, ParamSpec]
    secrets: dict[str, str]                 # logical name -> name in the secret store
    order: tuple[str, ...]                  # topological, file order for ties
    steps: dict[str, StepPlan]
    deploys: dict[str, DeployPlan]
    groups: dict[str, ItemGroup] = field(default_factory=dict)   # by owner
    schedule: Schedule | None = None
