"""plan: the target-independent plan of a pipeline (what runs, with which values)."""

from .build import Credentials, build_plan
from .model import (
    ArtifactInput,
    DeployPlan,
    Dim,
    EnvVar,
    OutputSpec,
    PathSlot,
    Plan,
    Retry,
    SecretMount,
    Slot,
    StepPlan,
    Text,
)
from .values import StrText, canonical, env_name, k8s_resources, render_json, resolve_json

__all__ = ["ArtifactInput", "Credentials", "DeployPlan", "Dim", "EnvVar", "OutputSpec",
           "PathSlot", "Plan", "Retry", "SecretMount", "Slot", "StepPlan", "StrText", "Text",
           "build_plan", "canonical", "env_name", "k8s_resources", "render_json", "resolve_json"]
