"""Node budgets (SPEC 10): the per-run estimate, and Argo's split into child Workflows."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..graph import Expansion, expansion
from ..spec.config import Config


def run_nodes(cfg: Config) -> tuple[int, dict[str, Expansion]]:
    """Estimated nodes of one run: the sum over steps, plus 1 (the workflow itself)."""
    exps = {name: expansion(cfg, name) for name in cfg.doc.steps}
    return 1 + sum(e.nodes for e in exps.values()), exps


def child_nodes(exp: Expansion) -> int:
    """Nodes of one child Workflow: the step for one outermost item, plus its own root."""
    inner = Expansion(exp.step, exp.dims[1:], exp.trials, exp.attempts, exp.sweep)
    return inner.nodes + 1


@dataclass
class ArgoPlan:
    """Which foreach steps run as child Workflows (one per outermost item)."""

    parent_nodes: int
    split: list[str] = field(default_factory=list)
    children: dict[str, int] = field(default_factory=dict)   # step -> nodes of one child
    launchers: dict[str, int] = field(default_factory=dict)  # step -> its nodes in the parent
    expansions: dict[str, Expansion] = field(default_factory=dict)


def argo_plan(cfg: Config, max_nodes: int) -> ArgoPlan:
    """Split the largest foreach steps until the parent fits (or nothing is left to split)."""
    total, exps = run_nodes(cfg)
    plan = ArgoPlan(total, expansions=exps)
    position = {name: i for i, name in enumerate(cfg.doc.steps)}
    candidates = sorted((e for e in exps.values() if e.dims and e.items),
                        key=lambda e: (-e.nodes, position[e.step]))
    for exp in candidates:
        if plan.parent_nodes <= max_nodes:
            break
        outer = exp.dims[0].size or 0
        launchers = outer + 1          # one launcher node per outermost item, plus the group
        if launchers >= exp.nodes:
            continue
        plan.parent_nodes += launchers - exp.nodes
        plan.split.append(exp.step)
        plan.children[exp.step] = child_nodes(exp)
        plan.launchers[exp.step] = launchers
    return plan
