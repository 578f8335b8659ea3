"""Phase 7 for argo (SPEC 8, 10): cloud sources, name lengths (objects, CronWorkflows, child
Workflows, routed InferenceServices), accelerators as node labels, KServe deploys, and the node
budget with its split into child Workflows."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic, Note
from ..graph import PipelineGraph
from ..spec.config import Config
from ..spec.profiles import base_name
from .budget import argo_plan
from .common import (
    accelerators,
    cloud_sources,
    deploys,
    name_lengths,
    over_budget,
    routed_endpoint_names,
)
from .limits import CRON_WORKFLOW_NAME, GENERATE_NAME_SUFFIX, K8S_NAME, limit


def check(cfg: Config, graph: PipelineGraph, local_profile: str | None) -> Iterator[Diagnostic]:
    yield from cloud_sources(cfg, "argo")
    checks = [(K8S_NAME, "Kubernetes object names")]
    if cfg.doc.schedule is not None:
        checks.append((CRON_WORKFLOW_NAME, "CronWorkflow names"))
    yield from name_lengths(cfg, checks)
    yield from expression_words(cfg)
    yield from child_names(cfg)
    yield from routed_endpoint_names(cfg)
    yield from accelerators(cfg, "argo", "node labels")
    yield from deploys(cfg, "argo", "kserve")
    yield from budget(cfg)


# Words of Argo's expression language (expr-lang: operators, keywords, literals). Argo evaluates
# a DAG task's `depends` with task names as identifiers (workflow/controller/dag.go,
# evaluateDependsLogic), so a task named `matches` or `in` breaks the expression.
EXPR_WORDS = frozenset({"not", "in", "and", "or", "matches", "contains", "let", "if", "else",
                        "true", "false", "nil"})


def expression_words(cfg: Config) -> Iterator[Diagnostic]:
    """E105: a step named as an expression operator cannot be a DAG task Argo can depend on."""
    for name in cfg.doc.steps:
        if name in EXPR_WORDS:
            yield cfg.diag("E105", f"step name '{name}' is a word of Argo's expression language: "
                           "a `depends` naming it cannot be evaluated", ("steps", name),
                           key=True, hint=f"rename the step, e.g. '{name}_step'")


def child_names(cfg: Config) -> Iterator[Diagnostic]:
    """E404: child Workflows are named `<base>-<step>-` plus Kubernetes' 5 characters."""
    base = base_name(cfg.doc.project.name, cfg.profile)
    if len(base) > K8S_NAME:
        return  # reported once, on the project name
    for step in argo_plan(cfg, limit(cfg.doc, "argo", "max_nodes_per_workflow")).split:
        name = f"{base}-{step.replace('_', '-')}-"
        if len(name) + GENERATE_NAME_SUFFIX > K8S_NAME:
            yield cfg.diag("E404", f"child Workflows of steps.{step} would be named "
                           f"'{name}xxxxx' ({len(name) + GENERATE_NAME_SUFFIX} characters; "
                           f"limit {K8S_NAME})", ("steps", step), key=True,
                           hint="shorten the step or project name")


def budget(cfg: Config) -> Iterator[Diagnostic]:
    """E401: a child Workflow over the budget, or a parent that is over it even after the
    largest foreach steps were split off."""
    max_nodes = limit(cfg.doc, "argo", "max_nodes_per_workflow")
    plan = argo_plan(cfg, max_nodes)
    for step, nodes in plan.children.items():
        if nodes > max_nodes:
            exp = plan.expansions[step]
            yield cfg.diag("E401", f"steps.{step} expands to {nodes} nodes in each child "
                           f"Workflow (one per {exp.dims[0].dim}); limit {max_nodes}",
                           ("steps", step), key=True, notes=(Note(exp.explain(cfg)),))
    if plan.parent_nodes <= max_nodes:
        return
    rest = {n: e for n, e in plan.expansions.items() if n not in plan.split}
    largest_rest = max((e.nodes for e in rest.values()), default=0)
    launchers = max(plan.launchers.items(), key=lambda kv: kv[1], default=None)
    if launchers is not None and launchers[1] >= largest_rest:
        # the launchers of a split step are what the parent cannot hold
        step, count = launchers
        exp = plan.expansions[step]
        outer = exp.dims[0]
        yield cfg.diag(
            "E401", f"steps.{step} runs as one child Workflow per {outer.dim}, and its {count} "
            f"launcher nodes leave the parent at {plan.parent_nodes} nodes; limit {max_nodes}",
            ("steps", step), key=True,
            notes=(Note(f"{outer.size} ({outer.origin}, {cfg.where(outer.path, key=outer.key)}) "
                        f"launchers + 1"),),
            hint=f"lower the bound of {outer.dim}, or raise "
            "targets.argo.limits.max_nodes_per_workflow")
        return
    yield from over_budget(cfg, rest, max_nodes, plan.parent_nodes, "in one Workflow")
