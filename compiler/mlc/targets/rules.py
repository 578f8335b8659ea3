"""Phase 7: the rules of one target that need no lowering (SPEC 9.1, 10).

E104 (required target fields), E401 (node budget), E404 (name lengths), E406 (source types),
E501 (accelerator placement), E702 (schedules), E805 (deploy capabilities). E405 needs the
emitted bytes and is checked by `compile`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic, Note
from ..graph import PipelineGraph
from ..spec.config import Config
from ..spec.cron import restricts
from ..spec.deploy_rules import capability_problems, effective_server, server_field_rules
from ..spec.models import DeployStep
from ..spec.profiles import base_name
from ..spec.references import RefUse
from .budget import argo_plan, run_nodes
from .limits import (
    CRON_WORKFLOW_NAME,
    GENERATE_NAME_SUFFIX,
    K8S_NAME,
    SFN_NAME,
    SFN_SCHEDULE_NAME,
    limit,
)


def check_target(cfg: Config, graph: PipelineGraph, target: str,
                 local_profile: str | None = None) -> list[Diagnostic]:
    """Every phase-7 diagnostic of `cfg` for `target`, tagged `[target T]`."""
    out: list[Diagnostic] = []
    out.extend(_required_fields(cfg, target))
    out.extend(_sources(cfg, target, local_profile))
    out.extend(_names(cfg, target))
    out.extend(_accelerators(cfg, target))
    out.extend(_schedule(cfg, target))
    out.extend(_deploys(cfg, target))
    out.extend(_budget(cfg, target))
    return [d.tagged(target=target) for d in out]


def _block(cfg: Config, target: str):
    return getattr(cfg.doc.targets, target, None) if cfg.doc.targets is not None else None


def _required_fields(cfg: Config, target: str) -> Iterator[Diagnostic]:
    if target == "local":
        return
    has_deploy = any(isinstance(s, DeployStep) for s in cfg.doc.steps.values())
    required: list[str] = []
    if target == "stepfunctions":
        required = ["region", "role", "artifact_store", "job_queue"]
        if cfg.doc.schedule is not None:
            required.append("scheduler_role")
        if has_deploy:
            required.append("model_role")
    elif target == "kubeflow" and has_deploy:
        required = ["namespace"]
    if not required:
        return
    block = _block(cfg, target)
    missing = [f for f in required if block is None or getattr(block, f) is None]
    if not missing:
        return
    fields = ", ".join(missing)
    if block is not None:
        path, message = ("targets", target), f"targets.{target} is missing {fields}"
    else:
        path = ("targets",) if "targets" in cfg.root else ()
        message = f"targets.{target} is missing (compiling for {target} needs {fields})"
    yield cfg.diag("E104", message, path, key=True,
                   hint=f"add targets: {{{target}: {{{', '.join(f + ': ...' for f in missing)}}}}}")


def _sources(cfg: Config, target: str, local_profile: str | None) -> Iterator[Diagnostic]:
    first = True
    for name, src in (cfg.doc.sources or {}).items():
        path = ("sources", name, "type")
        if target == "local" and src.type != "local":
            hint = None
            if first:
                hint = f"mlc run --profile {local_profile}" if local_profile else \
                    "add a profile that points each source at local files"
            first = False
            yield cfg.diag("E406", f"source '{name}' has type '{src.type}'; mlc run reads local "
                           "sources only", path, hint=hint)
        elif target != "local" and src.type == "local":
            hint = None
            if first:
                hint = ("point it at cloud storage in a profile, e.g. profiles: {prod: {sources: "
                        f"{{{name}: {{type: s3, bucket: my-bucket, path: null}}}}}}}}")
            first = False
            yield cfg.diag("E406", f"source '{name}' has type 'local'; {target} reads cloud "
                           "sources only", path, hint=hint)


def _names(cfg: Config, target: str) -> Iterator[Diagnostic]:
    if target == "local":
        return
    base = base_name(cfg.doc.project.name, cfg.profile)
    scheduled = cfg.doc.schedule is not None
    checks: list[tuple[int, str]] = []
    if target in ("argo", "kubeflow"):
        checks.append((K8S_NAME, "Kubernetes object names"))
        if target == "argo" and scheduled:
            checks.append((CRON_WORKFLOW_NAME, "CronWorkflow names"))
    else:
        checks.append((SFN_NAME, "state machine names"))
        if scheduled:
            checks.append((SFN_SCHEDULE_NAME, "EventBridge schedule names"))
    for max_len, what in checks:
        if len(base) > max_len:
            yield cfg.diag("E404", f"name '{base}' has {len(base)} characters; {what} allow "
                           f"{max_len}", ("project", "name"),
                           hint="shorten project.name" + (" or the profile name"
                                                          if cfg.profile else ""))
            return
    yield from _step_names(cfg, target, base)


def _step_names(cfg: Config, target: str, base: str) -> Iterator[Diagnostic]:
    if target == "argo":
        plan = argo_plan(cfg, limit(cfg.doc, "argo", "max_nodes_per_workflow"))
        for step in plan.split:
            name = f"{base}-{step.replace('_', '-')}-"
            if len(name) + GENERATE_NAME_SUFFIX > K8S_NAME:
                yield cfg.diag("E404", f"child Workflows of steps.{step} would be named "
                               f"'{name}xxxxx' ({len(name) + GENERATE_NAME_SUFFIX} characters; "
                               f"limit {K8S_NAME})", ("steps", step), key=True,
                               hint="shorten the step or project name")
    if target in ("argo", "kubeflow"):
        for name, step in cfg.doc.steps.items():
            if isinstance(step, DeployStep) and step.route_by is not None and \
                    len(step.endpoint) + 9 > K8S_NAME:
                yield cfg.diag("E404", f"InferenceService names '{step.endpoint}-<8 hex>' would "
                               f"have {len(step.endpoint) + 9} characters; limit {K8S_NAME}",
                               ("steps", name), key=True, hint="shorten endpoint to 54 characters")


def _accelerators(cfg: Config, target: str) -> Iterator[Diagnostic]:
    if target == "local":
        return
    block = _block(cfg, target)
    placed = block.accelerators if block is not None else {}
    for name, step in cfg.doc.steps.items():
        res = getattr(step, "resources", None)
        if res is not None and res.accelerator is not None and res.accelerator not in placed:
            yield cfg.diag("E501", f"accelerator {res.accelerator} of steps.{name} is not placed "
                           f"on {target}", ("steps", name, "resources", "accelerator"),
                           hint=f"map it under targets.{target}.accelerators."
                           f"{res.accelerator}" + (" (node labels)" if target != "stepfunctions"
                                                   else " (a Batch job queue ARN)"))


def _schedule(cfg: Config, target: str) -> Iterator[Diagnostic]:
    sched = cfg.doc.schedule
    if sched is None or target in ("argo", "local"):
        return
    fields = sched.cron.split()
    if target == "stepfunctions" and len(fields) == 5 and restricts(fields[2]) and \
            restricts(fields[4]):
        yield cfg.diag("E702", f'cron "{sched.cron}" restricts day-of-month and day-of-week',
                       ("schedule", "cron"),
                       hint="EventBridge needs one of them to be '*': restrict only one")
    if sched.concurrency == "replace":
        yield cfg.diag("E702", f"concurrency 'replace' is not available on {target}",
                       ("schedule", "concurrency"), hint="use allow or forbid")
    if target == "kubeflow":
        block = _block(cfg, "kubeflow")
        zone = block.scheduler_timezone if block is not None else "UTC"
        if sched.timezone != zone:
            yield cfg.diag("E702", f"schedule.timezone {sched.timezone} differs from "
                           f"targets.kubeflow.scheduler_timezone ({zone}); Kubeflow uses one "
                           "cluster-wide zone", ("schedule", "timezone"),
                           hint=f"set targets.kubeflow.scheduler_timezone: {sched.timezone} if "
                           "that is the cluster's zone")


def _deploys(cfg: Config, target: str) -> Iterator[Diagnostic]:
    model_uses: dict[str, RefUse] = {u.step: u for u in cfg.refs.uses if u.field == "model"} \
        if cfg.refs else {}
    for name, step in cfg.doc.steps.items():
        if not isinstance(step, DeployStep):
            continue
        server = effective_server(step, target)
        native = "sagemaker" if target == "stepfunctions" else "kserve"
        use = model_uses.get(name)
        collection = bool(use is not None and use.target.dims)
        if server != native:
            where = "locally" if target == "local" else f"on {target}"
            problems = capability_problems(cfg, name, step, native, target, collection)
            notes = ()
            if problems:
                labels = [p.label for p in problems]
                joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + \
                    labels[-1]
                notes = (Note(f"with server: {native}, {joined} would be E805 as well"),)
            yield cfg.diag("E805", f"server '{server}' is not available {where} ({native} is)",
                           ("steps", name, "server") if step.server else ("steps", name),
                           key=step.server is None, notes=notes)
            continue
        for p in capability_problems(cfg, name, step, server, target, collection):
            yield cfg.diag("E805", p.message, p.path, key=p.key)
        if step.server is None:
            yield from server_field_rules(cfg, name, step, server, None)


def _budget(cfg: Config, target: str) -> Iterator[Diagnostic]:
    if target == "local":
        return
    if target == "stepfunctions":
        yield from _sfn_parallel(cfg)
        return
    max_nodes = limit(cfg.doc, target, "max_nodes_per_workflow")
    if target == "kubeflow":
        total, exps = run_nodes(cfg)
        if total > max_nodes:
            yield from _over(cfg, exps, max_nodes, total, "in one run")
        return
    plan = argo_plan(cfg, max_nodes)
    for step, nodes in plan.children.items():
        if nodes > max_nodes:
            exp = plan.expansions[step]
            yield cfg.diag("E401", f"steps.{step} expands to {nodes} nodes in each child "
                           f"Workflow (one per {exp.dims[0].dim}); limit {max_nodes}",
                           ("steps", step), key=True, notes=(Note(exp.explain(cfg)),))
    if plan.parent_nodes > max_nodes:
        rest = {n: e for n, e in plan.expansions.items() if n not in plan.split}
        yield from _over(cfg, rest, max_nodes, plan.parent_nodes, "in one Workflow")


def _over(cfg: Config, exps: dict, max_nodes: int, total: int, where: str) -> Iterator[Diagnostic]:
    over = [e for e in exps.values() if e.nodes > max_nodes]
    if not over:
        largest = max(exps.values(), key=lambda e: e.nodes)
        yield cfg.diag("E401", f"the run expands to {total} nodes {where}; limit {max_nodes} "
                       f"(largest: steps.{largest.step}, {largest.nodes})",
                       ("steps", largest.step), key=True, notes=(Note(largest.explain(cfg)),))
        return
    for exp in over:
        yield cfg.diag("E401", f"steps.{exp.step} expands to {exp.nodes} nodes {where}; limit "
                       f"{max_nodes}", ("steps", exp.step), key=True,
                       notes=(Note(exp.explain(cfg)),))


def _sfn_parallel(cfg: Config) -> Iterator[Diagnostic]:
    cap = limit(cfg.doc, "stepfunctions", "max_parallel")
    for name, step in cfg.doc.steps.items():
        mp = getattr(step, "max_parallel", None)
        if mp is not None and mp > cap:
            yield cfg.diag("E401", f"steps.{name}.max_parallel {mp} exceeds the Distributed Map "
                           f"limit {cap}", ("steps", name, "max_parallel"),
                           hint=f"use at most {cap}, or leave it unset")
