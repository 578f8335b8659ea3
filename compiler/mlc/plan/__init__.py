"""plan: the target-neutral execution plan of a pipeline (the compiler's IR, STYLE.md 1).

`plan.build.build_plan` makes one from a validated configuration; the lowerings (`mlc.lower`)
and the local runner (`mlc.run`) read it. This package's top level exports only the plan's
types and value rules, so a lowering that imports it imports nothing of the spec.
"""

from .model import (
    ArtifactInput,
    ChildRuns,
    Credentials,
    DeployPlan,
    Dim,
    DimSource,
    EnvVar,
    Gate,
    GateCheck,
    ItemGroup,
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
    Unit,
    params_payload,
)
from .values import (canonical, env_name, fill_json, json_template, k8s_resources, render_json,
                     resolve_json)

__all__ = ["ArtifactInput", "ChildRuns", "Credentials", "DeployPlan", "Dim", "DimSource",
           "EnvVar", "Gate", "GateCheck", "ItemGroup", "Mode", "OutputSpec", "ParamSpec",
           "Partition", "PathKind", "PathSlot", "Plan", "Resources", "Retry", "Schedule",
           "SecretMount", "Slot", "SlotKind", "StepPlan", "StrText", "Text", "Unit", "canonical",
           "env_name", "k8s_resources", "params_payload", "render_json", "resolve_json",
           "fill_json", "json_template"]
