"""Phase 7 for stepfunctions (SPEC 6.7, 8, 10): the required `targets.stepfunctions` fields,
cloud sources, state machine and schedule name lengths, accelerators as Batch job queues,
SageMaker deploys, EventBridge cron rules, and the Distributed Map's parallelism."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic
from ..graph import PipelineGraph
from ..spec.config import Config
from ..spec.cron import restricts
from .common import (
    accelerators,
    cloud_sources,
    deploys,
    has_deploy,
    name_lengths,
    no_replace,
    required_fields,
)
from .limits import SFN_NAME, SFN_SCHEDULE_NAME, limit


def check(cfg: Config, graph: PipelineGraph, local_profile: str | None) -> Iterator[Diagnostic]:
    required = ["region", "role", "artifact_store", "job_queue"]
    if cfg.doc.schedule is not None:
        required.append("scheduler_role")
    if has_deploy(cfg):
        required.append("model_role")
    yield from required_fields(cfg, "stepfunctions", required)
    yield from cloud_sources(cfg, "stepfunctions")
    checks = [(SFN_NAME, "state machine names")]
    if cfg.doc.schedule is not None:
        checks.append((SFN_SCHEDULE_NAME, "EventBridge schedule names"))
    yield from name_lengths(cfg, checks)
    yield from accelerators(cfg, "stepfunctions", "a Batch job queue ARN")
    yield from schedule(cfg)
    yield from deploys(cfg, "stepfunctions", "sagemaker")
    yield from parallelism(cfg)


def schedule(cfg: Config) -> Iterator[Diagnostic]:
    """E702: EventBridge cron has `?` in one day field, so only one may be restricted."""
    sched = cfg.doc.schedule
    if sched is None:
        return
    fields = sched.cron.split()
    if len(fields) == 5 and restricts(fields[2]) and restricts(fields[4]):
        yield cfg.diag("E702", f'cron "{sched.cron}" restricts day-of-month and day-of-week',
                       ("schedule", "cron"),
                       hint="EventBridge needs one of them to be '*': restrict only one")
    yield from no_replace(cfg, "stepfunctions")


def parallelism(cfg: Config) -> Iterator[Diagnostic]:
    """E401: `max_parallel` above what a Distributed Map runs at once."""
    cap = limit(cfg.doc, "stepfunctions", "max_parallel")
    for name, step in cfg.doc.steps.items():
        mp = getattr(step, "max_parallel", None)
        if mp is not None and mp > cap:
            yield cfg.diag("E401", f"steps.{name}.max_parallel {mp} exceeds the Distributed Map "
                           f"limit {cap}", ("steps", name, "max_parallel"),
                           hint=f"use at most {cap}, or leave it unset")
