"""Build the target-independent Plan from a validated configuration and its graph."""

from __future__ import annotations

from typing import Any

from ..graph import PipelineGraph
from ..spec.config import Config
from ..spec.models import DeployStep
from ..spec.profiles import base_name
from ..spec.refgrammar import parse_template
from ..spec.registry import REGISTRY
from .decompose import decompose
from .deploy import DeployBuilder
from .model import ChildRuns, DeployPlan, ParamSpec, Plan, Schedule, StepPlan
from .settings import (
    DEFAULT_RUNTIME_IMAGE,
    KubeSettings,
    LocalSettings,
    Settings,
    StepFunctionsSettings,
)
from .steps import StepBuilder


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
            deploys[name] = DeployBuilder(cfg, graph, name, step, uses.get(name, []),
                                           target).build()
        else:
            steps[name] = StepBuilder(cfg, graph, name, step, uses.get(name, []),
                                       name in deploy_gates).build()
    child_runs: dict[str, ChildRuns] = {}
    if REGISTRY[target].child_runs:
        from ..targets import argo_plan, limit

        splits = argo_plan(cfg, limit(doc, target, "max_nodes_per_workflow")).splits
        child_runs = {name: ChildRuns(s.per, s.size, s.children) for name, s in splits.items()}
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
            runtime_image=block.runtime_image or DEFAULT_RUNTIME_IMAGE,
            argo_version=getattr(block, "version", "3.6"), **limits)
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
