"""The target-independent plan of a pipeline: what every step runs, with which values.

Run-time values are `Slot`s (a param, a foreach value, a trial value, a run field, a value
output of another step); each target renders slots in its own syntax (Argo parameters, Step
Functions paths, actual values for `mlc run`). Paths are `PathSlot`s, because every target
stages artifacts somewhere else. Nothing here knows any target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True, slots=True)
class Slot:
    """A value known only at run time.

    kind: `param` (name), `param_json`, `foreach` (dim), `trial` (hyperparameter), `run`
    (id|date|started_at), `run_json`, `item_json`, `trial_json`, `output` (step.output of a
    non-collection value output).
    """

    kind: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class PathSlot:
    """Where an artifact is staged: `input` / `output` and its name."""

    kind: str
    name: str


Piece = Union[str, Slot, PathSlot]
Text = tuple  # tuple[Piece, ...]: literal text and slots, concatenated


def text_of(*pieces: Piece) -> Text:
    return tuple(p for p in pieces if p != "")


def is_literal(text: Text) -> bool:
    return all(isinstance(p, str) for p in text)


def literal(text: Text) -> str:
    return "".join(p for p in text if isinstance(p, str))


@dataclass(frozen=True, slots=True)
class EnvVar:
    """An environment variable: a value template, or one key of a secret."""

    name: str
    value: Text | None = None
    secret: tuple[str, str] | None = None  # (store name, key)


@dataclass(frozen=True, slots=True)
class ArtifactInput:
    """An artifact staged read-only before the command runs (SPEC 6.1)."""

    name: str            # staging name: an input name, `model`, `baseline`, `datasets.<d>`...
    producer: str
    output: str
    type: str
    mode: str            # single | zip | fanin
    dims: tuple[str, ...] = ()
    as_value: bool = False  # a zipped value output, exported as MLC_INPUT_<I> from the file


@dataclass(frozen=True, slots=True)
class OutputSpec:
    name: str
    type: str
    artifact: bool       # dataset/model/dir/metrics/file (else a value written as JSON text)
    directory: bool      # dataset/model/dir: an empty directory is created before the command
    by_mlc: bool = False  # produced by mlc itself (evaluate `passed`, a sweep's best_params/trials)


@dataclass(frozen=True, slots=True)
class Dim:
    """A foreach dimension and where its list comes from."""

    name: str
    source: str                       # literal | param | output
    values: tuple = ()                # literal values
    ref: str = ""                     # param name, or "step.output"
    bound: int | None = None          # static bound (max_items, max_partitions)
    only: tuple | None = None         # partition.only (features partitions)
    partitions_of: str | None = None  # the features step whose partitions this is


@dataclass(frozen=True, slots=True)
class Retry:
    limit: int
    duration_s: int = 0
    factor: float = 2
    max_duration_s: int | None = None


@dataclass(frozen=True, slots=True)
class SecretMount:
    secret: str     # logical name (mounted at /mlc/secrets/<secret>/)
    store: str      # name in the target's secret store


@dataclass(frozen=True)
class StepPlan:
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
    grid: list | None                      # grid sweeps: [[hp, values], ...] (trials' source)
    objective: tuple[str, str] | None      # (primary_metric, goal)
    params: tuple[str, ...]                # params the step references (config `params`)
    config: dict                           # SPEC 6.2 template (Slots/PathSlots inside)
    resources: dict
    retry: Retry | None
    timeout_s: int | None
    cache: bool
    cache_max_age_s: int | None
    cache_material: dict                   # the static part of the SPEC 6.7 key
    secret_mounts: tuple[SecretMount, ...]
    upstream: tuple[str, ...]              # steps that must finish first
    max_parallel: int | None
    gates: tuple[dict, ...] = ()           # evaluate: thresholds may hold Slots
    consumed_by_deploy: bool = False       # evaluate: a deploy step reads `passed`

    @property
    def foreach(self) -> bool:
        return bool(self.dims)

    @property
    def sweep(self) -> bool:
        return self.trials is not None


@dataclass(frozen=True)
class DeployPlan:
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
    resources: dict
    canary: tuple[dict, ...]                # steps with durations in seconds
    analysis: dict | None
    rollback_on: tuple[str, ...]
    retain_previous_s: int
    upstream: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """A whole pipeline, ready for any target."""

    project: str
    version: str
    profile: str | None
    base_name: str
    spec_sha256: str
    spec_file: str
    labels: dict[str, str]
    params: dict[str, Any]                  # name -> Param model
    order: tuple[str, ...]                  # topological, file order for ties
    steps: dict[str, StepPlan]
    deploys: dict[str, DeployPlan]
    schedule: Any                           # Schedule model or None
    sources: dict[str, Any] = field(default_factory=dict)
