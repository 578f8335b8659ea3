"""Phase 7 for argo (SPEC 8, 10): cloud sources, name lengths (objects, CronWorkflows, child
Workflows, routed InferenceServices), accelerators as node labels, KServe deploys, and the node
budget with its split into child Workflows."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic, Note
from ..graph import PipelineGraph, expansion
from ..spec.config import Config
from ..spec.models import DeployStep
from ..spec.profiles import base_name
from ..spec.semantics import cache_enabled
from .budget import argo_plan, per_item
from .common import (
    accelerators,
    cloud_sources,
    deploys,
    has_deploy,
    name_lengths,
    over_budget,
    required_fields,
    routed_endpoint_names,
)
from .limits import CRON_WORKFLOW_NAME, GENERATE_NAME_SUFFIX, K8S_NAME, limit


def check(cfg: Config, graph: PipelineGraph, local_profile: str | None) -> Iterator[Diagnostic]:
    yield from cloud_sources(cfg, "argo")
    # KServe reads the model from s3://<bucket>/<key>: the bucket must be named (the artifact
    # repository's, which the workflow's key-only artifacts are written to)
    yield from required_fields(cfg, "argo", ["artifact_store"] if has_deploy(cfg) else [])
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
    yield from cache_entries(cfg)
    yield from retry_caps(cfg)


def retry_caps(cfg: Config) -> Iterator[Diagnostic]:
    """W407: `retries.backoff.max_duration` caps each delay through Argo's `backoff.cap`,
    which Argo 3.6 does not have (3.7 added it): on 3.6 the delays grow uncapped."""
    argo = cfg.doc.targets.argo if cfg.doc.targets is not None else None
    version = argo.version if argo is not None else "3.6"
    if version != "3.6":
        return
    for name, step in cfg.doc.steps.items():
        retries = getattr(step, "retries", None)
        backoff = getattr(retries, "backoff", None)
        if backoff is not None and backoff.max_duration is not None:
            yield cfg.diag(
                "W407", f"steps.{name}: Argo 3.6 cannot cap a retry delay (`backoff.cap` came in "
                "3.7), so on 3.6 its delays grow past max_duration",
                ("steps", name, "retries", "backoff", "max_duration"),
                hint='if the cluster runs Argo 3.7 or later, set targets.argo.version: "3.7"')

def cache_entries(cfg: Config) -> Iterator[Diagnostic]:
    """E401: a cached step that writes more memoization entries in one run than its cache
    ConfigMaps hold (SPEC 10 on argo: `max_cache_entries`, 256 ConfigMaps of about 900)."""
    cap = limit(cfg.doc, "argo", "max_cache_entries")
    for name, step in cfg.doc.steps.items():
        if isinstance(step, DeployStep) or not cache_enabled(step, cfg.doc):
            continue
        exp = expansion(cfg, name)
        entries = (exp.items or 1) * exp.trials
        if entries > cap:
            what = " x ".join(f"{d.size} ({d.origin}, {cfg.where(d.path, key=d.key)})"
                              for d in exp.dims) or "1 item"
            yield cfg.diag(
                "E401", f"steps.{name} writes up to {entries} memoization entries in one run; "
                f"limit {cap}", ("steps", name), key=True,
                notes=(Note(f"{what} x {exp.trials} trial{'s' if exp.trials != 1 else ''}, "
                            "one cache entry each"),),
                hint="set `cache: false` on the step, lower the bounds, or raise "
                "targets.argo.limits.max_cache_entries after enlarging the cache")

# Words of Argo's expression language (expr-lang: operators, keywords, literals). Argo evaluates
# a DAG task's `depends` with task names as identifiers (workflow/controller/dag.go,
# evaluateDependsLogic), so a task named `matches` or `in` breaks the expression.
EXPR_WORDS = frozenset({"not", "in", "and", "or", "matches", "contains", "let", "if", "else",
                        "true", "false", "nil"})


# Main-DAG tasks mlc adds: a step whose Argo name (`_` as `-`) is one of these, or has the
# `--` of generated tasks (`<step>--items`), would share its name.
GENERATED_TASKS = frozenset({"mlc-run", "mlc-limits"})


def expression_words(cfg: Config) -> Iterator[Diagnostic]:
    """E105: a step named as an expression operator cannot be a DAG task Argo can depend on;
    a step named as a generated task would share its name."""
    for name in cfg.doc.steps:
        task = name.replace("_", "-")
        if task in GENERATED_TASKS or "--" in task:
            yield cfg.diag("E105", f"step name '{name}' is '{task}' on Argo, the name of a task "
                           "mlc generates", ("steps", name), key=True,
                           hint="rename the step (avoid `mlc_` names and `__`)")
        elif name in EXPR_WORDS:
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
    """E401: a child Workflow over the budget (one item alone is too large), or a parent that
    is over it even after the largest foreach steps were split into chunks."""
    max_nodes = limit(cfg.doc, "argo", "max_nodes_per_workflow")
    plan = argo_plan(cfg, max_nodes)
    over = [s for s in plan.splits.values() if s.child_nodes > max_nodes]
    for split in over:
        exp = plan.expansions[split.step]
        yield cfg.diag(
            "E401", f"steps.{split.step} expands to {split.child_nodes} nodes in each child "
            f"Workflow, with {split.size} item{'s' if split.size != 1 else ''} per child; "
            f"limit {max_nodes}", ("steps", split.step), key=True,
            notes=(Note(child_arithmetic(exp, split, plan.extras.get(split.step, 0))),),
            hint="lower retries or the sweep's trials, or raise "
            "targets.argo.limits.max_nodes_per_workflow")
    if over or plan.parent_nodes <= max_nodes:
        return  # an item too large for any child is the cause to fix first
    rest = {n: e for n, e in plan.expansions.items() if n not in plan.splits}
    largest_rest = max((plan.nodes(n) for n in rest), default=0)
    split = max(plan.splits.values(), key=lambda s: s.launchers, default=None)
    if split is not None and split.launchers >= largest_rest:
        # the launchers of a split step are what the parent cannot hold
        exp = plan.expansions[split.step]
        yield cfg.diag(
            "E401", f"steps.{split.step} runs as {split.children} child Workflows "
            f"({_per(exp, split)}), and their {split.launchers} launcher nodes leave the parent "
            f"at {plan.parent_nodes} nodes; limit {max_nodes}",
            ("steps", split.step), key=True,
            notes=(Note(launcher_arithmetic(cfg, exp, split, max_nodes,
                                            plan.extras.get(split.step, 0))),),
            hint=f"lower the bound of {exp.dims[0].dim}, or raise "
            "targets.argo.limits.max_nodes_per_workflow")
        return
    yield from over_budget(cfg, rest, max_nodes, plan.parent_nodes, "in one Workflow")


def _per(exp, split) -> str:
    if split.per != "chunk":
        return f"one per {exp.dims[0].dim}"
    return f"chunks of up to {split.size} items"


def child_arithmetic(exp, split, extra: int = 0) -> str:
    """`1 item x 1 trial x 4 attempts + 1 group + 1 chunk reader + 1 workflow`"""
    text = f"{split.size} item{'s' if split.size != 1 else ''}"
    text += f" x {exp.trials} trial{'s' if exp.trials != 1 else ''}"
    text += f" x {exp.attempts} attempt{'s' if exp.attempts != 1 else ''}"
    if exp.sweep:
        text += f" + {split.size} select-best"
    if extra:
        text += f" + {split.size} x {extra} (cache relink)"
    if split.per == "item":
        return text + " + 1 (the item) + 1 (the workflow)"
    return text + " + 1 (the fan-out) + 1 (the chunk reader) + 1 (the workflow)"


def launcher_arithmetic(cfg: Config, exp, split, max_nodes: int, extra: int = 0) -> str:
    """Where the number of children comes from."""
    dims = " x ".join(f"{d.size} ({d.origin}, {cfg.where(d.path, key=d.key)})" for d in exp.dims)
    if split.per != "chunk":
        outer = exp.dims[0]
        return f"{outer.size} ({outer.origin}, {cfg.where(outer.path, key=outer.key)}) " \
               "launchers + 1"
    per = per_item(exp, extra)
    return (f"{dims} items / {split.size} per child = {split.children} launchers + 1; "
            f"{split.size} per child = ({max_nodes} - 3) // {per} node{'s' if per != 1 else ''} "
            "per item")
