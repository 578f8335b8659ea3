"""A deploy step as a DeployPlan: model, gate, server fields, canary steps, analysis, rollback
(SPEC 6.6)."""

from __future__ import annotations

from typing import Any

from ..graph import PipelineGraph
from ..spec.config import Config
from ..spec.deploy_rules import PROVIDER, effective_server
from ..spec.models import DeployStep
from ..spec.references import RefUse
from ..spec.refgrammar import parse_template
from ..spec.types import duration_seconds
from .model import ArtifactInput, DeployPlan, Mode
from .resolve import Resolver
from .steps import resources_of


class DeployBuilder(Resolver):
    def __init__(self, cfg: Config, graph: PipelineGraph, name: str, step: DeployStep,
                 uses: list[RefUse], target: str) -> None:
        super().__init__(cfg, graph, name, step, uses)
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
            resources=resources_of(step.resources),
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
